//! The delivery inspector: recent webhook deliveries per trigger and those no
//! trigger matched, and "would this payload match?" for a trigger.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::triggers::load;
use actix_web::{HttpResponse, get, post, web};
use agented_triggers::{DeliveryRecord, GithubEvent, TriggerSource, WebhookMatch, match_payload};
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
    let trigger = load(&state, &id).await?;
    let limit = u32::try_from(state.keep_deliveries).unwrap_or(u32::MAX);
    let records =
        state.deliveries.recent(Some(&trigger.id), false, limit).await.map_err(|e| ApiError::unavailable(&e))?;
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
    let records = state
        .deliveries
        .recent(None, query.unmatched.unwrap_or(false), limit)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
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

fn no(reason: String, requires_signature: bool) -> TestMatchAnswer {
    TestMatchAnswer { matches: false, reason: Some(reason), message: None, requires_signature }
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
    let trigger = load(&state, &id).await?;
    let input = input.into_inner();
    let invalid = |field: &str, why: &str| ApiError::invalid_fields([(field.to_owned(), why.to_owned())].into());
    if !input.payload.is_object() {
        return Err(invalid("payload", "must be a JSON object"));
    }
    let s = &trigger.settings;
    let answer = match s.trigger_source {
        _ if !s.enabled => no("the trigger is disabled".into(), false),
        TriggerSource::Webhook => {
            let signed = s.webhook_secret.as_deref().is_some_and(|x| !x.is_empty());
            match match_payload(s, &input.payload) {
                WebhookMatch::Matched { message } => {
                    TestMatchAnswer { matches: true, reason: None, message, requires_signature: signed }
                }
                WebhookMatch::NotMatched(why) => no(why, signed),
            }
        }
        TriggerSource::Github => {
            let Some(event) = input.event.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
                return Err(invalid("event", "is required for a GitHub trigger (the X-GitHub-Event value)"));
            };
            let event = GithubEvent::parse(event, &input.payload);
            let missing = event.missing_for(&s.prompt_template);
            if !event.wanted_by(s) {
                let repos =
                    if s.github_repos.is_empty() { "any repository".to_owned() } else { s.github_repos.join(", ") };
                no(
                    format!(
                        "it wants {} from {repos}; this is {} from {}",
                        s.github_events.join(", "),
                        event.name(),
                        event.repository.as_deref().unwrap_or("no repository")
                    ),
                    true,
                )
            } else if !missing.is_empty() {
                no(format!("the prompt needs {} which this event does not have", missing.join(", ")), true)
            } else {
                let message = event.values.iter().find(|(n, _)| n == "message").map(|(_, v)| v.clone());
                TestMatchAnswer { matches: true, reason: None, message, requires_signature: true }
            }
        }
        other => no(format!("the trigger is started by {other}, not by deliveries"), false),
    };
    Ok(HttpResponse::Ok().json(answer))
}
