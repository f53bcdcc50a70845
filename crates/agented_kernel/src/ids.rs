//! Identifier newtypes with the formats integrations rely on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An identifier did not have its expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id '{value}': {reason}")]
pub struct IdError {
    /// Which kind of id was being parsed.
    pub kind: &'static str,
    /// The rejected text.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `n` lowercase alphanumerics from a v4 UUID's random bytes.
pub(crate) fn random_suffix(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            // 252 = 7 * 36: rejecting the top keeps every character equally likely.
            if *byte < 252 && out.len() < n {
                out.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
            }
        }
    }
    out
}

/// The text conversions every id shares: `as_str`, `Display`, to `String`, and
/// from `String` through the type's own `parse`.
macro_rules! text_id {
    ($name:ident) => {
        impl $name {
            /// The id as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// A trigger id: `trig-` + 6 lowercase alphanumerics, or `bot-…` for predefined triggers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TriggerId(String);

impl TriggerId {
    /// A fresh random `trig-xxxxxx` id.
    #[must_use]
    pub fn generate() -> Self {
        Self(format!("trig-{}", random_suffix(6)))
    }

    /// Validates an id received from a client or read from storage.
    ///
    /// # Errors
    /// When the text is not `trig-`/`bot-` followed by 1–64 of `[a-z0-9_-]`.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = |reason| IdError { kind: "trigger", value: value.to_owned(), reason };
        let rest = value
            .strip_prefix("trig-")
            .or_else(|| value.strip_prefix("bot-"))
            .ok_or_else(|| err("must start with 'trig-' or 'bot-'"))?;
        if rest.is_empty() || rest.len() > 64 || !rest.chars().all(is_id_char) {
            return Err(err("must continue with 1 to 64 of a-z, 0-9, '-' or '_'"));
        }
        Ok(Self(value.to_owned()))
    }
}

text_id!(TriggerId);

/// An id of a fixed prefix and 6 random lowercase alphanumerics.
macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("A fresh random `", $prefix, "xxxxxx` id.")]
            #[must_use]
            pub fn generate() -> Self {
                Self(format!(concat!($prefix, "{}"), random_suffix(6)))
            }

            /// Validates an id received from a client or read from storage.
            ///
            /// # Errors
            #[doc = concat!("When the text is not `", $prefix, "` followed by 1–64 of `[a-z0-9_-]`.")]
            pub fn parse(value: &str) -> Result<Self, IdError> {
                let err = |reason| IdError { kind: $kind, value: value.to_owned(), reason };
                let rest = value.strip_prefix($prefix).ok_or_else(|| err(concat!("must start with '", $prefix, "'")))?;
                if rest.is_empty() || rest.len() > 64 || !rest.chars().all(is_id_char) {
                    return Err(err("must continue with 1 to 64 of a-z, 0-9, '-' or '_'"));
                }
                Ok(Self(value.to_owned()))
            }
        }

        text_id!($name);
    };
}

prefixed_id!(
    /// A project id: `proj-` + 6 lowercase alphanumerics.
    ProjectId, "proj-", "project"
);

prefixed_id!(
    /// A planning session or research run of a project: `plan-` + 6 lowercase alphanumerics.
    PlanningId, "plan-", "planning"
);

prefixed_id!(
    /// An account of a backend: `acct-` + 6 lowercase alphanumerics.
    AccountId, "acct-", "account"
);

prefixed_id!(
    /// A budget: `budget-` + 6 lowercase alphanumerics.
    BudgetId, "budget-", "budget"
);

prefixed_id!(
    /// A workflow: `wf-` + 6 lowercase alphanumerics (the original platform's form).
    WorkflowId, "wf-", "workflow"
);

prefixed_id!(
    /// A reusable agent: `agent-` + 6 lowercase alphanumerics (the original platform's form).
    AgentId, "agent-", "agent"
);

prefixed_id!(
    /// A team of agents: `team-` + 6 lowercase alphanumerics (the original platform's form).
    TeamId, "team-", "team"
);

prefixed_id!(
    /// A run of a workflow: `wfx-` + 6 lowercase alphanumerics (the original platform's prefix).
    WorkflowRunId, "wfx-", "workflow execution"
);

prefixed_id!(
    /// A worker process that runs jobs: `wrk-` + 6 lowercase alphanumerics, new for every process.
    WorkerId, "wrk-", "worker"
);

prefixed_id!(
    /// An MCP server given to runs: `mcp-` + 6 lowercase alphanumerics (the original platform's form).
    McpServerId, "mcp-", "MCP server"
);

prefixed_id!(
    /// A plugin: a bundle of skills, commands and hooks, `plugin-` + 6 lowercase alphanumerics.
    PluginId, "plugin-", "plugin"
);

prefixed_id!(
    /// Where notices go (an outgoing webhook or a Slack channel): `ntf-` + 6 lowercase alphanumerics.
    NotifierId, "ntf-", "notifier"
);

prefixed_id!(
    /// An import of another installation's database: `imp-` + 6 lowercase alphanumerics.
    ImportId, "imp-", "import"
);

prefixed_id!(
    /// An interactive terminal session: `sess-` + 6 lowercase alphanumerics.
    SessionId, "sess-", "session"
);

prefixed_id!(
    /// A persistent agent a person talks to: `sa-` + 6 lowercase alphanumerics.
    SuperAgentId, "sa-", "super agent"
);

prefixed_id!(
    /// A chat session with a persistent agent: `chat-` + 6 lowercase alphanumerics.
    ChatId, "chat-", "chat session"
);

/// An execution id: `exec-{trigger_id}-{YYYYMMDDTHHMMSS}-{4 chars}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExecutionId(String);

impl ExecutionId {
    /// A new id for a run of `trigger` started at `at`.
    #[must_use]
    pub fn generate(trigger: &TriggerId, at: DateTime<Utc>) -> Self {
        Self(format!("exec-{trigger}-{}-{}", at.format("%Y%m%dT%H%M%S"), random_suffix(4)))
    }

    /// Validates an id received from a client or read from storage.
    ///
    /// # Errors
    /// When the text does not start with `exec-` or holds characters outside `[a-z0-9_-]`.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = |reason| IdError { kind: "execution", value: value.to_owned(), reason };
        let rest = value.strip_prefix("exec-").ok_or_else(|| err("must start with 'exec-'"))?;
        if rest.is_empty() || rest.len() > 128 || !rest.chars().all(|c| is_id_char(c) || c == 'T') {
            return Err(err("must continue with 1 to 128 of a-z, 0-9, 'T', '-' or '_'"));
        }
        Ok(Self(value.to_owned()))
    }
}

text_id!(ExecutionId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_have_their_prefix() {
        let id = ProjectId::generate();
        assert!(id.as_str().starts_with("proj-") && id.as_str().len() == 11, "{id}");
        assert_eq!(ProjectId::parse(id.as_str()), Ok(id));
        for bad in ["trig-abc", "proj-", "proj-ABC", "proj-a/b"] {
            assert!(ProjectId::parse(bad).is_err(), "{bad}");
        }
    }
    use chrono::TimeZone;

    #[test]
    fn generated_trigger_ids_have_the_trig_prefix_and_six_characters() {
        let id = TriggerId::generate();
        let suffix = id.as_str().strip_prefix("trig-").unwrap();
        assert_eq!(suffix.len(), 6);
        assert!(suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_eq!(TriggerId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn predefined_bot_ids_are_valid_trigger_ids() {
        assert!(TriggerId::parse("bot-pr-review").is_ok());
    }

    #[test]
    fn trigger_ids_with_other_shapes_are_refused() {
        for bad in ["", "trig-", "trig-ABC", "x-abc", "trig-a/b", "trig-a b"] {
            assert!(TriggerId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn execution_ids_embed_the_trigger_and_the_start_time() {
        let trigger = TriggerId::parse("trig-abc123").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 9, 5, 7).unwrap();
        let id = ExecutionId::generate(&trigger, at);
        assert!(id.as_str().starts_with("exec-trig-abc123-20261121T090507-"), "{id}");
        assert_eq!(id.as_str().len(), "exec-trig-abc123-20261121T090507-".len() + 4);
        assert_eq!(ExecutionId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn ids_deserialize_only_when_valid() {
        assert!(serde_json::from_str::<TriggerId>("\"trig-abc123\"").is_ok());
        assert!(serde_json::from_str::<TriggerId>("\"../etc\"").is_err());
    }
}
