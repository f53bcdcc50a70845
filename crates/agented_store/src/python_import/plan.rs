//! Turning the original's rows into Agented's, each through the same checks an
//! API request gets. A row that fails them is skipped with the reason; a value
//! that has no place here is named in a warning. Pure: no database.

use super::source::{
    PyAccount, PyAgent, PyBudget, PyClockPair, PyExecution, PyMcpServer, PyPath, PyPrReview, PyTeam, PyTeamMember,
    PyTrigger, PyWorkflow, PyWorkflowVersion,
};
use crate::accounts::AccountRow;
use crate::budgets::BudgetRow;
use crate::executions::{ExecutionRow, LogRow};
use agented_executions::{ExecutionStatus, TriggerType};
use agented_kernel::{ExecutionId, TriggerId};
use agented_orchestration::{AccountDraft, AccountPatch, BudgetPatch};
use agented_triggers::{FallbackEntry, ProjectPath, Trigger, TriggerPatch, TriggerSettings, next_run_at};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};

/// The zone the original's naive local times are in (its server's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// An IANA zone the operator named.
    Named(Tz),
    /// An offset read from the file itself.
    Offset(FixedOffset),
}

impl Zone {
    fn to_utc(self, t: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Self::Named(tz) => tz.from_local_datetime(&t).earliest().map(|d| d.with_timezone(&Utc)),
            Self::Offset(o) => o.from_local_datetime(&t).single().map(|d| d.with_timezone(&Utc)),
        }
    }

    /// The IANA zone for settings that need one (an offset has none: UTC).
    #[must_use]
    pub const fn iana(self) -> Tz {
        match self {
            Self::Named(tz) => tz,
            Self::Offset(_) => Tz::UTC,
        }
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Named(tz) => write!(f, "{tz}"),
            Self::Offset(o) => write!(f, "UTC{o}"),
        }
    }
}

/// The server's UTC offset, read from runs whose naive local end and UTC usage
/// record are the same moment (rounded to a quarter hour; the most common wins).
#[must_use]
pub fn inferred_offset(pairs: &[PyClockPair]) -> Option<FixedOffset> {
    let mut votes: BTreeMap<i64, usize> = BTreeMap::new();
    for p in pairs {
        let (Some(local), Some(utc)) = (naive(&p.local, 'T'), naive(&p.utc, ' ')) else { continue };
        let quarters = ((local - utc).num_seconds() as f64 / 900.0).round() as i64;
        if quarters.abs() <= 4 * 14 {
            *votes.entry(quarters).or_default() += 1;
        }
    }
    let (quarters, _) = votes.into_iter().max_by_key(|(_, n)| *n)?;
    FixedOffset::east_opt(i32::try_from(quarters * 900).ok()?)
}

fn naive(text: &str, separator: char) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), &format!("%Y-%m-%d{separator}%H:%M:%S%.f")).ok()
}

/// A time in any of the original's three forms: ISO with an offset; SQLite's
/// `YYYY-MM-DD HH:MM:SS` (UTC); Python's naive `YYYY-MM-DDTHH:MM:SS.ffffff` (local).
#[must_use]
pub fn time(text: &str, zone: Zone) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(t) = naive(text, ' ') {
        return Some(t.and_utc());
    }
    naive(text, 'T').and_then(|t| zone.to_utc(t))
}

/// The id an original account gets here (its integer id does not fit `acct-…` alone).
#[must_use]
pub fn account_id(original: i64) -> String {
    agented_orchestration::imported_account_text(original.unsigned_abs())
}

/// The id an original budget limit gets here.
#[must_use]
pub fn budget_id(original: i64) -> String {
    format!("budget-py{original}")
}

fn field_errors(errors: &agented_triggers::trigger::FieldErrors) -> String {
    errors.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join("; ")
}

fn flag(v: Option<i64>, default: bool) -> bool {
    v.map_or(default, |v| v != 0)
}

/// A trigger and what did not come along.
#[derive(Debug, Clone)]
pub struct TriggerPlan {
    /// As it is stored here.
    pub trigger: Trigger,
    /// Values that changed or were dropped.
    pub warnings: Vec<String>,
}

/// The original's trigger with its fallback chain.
///
/// # Errors
/// Why it cannot be imported (an id or settings Agented refuses).
pub fn trigger(
    py: &PyTrigger,
    chain: Vec<FallbackEntry>,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<TriggerPlan, String> {
    let id = TriggerId::parse(&py.id).map_err(|e| e.to_string())?;
    let mut warnings = Vec::new();
    let source = py.trigger_source.clone().unwrap_or_else(|| "webhook".into());
    let webhook = source == "webhook";
    let scheduled = source == "scheduled";
    let only = |on: bool, v: &Option<String>| if on { v.clone() } else { None };
    if py.group_id.is_some_and(|g| g != 0) {
        warnings.push(format!("group_id {} has no counterpart and was left out", py.group_id.unwrap_or(0)));
    }
    if flag(py.is_predefined, false) {
        warnings.push("predefined in the original, an ordinary trigger here (Agented predefines others)".into());
    }
    if flag(py.auto_resolve, false) {
        warnings.push("auto_resolve has no counterpart and was left out".into());
    }
    if py.execution_mode.as_deref().is_some_and(|m| m != "direct") {
        warnings.push(format!(
            "execution_mode '{}' (team {}) imported as direct: teams are not imported",
            py.execution_mode.as_deref().unwrap_or_default(),
            py.team_id.as_deref().unwrap_or("none")
        ));
    }
    let patch = TriggerPatch {
        name: Some(py.name.clone()),
        prompt_template: Some(py.prompt_template.clone().unwrap_or_default()),
        backend_type: py.backend_type.clone(),
        trigger_source: Some(source),
        enabled: Some(flag(py.enabled, true)),
        match_field_path: only(webhook, &py.match_field_path),
        match_field_value: only(webhook, &py.match_field_value),
        text_field_path: only(webhook, &py.text_field_path),
        detection_keyword: only(webhook, &py.detection_keyword),
        schedule_type: only(scheduled, &py.schedule_type),
        schedule_time: only(scheduled, &py.schedule_time),
        schedule_day: if scheduled { py.schedule_day } else { None },
        schedule_timezone: only(scheduled, &py.schedule_timezone),
        skill_command: py.skill_command.clone(),
        model: py.model.clone(),
        timeout_seconds: py.timeout_seconds,
        sigterm_grace_seconds: py.sigterm_grace_seconds,
        allowed_tools: py.allowed_tools.clone(),
        webhook_secret: py.webhook_secret.clone(),
        fallback_chain: Some(chain),
        ..TriggerPatch::default()
    };
    let settings = patch.apply(&TriggerSettings::default()).map_err(|e| field_errors(&e))?;
    let created_at = py.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now);
    let trigger = Trigger {
        id,
        is_predefined: false,
        next_run_at: next_run_at(&settings, now),
        last_run_at: py.last_run_at.as_deref().and_then(|t| time(t, zone)),
        created_at,
        settings,
    };
    Ok(TriggerPlan { trigger, warnings })
}

/// The chains of every trigger, in order, with accounts under their new ids.
#[must_use]
pub fn chains(entries: &[super::source::PyChainEntry]) -> HashMap<String, Vec<FallbackEntry>> {
    let mut out: HashMap<String, Vec<FallbackEntry>> = HashMap::new();
    for e in entries.iter().filter(|e| e.entity_type == "trigger") {
        let account_id = e.account_id.and_then(|a| agented_orchestration::imported_account_id(a.unsigned_abs()).ok());
        out.entry(e.entity_id.clone())
            .or_default()
            .push(FallbackEntry { backend_id: format!("backend-{}", e.backend_type), account_id });
    }
    out
}

/// A project path and what changed in it.
///
/// # Errors
/// Why it cannot be imported.
pub fn path(py: &PyPath) -> Result<(ProjectPath, Option<String>), String> {
    match py.path_type.as_deref().unwrap_or("local") {
        "local" => {
            let p = py.local_project_path.trim().trim_end_matches('/');
            if !p.starts_with('/') {
                return Err(format!("'{p}' is not an absolute path"));
            }
            let missing = (!std::path::Path::new(p).is_dir())
                .then(|| format!("{p} does not exist on this machine; runs of its trigger fail until it does"));
            Ok((ProjectPath::Local(p.to_owned()), missing))
        }
        "github" => {
            let url = py.github_repo_url.as_deref().ok_or("a github path without github_repo_url")?;
            Ok((ProjectPath::repository(url)?, None))
        }
        "project" => {
            let slug = py.github_repo_url.as_deref().ok_or("a project path without its repository")?;
            let url = if slug.starts_with("https://") { slug.to_owned() } else { format!("https://github.com/{slug}") };
            let note = format!("was project {}'s path; imported as its repository {url}", py.local_project_path);
            Ok((ProjectPath::repository(&url)?, Some(note)))
        }
        other => Err(format!("unknown path_type '{other}'")),
    }
}

/// An execution with its log lines.
pub struct ExecutionPlan {
    /// The execution.
    pub row: ExecutionRow,
    /// Its log, stdout lines first, then stderr (the original kept them apart).
    pub logs: Vec<LogRow>,
    /// What changed.
    pub warnings: Vec<String>,
}

fn snapshot_number(snapshot: &serde_json::Value, key: &str) -> Option<i32> {
    snapshot.get(key).and_then(serde_json::Value::as_i64).and_then(|v| i32::try_from(v).ok())
}

/// One execution of the original, with its log.
///
/// # Errors
/// Why it cannot be imported.
pub fn execution(py: &PyExecution, zone: Zone, accounts: &[String]) -> Result<ExecutionPlan, String> {
    let id = ExecutionId::parse(&py.execution_id).map_err(|e| e.to_string())?;
    let trigger_type: TriggerType = py.trigger_type.parse().map_err(|e: String| e)?;
    let mut warnings = Vec::new();
    let status = match py.status.as_str() {
        "running" | "queued" | "pending" => {
            warnings.push(format!("was '{}' when the original stopped: imported as interrupted", py.status));
            ExecutionStatus::Interrupted
        }
        other => other.parse::<ExecutionStatus>().map_err(|e| e.to_string())?,
    };
    let started = time(&py.started_at, zone).ok_or_else(|| format!("unreadable started_at '{}'", py.started_at))?;
    let finished = py.finished_at.as_deref().and_then(|t| time(t, zone));
    let backend_type: agented_kernel::BackendType =
        py.backend_type.parse().map_err(|e: agented_kernel::backend::UnknownBackend| e.to_string())?;
    let snapshot: serde_json::Value =
        py.trigger_config_snapshot.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let account_id = py.account_id.map(account_id);
    if let Some(a) = &account_id
        && !accounts.contains(a)
    {
        warnings.push(format!("its account {} was not imported: the run keeps no account", py.account_id.unwrap_or(0)));
    }
    let at = finished.unwrap_or(started).naive_utc();
    let lines = |text: &Option<String>, stream: &'static str| {
        text.as_deref().unwrap_or_default().lines().map(move |l| (stream, l.to_owned())).collect::<Vec<_>>()
    };
    let logs: Vec<LogRow> = lines(&py.stdout_log, "stdout")
        .into_iter()
        .chain(lines(&py.stderr_log, "stderr"))
        .zip(1_i64..)
        .map(|((stream, content), seq)| LogRow {
            execution_id: id.to_string(),
            seq,
            at,
            stream: stream.into(),
            content: crate::error::storable(&content).into_owned(),
        })
        .collect();
    let text = |v: &Option<String>| v.as_deref().map(|t| crate::error::storable(t).into_owned());
    let row = ExecutionRow {
        execution_id: id.to_string(),
        trigger_id: py.trigger_id.clone(),
        trigger_type: trigger_type.as_str().into(),
        status: status.as_str().into(),
        queued_at: started.naive_utc(),
        started_at: Some(started.naive_utc()),
        finished_at: finished.map(|t| t.naive_utc()),
        duration_ms: py.duration_ms,
        prompt: text(&py.prompt).unwrap_or_default(),
        backend_type: backend_type.as_str().into(),
        backend_id: None,
        model: snapshot.get("model").and_then(serde_json::Value::as_str).map(str::to_owned),
        allowed_tools: snapshot.get("allowed_tools").and_then(serde_json::Value::as_str).map(str::to_owned),
        local_paths: "[]".into(),
        repositories: "[]".into(),
        timeout_seconds: snapshot_number(&snapshot, "timeout_seconds").unwrap_or(600),
        sigterm_grace_seconds: snapshot_number(&snapshot, "sigterm_grace_seconds").unwrap_or(10),
        message: None,
        command: text(&py.command),
        exit_code: py.exit_code,
        error_message: text(&py.error_message),
        input_tokens: py.input_tokens,
        output_tokens: py.output_tokens,
        total_cost_usd: py.total_cost_usd,
        account_id: account_id.filter(|a| accounts.contains(a)),
        pgid: None,
        retry_of: None,
        log_lines: i64::try_from(logs.len()).unwrap_or(i64::MAX),
        prompt_inputs: "[]".into(),
        next_attempt_at: None,
        rate_limit_attempts: 0,
        fallback_chain: "[]".into(),
        stall_timeout_seconds: None,
        cost_source: py.total_cost_usd.map(|_| "reported".into()),
        worker_id: None,
        session_id: None,
        github: None,
        resume: None,
        setup: None,
        tooling: None,
    };
    Ok(ExecutionPlan { row, logs, warnings })
}

/// One account of the original, with what was left out.
///
/// # Errors
/// Why it cannot be imported.
pub fn account(py: &PyAccount, zone: Zone, now: DateTime<Utc>) -> Result<(AccountRow, Vec<String>), String> {
    let mut warnings = Vec::new();
    let mut patch = AccountPatch {
        name: Some(py.account_name.clone()),
        api_key_env: py.api_key_env.clone(),
        config_dir: py.config_path.clone(),
        is_default: Some(flag(py.is_default, false)),
        plan: py.plan.clone(),
    };
    let draft: AccountDraft = match patch.clone().apply(AccountDraft::default()) {
        Ok(d) => d,
        Err(errors) if errors.keys().all(|k| k == "api_key_env" || k == "config_dir") => {
            for (k, v) in &errors {
                warnings.push(format!("{k} left out: it {v}"));
            }
            if errors.contains_key("api_key_env") {
                patch.api_key_env = None;
            }
            if errors.contains_key("config_dir") {
                patch.config_dir = None;
            }
            patch.apply(AccountDraft::default()).map_err(|e| field_errors(&e))?
        }
        Err(errors) => return Err(field_errors(&errors)),
    };
    if py.email.is_some() || py.usage_data.is_some() {
        warnings.push("email and usage_data have no counterpart and were left out".into());
    }
    let created = py.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now).naive_utc();
    let row = AccountRow {
        id: account_id(py.id),
        backend_id: py.backend_id.clone(),
        name: draft.name,
        api_key_env: draft.api_key_env,
        config_dir: draft.config_dir,
        is_default: draft.is_default,
        plan: draft.plan,
        rate_limited_until: py.rate_limited_until.as_deref().and_then(|t| time(t, zone)).map(|t| t.naive_utc()),
        rate_limit_reason: py.rate_limit_reason.clone(),
        rate_limit_hits: 0,
        created_at: created,
        updated_at: created,
    };
    Ok((row, warnings))
}

/// One budget limit of the original.
///
/// # Errors
/// Why it cannot be imported (agent and team budgets have no counterpart).
pub fn budget(py: &PyBudget, zone: Zone, now: DateTime<Utc>) -> Result<BudgetRow, String> {
    if py.entity_type != "trigger" {
        return Err(format!(
            "{} budgets have no counterpart: Agented's cover every run, a trigger, a backend or an account",
            py.entity_type
        ));
    }
    let draft = BudgetPatch {
        scope: Some("trigger".into()),
        entity_id: Some(py.entity_id.clone()),
        period: Some(py.period.clone().unwrap_or_else(|| "monthly".into())),
        timezone: Some(zone.iana().name().to_owned()),
        soft_limit_usd: Some(py.soft_limit_usd),
        hard_limit_usd: Some(py.hard_limit_usd),
    }
    .create(Tz::UTC)
    .map_err(|e| field_errors(&e))?;
    let created = py.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now).naive_utc();
    Ok(BudgetRow {
        id: budget_id(py.id),
        scope: draft.scope.as_str().into(),
        entity_id: draft.entity_id,
        period: draft.period.as_str().into(),
        timezone: draft.timezone.name().into(),
        soft_limit_usd: draft.soft_limit_usd,
        hard_limit_usd: draft.hard_limit_usd,
        warned_period: None,
        created_at: created,
        updated_at: created,
    })
}

/// A list the original kept as a JSON array of strings, or as comma-separated text.
fn list_of(text: Option<&str>) -> Vec<String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Vec::new() };
    serde_json::from_str::<Vec<String>>(text)
        .unwrap_or_else(|_| text.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// A JSON object of text the original kept as TEXT (`{}` when empty).
fn map_of(text: Option<&str>, field: &str) -> Result<BTreeMap<String, String>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(BTreeMap::new()),
        Some(t) => serde_json::from_str(t).map_err(|e| format!("{field} is not a JSON object of text: {e}")),
    }
}

/// One agent of the original.
///
/// # Errors
/// Why it cannot be imported.
pub fn agent(py: &PyAgent, zone: Zone, now: DateTime<Utc>) -> Result<agented_workflows::Agent, String> {
    let id = agented_kernel::AgentId::parse(&py.id).map_err(|e| e.to_string())?;
    let fields = agented_workflows::AgentPatch {
        name: Some(py.name.clone()),
        description: py.description.clone(),
        role: py.role.clone(),
        goals: Some(list_of(py.goals.as_deref())),
        context: py.context.clone(),
        backend_type: py.backend_type.clone(),
        system_prompt: py.system_prompt.clone(),
        model: Some(py.model.clone().filter(|m| !m.trim().is_empty())),
        allowed_tools: Some(list_of(py.allowed_tools.as_deref())),
        skills: Some(list_of(py.skills.as_deref())),
        documents: Some(list_of(py.documents.as_deref())),
        enabled: Some(flag(py.enabled, true)),
        tooling: None,
    }
    .create()
    .map_err(|e| field_errors(&e))?;
    let created = py.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now);
    Ok(agented_workflows::Agent { id, fields, created_at: created, updated_at: created })
}

/// One MCP server of the original (not its presets: Agented has its own).
///
/// # Errors
/// Why it cannot be imported (a preset, or values Agented refuses, such as a
/// secret written out rather than named as `${NAME}`).
pub fn mcp_server(py: &PyMcpServer, zone: Zone, now: DateTime<Utc>) -> Result<agented_tooling::McpServer, String> {
    if flag(py.is_preset, false) {
        return Err("a preset of the original: add Agented's own from /admin/mcp-servers/presets".into());
    }
    let id = agented_kernel::McpServerId::parse(&py.id).map_err(|e| e.to_string())?;
    let text = |v: &Option<String>| Some(v.clone().filter(|t| !t.trim().is_empty()));
    let draft = agented_tooling::McpServerPatch {
        name: Some(py.name.clone()),
        display_name: text(&py.display_name),
        description: text(&py.description),
        server_type: py.server_type.clone(),
        command: text(&py.command),
        args: Some(list_of(py.args.as_deref())),
        env: Some(map_of(py.env_json.as_deref(), "env_json")?),
        url: text(&py.url),
        headers: Some(map_of(py.headers_json.as_deref(), "headers_json")?),
        timeout_ms: py.timeout_ms.and_then(|t| u32::try_from(t).ok()),
        enabled: Some(flag(py.enabled, true)),
        category: py.category.clone(),
        documentation_url: text(&py.documentation_url),
        npm_package: text(&py.npm_package),
    }
    .create()
    .map_err(|e| field_errors(&e))?;
    let created = py.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now);
    Ok(agented_tooling::service::built(id, draft, false, created))
}

/// One tracked pull request of the original.
///
/// # Errors
/// Why it cannot be imported.
pub fn pr_review(
    py: &PyPrReview,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<agented_executions::pr_reviews::PrReview, String> {
    let at = |t: &Option<String>| t.as_deref().and_then(|t| time(t, zone)).unwrap_or(now);
    Ok(agented_executions::pr_reviews::PrReview {
        id: py.id,
        trigger_id: py.trigger_id.clone(),
        project_name: py.project_name.clone(),
        github_repo_url: py.github_repo_url.clone(),
        pr_number: py.pr_number,
        pr_url: py.pr_url.clone(),
        pr_title: py.pr_title.clone(),
        pr_author: py.pr_author.clone(),
        pr_status: py.pr_status.as_deref().unwrap_or("open").parse().map_err(|e: String| e)?,
        review_status: py.review_status.as_deref().unwrap_or("pending").parse().map_err(|e: String| e)?,
        review_comment: py.review_comment.clone(),
        fixes_applied: py.fixes_applied.unwrap_or(0),
        fix_comment: py.fix_comment.clone(),
        created_at: at(&py.created_at),
        updated_at: at(&py.updated_at),
    })
}

/// One team of the original with its agent members (a member without an agent, a person,
/// has no counterpart: each is named in a warning), given the agents here.
///
/// # Errors
/// Why it cannot be imported.
pub fn team(
    py: &PyTeam,
    members: &[&PyTeamMember],
    agents: &[String],
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<(agented_workflows::Team, Vec<String>), String> {
    let id = agented_kernel::TeamId::parse(&py.id).map_err(|e| e.to_string())?;
    let mut warnings = Vec::new();
    let mut kept = Vec::new();
    for m in members {
        match &m.agent_id {
            Some(agent) if agents.contains(agent) => kept.push(agented_workflows::Member {
                agent_id: agented_kernel::AgentId::parse(agent).map_err(|e| e.to_string())?,
                name: m.name.clone(),
                role: m.role.clone().unwrap_or_else(|| "member".into()),
            }),
            Some(agent) => warnings.push(format!("member '{}' left out: its agent {agent} is not here", m.name)),
            None => warnings.push(format!("member '{}' left out: a person, not an agent", m.name)),
        }
    }
    let config = match py.topology_config.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => serde_json::Map::new(),
        Some(t) => serde_json::from_str(t).map_err(|e| format!("topology_config is not a JSON object: {e}"))?,
    };
    let fields = agented_workflows::TeamPatch {
        name: Some(py.name.clone()),
        description: py.description.clone(),
        topology: py.topology.clone(),
        topology_config: Some(config),
        leader_id: Some(py.leader_id.clone().filter(|l| agents.contains(l))),
        enabled: Some(flag(py.enabled, true)),
        tooling: None,
    }
    .create()
    .map_err(|e| field_errors(&e))?;
    let created = py.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now);
    let team = agented_workflows::Team {
        id,
        fields,
        members: kept,
        workflow_id: None,
        created_at: created,
        updated_at: created,
    };
    Ok((team, warnings))
}

/// A workflow and its versions, each graph checked as Agented checks one.
pub struct WorkflowPlan {
    /// The workflow.
    pub workflow: agented_workflows::Workflow,
    /// `(version, graph, is_draft, created_at)`, in order.
    pub versions: Vec<(i64, agented_workflows::GraphDocument, bool, DateTime<Utc>)>,
}

/// One workflow of the original with its versions.
///
/// # Errors
/// Why it cannot be imported (the first version whose graph Agented refuses, with the problem).
pub fn workflow(
    py: &PyWorkflow,
    versions: &[&PyWorkflowVersion],
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<WorkflowPlan, String> {
    let id = agented_kernel::WorkflowId::parse(&py.id).map_err(|e| e.to_string())?;
    let fields = agented_workflows::WorkflowPatch {
        name: Some(py.name.clone()),
        description: py.description.clone(),
        enabled: Some(flag(py.enabled, true)),
    }
    .create()
    .map_err(|e| field_errors(&e))?;
    let mut checked = Vec::new();
    for v in versions {
        let graph: agented_workflows::GraphDocument = serde_json::from_str(&v.graph_json)
            .map_err(|e| format!("version {}: graph_json is not a workflow graph: {e}", v.version))?;
        agented_workflows::Graph::read(&graph).map_err(|errors| {
            let problems: Vec<String> = errors.into_iter().map(|(at, why)| format!("{at} {why}")).collect();
            format!("version {}: {}", v.version, problems.join("; "))
        })?;
        let at = v.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now);
        checked.push((v.version, graph, flag(v.is_draft, false), at));
    }
    let created = py.created_at.as_deref().and_then(|t| time(t, zone)).unwrap_or(now);
    let latest = checked.iter().map(|v| v.0).max();
    let published = checked.iter().filter(|v| !v.2).map(|v| v.0).max();
    let workflow = agented_workflows::Workflow {
        id,
        fields,
        latest_version: latest,
        published_version: published,
        created_at: created,
        updated_at: created,
    };
    Ok(WorkflowPlan { workflow, versions: checked })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seoul() -> Zone {
        Zone::Offset(FixedOffset::east_opt(9 * 3600).unwrap())
    }

    #[test]
    fn the_three_time_forms_of_the_original_are_read_in_their_own_zones() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(time("2026-12-06T11:21:18.883937", seoul()), Some(utc("2026-12-06T02:21:18.883937Z")));
        assert_eq!(time("2026-12-06 02:21:17", seoul()), Some(utc("2026-12-06T02:21:17Z")));
        assert_eq!(time("2026-12-15T18:45:00-05:00", seoul()), Some(utc("2026-12-15T23:45:00Z")));
        assert_eq!(time("yesterday", seoul()), None);
    }

    #[test]
    fn the_servers_offset_is_the_most_common_quarter_hour_between_local_ends_and_utc_records() {
        let pair = |local: &str, utc: &str| PyClockPair { local: local.into(), utc: utc.into() };
        let pairs = [
            pair("2026-12-06T11:21:18.901619", "2026-12-06 02:21:18"),
            pair("2026-12-06T11:21:24.017547", "2026-12-06 02:21:24"),
            pair("2026-12-06T05:00:00.000000", "2026-12-06 05:00:00"),
        ];
        assert_eq!(inferred_offset(&pairs), FixedOffset::east_opt(9 * 3600));
        assert_eq!(inferred_offset(&[]), None);
    }

    #[test]
    fn lists_are_read_as_json_arrays_or_comma_separated_text() {
        assert_eq!(list_of(Some(r#"["a", "b"]"#)), ["a", "b"]);
        assert_eq!(list_of(Some("Read, Bash")), ["Read", "Bash"]);
        assert!(list_of(Some("  ")).is_empty());
        assert!(list_of(None).is_empty());
    }

    #[test]
    fn a_budget_of_an_agent_has_no_counterpart_and_says_so() {
        let py = PyBudget {
            id: 1,
            entity_type: "agent".into(),
            entity_id: "agent-1".into(),
            period: Some("monthly".into()),
            soft_limit_usd: Some(1.0),
            hard_limit_usd: None,
            created_at: None,
        };
        let Err(err) = budget(&py, seoul(), Utc::now()) else { panic!("an agent budget was imported") };
        assert!(err.starts_with("agent budgets have no counterpart"), "{err}");
    }
}
