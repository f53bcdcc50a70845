//! Error reporting: Sentry, when `SENTRY_DSN` is set. Each 5xx response is
//! reported once, with its request id, by the HTTP layer's `finish` middleware;
//! 4xx responses are not reported.

use crate::Settings;
use std::borrow::Cow;
use std::sync::Arc;

/// Starts the Sentry client; reporting stops (after flushing) when the guard drops.
#[must_use]
pub fn init_sentry(settings: &Settings) -> Option<sentry::ClientInitGuard> {
    let dsn = settings.sentry.dsn.as_deref()?;
    let mut options = sentry::ClientOptions::default()
        // Validated to lie within 0.0–1.0, so this cannot panic.
        .traces_sample_rate(settings.sentry.traces_sample_rate as f32);
    options.environment =
        Some(Cow::Owned(settings.sentry.environment.clone().unwrap_or_else(|| settings.environment.clone())));
    options.release =
        Some(settings.sentry.release.clone().map_or(Cow::Borrowed(env!("CARGO_PKG_VERSION")), Cow::Owned));
    options.send_default_pii = false;
    // Query strings (stream tokens) and credential headers never leave.
    options.before_send = Some(Arc::new(agented_http::sentry_scrub::scrub_event));
    let guard = sentry::init((dsn, options));
    if guard.is_enabled() {
        tracing::info!(environment = %settings.sentry.environment.as_deref().unwrap_or(&settings.environment), "error reporting to Sentry is on");
        Some(guard)
    } else {
        // The DSN was validated as a URL but Sentry did not accept it.
        tracing::warn!("SENTRY_DSN is set but not a valid Sentry DSN; error reporting is off");
        None
    }
}
