//! `[log]`, `[sentry]` and `[otlp]`: what is logged, in which format, where errors are
//! reported and where traces go.

use super::fields::{ConfigError, invalid};
use super::secret::Secret;
use agented_http::telemetry::{LogFormat, parse_filter};
use serde::{Deserialize, Serialize, Serializer};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    level: String,
    format: String,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogSettings {
    /// Tracing filter.
    pub level: String,
    /// Output format.
    #[serde(serialize_with = "format_name")]
    pub format: LogFormat,
}

fn format_name<S: Serializer>(format: &LogFormat, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match format {
        LogFormat::Json => "json",
        LogFormat::Text => "text",
    })
}

impl TryFrom<RawLog> for LogSettings {
    type Error = ConfigError;

    fn try_from(raw: RawLog) -> Result<Self, ConfigError> {
        let format = match raw.format.trim().to_ascii_lowercase().as_str() {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            other => return Err(invalid("log.format", format!("'{other}' must be json or text"))),
        };
        parse_filter(&raw.level)
            .map_err(|_| invalid("log.level", format!("'{}' is not a log filter such as info or debug", raw.level)))?;
        Ok(Self { level: raw.level, format })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSentry {
    dsn: Option<String>,
    environment: Option<String>,
    release: Option<String>,
    traces_sample_rate: f64,
}

/// Sentry settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentrySettings {
    /// DSN (it embeds a key); `None` disables reporting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsn: Option<Secret>,
    /// Environment tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Release tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Share of requests traced, 0.0–1.0.
    pub traces_sample_rate: f64,
}

impl TryFrom<RawSentry> for SentrySettings {
    type Error = ConfigError;

    fn try_from(raw: RawSentry) -> Result<Self, ConfigError> {
        let rate = raw.traces_sample_rate;
        if !(0.0..=1.0).contains(&rate) {
            return Err(invalid("sentry.traces_sample_rate", format!("{rate} is outside 0.0–1.0")));
        }
        let text = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(Self {
            dsn: Secret::non_empty(raw.dsn),
            environment: text(raw.environment),
            release: text(raw.release),
            traces_sample_rate: rate,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOtlp {
    endpoint: String,
    service_name: String,
    sample_ratio: f64,
}

/// Traces to an OpenTelemetry collector over OTLP/HTTP (protobuf).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtlpSettings {
    /// The collector's base URL (`http://localhost:4318`); `None` keeps tracing off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `service.name` of every span.
    pub service_name: String,
    /// Share of traces kept, 0.0–1.0 (a request's or run's spans are kept or dropped together).
    pub sample_ratio: f64,
}

impl OtlpSettings {
    /// Where spans are posted: the endpoint with `/v1/traces`, as OTLP/HTTP names it.
    #[must_use]
    pub fn traces_url(&self) -> Option<String> {
        self.endpoint.as_ref().map(|e| format!("{}/v1/traces", e.trim_end_matches('/')))
    }
}

impl TryFrom<RawOtlp> for OtlpSettings {
    type Error = ConfigError;

    fn try_from(raw: RawOtlp) -> Result<Self, ConfigError> {
        let endpoint = raw.endpoint.trim();
        let endpoint = if endpoint.is_empty() {
            None
        } else {
            let host = endpoint.strip_prefix("http://").or_else(|| endpoint.strip_prefix("https://"));
            if !host.is_some_and(|h| !h.is_empty() && !h.starts_with('/') && !h.contains(char::is_whitespace)) {
                return Err(invalid(
                    "otlp.endpoint",
                    format!("'{endpoint}' is not a collector URL such as http://localhost:4318"),
                ));
            }
            Some(endpoint.to_owned())
        };
        let ratio = raw.sample_ratio;
        if !(0.0..=1.0).contains(&ratio) {
            return Err(invalid("otlp.sample_ratio", format!("{ratio} is outside 0.0–1.0")));
        }
        let service_name = raw.service_name.trim().to_owned();
        if service_name.is_empty() {
            return Err(invalid("otlp.service_name", "must not be empty"));
        }
        Ok(Self { endpoint, service_name, sample_ratio: ratio })
    }
}
