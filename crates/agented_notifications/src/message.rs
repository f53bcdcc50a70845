//! What a notifier sends: a webhook's JSON (`type`, `timestamp`, `data`, as the
//! Standard Webhooks payload convention has it) signed per attempt, or a Slack
//! message a person reads, with a link to the dashboard.

use crate::delivery::Delivery;
use crate::model::{Notifier, NotifierKind};
use crate::ports::Post;
use agented_kernel::{Notice, NoticeEvent, NoticeValue, TriggerId};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The event name of a test delivery.
pub const TEST_EVENT: &str = "test";

/// Everything a message says, whatever its form.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline<'a> {
    /// The event's name (`type`).
    pub event: &'a str,
    /// A heading: `Run failed`.
    pub title: &'a str,
    /// One sentence.
    pub summary: &'a str,
    /// The trigger it concerns, with its name when it still exists.
    pub trigger: Option<(&'a TriggerId, Option<&'a str>)>,
    /// The facts.
    pub data: &'a BTreeMap<&'static str, NoticeValue>,
    /// The page that shows it, absolute.
    pub url: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl<'a> Outline<'a> {
    /// The outline of `notice`, linking under `public_url`.
    #[must_use]
    pub fn of(notice: &'a Notice, trigger_name: Option<&'a str>, public_url: &str) -> Self {
        Self {
            event: notice.event.as_str(),
            title: title(notice.event),
            summary: &notice.summary,
            trigger: notice.trigger_id.as_ref().map(|t| (t, trigger_name)),
            data: &notice.data,
            url: notice.link.as_ref().map(|path| format!("{}{path}", public_url.trim_end_matches('/'))),
            at: notice.at,
        }
    }

    /// The body a `kind` notifier sends.
    #[must_use]
    pub fn body(&self, kind: NotifierKind) -> String {
        match kind {
            NotifierKind::Webhook => self.webhook_json(),
            NotifierKind::Slack => self.slack_json(),
        }
        .to_string()
    }

    fn webhook_json(&self) -> Value {
        let mut data: Map<String, Value> =
            self.data.iter().map(|(k, v)| ((*k).to_owned(), serde_json::to_value(v).unwrap_or(Value::Null))).collect();
        data.insert("summary".into(), Value::from(self.summary));
        if let Some((id, name)) = self.trigger {
            data.insert("trigger_id".into(), Value::from(id.as_str()));
            data.insert("trigger_name".into(), name.map_or(Value::Null, Value::from));
        }
        data.insert("url".into(), self.url.clone().map_or(Value::Null, Value::from));
        json!({ "type": self.event, "timestamp": self.at.to_rfc3339(), "data": data })
    }

    fn slack_json(&self) -> Value {
        let mut text = format!("*{}*", slack_escape(self.title));
        if let Some((id, name)) = self.trigger {
            let name = name.map_or_else(|| id.to_string(), |n| format!("{n} ({id})"));
            text.push_str(&format!(" · {}", slack_escape(&name)));
        }
        text.push('\n');
        text.push_str(&slack_escape(self.summary));
        if let Some(url) = &self.url {
            text.push_str(&format!("\n<{}|Open in Agented>", slack_escape(url)));
        }
        json!({ "text": text, "unfurl_links": false, "unfurl_media": false })
    }
}

/// The heading of `event`.
#[must_use]
pub const fn title(event: NoticeEvent) -> &'static str {
    match event {
        NoticeEvent::RunFinished => "Run finished",
        NoticeEvent::RunFailed => "Run failed",
        NoticeEvent::BudgetWarning => "Budget warning",
        NoticeEvent::ApprovalNeeded => "Approval needed",
        NoticeEvent::WorkerLost => "Worker lost",
    }
}

/// Slack's three control characters, escaped as its message format asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The post of one attempt of `delivery` by `notifier`, sent `now`: a webhook's is
/// signed over `{webhook-id}.{webhook-timestamp}.{body}` with the notifier's secret.
#[must_use]
pub fn post(notifier: &Notifier, delivery: &Delivery, now: DateTime<Utc>) -> Post {
    let mut headers = vec![("content-type", "application/json".to_owned())];
    if let (NotifierKind::Webhook, Some(secret)) = (notifier.kind, &notifier.secret) {
        let timestamp = now.timestamp();
        let signature =
            agented_auth::standard_webhooks::sign(secret, &delivery.message_id, timestamp, delivery.body.as_bytes());
        headers.push(("webhook-id", delivery.message_id.clone()));
        headers.push(("webhook-timestamp", timestamp.to_string()));
        headers.push(("webhook-signature", signature));
    }
    Post { url: notifier.url.clone(), headers, body: delivery.body.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        let mut n = Notice::new(
            NoticeEvent::RunFailed,
            "run.failed:exec-1".into(),
            "Run exec-1 ended failed after 3 s: <boom> & more".into(),
            DateTime::<Utc>::UNIX_EPOCH,
        )
        .text("status", "failed")
        .fact("cost_usd", Some(NoticeValue::Number(0.5)));
        n.trigger_id = Some(TriggerId::try_from("trig-a".to_owned()).expect("id"));
        n.link = Some("/executions/exec-1".into());
        n
    }

    #[test]
    fn a_webhook_body_has_type_timestamp_and_the_facts_with_trigger_and_link() {
        let n = notice();
        let body: Value = serde_json::from_str(
            &Outline::of(&n, Some("Nightly"), "https://agented.example/").body(NotifierKind::Webhook),
        )
        .expect("json");
        assert_eq!(body["type"], "run.failed");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00+00:00");
        assert_eq!(body["data"]["status"], "failed");
        assert_eq!(body["data"]["cost_usd"], 0.5);
        assert_eq!(body["data"]["trigger_name"], "Nightly");
        assert_eq!(body["data"]["url"], "https://agented.example/executions/exec-1");
    }

    #[test]
    fn a_slack_message_reads_as_a_sentence_with_a_link_and_escapes_what_slack_would_parse() {
        let n = notice();
        let body: Value = serde_json::from_str(
            &Outline::of(&n, Some("Nightly"), "https://agented.example").body(NotifierKind::Slack),
        )
        .expect("json");
        assert_eq!(
            body["text"],
            "*Run failed* · Nightly (trig-a)\nRun exec-1 ended failed after 3 s: &lt;boom&gt; &amp; more\n\
             <https://agented.example/executions/exec-1|Open in Agented>"
        );
        let gone = Outline::of(&n, None, "https://x").body(NotifierKind::Slack);
        assert!(gone.contains("*Run failed* · trig-a\\n"), "{gone}");
    }
}
