//! The original's project session paths, `/api/projects/{id}/sessions…`, and
//! `POST /api/projects/{id}/planning/invoke` (a GRD command in a planning
//! session; one open per project, 409 otherwise). Same handlers as
//! `/admin/sessions`, with the session checked to belong to the project.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::session_views::{
    OpenSession, OutputQuery, SessionStreamQuery, TerminalInput, TerminalList, TerminalView,
};
use crate::routes::sessions::{input, output, reference, stream, view};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use agented_auth::Principal;
use agented_kernel::ProjectId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn project(id: &str) -> Result<ProjectId, ApiError> {
    ProjectId::parse(id).map_err(|_| ApiError::not_found("project not found"))
}

/// A GRD planning command: `/grd:<command> <args…>` as Claude Code's first prompt.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokePlanning {
    /// A GRD command name, like `plan-phase`.
    pub command: String,
    /// Its arguments: a list, or (the original's form) an object whose values are taken in key order.
    #[schema(value_type = Object)]
    pub args: Option<serde_json::Value>,
}

/// What `planning/invoke` answers (the original's shape, with the session).
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanningStarted {
    /// The new session.
    pub session_id: String,
    /// `running`.
    pub status: &'static str,
    /// The session.
    pub session: TerminalView,
}

fn planning_args(args: Option<serde_json::Value>) -> Result<Vec<String>, ApiError> {
    use serde_json::Value;
    let text = |v: Value| match v {
        Value::String(s) => Ok(s),
        v @ (Value::Number(_) | Value::Bool(_)) => Ok(v.to_string()),
        _ => Err(ApiError::invalid_fields([("args".to_owned(), "values must be text or numbers".to_owned())].into())),
    };
    match args {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.into_iter().map(text).collect(),
        Some(Value::Object(map)) => map.into_iter().map(|(_, v)| text(v)).collect(),
        Some(_) => {
            Err(ApiError::invalid_fields([("args".to_owned(), "must be a list or an object".to_owned())].into()))
        }
    }
}

/// Starts a GRD planning command in a planning session on the project.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id")),
    request_body = InvokePlanning,
    responses(
        (status = 201, body = PlanningStarted),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A planning session is already active (its id in `details.session_id`)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/planning/invoke")]
pub async fn invoke_planning(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<InvokePlanning>,
) -> Result<HttpResponse, ApiError> {
    let InvokePlanning { command, args } = body.into_inner();
    let args = planning_args(args)?;
    let session = state.sessions.plan(project(&id)?, (&command, &args), principal.name.clone()).await?;
    Ok(HttpResponse::Created().json(PlanningStarted {
        session_id: session.id.to_string(),
        status: "running",
        session: TerminalView::from(session),
    }))
}

/// The project's sessions, newest first.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = TerminalList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/sessions")]
pub async fn list_project_sessions(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sessions = state.sessions.list(Some(&project(&id)?)).await?;
    let sessions = sessions.into_iter().map(TerminalView::from).collect();
    Ok(HttpResponse::Ok().json(TerminalList { sessions, programs: state.sessions.programs() }))
}

/// Opens a session in the project's folder (its roadmap is written to `.planning/` there).
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id")),
    request_body = OpenSession,
    responses((status = 201, body = TerminalView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/sessions")]
pub async fn open_project_session(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<OpenSession>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner().request(Some(project(&id)?), &principal)?;
    Ok(HttpResponse::Created().json(TerminalView::from(state.sessions.open(request).await?)))
}

type Ids = web::Path<(String, String)>;

/// The project session live (as `GET /admin/sessions/{id}/stream`).
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id"), ("sid" = String, Path, description = "Session id"), SessionStreamQuery),
    responses((status = 200, description = "text/event-stream"), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/sessions/{sid}/stream")]
pub async fn stream_project_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    ids: Ids,
    query: web::Query<SessionStreamQuery>,
) -> Result<HttpResponse, ApiError> {
    stream(&req, &state, &reference(&ids.1, Some(&ids.0))?, &query).await
}

/// The last lines of a project session's output.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id"), ("sid" = String, Path, description = "Session id"), OutputQuery),
    responses((status = 200, body = crate::routes::session_views::SessionOutput), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/sessions/{sid}/output")]
pub async fn project_session_output(
    state: web::Data<AppState>,
    ids: Ids,
    query: web::Query<OutputQuery>,
) -> Result<HttpResponse, ApiError> {
    output(&state, &reference(&ids.1, Some(&ids.0))?, &query).await
}

/// Types into a project session.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id"), ("sid" = String, Path, description = "Session id")),
    request_body = TerminalInput,
    responses((status = 200, description = "Sent"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/sessions/{sid}/input")]
pub async fn project_session_input(
    req: HttpRequest,
    state: web::Data<AppState>,
    ids: Ids,
    body: web::Json<TerminalInput>,
) -> Result<HttpResponse, ApiError> {
    input(&req, &state, &reference(&ids.1, Some(&ids.0))?, body.into_inner()).await
}

/// Stops a project session.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id"), ("sid" = String, Path, description = "Session id")),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/sessions/{sid}/stop")]
pub async fn stop_project_session(state: web::Data<AppState>, ids: Ids) -> Result<HttpResponse, ApiError> {
    Ok(view(state.sessions.stop(&reference(&ids.1, Some(&ids.0))?).await?))
}

/// Pauses a project session.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id"), ("sid" = String, Path, description = "Session id")),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/sessions/{sid}/pause")]
pub async fn pause_project_session(state: web::Data<AppState>, ids: Ids) -> Result<HttpResponse, ApiError> {
    Ok(view(state.sessions.pause(&reference(&ids.1, Some(&ids.0))?, true).await?))
}

/// Resumes a paused project session.
#[utoipa::path(
    tag = "sessions",
    params(("id" = String, Path, description = "Project id"), ("sid" = String, Path, description = "Session id")),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/sessions/{sid}/resume")]
pub async fn resume_project_session(state: web::Data<AppState>, ids: Ids) -> Result<HttpResponse, ApiError> {
    Ok(view(state.sessions.pause(&reference(&ids.1, Some(&ids.0))?, false).await?))
}
