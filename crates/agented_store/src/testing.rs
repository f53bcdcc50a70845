//! A scratch database per test, on the store the test run was asked for: a
//! SQLite file in a temporary folder by default, or, with
//! `AGENTED_TEST_STORE=postgres`, a fresh database on the PostgreSQL cluster
//! named by `AGENTED_TEST_POSTGRES_URL` (`cargo xtask ci` starts one and sets
//! both), dropped again at the end of the test. The same test code thereby runs
//! unchanged against both stores.

use crate::{Database, DatabaseOptions, Location, run_migrations};
use diesel::connection::{Connection, SimpleConnection};
use diesel::pg::PgConnection;
use std::path::Path;

/// The variable naming the PostgreSQL cluster to test against (any database on
/// it, as a `postgres://` URL whose user may create databases).
pub const POSTGRES_URL_VAR: &str = "AGENTED_TEST_POSTGRES_URL";

/// The variable choosing the store of [`Scratch::new`]: `postgres`, or unset for SQLite.
pub const STORE_VAR: &str = "AGENTED_TEST_STORE";

/// A temporary folder, and the database of one test.
#[derive(Debug)]
pub struct Scratch {
    dir: tempfile::TempDir,
    location: Location,
    /// The cluster's URL and the database made on it, dropped with the scratch.
    postgres: Option<(String, String)>,
}

impl Scratch {
    /// Makes the folder and, on PostgreSQL, an empty database.
    ///
    /// # Panics
    /// When the folder or the database cannot be made: a test cannot go on.
    #[must_use]
    #[expect(clippy::expect_used, reason = "a test helper fails loudly")]
    pub fn new() -> Self {
        match std::env::var(STORE_VAR).as_deref() {
            Ok("postgres") => Self::postgres(),
            Ok("" | "sqlite") | Err(_) => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let location = Location::Sqlite(dir.path().join("agented.db"));
                Self { dir, location, postgres: None }
            }
            Ok(other) => panic!("{STORE_VAR}={other}: expected postgres or sqlite"),
        }
    }

    /// A scratch database on PostgreSQL whatever the run's store (for tests
    /// that need both stores at once, such as moving one into the other).
    ///
    /// # Panics
    /// When no cluster is named, or it refuses: a test cannot go on.
    #[must_use]
    #[expect(clippy::expect_used, reason = "a test helper fails loudly")]
    pub fn postgres() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cluster = std::env::var(POSTGRES_URL_VAR).ok().filter(|u| !u.is_empty()).unwrap_or_else(|| {
            panic!(
                "{POSTGRES_URL_VAR} names no PostgreSQL cluster: run the tests with `cargo xtask ci`, which starts one"
            )
        });
        let name = format!("agented_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&cluster).expect("the test PostgreSQL cluster answers");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("a test database is created");
        let location = Location::Postgres(with_database(&cluster, &name));
        Self { dir, location, postgres: Some((cluster, name)) }
    }

    /// `true` when this test runs on PostgreSQL.
    #[must_use]
    pub const fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The temporary folder (also the SQLite file's folder).
    #[must_use]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the test's database is.
    #[must_use]
    pub const fn location(&self) -> &Location {
        &self.location
    }

    /// The test's database, opened and migrated.
    ///
    /// # Panics
    /// When it cannot be opened or migrated.
    #[must_use]
    #[expect(clippy::expect_used, reason = "a test helper fails loudly")]
    pub fn database(&self) -> Database {
        let db = Database::connect(&self.location, &DatabaseOptions::default()).expect("the test database opens");
        run_migrations(&mut db.conn().expect("a connection")).expect("migrations apply");
        db
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((cluster, name)) = &self.postgres {
            // FORCE ends the pool's connections that are still open.
            if let Ok(mut admin) = PgConnection::establish(cluster) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// `cluster` with its database replaced by `name`.
#[must_use]
pub fn with_database(cluster: &str, name: &str) -> String {
    let (scheme, rest) = cluster.split_once("://").unwrap_or(("postgres", cluster));
    let (authority, query) = match rest.split_once('/') {
        Some((authority, tail)) => (authority, tail.split_once('?').map(|(_, q)| q)),
        None => match rest.split_once('?') {
            Some((authority, q)) => (authority, Some(q)),
            None => (rest, None),
        },
    };
    query.map_or_else(|| format!("{scheme}://{authority}/{name}"), |q| format!("{scheme}://{authority}/{name}?{q}"))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_cluster_url_is_replaced() {
        assert_eq!(with_database("postgres://u@h:5/postgres", "t1"), "postgres://u@h:5/t1");
        assert_eq!(with_database("postgres://u@h:5", "t1"), "postgres://u@h:5/t1");
        assert_eq!(with_database("postgres://u@h:5/x?sslmode=disable", "t1"), "postgres://u@h:5/t1?sslmode=disable");
        assert_eq!(with_database("postgres://u@h:5?sslmode=disable", "t1"), "postgres://u@h:5/t1?sslmode=disable");
    }
}
