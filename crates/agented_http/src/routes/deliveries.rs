//! The delivery inspector: recent webhook deliveries per trigger and those no
//! trigger matched, and "would this payload match?" for a trigger.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, get, post, web};
use agented_triggers::DeliveryRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One delivery as one trigger saw it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Row id.
    pub id: i64,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// `webhook` or `github`.
    pub source: String,
    /// GitHub: `event.action`.
    pub event: Option<String>,
    /// The trigger (`null`: no trigger matched).
    pub trigger_id: Option<String>,
    /// `started`, `duplicate`, `skipped`, `bad_signature`, `failed`, `not_matched`, `ignored` or `refused`.
    pub decision: String,
    /// Why, when no run started.
    pub reason: Option<String>,
    /// The run started.
    pub execution_id: Option<String>,
    /// Request headers; signatures, keys and cookies redacted.
    pub headers: std::collections::BTreeMap<String, String>,
    /// The body, cut to 64 KiB.
    pub body: String,
    /// The body's full size in bytes.
    pub body_bytes: i64,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(r: DeliveryRecord) -> Self {
        Self {
            id: r.id,
            received_at: r.received_at,
            source: r.source,
            event: r.event,
            trigger_id: r.trigger_id.map(|t| t.to_string()),
            decision: r.decision,
            reason: r.reason,
            execution_id: r.execution_id,
            headers: r.headers.into_iter().collect(),
            body: r.body,
            body_bytes: r.body_bytes,
        }
    }
}

/// Recent deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// Which deliveries.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Only those no trigger matched.
    pub unmatched: Option<bool>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

fn list(records: Vec<DeliveryRecord>) -> HttpResponse {
    HttpResponse::Ok().json(DeliveryList { deliveries: records.into_iter().map(DeliveryView::from).collect() })
}

/// A trigger's recent deliveries (the newest `webhooks.keep_deliveries`).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Trigger id")),
    responses((status = 200, body = DeliveryList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers/{id}/deliveries")]
pub async fn trigger_deliveries(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let records = state.webhooks.deliveries_of(&id).await?;
    Ok(list(records))
}

/// Recent deliveries of every trigger, or (`unmatched=true`) those no trigger matched.
#[utoipa::path(
    tag = "webhooks",
    params(DeliveryQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/webhooks/deliveries")]
pub async fn all_deliveries(
    state: web::Data<AppState>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit must be 1–1000"));
    }
    let records = state.webhooks.recent_deliveries(query.unmatched.unwrap_or(false), limit).await?;
    Ok(list(records))
}

/// A payload to try against a trigger.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestMatchInput {
    /// The delivery's JSON object.
    pub payload: serde_json::Value,
    /// GitHub triggers: the `X-GitHub-Event` (`pull_request`, `push`, …).
    pub event: Option<String>,
}

/// Whether a delivery would run the trigger, and why not.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestMatchAnswer {
    /// It would start a run (signature and dedup aside).
    pub matches: bool,
    /// Why not.
    pub reason: Option<String>,
    /// What would fill `{message}`.
    pub message: Option<String>,
    /// The delivery must also carry a valid signature (`X-Webhook-Signature-256` or `X-Hub-Signature-256`).
    pub requires_signature: bool,
}

/// Would this payload run the trigger? Checks enablement, source, match field,
/// keyword (webhook) or repository, event and needed fields (GitHub). Starts nothing.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Trigger id")),
    request_body = TestMatchInput,
    responses(
        (status = 200, body = TestMatchAnswer),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "payload is not an object, or a GitHub trigger without event", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/triggers/{id}/test-match")]
pub async fn test_match(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<TestMatchInput>,
) -> Result<HttpResponse, ApiError> {
    let v = state.triggers.test_match(&id, &input.payload, input.event.as_deref()).await?;
    let answer = TestMatchAnswer {
        matches: v.matches,
        reason: v.reason,
        message: v.message,
        requires_signature: v.requires_signature,
    };
    Ok(HttpResponse::Ok().json(answer))
}
