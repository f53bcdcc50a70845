//! The delivery inspector's records: what arrived, for which trigger, and
//! what was decided. Bodies are kept truncated and secret headers redacted,
//! so the log helps debugging without becoming a second copy of secrets:
//! a header's value is kept only when its name is on a list of known-harmless
//! headers and reads as nothing secret; every other value is redacted.

use agented_kernel::TriggerId;
use chrono::{DateTime, Utc};

/// Bytes of a body kept in a record.
pub const KEPT_BODY_BYTES: usize = 64 * 1024;

/// Headers whose values are harmless to keep (lower case).
const HARMLESS_HEADERS: &[&str] = &[
    "accept",
    "accept-encoding",
    "connection",
    "content-encoding",
    "content-length",
    "content-type",
    "expect",
    "host",
    "user-agent",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
    "x-github-delivery",
    "x-github-event",
    "x-github-hook-id",
    "x-github-hook-installation-target-id",
    "x-github-hook-installation-target-type",
    "x-gitlab-event",
    "x-gitlab-event-uuid",
    "x-gitlab-instance",
    "x-event-key",
    "x-hook-uuid",
    "webhook-id",
    "webhook-timestamp",
];

/// Words that mark a header as carrying a credential, whatever the rest of its name.
const SECRET_WORDS: &[&str] = &["token", "secret", "auth", "signature", "key", "cookie", "session", "password"];

/// Whether a header's value may be kept and shown: a known-harmless name that names no secret.
#[must_use]
pub fn is_harmless_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    HARMLESS_HEADERS.contains(&name.as_str()) && !SECRET_WORDS.iter().any(|w| name.contains(w))
}

/// One delivery as one trigger saw it (`trigger_id` `None`: a delivery no trigger matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Row id (0 before it is stored).
    pub id: i64,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// `webhook` or `github`.
    pub source: String,
    /// GitHub: `event.action`.
    pub event: Option<String>,
    /// The trigger it concerned.
    pub trigger_id: Option<TriggerId>,
    /// `started`, `duplicate`, `skipped`, `bad_signature`, `failed`, `not_matched` or `ignored`.
    pub decision: String,
    /// Why, when it did not start a run.
    pub reason: Option<String>,
    /// The run started.
    pub execution_id: Option<String>,
    /// Request headers, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// The body, cut to [`KEPT_BODY_BYTES`] (on a character boundary).
    pub body: String,
    /// The body's full size.
    pub body_bytes: i64,
}

/// Keeps headers with secret values replaced by `[redacted]`.
#[must_use]
pub fn redact_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if is_harmless_header(&name) { value.to_owned() } else { "[redacted]".to_owned() };
            (name, value)
        })
        .collect()
}

/// The body as text, cut to [`KEPT_BODY_BYTES`].
#[must_use]
pub fn kept_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= KEPT_BODY_BYTES {
        return text.into_owned();
    }
    let mut end = KEPT_BODY_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [truncated]", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_harmless_headers_keep_their_values() {
        let headers = [
            ("X-Gitlab-Token", "glpat-secret"),
            ("Proxy-Authorization", "Basic c2VjcmV0"),
            ("X-Auth-Token", "t0ken"),
            ("X-Slack-Signature", "v0=abc"),
            ("Webhook-Signature", "v1,abc"),
            ("X-Custom-Thing", "anything unknown"),
            ("Cookie", "session=1"),
            ("X-API-Key", "agd_x"),
            ("Content-Type", "application/json"),
            ("User-Agent", "GitHub-Hookshot/1"),
            ("X-GitHub-Delivery", "d-1"),
            ("Webhook-Timestamp", "1700000000"),
        ];
        let kept = redact_headers(headers);
        for ((name, value), (kept_name, kept_value)) in headers.iter().zip(&kept) {
            assert_eq!(kept_name, &name.to_ascii_lowercase());
            let harmless = ["Content-Type", "User-Agent", "X-GitHub-Delivery", "Webhook-Timestamp"].contains(name);
            let expected = if harmless { *value } else { "[redacted]" };
            assert_eq!(kept_value, expected, "{name}");
        }
    }

    #[test]
    fn secret_headers_are_redacted_and_others_kept() {
        let kept = redact_headers([
            ("X-Hub-Signature-256", "sha256=abc"),
            ("X-GitHub-Event", "push"),
            ("Authorization", "Bearer x"),
        ]);
        assert_eq!(
            kept,
            vec![
                ("x-hub-signature-256".to_owned(), "[redacted]".to_owned()),
                ("x-github-event".to_owned(), "push".to_owned()),
                ("authorization".to_owned(), "[redacted]".to_owned()),
            ]
        );
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let body = "é".repeat(KEPT_BODY_BYTES);
        let kept = kept_body(body.as_bytes());
        assert!(kept.ends_with("… [truncated]"));
        assert!(kept.len() <= KEPT_BODY_BYTES + "… [truncated]".len());
        assert_eq!(kept_body(b"{}"), "{}");
    }
}
