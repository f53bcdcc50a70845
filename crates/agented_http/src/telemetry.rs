//! Log output: JSON lines with the request id lifted to the top, or plain text.

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The span field that holds a request's id.
pub const REQUEST_ID_FIELD: &str = "request_id";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

/// The request id of a span, kept in its extensions so every event inside finds it cheaply.
struct RequestIdExt(String);

struct RequestIdVisitor(Option<String>);

impl Visit for RequestIdVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == REQUEST_ID_FIELD {
            self.0 = Some(value.to_owned());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == REQUEST_ID_FIELD {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// Remembers the `request_id` of each span that has one.
struct RequestIdLayer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for RequestIdLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut visitor = RequestIdVisitor(None);
        attrs.record(&mut visitor);
        if let (Some(request_id), Some(span)) = (visitor.0, ctx.span(id)) {
            span.extensions_mut().insert(RequestIdExt(request_id));
        }
    }
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}

/// Formats an event as one JSON object: `timestamp`, `level`, `target`,
/// `request_id` (from the innermost span that has one), then the event's fields.
#[derive(Debug, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::from(Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)));
        line.insert("level".into(), Value::from(meta.level().as_str()));
        line.insert("target".into(), Value::from(meta.target()));
        let request_id = ctx.event_scope().and_then(|scope| {
            scope.into_iter().find_map(|span| span.extensions().get::<RequestIdExt>().map(|r| r.0.clone()))
        });
        if let Some(request_id) = request_id {
            line.insert(REQUEST_ID_FIELD.into(), Value::from(request_id));
        }
        event.record(&mut JsonVisitor(&mut line));
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// The logging set-up could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `LOG_LEVEL` is not a valid filter.
    #[error("invalid log level filter '{0}'")]
    Filter(String),
    /// A global subscriber was already installed.
    #[error("logging was already initialised")]
    AlreadySet,
}

/// Checks a `LOG_LEVEL` value (`info`, `debug`, `agented_http=debug,info`, …).
///
/// # Errors
/// [`TelemetryError::Filter`] when it does not parse.
pub fn parse_filter(level: &str) -> Result<EnvFilter, TelemetryError> {
    EnvFilter::try_new(level).map_err(|_| TelemetryError::Filter(level.to_owned()))
}

/// Installs the global subscriber writing to `writer`, and `traces` (span export, or
/// `None`) with its own filter: the spans at `info` and above, whatever the log level.
///
/// # Errors
/// [`TelemetryError`] for a bad filter or when logging is already set up.
pub fn init<W, L>(level: &str, format: LogFormat, writer: W, traces: Option<L>) -> Result<(), TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
    L: Layer<Registry> + Send + Sync + 'static,
{
    let lines = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer().event_format(JsonLines).with_writer(writer).boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer().with_writer(writer).boxed(),
    };
    let mut layers = vec![RequestIdLayer.and_then(lines).with_filter(parse_filter(level)?).boxed()];
    layers.extend(traces.map(|t| t.with_filter(LevelFilter::INFO).boxed()));
    tracing_subscriber::registry().with(layers).try_init().map_err(|_| TelemetryError::AlreadySet)
}

/// Sends panics to the log too (inside the current span, so a handler's panic
/// carries its request id), then to the previous hook (stderr).
pub fn log_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-text panic payload".to_owned());
        tracing::error!(panic = %message, location = %location, "panic");
        previous(info);
    }));
}
