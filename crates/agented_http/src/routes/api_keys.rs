//! `/admin/api-keys`: list, create (the key is shown once), revoke.

use crate::AppState;
use crate::error::{ApiError, ErrorBody, require_admin};
use crate::middleware::audit::AuditNote;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use agented_auth::{ApiKey, ApiScope, Principal};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A stored key (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Stable id, used to revoke it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `admin` or `read`.
    pub scope: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    /// `active` or `revoked`.
    pub status: &'static str,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id.as_str().to_owned(),
            name: key.name.as_str().to_owned(),
            scope: key.scope.as_str().to_owned(),
            prefix: key.prefix,
            status: if key.revoked_at.is_some() { "revoked" } else { "active" },
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// Every key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Newest first.
    pub api_keys: Vec<ApiKeyView>,
    /// How many.
    pub total: usize,
}

/// A new key's name and scope.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// 1–64 characters, unique.
    pub name: String,
    /// `admin` (everything) or `read` (GET/HEAD only). Default `read`.
    pub scope: Option<String>,
}

/// A created key: the only response that ever contains the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key. Store it now: it cannot be shown again.
    pub key: String,
    /// A reminder of the above.
    pub warning: &'static str,
    /// The stored key.
    #[serde(flatten)]
    pub api_key: ApiKeyView,
}

fn key_note(action: &str, id: Option<&str>, changes: Option<serde_json::Value>) -> AuditNote {
    AuditNote { action: action.into(), entity_type: "api_key".into(), entity_id: id.map(str::to_owned), changes }
}

/// Lists every API key (admin scope).
#[utoipa::path(
    tag = "api keys",
    responses(
        (status = 200, description = "Every key, newest first", body = ApiKeyList),
        (status = 401, description = "No or bad API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/api-keys")]
pub async fn list_keys(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let keys: Vec<ApiKeyView> = state.keys.list().await?.into_iter().map(ApiKeyView::from).collect();
    Ok(HttpResponse::Ok().json(ApiKeyList { total: keys.len(), api_keys: keys }))
}

/// Creates an API key; the response holds the key, shown this once only.
#[utoipa::path(
    tag = "api keys",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; `key` is shown only now", body = CreatedApiKey),
        (status = 409, description = "A key with this name exists", body = ErrorBody),
        (status = 422, description = "Invalid name or scope, or an unknown field", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/api-keys")]
pub async fn create_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = match body.scope.as_deref().unwrap_or("read").parse::<ApiScope>() {
        Ok(scope) => scope,
        Err(e) => return Err(ApiError::invalid_fields(BTreeMap::from([("scope".to_owned(), e.to_string())]))),
    };
    // Noted before the attempt, so a refused one is audited with what was asked.
    key_note("api_key.create", None, Some(serde_json::json!({ "name": body.name, "scope": scope.as_str() })))
        .attach(&req);
    let (key, secret) = state.keys.create(&body.name, scope).await?;
    let changes = serde_json::json!({ "name": key.name.as_str(), "scope": scope.as_str(), "prefix": key.prefix });
    key_note("api_key.create", Some(key.id.as_str()), Some(changes)).attach(&req);
    Ok(HttpResponse::Created().json(CreatedApiKey {
        key: secret.expose().to_owned(),
        warning: "Store this key now: it is shown only once and cannot be recovered.",
        api_key: key.into(),
    }))
}

/// Revokes an API key; it is refused from the next request on.
#[utoipa::path(
    tag = "api keys",
    params(("id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "Revoked", body = ApiKeyView),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "Already revoked", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    key_note("api_key.revoke", Some(&id), None).attach(&req);
    let key = state.keys.revoke(&id).await?;
    Ok(HttpResponse::Ok().json(ApiKeyView::from(key)))
}
