//! The text a bot said in a run, read back from its stored stdout: what
//! Agented parses when it asked the bot something itself (planning, research).

use crate::model::{LogLine, LogStream};
use agented_kernel::BackendType;
use serde_json::Value;

/// The assistant's words in `lines`, in order, one message per paragraph.
/// Built-in CLIs: the text parts of their stream-JSON messages (claude's final
/// `result` when it sent no message). Custom commands (`None`): all of stdout.
#[must_use]
pub fn reply_text(backend: Option<BackendType>, lines: &[LogLine]) -> String {
    let stdout = lines.iter().filter(|l| l.stream == LogStream::Stdout).map(|l| l.content.as_str());
    let Some(backend) = backend else {
        return stdout.collect::<Vec<_>>().join("\n");
    };
    let mut parts: Vec<String> = Vec::new();
    let mut result: Option<String> = None;
    let mut gemini_delta = false;
    for line in stdout {
        let Ok(record) = serde_json::from_str::<Value>(line.trim()) else { continue };
        let kind = record.get("type").and_then(Value::as_str).unwrap_or_default();
        match (backend, kind) {
            (BackendType::Claude, "assistant") => {
                let content = record.pointer("/message/content").and_then(Value::as_array);
                for part in content.into_iter().flatten() {
                    if part.get("type").and_then(Value::as_str) == Some("text")
                        && let Some(t) = part.get("text").and_then(Value::as_str)
                    {
                        parts.push(t.to_owned());
                    }
                }
            }
            (BackendType::Claude, "result") => result = record.get("result").and_then(Value::as_str).map(str::to_owned),
            (BackendType::Codex, "item.completed") => {
                if record.pointer("/item/type").and_then(Value::as_str) == Some("agent_message")
                    && let Some(t) = record.pointer("/item/text").and_then(Value::as_str)
                {
                    parts.push(t.to_owned());
                }
            }
            (BackendType::Gemini, "message") if record.get("role").and_then(Value::as_str) == Some("assistant") => {
                if let Some(t) = record.get("content").and_then(Value::as_str) {
                    // Streamed chunks of one message carry `delta`; they join without a break.
                    let delta = record.get("delta").and_then(Value::as_bool).unwrap_or(false);
                    match parts.last_mut() {
                        Some(last) if delta && gemini_delta => last.push_str(t),
                        _ => parts.push(t.to_owned()),
                    }
                    gemini_delta = delta;
                }
            }
            (BackendType::Opencode, "text") => {
                if let Some(t) = record.pointer("/part/text").and_then(Value::as_str) {
                    parts.push(t.to_owned());
                }
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return result.unwrap_or_default();
    }
    parts.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<LogLine> {
        texts
            .iter()
            .zip(1..)
            .map(|(t, seq)| LogLine {
                seq,
                timestamp: chrono::Utc::now(),
                stream: LogStream::Stdout,
                content: (*t).to_owned(),
            })
            .collect()
    }

    #[test]
    fn claude_messages_are_joined_and_other_records_skipped() {
        let out = lines(&[
            r#"{"type":"system","subtype":"init"}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"one"},{"type":"tool_use","name":"Read"}]}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"two"}]}}"#,
            r#"{"type":"result","result":"done"}"#,
        ]);
        assert_eq!(reply_text(Some(BackendType::Claude), &out), "one\ntwo");
    }

    #[test]
    fn claude_falls_back_to_the_result_record() {
        let out = lines(&[r#"{"type":"result","result":"{\"questions\":[]}"}"#]);
        assert_eq!(reply_text(Some(BackendType::Claude), &out), r#"{"questions":[]}"#);
    }

    #[test]
    fn each_cli_format_is_read() {
        let codex = lines(&[r#"{"type":"item.completed","item":{"type":"agent_message","text":"c"}}"#]);
        assert_eq!(reply_text(Some(BackendType::Codex), &codex), "c");
        let gemini = lines(&[
            r#"{"type":"message","role":"user","content":"ignored"}"#,
            r#"{"type":"message","role":"assistant","content":"ab","delta":true}"#,
            r#"{"type":"message","role":"assistant","content":"cd","delta":true}"#,
        ]);
        assert_eq!(reply_text(Some(BackendType::Gemini), &gemini), "abcd");
        let opencode = lines(&[r#"{"type":"text","part":{"text":"o"}}"#, "not json"]);
        assert_eq!(reply_text(Some(BackendType::Opencode), &opencode), "o");
    }

    #[test]
    fn custom_commands_reply_with_all_of_stdout() {
        let mut out = lines(&["a", "b"]);
        out.push(LogLine { seq: 3, timestamp: chrono::Utc::now(), stream: LogStream::Stderr, content: "noise".into() });
        assert_eq!(reply_text(None, &out), "a\nb");
    }
}
