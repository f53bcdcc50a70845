//! `POST /`: generic webhook deliveries (chat alerts, CI, monitoring), and
//! `POST /api/webhooks/github/`: GitHub events. Public, rate-limited per client
//! and capped at 10 MB. Generic triggers with a secret check a Standard
//! Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
//! or `X-Webhook-Signature-256`; GitHub deliveries must carry
//! `X-Hub-Signature-256` under `GITHUB_WEBHOOK_SECRET`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::metrics::{WebhookOutcome, WebhookSource};
use crate::middleware::body_limit::WEBHOOK_LIMIT_BYTES;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use agented_auth::signature_matches;
use agented_auth::standard_webhooks::{DeliveryProof, SignedMessage};
use agented_executions::{Arrival, Reception, RunRef, TriggerRef};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

/// A trigger named in a delivery's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryTrigger {
    /// Its id.
    pub trigger_id: String,
    /// Its name.
    pub trigger_name: String,
    /// The run started (`started` only): an execution, or a workflow run (`wfx-…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// The workflow run started, for a trigger that runs a team or a workflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_execution_id: Option<String>,
    /// Why it did not run (`skipped` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DeliveryTrigger {
    fn of(t: &TriggerRef) -> Self {
        Self {
            trigger_id: t.id.to_string(),
            trigger_name: t.name.clone(),
            execution_id: None,
            workflow_execution_id: None,
            reason: None,
        }
    }
}

/// What a delivery did. Sent once every started run is durable.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAnswer {
    /// One line for people.
    pub message: String,
    /// Triggers the delivery was for.
    pub matched: usize,
    /// True when every matching trigger had already run for this payload inside the dedup window.
    pub duplicate: bool,
    /// Runs started (`status` of each: `queued`).
    pub executions: Vec<DeliveryTrigger>,
    /// Triggers that had already run for this payload.
    pub duplicates: Vec<DeliveryTrigger>,
    /// Matching triggers that did not run, with the reason.
    pub skipped: Vec<DeliveryTrigger>,
}

/// Reads the body, refusing more than 10 MB even without a declared length.
async fn read_body(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request("invalid_body", format!("could not read the body: {e}")))?;
        if (body.len() + chunk.len()) as u64 > WEBHOOK_LIMIT_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("webhook body is over the {WEBHOOK_LIMIT_BYTES}-byte limit"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A generic webhook delivery: a JSON object. `{"type": "url_verification",
/// "challenge": X}` answers `{"challenge": X}`. Every enabled `webhook`
/// trigger it matches runs once; a repeat of the same payload inside
/// `webhooks.dedup_window_seconds` starts nothing and answers `duplicate: true`.
#[utoipa::path(
    post,
    path = "/",
    tag = "webhooks",
    request_body(content = Object, description = "Any JSON object, at most 10 MB"),
    params(
        ("X-Webhook-Signature-256" = Option<String>, Header, description = "`sha256=<hex HMAC-SHA256 of the body>` with the trigger's `webhook_secret` (refused when `webhooks.require_signed_timestamp` is on)"),
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks: the message id; a repeat within the timestamp tolerance starts nothing"),
        ("webhook-timestamp" = Option<String>, Header, description = "Standard Webhooks: Unix seconds; refused when further from now than `webhooks.timestamp_tolerance_seconds`"),
        ("webhook-signature" = Option<String>, Header, description = "Standard Webhooks: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` (key: the secret, base64-decoded after a `whsec_` prefix)"),
    ),
    responses(
        (status = 200, description = "What the delivery did (or the challenge)", body = DeliveryAnswer),
        (status = 400, description = "Not a JSON object", body = ErrorBody),
        (status = 401, description = "Only triggers whose signature did not match (or whose signed timestamp is stale) were interested", body = ErrorBody),
        (status = 413, description = "Over 10 MB", body = ErrorBody),
        (status = 503, description = "A run could not be stored; send again", body = ErrorBody),
    )
)]
#[post("/")]
pub async fn generic_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let reception = receive_generic(&req, &state, payload).await;
    counted(&state, WebhookSource::Generic, reception)
}

async fn receive_generic(req: &HttpRequest, state: &AppState, payload: web::Payload) -> Result<Reception, ApiError> {
    let body = read_body(payload).await?;
    let headers = header_pairs(req);
    let arrival = Arrival { headers: &headers, body: &body };
    let message = match (
        arrival.header("webhook-id"),
        arrival.header("webhook-timestamp"),
        arrival.header("webhook-signature"),
    ) {
        (Some(id), Some(timestamp), Some(signatures)) => Some(SignedMessage { id, timestamp, signatures }),
        _ => None,
    };
    let proof = DeliveryProof {
        legacy: arrival.header("x-webhook-signature-256"),
        message,
        body: &body,
        now: state.clock.now(),
        policy: state.timestamp_policy,
    };
    Ok(state.webhooks.receive(&arrival, &|secret: &str| proof.check(secret), proof.message_id()).await?)
}

/// Counts the delivery's outcome for `/metrics`, then answers.
fn counted(
    state: &AppState,
    source: WebhookSource,
    reception: Result<Reception, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let outcome = match &reception {
        Ok(Reception::Challenge(_) | Reception::Pong) => WebhookOutcome::Handshake,
        Ok(Reception::Delivered(s)) if !s.started.is_empty() => WebhookOutcome::Started,
        Ok(Reception::Delivered(s)) if s.matched == 0 => WebhookOutcome::NotMatched,
        Ok(Reception::Delivered(s)) if s.duplicate => WebhookOutcome::Duplicate,
        Ok(Reception::Delivered(_)) => WebhookOutcome::Skipped,
        Err(e) if e.status().is_server_error() => WebhookOutcome::Failed,
        Err(_) => WebhookOutcome::Refused,
    };
    state.metrics.count_webhook(source, outcome);
    reception.map(respond)
}

/// The text-valued headers of a request, names in lower case.
fn header_pairs(req: &HttpRequest) -> Vec<(&str, &str)> {
    req.headers().iter().filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v))).collect()
}

fn respond(reception: Reception) -> HttpResponse {
    let summary = match reception {
        Reception::Challenge(challenge) => {
            return HttpResponse::Ok().json(serde_json::json!({ "challenge": challenge }));
        }
        Reception::Pong => return HttpResponse::Ok().json(serde_json::json!({ "message": "pong" })),
        Reception::Delivered(summary) => summary,
    };
    HttpResponse::Ok().json(DeliveryAnswer {
        message: summary.message,
        matched: summary.matched,
        duplicate: summary.duplicate,
        executions: summary
            .started
            .iter()
            .map(|(t, run)| DeliveryTrigger {
                execution_id: Some(run.to_string()),
                workflow_execution_id: matches!(run, RunRef::Workflow(_)).then(|| run.to_string()),
                ..DeliveryTrigger::of(t)
            })
            .collect(),
        duplicates: summary.duplicates.iter().map(DeliveryTrigger::of).collect(),
        skipped: summary
            .skipped
            .iter()
            .map(|(t, why)| DeliveryTrigger { reason: Some(why.clone()), ..DeliveryTrigger::of(t) })
            .collect(),
    })
}

/// A GitHub event. `ping` answers `{"message": "pong"}`; an event no enabled
/// `github` trigger wants (by its `github_repos` and `github_events`) answers
/// 200 `ignored`; otherwise each wanting trigger runs once per
/// `X-GitHub-Delivery`, with the PR, issue or push placeholders filled.
#[utoipa::path(
    post,
    path = "/api/webhooks/github",
    tag = "webhooks",
    request_body(content = Object, description = "The event payload, at most 10 MB"),
    params(
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the body>` with `GITHUB_WEBHOOK_SECRET`"),
        ("X-GitHub-Event" = String, Header, description = "`ping`, `pull_request`, `issues`, `issue_comment`, `push`, …"),
        ("X-GitHub-Delivery" = Option<String>, Header, description = "The delivery's id: the dedup key"),
    ),
    responses(
        (status = 200, description = "pong, ignored, or what the delivery did", body = DeliveryAnswer),
        (status = 400, description = "Not a JSON object, no X-GitHub-Event, or a wanted event without the fields a prompt needs", body = ErrorBody),
        (status = 401, description = "No GITHUB_WEBHOOK_SECRET configured, or a missing or wrong signature", body = ErrorBody),
        (status = 413, description = "Over 10 MB", body = ErrorBody),
        (status = 503, description = "A run could not be stored; redeliver", body = ErrorBody),
    )
)]
#[post("/api/webhooks/github")]
pub async fn github_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let reception = receive_github(&req, &state, payload).await;
    counted(&state, WebhookSource::Github, reception)
}

async fn receive_github(req: &HttpRequest, state: &AppState, payload: web::Payload) -> Result<Reception, ApiError> {
    let body = read_body(payload).await?;
    let headers = header_pairs(req);
    let arrival = Arrival { headers: &headers, body: &body };
    let signature = arrival.header("x-hub-signature-256");
    let signed_with = |secret: &str| signature_matches(secret.as_bytes(), &body, signature);
    Ok(state.webhooks.receive_github(&arrival, &signed_with, &agented_auth::body_digest(&body)).await?)
}
