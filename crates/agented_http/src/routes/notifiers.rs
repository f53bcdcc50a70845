//! `/admin/notifiers`: outgoing webhooks and Slack channels told of run ends,
//! budget warnings, approvals and lost workers, with a test send and the delivery log.

use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_kernel::{NoticeEvent, NotifierId, Page};
use agented_notifications::{Delivery, Notifier, NotifierPatch};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A notifier, its credentials masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifierView {
    /// `ntf-…`.
    pub id: String,
    /// Shown in lists.
    pub name: String,
    /// `webhook` or `slack`.
    pub kind: &'static str,
    /// Where it posts: a Slack URL's path and any query are masked.
    pub url: String,
    /// The first characters of a webhook's signing secret.
    pub secret_hint: Option<String>,
    /// The one trigger it hears; `null`: all.
    pub trigger_id: Option<String>,
    /// What it hears.
    pub events: Vec<&'static str>,
    /// Whether it sends.
    pub enabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<&Notifier> for NotifierView {
    fn from(n: &Notifier) -> Self {
        Self {
            id: n.id.to_string(),
            name: n.name.clone(),
            kind: n.kind.as_str(),
            url: n.url_shown(),
            secret_hint: n.secret_hint(),
            trigger_id: n.trigger_id.as_ref().map(ToString::to_string),
            events: n.events.iter().map(|e| e.as_str()).collect(),
            enabled: n.enabled,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// Every notifier, and the events one may hear.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifierList {
    /// By name.
    pub notifiers: Vec<NotifierView>,
    /// `run.finished`, `run.failed`, `budget.warning`, `approval.needed`, `worker.lost`.
    pub events: Vec<&'static str>,
}

/// A notifier as created or given a new secret: the only answers that carry the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifierWithSecret {
    /// The notifier.
    #[serde(flatten)]
    pub notifier: NotifierView,
    /// A webhook's signing secret (`whsec_…`): verify `webhook-signature` with it. Shown once.
    pub secret: Option<String>,
}

impl From<&Notifier> for NotifierWithSecret {
    fn from(n: &Notifier) -> Self {
        Self { notifier: NotifierView::from(n), secret: n.secret.clone() }
    }
}

/// A notifier to create, or a change (absent fields are kept).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotifierInput {
    /// Shown in lists (1–100 characters).
    pub name: Option<String>,
    /// `webhook` or `slack` (fixed once created).
    pub kind: Option<String>,
    /// An http(s) URL; a Slack incoming webhook's is https. The masked URL a GET shows keeps the stored one.
    pub url: Option<String>,
    /// One trigger, or `null` for every trigger (and notices of none).
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub trigger_id: Option<Option<String>>,
    /// Event names.
    pub events: Option<Vec<String>>,
    /// Whether it sends (default true).
    pub enabled: Option<bool>,
}

impl From<NotifierInput> for NotifierPatch {
    fn from(i: NotifierInput) -> Self {
        Self { name: i.name, kind: i.kind, url: i.url, trigger_id: i.trigger_id, events: i.events, enabled: i.enabled }
    }
}

/// One delivery of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifierDeliveryView {
    /// Its number.
    pub id: i64,
    /// The event (`run.failed`, …) or `test`.
    pub event: String,
    /// The occurrence it tells (one delivery per notifier and key).
    pub key: String,
    /// `webhook-id`, the same on every attempt.
    pub message_id: String,
    /// `pending`, `delivered` or `failed`.
    pub status: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// The last answer's HTTP status.
    pub response_status: Option<u16>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The JSON body sent.
    pub body: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last attempted.
    pub updated_at: DateTime<Utc>,
}

impl From<Delivery> for NotifierDeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event: d.event,
            key: d.key,
            message_id: d.message_id,
            status: d.status.as_str(),
            attempts: d.attempts,
            response_status: d.response_status,
            error: d.error,
            body: d.body,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A page of a notifier's deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifierDeliveryList {
    /// The newest first.
    pub deliveries: Vec<NotifierDeliveryView>,
    /// How many the log holds.
    pub total: u64,
}

/// Paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotifierDeliveryQuery {
    /// At most 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

fn id_of(path: &str) -> Result<NotifierId, ApiError> {
    NotifierId::parse(path).map_err(|_| ApiError::not_found("notifier not found"))
}

/// Every notifier.
#[utoipa::path(tag = "notifications", responses((status = 200, body = NotifierList)), security(("api_key" = [])))]
#[get("/notifiers")]
pub async fn list_notifiers(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let notifiers = state.notifiers.list().await?;
    Ok(HttpResponse::Ok().json(NotifierList {
        notifiers: notifiers.iter().map(NotifierView::from).collect(),
        events: NoticeEvent::ALL.iter().map(|e| e.as_str()).collect(),
    }))
}

/// Creates a notifier; a webhook's answer carries its signing secret, once.
#[utoipa::path(
    tag = "notifications",
    request_body = NotifierInput,
    responses((status = 201, body = NotifierWithSecret), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/notifiers")]
pub async fn create_notifier(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let input: NotifierInput = optional_json(&body)?;
    let created = state.notifiers.create(input.into()).await?;
    Ok(HttpResponse::Created().json(NotifierWithSecret::from(&created)))
}

/// One notifier.
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "`ntf-…`")),
    responses((status = 200, body = NotifierView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/notifiers/{id}")]
pub async fn get_notifier(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(NotifierView::from(&state.notifiers.get(&id_of(&id)?).await?)))
}

/// Changes a notifier.
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "`ntf-…`")),
    request_body = NotifierInput,
    responses((status = 200, body = NotifierView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/notifiers/{id}")]
pub async fn update_notifier(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id)?;
    let input: NotifierInput = optional_json(&body)?;
    Ok(HttpResponse::Ok().json(NotifierView::from(&state.notifiers.update(&id, input.into()).await?)))
}

/// Removes a notifier and its delivery log.
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "`ntf-…`")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/notifiers/{id}")]
pub async fn delete_notifier(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.notifiers.delete(&id_of(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives a webhook notifier a new signing secret, shown once; the old one stops working.
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "`ntf-…`")),
    responses((status = 200, body = NotifierWithSecret), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/notifiers/{id}/secret")]
pub async fn rotate_notifier_secret(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(NotifierWithSecret::from(&state.notifiers.rotate_secret(&id_of(&id)?).await?)))
}

/// Sends a test message now (one attempt, even when disabled); the delivery shows how it went.
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "`ntf-…`")),
    responses((status = 200, body = NotifierDeliveryView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/notifiers/{id}/test")]
pub async fn test_notifier(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(NotifierDeliveryView::from(state.notifiers.test(&id_of(&id)?).await?)))
}

/// A notifier's delivery log, the newest first.
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "`ntf-…`"), NotifierDeliveryQuery),
    responses((status = 200, body = NotifierDeliveryList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/notifiers/{id}/deliveries")]
pub async fn notifier_deliveries(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<NotifierDeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id)?;
    let page = Page::new(Some(query.limit.unwrap_or(50)), query.offset)
        .map_err(|e| ApiError::bad_request("invalid_page", e.to_string()))?;
    let (deliveries, total) = state.notifiers.deliveries(&id, page).await?;
    Ok(HttpResponse::Ok().json(NotifierDeliveryList {
        deliveries: deliveries.into_iter().map(NotifierDeliveryView::from).collect(),
        total,
    }))
}

/// Sends a delivery again now (one attempt, the same `webhook-id`).
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "`ntf-…`"), ("delivery" = i64, Path, description = "Delivery number")),
    responses((status = 200, body = NotifierDeliveryView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/notifiers/{id}/deliveries/{delivery}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let id = id_of(&id)?;
    let delivery = delivery.parse::<i64>().map_err(|_| ApiError::not_found("delivery not found"))?;
    Ok(HttpResponse::Ok().json(NotifierDeliveryView::from(state.notifiers.redeliver(&id, delivery).await?)))
}
