//! `/api/pr-reviews/`: the pull requests Agented reviews, with the original's
//! fields and filters, counts and history.

use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_executions::pr_reviews::{NewPrReview, PrReview, PrReviewFilter, PrReviewPatch};
use agented_kernel::Page;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A tracked pull request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrReviewView {
    /// Row id.
    pub id: i64,
    /// The trigger reviewing it.
    pub trigger_id: String,
    /// `owner/name`.
    pub project_name: String,
    /// The repository's page.
    pub github_repo_url: Option<String>,
    /// Its number.
    pub pr_number: i64,
    /// Its page.
    pub pr_url: String,
    /// Its title.
    pub pr_title: String,
    /// Who opened it.
    pub pr_author: Option<String>,
    /// `open`, `merged` or `closed`.
    pub pr_status: &'static str,
    /// `pending`, `reviewing`, `approved`, `changes_requested` or `fixed`.
    pub review_status: &'static str,
    /// The latest review's text.
    pub review_comment: Option<String>,
    /// Times new commits followed a request for changes.
    pub fixes_applied: i64,
    /// A note on the fixes.
    pub fix_comment: Option<String>,
    /// First seen.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<PrReview> for PrReviewView {
    fn from(r: PrReview) -> Self {
        Self {
            id: r.id,
            trigger_id: r.trigger_id,
            project_name: r.project_name,
            github_repo_url: r.github_repo_url,
            pr_number: r.pr_number,
            pr_url: r.pr_url,
            pr_title: r.pr_title,
            pr_author: r.pr_author,
            pr_status: r.pr_status.as_str(),
            review_status: r.review_status.as_str(),
            review_comment: r.review_comment,
            fixes_applied: r.fixes_applied,
            fix_comment: r.fix_comment,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A page of tracked pull requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrReviewList {
    /// The most recently updated first.
    pub reviews: Vec<PrReviewView>,
    /// How many match the filters.
    pub total: u64,
}

/// Filters and paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PrReviewQuery {
    /// At most 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
    /// `open`, `merged` or `closed`.
    pub pr_status: Option<String>,
    /// `pending`, `reviewing`, `approved`, `changes_requested` or `fixed`.
    pub review_status: Option<String>,
    /// Only this trigger's.
    pub trigger_id: Option<String>,
}

/// Counts over every tracked pull request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrReviewStatsView {
    /// All.
    pub total_prs: u64,
    /// Open.
    pub open_prs: u64,
    /// Merged.
    pub merged_prs: u64,
    /// Closed unmerged.
    pub closed_prs: u64,
    /// Waiting for a review.
    pub pending_reviews: u64,
    /// Approved.
    pub approved_reviews: u64,
    /// Changes requested.
    pub changes_requested: u64,
    /// Fixed after changes were requested.
    pub fixed_reviews: u64,
}

/// Pull requests first seen on one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrHistoryDayView {
    /// `YYYY-MM-DD` (UTC).
    pub date: NaiveDate,
    /// First seen that day.
    pub created: u64,
    /// Of those, merged.
    pub merged: u64,
    /// Of those, closed unmerged.
    pub closed: u64,
}

/// The days that had any, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrHistory {
    /// Per day.
    pub history: Vec<PrHistoryDayView>,
}

/// `?days=` (1–365, default 30).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Days back.
    pub days: Option<i64>,
}

/// A pull request to track.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PrReviewInput {
    /// `owner/name` (required).
    pub project_name: String,
    /// Its number (required, ≥ 1).
    pub pr_number: i64,
    /// Its page (required).
    pub pr_url: String,
    /// Its title (required).
    pub pr_title: String,
    /// The trigger reviewing it (default `bot-pr-review`).
    pub trigger_id: Option<String>,
    /// The repository's page.
    pub github_repo_url: Option<String>,
    /// Who opened it.
    pub pr_author: Option<String>,
}

/// A change; absent fields are kept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PrReviewUpdate {
    /// `open`, `merged` or `closed`.
    pub pr_status: Option<String>,
    /// `pending`, `reviewing`, `approved`, `changes_requested` or `fixed`.
    pub review_status: Option<String>,
    /// The review's text.
    pub review_comment: Option<String>,
    /// Times fixes were applied (≥ 0).
    pub fixes_applied: Option<i64>,
    /// A note on the fixes.
    pub fix_comment: Option<String>,
}

/// What a write did.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrReviewChanged {
    /// "PR review created", "… updated" or "… deleted".
    pub message: &'static str,
    /// The row.
    pub id: i64,
}

fn id_of(path: &str) -> Result<i64, ApiError> {
    path.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| ApiError::not_found("PR review not found"))
}

fn status<T: std::str::FromStr<Err = String>>(field: &str, value: Option<&str>) -> Result<Option<T>, ApiError> {
    value.map(|v| v.parse().map_err(|e: String| ApiError::invalid_fields([(field.to_owned(), e)].into()))).transpose()
}

/// Tracked pull requests, the most recently updated first, filtered by `pr_status`, `review_status` or trigger.
#[utoipa::path(
    tag = "pr-reviews",
    params(PrReviewQuery),
    responses((status = 200, body = PrReviewList), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/pr-reviews")]
pub async fn list_pr_reviews(
    state: web::Data<AppState>,
    query: web::Query<PrReviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = Page::new(Some(q.limit.unwrap_or(50)), q.offset)
        .map_err(|e| ApiError::bad_request("invalid_page", e.to_string()))?;
    let filter = PrReviewFilter {
        pr_status: status("pr_status", q.pr_status.as_deref())?,
        review_status: status("review_status", q.review_status.as_deref())?,
        trigger_id: q.trigger_id,
    };
    let (reviews, total) = state.pr_reviews.list(&filter, page).await?;
    Ok(HttpResponse::Ok().json(PrReviewList { reviews: reviews.into_iter().map(PrReviewView::from).collect(), total }))
}

/// Counts of tracked pull requests by pull request and review status.
#[utoipa::path(tag = "pr-reviews", responses((status = 200, body = PrReviewStatsView)), security(("api_key" = [])))]
#[get("/pr-reviews/stats")]
pub async fn pr_review_stats(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let s = state.pr_reviews.stats().await?;
    Ok(HttpResponse::Ok().json(PrReviewStatsView {
        total_prs: s.total_prs,
        open_prs: s.open_prs,
        merged_prs: s.merged_prs,
        closed_prs: s.closed_prs,
        pending_reviews: s.pending_reviews,
        approved_reviews: s.approved_reviews,
        changes_requested: s.changes_requested,
        fixed_reviews: s.fixed_reviews,
    }))
}

/// Pull requests first seen per day over the last `days` days.
#[utoipa::path(
    tag = "pr-reviews",
    params(HistoryQuery),
    responses((status = 200, body = PrHistory), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/pr-reviews/history")]
pub async fn pr_review_history(
    state: web::Data<AppState>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let days = state.pr_reviews.history(query.days.unwrap_or(30)).await?;
    let history = days
        .into_iter()
        .map(|d| PrHistoryDayView { date: d.date, created: d.created, merged: d.merged, closed: d.closed })
        .collect();
    Ok(HttpResponse::Ok().json(PrHistory { history }))
}

/// One tracked pull request.
#[utoipa::path(
    tag = "pr-reviews",
    params(("id" = i64, Path, description = "Row id")),
    responses((status = 200, body = PrReviewView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/pr-reviews/{id}")]
pub async fn get_pr_review(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PrReviewView::from(state.pr_reviews.get(id_of(&id)?).await?)))
}

/// Starts tracking a pull request.
#[utoipa::path(
    tag = "pr-reviews",
    request_body = PrReviewInput,
    responses(
        (status = 201, body = PrReviewChanged),
        (status = 409, description = "The trigger tracks it already", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/pr-reviews")]
pub async fn create_pr_review(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let i: PrReviewInput = optional_json(&body)?;
    let new = NewPrReview {
        project_name: i.project_name,
        pr_number: i.pr_number,
        pr_url: i.pr_url,
        pr_title: i.pr_title,
        trigger_id: i.trigger_id,
        github_repo_url: i.github_repo_url,
        pr_author: i.pr_author,
    };
    let created = state.pr_reviews.create(new).await?;
    Ok(HttpResponse::Created().json(PrReviewChanged { message: "PR review created", id: created.id }))
}

/// Changes a tracked pull request's status, review or fixes.
#[utoipa::path(
    tag = "pr-reviews",
    params(("id" = i64, Path, description = "Row id")),
    request_body = PrReviewUpdate,
    responses((status = 200, body = PrReviewChanged), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/pr-reviews/{id}")]
pub async fn update_pr_review(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id)?;
    let u: PrReviewUpdate = optional_json(&body)?;
    let patch = PrReviewPatch {
        pr_status: u.pr_status,
        review_status: u.review_status,
        review_comment: u.review_comment,
        fixes_applied: u.fixes_applied,
        fix_comment: u.fix_comment,
    };
    state.pr_reviews.update(id, patch).await?;
    Ok(HttpResponse::Ok().json(PrReviewChanged { message: "PR review updated", id }))
}

/// Stops tracking a pull request.
#[utoipa::path(
    tag = "pr-reviews",
    params(("id" = i64, Path, description = "Row id")),
    responses((status = 200, body = PrReviewChanged), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/pr-reviews/{id}")]
pub async fn delete_pr_review(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id)?;
    state.pr_reviews.delete(id).await?;
    Ok(HttpResponse::Ok().json(PrReviewChanged { message: "PR review deleted", id }))
}
