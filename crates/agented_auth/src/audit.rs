//! The audit record: who changed what, when, and whether it worked.

use agented_kernel::Page;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether the audited action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// 2xx/3xx.
    Success,
    /// Refused or failed.
    Failure,
}

impl Outcome {
    /// The outcome of an HTTP status.
    #[must_use]
    pub const fn of_status(status: u16) -> Self {
        if status < 400 { Self::Success } else { Self::Failure }
    }

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it: the key's name, `AGENTED_API_KEY`, or `cli`.
    pub actor: String,
    /// What was done, e.g. `api_key.create`, `POST /admin/triggers/{id}/run`.
    pub action: String,
    /// The kind of thing acted on, e.g. `api_key`, `trigger`.
    pub entity_type: String,
    /// Which one, when known.
    pub entity_id: Option<String>,
    /// Whether it worked.
    pub outcome: Outcome,
    /// The HTTP status (0 outside HTTP).
    pub status: u16,
    /// What changed, secrets redacted.
    pub changes: Option<Value>,
    /// The request it came from.
    pub request_id: Option<String>,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Sequence number.
    pub id: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// A filter over the audit trail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// Which page.
    pub page: Page,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only actions starting with this.
    pub action: Option<String>,
    /// Only this entity type.
    pub entity_type: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

const REDACTED: &str = "<redacted>";

fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "token", "password", "api_key", "apikey", "authorization", "credential"].iter().any(|s| name.contains(s))
        || name == "key"
}

/// Replaces the value of every secret-looking field, at any depth.
#[must_use]
pub fn redact(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if is_secret_field(k) && !v.is_null() {
                        *v = Value::from(REDACTED);
                    } else {
                        walk(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_other_fields_kept() {
        let changes = json!({
            "name": "deploy bot",
            "webhook_secret": "s3cr3t",
            "nested": [{"token": "t"}, {"key": "k", "key_id": "key_1"}],
            "password": null,
        });
        assert_eq!(
            redact(changes),
            json!({
                "name": "deploy bot",
                "webhook_secret": "<redacted>",
                "nested": [{"token": "<redacted>"}, {"key": "<redacted>", "key_id": "key_1"}],
                "password": null,
            })
        );
    }

    #[test]
    fn outcomes_follow_the_status() {
        assert_eq!(Outcome::of_status(201), Outcome::Success);
        assert_eq!(Outcome::of_status(409), Outcome::Failure);
        assert_eq!(Outcome::of_status(500), Outcome::Failure);
    }
}
