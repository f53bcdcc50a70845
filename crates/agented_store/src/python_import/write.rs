//! Writing an import in one transaction, table by table, parents first. Each
//! row is checked against what is already here (same id: left as it is; same
//! name under another id: skipped), so the outcome is the same however often
//! it runs.

use super::plan::{self, Zone};
use super::source::{PySource, READ_TABLES};
use crate::database::AnyConnection;
use crate::schema::{accounts, backends, budgets, client_settings, execution_logs, executions, mcp_servers, triggers};
use crate::{StoreError, per_backend};
use agented_migration::{IdChange, ImportProgress, ImportReport, NotImported, RowOutcome};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};

/// Rows per log insert.
const LOG_BATCH: usize = 500;

/// Tables written, in order (each one step of the progress).
pub(super) const STEPS: usize = 11;

/// Ends the transaction: a dry run's report, or a failure.
enum Abort {
    DryRun,
    Store(StoreError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Writes `source` (rolled back when `dry_run`), filling `report`.
pub(super) fn write(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    dry_run: bool,
    report: &mut ImportReport,
    progress: &dyn Fn(ImportProgress),
) -> Result<(), StoreError> {
    let step = |done: usize, table: &str| {
        progress(ImportProgress { step: table.into(), done, total: STEPS + 1 });
    };
    let outcome = crate::database::write(conn, |conn| {
        step(1, "backend_accounts");
        let accounts = write_accounts(conn, source, zone, now, report)?;
        step(2, "triggers");
        let known = write_triggers(conn, source, zone, now, &accounts, report)?;
        step(3, "project_paths");
        write_paths(conn, source, zone, &known, now, report)?;
        step(4, "execution_logs");
        write_executions(conn, source, zone, &known, &accounts, report)?;
        step(5, "budget_limits");
        write_budgets(conn, source, zone, now, &known, report)?;
        step(6, "settings");
        write_settings(conn, source, now, report)?;
        step(7, "agents");
        write_agents(conn, source, zone, now, report)?;
        step(8, "mcp_servers");
        write_mcp_servers(conn, source, zone, now, report)?;
        step(9, "pr_reviews");
        write_pr_reviews(conn, source, zone, now, &known, report)?;
        step(10, "workflows");
        write_workflows(conn, source, zone, now, report)?;
        step(11, "teams");
        write_teams(conn, source, zone, now, report)?;
        if dry_run { Err(Abort::DryRun) } else { Ok(()) }
    });
    match outcome {
        Ok(()) | Err(Abort::DryRun) => Ok(()),
        Err(Abort::Store(e)) => Err(e),
    }
}

/// `Written` when `inserted` rows went in (with `warnings`), else `Present`.
fn landed(inserted: usize, warnings: Vec<String>) -> RowOutcome {
    if inserted > 0 { RowOutcome::Written(warnings) } else { RowOutcome::Present }
}

/// "Its trigger was not imported" unless `trigger` is here.
fn with_trigger(known: &HashSet<String>, trigger: &str) -> Result<(), String> {
    if known.contains(trigger) { Ok(()) } else { Err(format!("its trigger {trigger} was not imported")) }
}

/// Accounts; answers the ids of those here afterwards.
fn write_accounts(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<Vec<String>, Abort> {
    const TABLE: &str = "backend_accounts";
    let i = report.begin(TABLE, "accounts", source.accounts.len());
    let backend_ids: HashSet<String> = backends::table.select(backends::id).load(conn)?.into_iter().collect();
    let existing: Vec<(String, String, String, bool)> = accounts::table
        .select((accounts::id, accounts::backend_id, accounts::name, accounts::is_default))
        .load(conn)?;
    let mut here: Vec<String> = existing.iter().map(|a| a.0.clone()).collect();
    let mut names: HashSet<(String, String)> = existing.iter().map(|a| (a.1.clone(), a.2.clone())).collect();
    let mut defaults: HashSet<String> = existing.iter().filter(|a| a.3).map(|a| a.1.clone()).collect();
    for py in &source.accounts {
        let id = plan::account_id(py.id);
        report.id_map.push(IdChange { source_table: TABLE.into(), from: py.id.to_string(), to: id.clone() });
        let outcome = if here.contains(&id) {
            RowOutcome::Present
        } else {
            match plan::account(py, zone, now) {
                Err(reason) => RowOutcome::Skipped(reason),
                Ok((row, _)) if !backend_ids.contains(&row.backend_id) => {
                    RowOutcome::Skipped(format!("no backend {} here", row.backend_id))
                }
                Ok((row, _)) if !names.insert((row.backend_id.clone(), row.name.clone())) => {
                    RowOutcome::Skipped(format!("{} already has an account named '{}'", row.backend_id, row.name))
                }
                Ok((mut row, mut warnings)) => {
                    if row.is_default && !defaults.insert(row.backend_id.clone()) {
                        row.is_default = false;
                        warnings.push(format!("imported as not default: {} has a default account", row.backend_id));
                    }
                    diesel::insert_into(accounts::table).values(&row).execute(conn)?;
                    here.push(id);
                    RowOutcome::Written(warnings)
                }
            }
        };
        report.record(i, &py.id.to_string(), outcome);
    }
    Ok(here)
}

/// Triggers; answers the ids of those here afterwards.
fn write_triggers(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    accounts: &[String],
    report: &mut ImportReport,
) -> Result<HashSet<String>, Abort> {
    let i = report.begin("triggers", "triggers", source.triggers.len());
    let existing: Vec<(String, String)> = triggers::table.select((triggers::id, triggers::name)).load(conn)?;
    let mut known: HashSet<String> = existing.iter().map(|t| t.0.clone()).collect();
    let mut names: HashMap<String, String> = existing.into_iter().map(|(id, name)| (name, id)).collect();
    let mut chains = plan::chains(&source.chains);
    for py in &source.triggers {
        if known.contains(&py.id) {
            report.record(i, &py.id, RowOutcome::Present);
            continue;
        }
        let (chain, dropped): (Vec<_>, Vec<_>) = chains
            .remove(&py.id)
            .unwrap_or_default()
            .into_iter()
            .partition(|e| e.account_id.as_ref().is_none_or(|a| accounts.iter().any(|x| x == a.as_str())));
        let outcome = match plan::trigger(py, chain, zone, now) {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok(p) => match names.get(&p.trigger.settings.name) {
                Some(other) => RowOutcome::Skipped(format!(
                    "a trigger named '{}' already exists here ({other})",
                    p.trigger.settings.name
                )),
                None => {
                    crate::triggers::insert_kept(conn, &p.trigger)?;
                    names.insert(p.trigger.settings.name.clone(), py.id.clone());
                    known.insert(py.id.clone());
                    let lost = dropped
                        .iter()
                        .map(|e| format!("fallback entry {} left out: its account was not imported", e.backend_id));
                    RowOutcome::Written(p.warnings.into_iter().chain(lost).collect())
                }
            },
        };
        report.record(i, &py.id, outcome);
    }
    Ok(known)
}

fn write_paths(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    known: &HashSet<String>,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("project_paths", "trigger_paths", source.paths.len());
    let mut seen = HashSet::new();
    for py in &source.paths {
        let outcome = match with_trigger(known, &py.trigger_id).and_then(|()| plan::path(py)) {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok((path, _)) if !seen.insert((py.trigger_id.clone(), path.as_str().to_owned())) => {
                RowOutcome::Skipped(format!("{} is already a path of {}", path.as_str(), py.trigger_id))
            }
            Ok((path, note)) => {
                let at = py.created_at.as_deref().and_then(|t| plan::time(t, zone)).unwrap_or(now);
                landed(
                    crate::triggers::insert_path(conn, &py.trigger_id, &path, at.naive_utc())?,
                    note.into_iter().collect(),
                )
            }
        };
        report.record(i, &py.id.to_string(), outcome);
    }
    Ok(())
}

fn write_executions(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    known: &HashSet<String>,
    accounts: &[String],
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("execution_logs", "executions", source.executions.len());
    for py in &source.executions {
        let outcome = match with_trigger(known, &py.trigger_id).and_then(|()| plan::execution(py, zone, accounts)) {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok(p) => {
                let inserted = per_backend!(&mut *conn, |c| diesel::insert_into(executions::table)
                    .values(&p.row)
                    .on_conflict_do_nothing()
                    .execute(c))?;
                if inserted > 0 {
                    for chunk in p.logs.chunks(LOG_BATCH) {
                        per_backend!(&mut *conn, |c| diesel::insert_into(execution_logs::table)
                            .values(chunk)
                            .execute(c))?;
                    }
                }
                landed(inserted, p.warnings)
            }
        };
        report.record(i, &py.execution_id, outcome);
    }
    Ok(())
}

fn write_budgets(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    known: &HashSet<String>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    const TABLE: &str = "budget_limits";
    let i = report.begin(TABLE, "budgets", source.budgets.len());
    let existing: Vec<(String, String, Option<String>, String)> =
        budgets::table.select((budgets::id, budgets::scope, budgets::entity_id, budgets::period)).load(conn)?;
    let ids: HashSet<String> = existing.iter().map(|b| b.0.clone()).collect();
    let mut scopes: HashSet<(String, Option<String>, String)> =
        existing.into_iter().map(|(_, s, e, p)| (s, e, p)).collect();
    for py in &source.budgets {
        let id = plan::budget_id(py.id);
        report.id_map.push(IdChange { source_table: TABLE.into(), from: py.id.to_string(), to: id.clone() });
        let outcome = if ids.contains(&id) {
            RowOutcome::Present
        } else {
            match plan::budget(py, zone, now).and_then(|row| with_trigger(known, &py.entity_id).map(|()| row)) {
                Err(reason) => RowOutcome::Skipped(reason),
                Ok(row) if !scopes.insert((row.scope.clone(), row.entity_id.clone(), row.period.clone())) => {
                    RowOutcome::Skipped(format!(
                        "a {} budget of trigger {} already exists here",
                        row.period, py.entity_id
                    ))
                }
                Ok(row) => {
                    diesel::insert_into(budgets::table).values(&row).execute(conn)?;
                    RowOutcome::Written(Vec::new())
                }
            }
        };
        report.record(i, &py.id.to_string(), outcome);
    }
    Ok(())
}

/// Settings, unless a client here has set the key already.
fn write_settings(
    conn: &mut AnyConnection,
    source: &PySource,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("settings", "client_settings", source.settings.len());
    for py in &source.settings {
        let checked = agented_settings::SettingKey::parse(&py.key).map_err(|e| format!("key {e}")).and_then(|key| {
            agented_settings::SettingValue::parse(py.value.clone().unwrap_or_default())
                .map(|value| (key, value))
                .map_err(|e| format!("value {e}"))
        });
        let outcome = match checked {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok((key, value)) => {
                let row = crate::client_settings::SettingRow {
                    key: key.as_str().to_owned(),
                    value: value.as_str().to_owned(),
                    updated_at: now.naive_utc(),
                };
                landed(
                    per_backend!(&mut *conn, |c| diesel::insert_into(client_settings::table)
                        .values(&row)
                        .on_conflict_do_nothing()
                        .execute(c))?,
                    Vec::new(),
                )
            }
        };
        report.record(i, &py.key, outcome);
    }
    Ok(())
}

fn write_agents(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("agents", "agents", source.agents.len());
    for py in &source.agents {
        let outcome = match plan::agent(py, zone, now) {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok(agent) => landed(crate::agents::insert_kept(conn, &agent)?, Vec::new()),
        };
        report.record(i, &py.id, outcome);
    }
    Ok(())
}

fn write_mcp_servers(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("mcp_servers", "mcp_servers", source.mcp_servers.len());
    let existing: Vec<(String, String)> = mcp_servers::table.select((mcp_servers::id, mcp_servers::name)).load(conn)?;
    for py in &source.mcp_servers {
        let outcome = if existing.iter().any(|(id, _)| id == &py.id) {
            RowOutcome::Present
        } else {
            match plan::mcp_server(py, zone, now) {
                Err(reason) => RowOutcome::Skipped(reason),
                Ok(server) => match existing.iter().find(|(_, name)| name == &server.name) {
                    Some((other, _)) => RowOutcome::Skipped(format!(
                        "an MCP server named '{}' already exists here ({other})",
                        server.name
                    )),
                    None => landed(crate::mcp_servers::insert_kept(conn, &server)?, Vec::new()),
                },
            }
        };
        report.record(i, &py.id, outcome);
    }
    Ok(())
}

fn write_pr_reviews(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    known: &HashSet<String>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("pr_reviews", "pr_reviews", source.pr_reviews.len());
    for py in &source.pr_reviews {
        let outcome = match with_trigger(known, &py.trigger_id).and_then(|()| plan::pr_review(py, zone, now)) {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok(review) => landed(crate::pr_reviews::insert_kept(conn, &review)?, Vec::new()),
        };
        report.record(i, &py.id.to_string(), outcome);
    }
    Ok(())
}

fn write_workflows(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("workflows", "workflows", source.workflows.len());
    for py in &source.workflows {
        let versions: Vec<_> = source.workflow_versions.iter().filter(|v| v.workflow_id == py.id).collect();
        let outcome = match plan::workflow(py, &versions, zone, now) {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok(p) => landed(crate::workflows::insert_kept(conn, &p.workflow, &p.versions)?, Vec::new()),
        };
        report.record(i, &py.id, outcome);
    }
    Ok(())
}

fn write_teams(
    conn: &mut AnyConnection,
    source: &PySource,
    zone: Zone,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), Abort> {
    let i = report.begin("teams", "teams", source.teams.len());
    let agents: Vec<String> = crate::schema::agents::table.select(crate::schema::agents::id).load(conn)?;
    for py in &source.teams {
        let members: Vec<_> = source.team_members.iter().filter(|m| m.team_id == py.id).collect();
        let outcome = match plan::team(py, &members, &agents, zone, now) {
            Err(reason) => RowOutcome::Skipped(reason),
            Ok((team, warnings)) => landed(crate::teams::insert_kept(conn, &team)?, warnings),
        };
        report.record(i, &py.id, outcome);
    }
    Ok(())
}

/// Bookkeeping tables, with nothing to carry (the tables read are `source::READ_TABLES`).
const BOOKKEEPING: [&str; 2] = ["schema_version", "sqlite_sequence"];

/// Why a table with rows was not imported.
fn reason(table: &str) -> String {
    match table {
        "ai_backends" => {
            "built in: Agented has the same four CLI backends (backend-claude, -codex, -gemini, -opencode)".into()
        }
        "token_usage" => "each imported execution carries its tokens and cost".into(),
        "trigger_template_history" => "Agented keeps no prompt history; its audit log records trigger changes".into(),
        "agents"
        | "teams"
        | "team_members"
        | "projects"
        | "products"
        | "project_teams"
        | "workflows"
        | "workflow_versions"
        | "workflow_executions"
        | "workflow_node_executions"
        | "mcp_servers"
        | "project_mcp_servers"
        | "pr_reviews"
        | "commands"
        | "hooks"
        | "rules"
        | "user_skills"
        | "plugins"
        | "plugin_components" => "not imported by this version: recreate them on the dashboard's page".into(),
        _ => "no counterpart in Agented".into(),
    }
}

/// Every table with rows the import did not read.
pub(super) fn not_imported(source: &PySource) -> Vec<NotImported> {
    source
        .row_counts
        .iter()
        .filter(|(table, rows)| {
            *rows > 0 && !READ_TABLES.contains(&table.as_str()) && !BOOKKEEPING.contains(&table.as_str())
        })
        .map(|(table, rows)| NotImported { source_table: table.clone(), rows: *rows, reason: reason(table) })
        .collect()
}
