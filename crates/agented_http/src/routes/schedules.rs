//! "When would this schedule run?": the next slots of a schedule being edited,
//! by the rules the scheduler uses, before anything is saved.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, get, web};
use agented_triggers::{Schedule, TriggerSettings, TriggerSource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A schedule, as the trigger fields of the same names.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SchedulePreviewQuery {
    /// `daily`, `weekly`, `monthly` or `cron`.
    pub schedule_type: String,
    /// `HH:MM` (daily, weekly, monthly).
    pub schedule_time: Option<String>,
    /// Weekday 0–6 (Monday = 0) or day of month 1–28.
    pub schedule_day: Option<i32>,
    /// Five-field cron pattern or alias (cron).
    pub schedule_cron: Option<String>,
    /// IANA time zone (UTC unless set).
    pub schedule_timezone: Option<String>,
    /// How many slots (default 5, 1–20).
    pub count: Option<u8>,
}

/// The next slots.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchedulePreview {
    /// The zone the schedule is read in.
    pub timezone: String,
    /// The next slots after now, oldest first (fewer when the pattern stops matching).
    pub next_runs: Vec<DateTime<Utc>>,
}

/// The next slots of a schedule, or 422 naming each invalid field. Saves nothing.
#[utoipa::path(
    tag = "triggers",
    params(SchedulePreviewQuery),
    responses(
        (status = 200, body = SchedulePreview),
        (status = 400, description = "Missing or malformed parameters", body = ErrorBody),
        (status = 422, description = "An invalid schedule, one message per field", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/schedules/preview")]
pub async fn preview_schedule(
    state: web::Data<AppState>,
    query: web::Query<SchedulePreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let count = q.count.unwrap_or(5);
    if !(1..=20).contains(&count) {
        return Err(ApiError::invalid_fields([("count".to_owned(), "must be between 1 and 20".to_owned())].into()));
    }
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let settings = TriggerSettings {
        trigger_source: TriggerSource::Scheduled,
        schedule_type: text(Some(q.schedule_type)),
        schedule_time: text(q.schedule_time),
        schedule_day: q.schedule_day,
        schedule_cron: text(q.schedule_cron),
        schedule_timezone: text(q.schedule_timezone),
        ..TriggerSettings::default()
    };
    let schedule = Schedule::of(&settings)
        .map_err(ApiError::invalid_fields)?
        .ok_or_else(|| ApiError::invalid_fields([("schedule_type".to_owned(), "is required".to_owned())].into()))?;
    let next_runs = std::iter::successors(schedule.next_after(state.clock.now()), |t| schedule.next_after(*t))
        .take(usize::from(count))
        .collect();
    let timezone = settings.schedule_timezone.unwrap_or_else(|| agented_triggers::schedule::DEFAULT_TIMEZONE.into());
    Ok(HttpResponse::Ok().json(SchedulePreview { timezone, next_runs }))
}
