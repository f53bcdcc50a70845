//! Reading the Python Agented's database: opened read-only and immutable (the
//! file is never changed, and no `-wal`/`-shm` appears beside it), checked to
//! be the schema this importer knows, then read whole into plain rows.

use super::ImportError;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use std::path::Path;

/// The schema version of Python Agented v0.1.0, the one this importer reads.
pub const SCHEMA_VERSION: i64 = 55;

/// Tables read row by row; every other table is only counted.
pub const READ_TABLES: [&str; 14] = [
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

/// `triggers`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyTrigger {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub group_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub detection_keyword: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub prompt_template: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub backend_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub trigger_source: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub match_field_path: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub match_field_value: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub text_field_path: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub is_predefined: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enabled: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub auto_resolve: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub schedule_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub schedule_time: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub schedule_day: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub schedule_timezone: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_run_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub skill_command: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub model: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub execution_mode: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub team_id: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub timeout_seconds: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub webhook_secret: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub allowed_tools: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sigterm_grace_seconds: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `project_paths`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyPath {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub trigger_id: String,
    #[diesel(sql_type = Text)]
    pub local_project_path: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub path_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub github_repo_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `fallback_chains`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyChainEntry {
    #[diesel(sql_type = Text)]
    pub entity_type: String,
    #[diesel(sql_type = Text)]
    pub entity_id: String,
    #[diesel(sql_type = Text)]
    pub backend_type: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub account_id: Option<i64>,
}

/// `execution_logs`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyExecution {
    #[diesel(sql_type = Text)]
    pub execution_id: String,
    #[diesel(sql_type = Text)]
    pub trigger_id: String,
    #[diesel(sql_type = Text)]
    pub trigger_type: String,
    #[diesel(sql_type = Text)]
    pub started_at: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub finished_at: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub duration_ms: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub prompt: Option<String>,
    #[diesel(sql_type = Text)]
    pub backend_type: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub command: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub exit_code: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub error_message: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub stdout_log: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub stderr_log: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub trigger_config_snapshot: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub account_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub input_tokens: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub output_tokens: Option<i64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub total_cost_usd: Option<f64>,
}

/// `backend_accounts`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyAccount {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub backend_id: String,
    #[diesel(sql_type = Text)]
    pub account_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub config_path: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub api_key_env: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub is_default: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub plan: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub usage_data: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rate_limited_until: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rate_limit_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `budget_limits`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyBudget {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub entity_type: String,
    #[diesel(sql_type = Text)]
    pub entity_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub period: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub soft_limit_usd: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub hard_limit_usd: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `settings`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PySetting {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub value: Option<String>,
}

/// `agents`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyAgent {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub role: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub goals: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub context: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub backend_type: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enabled: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub skills: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub documents: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub system_prompt: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub model: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub allowed_tools: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `mcp_servers`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyMcpServer {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub server_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub command: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub args: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub env_json: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enabled: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub headers_json: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub timeout_ms: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub is_preset: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub documentation_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub npm_package: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `pr_reviews`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyPrReview {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub trigger_id: String,
    #[diesel(sql_type = Text)]
    pub project_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub github_repo_url: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub pr_number: i64,
    #[diesel(sql_type = Text)]
    pub pr_url: String,
    #[diesel(sql_type = Text)]
    pub pr_title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub pr_author: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub pr_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub review_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub review_comment: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub fixes_applied: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub fix_comment: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub updated_at: Option<String>,
}

/// `teams`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyTeam {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub leader_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub topology: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub topology_config: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enabled: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `team_members`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyTeamMember {
    #[diesel(sql_type = Text)]
    pub team_id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub role: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub agent_id: Option<String>,
}

/// `workflows`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyWorkflow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enabled: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// `workflow_versions`.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyWorkflowVersion {
    #[diesel(sql_type = Text)]
    pub workflow_id: String,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Text)]
    pub graph_json: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub is_draft: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
}

/// A pair of times that show the server's UTC offset: a run's naive local end
/// and the UTC time its usage was recorded.
#[derive(Debug, Clone, QueryableByName)]
pub struct PyClockPair {
    #[diesel(sql_type = Text)]
    pub local: String,
    #[diesel(sql_type = Text)]
    pub utc: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Nullable<BigInt>)]
    version: Option<i64>,
}

/// Everything read from the source.
#[derive(Debug, Clone, Default)]
pub struct PySource {
    /// `schema_version`'s highest version.
    pub schema_version: i64,
    /// Every table and its row count, by name.
    pub row_counts: Vec<(String, i64)>,
    pub triggers: Vec<PyTrigger>,
    pub paths: Vec<PyPath>,
    pub chains: Vec<PyChainEntry>,
    pub executions: Vec<PyExecution>,
    pub accounts: Vec<PyAccount>,
    pub budgets: Vec<PyBudget>,
    pub settings: Vec<PySetting>,
    pub agents: Vec<PyAgent>,
    pub mcp_servers: Vec<PyMcpServer>,
    pub pr_reviews: Vec<PyPrReview>,
    pub teams: Vec<PyTeam>,
    pub team_members: Vec<PyTeamMember>,
    pub workflows: Vec<PyWorkflow>,
    pub workflow_versions: Vec<PyWorkflowVersion>,
    /// Pairs for inferring the server's UTC offset.
    pub clock_pairs: Vec<PyClockPair>,
}

/// `path` as a read-only, immutable SQLite URI (reserved characters escaped).
fn uri(path: &Path) -> String {
    let mut out = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

/// Opens and reads the database at `path`.
///
/// # Errors
/// [`ImportError::Unreadable`] for a missing file or one that is not SQLite,
/// [`ImportError::NotAgented`] for a SQLite file without the original's
/// tables, [`ImportError::Schema`] for another schema version.
pub fn read(path: &Path) -> Result<PySource, ImportError> {
    if !path.is_file() {
        return Err(ImportError::Unreadable(format!("{}: no such file", path.display())));
    }
    let unreadable = |e: &dyn std::fmt::Display| ImportError::Unreadable(format!("{}: {e}", path.display()));
    let mut conn = SqliteConnection::establish(&uri(path)).map_err(|e| unreadable(&e))?;
    conn.batch_execute("PRAGMA query_only = ON").map_err(|e| unreadable(&e))?;
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load(&mut conn)
    .map_err(|e| unreadable(&e))?;
    let names: Vec<String> = tables.into_iter().map(|t| t.name).collect();
    let missing: Vec<&str> = ["schema_version"]
        .iter()
        .chain(READ_TABLES.iter())
        .copied()
        .filter(|t| !names.iter().any(|n| n == t))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::NotAgented(format!(
            "{} has no {} table{}",
            path.display(),
            missing.join(", "),
            if missing.len() > 1 { "s" } else { "" }
        )));
    }
    let version: Version = diesel::sql_query("SELECT MAX(version) AS version FROM schema_version")
        .get_result(&mut conn)
        .map_err(|e| unreadable(&e))?;
    let found = version.version.unwrap_or(0);
    if found != SCHEMA_VERSION {
        return Err(ImportError::Schema { found, expected: SCHEMA_VERSION });
    }
    let broken = |table: &str, e: diesel::result::Error| {
        ImportError::Unreadable(format!(
            "{}: table {table} cannot be read as Python Agented v0.1.0 writes it: {e}",
            path.display()
        ))
    };
    let mut row_counts = Vec::new();
    for name in &names {
        let count: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM \"{}\"", name.replace('"', "\"\"")))
            .get_result(&mut conn)
            .map_err(|e| broken(name, e))?;
        row_counts.push((name.clone(), count.n));
    }
    macro_rules! rows {
        ($table:literal, $sql:literal) => {
            diesel::sql_query($sql).load(&mut conn).map_err(|e| broken($table, e))?
        };
    }
    Ok(PySource {
        schema_version: found,
        row_counts,
        triggers: rows!(
            "triggers",
            "SELECT id, name, group_id, detection_keyword, prompt_template, backend_type, \
            trigger_source, match_field_path, match_field_value, text_field_path, is_predefined, enabled, auto_resolve, \
            schedule_type, schedule_time, schedule_day, schedule_timezone, last_run_at, skill_command, model, \
            execution_mode, team_id, timeout_seconds, webhook_secret, allowed_tools, sigterm_grace_seconds, created_at \
            FROM triggers ORDER BY is_predefined DESC, created_at, id"
        ),
        paths: rows!(
            "project_paths",
            "SELECT id, trigger_id, local_project_path, path_type, github_repo_url, created_at \
            FROM project_paths ORDER BY id"
        ),
        chains: rows!(
            "fallback_chains",
            "SELECT entity_type, entity_id, backend_type, account_id \
            FROM fallback_chains ORDER BY entity_type, entity_id, chain_order"
        ),
        executions: rows!(
            "execution_logs",
            "SELECT execution_id, trigger_id, trigger_type, started_at, finished_at, \
            duration_ms, prompt, backend_type, command, status, exit_code, error_message, stdout_log, stderr_log, \
            trigger_config_snapshot, account_id, input_tokens, output_tokens, total_cost_usd \
            FROM execution_logs ORDER BY id"
        ),
        accounts: rows!(
            "backend_accounts",
            "SELECT id, backend_id, account_name, email, config_path, api_key_env, \
            is_default, plan, usage_data, rate_limited_until, rate_limit_reason, created_at \
            FROM backend_accounts ORDER BY id"
        ),
        budgets: rows!(
            "budget_limits",
            "SELECT id, entity_type, entity_id, period, soft_limit_usd, hard_limit_usd, \
            created_at FROM budget_limits ORDER BY id"
        ),
        settings: rows!("settings", "SELECT key, value FROM settings ORDER BY key"),
        agents: rows!(
            "agents",
            "SELECT id, name, description, role, goals, context, backend_type, enabled, skills, \
            documents, system_prompt, model, allowed_tools, created_at FROM agents ORDER BY created_at, id"
        ),
        mcp_servers: rows!(
            "mcp_servers",
            "SELECT id, name, description, server_type, command, args, env_json, url, \
            enabled, display_name, category, headers_json, timeout_ms, is_preset, documentation_url, npm_package, \
            created_at FROM mcp_servers ORDER BY created_at, id"
        ),
        pr_reviews: rows!(
            "pr_reviews",
            "SELECT id, trigger_id, project_name, github_repo_url, pr_number, pr_url, \
            pr_title, pr_author, pr_status, review_status, review_comment, fixes_applied, fix_comment, created_at, \
            updated_at FROM pr_reviews ORDER BY id"
        ),
        teams: rows!(
            "teams",
            "SELECT id, name, description, leader_id, topology, topology_config, enabled, created_at \
            FROM teams ORDER BY created_at, id"
        ),
        team_members: rows!("team_members", "SELECT team_id, name, role, agent_id FROM team_members ORDER BY id"),
        workflows: rows!(
            "workflows",
            "SELECT id, name, description, enabled, created_at FROM workflows ORDER BY created_at, id"
        ),
        workflow_versions: rows!(
            "workflow_versions",
            "SELECT workflow_id, version, graph_json, is_draft, created_at FROM workflow_versions \
            ORDER BY workflow_id, version"
        ),
        clock_pairs: if names.iter().any(|n| n == "token_usage") {
            rows!(
                "token_usage",
                "SELECT e.finished_at AS local, t.recorded_at AS utc FROM execution_logs e \
                JOIN token_usage t ON t.execution_id = e.execution_id \
                WHERE e.finished_at LIKE '____-__-__T%' AND t.recorded_at IS NOT NULL"
            )
        } else {
            Vec::new()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_becomes_a_read_only_uri_with_its_reserved_characters_escaped() {
        assert_eq!(uri(Path::new("/tmp/a b/x?.db")), "file:/tmp/a%20b/x%3F.db?mode=ro&immutable=1");
        assert_eq!(uri(Path::new("/srv/agented-v010.db")), "file:/srv/agented-v010.db?mode=ro&immutable=1");
    }
}
