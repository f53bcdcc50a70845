//! `[github]`: the secret GitHub signs its deliveries with, and how Agented
//! writes back to GitHub (its API, and a token or a GitHub App).

use super::fields::{ConfigError, invalid, public_url, within};
use super::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGithub {
    webhook_secret: Option<String>,
    api_url: String,
    token_env: String,
    app_id: Option<String>,
    app_private_key_file: Option<PathBuf>,
    public_url: Option<String>,
    retry_attempts: u32,
    retry_delay_ms: u64,
    bot_handle: String,
}

/// `[github]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GithubSettings {
    /// Secret for webhook signatures (`GITHUB_WEBHOOK_SECRET`); deliveries are refused without it.
    pub webhook_secret: Option<Secret>,
    /// GitHub's REST API (GitHub Enterprise: `https://HOST/api/v3`).
    pub api_url: String,
    /// The environment variable holding the token Agented posts with (unless an App is set).
    pub token_env: String,
    /// A GitHub App's id; with `app_private_key_file`, Agented posts as the App.
    pub app_id: Option<String>,
    /// The App's private key (PEM).
    pub app_private_key_file: Option<PathBuf>,
    /// Where people open Agented, for the links GitHub shows (default: the bind address).
    pub public_url: Option<String>,
    /// Tries of each call to GitHub (a 5xx, a 429 or no answer is tried again).
    pub retry_attempts: u32,
    /// The pause after the first failed try, doubled after each further one.
    pub retry_delay_ms: u64,
    /// A new comment mentioning `@bot_handle` continues the latest run on its pull request or issue.
    pub bot_handle: String,
}

impl TryFrom<RawGithub> for GithubSettings {
    type Error = ConfigError;

    fn try_from(raw: RawGithub) -> Result<Self, ConfigError> {
        let url_ok = |u: &str| u.starts_with("https://") || u.starts_with("http://");
        let api_url = raw.api_url.trim().trim_end_matches('/').to_owned();
        if !url_ok(&api_url) {
            return Err(invalid("github.api_url", format!("'{api_url}' is not an http(s) URL")));
        }
        let token_env = raw.token_env.trim().to_owned();
        if !agented_orchestration::accounts::is_env_name(&token_env) {
            return Err(invalid("github.token_env", format!("'{token_env}' is not an environment variable name")));
        }
        let app_id = raw.app_id.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
        let key = raw.app_private_key_file.filter(|p| !p.as_os_str().is_empty());
        if app_id.is_some() != key.is_some() {
            return Err(invalid("github.app_id", "a GitHub App needs both app_id and app_private_key_file"));
        }
        if app_id.as_deref().is_some_and(|a| !a.bytes().all(|b| b.is_ascii_digit())) {
            return Err(invalid("github.app_id", "must be the App's numeric id"));
        }
        let public_url = public_url("github.public_url", raw.public_url)?;
        let retry_attempts = within("github.retry_attempts", raw.retry_attempts, 1..=10, "")?;
        let retry_delay_ms = within("github.retry_delay_ms", raw.retry_delay_ms, 10..=60_000, "")?;
        let bot_handle = raw.bot_handle.trim().trim_start_matches('@').to_owned();
        if bot_handle.is_empty()
            || bot_handle.len() > 39
            || !bot_handle.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(invalid("github.bot_handle", format!("'{bot_handle}' is not a GitHub login")));
        }
        Ok(Self {
            bot_handle,
            retry_attempts,
            retry_delay_ms,
            webhook_secret: Secret::non_empty(raw.webhook_secret),
            api_url,
            token_env,
            app_id,
            app_private_key_file: key,
            public_url,
        })
    }
}
