//! Short-lived tokens that open one stream for clients that cannot send
//! headers (`EventSource`): `POST /admin/executions/{id}/stream-token` for a
//! run's log, `POST /admin/events/stream-token` for the list events. Issuing
//! one changes nothing, so it is not audited.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, post, web};
use agented_auth::StreamToken;
use agented_kernel::ExecutionId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A token for one stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTokenView {
    /// Pass as `?token=` to the stream.
    pub token: String,
    /// It stops working then (60 s after issue).
    pub expires_at: DateTime<Utc>,
    /// The stream URL with the token.
    pub stream_url: String,
}

/// Issues a 60-second token for `GET /admin/executions/{id}/stream`, valid for that path only.
#[utoipa::path(
    tag = "executions",
    params(("id" = String, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "The token", body = StreamTokenView),
        (status = 404, description = "No such execution", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/executions/{id}/stream-token")]
pub async fn stream_token(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = ExecutionId::parse(&id).map_err(|e| ApiError::not_found(e.to_string()))?;
    state.runs.get(id.as_str()).await?;
    Ok(HttpResponse::Ok().json(token_for(&state, format!("/admin/executions/{id}/stream"))))
}

/// Issues a 60-second token for `GET /admin/events/stream`, valid for that path only.
#[utoipa::path(
    tag = "executions",
    responses((status = 200, description = "The token", body = StreamTokenView)),
    security(("api_key" = []))
)]
#[post("/events/stream-token")]
pub async fn events_token(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(token_for(&state, "/admin/events/stream".to_owned()))
}

/// A 60-second token for the stream at `path`.
pub(crate) fn token_for(state: &AppState, path: String) -> StreamTokenView {
    let token = StreamToken::issue(&state.secret_key, &path, state.clock.now());
    StreamTokenView {
        stream_url: format!("{path}?token={}", token.token),
        token: token.token,
        expires_at: token.expires_at,
    }
}
