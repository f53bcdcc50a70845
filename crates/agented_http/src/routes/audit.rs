//! `GET /admin/audit`: the audit trail, newest first, paginated and filterable.
#![allow(unused_qualifications, reason = "actix's route macro re-qualifies the query extractor it wraps")]

use crate::AppState;
use crate::error::{ApiError, ErrorBody, require_admin};
use actix_web::web::Query;
use actix_web::{HttpResponse, get, web};
use agented_auth::{AuditQuery, AuditRecord, Outcome, Principal};
use agented_kernel::Page;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// 1–500, default 100.
    pub limit: Option<u32>,
    /// Default 0.
    pub offset: Option<u32>,
    /// Exact actor (key name).
    pub actor: Option<String>,
    /// Action prefix, e.g. `api_key`.
    pub action: Option<String>,
    /// Exact entity type.
    pub entity_type: Option<String>,
    /// Exact entity id.
    pub entity_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
    /// At or after (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Before (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// One page of the trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<AuditRecord>,
    /// Matching entries in all.
    pub total: u64,
    /// Page size.
    pub limit: u32,
    /// Skipped entries.
    pub offset: u32,
}

/// The audit trail of admin mutations.
#[utoipa::path(
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "One page of entries", body = AuditPage),
        (status = 400, description = "A bad filter or page", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    params: Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let p = params.into_inner();
    let page = Page::new(p.limit, p.offset).map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let outcome = match p.outcome.as_deref() {
        None => None,
        Some("success") => Some(Outcome::Success),
        Some("failure") => Some(Outcome::Failure),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("outcome '{other}' must be success or failure"),
            ));
        }
    };
    let query = AuditQuery {
        page,
        actor: p.actor,
        action: p.action,
        entity_type: p.entity_type,
        entity_id: p.entity_id,
        outcome,
        since: p.since,
        until: p.until,
    };
    let (entries, total) = state.audit.query(&query).await?;
    Ok(HttpResponse::Ok().json(AuditPage { entries, total, limit: page.limit, offset: page.offset }))
}

/// How many recent events (the original's `limit`).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// 1–500, default 100.
    pub limit: Option<u32>,
}

/// Recent events, in the original's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvents {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<AuditRecord>,
    /// How many are listed.
    pub total: usize,
}

/// The newest audit events (the original's `GET /api/audit/events`; the trail itself is `/admin/audit`).
#[utoipa::path(
    tag = "audit",
    params(EventParams),
    responses((status = 200, body = AuditEvents), (status = 400, description = "A bad limit", body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/audit/events")]
pub async fn audit_events(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    params: Query<EventParams>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let page = Page::new(params.limit, None).map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let (events, _) = state.audit.query(&AuditQuery { page, ..AuditQuery::default() }).await?;
    Ok(HttpResponse::Ok().json(AuditEvents { total: events.len(), events }))
}
