//! `GET /admin/events/stream`: one server-sent stream of list events, so the
//! dashboard's lists update as runs start and end instead of polling.

use crate::AppState;
use crate::error::ApiError;
use crate::stream_slots::StreamSlots;
use actix_web::{HttpRequest, HttpResponse, Responder, get, web};
use actix_web_lab::sse;
use agented_executions::Change;
use std::time::Duration;

/// A comment this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Events: `execution` (`{"execution_id", "status"}`: a run was queued or changed status, after
/// it was stored) and `resync` (changes were missed: read the list again). Opens with
/// `ready`. Authenticated like a run's stream: a key header, or `?token=` from
/// `POST /admin/events/stream-token`.
#[utoipa::path(
    tag = "executions",
    responses(
        (status = 200, description = "text/event-stream of `ready`, `execution` and `resync` events"),
        (status = 429, description = "Too many open streams", body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/events/stream")]
pub async fn list_events(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let slot = StreamSlots::open(&req)?;
    let changes = state.runs.changes();
    let ready = futures_util::stream::once(async { sse::Event::from(sse::Data::new("{}").event("ready")) });
    let follow = futures_util::stream::unfold((changes, slot), |(mut changes, slot)| async move {
        let event = match changes.next().await? {
            Change::Execution(c) => sse::Data::new(
                serde_json::json!({ "execution_id": c.execution_id.as_str(), "status": c.status.as_str() }).to_string(),
            )
            .event("execution"),
            Change::Lagged => sse::Data::new("{}").event("resync"),
        };
        Some((sse::Event::from(event), (changes, slot)))
    });
    let stream =
        futures_util::StreamExt::map(futures_util::StreamExt::chain(ready, follow), Ok::<_, std::convert::Infallible>);
    let mut response = sse::Sse::from_stream(stream)
        .with_retry_duration(Duration::from_secs(2))
        .with_keep_alive(KEEP_ALIVE)
        .respond_to(&req);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("x-accel-buffering"),
        actix_web::http::header::HeaderValue::from_static("no"),
    );
    Ok(response.map_into_boxed_body())
}
