//! Error reporting: Sentry, when `SENTRY_DSN` is set. Each 5xx response is
//! reported once, with its request id, by the HTTP layer's `finish` middleware;
//! 4xx responses are not reported. Traces: OpenTelemetry over OTLP/HTTP, when
//! `otlp.endpoint` is set.

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

/// The layer that turns tracing spans into OpenTelemetry spans.
pub type OtlpLayer =
    tracing_opentelemetry::OpenTelemetryLayer<tracing_subscriber::Registry, opentelemetry_sdk::trace::SdkTracer>;

/// Trace export while it lives: dropping it sends the spans still buffered and stops.
#[derive(Debug)]
pub struct TraceExport(opentelemetry_sdk::trace::SdkTracerProvider);

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Err(e) = self.0.shutdown() {
            tracing::warn!(error = %e, "the last traces could not be sent to the OTLP collector");
        }
    }
}

/// The span export `settings.otlp` asks for: `None` while no endpoint is set. Spans
/// are batched and posted by a thread of their own (protobuf over HTTP); a collector
/// that is down costs dropped spans, never a request or a run.
///
/// # Errors
/// When the exporter cannot be built (its HTTP client).
pub fn init_otlp(settings: &Settings) -> Result<Option<(OtlpLayer, TraceExport)>, String> {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::WithExportConfig as _;
    use opentelemetry_sdk::trace::Sampler;
    let Some(url) = settings.otlp.traces_url() else { return Ok(None) };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(url.clone())
        .build()
        .map_err(|e| format!("cannot send traces to {url}: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(settings.otlp.service_name.clone())
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(settings.otlp.sample_ratio))))
        .with_resource(resource)
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("agented"));
    Ok(Some((layer, TraceExport(provider))))
}
