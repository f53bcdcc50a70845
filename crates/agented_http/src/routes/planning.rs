//! AI-assisted planning under `/api/projects/{id}`: planning sessions
//! (questions, answers, a proposed plan, accept). Research runs: `research.rs`.
//! The bot's runs are ordinary executions of the `bot-planner` trigger.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::roadmap_views::RoadmapView;
use actix_web::{HttpResponse, get, post, web};
use agented_kernel::{BackendType, PlanningId};
use agented_roadmaps::PhaseNumber;
use agented_roadmaps::planning::{Answer, MergeOptions, PlanningSession, Proposal};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub(crate) fn backend(value: &str) -> Result<BackendType, ApiError> {
    value.parse().map_err(|e: agented_kernel::backend::UnknownBackend| {
        ApiError::invalid_fields(BTreeMap::from([("backend".to_owned(), e.to_string())]))
    })
}

pub(crate) fn parse_project_id(id: &str) -> Result<agented_kernel::ProjectId, ApiError> {
    agented_kernel::ProjectId::parse(id).map_err(|_| ApiError::not_found("project not found"))
}

pub(crate) fn ids(path: &(String, String), what: &str) -> Result<(agented_kernel::ProjectId, PlanningId), ApiError> {
    let project = parse_project_id(&path.0)?;
    let id = PlanningId::parse(&path.1).map_err(|_| ApiError::not_found(format!("{what} not found")))?;
    Ok((project, id))
}

/// A question the bot asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    /// Its id (`q1`, …), used by answers.
    pub id: String,
    /// The question.
    pub text: String,
    /// Why it matters.
    pub why: Option<String>,
    /// Suggested answers.
    pub options: Vec<String>,
}

/// One run of a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionRunView {
    /// The execution (see `/admin/executions/{id}`).
    pub execution_id: String,
    /// `questions` or `proposal`.
    pub purpose: String,
    /// `null` while running, `ok`, or why its reply could not be used.
    pub outcome: Option<String>,
}

/// An answer given.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerView {
    /// The question's id.
    pub question_id: String,
    /// The answer (empty: no preference).
    pub answer: String,
}

/// A planning session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// `plan-…`.
    pub id: String,
    /// The project.
    pub project_id: String,
    /// What the user wants.
    pub goal: String,
    /// The CLI asked.
    pub backend: String,
    /// `asking`, `answering`, `proposing`, `proposed`, `accepted` or `discarded`.
    pub stage: String,
    /// The bot's questions.
    pub questions: Vec<QuestionView>,
    /// The answers given.
    pub answers: Vec<AnswerView>,
    /// The proposed plan (shape in docs/planning.md).
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<Proposal>,
    /// What accepting would change: `{milestones, phases, requirements}` of `{key, kind, fields}`.
    #[schema(value_type = Option<Object>)]
    pub diff: Option<agented_roadmaps::planning::Diff>,
    /// Why the last run did not give what was asked.
    pub error: Option<String>,
    /// Whether `retry` would ask again.
    pub can_retry: bool,
    /// The run being waited for.
    pub current_execution_id: Option<String>,
    /// Every run, oldest first.
    pub runs: Vec<SessionRunView>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl SessionView {
    fn of(s: PlanningSession, roadmap: Option<&agented_roadmaps::Roadmap>) -> Self {
        let diff = match (&s.proposal, roadmap) {
            (Some(p), Some(r)) if s.stage == agented_roadmaps::planning::Stage::Proposed => Some(p.diff(r)),
            _ => None,
        };
        Self {
            id: s.id.to_string(),
            project_id: s.project_id.to_string(),
            stage: s.stage.as_str().to_owned(),
            backend: s.backend.to_string(),
            can_retry: s.can_retry(),
            current_execution_id: s.current_run().map(ToString::to_string),
            questions: s
                .questions
                .into_iter()
                .map(|q| QuestionView { id: q.id, text: q.text, why: q.why, options: q.options })
                .collect(),
            answers: s
                .answers
                .into_iter()
                .map(|a| AnswerView { question_id: a.question_id, answer: a.answer })
                .collect(),
            runs: s
                .runs
                .into_iter()
                .map(|r| SessionRunView {
                    execution_id: r.execution_id.to_string(),
                    purpose: match r.purpose {
                        agented_roadmaps::planning::Purpose::Questions => "questions".into(),
                        agented_roadmaps::planning::Purpose::Proposal => "proposal".into(),
                    },
                    outcome: r.outcome,
                })
                .collect(),
            goal: s.goal,
            proposal: s.proposal,
            diff,
            error: s.error,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Starts a planning session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// What to achieve, in the user's words.
    pub goal: String,
    /// `claude` (default), `codex`, `gemini` or `opencode`.
    pub backend: Option<String>,
}

/// Starts a session: a run of the planner asks the bot for clarifying questions.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id")),
    request_body = SessionInput,
    responses(
        (status = 202, body = SessionView, description = "Asking; poll the session until its stage is `answering`"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The planner trigger is disabled or busy"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/planning-sessions")]
pub async fn start_session(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<SessionInput>,
) -> Result<HttpResponse, ApiError> {
    let project = parse_project_id(&id)?;
    let backend = backend(input.backend.as_deref().unwrap_or("claude"))?;
    let session = state.planning.start_session(&project, &input.goal, backend).await?;
    Ok(HttpResponse::Accepted().json(SessionView::of(session, None)))
}

/// A project's planning sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// Newest first.
    pub sessions: Vec<SessionView>,
}

/// Lists a project's planning sessions, newest first.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = SessionList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/planning-sessions")]
pub async fn list_sessions(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let project = parse_project_id(&id)?;
    let sessions = state.planning.sessions(&project).await?;
    Ok(HttpResponse::Ok()
        .json(SessionList { sessions: sessions.into_iter().map(|s| SessionView::of(s, None)).collect() }))
}

async fn session_view(state: &AppState, session: PlanningSession) -> Result<SessionView, ApiError> {
    let project = state.projects.get(session.project_id.as_str()).await?;
    Ok(SessionView::of(session, Some(&project.roadmap)))
}

/// One session, advanced to what its run has produced (with the diff once proposed).
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("session" = String, Path, description = "Session id")),
    responses((status = 200, body = SessionView), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/planning-sessions/{session}")]
pub async fn get_session(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = ids(&path, "planning session")?;
    let session = state.planning.session(&project, &id).await?;
    Ok(HttpResponse::Ok().json(session_view(&state, session).await?))
}

/// The answers to the bot's questions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersInput {
    /// One per question answered; questions left out have no preference.
    pub answers: Vec<AnswerView>,
}

/// Records the answers; a run asks the bot for a plan.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("session" = String, Path, description = "Session id")),
    request_body = AnswersInput,
    responses(
        (status = 202, body = SessionView, description = "Proposing; poll until `proposed`"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Not waiting for answers"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/planning-sessions/{session}/answers")]
pub async fn answer_session(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<AnswersInput>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = ids(&path, "planning session")?;
    let answers = input
        .into_inner()
        .answers
        .into_iter()
        .map(|a| Answer { question_id: a.question_id, answer: a.answer })
        .collect();
    let session = state.planning.answer(&project, &id, answers).await?;
    Ok(HttpResponse::Accepted().json(SessionView::of(session, None)))
}

/// Asks again after a failed run or a reply that could not be used.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("session" = String, Path, description = "Session id")),
    responses(
        (status = 202, body = SessionView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The last step did not fail"), (status = 503, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/planning-sessions/{session}/retry")]
pub async fn retry_session(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = ids(&path, "planning session")?;
    let session = state.planning.retry_session(&project, &id).await?;
    Ok(HttpResponse::Accepted().json(SessionView::of(session, None)))
}

/// Accepts the proposal, as proposed or as edited.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The edited plan, in the proposal's shape; without it the bot's proposal is accepted.
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<Proposal>,
    /// Numbers of existing phases the proposal's phase of the same number replaces. Every
    /// other proposed phase whose number is taken is added after the existing phases.
    #[serde(default)]
    pub replace: Vec<String>,
    /// Confirms replacing a completed phase, or renaming a milestone with completed phases
    /// (409 `confirmation_required` without it).
    #[serde(default)]
    pub confirm: bool,
}

/// The accepted session and the roadmap it changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The session, now `accepted`.
    pub session: SessionView,
    /// The roadmap after the merge.
    pub roadmap: RoadmapView,
}

/// Merges the proposal into the roadmap, all or nothing, keeping the roadmap it replaces
/// in the project's history (`GET /api/projects/{id}/history`) so it can be undone.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("session" = String, Path, description = "Session id")),
    request_body = AcceptInput,
    responses(
        (status = 200, body = Accepted), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "No proposal waits, or `confirmation_required`: it would replace completed work"),
        (status = 422, body = ErrorBody, description = "The plan is invalid (fields under `proposal`); nothing was written"),
        (status = 503, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/planning-sessions/{session}/accept")]
pub async fn accept_session(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<AcceptInput>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = ids(&path, "planning session")?;
    let AcceptInput { proposal, replace, confirm } = input.into_inner();
    let replace = replace
        .iter()
        .map(|n| {
            PhaseNumber::parse(n).map_err(|e| ApiError::invalid_fields([("replace".to_owned(), e.to_string())].into()))
        })
        .collect::<Result<_, _>>()?;
    let options = MergeOptions { replace, confirmed: confirm };
    let (session, project) = state.planning.accept(&project, &id, proposal, &options).await?;
    Ok(HttpResponse::Ok()
        .json(Accepted { session: SessionView::of(session, None), roadmap: RoadmapView::from(&project) }))
}

/// Drops a session that has not been accepted (it stays listed as `discarded`).
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("session" = String, Path, description = "Session id")),
    responses((status = 200, body = SessionView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/planning-sessions/{session}/discard")]
pub async fn discard_session(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = ids(&path, "planning session")?;
    let session = state.planning.discard(&project, &id).await?;
    Ok(HttpResponse::Ok().json(SessionView::of(session, None)))
}

// ---- research ---------------------------------------------------------------------------------
