//! Rate limits (actix-governor): webhooks per client, the API per API key
//! (per client without one). Health probes, docs and dashboard files are
//! exempt. A client is its IPv4 address or its IPv6 /64 (one host holds a
//! whole /64). Only configured proxies may set `X-Forwarded-For`.

use crate::error::ApiError;
use crate::middleware::auth_gate::presented_credential;
use crate::middleware::canonical_path::routed_path;
use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError};
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use agented_auth::KeyHash;
use agented_auth::public_routes::is_public;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// `N/Ds`: at most N requests in D seconds (a burst of N, refilled evenly over D).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSpec {
    /// Requests allowed in a burst.
    pub requests: u32,
    /// The window the burst refills over.
    pub per: Duration,
}

impl FromStr for RateSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a rate such as 20/10s or 600/60s");
        let (n, window) = s.trim().split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let window = window.trim();
        let (digits, unit) = window.split_at(window.find(|c: char| !c.is_ascii_digit()).unwrap_or(window.len()));
        let amount: u64 = if digits.is_empty() { 1 } else { digits.parse().map_err(|_| bad())? };
        let seconds = match unit {
            "s" => amount,
            "m" => amount * 60,
            "h" => amount * 3600,
            _ => return Err(bad()),
        };
        if requests == 0 || seconds == 0 {
            return Err(format!("'{s}' must allow at least one request in a non-empty window"));
        }
        Ok(Self { requests, per: Duration::from_secs(seconds) })
    }
}

impl fmt::Display for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.requests, self.per.as_secs())
    }
}

/// Rate-limit settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitOptions {
    /// Off switch (on by default).
    pub enabled: bool,
    /// Per client IP, for `POST /` and `POST /api/webhooks/github`.
    pub webhook: RateSpec,
    /// Per API key (per IP without one), for every other non-public route.
    pub api: RateSpec,
    /// Per client IP, failed authentications (unknown or revoked keys).
    pub auth_failures: RateSpec,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Live streams open at once.
    pub streams: crate::stream_slots::StreamCaps,
}

impl Default for RateLimitOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            webhook: RateSpec { requests: 20, per: Duration::from_secs(10) },
            api: RateSpec { requests: 600, per: Duration::from_secs(60) },
            auth_failures: RateSpec { requests: 30, per: Duration::from_secs(60) },
            trusted_proxies: Vec::new(),
            streams: crate::stream_slots::StreamCaps::default(),
        }
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
#[must_use]
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded =
        req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let from_header =
        forwarded.split(',').rev().filter_map(|s| s.trim().parse::<IpAddr>().ok()).find(|ip| !trusted.contains(ip));
    Some(from_header.unwrap_or(peer))
}

/// What limits count a client as: an IPv4 address, or the /64 an IPv6 address is in
/// (an IPv4-mapped IPv6 address counts as its IPv4 address).
#[must_use]
pub fn subject(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// The client a request is counted against (see [`subject`]).
#[must_use]
pub fn client_subject(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    client_ip(req, trusted).map(subject)
}

/// What a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// Not limited by this limiter.
    Exempt,
    /// A client address.
    Ip(IpAddr),
    /// An API key (its hash).
    Key(String),
}

/// Which limiter a key extractor serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Webhook,
    Api,
}

/// Keys requests for one limiter; requests the limiter does not cover are [`RateKey::Exempt`].
#[derive(Debug, Clone)]
pub struct RateKeyExtractor {
    kind: Kind,
    trusted: Arc<Vec<IpAddr>>,
}

/// Whether a request is a webhook delivery.
#[must_use]
pub fn is_webhook(method: &str, path: &str) -> bool {
    method == "POST" && matches!(path, "/" | "/api/webhooks/github")
}

impl KeyExtractor for RateKeyExtractor {
    type Key = RateKey;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<RateKey, Self::KeyExtractionError> {
        let (method, path) = (req.method().as_str(), routed_path(req));
        let ip = || client_subject(req.request(), &self.trusted).map_or(RateKey::Exempt, RateKey::Ip);
        Ok(match self.kind {
            Kind::Webhook if is_webhook(method, path) => ip(),
            Kind::Api if !is_public(method, path) => match presented_credential(req) {
                Some(credential) => RateKey::Key(KeyHash::of(credential).as_str().to_owned()),
                None => ip(),
            },
            _ => RateKey::Exempt,
        })
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        // governor truncates to whole seconds (often 0); clients need a wait that is enough.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let seconds = seconds.max(1);
        let body = ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests: retry in {seconds} s"),
        )
        .body();
        response
            .insert_header((RETRY_AFTER, HeaderValue::from(seconds)))
            .insert_header(("x-ratelimit-after", seconds))
            .json(body)
    }

    fn whitelisted_keys(&self) -> Vec<RateKey> {
        vec![RateKey::Exempt]
    }
}

/// A governor configuration, built once and shared by every worker (else the limit multiplies).
pub type RateConfig = GovernorConfig<RateKeyExtractor, NoOpMiddleware>;

fn config(kind: Kind, spec: RateSpec, trusted: &Arc<Vec<IpAddr>>) -> Option<RateConfig> {
    let per_token = spec.per / spec.requests;
    GovernorConfigBuilder::default()
        .period(per_token.max(Duration::from_nanos(1)))
        .burst_size(spec.requests)
        .key_extractor(RateKeyExtractor { kind, trusted: trusted.clone() })
        .finish()
}

/// The webhook and API limiter configurations.
#[must_use]
pub fn configs(options: &RateLimitOptions) -> (Option<RateConfig>, Option<RateConfig>) {
    let trusted = Arc::new(options.trusted_proxies.clone());
    (config(Kind::Webhook, options.webhook, &trusted), config(Kind::Api, options.api, &trusted))
}

/// Clients with failures remembered before idle ones are dropped.
const MAX_TRACKED_CLIENTS: usize = 10_000;

/// Failed authentications (unknown, revoked or malformed keys and tokens) per
/// client. Past the limit a failed attempt is answered 429 instead of 401
/// until the wait is over. Valid keys are never held up by it: each is limited
/// on its own by the API limit, so a stranger's guesses from a shared address
/// cannot lock a real key out.
pub struct AuthFailures {
    limiter: actix_governor::governor::DefaultKeyedRateLimiter<IpAddr>,
    trusted: Arc<Vec<IpAddr>>,
    enabled: bool,
}

impl fmt::Debug for AuthFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthFailures").field("enabled", &self.enabled).finish_non_exhaustive()
    }
}

impl AuthFailures {
    /// A limiter allowing `spec` failures per client.
    #[must_use]
    pub fn new(spec: RateSpec, options: &RateLimitOptions) -> Self {
        use actix_governor::governor::{Quota, RateLimiter};
        let per_token = (spec.per / spec.requests).max(Duration::from_nanos(1));
        let burst = std::num::NonZeroU32::new(spec.requests).unwrap_or(std::num::NonZeroU32::MIN);
        let quota = Quota::with_period(per_token).unwrap_or_else(|| Quota::per_second(burst)).allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
            trusted: Arc::new(options.trusted_proxies.clone()),
            enabled: options.enabled,
        }
    }

    /// Counts a failed authentication; returns the wait in seconds when the client is over its limit.
    pub fn failed(&self, req: &ServiceRequest) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        let client = client_subject(req.request(), &self.trusted)?;
        if self.limiter.len() > MAX_TRACKED_CLIENTS {
            // Clients whose budget is full again need no entry.
            self.limiter.retain_recent();
        }
        let Err(negative) = self.limiter.check_key(&client) else { return None };
        let wait = negative.wait_time_from(DefaultClock::default().now()).max(Duration::from_secs(1));
        Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_from_count_and_window() {
        assert_eq!("20/10s".parse(), Ok(RateSpec { requests: 20, per: Duration::from_secs(10) }));
        assert_eq!("600/60s".parse(), Ok(RateSpec { requests: 600, per: Duration::from_secs(60) }));
        assert_eq!("5/m".parse(), Ok(RateSpec { requests: 5, per: Duration::from_secs(60) }));
        assert_eq!("100 / 1h".parse(), Ok(RateSpec { requests: 100, per: Duration::from_secs(3600) }));
        for bad in ["", "20", "x/10s", "20/10", "20/10d", "0/10s", "5/0s"] {
            assert!(bad.parse::<RateSpec>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_is_itself() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(subject(a), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_eq!(subject(a), subject(b));
        assert_ne!(subject(a), subject(other));
        assert_eq!(subject("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3".parse::<IpAddr>().unwrap());
        assert_eq!(subject("10.1.2.3".parse().unwrap()), "10.1.2.3".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn only_webhook_deliveries_are_webhooks() {
        assert!(is_webhook("POST", "/"));
        assert!(is_webhook("POST", "/api/webhooks/github"));
        assert!(!is_webhook("GET", "/"));
        assert!(!is_webhook("POST", "/admin/triggers"));
    }
}
