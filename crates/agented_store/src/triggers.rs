//! `TriggerRepository` over SQLite.

use crate::database::AnyConnection;
use crate::schema::{trigger_paths, triggers};
use crate::{Database, StoreError};
use agented_kernel::{TeamId, TriggerId, WorkflowId};
use agented_triggers::{
    ExecutionMode, ProjectPath, TimeoutSeconds, Trigger, TriggerPath, TriggerRepository, TriggerSettings,
    TriggerSource, TriggerStoreError, TriggerWriteError,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = triggers)]
pub(crate) struct TriggerRow {
    id: String,
    name: String,
    prompt_template: String,
    backend_type: String,
    trigger_source: String,
    enabled: bool,
    is_predefined: bool,
    match_field_path: Option<String>,
    match_field_value: Option<String>,
    text_field_path: String,
    detection_keyword: Option<String>,
    schedule_type: Option<String>,
    schedule_time: Option<String>,
    schedule_day: Option<i32>,
    schedule_timezone: Option<String>,
    next_run_at: Option<NaiveDateTime>,
    last_run_at: Option<NaiveDateTime>,
    skill_command: Option<String>,
    model: Option<String>,
    timeout_seconds: i32,
    sigterm_grace_seconds: i32,
    allowed_tools: Option<String>,
    webhook_secret: Option<String>,
    created_at: NaiveDateTime,
    backend_id: Option<String>,
    max_concurrent: i32,
    concurrency_policy: String,
    github_repos: String,
    github_events: String,
    schedule_cron: Option<String>,
    catch_up: bool,
    fallback_chain: String,
    stall_timeout_seconds: Option<i32>,
    required_labels: String,
    execution_mode: String,
    team_id: Option<String>,
    workflow_id: Option<String>,
    post_result: String,
    setup_script: Option<String>,
    setup_secrets: String,
    tooling: String,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = triggers, treat_none_as_null = true)]
struct SettingsRow<'a> {
    name: &'a str,
    prompt_template: &'a str,
    backend_type: &'a str,
    trigger_source: &'a str,
    enabled: bool,
    match_field_path: Option<&'a str>,
    match_field_value: Option<&'a str>,
    text_field_path: &'a str,
    detection_keyword: Option<&'a str>,
    schedule_type: Option<&'a str>,
    schedule_time: Option<&'a str>,
    schedule_day: Option<i32>,
    schedule_timezone: Option<&'a str>,
    skill_command: Option<&'a str>,
    model: Option<&'a str>,
    timeout_seconds: i32,
    sigterm_grace_seconds: i32,
    allowed_tools: Option<&'a str>,
    webhook_secret: Option<&'a str>,
    backend_id: Option<&'a str>,
    max_concurrent: i32,
    concurrency_policy: &'a str,
    github_repos: String,
    github_events: String,
    schedule_cron: Option<&'a str>,
    catch_up: bool,
    next_run_at: Option<NaiveDateTime>,
    fallback_chain: String,
    stall_timeout_seconds: Option<i32>,
    required_labels: String,
    execution_mode: &'a str,
    team_id: Option<&'a str>,
    workflow_id: Option<&'a str>,
    post_result: &'a str,
    setup_script: Option<&'a str>,
    setup_secrets: String,
    tooling: String,
}

/// The execution mode stored as its name and the id it needs.
fn mode(name: &str, team: Option<&str>, workflow: Option<&str>) -> Result<ExecutionMode, StoreError> {
    match (name, team, workflow) {
        ("direct", ..) => Ok(ExecutionMode::Direct),
        ("team", Some(team), _) => Ok(ExecutionMode::Team(TeamId::parse(team).map_err(|e| corrupt(e.to_string()))?)),
        ("workflow", _, Some(w)) => {
            Ok(ExecutionMode::Workflow(WorkflowId::parse(w).map_err(|e| corrupt(e.to_string()))?))
        }
        _ => Err(corrupt(format!("execution mode '{name}' without the id it needs"))),
    }
}

/// `schedule_type = cron` is stored as a NULL type beside the pattern (see the schedules migration).
const CRON: &str = "cron";

impl<'a> SettingsRow<'a> {
    fn new(s: &'a TriggerSettings, next_run_at: Option<DateTime<Utc>>) -> Self {
        Self {
            name: &s.name,
            prompt_template: &s.prompt_template,
            backend_type: s.backend_type.as_str(),
            trigger_source: s.trigger_source.as_str(),
            enabled: s.enabled,
            match_field_path: s.match_field_path.as_deref(),
            match_field_value: s.match_field_value.as_deref(),
            text_field_path: &s.text_field_path,
            detection_keyword: s.detection_keyword.as_deref(),
            schedule_type: s.schedule_type.as_deref().filter(|t| *t != CRON),
            schedule_time: s.schedule_time.as_deref(),
            schedule_day: s.schedule_day,
            schedule_timezone: s.schedule_timezone.as_deref(),
            skill_command: s.skill_command.as_deref(),
            model: s.model.as_deref(),
            timeout_seconds: i32::from(s.timeout_seconds.get()),
            sigterm_grace_seconds: i32::from(s.sigterm_grace_seconds),
            allowed_tools: s.allowed_tools.as_deref(),
            webhook_secret: s.webhook_secret.as_deref(),
            backend_id: s.backend_id.as_deref(),
            max_concurrent: i32::from(s.max_concurrent),
            concurrency_policy: s.concurrency_policy.as_str(),
            // A list of plain strings always serialises.
            github_repos: serde_json::to_string(&s.github_repos).unwrap_or_else(|_| "[]".into()),
            github_events: serde_json::to_string(&s.github_events).unwrap_or_else(|_| "[]".into()),
            schedule_cron: s.schedule_cron.as_deref(),
            catch_up: s.catch_up,
            next_run_at: next_run_at.map(|t| t.naive_utc()),
            fallback_chain: serde_json::to_string(&s.fallback_chain).unwrap_or_else(|_| "[]".into()),
            // At most MAX_STALL_SECONDS, which fits.
            stall_timeout_seconds: s.stall_timeout_seconds.and_then(|v| i32::try_from(v).ok()),
            required_labels: serde_json::to_string(&s.required_labels).unwrap_or_else(|_| "[]".into()),
            execution_mode: s.execution_mode.name(),
            team_id: s.execution_mode.team_id().map(TeamId::as_str),
            workflow_id: s.execution_mode.workflow_id().map(WorkflowId::as_str),
            post_result: s.post_result.as_str(),
            setup_script: s.setup.as_ref().map(|x| x.script.as_str()),
            setup_secrets: serde_json::to_string(&s.setup.as_ref().map_or(&[][..], |x| &x.secrets[..]))
                .unwrap_or_else(|_| "[]".into()),
            tooling: serde_json::to_string(&s.tooling).unwrap_or_else(|_| "{}".into()),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = triggers)]
struct NewTriggerRow<'a> {
    id: &'a str,
    is_predefined: bool,
    created_at: NaiveDateTime,
    #[diesel(embed)]
    settings: SettingsRow<'a>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = trigger_paths)]
struct PathRow {
    id: i64,
    kind: String,
    path: String,
    created_at: NaiveDateTime,
}

fn corrupt(what: String) -> StoreError {
    StoreError::Query(DieselError::DeserializationError(what.into()))
}

impl TryFrom<TriggerRow> for Trigger {
    type Error = StoreError;
    fn try_from(r: TriggerRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: TriggerId::try_from(r.id).map_err(|e| corrupt(e.to_string()))?,
            is_predefined: r.is_predefined,
            settings: TriggerSettings {
                name: r.name,
                prompt_template: r.prompt_template,
                backend_type: r
                    .backend_type
                    .parse()
                    .map_err(|e: agented_kernel::backend::UnknownBackend| corrupt(e.to_string()))?,
                backend_id: r.backend_id,
                trigger_source: r
                    .trigger_source
                    .parse()
                    .map_err(|e: agented_triggers::UnknownSource| corrupt(e.to_string()))?,
                enabled: r.enabled,
                match_field_path: r.match_field_path,
                match_field_value: r.match_field_value,
                text_field_path: r.text_field_path,
                detection_keyword: r.detection_keyword,
                schedule_type: r.schedule_type.or_else(|| r.schedule_cron.as_ref().map(|_| CRON.to_owned())),
                schedule_time: r.schedule_time,
                schedule_day: r.schedule_day,
                schedule_cron: r.schedule_cron,
                schedule_timezone: r.schedule_timezone,
                catch_up: r.catch_up,
                skill_command: r.skill_command,
                model: r.model,
                timeout_seconds: TimeoutSeconds::clamped(i64::from(r.timeout_seconds)),
                sigterm_grace_seconds: u16::try_from(r.sigterm_grace_seconds).unwrap_or(10),
                stall_timeout_seconds: r.stall_timeout_seconds.and_then(|v| u32::try_from(v).ok()),
                allowed_tools: r.allowed_tools,
                webhook_secret: r.webhook_secret,
                max_concurrent: u16::try_from(r.max_concurrent).unwrap_or(1),
                concurrency_policy: r.concurrency_policy.parse().map_err(corrupt)?,
                github_repos: serde_json::from_str(&r.github_repos).map_err(|e| corrupt(e.to_string()))?,
                github_events: serde_json::from_str(&r.github_events).map_err(|e| corrupt(e.to_string()))?,
                fallback_chain: serde_json::from_str(&r.fallback_chain).map_err(|e| corrupt(e.to_string()))?,
                required_labels: serde_json::from_str(&r.required_labels).map_err(|e| corrupt(e.to_string()))?,
                execution_mode: mode(&r.execution_mode, r.team_id.as_deref(), r.workflow_id.as_deref())?,
                post_result: r.post_result.parse().map_err(corrupt)?,
                setup: match r.setup_script {
                    Some(script) => Some(agented_triggers::SetupStep {
                        script,
                        secrets: serde_json::from_str(&r.setup_secrets).map_err(|e| corrupt(e.to_string()))?,
                    }),
                    None => None,
                },
                tooling: serde_json::from_str(&r.tooling).map_err(|e| corrupt(e.to_string()))?,
            },
            next_run_at: r.next_run_at.map(|t| t.and_utc()),
            last_run_at: r.last_run_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
        })
    }
}

impl TryFrom<PathRow> for TriggerPath {
    type Error = StoreError;
    fn try_from(r: PathRow) -> Result<Self, StoreError> {
        let path = match r.kind.as_str() {
            "local" => ProjectPath::Local(r.path),
            "repository" => ProjectPath::Repository(r.path),
            other => return Err(corrupt(format!("unknown path kind '{other}'"))),
        };
        Ok(Self { id: r.id, path, created_at: r.created_at.and_utc() })
    }
}

fn store_err(e: StoreError) -> TriggerStoreError {
    TriggerStoreError(agented_kernel::Cause::of(e))
}

fn write_err(e: StoreError, name: &str) -> TriggerWriteError {
    match e {
        StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            TriggerWriteError::DuplicateName(name.to_owned())
        }
        StoreError::Query(DieselError::NotFound) => TriggerWriteError::NotFound,
        other => TriggerWriteError::Store(store_err(other)),
    }
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Trigger>, StoreError> {
    triggers::table.find(id).select(TriggerRow::as_select()).first(conn).optional()?.map(Trigger::try_from).transpose()
}

/// Triggers (of one source, or all), predefined first, then by name.
fn ordered(conn: &mut AnyConnection, source: Option<TriggerSource>) -> Result<Vec<Trigger>, StoreError> {
    let mut query = triggers::table
        .order((triggers::is_predefined.desc(), triggers::name.asc()))
        .select(TriggerRow::as_select())
        .into_boxed();
    if let Some(source) = source {
        query = query.filter(triggers::trigger_source.eq(source.as_str()));
    }
    query.load(conn)?.into_iter().map(Trigger::try_from).collect()
}

/// Triggers in the `triggers` and `trigger_paths` tables.
#[derive(Debug, Clone)]
pub struct SqlTriggers {
    pub(crate) db: Database,
}

impl SqlTriggers {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TriggerRepository for SqlTriggers {
    async fn list(&self) -> Result<Vec<Trigger>, TriggerStoreError> {
        self.db.run(|conn| ordered(conn, None)).await.map_err(store_err)
    }

    async fn by_source(&self, source: TriggerSource) -> Result<Vec<Trigger>, TriggerStoreError> {
        self.db.run(move |conn| ordered(conn, Some(source))).await.map_err(store_err)
    }

    async fn get(&self, id: &TriggerId) -> Result<Option<Trigger>, TriggerStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load(conn, &id)).await.map_err(store_err)
    }

    async fn insert(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
        paths: &[ProjectPath],
        at: DateTime<Utc>,
    ) -> Result<Trigger, TriggerWriteError> {
        let id = id.as_str().to_owned();
        let name = settings.name.clone();
        let settings = settings.clone();
        let paths = paths.to_vec();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let at = at.naive_utc();
                    diesel::insert_into(triggers::table)
                        .values(NewTriggerRow {
                            id: &id,
                            is_predefined: false,
                            created_at: at,
                            settings: SettingsRow::new(&settings, next_run_at),
                        })
                        .execute(conn)?;
                    for path in &paths {
                        insert_path(conn, &id, path, at)?;
                    }
                    load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
                })
            })
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn update(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
    ) -> Result<Trigger, TriggerWriteError> {
        let id = id.as_str().to_owned();
        let name = settings.name.clone();
        let settings = settings.clone();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let changed = diesel::update(triggers::table.find(&id))
                        .set(SettingsRow::new(&settings, next_run_at))
                        .execute(conn)?;
                    if changed == 0 {
                        return Err(StoreError::Query(DieselError::NotFound));
                    }
                    load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
                })
            })
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn delete(&self, id: &TriggerId) -> Result<(), TriggerWriteError> {
        let id = id.as_str().to_owned();
        let deleted = self
            .db
            .run(move |conn| Ok(diesel::delete(triggers::table.find(&id)).execute(conn)?))
            .await
            .map_err(|e| TriggerWriteError::Store(store_err(e)))?;
        if deleted == 0 { Err(TriggerWriteError::NotFound) } else { Ok(()) }
    }

    async fn touch_last_run(&self, id: &TriggerId, at: DateTime<Utc>) -> Result<(), TriggerStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                diesel::update(triggers::table.find(&id))
                    .set(triggers::last_run_at.eq(at.naive_utc()))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(store_err)
    }

    async fn set_next_run(
        &self,
        id: &TriggerId,
        expected: Option<DateTime<Utc>>,
        next: Option<DateTime<Utc>>,
    ) -> Result<bool, TriggerStoreError> {
        let id = id.as_str().to_owned();
        let (expected, next) = (expected.map(|t| t.naive_utc()), next.map(|t| t.naive_utc()));
        self.db
            .run(move |conn| {
                let target = triggers::table.find(&id);
                let changed = match expected {
                    Some(at) => diesel::update(target.filter(triggers::next_run_at.eq(at)))
                        .set(triggers::next_run_at.eq(next))
                        .execute(conn)?,
                    None => diesel::update(target.filter(triggers::next_run_at.is_null()))
                        .set(triggers::next_run_at.eq(next))
                        .execute(conn)?,
                };
                Ok(changed == 1)
            })
            .await
            .map_err(store_err)
    }

    async fn paths(&self, id: &TriggerId) -> Result<Vec<TriggerPath>, TriggerStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let rows: Vec<PathRow> = trigger_paths::table
                    .filter(trigger_paths::trigger_id.eq(&id))
                    .order(trigger_paths::id.asc())
                    .select(PathRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(TriggerPath::try_from).collect()
            })
            .await
            .map_err(store_err)
    }

    async fn add_path(
        &self,
        id: &TriggerId,
        path: &ProjectPath,
        at: DateTime<Utc>,
    ) -> Result<TriggerPath, TriggerWriteError> {
        let id = id.as_str().to_owned();
        let path = path.clone();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    if load(conn, &id)?.is_none() {
                        return Err(StoreError::Query(DieselError::NotFound));
                    }
                    insert_path(conn, &id, &path, at.naive_utc())?;
                    let row: PathRow = trigger_paths::table
                        .filter(trigger_paths::trigger_id.eq(&id).and(trigger_paths::path.eq(path.as_str())))
                        .select(PathRow::as_select())
                        .first(conn)?;
                    TriggerPath::try_from(row)
                })
            })
            .await
            .map_err(|e| write_err(e, ""))
    }

    async fn remove_path(&self, id: &TriggerId, path: &str) -> Result<bool, TriggerStoreError> {
        let id = id.as_str().to_owned();
        let path = path.trim().trim_end_matches('/').to_owned();
        self.db
            .run(move |conn| {
                let removed = diesel::delete(
                    trigger_paths::table.filter(trigger_paths::trigger_id.eq(&id).and(trigger_paths::path.eq(&path))),
                )
                .execute(conn)?;
                Ok(removed > 0)
            })
            .await
            .map_err(store_err)
    }
}

/// Inserts a trigger that keeps its id, origin and times (an import), unless its id exists.
///
/// # Errors
/// A failed write.
pub(crate) fn insert_kept(conn: &mut AnyConnection, t: &Trigger) -> Result<usize, StoreError> {
    let row = NewTriggerRow {
        id: t.id.as_str(),
        is_predefined: t.is_predefined,
        created_at: t.created_at.naive_utc(),
        settings: SettingsRow::new(&t.settings, t.next_run_at),
    };
    let inserted = crate::per_backend!(&mut *conn, |c| diesel::insert_into(triggers::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted > 0 && t.last_run_at.is_some() {
        diesel::update(triggers::table.find(t.id.as_str()))
            .set(triggers::last_run_at.eq(t.last_run_at.map(|at| at.naive_utc())))
            .execute(conn)?;
    }
    Ok(inserted)
}

/// Adds `path` to trigger `id` unless it has it; whether it was added.
///
/// # Errors
/// A failed write.
pub(crate) fn insert_path(
    conn: &mut AnyConnection,
    id: &str,
    path: &ProjectPath,
    at: NaiveDateTime,
) -> Result<usize, StoreError> {
    let row = (
        trigger_paths::trigger_id.eq(id),
        trigger_paths::kind.eq(path.kind()),
        trigger_paths::path.eq(path.as_str()),
        trigger_paths::created_at.eq(at),
    );
    Ok(crate::per_backend!(conn, |c| diesel::insert_into(trigger_paths::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?)
}
