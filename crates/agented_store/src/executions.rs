//! `ExecutionRepository` and `LogStore` over SQLite. Every write is an
//! immediate transaction (see STACK-NOTES: deferred ones fail under load).

use crate::database::AnyConnection;
use crate::error::storable;
use crate::schema::{execution_logs, executions};
use crate::{Database, StoreError};
use agented_executions::{
    AttemptRecord, Claim, CostSource, Deferral, ExecStoreError, Execution, ExecutionFilter, ExecutionRepository,
    ExecutionStatus, InsertError, LogLine, LogStore, NewExecution, Outcome, RunSnapshot, SessionId, Usage,
};
use agented_kernel::{ExecutionId, Page, TriggerId, WorkerId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = executions)]
pub(crate) struct ExecutionRow {
    pub(crate) execution_id: String,
    pub(crate) trigger_id: String,
    pub(crate) trigger_type: String,
    pub(crate) status: String,
    pub(crate) queued_at: NaiveDateTime,
    pub(crate) started_at: Option<NaiveDateTime>,
    pub(crate) finished_at: Option<NaiveDateTime>,
    pub(crate) duration_ms: Option<i64>,
    pub(crate) prompt: String,
    pub(crate) backend_type: String,
    pub(crate) backend_id: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) allowed_tools: Option<String>,
    pub(crate) local_paths: String,
    pub(crate) repositories: String,
    pub(crate) timeout_seconds: i32,
    pub(crate) sigterm_grace_seconds: i32,
    pub(crate) message: Option<String>,
    pub(crate) command: Option<String>,
    pub(crate) exit_code: Option<i32>,
    pub(crate) error_message: Option<String>,
    pub(crate) input_tokens: Option<i64>,
    pub(crate) output_tokens: Option<i64>,
    pub(crate) total_cost_usd: Option<f64>,
    pub(crate) account_id: Option<String>,
    pub(crate) pgid: Option<i32>,
    pub(crate) retry_of: Option<String>,
    pub(crate) log_lines: i64,
    pub(crate) prompt_inputs: String,
    pub(crate) next_attempt_at: Option<NaiveDateTime>,
    pub(crate) rate_limit_attempts: i32,
    pub(crate) fallback_chain: String,
    pub(crate) stall_timeout_seconds: Option<i32>,
    pub(crate) cost_source: Option<String>,
    pub(crate) worker_id: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) github: Option<String>,
    pub(crate) resume: Option<String>,
    pub(crate) setup: Option<String>,
    pub(crate) tooling: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = executions)]
struct NewExecutionRow<'a> {
    execution_id: &'a str,
    trigger_id: &'a str,
    trigger_type: &'a str,
    status: &'a str,
    queued_at: NaiveDateTime,
    prompt: &'a str,
    backend_type: &'a str,
    backend_id: Option<&'a str>,
    model: Option<&'a str>,
    allowed_tools: Option<&'a str>,
    local_paths: String,
    repositories: String,
    timeout_seconds: i32,
    sigterm_grace_seconds: i32,
    message: Option<&'a str>,
    retry_of: Option<&'a str>,
    prompt_inputs: String,
    fallback_chain: String,
    stall_timeout_seconds: Option<i32>,
    github: Option<String>,
    resume: Option<String>,
    setup: Option<String>,
    tooling: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = execution_logs)]
pub(crate) struct LogRow {
    pub(crate) execution_id: String,
    pub(crate) seq: i64,
    pub(crate) at: NaiveDateTime,
    pub(crate) stream: String,
    pub(crate) content: String,
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Query(DieselError::DeserializationError(what.to_string().into()))
}

impl TryFrom<ExecutionRow> for Execution {
    type Error = StoreError;
    fn try_from(r: ExecutionRow) -> Result<Self, StoreError> {
        Ok(Self {
            execution_id: ExecutionId::try_from(r.execution_id).map_err(corrupt)?,
            trigger_id: TriggerId::try_from(r.trigger_id).map_err(corrupt)?,
            trigger_type: r.trigger_type.parse().map_err(corrupt)?,
            status: r.status.parse().map_err(corrupt)?,
            queued_at: r.queued_at.and_utc(),
            started_at: r.started_at.map(|t| t.and_utc()),
            finished_at: r.finished_at.map(|t| t.and_utc()),
            duration_ms: r.duration_ms,
            snapshot: RunSnapshot {
                prompt: r.prompt,
                backend_type: r.backend_type.parse().map_err(corrupt)?,
                backend_id: r.backend_id,
                model: r.model,
                allowed_tools: r.allowed_tools,
                local_paths: serde_json::from_str(&r.local_paths).map_err(corrupt)?,
                repositories: serde_json::from_str(&r.repositories).map_err(corrupt)?,
                timeout_seconds: u32::try_from(r.timeout_seconds).map_err(corrupt)?,
                sigterm_grace_seconds: u32::try_from(r.sigterm_grace_seconds).map_err(corrupt)?,
                stall_timeout_seconds: r.stall_timeout_seconds.map(u32::try_from).transpose().map_err(corrupt)?,
                inputs: serde_json::from_str(&r.prompt_inputs).map_err(corrupt)?,
                chain: serde_json::from_str(&r.fallback_chain).map_err(corrupt)?,
                github: json_opt(r.github.as_deref())?.filter(agented_triggers::GithubOrigin::is_well_formed),
                resume: json_opt(r.resume.as_deref())?,
                setup: json_opt(r.setup.as_deref())?,
                tooling: json_opt(r.tooling.as_deref())?.unwrap_or_default(),
            },
            message: r.message,
            command: r.command,
            exit_code: r.exit_code,
            error_message: r.error_message,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            total_cost_usd: r.total_cost_usd,
            cost_source: r.cost_source.as_deref().map(str::parse).transpose().map_err(corrupt)?,
            account_id: r.account_id,
            pgid: r.pgid,
            retry_of: r.retry_of.map(ExecutionId::try_from).transpose().map_err(corrupt)?,
            log_lines: r.log_lines,
            next_attempt_at: r.next_attempt_at.map(|t| t.and_utc()),
            rate_limit_attempts: u32::try_from(r.rate_limit_attempts).unwrap_or(0),
            worker: r.worker_id.map(WorkerId::try_from).transpose().map_err(corrupt)?,
            session_id: r.session_id.map(SessionId::try_from).transpose().map_err(corrupt)?,
        })
    }
}

fn json_opt<T: serde::de::DeserializeOwned>(text: Option<&str>) -> Result<Option<T>, StoreError> {
    text.map(serde_json::from_str).transpose().map_err(corrupt)
}

fn to_json_opt<T: serde::Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
    value.map(serde_json::to_string).transpose().map_err(corrupt)
}

impl TryFrom<LogRow> for LogLine {
    type Error = StoreError;
    fn try_from(r: LogRow) -> Result<Self, StoreError> {
        Ok(Self {
            seq: r.seq,
            timestamp: r.at.and_utc(),
            stream: r.stream.parse().map_err(corrupt)?,
            content: r.content,
        })
    }
}

/// How an insert's transaction ended short: a held claim, a full trigger, or the store.
pub(crate) enum Insert {
    Duplicate,
    Busy(ExecutionId),
    Store(StoreError),
}

impl From<StoreError> for Insert {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<DieselError> for Insert {
    fn from(e: DieselError) -> Self {
        Self::Store(e.into())
    }
}

pub(crate) fn err(e: StoreError) -> ExecStoreError {
    ExecStoreError(agented_kernel::Cause::of(e))
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Execution>, StoreError> {
    executions::table
        .find(id)
        .select(ExecutionRow::as_select())
        .first(conn)
        .optional()?
        .map(Execution::try_from)
        .transpose()
}

const ACTIVE: [&str; 2] = ["queued", "running"];

/// Executions and their log lines.
#[derive(Debug, Clone)]
pub struct SqlExecutions {
    db: Database,
}

impl SqlExecutions {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

/// On PostgreSQL, tells the followers in other processes that `id` changed:
/// sent inside the writing transaction, so it is delivered at commit, after the
/// rows it announces can be read. (SQLite's followers read on a timer.)
fn announce(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    if let AnyConnection::Pg(c) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(agented_executions::RUN_NOTICE_CHANNEL)
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)?;
    }
    Ok(())
}

impl SqlExecutions {
    /// Ends the execution if its status is one of `from`.
    async fn finish_from(
        &self,
        id: &ExecutionId,
        from: Vec<String>,
        outcome: &Outcome,
    ) -> Result<bool, ExecStoreError> {
        let id = id.as_str().to_owned();
        let outcome = outcome.clone();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let changed = diesel::update(executions::table.find(&id).filter(executions::status.eq_any(&from)))
                        .set((
                            executions::status.eq(outcome.status.as_str()),
                            executions::exit_code.eq(outcome.exit_code),
                            executions::error_message.eq(outcome.error_message.as_deref().map(storable)),
                            executions::finished_at.eq(outcome.finished_at.naive_utc()),
                            executions::duration_ms.eq(outcome.duration_ms),
                            executions::input_tokens.eq(outcome.usage.input_tokens),
                            executions::output_tokens.eq(outcome.usage.output_tokens),
                            executions::total_cost_usd.eq(outcome.usage.total_cost_usd),
                            executions::cost_source.eq(outcome.usage.cost_source.map(CostSource::as_str)),
                            executions::pgid.eq(None::<i32>),
                        ))
                        .execute(conn)?;
                    if changed > 0 {
                        announce(conn, &id)?;
                    }
                    Ok(changed > 0)
                })
            })
            .await
            .map_err(err)
    }
}

#[async_trait]
impl ExecutionRepository for SqlExecutions {
    async fn insert(&self, new: &NewExecution) -> Result<Execution, InsertError> {
        let new = new.clone();
        self.db
            .run(move |conn| {
                let s = &new.snapshot;
                let written = crate::database::write::<_, Insert, _>(conn, |conn| {
                    if let Some(cap) = new.at_most_active {
                        let active: Vec<String> = executions::table
                            .filter(executions::trigger_id.eq(new.trigger_id.as_str()))
                            .filter(
                                executions::status
                                    .eq_any([ExecutionStatus::Queued.as_str(), ExecutionStatus::Running.as_str()]),
                            )
                            .order(executions::queued_at.asc())
                            .select(executions::execution_id)
                            .load(conn)?;
                        if active.len() >= usize::from(cap)
                            && let Some(oldest) = active.into_iter().next()
                        {
                            return Err(Insert::Busy(ExecutionId::try_from(oldest).map_err(corrupt)?));
                        }
                    }
                    // The delivery's keys first: a held one rolls everything back.
                    for claim in &new.claims {
                        if !crate::dedup::claim_in(
                            conn,
                            new.trigger_id.as_str(),
                            &claim.key,
                            new.queued_at,
                            claim.expires_at,
                        )? {
                            return Err(Insert::Duplicate);
                        }
                    }
                    diesel::insert_into(executions::table)
                        .values(NewExecutionRow {
                            execution_id: new.execution_id.as_str(),
                            trigger_id: new.trigger_id.as_str(),
                            trigger_type: new.trigger_type.as_str(),
                            status: ExecutionStatus::Queued.as_str(),
                            queued_at: new.queued_at.naive_utc(),
                            prompt: &storable(&s.prompt),
                            backend_type: s.backend_type.as_str(),
                            backend_id: s.backend_id.as_deref(),
                            model: s.model.as_deref(),
                            allowed_tools: s.allowed_tools.as_deref(),
                            local_paths: serde_json::to_string(&s.local_paths).map_err(corrupt)?,
                            repositories: serde_json::to_string(&s.repositories).map_err(corrupt)?,
                            timeout_seconds: i32::try_from(s.timeout_seconds).map_err(corrupt)?,
                            sigterm_grace_seconds: i32::try_from(s.sigterm_grace_seconds).map_err(corrupt)?,
                            message: new.message.as_deref().map(storable).as_deref(),
                            retry_of: new.retry_of.as_ref().map(ExecutionId::as_str),
                            prompt_inputs: serde_json::to_string(&s.inputs).map_err(corrupt)?,
                            fallback_chain: serde_json::to_string(&s.chain).map_err(corrupt)?,
                            stall_timeout_seconds: s
                                .stall_timeout_seconds
                                .map(i32::try_from)
                                .transpose()
                                .map_err(corrupt)?,
                            github: to_json_opt(s.github.as_ref())?,
                            resume: to_json_opt(s.resume.as_ref())?,
                            setup: to_json_opt(s.setup.as_ref())?,
                            tooling: to_json_opt(Some(&s.tooling).filter(|t| !t.is_empty()))?,
                        })
                        .execute(conn)?;
                    Ok(load(conn, new.execution_id.as_str())?.ok_or(StoreError::Query(DieselError::NotFound))?)
                });
                match written {
                    Ok(execution) => Ok(Ok(execution)),
                    Err(Insert::Duplicate) => Ok(Err(InsertError::Duplicate)),
                    Err(Insert::Busy(oldest)) => Ok(Err(InsertError::Busy(oldest))),
                    Err(Insert::Store(e)) => Err(e),
                }
            })
            .await
            .map_err(err)?
    }

    async fn release_claims(&self, trigger: &TriggerId, keys: &[String]) -> Result<(), ExecStoreError> {
        let (trigger, keys) = (trigger.as_str().to_owned(), keys.to_vec());
        self.db.run(move |conn| crate::dedup::release_in(conn, &trigger, &keys)).await.map_err(err)
    }

    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>, ExecStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load(conn, &id)).await.map_err(err)
    }

    async fn list(&self, filter: &ExecutionFilter, page: Page) -> Result<(Vec<Execution>, u64), ExecStoreError> {
        let filter = filter.clone();
        self.db
            .run(move |conn| {
                let query = || {
                    let mut q = executions::table.into_boxed();
                    if let Some(t) = &filter.trigger_id {
                        q = q.filter(executions::trigger_id.eq(t.as_str().to_owned()));
                    }
                    if let Some(s) = filter.status {
                        q = q.filter(executions::status.eq(s.as_str()));
                    }
                    if let Some(since) = filter.since {
                        q = q.filter(executions::queued_at.ge(since.naive_utc()));
                    }
                    if let Some(until) = filter.until {
                        q = q.filter(executions::queued_at.lt(until.naive_utc()));
                    }
                    q
                };
                let total: i64 = query().count().get_result(conn)?;
                let rows: Vec<ExecutionRow> = query()
                    .order((executions::queued_at.desc(), executions::execution_id.desc()))
                    .limit(i64::from(page.limit))
                    .offset(i64::from(page.offset))
                    .select(ExecutionRow::as_select())
                    .load(conn)?;
                let items = rows.into_iter().map(Execution::try_from).collect::<Result<Vec<_>, _>>()?;
                Ok((items, u64::try_from(total).unwrap_or(0)))
            })
            .await
            .map_err(err)
    }

    async fn claim(
        &self,
        id: &ExecutionId,
        worker: &WorkerId,
        limit: u16,
        at: DateTime<Utc>,
    ) -> Result<Claim, ExecStoreError> {
        let id = id.as_str().to_owned();
        let worker = worker.as_str().to_owned();
        self.db
            .run(move |conn| {
                // One immediate transaction: writers of every process take turns, so the
                // count and the claim cannot be split by another worker's claim.
                crate::database::write(conn, |conn| {
                    let queued: Option<String> = executions::table
                        .find(&id)
                        .filter(executions::status.eq(ExecutionStatus::Queued.as_str()))
                        .select(executions::trigger_id)
                        .first(conn)
                        .optional()?;
                    let Some(trigger) = queued else { return Ok(Claim::Gone) };
                    let running: i64 = executions::table
                        .filter(executions::trigger_id.eq(&trigger))
                        .filter(executions::status.eq(ExecutionStatus::Running.as_str()))
                        .count()
                        .get_result(conn)?;
                    if running >= i64::from(limit) {
                        return Ok(Claim::Busy);
                    }
                    diesel::update(executions::table.find(&id))
                        .set((
                            executions::status.eq(ExecutionStatus::Running.as_str()),
                            executions::started_at.eq(at.naive_utc()),
                            executions::worker_id.eq(&worker),
                        ))
                        .execute(conn)?;
                    announce(conn, &id)?;
                    Ok(load(conn, &id)?.map_or(Claim::Gone, |e| Claim::Claimed(Box::new(e))))
                })
            })
            .await
            .map_err(err)
    }

    async fn set_process(&self, id: &ExecutionId, command: &str, pgid: Option<i32>) -> Result<(), ExecStoreError> {
        let id = id.as_str().to_owned();
        let command = command.to_owned();
        self.db
            .run(move |conn| {
                diesel::update(executions::table.find(&id))
                    .set((executions::command.eq(command), executions::pgid.eq(pgid)))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn set_usage(&self, id: &ExecutionId, usage: &Usage) -> Result<(), ExecStoreError> {
        let id = id.as_str().to_owned();
        let usage = *usage;
        self.db
            .run(move |conn| {
                diesel::update(executions::table.find(&id))
                    .set((
                        executions::input_tokens.eq(usage.input_tokens),
                        executions::output_tokens.eq(usage.output_tokens),
                        executions::total_cost_usd.eq(usage.total_cost_usd),
                        executions::cost_source.eq(usage.cost_source.map(CostSource::as_str)),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn latest_on_github(&self, repository: &str, number: u64) -> Result<Option<Execution>, ExecStoreError> {
        // `github` is serde's JSON of `GithubOrigin`, whose first fields are always
        // `repository` then `number`: that prefix finds a pull request's or issue's runs.
        let escape = |s: &str| s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let repository = serde_json::to_string(repository).map_err(|e| err(corrupt(e)))?;
        let prefix = format!("{{\"repository\":{},\"number\":{number},%", escape(&repository));
        self.db
            .run(move |conn| {
                let row = executions::table
                    .filter(executions::github.like(&prefix).escape('\\'))
                    .order((executions::queued_at.desc(), executions::execution_id.desc()))
                    .select(ExecutionRow::as_select())
                    .first(conn)
                    .optional()?;
                row.map(Execution::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn set_session(&self, id: &ExecutionId, session: &SessionId) -> Result<(), ExecStoreError> {
        let id = id.as_str().to_owned();
        let session = session.as_str().to_owned();
        self.db
            .run(move |conn| {
                diesel::update(executions::table.find(&id)).set(executions::session_id.eq(session)).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn finish(&self, id: &ExecutionId, outcome: &Outcome) -> Result<bool, ExecStoreError> {
        self.finish_from(id, ACTIVE.iter().map(|s| (*s).to_owned()).collect(), outcome).await
    }

    async fn finish_if(
        &self,
        id: &ExecutionId,
        from: ExecutionStatus,
        outcome: &Outcome,
    ) -> Result<bool, ExecStoreError> {
        self.finish_from(id, vec![from.as_str().to_owned()], outcome).await
    }

    async fn active_for_trigger(&self, trigger: &TriggerId) -> Result<Vec<Execution>, ExecStoreError> {
        let trigger = trigger.as_str().to_owned();
        self.db
            .run(move |conn| {
                let rows: Vec<ExecutionRow> = executions::table
                    .filter(executions::trigger_id.eq(&trigger).and(executions::status.eq_any(ACTIVE)))
                    .order(executions::queued_at.asc())
                    .select(ExecutionRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(Execution::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn set_attempt(&self, id: &ExecutionId, attempt: &AttemptRecord) -> Result<(), ExecStoreError> {
        let id = id.as_str().to_owned();
        let attempt = attempt.clone();
        self.db
            .run(move |conn| {
                diesel::update(executions::table.find(&id))
                    .set((
                        executions::backend_type.eq(attempt.backend_type.as_str()),
                        executions::backend_id.eq(attempt.backend_id.as_deref()),
                        executions::account_id.eq(attempt.account_id.as_deref()),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn defer(&self, id: &ExecutionId, deferral: &Deferral) -> Result<bool, ExecStoreError> {
        let id = id.as_str().to_owned();
        let d = deferral.clone();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let changed = diesel::update(
                        executions::table.find(&id).filter(executions::status.eq(ExecutionStatus::Running.as_str())),
                    )
                    .set((
                        executions::status.eq(ExecutionStatus::RateLimited.as_str()),
                        executions::next_attempt_at.eq(d.next_attempt_at.naive_utc()),
                        executions::rate_limit_attempts.eq(i32::try_from(d.attempts).unwrap_or(i32::MAX)),
                        executions::error_message.eq(storable(&d.message)),
                        executions::exit_code.eq(None::<i32>),
                        executions::input_tokens.eq(d.usage.input_tokens),
                        executions::output_tokens.eq(d.usage.output_tokens),
                        executions::total_cost_usd.eq(d.usage.total_cost_usd),
                        executions::cost_source.eq(d.usage.cost_source.map(CostSource::as_str)),
                        executions::pgid.eq(None::<i32>),
                    ))
                    .execute(conn)?;
                    Ok(changed > 0)
                })
            })
            .await
            .map_err(err)
    }

    async fn requeue_due(&self, now: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError> {
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let waiting = executions::status.eq(ExecutionStatus::RateLimited.as_str());
                    let due: Vec<String> = executions::table
                        .filter(waiting.and(executions::next_attempt_at.le(now.naive_utc())))
                        .order(executions::next_attempt_at.asc())
                        .select(executions::execution_id)
                        .load(conn)?;
                    diesel::update(executions::table.filter(executions::execution_id.eq_any(&due)).filter(waiting))
                        .set((
                            executions::status.eq(ExecutionStatus::Queued.as_str()),
                            executions::next_attempt_at.eq(None::<NaiveDateTime>),
                        ))
                        .execute(conn)?;
                    due.into_iter().map(|id| ExecutionId::try_from(id).map_err(corrupt)).collect()
                })
            })
            .await
            .map_err(err)
    }

    async fn wake(&self, ids: &[ExecutionId], at: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError> {
        let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let waiting = executions::status.eq(ExecutionStatus::RateLimited.as_str());
                    let woken: Vec<String> = executions::table
                        .filter(waiting.and(executions::execution_id.eq_any(&ids)))
                        .select(executions::execution_id)
                        .load(conn)?;
                    diesel::update(executions::table.filter(executions::execution_id.eq_any(&woken)).filter(waiting))
                        .set(executions::next_attempt_at.eq(Some(at.naive_utc())))
                        .execute(conn)?;
                    woken.into_iter().map(|id| ExecutionId::try_from(id).map_err(corrupt)).collect()
                })
            })
            .await
            .map_err(err)
    }

    async fn with_status(&self, status: ExecutionStatus) -> Result<Vec<Execution>, ExecStoreError> {
        self.db
            .run(move |conn| {
                let rows: Vec<ExecutionRow> = executions::table
                    .filter(executions::status.eq(status.as_str()))
                    .order(executions::queued_at.asc())
                    .select(ExecutionRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(Execution::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn count_by_status(&self) -> Result<Vec<(ExecutionStatus, u64)>, ExecStoreError> {
        self.db
            .run(|conn| {
                let counts: Vec<(String, i64)> = executions::table
                    .group_by(executions::status)
                    .select((executions::status, diesel::dsl::count_star()))
                    .load(conn)?;
                counts
                    .into_iter()
                    .map(|(status, n)| Ok((status.parse().map_err(corrupt)?, u64::try_from(n).unwrap_or(0))))
                    .collect()
            })
            .await
            .map_err(err)
    }
}

#[async_trait]
impl LogStore for SqlExecutions {
    async fn append(&self, id: &ExecutionId, lines: &[LogLine]) -> Result<(), ExecStoreError> {
        self.append_many(&[(id.clone(), lines.to_vec())]).await
    }

    /// Every run's lines and its `log_lines` in one transaction.
    async fn append_many(&self, batches: &[(ExecutionId, Vec<LogLine>)]) -> Result<(), ExecStoreError> {
        let mut rows: Vec<LogRow> = Vec::with_capacity(batches.iter().map(|(_, l)| l.len()).sum());
        let mut lasts: Vec<(String, i64)> = Vec::with_capacity(batches.len());
        for (id, lines) in batches {
            let Some(last) = lines.last().map(|l| l.seq) else { continue };
            rows.extend(lines.iter().map(|l| LogRow {
                execution_id: id.as_str().to_owned(),
                seq: l.seq,
                at: l.timestamp.naive_utc(),
                stream: l.stream.as_str().to_owned(),
                content: storable(&l.content).into_owned(),
            }));
            lasts.push((id.as_str().to_owned(), last));
        }
        if rows.is_empty() {
            return Ok(());
        }
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    // SQLite caps bound parameters per statement; 5 per row.
                    for chunk in rows.chunks(500) {
                        // A multi-row VALUES is each backend's own SQL (SQLite has no DEFAULT keyword).
                        crate::per_backend!(&mut *conn, |c| diesel::insert_into(execution_logs::table)
                            .values(chunk)
                            .execute(c))?;
                    }
                    for (id, last) in &lasts {
                        diesel::update(executions::table.find(id)).set(executions::log_lines.eq(last)).execute(conn)?;
                        announce(conn, id)?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(err)
    }

    async fn read_after(&self, id: &ExecutionId, after: i64, limit: u32) -> Result<Vec<LogLine>, ExecStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let rows: Vec<LogRow> = execution_logs::table
                    .filter(execution_logs::execution_id.eq(&id).and(execution_logs::seq.gt(after)))
                    .order(execution_logs::seq.asc())
                    .limit(i64::from(limit))
                    .select(LogRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(LogLine::try_from).collect()
            })
            .await
            .map_err(err)
    }
}
