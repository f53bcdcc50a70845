//! The reporter that writes runs back to GitHub, from `[github]`: as the App
//! when one is configured, else with the token `github.token_env` names, else
//! none (runs are then reported only in Agented).

use crate::settings::Settings;
use crate::startup::StartupError;
use agented_executions::{NoReporter, RunReporter};
use agented_github::{AppCredentials, Credentials, GithubApi, GithubReporter, Retry};
use agented_triggers::TriggerRepository;
use std::sync::Arc;
use std::time::Duration;

/// What reports runs a GitHub event fired.
///
/// # Errors
/// `Files` when the App's key cannot be read or is not an RSA key.
pub fn reporter(
    settings: &Settings,
    triggers: Arc<dyn TriggerRepository>,
) -> Result<Arc<dyn RunReporter>, StartupError> {
    let github = &settings.github;
    let credentials = match (&github.app_id, &github.app_private_key_file) {
        (Some(app_id), Some(file)) => {
            let pem = std::fs::read(file)
                .map_err(|e| StartupError::Files(format!("github.app_private_key_file {}: {e}", file.display())))?;
            let app = AppCredentials::new(app_id, &pem)
                .map_err(|e| StartupError::Files(format!("github.app_private_key_file {}: {e}", file.display())))?;
            Credentials::App(app)
        }
        _ => {
            match settings.environment_variables.0.get(&github.token_env).map(|t| t.trim()).filter(|t| !t.is_empty()) {
                Some(token) => Credentials::Token(token.to_owned()),
                None => {
                    tracing::info!(
                        token_env = %github.token_env,
                        "GitHub write-back is off: no token in {} and no GitHub App configured",
                        github.token_env
                    );
                    return Ok(Arc::new(NoReporter));
                }
            }
        }
    };
    let retry = Retry { attempts: github.retry_attempts, first_delay: Duration::from_millis(github.retry_delay_ms) };
    let api = GithubApi::new(&github.api_url, credentials, retry).map_err(StartupError::Files)?;
    let public_url = github.public_url.clone().unwrap_or_else(|| format!("http://{}", settings.server.bind));
    Ok(Arc::new(GithubReporter::new(api, triggers, &public_url)))
}
