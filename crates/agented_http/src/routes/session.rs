//! `GET /admin/session`: who the presented key belongs to (the dashboard's sign-in check).

use crate::error::ErrorBody;
use actix_web::{HttpResponse, get, web};
use agented_auth::{Credential, Principal};
use serde::Serialize;
use utoipa::ToSchema;

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// The key's name.
    pub name: String,
    /// `admin` or `read`.
    pub scope: &'static str,
    /// `api_key`, `configured_key` or `stream_token`.
    pub credential: &'static str,
}

/// The caller behind the presented key.
#[utoipa::path(
    tag = "api keys",
    responses(
        (status = 200, description = "The caller", body = Session),
        (status = 401, description = "No or bad API key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/session")]
pub async fn session(principal: web::ReqData<Principal>) -> HttpResponse {
    let credential = match principal.credential {
        Credential::ApiKey(_) => "api_key",
        Credential::ConfiguredKey => "configured_key",
        Credential::StreamToken(_) => "stream_token",
    };
    HttpResponse::Ok().json(Session { name: principal.name.clone(), scope: principal.scope.as_str(), credential })
}
