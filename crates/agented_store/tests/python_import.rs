//! Importing the Python Agented's database (the shared fixture, copied) into a
//! real SQLite file or PostgreSQL database, checked against the fixture's
//! manifest and read back through the repositories the server uses.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::{ExecutionRepository, LogStore};
use agented_kernel::{AccountId, BudgetId, ExecutionId, TriggerId};
use agented_orchestration::{AccountRepository, BudgetRepository};
use agented_store::python_import::{ImportError, ImportOptions, ImportReport, import};
use agented_store::testing::Scratch;
use agented_store::{Database, SqlAccounts, SqlBudgets, SqlExecutions, SqlTriggers, seed};
use agented_triggers::{FallbackEntry, TriggerRepository};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python-agented")
}

fn manifest() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("manifest.json")).unwrap()).unwrap()
}

/// A copy of the fixture in `dir` (the original is never opened).
fn copy_fixture(dir: &Path) -> PathBuf {
    let to = dir.join("python-agented.db");
    std::fs::copy(fixture_dir().join("agented-v010.db"), &to).unwrap();
    to
}

/// Just after the fixture's last run (11:24 in Seoul): schedules come out as the original had them.
fn after_the_last_run() -> DateTime<Utc> {
    "2026-12-06T02:24:00Z".parse().unwrap()
}

fn target(scratch: &Scratch) -> Database {
    let db = scratch.database();
    seed(&mut db.conn().unwrap()).unwrap();
    db
}

fn run(path: &Path, db: &Database, dry_run: bool) -> Result<ImportReport, ImportError> {
    import(path, db, &ImportOptions { dry_run, timezone: None }, after_the_last_run(), &|_| {})
}

fn seoul(local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    FixedOffset::east_opt(9 * 3600).unwrap().from_local_datetime(&naive).unwrap().with_timezone(&Utc)
}

#[derive(QueryableByName, PartialEq, Eq, Debug)]
struct Rows {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Rows in each table an import writes.
fn row_counts(db: &Database) -> Vec<i64> {
    let mut conn = db.conn().unwrap();
    [
        "triggers",
        "trigger_paths",
        "executions",
        "execution_logs",
        "accounts",
        "budgets",
        "client_settings",
        "agents",
        "mcp_servers",
        "pr_reviews",
    ]
    .iter()
    .map(|t| diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}")).get_result::<Rows>(&mut *conn).unwrap().n)
    .collect()
}

/// The original's stdout and stderr of one execution, from the copy.
fn original_logs(path: &Path, id: &str) -> (Option<String>, Option<String>) {
    #[derive(QueryableByName)]
    struct Logs {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        stdout_log: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        stderr_log: Option<String>,
    }
    let mut conn = SqliteConnection::establish(&format!("file:{}?mode=ro&immutable=1", path.display())).unwrap();
    let logs: Logs = diesel::sql_query("SELECT stdout_log, stderr_log FROM execution_logs WHERE execution_id = ?")
        .bind::<diesel::sql_types::Text, _>(id)
        .get_result(&mut conn)
        .unwrap();
    (logs.stdout_log, logs.stderr_log)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned).filter(|s| !s.is_empty())
}

#[tokio::test]
async fn the_fixture_imports_every_trigger_execution_account_budget_and_chain_as_the_manifest_lists() {
    let scratch = Scratch::new();
    let db = target(&scratch);
    let source = copy_fixture(scratch.path());
    let before = std::fs::read(&source).unwrap();
    let report = run(&source, &db, false).unwrap();
    let m = manifest();

    // The source is only read: unchanged, and no journal files beside it.
    assert_eq!(std::fs::read(&source).unwrap(), before);
    assert!(!scratch.path().join("python-agented.db-wal").exists());
    assert!(report.timezone.starts_with("UTC+09:00"), "{}", report.timezone);

    let triggers = SqlTriggers::new(db.clone());
    for t in m["triggers"].as_array().unwrap() {
        let id = TriggerId::parse(t["id"].as_str().unwrap()).unwrap();
        let got = triggers.get(&id).await.unwrap().unwrap_or_else(|| panic!("trigger {id} missing"));
        // A project's path that names a repository the trigger already has is the same path here.
        let repeated = report
            .skipped
            .iter()
            .filter(|s| s.source_table == "project_paths" && s.reason.ends_with(id.as_str()))
            .count();
        assert_eq!(
            triggers.paths(&id).await.unwrap().len() + repeated,
            t["path_count"].as_u64().unwrap() as usize,
            "{id} paths"
        );
        if id.as_str() == "bot-pr-review" {
            continue; // Agented predefines it too: its own was there first and stays as it is.
        }
        assert!(!got.is_predefined, "{id}: only Agented's own triggers are predefined here");
        let s = &got.settings;
        assert_eq!(s.name, t["name"].as_str().unwrap());
        assert_eq!(s.trigger_source.as_str(), t["trigger_source"].as_str().unwrap());
        assert_eq!(s.backend_type.as_str(), t["backend_type"].as_str().unwrap());
        assert_eq!(s.enabled, t["enabled"] == 1);
        assert_eq!(s.model, text(&t["model"]), "{id} model");
        assert_eq!(s.allowed_tools, text(&t["allowed_tools"]), "{id} allowed_tools");
        assert_eq!(i64::from(s.timeout_seconds.get()), t["timeout_seconds"].as_i64().unwrap_or(600), "{id} timeout");
        assert_eq!(s.webhook_secret.is_some(), t["has_webhook_secret"] == 1, "{id} secret");
        if s.trigger_source.as_str() == "webhook" {
            assert_eq!(s.match_field_path, text(&t["match_field_path"]));
            assert_eq!(s.match_field_value, text(&t["match_field_value"]));
            assert_eq!(s.detection_keyword, text(&t["detection_keyword"]));
        }
        if s.trigger_source.as_str() == "scheduled" {
            assert_eq!(s.schedule_type, text(&t["schedule_type"]));
            assert_eq!(s.schedule_time, text(&t["schedule_time"]));
            assert_eq!(s.schedule_day.map(i64::from), t["schedule_day"].as_i64());
            assert_eq!(s.schedule_timezone, text(&t["schedule_timezone"]));
            let next = DateTime::parse_from_rfc3339(t["next_run_at"].as_str().unwrap()).unwrap();
            assert_eq!(got.next_run_at, Some(next.with_timezone(&Utc)), "{id} next run");
        }
        if let Some(last) = t["last_run_at"].as_str() {
            assert_eq!(got.last_run_at, Some(DateTime::parse_from_rfc3339(last).unwrap().with_timezone(&Utc)));
        }
    }

    // The fallback chain, accounts under their mapped ids.
    let chained = triggers.get(&TriggerId::parse("trig-21exdw").unwrap()).await.unwrap().unwrap();
    let entry = |backend: &str, account: Option<&str>| FallbackEntry {
        backend_id: backend.into(),
        account_id: account.map(|a| AccountId::parse(a).unwrap()),
    };
    let chain = m["fallback_chains"].as_array().unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(
        chained.settings.fallback_chain,
        chain
            .iter()
            .map(|c| entry(
                &format!("backend-{}", c["backend_type"].as_str().unwrap()),
                c["account_id"].as_i64().map(|a| format!("acct-py{a}")).as_deref()
            ))
            .collect::<Vec<_>>()
    );

    let executions = SqlExecutions::new(db.clone());
    for e in m["executions"].as_array().unwrap() {
        let id = ExecutionId::parse(e["execution_id"].as_str().unwrap()).unwrap();
        let got = executions.get(&id).await.unwrap().unwrap_or_else(|| panic!("execution {id} missing"));
        assert_eq!(got.trigger_id.as_str(), e["trigger_id"].as_str().unwrap());
        assert_eq!(got.status.as_str(), e["status"].as_str().unwrap(), "{id}");
        assert_eq!(got.trigger_type.as_str(), e["trigger_type"].as_str().unwrap(), "{id}");
        assert_eq!(got.snapshot.backend_type.as_str(), e["backend_type"].as_str().unwrap());
        assert_eq!(got.exit_code.map(i64::from), e["exit_code"].as_i64(), "{id} exit code");
        assert_eq!(got.error_message, text(&e["error_message"]), "{id} error");
        assert_eq!(got.input_tokens, e["input_tokens"].as_i64(), "{id} input tokens");
        assert_eq!(got.output_tokens, e["output_tokens"].as_i64(), "{id} output tokens");
        assert_eq!(got.total_cost_usd, e["total_cost_usd"].as_f64(), "{id} cost");
        assert_eq!(got.account_id, e["account_id"].as_i64().map(|a| format!("acct-py{a}")), "{id} account");
        assert_eq!(got.duration_ms, e["duration_ms"].as_i64());
        assert_eq!(got.started_at, Some(seoul(e["started_at"].as_str().unwrap())), "{id} start");
        assert_eq!(got.finished_at, e["finished_at"].as_str().map(seoul), "{id} end");
        // Every log line, stdout's then stderr's, in order and word for word.
        let lines = executions.read_after(&id, 0, 10_000).await.unwrap();
        let (out, err) = original_logs(&source, id.as_str());
        let expected: Vec<(&str, String)> = out
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(|l| ("stdout", l.to_owned()))
            .chain(err.as_deref().unwrap_or_default().lines().map(|l| ("stderr", l.to_owned())))
            .collect();
        assert_eq!(
            lines.len() as u64,
            e["stdout_lines"].as_u64().unwrap() + e["stderr_lines"].as_u64().unwrap(),
            "{id} log lines"
        );
        let got_lines: Vec<(&str, String)> = lines
            .iter()
            .map(|l| {
                (if l.stream == agented_executions::LogStream::Stdout { "stdout" } else { "stderr" }, l.content.clone())
            })
            .collect();
        assert_eq!(got_lines, expected, "{id} log");
        assert_eq!(got.log_lines, lines.len() as i64);
    }

    let accounts = SqlAccounts::new(db.clone());
    for a in m["backend_accounts"].as_array().unwrap() {
        let id = AccountId::parse(&format!("acct-py{}", a["id"])).unwrap();
        let got = accounts.get(&id).await.unwrap().unwrap_or_else(|| panic!("account {id} missing"));
        assert_eq!(got.backend_id, a["backend_id"].as_str().unwrap());
        assert_eq!(got.name, a["account_name"].as_str().unwrap());
        assert_eq!(got.is_default, a["is_default"] == 1);
        assert_eq!(got.plan, text(&a["plan"]));
        assert_eq!(got.api_key_env, text(&a["api_key_env"]));
        assert_eq!(got.config_dir, text(&a["config_path"]));
        assert_eq!(got.rate_limited_until, a["rate_limited_until"].as_str().map(seoul));
        assert_eq!(got.rate_limit_reason, text(&a["rate_limit_reason"]));
        let original = a["id"].as_i64().unwrap().to_string();
        assert!(report.id_map.iter().any(|c| c.from == original && c.to == id.as_str()));
    }

    // Trigger budgets come along; agent and team budgets have no counterpart and are reported.
    let budgets = SqlBudgets::new(db.clone());
    for b in m["budget_limits"].as_array().unwrap() {
        let id = BudgetId::parse(&format!("budget-py{}", b["id"])).unwrap();
        let got = budgets.get(&id).await.unwrap();
        if b["entity_type"] == "trigger" {
            let got = got.unwrap_or_else(|| panic!("budget {id} missing"));
            assert_eq!(got.entity_id.as_deref(), b["entity_id"].as_str());
            assert_eq!(got.period.as_str(), b["period"].as_str().unwrap());
            assert_eq!(got.soft_limit_usd, b["soft_limit_usd"].as_f64());
            assert_eq!(got.hard_limit_usd, b["hard_limit_usd"].as_f64());
        } else {
            assert!(got.is_none());
            let original = b["id"].as_i64().unwrap().to_string();
            let skipped = report.skipped.iter().find(|s| s.source_table == "budget_limits" && s.id == original);
            assert!(skipped.unwrap().reason.contains("no counterpart"), "{skipped:?}");
        }
    }

    // Nothing dropped silently: every other table with rows is named with a reason.
    for (table, rows) in m["row_counts"].as_object().unwrap() {
        let handled = [
            "triggers",
            "project_paths",
            "fallback_chains",
            "execution_logs",
            "backend_accounts",
            "budget_limits",
            "settings",
            "agents",
            "mcp_servers",
            "pr_reviews",
            "teams",
            "team_members",
            "workflows",
            "workflow_versions",
        ];
        if rows.as_i64().unwrap() > 0
            && !handled.contains(&table.as_str())
            && table != "schema_version"
            && table != "sqlite_sequence"
        {
            let entry = report.not_imported.iter().find(|n| &n.source_table == table);
            assert_eq!(entry.map(|n| n.rows), rows.as_i64(), "{table} not reported");
        }
    }
    // Agents, the original's own MCP servers (not its presets) and tracked pull requests.
    let agents = agented_store::SqlAgents::new(db.clone());
    for a in m["agents"].as_array().unwrap() {
        let id = agented_kernel::AgentId::parse(a["id"].as_str().unwrap()).unwrap();
        let got = agented_workflows::AgentRepository::get(&agents, &id).await.unwrap().unwrap();
        assert_eq!(got.fields.name, a["name"].as_str().unwrap());
        assert_eq!(got.fields.role, a["role"].as_str().unwrap());
        assert_eq!(got.fields.backend_type.as_str(), a["backend_type"].as_str().unwrap());
        let goals: Vec<String> = serde_json::from_str(a["goals"].as_str().unwrap()).unwrap();
        assert_eq!(got.fields.goals, goals);
    }
    let servers = agented_store::SqlMcpServers::new(db.clone());
    for s in m["mcp_servers"].as_array().unwrap() {
        let id = agented_kernel::McpServerId::parse(s["id"].as_str().unwrap()).unwrap();
        let got = agented_tooling::McpServerRepository::get(&servers, &id).await.unwrap();
        if s["is_preset"] == 1 {
            assert!(got.is_none(), "{id}: presets are Agented's own");
            let skipped = report.skipped.iter().find(|k| k.id == id.as_str()).unwrap();
            assert!(skipped.reason.contains("preset"), "{}", skipped.reason);
        } else {
            let got = got.unwrap_or_else(|| panic!("MCP server {id} missing"));
            assert_eq!(
                (got.name.as_str(), got.server_type.as_str()),
                (s["name"].as_str().unwrap(), s["server_type"].as_str().unwrap())
            );
        }
    }
    let internal =
        agented_tooling::McpServerRepository::get(&servers, &agented_kernel::McpServerId::parse("mcp-ix5fte").unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(internal.env.get("DOCS_TOKEN").map(String::as_str), Some("${DOCS_TOKEN}"));
    let reviews = agented_store::SqlPrReviews::new(db.clone());
    for r in m["pr_reviews"].as_array().unwrap() {
        let got = agented_executions::pr_reviews::PrReviewRepository::get(&reviews, r["id"].as_i64().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.pr_url, r["pr_url"].as_str().unwrap());
        assert_eq!(got.review_status.as_str(), r["review_status"].as_str().unwrap());
        assert_eq!(got.review_comment, text(&r["review_comment"]));
    }

    // Teams with their agent members (the person among them is named in a warning), and
    // workflows with every version.
    let teams = agented_store::SqlTeams::new(db.clone());
    for t in m["teams"].as_array().unwrap() {
        let id = agented_kernel::TeamId::parse(t["id"].as_str().unwrap()).unwrap();
        let got = agented_workflows::TeamRepository::get(&teams, &id).await.unwrap().unwrap();
        assert_eq!(got.fields.name, t["name"].as_str().unwrap());
        assert_eq!(got.fields.topology.name(), t["topology"].as_str().unwrap());
        assert_eq!(got.fields.leader_id.as_ref().map(|l| l.as_str()), t["leader_id"].as_str());
        let agents: Vec<&str> =
            t["members"].as_array().unwrap().iter().filter_map(|m| m["agent_id"].as_str()).collect();
        let got_agents: Vec<&str> = got.members.iter().map(|m| m.agent_id.as_str()).collect();
        assert_eq!(got_agents, agents);
        for person in t["members"].as_array().unwrap().iter().filter(|m| m["agent_id"].is_null()) {
            let name = person["name"].as_str().unwrap();
            assert!(report.warnings.iter().any(|w| w.message.contains(name)), "{name} left out silently");
        }
    }
    let workflows = agented_store::SqlWorkflows::new(db.clone());
    for w in m["workflows"].as_array().unwrap() {
        let id = agented_kernel::WorkflowId::parse(w["id"].as_str().unwrap()).unwrap();
        let got = agented_workflows::WorkflowRepository::get(&workflows, &id).await.unwrap().unwrap();
        assert_eq!(got.fields.name, w["name"].as_str().unwrap());
        let versions = agented_workflows::WorkflowRepository::versions(&workflows, &id).await.unwrap();
        assert_eq!(versions.len(), w["versions"].as_array().unwrap().len());
        assert_eq!(got.published_version, Some(2));
        let second = versions.iter().find(|v| v.version == 2).unwrap();
        assert_eq!(second.graph.nodes.len(), 4, "every node of version 2");
    }

    // Settings: every key with its value.
    let settings = agented_store::SqlSettings::new(db.clone());
    for s in m["settings"].as_array().unwrap() {
        let key = agented_settings::SettingKey::parse(s["key"].as_str().unwrap()).unwrap();
        let got = agented_settings::SettingsRepository::get(&settings, &key).await.unwrap().unwrap();
        assert_eq!(got.value.as_str(), s["value"].as_str().unwrap());
    }
    let text = report.to_text();
    assert!(text.contains("budget_limits 1:"), "{text}");
    assert!(text.contains("backend_accounts 1 -> acct-py1"), "{text}");
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_a_second_import_changes_nothing() {
    let scratch = Scratch::new();
    let db = target(&scratch);
    let source = copy_fixture(scratch.path());
    let empty = row_counts(&db);

    let dry = run(&source, &db, true).unwrap();
    assert!(dry.dry_run);
    assert_eq!(row_counts(&db), empty, "a dry run wrote");
    assert!(dry.imported() > 0);

    let first = run(&source, &db, false).unwrap();
    let after_first = row_counts(&db);
    assert_ne!(after_first, empty);
    // The dry run counted exactly what the import then did.
    assert_eq!(dry.tables, first.tables);

    let second = run(&source, &db, false).unwrap();
    assert_eq!(row_counts(&db), after_first, "a second import wrote");
    assert_eq!(second.imported(), 0);
    for (a, b) in first.tables.iter().zip(&second.tables) {
        assert_eq!(b.already_present, a.imported + a.already_present, "{}", a.source_table);
        assert_eq!(b.skipped, a.skipped, "{}", a.source_table);
    }
}

#[tokio::test]
async fn a_corrupt_file_a_foreign_database_and_another_schema_version_are_refused_before_any_write() {
    let scratch = Scratch::new();
    let db = target(&scratch);
    let empty = row_counts(&db);
    let dir = scratch.path();

    let missing = run(&dir.join("nowhere.db"), &db, false).unwrap_err();
    assert!(matches!(missing, ImportError::Unreadable(_)), "{missing}");
    assert!(missing.to_string().contains("no such file"), "{missing}");

    let corrupt = dir.join("corrupt.db");
    let mut bytes = std::fs::read(fixture_dir().join("agented-v010.db")).unwrap();
    bytes[..100].fill(0x5a); // the header
    std::fs::write(&corrupt, &bytes).unwrap();
    let err = run(&corrupt, &db, false).unwrap_err();
    assert!(matches!(err, ImportError::Unreadable(_)), "{err}");
    assert!(err.to_string().contains("not a database"), "{err}");

    let foreign = dir.join("foreign.db");
    SqliteConnection::establish(foreign.to_str().unwrap())
        .unwrap()
        .batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x');")
        .unwrap();
    let err = run(&foreign, &db, false).unwrap_err();
    assert!(matches!(err, ImportError::NotAgented(_)), "{err}");
    assert!(err.to_string().contains("has no schema_version, triggers"), "{err}");

    let newer = copy_fixture(dir);
    SqliteConnection::establish(newer.to_str().unwrap())
        .unwrap()
        .batch_execute(
            "PRAGMA journal_mode = DELETE; INSERT INTO schema_version (version, name) VALUES (56, 'from the future');",
        )
        .unwrap();
    let err = run(&newer, &db, false).unwrap_err();
    assert!(matches!(err, ImportError::Schema { found: 56, expected: 55 }), "{err}");
    assert!(err.to_string().contains("schema version 56"), "{err}");

    assert_eq!(row_counts(&db), empty);
}
