//! The database layer: opening, migrating, seeding and probing, on the store
//! the run was asked for (`Scratch`); the tests about SQLite's files, pragmas and
//! migration rollback are tied to SQLite by what they check.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::DatabaseHealth;
use agented_store::schema::{backends, triggers};
use agented_store::testing::Scratch;
use agented_store::{
    AnyConnection, Database, DatabaseOptions, Location, StoreError, run_migrations, run_migrations_from, seed,
};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel_migrations::FileBasedMigrations;
use std::path::Path;
use std::time::Duration;

#[derive(QueryableByName, Debug, PartialEq)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Number {
    #[diesel(sql_type = Integer)]
    value: i32,
}

fn open(dir: &Path) -> Database {
    Database::open(&dir.join("data/agented.db"), &DatabaseOptions::default()).unwrap()
}

fn sqlite(conn: &mut AnyConnection) -> &mut SqliteConnection {
    match conn {
        AnyConnection::Sqlite(c) => c,
        AnyConnection::Pg(_) => panic!("a SQLite file was opened"),
    }
}

/// The scratch database, opened but not migrated.
fn unmigrated(scratch: &Scratch, options: &DatabaseOptions) -> Database {
    Database::connect(scratch.location(), options).unwrap()
}

fn table_names(conn: &mut SqliteConnection) -> Vec<String> {
    diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect()
}

fn pragma_text(conn: &mut SqliteConnection, pragma: &str) -> String {
    diesel::sql_query(format!("SELECT {pragma} AS name FROM pragma_{pragma}")).get_result::<Name>(conn).unwrap().name
}

fn pragma_number(conn: &mut SqliteConnection, pragma: &str, column: &str) -> i32 {
    diesel::sql_query(format!("SELECT {column} AS value FROM pragma_{pragma}"))
        .get_result::<Number>(conn)
        .unwrap()
        .value
}

#[test]
fn every_pooled_connection_gets_wal_foreign_keys_normal_sync_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    // Hold two connections at once so both come from the pool's customizer.
    let mut a = db.conn().unwrap();
    let mut b = db.conn().unwrap();
    for conn in [sqlite(&mut a), sqlite(&mut b)] {
        assert_eq!(pragma_text(conn, "journal_mode"), "wal");
        assert_eq!(pragma_number(conn, "foreign_keys", "foreign_keys"), 1);
        assert_eq!(pragma_number(conn, "synchronous", "synchronous"), 1, "1 is NORMAL");
        assert_eq!(pragma_number(conn, "busy_timeout", "timeout"), 5000);
    }
}

#[test]
fn the_database_folder_is_created_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    assert_eq!(db.location(), &Location::Sqlite(dir.path().join("data/agented.db")));
    assert!(dir.path().join("data/agented.db").exists());
    assert!(dir.path().join("data").is_dir());
}

#[test]
fn migrations_are_idempotent() {
    let scratch = Scratch::new();
    let db = unmigrated(&scratch, &DatabaseOptions::default());
    let mut conn = db.conn().unwrap();
    assert!(run_migrations(&mut conn).unwrap() >= 1);
    assert_eq!(triggers::table.count().get_result::<i64>(&mut conn).unwrap(), 0, "the tables exist, empty");
    assert_eq!(run_migrations(&mut conn).unwrap(), 0);
}

fn write_migration(root: &Path, name: &str, up: &str) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("up.sql"), up).unwrap();
    std::fs::write(dir.join("down.sql"), "SELECT 1;").unwrap();
}

#[test]
fn a_failing_migration_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut conn = db.conn().unwrap();
    let conn = sqlite(&mut conn);
    let source_dir = dir.path().join("migrations");
    write_migration(&source_dir, "2026-01-01-000001_first", "CREATE TABLE first (id INTEGER PRIMARY KEY);");
    assert_eq!(run_migrations_from(conn, FileBasedMigrations::from_path(&source_dir).unwrap()).unwrap(), 1);
    conn.batch_execute("INSERT INTO first (id) VALUES (7);").unwrap();
    let before = table_names(conn);

    write_migration(
        &source_dir,
        "2026-01-01-000002_second",
        "CREATE TABLE second (id INTEGER); INSERT INTO first (id) VALUES (8);",
    );
    write_migration(&source_dir, "2026-01-01-000003_broken", "CREATE TABLE third (id INTEGER); THIS IS NOT SQL;");
    let err = run_migrations_from(conn, FileBasedMigrations::from_path(&source_dir).unwrap()).unwrap_err();
    assert!(matches!(err, StoreError::Migration(_)), "{err}");

    assert_eq!(table_names(conn), before, "no table of the failed batch may remain");
    let ids = diesel::sql_query("SELECT id AS value FROM first").load::<Number>(conn).unwrap();
    assert_eq!(ids, [Number { value: 7 }], "rows written by the failed batch must be rolled back");
    let applied = diesel::sql_query("SELECT COUNT(*) AS value FROM __diesel_schema_migrations")
        .get_result::<Number>(conn)
        .unwrap();
    assert_eq!(applied.value, 1);
}

#[test]
fn seeds_are_idempotent_and_keep_operator_changes() {
    let scratch = Scratch::new();
    let db = scratch.database();
    let mut conn = db.conn().unwrap();

    let first = seed(&mut conn).unwrap();
    assert_eq!((first.backends, first.triggers), (4, agented_triggers::predefined::ALL.len()));
    let mut names: Vec<String> = backends::table.select(backends::backend_type).load(&mut conn).unwrap();
    names.sort();
    assert_eq!(names, ["claude", "codex", "gemini", "opencode"]);
    let (source, enabled, predefined): (String, bool, bool) = triggers::table
        .filter(triggers::name.eq("PR Review"))
        .select((triggers::trigger_source, triggers::enabled, triggers::is_predefined))
        .first(&mut conn)
        .unwrap();
    assert_eq!((source.as_str(), enabled, predefined), ("github", false, true));
    // The planner runs only when someone asks for planning help, so it starts enabled.
    let planner: (String, bool, bool) = triggers::table
        .find("bot-planner")
        .select((triggers::trigger_source, triggers::enabled, triggers::is_predefined))
        .first(&mut conn)
        .unwrap();
    assert_eq!(planner, ("manual".to_owned(), true, true));

    // An operator enables the trigger; seeding again must neither duplicate nor revert it.
    diesel::update(triggers::table.filter(triggers::id.eq("bot-pr-review")))
        .set(triggers::enabled.eq(true))
        .execute(&mut conn)
        .unwrap();
    let second = seed(&mut conn).unwrap();
    assert_eq!((second.backends, second.triggers), (0, 0));
    assert_eq!(backends::table.count().get_result::<i64>(&mut conn).unwrap(), 4);
    let predefined = i64::try_from(agented_triggers::predefined::ALL.len()).unwrap();
    assert_eq!(triggers::table.count().get_result::<i64>(&mut conn).unwrap(), predefined);
    let enabled: bool = triggers::table.find("bot-pr-review").select(triggers::enabled).first(&mut conn).unwrap();
    assert!(enabled);
}

#[tokio::test]
async fn the_health_probe_answers_when_the_database_does_and_fails_when_no_connection_is_free() {
    let scratch = Scratch::new();
    let options =
        DatabaseOptions { pool_size: 1, connection_timeout: Duration::from_millis(200), ..DatabaseOptions::default() };
    let db = unmigrated(&scratch, &options);
    db.ping().await.unwrap();
    let held = db.conn().unwrap();
    let err = db.ping().await.unwrap_err();
    assert!(err.to_string().contains("database unavailable"), "{err}");
    drop(held);
    db.ping().await.unwrap();
}

#[test]
fn a_file_that_is_not_a_database_is_reported_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agented.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let options = DatabaseOptions { connection_timeout: Duration::from_millis(300), ..DatabaseOptions::default() };
    let err = Database::open(&path, &options).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}

#[test]
fn a_postgres_server_that_does_not_answer_is_reported_on_open_without_its_password() {
    let location = Location::parse("postgres://agented:hunter2@127.0.0.1:1/agented?connect_timeout=2").unwrap();
    let err = Database::connect(&location, &DatabaseOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
    let shown = err.to_string();
    assert!(shown.contains("127.0.0.1:1") && !shown.contains("hunter2"), "{shown}");
}
