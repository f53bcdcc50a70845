//! `POST /admin/executions/{id}/follow-up`: continues a finished run, its CLI
//! session resumed in its workspace.

use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use crate::routes::triggers::RunStarted;
use crate::state::AppState;
use actix_web::{HttpResponse, post, web};
use agented_executions::{FollowUp, follow_up};
use agented_kernel::ExecutionId;
use serde::Deserialize;
use utoipa::ToSchema;

/// What the agent should do next.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpInput {
    /// The prompt of the resumed session (1–100 000 characters).
    pub message: String,
}

/// Runs the execution's CLI again with its session resumed (claude `--resume`,
/// `codex exec resume`, gemini `--resume`, opencode `--session`), on the same
/// backend and account, in the same workspace, with `message` as the prompt.
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    request_body = FollowUpInput,
    responses(
        (status = 202, description = "Queued", body = RunStarted),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The run, or another run of its thread, is still active; or it has no session to resume", body = ErrorBody),
        (status = 422, description = "No message, or one too long", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/executions/{id}/follow-up")]
pub async fn follow_up_execution(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = ExecutionId::parse(&id).map_err(|_| ApiError::not_found("execution not found"))?;
    let input: FollowUpInput = optional_json(&body)?;
    let message = follow_up::checked_message(input.message).map_err(ApiError::invalid_fields)?;
    let execution = state.runs.follow_up(&id, FollowUp::by_person(message)).await?;
    Ok(HttpResponse::Accepted().json(RunStarted::from(&execution)))
}
