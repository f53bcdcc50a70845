//! `WorkflowRunRepository` over SQLite or PostgreSQL: runs of workflows and one row per
//! node, written at every transition. Outputs and inputs are kept as the original
//! platform's node-output JSON.

use crate::database::{AnyConnection, write};
use crate::executions::{Insert, corrupt};
use crate::schema::{workers, workflow_executions as runs, workflow_node_executions as nodes};
use crate::{Database, StoreError};
use agented_kernel::{WorkerId, WorkflowId, WorkflowRunId};
use agented_workflows::{
    Decision, NodeId, NodeOutput, NodeRun, NodeState, RunClaim, RunEnding, RunOrigin, WorkflowRun,
    WorkflowRunRepository, WorkflowStoreError, state_name,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

/// Runs of workflows in the database.
#[derive(Debug, Clone)]
pub struct SqlWorkflowRuns {
    db: Database,
}

impl SqlWorkflowRuns {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

const ACTIVE: [&str; 2] = ["pending", "running"];

#[derive(Queryable, Selectable)]
#[diesel(table_name = runs)]
struct RunRow {
    id: String,
    workflow_id: String,
    version: i64,
    status: String,
    input_json: String,
    output_json: Option<String>,
    error: Option<String>,
    origin: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = runs)]
struct RunTimes {
    started_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = nodes)]
struct NodeRow {
    execution_id: String,
    position: i32,
    node_id: String,
    node_type: String,
    status: String,
    attempt: i32,
    retry_at: Option<NaiveDateTime>,
    input_json: Option<String>,
    output_json: Option<String>,
    error: Option<String>,
    started_at: Option<NaiveDateTime>,
    ended_at: Option<NaiveDateTime>,
    children: String,
    cost_usd: Option<f64>,
}

fn origin_text(origin: &RunOrigin) -> String {
    match origin {
        RunOrigin::Manual => "manual".to_owned(),
        RunOrigin::Trigger(id) => format!("trigger:{id}"),
        RunOrigin::Parent { run, node } => format!("parent:{run}:{}", node.as_str()),
    }
}

fn origin_of(text: &str) -> Result<RunOrigin, StoreError> {
    if text == "manual" {
        return Ok(RunOrigin::Manual);
    }
    if let Some(id) = text.strip_prefix("trigger:") {
        return Ok(RunOrigin::Trigger(id.to_owned()));
    }
    let parent = text.strip_prefix("parent:").and_then(|rest| rest.split_once(':'));
    let (run, node) = parent.ok_or_else(|| corrupt(format!("unknown workflow run origin '{text}'")))?;
    Ok(RunOrigin::Parent {
        run: WorkflowRunId::parse(run).map_err(corrupt)?,
        node: NodeId::parse(node).map_err(corrupt)?,
    })
}

fn to_json(output: &NodeOutput) -> Result<String, StoreError> {
    serde_json::to_string(output).map_err(corrupt)
}

fn from_json(text: &str) -> Result<NodeOutput, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

/// The row of `node`, at `position` of run `run`.
fn node_row(run: &str, position: usize, node: &NodeRun) -> Result<NodeRow, StoreError> {
    let (attempt, retry_at, output, error) = match &node.state {
        NodeState::Pending | NodeState::Skipped => (0, None, None, None),
        NodeState::Running { attempt } => (*attempt, None, None, None),
        NodeState::Retrying { attempt, at } => (*attempt, Some(at.naive_utc()), None, None),
        NodeState::Completed(out) => (0, None, Some(to_json(out)?), None),
        NodeState::Failed { error, attempts } => (*attempts, None, None, Some(error.clone())),
    };
    Ok(NodeRow {
        execution_id: run.to_owned(),
        position: i32::try_from(position).unwrap_or(i32::MAX),
        node_id: node.node_id.as_str().to_owned(),
        node_type: node.node_type.clone(),
        status: state_name(&node.state).to_owned(),
        attempt: i32::try_from(attempt).unwrap_or(i32::MAX),
        retry_at,
        input_json: node.input.as_ref().map(to_json).transpose()?,
        output_json: output,
        error,
        started_at: node.started_at.map(|t| t.naive_utc()),
        ended_at: node.ended_at.map(|t| t.naive_utc()),
        children: serde_json::to_string(&node.children).map_err(corrupt)?,
        cost_usd: node.cost_usd,
    })
}

fn decision_json(d: &Decision) -> String {
    json!({"approved": d.approved, "by": d.by, "comment": d.comment, "at": d.at.to_rfc3339()}).to_string()
}

fn decision_of(text: &str) -> Result<Decision, StoreError> {
    let v: Value = serde_json::from_str(text).map_err(corrupt)?;
    let at = v["at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| corrupt("a decision without its time"))?;
    Ok(Decision {
        approved: v["approved"].as_bool().unwrap_or(false),
        by: v["by"].as_str().unwrap_or_default().to_owned(),
        comment: v["comment"].as_str().map(str::to_owned),
        at: at.with_timezone(&Utc),
    })
}

fn node_of(row: NodeRow, decision: Option<String>) -> Result<NodeRun, StoreError> {
    let attempt = u32::try_from(row.attempt).unwrap_or(0);
    let state = match row.status.as_str() {
        "pending" => NodeState::Pending,
        "running" => NodeState::Running { attempt },
        "retrying" => NodeState::Retrying {
            attempt,
            at: row.retry_at.ok_or_else(|| corrupt("a retrying node without its time"))?.and_utc(),
        },
        "completed" => NodeState::Completed(from_json(row.output_json.as_deref().unwrap_or("{}"))?),
        "failed" => NodeState::Failed { error: row.error.unwrap_or_default(), attempts: attempt },
        "skipped" => NodeState::Skipped,
        other => return Err(corrupt(format!("unknown node status '{other}'"))),
    };
    Ok(NodeRun {
        node_id: NodeId::parse(&row.node_id).map_err(corrupt)?,
        node_type: row.node_type,
        state,
        input: row.input_json.as_deref().map(from_json).transpose()?,
        started_at: row.started_at.map(|t| t.and_utc()),
        ended_at: row.ended_at.map(|t| t.and_utc()),
        children: serde_json::from_str(&row.children).map_err(corrupt)?,
        cost_usd: row.cost_usd,
        decision: decision.as_deref().map(decision_of).transpose()?,
    })
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<WorkflowRun>, StoreError> {
    let Some((row, times)) = runs::table
        .find(id)
        .select((RunRow::as_select(), RunTimes::as_select()))
        .first::<(RunRow, RunTimes)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let stored: Vec<(NodeRow, Option<String>)> = nodes::table
        .filter(nodes::execution_id.eq(id))
        .order(nodes::position.asc())
        .select((NodeRow::as_select(), nodes::decision))
        .load(conn)?;
    Ok(Some(WorkflowRun {
        id: WorkflowRunId::parse(&row.id).map_err(corrupt)?,
        workflow_id: WorkflowId::parse(&row.workflow_id).map_err(corrupt)?,
        version: row.version,
        status: row.status.parse().map_err(corrupt)?,
        input: from_json(&row.input_json)?,
        output: row.output_json.as_deref().map(from_json).transpose()?,
        error: row.error,
        origin: origin_of(&row.origin)?,
        started_at: times.started_at.and_utc(),
        ended_at: times.ended_at.map(|t| t.and_utc()),
        nodes: stored.into_iter().map(|(n, d)| node_of(n, d)).collect::<Result<_, _>>()?,
    }))
}

/// The active runs `me` holds, and those it may take over (no driver, or one that is
/// stopped or lost).
fn claimable(conn: &mut AnyConnection, me: &str) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let active: Vec<(String, Option<String>)> =
        runs::table.filter(runs::status.eq_any(ACTIVE)).select((runs::id, runs::driver)).load(conn)?;
    if active.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let live: Vec<String> = workers::table
        .filter(workers::stopped_at.is_null())
        .filter(workers::lost_at.is_null())
        .select(workers::worker_id)
        .load(conn)?;
    let (mut own, mut takeable) = (Vec::new(), Vec::new());
    for (id, holder) in active {
        match holder {
            Some(h) if h == me => own.push(id),
            Some(h) if live.contains(&h) => {}
            _ => takeable.push(id),
        }
    }
    Ok((own, takeable))
}

fn is_active(conn: &mut AnyConnection, id: &str) -> Result<bool, StoreError> {
    let status: Option<String> = runs::table.find(id).select(runs::status).first(conn).optional()?;
    Ok(status.is_some_and(|s| ACTIVE.contains(&s.as_str())))
}

#[async_trait]
impl WorkflowRunRepository for SqlWorkflowRuns {
    async fn insert_run(&self, run: &WorkflowRun, claims: &[RunClaim]) -> Result<bool, WorkflowStoreError> {
        let id = run.id.as_str().to_owned();
        let rows = run
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| node_row(&id, i, n))
            .collect::<Result<Vec<_>, _>>()
            .map_err(WorkflowStoreError::from)?;
        let input = to_json(&run.input).map_err(WorkflowStoreError::from)?;
        let output = run.output.as_ref().map(to_json).transpose().map_err(WorkflowStoreError::from)?;
        let (workflow, version, status) = (run.workflow_id.as_str().to_owned(), run.version, run.status.as_str());
        let (error, origin, at) = (run.error.clone(), origin_text(&run.origin), run.started_at.naive_utc());
        let trigger = match &run.origin {
            RunOrigin::Trigger(id) => id.clone(),
            _ => String::new(),
        };
        let (claims, now) = (claims.to_vec(), run.started_at);
        let outcome = self
            .db
            .run(move |conn| {
                Ok(write(conn, |conn| {
                    // The delivery's keys first: a held one rolls everything back.
                    for claim in &claims {
                        if !crate::dedup::claim_in(conn, &trigger, &claim.key, now, claim.expires_at)? {
                            return Err(Insert::Duplicate);
                        }
                    }
                    diesel::insert_into(runs::table)
                        .values((
                            runs::id.eq(&id),
                            runs::workflow_id.eq(&workflow),
                            runs::version.eq(version),
                            runs::status.eq(status),
                            runs::input_json.eq(&input),
                            runs::output_json.eq(&output),
                            runs::error.eq(&error),
                            runs::origin.eq(&origin),
                            runs::started_at.eq(at),
                        ))
                        .execute(conn)?;
                    // One insert per node: a batch insert is not available on the multi-backend connection.
                    for row in &rows {
                        diesel::insert_into(nodes::table).values(row).execute(conn)?;
                    }
                    Ok(())
                }))
            })
            .await
            .map_err(WorkflowStoreError::from)?;
        match outcome {
            Ok(()) => Ok(true),
            // Only a held claim ends it short: a run has no concurrency cap to be busy at.
            Err(Insert::Duplicate | Insert::Busy(_)) => Ok(false),
            Err(Insert::Store(e)) => Err(e.into()),
        }
    }

    async fn get_run(&self, id: &WorkflowRunId) -> Result<Option<WorkflowRun>, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load(conn, &id)).await.map_err(WorkflowStoreError::from)
    }

    async fn runs_of(&self, workflow: &WorkflowId, limit: u32) -> Result<Vec<WorkflowRun>, WorkflowStoreError> {
        let workflow = workflow.as_str().to_owned();
        self.db
            .run(move |conn| {
                let ids: Vec<String> = runs::table
                    .filter(runs::workflow_id.eq(&workflow))
                    .order((runs::started_at.desc(), runs::id.desc()))
                    .limit(i64::from(limit))
                    .select(runs::id)
                    .load(conn)?;
                ids.iter().filter_map(|id| load(conn, id).transpose()).collect()
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn save_node(&self, run: &WorkflowRunId, node: &NodeRun) -> Result<bool, WorkflowStoreError> {
        let id = run.as_str().to_owned();
        // The position is kept from the insert; the decision is written by `decide` alone.
        let row = node_row(&id, 0, node).map_err(WorkflowStoreError::from)?;
        self.db
            .run(move |conn| {
                write(conn, |conn| {
                    if !is_active(conn, &id)? {
                        return Ok(false);
                    }
                    diesel::update(nodes::table.find((&id, &row.node_id)))
                        .set((
                            nodes::status.eq(&row.status),
                            nodes::attempt.eq(row.attempt),
                            nodes::retry_at.eq(row.retry_at),
                            nodes::input_json.eq(&row.input_json),
                            nodes::output_json.eq(&row.output_json),
                            nodes::error.eq(&row.error),
                            nodes::started_at.eq(row.started_at),
                            nodes::ended_at.eq(row.ended_at),
                            nodes::children.eq(&row.children),
                            nodes::cost_usd.eq(row.cost_usd),
                        ))
                        .execute(conn)?;
                    Ok(true)
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn end_run(&self, run: &WorkflowRunId, end: &RunEnding) -> Result<bool, WorkflowStoreError> {
        let id = run.as_str().to_owned();
        let output = end.output.as_ref().map(to_json).transpose().map_err(WorkflowStoreError::from)?;
        let (status, error, at) = (end.status.as_str(), end.error.clone(), end.at.naive_utc());
        self.db
            .run(move |conn| {
                let changed = diesel::update(runs::table.find(&id).filter(runs::status.eq_any(ACTIVE)))
                    .set((
                        runs::status.eq(status),
                        runs::output_json.eq(&output),
                        runs::error.eq(&error),
                        runs::ended_at.eq(at),
                    ))
                    .execute(conn)?;
                Ok(changed > 0)
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn decide(
        &self,
        run: &WorkflowRunId,
        node: &NodeId,
        decision: &Decision,
    ) -> Result<bool, WorkflowStoreError> {
        let (id, node, text) = (run.as_str().to_owned(), node.as_str().to_owned(), decision_json(decision));
        self.db
            .run(move |conn| {
                write(conn, |conn| {
                    if !is_active(conn, &id)? {
                        return Ok(false);
                    }
                    let changed = diesel::update(
                        nodes::table
                            .find((&id, &node))
                            .filter(nodes::status.eq("running"))
                            .filter(nodes::decision.is_null()),
                    )
                    .set(nodes::decision.eq(&text))
                    .execute(conn)?;
                    Ok(changed > 0)
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn claim(&self, driver: &WorkerId) -> Result<Vec<WorkflowRunId>, WorkflowStoreError> {
        let me = driver.as_str().to_owned();
        self.db
            .run(move |conn| {
                // Every driver asks twice a second: the write lock is taken only when a run
                // is there to take over, never to hand a driver the runs it already holds.
                let (own, takeable) = claimable(conn, &me)?;
                if takeable.is_empty() {
                    return own.iter().map(|id| WorkflowRunId::parse(id).map_err(corrupt)).collect();
                }
                write(conn, |conn| {
                    let (own, takeable) = claimable(conn, &me)?;
                    for id in &takeable {
                        diesel::update(runs::table.find(id)).set(runs::driver.eq(&me)).execute(conn)?;
                        diesel::update(runs::table.find(id).filter(runs::status.eq("pending")))
                            .set(runs::status.eq("running"))
                            .execute(conn)?;
                    }
                    own.iter().chain(&takeable).map(|id| WorkflowRunId::parse(id).map_err(corrupt)).collect()
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn release(&self, driver: &WorkerId) -> Result<(), WorkflowStoreError> {
        let me = driver.as_str().to_owned();
        self.db
            .run(move |conn| {
                diesel::update(runs::table.filter(runs::driver.eq(&me)).filter(runs::status.eq_any(ACTIVE)))
                    .set(runs::driver.eq(None::<String>))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(WorkflowStoreError::from)
    }
}
