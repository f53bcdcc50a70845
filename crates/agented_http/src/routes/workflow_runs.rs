//! Runs of workflows ("workflow executions", the original's paths): start one, read,
//! list and cancel them, approve or reject an approval node, and follow one live.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use crate::stream_slots::StreamSlots;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use actix_web_lab::sse;
use agented_auth::Principal;
use agented_workflows::{NodeOutput, NodeState, RunOrigin, WorkflowRun, state_name};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use utoipa::ToSchema;

/// How often a live run is read again for its stream.
const STREAM_POLL: Duration = Duration::from_millis(250);
/// A comment this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A request to run a workflow.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RunInput {
    /// The run's input: any JSON (up to 256 KiB). A string is the first node's text; an
    /// object's `text` or `message` is.
    #[schema(value_type = Option<Object>)]
    pub input_json: Option<Value>,
    /// The version to run (a draft too); the newest published one when absent.
    pub version: Option<i64>,
}

/// A started run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunStartedView {
    /// `wfx-…`: read it at `GET /admin/workflows/executions/{id}`.
    pub workflow_execution_id: String,
    /// The same id, under the original platform's name.
    pub execution_id: String,
    /// The version it runs.
    pub version: i64,
    /// `pending`.
    pub status: String,
}

/// An approval node's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// Approved, else rejected.
    pub approved: bool,
    /// The API key that decided.
    pub decided_by: String,
    /// What they wrote.
    pub comment: Option<String>,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// One node of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeRunView {
    /// The node's id in the graph.
    pub node_id: String,
    /// Its kind.
    pub node_type: String,
    /// `pending`, `running`, `retrying`, `completed`, `failed` or `skipped`.
    pub status: String,
    /// The attempt under way, or the attempts made.
    pub attempt: u32,
    /// When a retrying node tries again.
    pub retry_at: Option<DateTime<Utc>>,
    /// What reached it.
    #[schema(value_type = Option<Object>)]
    pub input_json: Option<NodeOutput>,
    /// Its output, once completed (`{content_type, text, data, metadata, exit_code, stdout, stderr}`).
    #[schema(value_type = Option<Object>)]
    pub output_json: Option<NodeOutput>,
    /// Why it failed.
    pub error: Option<String>,
    /// Its first start.
    pub started_at: Option<DateTime<Utc>>,
    /// When it settled.
    pub ended_at: Option<DateTime<Utc>>,
    /// Milliseconds from its first start to its end (or until now).
    pub duration_ms: Option<i64>,
    /// The executions (agent nodes) or workflow runs (sub-workflow nodes) it started.
    pub execution_ids: Vec<String>,
    /// What its executions cost.
    pub cost_usd: Option<f64>,
    /// An approval node's answer.
    pub decision: Option<DecisionView>,
    /// The run's longest-running node.
    pub slowest: bool,
    /// The run's costliest node.
    pub costliest: bool,
}

/// A run of a workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowRunView {
    /// `wfx-…`.
    pub id: String,
    /// Its workflow.
    pub workflow_id: String,
    /// The version it runs.
    pub version: i64,
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// What it started with.
    #[schema(value_type = Option<Object>)]
    pub input_json: Value,
    /// Its result, once completed.
    #[schema(value_type = Option<Object>)]
    pub output_json: Option<NodeOutput>,
    /// Why it failed or was cancelled.
    pub error: Option<String>,
    /// `manual`, `trigger` or `workflow` (a sub-workflow node).
    pub origin: String,
    /// The trigger, or the parent run and node (`wfx-…/node`).
    pub origin_id: Option<String>,
    /// When it was started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The sum of its nodes' costs.
    pub total_cost_usd: Option<f64>,
    /// The longest-running node.
    pub slowest_node: Option<String>,
    /// The costliest node.
    pub costliest_node: Option<String>,
    /// Its nodes, in the graph's order.
    pub nodes: Vec<NodeRunView>,
}

impl WorkflowRunView {
    fn of(run: WorkflowRun, now: DateTime<Utc>) -> Self {
        let profile = run.profile(now);
        let (total_cost_usd, id) = (run.cost_usd(), run.id.to_string());
        let (origin, origin_id) = match &run.origin {
            RunOrigin::Manual => ("manual", None),
            RunOrigin::Trigger(t) => ("trigger", Some(t.clone())),
            RunOrigin::Parent { run, node } => ("workflow", Some(format!("{run}/{}", node.as_str()))),
        };
        let input_json =
            run.input.data.clone().or_else(|| run.input.text.clone().map(Value::from)).unwrap_or(Value::Null);
        let nodes = run
            .nodes
            .into_iter()
            .map(|n| {
                let (attempt, retry_at, output_json, error) = match &n.state {
                    NodeState::Pending | NodeState::Skipped => (0, None, None, None),
                    NodeState::Running { attempt } => (*attempt, None, None, None),
                    NodeState::Retrying { attempt, at } => (*attempt, Some(*at), None, None),
                    NodeState::Completed(out) => (1, None, Some(out.clone()), None),
                    NodeState::Failed { error, attempts } => (*attempts, None, None, Some(error.clone())),
                };
                NodeRunView {
                    slowest: profile.slowest.as_ref() == Some(&n.node_id),
                    costliest: profile.costliest.as_ref() == Some(&n.node_id),
                    node_id: n.node_id.as_str().to_owned(),
                    status: state_name(&n.state).to_owned(),
                    duration_ms: n.duration_ms(now),
                    node_type: n.node_type,
                    attempt,
                    retry_at,
                    input_json: n.input,
                    output_json,
                    error,
                    started_at: n.started_at,
                    ended_at: n.ended_at,
                    execution_ids: n.children,
                    cost_usd: n.cost_usd,
                    decision: n.decision.map(|d| DecisionView {
                        approved: d.approved,
                        decided_by: d.by,
                        comment: d.comment,
                        decided_at: d.at,
                    }),
                }
            })
            .collect();
        Self {
            id,
            workflow_id: run.workflow_id.to_string(),
            version: run.version,
            status: run.status.as_str().to_owned(),
            input_json,
            output_json: run.output,
            error: run.error,
            origin: origin.to_owned(),
            origin_id,
            started_at: run.started_at,
            ended_at: run.ended_at,
            total_cost_usd,
            slowest_node: profile.slowest.map(|n| n.as_str().to_owned()),
            costliest_node: profile.costliest.map(|n| n.as_str().to_owned()),
            nodes,
        }
    }
}

/// A workflow's runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowRunList {
    /// Newest first.
    pub executions: Vec<WorkflowRunView>,
}

/// How many runs to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// 1–200, default 50.
    pub limit: Option<u32>,
}

/// An approve or a reject.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionInput {
    /// Up to 10 000 characters, kept with the decision.
    pub comment: Option<String>,
}

fn view(state: &AppState, run: WorkflowRun) -> HttpResponse {
    HttpResponse::Ok().json(WorkflowRunView::of(run, state.clock.now()))
}

/// Runs a workflow: 202 with the run's id; a driver (a worker process) runs its nodes.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    request_body = RunInput,
    responses(
        (status = 202, body = RunStartedView),
        (status = 404, description = "No such workflow or version", body = ErrorBody),
        (status = 409, description = "Disabled, or nothing published and no version named", body = ErrorBody),
        (status = 422, description = "An input over 256 KiB", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows/{id}/run")]
pub async fn run_workflow(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: RunInput = optional_json(&body)?;
    let value = input.input_json.unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    let run = state.workflow_runs.start(&id, input.version, value, RunOrigin::Manual).await?;
    Ok(HttpResponse::Accepted().json(RunStartedView {
        workflow_execution_id: run.id.to_string(),
        execution_id: run.id.to_string(),
        version: run.version,
        status: run.status.as_str().to_owned(),
    }))
}

/// One run, with each node's status, output, execution ids, duration and cost.
#[utoipa::path(
    tag = "workflows",
    params(("eid" = String, Path, description = "Workflow execution id (`wfx-…`)")),
    responses((status = 200, body = WorkflowRunView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/workflows/executions/{eid}")]
pub async fn get_run(state: web::Data<AppState>, eid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(view(&state, state.workflow_runs.get(&eid).await?))
}

/// A workflow's runs, newest first.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ListQuery),
    responses((status = 200, body = WorkflowRunList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/workflows/{id}/executions")]
pub async fn list_runs(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let runs = state.workflow_runs.list(&id, query.limit.unwrap_or(50)).await?;
    let now = state.clock.now();
    Ok(HttpResponse::Ok()
        .json(WorkflowRunList { executions: runs.into_iter().map(|r| WorkflowRunView::of(r, now)).collect() }))
}

/// Cancels a run: what its nodes are doing is stopped (a command's processes too).
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ("eid" = String, Path, description = "Workflow execution id")),
    responses(
        (status = 200, body = WorkflowRunView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "It has already ended", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows/{id}/executions/{eid}/cancel")]
pub async fn cancel_run(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    principal: web::ReqData<Principal>,
) -> Result<HttpResponse, ApiError> {
    let (id, eid) = path.into_inner();
    Ok(view(&state, state.workflow_runs.cancel(&id, &eid, &principal.name).await?))
}

/// Approves an approval node while it waits; the deciding key is recorded.
#[utoipa::path(
    tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("eid" = String, Path, description = "Workflow execution id"),
        ("node" = String, Path, description = "The approval node's id"),
    ),
    request_body = DecisionInput,
    responses(
        (status = 200, body = WorkflowRunView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The node is not an approval waiting for a decision", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows/{id}/executions/{eid}/nodes/{node}/approve")]
pub async fn approve_node(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    principal: web::ReqData<Principal>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    decide(&state, path.into_inner(), &principal, &body, true).await
}

/// Rejects an approval node while it waits: the node fails (its `on_error` decides what follows).
#[utoipa::path(
    tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("eid" = String, Path, description = "Workflow execution id"),
        ("node" = String, Path, description = "The approval node's id"),
    ),
    request_body = DecisionInput,
    responses(
        (status = 200, body = WorkflowRunView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The node is not an approval waiting for a decision", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows/{id}/executions/{eid}/nodes/{node}/reject")]
pub async fn reject_node(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    principal: web::ReqData<Principal>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    decide(&state, path.into_inner(), &principal, &body, false).await
}

async fn decide(
    state: &AppState,
    (id, eid, node): (String, String, String),
    principal: &Principal,
    body: &[u8],
    approved: bool,
) -> Result<HttpResponse, ApiError> {
    let comment = optional_json::<DecisionInput>(body)?.comment;
    Ok(view(state, state.workflow_runs.decide(&id, &eid, &node, approved, &principal.name, comment).await?))
}

/// Issues a 60-second token for this run's stream, valid for that path only.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ("eid" = String, Path, description = "Workflow execution id")),
    responses((status = 200, body = crate::routes::streams::StreamTokenView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/workflows/{id}/executions/{eid}/stream-token")]
pub async fn run_stream_token(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, eid) = path.into_inner();
    let run = state.workflow_runs.get_of(&id, &eid).await?;
    let token = crate::routes::streams::token_for(
        &state,
        format!("/admin/workflows/{}/executions/{}/stream", run.workflow_id, run.id),
    );
    Ok(HttpResponse::Ok().json(token))
}

/// A run, live: a `run` event with the whole run (as `GET …/executions/{eid}`) first and
/// whenever it changes, and `complete` with the final run, last. Authenticated with a key
/// header or `?token=` from `POST …/stream-token`.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ("eid" = String, Path, description = "Workflow execution id")),
    responses(
        (status = 200, description = "text/event-stream of `run` and `complete` events"),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many open streams", body = ErrorBody),
    ),
    security(("api_key" = []), ())
)]
#[get("/workflows/{id}/executions/{eid}/stream")]
pub async fn stream_run(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, eid) = path.into_inner();
    let first = state.workflow_runs.get_of(&id, &eid).await?;
    let slot = StreamSlots::open(&req)?;
    let runs = state.workflow_runs.clone();
    let clock = state.clock.clone();
    // (a run read but not yet sent, the last JSON sent, whether `complete` went out, the slot)
    let start = (Some(first), String::new(), false, slot);
    let stream = futures_util::stream::unfold(start, move |(mut next, mut sent, done, slot)| {
        let (runs, clock, eid) = (runs.clone(), clock.clone(), eid.clone());
        async move {
            if done {
                return None;
            }
            loop {
                let run = match next.take() {
                    Some(run) => run,
                    None => {
                        tokio::time::sleep(STREAM_POLL).await;
                        match runs.get(&eid).await {
                            Ok(run) => run,
                            Err(_) => return None,
                        }
                    }
                };
                let ended = run.status.is_terminal();
                let json = serde_json::to_string(&WorkflowRunView::of(run, clock.now())).unwrap_or_default();
                if ended {
                    let event = sse::Event::from(sse::Data::new(json).event("complete"));
                    return Some((Ok::<_, std::convert::Infallible>(event), (None, sent, true, slot)));
                }
                if json != sent {
                    sent.clone_from(&json);
                    let event = sse::Event::from(sse::Data::new(json).event("run"));
                    return Some((Ok(event), (None, sent, false, slot)));
                }
            }
        }
    });
    // `X-Accel-Buffering: no` is on every response (the finishing middleware).
    let response = sse::Sse::from_stream(stream)
        .with_retry_duration(Duration::from_secs(2))
        .with_keep_alive(KEEP_ALIVE)
        .respond_to(&req);
    Ok(response.map_into_boxed_body())
}
