//! Writing an import in one transaction, table by table, parents first. Each
//! row is checked against what is already here (same id: left as it is; same
//! name under another id: skipped), so the outcome is the same however often
//! it runs.

use super::plan::{self, Zone};
use super::source::PySource;
use crate::database::AnyConnection;
use crate::schema::{accounts, backends, budgets, client_settings, execution_logs, executions, mcp_servers, triggers};
use crate::{StoreError, per_backend};
use agented_migration::{IdChange, ImportProgress, ImportReport, NotImported, TableCount};
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

fn count(report: &mut ImportReport, source_table: &str, target_table: &str, read: usize) -> usize {
    report.tables.push(TableCount {
        source_table: source_table.into(),
        target_table: target_table.into(),
        read,
        ..TableCount::default()
    });
    report.tables.len() - 1
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
    let i = count(report, TABLE, "accounts", source.accounts.len());
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
        if here.contains(&id) {
            report.tables[i].already_present += 1;
            continue;
        }
        let (mut row, warnings) = match plan::account(py, zone, now) {
            Ok(planned) => planned,
            Err(reason) => {
                report.skip(TABLE, py.id.to_string(), reason);
                report.tables[i].skipped += 1;
                continue;
            }
        };
        if !backend_ids.contains(&row.backend_id) {
            report.skip(TABLE, py.id.to_string(), format!("no backend {} here", row.backend_id));
            report.tables[i].skipped += 1;
            continue;
        }
        if !names.insert((row.backend_id.clone(), row.name.clone())) {
            let reason = format!("{} already has an account named '{}'", row.backend_id, row.name);
            report.skip(TABLE, py.id.to_string(), reason);
            report.tables[i].skipped += 1;
            continue;
        }
        if row.is_default && !defaults.insert(row.backend_id.clone()) {
            row.is_default = false;
            report.warn(
                TABLE,
                py.id.to_string(),
                format!("imported as not default: {} has a default account", row.backend_id),
            );
        }
        for w in warnings {
            report.warn(TABLE, py.id.to_string(), w);
        }
        diesel::insert_into(accounts::table).values(&row).execute(conn)?;
        here.push(id);
        report.tables[i].imported += 1;
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
    const TABLE: &str = "triggers";
    let i = count(report, TABLE, "triggers", source.triggers.len());
    let existing: Vec<(String, String)> = triggers::table.select((triggers::id, triggers::name)).load(conn)?;
    let mut known: HashSet<String> = existing.iter().map(|t| t.0.clone()).collect();
    let mut names: HashMap<String, String> = existing.into_iter().map(|(id, name)| (name, id)).collect();
    let mut chains = plan::chains(&source.chains);
    for py in &source.triggers {
        if known.contains(&py.id) {
            report.tables[i].already_present += 1;
            continue;
        }
        let mut chain = chains.remove(&py.id).unwrap_or_default();
        chain.retain(|e| {
            let kept = e.account_id.as_ref().is_none_or(|a| accounts.iter().any(|x| x == a.as_str()));
            if !kept {
                report.warn(
                    TABLE,
                    &py.id,
                    format!("fallback entry {} left out: its account was not imported", e.backend_id),
                );
            }
            kept
        });
        let planned = match plan::trigger(py, chain, zone, now) {
            Ok(planned) => planned,
            Err(reason) => {
                report.skip(TABLE, &py.id, reason);
                report.tables[i].skipped += 1;
                continue;
            }
        };
        if let Some(other) = names.get(&planned.trigger.settings.name) {
            let reason = format!("a trigger named '{}' already exists here ({other})", planned.trigger.settings.name);
            report.skip(TABLE, &py.id, reason);
            report.tables[i].skipped += 1;
            continue;
        }
        for w in planned.warnings {
            report.warn(TABLE, &py.id, w);
        }
        crate::triggers::insert_kept(conn, &planned.trigger)?;
        names.insert(planned.trigger.settings.name.clone(), py.id.clone());
        known.insert(py.id.clone());
        report.tables[i].imported += 1;
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
    const TABLE: &str = "project_paths";
    let i = count(report, TABLE, "trigger_paths", source.paths.len());
    let mut seen = HashSet::new();
    for py in &source.paths {
        let id = py.id.to_string();
        let planned = if known.contains(&py.trigger_id) {
            plan::path(py)
        } else {
            Err(format!("its trigger {} was not imported", py.trigger_id))
        };
        let (path, note) = match planned {
            Ok(planned) => planned,
            Err(reason) => {
                report.skip(TABLE, id, reason);
                report.tables[i].skipped += 1;
                continue;
            }
        };
        if !seen.insert((py.trigger_id.clone(), path.as_str().to_owned())) {
            report.skip(TABLE, id, format!("{} is already a path of {}", path.as_str(), py.trigger_id));
            report.tables[i].skipped += 1;
            continue;
        }
        let at = py.created_at.as_deref().and_then(|t| plan::time(t, zone)).unwrap_or(now);
        if crate::triggers::insert_path(conn, &py.trigger_id, &path, at.naive_utc())? == 0 {
            report.tables[i].already_present += 1;
            continue;
        }
        if let Some(note) = note {
            report.warn(TABLE, id, note);
        }
        report.tables[i].imported += 1;
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
    const TABLE: &str = "execution_logs";
    let i = count(report, TABLE, "executions", source.executions.len());
    for py in &source.executions {
        let planned = if known.contains(&py.trigger_id) {
            plan::execution(py, zone, accounts)
        } else {
            Err(format!("its trigger {} was not imported", py.trigger_id))
        };
        let planned = match planned {
            Ok(planned) => planned,
            Err(reason) => {
                report.skip(TABLE, &py.execution_id, reason);
                report.tables[i].skipped += 1;
                continue;
            }
        };
        let inserted = per_backend!(&mut *conn, |c| diesel::insert_into(executions::table)
            .values(&planned.row)
            .on_conflict_do_nothing()
            .execute(c))?;
        if inserted == 0 {
            report.tables[i].already_present += 1;
            continue;
        }
        for chunk in planned.logs.chunks(LOG_BATCH) {
            per_backend!(&mut *conn, |c| diesel::insert_into(execution_logs::table).values(chunk).execute(c))?;
        }
        for w in planned.warnings {
            report.warn(TABLE, &py.execution_id, w);
        }
        report.tables[i].imported += 1;
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
    let i = count(report, TABLE, "budgets", source.budgets.len());
    let existing: Vec<(String, String, Option<String>, String)> =
        budgets::table.select((budgets::id, budgets::scope, budgets::entity_id, budgets::period)).load(conn)?;
    let ids: HashSet<String> = existing.iter().map(|b| b.0.clone()).collect();
    let mut scopes: HashSet<(String, Option<String>, String)> =
        existing.into_iter().map(|(_, s, e, p)| (s, e, p)).collect();
    for py in &source.budgets {
        let id = plan::budget_id(py.id);
        report.id_map.push(IdChange { source_table: TABLE.into(), from: py.id.to_string(), to: id.clone() });
        if ids.contains(&id) {
            report.tables[i].already_present += 1;
            continue;
        }
        let planned = plan::budget(py, zone, now).and_then(|row| {
            if !known.contains(&py.entity_id) {
                return Err(format!("its trigger {} was not imported", py.entity_id));
            }
            if !scopes.insert((row.scope.clone(), row.entity_id.clone(), row.period.clone())) {
                return Err(format!("a {} budget of trigger {} already exists here", row.period, py.entity_id));
            }
            Ok(row)
        });
        match planned {
            Ok(row) => {
                diesel::insert_into(budgets::table).values(&row).execute(conn)?;
                report.tables[i].imported += 1;
            }
            Err(reason) => {
                report.skip(TABLE, py.id.to_string(), reason);
                report.tables[i].skipped += 1;
            }
        }
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
    const TABLE: &str = "settings";
    let i = count(report, TABLE, "client_settings", source.settings.len());
    for py in &source.settings {
        let checked = agented_settings::SettingKey::parse(&py.key).map_err(|e| format!("key {e}")).and_then(|key| {
            agented_settings::SettingValue::parse(py.value.clone().unwrap_or_default())
                .map(|value| (key, value))
                .map_err(|e| format!("value {e}"))
        });
        let (key, value) = match checked {
            Ok(kv) => kv,
            Err(reason) => {
                report.skip(TABLE, &py.key, reason);
                report.tables[i].skipped += 1;
                continue;
            }
        };
        let row = crate::client_settings::SettingRow {
            key: key.as_str().to_owned(),
            value: value.as_str().to_owned(),
            updated_at: now.naive_utc(),
        };
        let inserted = per_backend!(&mut *conn, |c| diesel::insert_into(client_settings::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c))?;
        if inserted == 0 {
            report.tables[i].already_present += 1;
        } else {
            report.tables[i].imported += 1;
        }
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
    const TABLE: &str = "agents";
    let i = count(report, TABLE, "agents", source.agents.len());
    for py in &source.agents {
        match plan::agent(py, zone, now) {
            Ok(agent) if crate::agents::insert_kept(conn, &agent)? == 0 => report.tables[i].already_present += 1,
            Ok(_) => report.tables[i].imported += 1,
            Err(reason) => {
                report.skip(TABLE, &py.id, reason);
                report.tables[i].skipped += 1;
            }
        }
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
    const TABLE: &str = "mcp_servers";
    let i = count(report, TABLE, "mcp_servers", source.mcp_servers.len());
    let existing: Vec<(String, String)> = mcp_servers::table.select((mcp_servers::id, mcp_servers::name)).load(conn)?;
    for py in &source.mcp_servers {
        if existing.iter().any(|(id, _)| id == &py.id) {
            report.tables[i].already_present += 1;
            continue;
        }
        let planned = plan::mcp_server(py, zone, now).and_then(|server| {
            match existing.iter().find(|(_, name)| name == &server.name) {
                Some((other, _)) => Err(format!("an MCP server named '{}' already exists here ({other})", server.name)),
                None => Ok(server),
            }
        });
        match planned {
            Ok(server) => {
                crate::mcp_servers::insert_kept(conn, &server)?;
                report.tables[i].imported += 1;
            }
            Err(reason) => {
                report.skip(TABLE, &py.id, reason);
                report.tables[i].skipped += 1;
            }
        }
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
    const TABLE: &str = "pr_reviews";
    let i = count(report, TABLE, "pr_reviews", source.pr_reviews.len());
    for py in &source.pr_reviews {
        let planned = if known.contains(&py.trigger_id) {
            plan::pr_review(py, zone, now)
        } else {
            Err(format!("its trigger {} was not imported", py.trigger_id))
        };
        match planned {
            Ok(review) if crate::pr_reviews::insert_kept(conn, &review)? == 0 => {
                report.tables[i].already_present += 1;
            }
            Ok(_) => report.tables[i].imported += 1,
            Err(reason) => {
                report.skip(TABLE, py.id.to_string(), reason);
                report.tables[i].skipped += 1;
            }
        }
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
    const TABLE: &str = "workflows";
    let i = count(report, TABLE, "workflows", source.workflows.len());
    for py in &source.workflows {
        let versions: Vec<_> = source.workflow_versions.iter().filter(|v| v.workflow_id == py.id).collect();
        match plan::workflow(py, &versions, zone, now) {
            Ok(p) if crate::workflows::insert_kept(conn, &p.workflow, &p.versions)? == 0 => {
                report.tables[i].already_present += 1;
            }
            Ok(_) => report.tables[i].imported += 1,
            Err(reason) => {
                report.skip(TABLE, &py.id, reason);
                report.tables[i].skipped += 1;
            }
        }
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
    const TABLE: &str = "teams";
    let i = count(report, TABLE, "teams", source.teams.len());
    let agents: Vec<String> = crate::schema::agents::table.select(crate::schema::agents::id).load(conn)?;
    for py in &source.teams {
        let members: Vec<_> = source.team_members.iter().filter(|m| m.team_id == py.id).collect();
        match plan::team(py, &members, &agents, zone, now) {
            Ok((team, warnings)) => {
                if crate::teams::insert_kept(conn, &team)? == 0 {
                    report.tables[i].already_present += 1;
                    continue;
                }
                for w in warnings {
                    report.warn(TABLE, &py.id, w);
                }
                report.tables[i].imported += 1;
            }
            Err(reason) => {
                report.skip(TABLE, &py.id, reason);
                report.tables[i].skipped += 1;
            }
        }
    }
    Ok(())
}

/// Source tables read above, and bookkeeping with nothing to carry.
const HANDLED: [&str; 16] = [
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
    "schema_version",
    "sqlite_sequence",
];

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
        .filter(|(table, rows)| *rows > 0 && !HANDLED.contains(&table.as_str()))
        .map(|(table, rows)| NotImported { source_table: table.clone(), rows: *rows, reason: reason(table) })
        .collect()
}
