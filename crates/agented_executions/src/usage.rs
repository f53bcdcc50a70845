//! Usage, cost and in-band failures read from each CLI's structured output.
//! Lines that are not JSON records are ignored, so plain-text CLIs cost nothing.

use crate::SessionId;
use crate::pricing::{CostSource, PriceTable};
use agented_kernel::BackendType;
use serde_json::Value;
use std::sync::Arc;

/// Tokens and dollars of one run, as far as the CLI reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Tokens sent to the model.
    pub input_tokens: Option<i64>,
    /// The part of `input_tokens` served from the prompt cache (priced lower).
    pub cached_input_tokens: Option<i64>,
    /// Tokens produced by the model.
    pub output_tokens: Option<i64>,
    /// Cost in US dollars.
    pub total_cost_usd: Option<f64>,
    /// Where the cost came from; `estimated` as soon as any part of it was.
    pub cost_source: Option<CostSource>,
}

impl Usage {
    /// Nothing reported.
    pub const NONE: Self = Self {
        input_tokens: None,
        cached_input_tokens: None,
        output_tokens: None,
        total_cost_usd: None,
        cost_source: None,
    };

    /// This usage and `other` together (a run's attempts added up); a figure
    /// neither reported stays unreported.
    #[must_use]
    pub fn plus(self, other: Self) -> Self {
        let mut sum = self;
        sum.add(other.input_tokens, other.output_tokens, other.total_cost_usd);
        sum.cached_input_tokens = add(sum.cached_input_tokens, other.cached_input_tokens);
        sum.cost_source = match (self.cost_source, other.cost_source) {
            (Some(CostSource::Estimated), _) | (_, Some(CostSource::Estimated)) => Some(CostSource::Estimated),
            (a, b) => a.or(b),
        };
        sum
    }

    fn add(&mut self, input: Option<i64>, output: Option<i64>, cost: Option<f64>) {
        self.input_tokens = add(self.input_tokens, input);
        self.output_tokens = add(self.output_tokens, output);
        if let Some(c) = cost {
            self.total_cost_usd = Some(self.total_cost_usd.unwrap_or(0.0) + c);
        }
    }
}

/// A sum in which a figure neither side reported stays unreported.
fn add(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

/// Reads one run's stdout, line by line.
#[derive(Debug, Clone)]
pub struct OutputParser {
    backend: Option<BackendType>,
    usage: Usage,
    failure: Option<String>,
    ended: bool,
    prices: Option<Arc<PriceTable>>,
    /// The model the run was given, until its output names the one it uses.
    model: Option<String>,
    /// The CLI's session id, once its output named it.
    session: Option<SessionId>,
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
        Self { backend, usage: Usage::NONE, failure: None, ended: false, prices: None, model: None, session: None }
    }

    /// Prices the tokens of a CLI that reports no dollars by `prices`, as
    /// `model` (the one given to the CLI, if any) unless the output names its own.
    #[must_use]
    pub fn priced(mut self, prices: Arc<PriceTable>, model: Option<String>) -> Self {
        self.prices = Some(prices);
        self.model = model;
        self
    }

    /// Usage so far, with its cost estimated from the price table when the CLI reported none.
    #[must_use]
    pub fn usage(&self) -> Usage {
        let mut usage = self.usage;
        if usage.total_cost_usd.is_some() {
            usage.cost_source = Some(CostSource::Reported);
        } else if let (Some(backend), Some(prices)) = (self.backend, &self.prices)
            && let Some(cost) = prices.price(backend, self.model.as_deref()).and_then(|p| p.cost(&usage))
        {
            usage.total_cost_usd = Some(cost);
            usage.cost_source = Some(CostSource::Estimated);
        }
        usage
    }

    /// Whether the CLI printed its final record (claude's and gemini's `result`, codex's `turn.completed`):
    /// usage read after it is the run's total, not live progress.
    #[must_use]
    pub const fn reported_end(&self) -> bool {
        self.ended
    }

    /// The CLI's session id, once its output named it (the first one it named).
    #[must_use]
    pub const fn session(&self) -> Option<&SessionId> {
        self.session.as_ref()
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
        if self.session.is_none() {
            self.session = session_of(backend, kind, &record);
        }
        match (backend, kind) {
            // The model the CLI actually uses (its default when none was given).
            (BackendType::Claude, "system") | (BackendType::Gemini, "init") => {
                if let Some(model) = record.get("model").and_then(Value::as_str).filter(|m| !m.is_empty()) {
                    self.model = Some(model.to_owned());
                }
            }
            (BackendType::Claude, "result") => {
                self.ended = true;
                let usage = record.get("usage").unwrap_or(&Value::Null);
                self.usage = Usage {
                    input_tokens: int(usage, "input_tokens").map(|i| {
                        i + int(usage, "cache_creation_input_tokens").unwrap_or(0)
                            + int(usage, "cache_read_input_tokens").unwrap_or(0)
                    }),
                    cached_input_tokens: int(usage, "cache_read_input_tokens"),
                    output_tokens: int(usage, "output_tokens"),
                    total_cost_usd: record.get("total_cost_usd").and_then(Value::as_f64),
                    cost_source: None,
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
                // `codex exec` runs one turn: its usage is the run's.
                self.ended = true;
                let usage = record.get("usage").unwrap_or(&Value::Null);
                self.usage.add(int(usage, "input_tokens"), int(usage, "output_tokens"), None);
                self.usage.cached_input_tokens = add(self.usage.cached_input_tokens, int(usage, "cached_input_tokens"));
            }
            (BackendType::Codex, "turn.failed" | "error") => {
                self.failure = text(record.get("error")).or_else(|| text(record.get("message")));
            }
            (BackendType::Gemini, "result") => {
                self.ended = true;
                let stats = record.get("stats").unwrap_or(&Value::Null);
                self.usage = Usage {
                    input_tokens: int(stats, "input_tokens"),
                    cached_input_tokens: int(stats, "cached"),
                    output_tokens: int(stats, "output_tokens"),
                    total_cost_usd: None,
                    cost_source: None,
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

/// The session id a record names: claude's `system/init` and gemini's `init`
/// `session_id`, codex's `thread.started` `thread_id`, opencode's `sessionID` on any record.
fn session_of(backend: BackendType, kind: &str, record: &Value) -> Option<SessionId> {
    let key = match (backend, kind) {
        (BackendType::Claude, "system") if record.get("subtype").and_then(Value::as_str) == Some("init") => {
            "session_id"
        }
        (BackendType::Gemini, "init") => "session_id",
        (BackendType::Codex, "thread.started") => "thread_id",
        (BackendType::Opencode, _) => "sessionID",
        _ => return None,
    };
    SessionId::try_from(record.get(key)?.as_str()?.to_owned()).ok()
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
            Usage {
                input_tokens: Some(15),
                cached_input_tokens: Some(5),
                output_tokens: Some(7),
                total_cost_usd: Some(0.25),
                cost_source: Some(CostSource::Reported),
            }
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

    fn prices() -> Arc<PriceTable> {
        Arc::new(PriceTable::new(
            [
                ("gpt-5.1-codex".to_owned(), crate::ModelPrice { input: 1.25, cached_input: 0.125, output: 10.0 }),
                ("gemini-2.5-flash".to_owned(), crate::ModelPrice { input: 0.3, cached_input: 0.03, output: 2.5 }),
                ("claude-sonnet".to_owned(), crate::ModelPrice { input: 100.0, cached_input: 100.0, output: 100.0 }),
            ],
            [(BackendType::Codex, "gpt-5.1-codex".to_owned())],
        ))
    }

    #[test]
    fn tokens_without_dollars_are_priced_and_marked_estimated() {
        let mut codex = OutputParser::new(Some(BackendType::Codex)).priced(prices(), None);
        codex.observe(r#"{"type":"turn.completed","usage":{"input_tokens":1000000,"cached_input_tokens":400000,"output_tokens":100000}}"#);
        let usage = codex.usage();
        assert_eq!((usage.total_cost_usd, usage.cost_source), (Some(1.8), Some(CostSource::Estimated)));
        assert!(codex.reported_end(), "codex exec's one turn is its end");

        // The model gemini's output names wins over the one it was given.
        let mut gemini = OutputParser::new(Some(BackendType::Gemini)).priced(prices(), Some("gemini-9".into()));
        gemini.observe(r#"{"type":"init","session_id":"s","model":"gemini-2.5-flash"}"#);
        gemini.observe(r#"{"type":"result","status":"success","stats":{"input_tokens":1000000,"output_tokens":0,"cached":1000000}}"#);
        assert_eq!(gemini.usage().cost_source, Some(CostSource::Estimated));
        assert!((gemini.usage().total_cost_usd.unwrap_or_default() - 0.03).abs() < 1e-12);

        // A reported cost is kept as it is, whatever the table says.
        let mut claude = OutputParser::new(Some(BackendType::Claude)).priced(prices(), Some("claude-sonnet".into()));
        claude.observe(r#"{"type":"result","total_cost_usd":0.25,"usage":{"input_tokens":10,"output_tokens":7}}"#);
        assert_eq!(
            (claude.usage().total_cost_usd, claude.usage().cost_source),
            (Some(0.25), Some(CostSource::Reported))
        );

        // Unknown model, or no tokens: no cost, as before.
        let mut unknown = OutputParser::new(Some(BackendType::Gemini)).priced(prices(), None);
        unknown.observe(r#"{"type":"result","status":"success","stats":{"input_tokens":5,"output_tokens":5}}"#);
        assert_eq!((unknown.usage().total_cost_usd, unknown.usage().cost_source), (None, None));
    }

    #[test]
    fn estimated_wins_when_attempts_are_added_up() {
        let reported = Usage { total_cost_usd: Some(1.0), cost_source: Some(CostSource::Reported), ..Usage::NONE };
        let estimated = Usage { total_cost_usd: Some(0.5), cost_source: Some(CostSource::Estimated), ..Usage::NONE };
        let sum = reported.plus(estimated);
        assert_eq!((sum.total_cost_usd, sum.cost_source), (Some(1.5), Some(CostSource::Estimated)));
        assert_eq!(reported.plus(Usage::NONE).cost_source, Some(CostSource::Reported));
        assert_eq!(Usage::NONE.plus(Usage::NONE), Usage::NONE);
    }

    #[test]
    fn each_cli_names_its_session_where_its_format_puts_it() {
        let cases = [
            (BackendType::Claude, r#"{"type":"system","subtype":"init","session_id":"c-1","model":"m"}"#, "c-1"),
            (BackendType::Codex, r#"{"type":"thread.started","thread_id":"0199-a"}"#, "0199-a"),
            (BackendType::Gemini, r#"{"type":"init","session_id":"g-2","model":"gemini-2.5-pro"}"#, "g-2"),
            (BackendType::Opencode, r#"{"type":"step_start","sessionID":"ses_9","part":{}}"#, "ses_9"),
        ];
        for (backend, line, id) in cases {
            let mut parser = OutputParser::new(Some(backend));
            parser.observe(line);
            parser.observe(r#"{"type":"system","subtype":"init","session_id":"later","sessionID":"later"}"#);
            assert_eq!(parser.session().map(SessionId::as_str), Some(id), "{backend:?}");
        }
        let mut hostile = OutputParser::new(Some(BackendType::Claude));
        hostile.observe(r#"{"type":"system","subtype":"init","session_id":"--dangerously-skip-permissions"}"#);
        assert_eq!(hostile.session(), None, "an id that could be an option is not taken");
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
