//! The GitHub REST calls Agented makes, each retried with backoff: check runs,
//! the one comment a trigger keeps on a pull request or issue, and reviews.

use crate::token::{Credentials, InstallationToken, TokenCache};
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;

/// How often a call is tried, and the first pause (doubled after each failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries in all.
    pub attempts: u32,
    /// Pause after the first failure.
    pub first_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self { attempts: 4, first_delay: Duration::from_millis(500) }
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// GitHub's status, when it answered.
    pub status: Option<u16>,
    /// What went wrong.
    pub message: String,
    /// Whether trying again may help (no answer, 5xx, 429).
    pub retryable: bool,
}

impl ApiFailure {
    pub(crate) fn fatal(message: String) -> Self {
        Self { status: None, message, retryable: false }
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "GitHub answered {status}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The longest comment, review or summary GitHub takes, in characters.
const MAX_BODY_CHARS: usize = 65_000;

/// Cuts `text` to what GitHub takes, saying so.
#[must_use]
pub fn fit(text: &str) -> String {
    if text.chars().count() <= MAX_BODY_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_BODY_CHARS - 100).collect();
    format!("{cut}\n\n… (cut: the whole answer is in the execution's log)")
}

/// GitHub's REST API at `base_url`, as `credentials`.
#[derive(Debug)]
pub struct GithubApi {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
    tokens: TokenCache,
    retry: Retry,
}

impl GithubApi {
    /// A client for the API at `base_url` (`https://api.github.com`, or GitHub Enterprise's).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base_url: &str, credentials: Credentials, retry: Retry) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("agented/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            credentials,
            tokens: TokenCache::default(),
            retry,
        })
    }

    /// Creates a check run on `repository`; its id.
    ///
    /// # Errors
    /// The last failure, once the retries are spent; `notes` tells of each retry.
    pub async fn create_check_run(
        &self,
        repository: &str,
        body: &Value,
        notes: &mut Vec<String>,
    ) -> Result<u64, ApiFailure> {
        let path = format!("/repos/{repository}/check-runs");
        let answer = self
            .retried("create the check run", notes, || self.call(Method::POST, repository, &path, Some(body)))
            .await?;
        id_of(&answer)
    }

    /// Updates check run `id` on `repository`.
    ///
    /// # Errors
    /// The last failure, once the retries are spent.
    pub async fn update_check_run(
        &self,
        repository: &str,
        id: u64,
        body: &Value,
        notes: &mut Vec<String>,
    ) -> Result<(), ApiFailure> {
        let path = format!("/repos/{repository}/check-runs/{id}");
        self.retried("update the check run", notes, || self.call(Method::PATCH, repository, &path, Some(body)))
            .await
            .map(drop)
    }

    /// Edits the comment on issue or pull request `number` that holds `marker`, or adds one;
    /// the comment's address.
    ///
    /// # Errors
    /// The last failure, once the retries are spent.
    pub async fn upsert_comment(
        &self,
        repository: &str,
        number: u64,
        marker: &str,
        body: &str,
        notes: &mut Vec<String>,
    ) -> Result<String, ApiFailure> {
        let payload = json!({ "body": format!("{marker}\n{}", fit(body)) });
        let answer = self
            .retried("post the comment", notes, || async {
                match self.find_comment(repository, number, marker).await? {
                    Some(id) => {
                        let path = format!("/repos/{repository}/issues/comments/{id}");
                        self.call(Method::PATCH, repository, &path, Some(&payload)).await
                    }
                    None => {
                        let path = format!("/repos/{repository}/issues/{number}/comments");
                        self.call(Method::POST, repository, &path, Some(&payload)).await
                    }
                }
            })
            .await?;
        Ok(answer.get("html_url").and_then(Value::as_str).unwrap_or_default().to_owned())
    }

    /// Adds a review (`COMMENT`) to pull request `number`; its address.
    ///
    /// # Errors
    /// The last failure, once the retries are spent.
    pub async fn create_review(
        &self,
        repository: &str,
        number: u64,
        commit: Option<&str>,
        body: &str,
        notes: &mut Vec<String>,
    ) -> Result<String, ApiFailure> {
        let mut payload = json!({ "body": fit(body), "event": "COMMENT" });
        if let Some(commit) = commit {
            payload["commit_id"] = json!(commit);
        }
        let path = format!("/repos/{repository}/pulls/{number}/reviews");
        let answer = self
            .retried("post the review", notes, || self.call(Method::POST, repository, &path, Some(&payload)))
            .await?;
        Ok(answer.get("html_url").and_then(Value::as_str).unwrap_or_default().to_owned())
    }

    /// The id of the comment holding `marker`, in the first 1,000 comments.
    async fn find_comment(&self, repository: &str, number: u64, marker: &str) -> Result<Option<u64>, ApiFailure> {
        for page in 1..=10 {
            let path = format!("/repos/{repository}/issues/{number}/comments?per_page=100&page={page}");
            let answer = self.call(Method::GET, repository, &path, None).await?;
            let comments = answer.as_array().cloned().unwrap_or_default();
            let found =
                comments.iter().find(|c| c.get("body").and_then(Value::as_str).is_some_and(|b| b.starts_with(marker)));
            if let Some(comment) = found {
                return id_of(comment).map(Some);
            }
            if comments.len() < 100 {
                break;
            }
        }
        Ok(None)
    }

    /// `attempt` until it succeeds, fails for good, or the retries are spent.
    async fn retried<F, Fut>(&self, what: &str, notes: &mut Vec<String>, mut attempt: F) -> Result<Value, ApiFailure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Value, ApiFailure>>,
    {
        let mut delay = self.retry.first_delay;
        let mut tries = 1;
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) if e.retryable && tries < self.retry.attempts => {
                    notes.push(format!(
                        "GitHub: could not {what} ({e}); trying again in {} ms (attempt {tries} of {})",
                        delay.as_millis(),
                        self.retry.attempts
                    ));
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    tries += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One call, authenticated for `repository`.
    async fn call(
        &self,
        method: Method,
        repository: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiFailure> {
        let token = self.token(repository).await?;
        self.send(method, path, &token, body).await
    }

    async fn send(&self, method: Method, path: &str, bearer: &str, body: Option<&Value>) -> Result<Value, ApiFailure> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(bearer)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| ApiFailure {
            status: None,
            message: format!("no answer from GitHub: {e}"),
            retryable: true,
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        Err(ApiFailure {
            status: Some(status.as_u16()),
            message,
            retryable: status.is_server_error() || status.as_u16() == 429,
        })
    }

    /// The token for calls on `repository`: the configured one, or the App's installation token.
    async fn token(&self, repository: &str) -> Result<String, ApiFailure> {
        let app = match &self.credentials {
            Credentials::Token(token) => return Ok(token.clone()),
            Credentials::App(app) => app,
        };
        let now = Utc::now();
        if let Some(token) = self.tokens.get(repository, now) {
            return Ok(token);
        }
        let jwt = app.jwt(now)?;
        let installation = self.send(Method::GET, &format!("/repos/{repository}/installation"), &jwt, None).await?;
        let id = id_of(&installation)?;
        let minted = self.send(Method::POST, &format!("/app/installations/{id}/access_tokens"), &jwt, None).await?;
        let token: InstallationToken = serde_json::from_value(minted)
            .map_err(|e| ApiFailure::fatal(format!("GitHub's installation token answer was not understood: {e}")))?;
        self.tokens.put(repository, token.clone());
        Ok(token.token)
    }
}

fn id_of(value: &Value) -> Result<u64, ApiFailure> {
    value.get("id").and_then(Value::as_u64).ok_or_else(|| ApiFailure::fatal("GitHub's answer had no id".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_answers_are_cut_to_what_github_takes_and_say_so() {
        assert_eq!(fit("short"), "short");
        let long = fit(&"é".repeat(70_000));
        assert!(long.chars().count() <= MAX_BODY_CHARS && long.ends_with("execution's log)"));
    }
}
