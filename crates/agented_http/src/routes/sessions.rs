//! `/admin/sessions`: interactive terminal sessions (admin keys only, reads
//! included). Output streams as `output` events of the terminal's text, replayed
//! after `Last-Event-ID`; input, resize, pause, resume and stop are POSTs. The
//! handlers here also serve the original's `/api/projects/{id}/sessions` paths
//! (`project_sessions.rs`) through [`SessionRef`]'s project.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::middleware::audit::AuditNote;
use crate::routes::session_views::{
    ListQuery, OpenSession, OutputQuery, SessionOutput, SessionResize, SessionStreamQuery, TerminalInput, TerminalList,
    TerminalView, field,
};
use crate::stream_slots::StreamSlots;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use actix_web_lab::sse;
use agented_auth::Principal;
use agented_kernel::{ProjectId, SessionId};
use agented_sessions::{Session, SessionEvent, SessionRef, TerminalSize};
use std::time::Duration;

/// A session's silence before a heartbeat comment.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The session a path names (an unknown or malformed id is not found).
pub(crate) fn reference(id: &str, project: Option<&str>) -> Result<SessionRef, ApiError> {
    let not_found = |_| ApiError::not_found("session not found");
    Ok(SessionRef {
        id: SessionId::parse(id).map_err(not_found)?,
        project: project.map(ProjectId::parse).transpose().map_err(|_| ApiError::not_found("project not found"))?,
    })
}

pub(crate) async fn input(
    req: &HttpRequest,
    state: &AppState,
    r: &SessionRef,
    body: TerminalInput,
) -> Result<HttpResponse, ApiError> {
    if body.text.len() > 64 * 1024 {
        return Err(field("text", "at most 64 KiB at once"));
    }
    // The trail records that input was sent, never what: it may be a password.
    AuditNote {
        action: "session.input".into(),
        entity_type: "session".into(),
        entity_id: Some(r.id.to_string()),
        changes: Some(serde_json::json!({ "bytes": body.text.len() })),
    }
    .attach(req);
    state.sessions.input(r, &body.text).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "message": "Input sent", "session_id": r.id.as_str() })))
}

pub(crate) async fn output(state: &AppState, r: &SessionRef, query: &OutputQuery) -> Result<HttpResponse, ApiError> {
    let last_n = query.last_n.unwrap_or(100);
    if !(1..=10_000).contains(&last_n) {
        return Err(ApiError::bad_request("invalid_query", "last_n must be 1 to 10000"));
    }
    let lines = state.sessions.output_lines(r, last_n).await?;
    Ok(HttpResponse::Ok().json(SessionOutput { count: lines.len(), lines }))
}

pub(crate) fn view(session: Session) -> HttpResponse {
    HttpResponse::Ok().json(TerminalView::from(session))
}

/// The live stream of a session: `status`, `output` (`{seq, data}`, `id: seq`), `complete`.
pub(crate) async fn stream(
    req: &HttpRequest,
    state: &AppState,
    r: &SessionRef,
    query: &SessionStreamQuery,
) -> Result<HttpResponse, ApiError> {
    let header = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let after: i64 = header.or(query.last_event_id).or(query.after).unwrap_or(0).max(0);
    let slot = StreamSlots::open(req)?;
    let events = state.sessions.follow(r, after, HEARTBEAT).await?;
    let stream = futures_util::stream::unfold((events, slot), |(mut events, slot)| async move {
        let event = events.recv().await?;
        Some((sse_event(event), (events, slot)))
    });
    let response = sse::Sse::from_infallible_stream(stream).with_retry_duration(Duration::from_secs(2)).respond_to(req);
    Ok(response.map_into_boxed_body())
}

fn sse_event(event: SessionEvent) -> sse::Event {
    let json = |name: &str, session: Session| {
        let text = serde_json::to_string(&TerminalView::from(session)).unwrap_or_default();
        sse::Data::new(text).event(name.to_owned()).into()
    };
    match event {
        SessionEvent::Status(s) => json("status", *s),
        SessionEvent::Complete(s) => json("complete", *s),
        SessionEvent::Output(chunk) => {
            let body = serde_json::json!({ "seq": chunk.seq, "data": chunk.data });
            sse::Data::new(body.to_string()).event("output").id(chunk.seq.to_string()).into()
        }
        SessionEvent::Quiet => sse::Event::Comment("heartbeat".into()),
    }
}

/// Sessions, newest first (admin keys only).
#[utoipa::path(
    tag = "sessions",
    params(ListQuery),
    responses((status = 200, body = TerminalList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/sessions")]
pub async fn list_sessions(state: web::Data<AppState>, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let project = query
        .project_id
        .as_deref()
        .map(ProjectId::parse)
        .transpose()
        .map_err(|e| field("project_id", e.to_string()))?;
    let sessions = state.sessions.list(project.as_ref()).await?;
    let sessions = sessions.into_iter().map(TerminalView::from).collect();
    Ok(HttpResponse::Ok().json(TerminalList { sessions, programs: state.sessions.programs() }))
}

/// Opens a session: the program starts in a pseudo-terminal at once.
#[utoipa::path(
    tag = "sessions",
    request_body = OpenSession,
    responses(
        (status = 201, body = TerminalView),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 422, description = "A program that may not run, or is not installed", body = ErrorBody),
        (status = 429, description = "The key has its limit of open sessions", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/sessions")]
pub async fn open_session(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    body: web::Json<OpenSession>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner().request(None, &principal)?;
    Ok(HttpResponse::Created().json(TerminalView::from(state.sessions.open(request).await?)))
}

/// One session.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/sessions/{id}")]
pub async fn get_session(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(view(state.sessions.get(&reference(&id, None)?).await?))
}

/// The last lines of output, as plain text.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id"), OutputQuery),
    responses((status = 200, body = SessionOutput), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/sessions/{id}/output")]
pub async fn session_output(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<OutputQuery>,
) -> Result<HttpResponse, ApiError> {
    output(&state, &reference(&id, None)?, &query).await
}

/// Types into the session. The audit trail records the size, never the text.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    request_body = TerminalInput,
    responses(
        (status = 200, description = "Sent"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Ended, paused, or run by another server", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/sessions/{id}/input")]
pub async fn session_input(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<TerminalInput>,
) -> Result<HttpResponse, ApiError> {
    input(&req, &state, &reference(&id, None)?, body.into_inner()).await
}

/// Resizes the terminal (the program gets SIGWINCH).
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    request_body = SessionResize,
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/sessions/{id}/resize")]
pub async fn resize_session(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<SessionResize>,
) -> Result<HttpResponse, ApiError> {
    let size = TerminalSize::new(body.cols, body.rows).map_err(|m| field("size", m))?;
    Ok(view(state.sessions.resize(&reference(&id, None)?, size).await?))
}

/// Stops the session (hang-up, then kill) and answers once it ended.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/sessions/{id}/stop")]
pub async fn stop_session(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(view(state.sessions.stop(&reference(&id, None)?).await?))
}

/// Pauses the session's processes (SIGSTOP).
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/sessions/{id}/pause")]
pub async fn pause_session(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(view(state.sessions.pause(&reference(&id, None)?, true).await?))
}

/// Resumes a paused session (SIGCONT).
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/sessions/{id}/resume")]
pub async fn resume_session(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(view(state.sessions.pause(&reference(&id, None)?, false).await?))
}

/// Issues a 60-second token for `GET /admin/sessions/{id}/stream`, valid for that path only.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = crate::routes::streams::StreamTokenView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/sessions/{id}/stream-token")]
pub async fn session_stream_token(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = state.sessions.get(&reference(&id, None)?).await?;
    let token = crate::routes::streams::token_for(&state, format!("/admin/sessions/{}/stream", session.id));
    Ok(HttpResponse::Ok().json(token))
}

/// The session live: `status`, `output` (`{seq, data}` with `id: seq`; resume after
/// `Last-Event-ID` or `?after=`), and `complete` last; `: heartbeat` comments.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Session id"), SessionStreamQuery),
    responses(
        (status = 200, description = "text/event-stream of `status`, `output` and `complete` events"),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many open streams", body = ErrorBody),
    ),
    security(("api_key" = []), ())
)]
#[get("/sessions/{id}/stream")]
pub async fn stream_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<SessionStreamQuery>,
) -> Result<HttpResponse, ApiError> {
    stream(&req, &state, &reference(&id, None)?, &query).await
}
