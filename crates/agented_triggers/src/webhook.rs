//! Whether a generic webhook delivery is for a trigger: the value at
//! `match_field_path` equals `match_field_value`, and the text at
//! `text_field_path` contains `detection_keyword` (case-insensitive). Paths
//! are dot-separated; numeric segments index arrays (`data.0.id`).

use crate::TriggerSettings;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The value at a dot path, if there is one.
#[must_use]
pub fn value_at<'a>(payload: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').filter(|s| !s.is_empty()).try_fold(payload, |value, segment| match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A value as text: strings as they are, other values as compact JSON; `null` is no text.
#[must_use]
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A delivery's match against one trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookMatch {
    /// It is for this trigger.
    Matched {
        /// The text at `text_field_path`, when there is one: it fills `{message}`.
        message: Option<String>,
    },
    /// It is not, and why.
    NotMatched(String),
}

/// Decides whether `payload` is for a trigger with `settings`' webhook rule (its signature is checked elsewhere).
#[must_use]
pub fn match_payload(settings: &TriggerSettings, payload: &Value) -> WebhookMatch {
    settings.webhook_rule().matches(payload)
}

/// The dedup key of a generic delivery: SHA-256 of its canonical JSON (keys sorted, no spaces).
#[must_use]
pub fn payload_key(payload: &Value) -> String {
    // serde_json's map keeps keys sorted, so equal payloads serialise alike whatever their key order.
    hex::encode(Sha256::digest(payload.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(path: Option<&str>, value: Option<&str>, text: &str, keyword: Option<&str>) -> TriggerSettings {
        TriggerSettings {
            match_field_path: path.map(Into::into),
            match_field_value: value.map(Into::into),
            text_field_path: text.into(),
            detection_keyword: keyword.map(Into::into),
            ..TriggerSettings::default()
        }
    }

    #[test]
    fn dot_paths_reach_into_objects_and_arrays() {
        let payload = json!({ "data": [{ "id": 7, "tags": ["a", "b"] }], "event": { "type": "alert" } });
        assert_eq!(value_at(&payload, "data.0.id"), Some(&json!(7)));
        assert_eq!(value_at(&payload, "data.0.tags.1"), Some(&json!("b")));
        assert_eq!(value_at(&payload, "event.type"), Some(&json!("alert")));
        assert_eq!(value_at(&payload, "data.1.id"), None);
        assert_eq!(value_at(&payload, "data.x"), None);
        assert_eq!(value_at(&payload, "event.type.deeper"), None);
    }

    #[test]
    fn matching_table() {
        let alert = json!({ "event": { "type": "alert", "level": 3 }, "text": "Disk FULL on db-1", "n": null });
        let cases: &[(&str, TriggerSettings, bool, &str)] = &[
            ("no conditions", settings(None, None, "text", None), true, ""),
            ("field equals", settings(Some("event.type"), Some("alert"), "text", None), true, ""),
            ("number as text", settings(Some("event.level"), Some("3"), "text", None), true, ""),
            (
                "field differs",
                settings(Some("event.type"), Some("deploy"), "text", None),
                false,
                "'event.type' is 'alert', not 'deploy'",
            ),
            (
                "field missing",
                settings(Some("event.kind"), Some("alert"), "text", None),
                false,
                "no value at 'event.kind'",
            ),
            ("null is missing", settings(Some("n"), None, "text", None), false, "no value at 'n'"),
            ("path without value: present", settings(Some("event.type"), None, "text", None), true, ""),
            ("keyword, any case", settings(None, None, "text", Some("disk full")), true, ""),
            ("keyword absent", settings(None, None, "text", Some("cpu")), false, "the text does not contain 'cpu'"),
            ("keyword without text", settings(None, None, "body", Some("disk")), false, "no text at 'body'"),
            ("both", settings(Some("event.type"), Some("alert"), "text", Some("db-1")), true, ""),
            ("empty strings are unset", settings(Some(""), Some(""), "text", Some("")), true, ""),
        ];
        for (name, s, matched, why) in cases {
            match match_payload(s, &alert) {
                WebhookMatch::Matched { message } => {
                    assert!(matched, "{name}: matched");
                    assert_eq!(
                        message.as_deref(),
                        if s.text_field_path == "text" { Some("Disk FULL on db-1") } else { None }
                    );
                }
                WebhookMatch::NotMatched(reason) => {
                    assert!(!matched, "{name}: {reason}");
                    assert_eq!(&reason, why, "{name}");
                }
            }
        }
    }

    #[test]
    fn the_key_ignores_key_order_and_spacing() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"s","y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(payload_key(&a), payload_key(&b));
        assert_ne!(payload_key(&a), payload_key(&json!({ "b": 2 })));
    }
}
