//! `/admin/executions`: list, detail with logs, cancel, retry, and the live
//! SSE stream (replayed from the store, then followed on the bus).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::views::{ExecutionView, LogLineView};
use crate::stream_slots::StreamSlots;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use actix_web_lab::sse;
use agented_executions::{Cancelled, ExecutionFilter, ExecutionStatus, LogLine, LogStream, RunEvent};
use agented_kernel::{ExecutionId, Page, TriggerId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;
use utoipa::ToSchema;

/// Lines included in `stdout_log`/`stderr_log` of the detail view.
const DETAIL_LINES: u32 = 50_000;
/// A page of executions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionList {
    /// Newest first.
    pub executions: Vec<ExecutionView>,
    /// Matching executions in all.
    pub total: u64,
    /// Same as `total` (the original's name).
    pub total_count: u64,
}

impl ExecutionList {
    /// A page of `items` out of `total`.
    pub(crate) fn of(items: Vec<agented_executions::Execution>, total: u64) -> Self {
        Self { executions: items.into_iter().map(ExecutionView::from).collect(), total, total_count: total }
    }
}

/// Filters and paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExecutionQuery {
    /// At most 500 (default 100).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
    /// Only this trigger's.
    pub trigger_id: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Queued at or after (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Queued before (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// An execution with its logs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionDetail {
    /// The execution.
    #[serde(flatten)]
    pub execution: ExecutionView,
    /// Standard output lines joined by newlines (first 50,000 lines; see `/logs` for all).
    pub stdout_log: String,
    /// Standard error lines joined by newlines.
    pub stderr_log: String,
    /// The `?q=` given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_search_query: Option<String>,
    /// Lines matching `?q=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_match_count: Option<usize>,
    /// True when the run has more lines than the logs above hold.
    pub log_truncated: bool,
}

/// `?q=`: keep only lines containing this text (case-insensitive).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DetailQuery {
    /// Text to search for.
    pub q: Option<String>,
}

/// A page of log lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    /// In order.
    pub lines: Vec<LogLineView>,
    /// Pass as `after` for the next page; `null` when this page was empty.
    pub next_after: Option<i64>,
}

/// Which lines.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Lines after this sequence number (default 0).
    pub after: Option<i64>,
    /// At most this many (default 1000, at most 5000).
    pub limit: Option<u32>,
}

/// Where a stream resumes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Resume after this `id:` (same as the `Last-Event-ID` header).
    pub last_event_id: Option<i64>,
    /// Alias of `last_event_id`.
    pub after: Option<i64>,
    /// A stream token (from `POST …/stream-token`) for clients that cannot send headers.
    pub token: Option<String>,
}

/// What a cancel did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelAnswer {
    /// Human-readable.
    pub message: &'static str,
    /// The execution.
    pub execution_id: String,
    /// `cancelling` (the process was signalled) or `cancelled`.
    pub status: &'static str,
}

pub(crate) fn parse_status(s: &str) -> Result<ExecutionStatus, ApiError> {
    s.parse().map_err(|e: agented_executions::UnknownStatus| ApiError::bad_request("invalid_status", e.to_string()))
}

/// Lists executions, newest first.
#[utoipa::path(
    tag = "executions",
    params(ExecutionQuery),
    responses((status = 200, body = ExecutionList), (status = 400, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/executions")]
pub async fn list_executions(
    state: web::Data<AppState>,
    query: web::Query<ExecutionQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page =
        Page::new(query.limit, query.offset).map_err(|e| ApiError::bad_request("invalid_page", e.to_string()))?;
    let trigger_id = query
        .trigger_id
        .as_deref()
        .map(|t| TriggerId::parse(t).map_err(|e| ApiError::bad_request("invalid_trigger_id", e.to_string())))
        .transpose()?;
    let filter = ExecutionFilter {
        trigger_id,
        status: query.status.as_deref().map(parse_status).transpose()?,
        since: query.since,
        until: query.until,
    };
    let (items, total) = state.runs.list(&filter, page).await?;
    Ok(HttpResponse::Ok().json(ExecutionList::of(items, total)))
}

/// One execution with its stdout and stderr; `?q=` keeps matching lines only.
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id"), DetailQuery),
    responses((status = 200, body = ExecutionDetail), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/executions/{id}")]
pub async fn get_execution(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, ApiError> {
    let execution = state.runs.get(&id).await?;
    let lines = state.follower.page(&execution.execution_id, 0, DETAIL_LINES).await?;
    let needle = query.q.as_deref().filter(|q| !q.is_empty()).map(str::to_lowercase);
    let (mut stdout, mut stderr, mut matches) = (Vec::new(), Vec::new(), 0);
    for line in &lines {
        if needle.as_deref().is_some_and(|n| !line.content.to_lowercase().contains(n)) {
            continue;
        }
        matches += 1;
        match line.stream {
            LogStream::Stdout => stdout.push(line.content.as_str()),
            LogStream::Stderr => stderr.push(line.content.as_str()),
        }
    }
    let truncated = execution.log_lines > i64::from(DETAIL_LINES);
    let detail = ExecutionDetail {
        stdout_log: stdout.join("\n"),
        stderr_log: stderr.join("\n"),
        log_search_query: needle.as_ref().and(query.q.clone()),
        log_match_count: needle.as_ref().map(|_| matches),
        log_truncated: truncated,
        execution: ExecutionView::from(execution),
    };
    Ok(HttpResponse::Ok().json(detail))
}

/// Log lines in order, a page at a time.
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id"), LogQuery),
    responses((status = 200, body = LogPage), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/executions/{id}/logs")]
pub async fn execution_logs(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, ApiError> {
    let execution = state.runs.get(&id).await?;
    let limit = query.limit.unwrap_or(1000).clamp(1, 5000);
    let lines = state.follower.page(&execution.execution_id, query.after.unwrap_or(0).max(0), limit).await?;
    let next_after = lines.last().map(|l| l.seq);
    Ok(HttpResponse::Ok().json(LogPage { lines: lines.into_iter().map(LogLineView::from).collect(), next_after }))
}

async fn cancel(state: &AppState, id: &str) -> Result<HttpResponse, ApiError> {
    let id = ExecutionId::parse(id).map_err(|_| ApiError::not_found("execution not found"))?;
    let (message, status) = match state.runs.cancel(&id).await? {
        Cancelled::Signalled => ("Cancellation requested", "cancelling"),
        Cancelled::Immediately => ("Execution cancelled", "cancelled"),
    };
    Ok(HttpResponse::Ok().json(CancelAnswer { message, execution_id: id.to_string(), status }))
}

/// Stops a queued or running execution: SIGTERM to its process group, SIGKILL after the grace period.
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 200, body = CancelAnswer),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not running", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/executions/{id}/cancel")]
pub async fn cancel_execution(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    cancel(&state, &id).await
}

/// Same as `POST …/cancel` (the original's spelling).
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 200, body = CancelAnswer),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not running", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[delete("/executions/{id}")]
pub async fn delete_execution(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    cancel(&state, &id).await
}

/// Tries a run waiting on a rate limit now instead of at its next attempt ("Try now").
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 200, description = "Queued again", body = ExecutionView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not waiting on a rate limit", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/executions/{id}/try-now")]
pub async fn try_now(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = ExecutionId::parse(&id).map_err(|_| ApiError::not_found("execution not found"))?;
    let execution = state.runs.try_now(&id).await?;
    Ok(HttpResponse::Ok().json(ExecutionView::from(execution)))
}

/// Runs a finished execution again from its stored prompt, backend and paths.
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 202, body = crate::routes::triggers::RunStarted),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Still running", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/executions/{id}/retry")]
pub async fn retry_execution(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = ExecutionId::parse(&id).map_err(|_| ApiError::not_found("execution not found"))?;
    let execution = state.runs.retry(&id).await?;
    Ok(HttpResponse::Accepted().json(crate::routes::triggers::RunStarted::from(&execution)))
}

/// Live events of a run: `status`, `log` (with `id: <seq>`), `complete`, and
/// `: heartbeat` comments. Resumes after `Last-Event-ID` or `?last_event_id=`;
/// a client arriving after the end gets the whole log and `complete`.
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id"), StreamQuery),
    responses(
        (status = 200, description = "Server-Sent Events, each as described", content_type = "text/event-stream", body = StreamEvent),
        (status = 404, body = ErrorBody),
        (status = 429, description = "The caller or its address has its cap of open streams", body = ErrorBody),
    ),
    security(("api_key" = []), ())
)]
#[get("/executions/{id}/stream")]
pub async fn stream_execution(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let execution = state.runs.get(&id).await?;
    let slot = StreamSlots::open(&req)?;
    let header = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let after: i64 = header.or(query.last_event_id).or(query.after).unwrap_or(0).max(0);
    let (events_tx, events) = mpsc::channel::<RunEvent>(64);
    let follower = state.follower.clone();
    tokio::spawn(async move {
        follower.follow(execution, after, events_tx).await;
        drop(slot);
    });
    let stream = futures_util::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        Some((sse_event(event), events))
    });
    use actix_web::Responder;
    let mut response =
        sse::Sse::from_infallible_stream(stream).with_retry_duration(Duration::from_secs(2)).respond_to(&req);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("x-accel-buffering"),
        actix_web::http::header::HeaderValue::from_static("no"),
    );
    Ok(response.map_into_boxed_body())
}

/// One Server-Sent Event of a run's stream, as a client's parser sees it.
#[derive(Debug, ToSchema)]
pub struct StreamEvent {
    /// `status` (the run's state changed), `log` (a stored line) or `complete` (the run ended; the last event).
    pub event: String,
    /// A JSON object: `status` → execution_id, status, started_at, error_message, next_attempt_at;
    /// `log` → seq, stream, content, timestamp; `complete` → the final status, exit code, log_lines, usage
    /// and the worker that ran it.
    pub data: String,
    /// The line's `seq` on `log` events: send it back as `Last-Event-ID` to resume after it.
    pub id: Option<String>,
    /// Milliseconds a client waits before reconnecting (sent once, first).
    pub retry: Option<u32>,
}

/// One run event as the SSE event a client's parser sees.
fn sse_event(event: RunEvent) -> sse::Event {
    let json = |name: &str, value: serde_json::Value| sse::Data::new(value.to_string()).event(name.to_owned()).into();
    match event {
        RunEvent::Status(e) => json(
            "status",
            serde_json::json!({
                "status": e.status.as_str(),
                "started_at": e.started_at,
                "execution_id": e.execution_id.as_str(),
                "next_attempt_at": e.next_attempt_at,
                "error_message": e.error_message,
                "worker": e.worker.as_ref().map(agented_kernel::WorkerId::as_str),
            }),
        ),
        RunEvent::Line(LogLine { seq, timestamp, stream, content }) => {
            let body = serde_json::json!({ "timestamp": timestamp, "stream": stream.as_str(), "content": content, "seq": seq });
            sse::Data::new(body.to_string()).event("log").id(seq.to_string()).into()
        }
        RunEvent::Quiet => sse::Event::Comment("heartbeat".into()),
        RunEvent::Complete(e) => json(
            "complete",
            serde_json::json!({
                "status": e.status.as_str(),
                "exit_code": e.exit_code,
                "error_message": e.error_message,
                "duration_ms": e.duration_ms,
                "finished_at": e.finished_at,
                "input_tokens": e.input_tokens,
                "output_tokens": e.output_tokens,
                "total_cost_usd": e.total_cost_usd,
                "cost_source": e.cost_source.map(agented_executions::CostSource::as_str),
                "log_lines": e.log_lines,
                "worker": e.worker.as_ref().map(agented_kernel::WorkerId::as_str),
            }),
        ),
    }
}
