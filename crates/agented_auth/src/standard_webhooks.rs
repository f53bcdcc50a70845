//! The Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`): an HMAC-SHA256 over `{id}.{timestamp}.{body}`, so the
//! time of sending is signed and a captured delivery goes stale. The key is
//! the trigger's secret: base64 after a `whsec_` prefix, else its bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// The three headers of a delivery signed this way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage<'a> {
    /// `webhook-id`: the message's id; a sender keeps it across retries.
    pub id: &'a str,
    /// `webhook-timestamp`: Unix seconds when it was sent.
    pub timestamp: &'a str,
    /// `webhook-signature`: space-separated `v1,<base64>` entries.
    pub signatures: &'a str,
}

/// Why a Standard Webhooks delivery is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageRefusal {
    /// No `v1` signature matches the body under the secret.
    #[error("webhook-signature does not match the body under the trigger's secret")]
    BadSignature,
    /// `webhook-timestamp` is not Unix seconds.
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is too far from now: a replay, or a wrong clock.
    #[error("webhook-timestamp is more than {0} s away from now (replayed, or a wrong clock)")]
    Stale(u64),
}

fn key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn mac(secret: &str, message: &SignedMessage<'_>, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key(secret))
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message.id.as_bytes());
    mac.update(b".");
    mac.update(message.timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks a delivery's signature, then that it was sent within `tolerance` of `now`.
///
/// # Errors
/// [`MessageRefusal`] saying why it is refused.
pub fn verify(
    secret: &str,
    message: &SignedMessage<'_>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), MessageRefusal> {
    let signed = message.signatures.split_whitespace().filter_map(|entry| entry.strip_prefix("v1,")).any(|b64| {
        STANDARD.decode(b64).is_ok_and(|signature| mac(secret, message, body).verify_slice(&signature).is_ok())
    });
    if !signed {
        return Err(MessageRefusal::BadSignature);
    }
    let sent: i64 = message.timestamp.trim().parse().map_err(|_| MessageRefusal::BadTimestamp)?;
    if now.timestamp().abs_diff(sent) > tolerance.as_secs() {
        return Err(MessageRefusal::Stale(tolerance.as_secs()));
    }
    Ok(())
}

/// The `webhook-signature` value for a message (for senders and tests).
#[must_use]
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    let message = SignedMessage { id, timestamp: &timestamp, signatures: "" };
    format!("v1,{}", STANDARD.encode(mac(secret, &message, body).finalize().into_bytes()))
}

/// A fresh signing secret in the Standard Webhooks form: `whsec_` and 24 random bytes in base64.
///
/// # Errors
/// The system's random source failed.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// What generic deliveries must show of their time of sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampPolicy {
    /// How far a signed timestamp may be from now.
    pub tolerance: Duration,
    /// Whether the legacy signature (no timestamp, so replayable) is refused.
    pub required: bool,
}

/// How a generic delivery proves, to a trigger with a secret, that it comes
/// from the trigger's sender: a Standard Webhooks signature when the delivery
/// carries one (or when one is required), else `X-Webhook-Signature-256`.
#[derive(Debug, Clone)]
pub struct DeliveryProof<'a> {
    /// `X-Webhook-Signature-256`.
    pub legacy: Option<&'a str>,
    /// The three Standard Webhooks headers, when all are present.
    pub message: Option<SignedMessage<'a>>,
    /// The raw body.
    pub body: &'a [u8],
    /// The time it arrived.
    pub now: DateTime<Utc>,
    /// What it must show of its time of sending.
    pub policy: TimestampPolicy,
}

impl DeliveryProof<'_> {
    /// Whether the delivery is signed with `secret`.
    ///
    /// # Errors
    /// Why not, in words for the sender.
    pub fn check(&self, secret: &str) -> Result<(), String> {
        if let Some(message) = &self.message {
            return verify(secret, message, self.body, self.now, self.policy.tolerance).map_err(|e| e.to_string());
        }
        if self.policy.required {
            return Err("a signed timestamp is required: sign with webhook-id, webhook-timestamp and \
                        webhook-signature (Standard Webhooks)"
                .into());
        }
        if crate::signature_matches(secret.as_bytes(), self.body, self.legacy) {
            Ok(())
        } else {
            Err("X-Webhook-Signature-256 is missing or does not match".into())
        }
    }

    /// The signed message id, when the delivery has one.
    #[must_use]
    pub fn message_id(&self) -> Option<&str> {
        self.message.as_ref().map(|m| m.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TOLERANCE: Duration = Duration::from_secs(300);

    /// The example of the Standard Webhooks reference libraries.
    #[test]
    fn the_reference_example_verifies() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let message =
            SignedMessage { id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signatures: &signature };
        let at = Utc.timestamp_opt(1_614_265_330, 0).unwrap();
        assert_eq!(verify(secret, &message, body, at, TOLERANCE), Ok(()));
    }

    #[test]
    fn a_new_secret_is_whsec_and_24_random_bytes() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(STANDARD.decode(a.strip_prefix("whsec_").unwrap()).unwrap().len(), 24);
    }

    #[test]
    fn wrong_stale_and_malformed_deliveries_are_refused() {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let body = b"{}";
        let good = sign("s3cret", "msg_1", now.timestamp(), body);
        let several = format!("v1,AAAA {good} v2,x");
        let check = |secret: &str, timestamp: &str, signatures: &str, body: &[u8], at: DateTime<Utc>| {
            verify(secret, &SignedMessage { id: "msg_1", timestamp, signatures }, body, at, TOLERANCE)
        };
        assert_eq!(check("s3cret", "1800000000", &good, body, now), Ok(()));
        assert_eq!(check("s3cret", "1800000000", &several, body, now), Ok(()));
        assert_eq!(check("other", "1800000000", &good, body, now), Err(MessageRefusal::BadSignature));
        assert_eq!(check("s3cret", "1800000000", &good, b"{ }", now), Err(MessageRefusal::BadSignature));
        assert_eq!(check("s3cret", "1800000000", "sha256=abc", body, now), Err(MessageRefusal::BadSignature));
        // The timestamp is signed: moving it breaks the signature.
        assert_eq!(check("s3cret", "1800000300", &good, body, now), Err(MessageRefusal::BadSignature));
        for at in [now + chrono::Duration::seconds(301), now - chrono::Duration::seconds(301)] {
            assert_eq!(check("s3cret", "1800000000", &good, body, at), Err(MessageRefusal::Stale(300)));
        }
    }

    #[test]
    fn a_delivery_proves_itself_with_either_signature_unless_a_timestamp_is_required() {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let body = b"{}";
        let legacy = crate::sign(b"s3cret", body);
        let signatures = sign("s3cret", "msg_1", now.timestamp(), body);
        let message = SignedMessage { id: "msg_1", timestamp: "1800000000", signatures: &signatures };
        let open = TimestampPolicy { tolerance: TOLERANCE, required: false };
        let base = DeliveryProof { legacy: None, message: None, body, now, policy: open };
        let legacy_only = DeliveryProof { legacy: Some(&legacy), ..base.clone() };
        assert_eq!(legacy_only.check("s3cret"), Ok(()));
        let strict = TimestampPolicy { required: true, ..open };
        let required = DeliveryProof { policy: strict, ..legacy_only.clone() };
        assert!(required.check("s3cret").unwrap_err().contains("signed timestamp is required"));
        let standard = DeliveryProof { message: Some(message.clone()), policy: strict, ..base.clone() };
        assert_eq!(standard.check("s3cret"), Ok(()));
        assert_eq!(standard.message_id(), Some("msg_1"));
        // A Standard Webhooks delivery is judged by its own signature, never the legacy one.
        let both = DeliveryProof { message: Some(message), ..legacy_only };
        assert!(both.check("other").is_err());
        assert!(base.check("s3cret").unwrap_err().contains("X-Webhook-Signature-256"));
    }
}
