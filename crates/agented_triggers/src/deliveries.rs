//! The delivery inspector's records: what arrived, for which trigger, and
//! what was decided. Bodies are kept truncated and secret headers redacted,
//! so the log helps debugging without becoming a second copy of secrets.

use agented_kernel::TriggerId;
use chrono::{DateTime, Utc};

/// Bytes of a body kept in a record.
pub const KEPT_BODY_BYTES: usize = 64 * 1024;

/// Headers whose values are never stored.
const SECRET_HEADERS: &[&str] =
    &["authorization", "cookie", "x-api-key", "x-hub-signature", "x-hub-signature-256", "x-webhook-signature-256"];

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
            let value =
                if SECRET_HEADERS.contains(&name.as_str()) { "[redacted]".to_owned() } else { value.to_owned() };
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
