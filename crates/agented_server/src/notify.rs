//! Notifications wired from `[notifications]`: the HTTP transport their posts leave
//! by, and the service every process tells its notices to.

use crate::settings::Settings;
use agented_kernel::Clock;
use agented_notifications::{NotifierService, NotifyOptions, Post, Transport};
use agented_triggers::TriggerRepository;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// Posts over HTTP(S). Redirects are not followed: a notifier's URL is where it posts.
struct HttpTransport(reqwest::Client);

#[async_trait]
impl Transport for HttpTransport {
    async fn send(&self, post: &Post) -> Result<u16, String> {
        let mut request = self.0.post(&post.url).body(post.body.clone());
        for (name, value) in &post.headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(answer) => Ok(answer.status().as_u16()),
            Err(e) if e.is_timeout() => Err("no answer in time".into()),
            Err(e) if e.is_connect() => Err(format!("could not connect: {}", root_cause(&e))),
            Err(e) => Err(root_cause(&e)),
        }
    }
}

/// The innermost error's words (reqwest's own message names only the URL).
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The notifier service over `store`.
///
/// # Errors
/// The HTTP client cannot be built (no TLS roots).
pub fn service(
    settings: &Settings,
    store: Arc<dyn agented_notifications::NotifierRepository>,
    triggers: Arc<dyn TriggerRepository>,
    clock: Arc<dyn Clock>,
) -> Result<NotifierService, String> {
    let n = &settings.notifications;
    let http = reqwest::Client::builder()
        .user_agent(concat!("agented/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(n.timeout_seconds))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("notifications: {e}"))?;
    let public_url = n
        .public_url
        .clone()
        .or_else(|| settings.github.public_url.clone())
        .unwrap_or_else(|| format!("http://{}", settings.server.bind));
    let options = NotifyOptions {
        public_url,
        attempts: n.retry_attempts,
        first_delay: Duration::from_millis(n.retry_delay_ms),
        keep_deliveries: n.keep_deliveries,
    };
    Ok(NotifierService::new(store, triggers, Arc::new(HttpTransport(http)), clock, options))
}
