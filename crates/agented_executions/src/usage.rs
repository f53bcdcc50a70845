//! Usage, cost and in-band failures read from each CLI's structured output.
//! Lines that are not JSON records are ignored, so plain-text CLIs cost nothing.

use agented_kernel::BackendType;
use serde_json::Value;

/// Tokens and dollars of one run, as far as the CLI reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Tokens sent to the model.
    pub input_tokens: Option<i64>,
    /// Tokens produced by the model.
    pub output_tokens: Option<i64>,
    /// Cost in US dollars.
    pub total_cost_usd: Option<f64>,
}

impl Usage {
    /// This usage and `other` together (a run's attempts added up); a figure
    /// neither reported stays unreported.
    #[must_use]
    pub fn plus(self, other: Self) -> Self {
        let mut sum = self;
        sum.add(other.input_tokens, other.output_tokens, other.total_cost_usd);
        sum
    }

    fn add(&mut self, input: Option<i64>, output: Option<i64>, cost: Option<f64>) {
        if let Some(i) = input {
            self.input_tokens = Some(self.input_tokens.unwrap_or(0) + i);
        }
        if let Some(o) = output {
            self.output_tokens = Some(self.output_tokens.unwrap_or(0) + o);
        }
        if let Some(c) = cost {
            self.total_cost_usd = Some(self.total_cost_usd.unwrap_or(0.0) + c);
        }
    }
}

/// Reads one run's stdout, line by line.
#[derive(Debug, Clone)]
pub struct OutputParser {
    backend: Option<BackendType>,
    usage: Usage,
    failure: Option<String>,
    ended: bool,
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Object(o) => text(o.get("message")).or_else(|| text(o.get("data")).or_else(|| text(o.get("name")))),
        _ => None,
    }
}

impl OutputParser {
    /// A parser for a built-in backend; `None` (custom commands) reads nothing.
    #[must_use]
    pub const fn new(backend: Option<BackendType>) -> Self {
        Self {
            backend,
            usage: Usage { input_tokens: None, output_tokens: None, total_cost_usd: None },
            failure: None,
            ended: false,
        }
    }

    /// Usage so far.
    #[must_use]
    pub const fn usage(&self) -> Usage {
        self.usage
    }

    /// Whether the CLI printed its final record (claude's and gemini's `result`):
    /// usage read after it is the run's total, not live progress.
    #[must_use]
    pub const fn reported_end(&self) -> bool {
        self.ended
    }

    /// The failure the CLI reported in its output, if any.
    #[must_use]
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Reads one stdout line; `true` when it changed the usage.
    pub fn observe(&mut self, line: &str) -> bool {
        let Some(backend) = self.backend else { return false };
        let line = line.trim();
        if !line.starts_with('{') || !line.contains("\"type\"") {
            return false;
        }
        let Ok(record) = serde_json::from_str::<Value>(line) else { return false };
        let kind = record.get("type").and_then(Value::as_str).unwrap_or_default();
        let before = self.usage;
        match (backend, kind) {
            (BackendType::Claude, "result") => {
                self.ended = true;
                let usage = record.get("usage").unwrap_or(&Value::Null);
                self.usage = Usage {
                    input_tokens: int(usage, "input_tokens").map(|i| {
                        i + int(usage, "cache_creation_input_tokens").unwrap_or(0)
                            + int(usage, "cache_read_input_tokens").unwrap_or(0)
                    }),
                    output_tokens: int(usage, "output_tokens"),
                    total_cost_usd: record.get("total_cost_usd").and_then(Value::as_f64),
                };
                if record.get("is_error").and_then(Value::as_bool) == Some(true) {
                    self.failure = Some(text(record.get("result")).unwrap_or_else(|| {
                        format!(
                            "claude reported {}",
                            record.get("subtype").and_then(Value::as_str).unwrap_or("an error")
                        )
                    }));
                }
            }
            (BackendType::Codex, "turn.completed") => {
                let usage = record.get("usage").unwrap_or(&Value::Null);
                self.usage.add(int(usage, "input_tokens"), int(usage, "output_tokens"), None);
            }
            (BackendType::Codex, "turn.failed" | "error") => {
                self.failure = text(record.get("error")).or_else(|| text(record.get("message")));
            }
            (BackendType::Gemini, "result") => {
                self.ended = true;
                let stats = record.get("stats").unwrap_or(&Value::Null);
                self.usage = Usage {
                    input_tokens: int(stats, "input_tokens"),
                    output_tokens: int(stats, "output_tokens"),
                    total_cost_usd: None,
                };
                if record.get("status").and_then(Value::as_str) == Some("error") {
                    self.failure = text(record.get("error")).or_else(|| Some("gemini reported an error".into()));
                }
            }
            (BackendType::Opencode, "step_finish") => {
                let part = record.get("part").unwrap_or(&Value::Null);
                let tokens = part.get("tokens").unwrap_or(&Value::Null);
                self.usage.add(int(tokens, "input"), int(tokens, "output"), part.get("cost").and_then(Value::as_f64));
            }
            (BackendType::Opencode, "error") => {
                self.failure = text(record.get("error")).or_else(|| Some("opencode reported an error".into()));
            }
            _ => {}
        }
        self.usage != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_result_records_give_usage_cost_and_failures() {
        let mut parser = OutputParser::new(Some(BackendType::Claude));
        assert!(!parser.observe(r#"{"type":"assistant","message":{"content":[]}}"#));
        assert!(parser.observe(
            r#"{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.25,"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":7}}"#
        ));
        assert_eq!(
            parser.usage(),
            Usage { input_tokens: Some(15), output_tokens: Some(7), total_cost_usd: Some(0.25) }
        );
        assert_eq!(parser.failure(), None);
        assert!(parser.reported_end(), "a result record is the last one");
        parser.observe(r#"{"type":"result","subtype":"error_during_execution","is_error":true,"result":"Credit balance is too low"}"#);
        assert_eq!(parser.failure(), Some("Credit balance is too low"));
    }

    #[test]
    fn codex_turns_add_up_and_failures_keep_their_message() {
        let mut parser = OutputParser::new(Some(BackendType::Codex));
        parser.observe(
            r#"{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":20}}"#,
        );
        parser.observe(r#"{"type":"turn.completed","usage":{"input_tokens":50,"output_tokens":5}}"#);
        assert_eq!(parser.usage().input_tokens, Some(150));
        assert_eq!(parser.usage().output_tokens, Some(25));
        parser.observe(r#"{"type":"turn.failed","error":{"message":"stream disconnected"}}"#);
        assert_eq!(parser.failure(), Some("stream disconnected"));
    }

    #[test]
    fn gemini_and_opencode_records_are_read() {
        let mut gemini = OutputParser::new(Some(BackendType::Gemini));
        gemini.observe(r#"{"type":"result","status":"success","stats":{"input_tokens":3,"output_tokens":4}}"#);
        assert_eq!(gemini.usage().output_tokens, Some(4));
        let mut opencode = OutputParser::new(Some(BackendType::Opencode));
        opencode.observe(r#"{"type":"step_finish","part":{"cost":0.5,"tokens":{"input":1,"output":2}}}"#);
        assert_eq!(opencode.usage().total_cost_usd, Some(0.5));
    }

    #[test]
    fn plain_text_and_custom_backends_read_nothing() {
        let mut parser = OutputParser::new(None);
        assert!(!parser.observe(r#"{"type":"result","total_cost_usd":1}"#));
        let mut claude = OutputParser::new(Some(BackendType::Claude));
        assert!(!claude.observe("plain text {\"type\""));
        assert_eq!(claude.usage(), Usage::default());
    }
}
