//! `[rate_limits]`: requests per client and per key, failed logins, trusted
//! proxies, and open live streams.

use super::fields::{ConfigError, StringList, invalid, within};
use agented_http::rate_limit::{RateLimitOptions, RateSpec};
use agented_http::stream_slots::StreamCaps;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRateLimits {
    enabled: bool,
    webhook: String,
    api: String,
    auth_failures: String,
    trusted_proxies: StringList,
    max_streams_per_key: usize,
    max_streams_per_client: usize,
}

/// The HTTP layer's limits, read from the section.
impl TryFrom<RawRateLimits> for RateLimitOptions {
    type Error = ConfigError;

    fn try_from(raw: RawRateLimits) -> Result<Self, ConfigError> {
        let rate = |key: &'static str, text: &str| text.parse::<RateSpec>().map_err(|e| invalid(key, e));
        let streams = |key: &'static str, n: usize| within(key, n, 1..=1_000_000, "");
        Ok(Self {
            enabled: raw.enabled,
            webhook: rate("rate_limits.webhook", &raw.webhook)?,
            api: rate("rate_limits.api", &raw.api)?,
            auth_failures: rate("rate_limits.auth_failures", &raw.auth_failures)?,
            trusted_proxies: raw
                .trusted_proxies
                .into_vec()
                .iter()
                .map(|ip| {
                    ip.parse()
                        .map_err(|_| invalid("rate_limits.trusted_proxies", format!("'{ip}' is not an IP address")))
                })
                .collect::<Result<_, _>>()?,
            streams: StreamCaps {
                per_credential: streams("rate_limits.max_streams_per_key", raw.max_streams_per_key)?,
                per_client: streams("rate_limits.max_streams_per_client", raw.max_streams_per_client)?,
            },
        })
    }
}

/// The limits written back in the section's own keys.
pub(super) struct AsSection<'a>(pub &'a RateLimitOptions);

impl Serialize for AsSection<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut section = s.serialize_struct("rate_limits", 7)?;
        section.serialize_field("enabled", &r.enabled)?;
        section.serialize_field("webhook", &r.webhook.to_string())?;
        section.serialize_field("api", &r.api.to_string())?;
        section.serialize_field("auth_failures", &r.auth_failures.to_string())?;
        let proxies: Vec<String> = r.trusted_proxies.iter().map(ToString::to_string).collect();
        section.serialize_field("trusted_proxies", &proxies)?;
        section.serialize_field("max_streams_per_key", &r.streams.per_credential)?;
        section.serialize_field("max_streams_per_client", &r.streams.per_client)?;
        section.end()
    }
}
