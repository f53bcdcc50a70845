//! Runs of workflows ("workflow executions", the original's paths): start one, read,
//! list and cancel them, approve or reject an approval node, and follow one live.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use crate::routes::workflow_run_views::{RunStartedView, WorkflowRunList, WorkflowRunView};
use crate::stream_slots::StreamSlots;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use actix_web_lab::sse;
use agented_auth::Principal;
use agented_workflows::{RunOrigin, WorkflowRun};
use serde::Deserialize;
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
pub struct WorkflowRunInput {
    /// The run's input: any JSON (up to 256 KiB). A string is the first node's text; an
    /// object's `text` or `message` is.
    #[schema(value_type = Option<Object>)]
    pub input_json: Option<Value>,
    /// The version to run (a draft too); the newest published one when absent.
    pub version: Option<i64>,
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
    request_body = WorkflowRunInput,
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
    let input: WorkflowRunInput = optional_json(&body)?;
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
