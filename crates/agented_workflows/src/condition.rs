//! `conditional` nodes: a test over the text or data coming in, chosen from a fixed
//! set (the original's `condition` + `value`). Nothing is evaluated as code.

use crate::output::NodeOutput;
use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// Largest compiled pattern accepted (a pattern is author input, not a resource sink).
const MAX_PATTERN_BYTES: usize = 64 * 1024;

/// What a `conditional` node tests.
#[derive(Debug, Clone)]
pub enum Condition {
    /// The text contains the value.
    Contains(String),
    /// The text does not contain the value.
    NotContains(String),
    /// The text, trimmed, equals the value.
    Equals(String),
    /// The text matches the regular expression.
    Matches(Regex),
    /// The text is empty or whitespace.
    IsEmpty,
    /// The text has anything but whitespace.
    NotEmpty,
    /// The previous node succeeded (a command's exit code 0, or no error).
    Succeeded,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Matches(a), Self::Matches(b)) => a.as_str() == b.as_str(),
            _ => std::mem::discriminant(self) == std::mem::discriminant(other) && self.value() == other.value(),
        }
    }
}

impl Condition {
    /// Every condition's name.
    pub const NAMES: [&'static str; 7] =
        ["contains", "not_contains", "equals", "matches", "is_empty", "not_empty", "succeeded"];

    /// The condition named `name` testing `value` (for those that take one).
    ///
    /// # Errors
    /// An unknown name, a missing value, or a pattern that does not compile.
    pub fn parse(name: &str, value: Option<&Value>) -> Result<Self, String> {
        let text = || match value {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(Value::Bool(b)) => Ok(b.to_string()),
            _ => Err(format!("'{name}' needs a `value`: the text to look for")),
        };
        match name {
            "contains" => Ok(Self::Contains(text()?)),
            "not_contains" => Ok(Self::NotContains(text()?)),
            "equals" => Ok(Self::Equals(text()?)),
            "matches" => RegexBuilder::new(&text()?)
                .size_limit(MAX_PATTERN_BYTES)
                .build()
                .map(Self::Matches)
                .map_err(|e| format!("`value` is not a regular expression: {e}")),
            "is_empty" => Ok(Self::IsEmpty),
            "not_empty" => Ok(Self::NotEmpty),
            "succeeded" => Ok(Self::Succeeded),
            other => Err(format!("unknown condition '{other}': use one of {}", Self::NAMES.join(", "))),
        }
    }

    fn value(&self) -> Option<&str> {
        match self {
            Self::Contains(v) | Self::NotContains(v) | Self::Equals(v) => Some(v),
            Self::Matches(r) => Some(r.as_str()),
            Self::IsEmpty | Self::NotEmpty | Self::Succeeded => None,
        }
    }

    /// Whether `input` passes.
    #[must_use]
    pub fn holds(&self, input: &NodeOutput) -> bool {
        let text = input.as_text();
        match self {
            Self::Contains(v) => text.contains(v.as_str()),
            Self::NotContains(v) => !text.contains(v.as_str()),
            Self::Equals(v) => text.trim() == v.trim(),
            Self::Matches(r) => r.is_match(&text),
            Self::IsEmpty => text.trim().is_empty(),
            Self::NotEmpty => !text.trim().is_empty(),
            Self::Succeeded => input.error.is_none() && input.exit_code.is_none_or(|c| c == 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(t: &str) -> NodeOutput {
        NodeOutput::text("n", t)
    }

    #[test]
    fn each_condition_tests_the_text_coming_in() {
        let cond = |name: &str, value: Value| Condition::parse(name, Some(&value)).expect(name);
        assert!(cond("contains", json!("READY")).holds(&text("RELEASE-NOTES-READY")));
        assert!(!cond("not_contains", json!("READY")).holds(&text("READY")));
        assert!(cond("equals", json!(42)).holds(&text(" 42\n")));
        assert!(cond("matches", json!("^v\\d+\\.\\d+")).holds(&text("v1.5.0")));
        assert!(Condition::parse("is_empty", None).expect("empty").holds(&text("  ")));
        assert!(Condition::parse("not_empty", None).expect("some").holds(&text("x")));
        let failed = NodeOutput { exit_code: Some(2), ..text("") };
        assert!(!Condition::parse("succeeded", None).expect("ok").holds(&failed));
    }

    #[test]
    fn a_bad_condition_says_what_is_wrong() {
        assert!(Condition::parse("eval", Some(&json!("1+1"))).unwrap_err().contains("unknown condition 'eval'"));
        assert!(Condition::parse("contains", None).unwrap_err().contains("needs a `value`"));
        assert!(Condition::parse("matches", Some(&json!("("))).unwrap_err().contains("not a regular expression"));
        assert!(Condition::parse("matches", Some(&json!("a{1000}{1000}"))).is_err(), "a pattern too big to compile");
    }
}
