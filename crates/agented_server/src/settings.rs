//! Configuration in layers: the built-in defaults (`config/default.toml`,
//! compiled in) → `<config_dir>/default.toml` → `<config_dir>/{AGENTED_ENV}.toml`
//! → `.env` → the process environment. Environment keys are
//! `AGENTED__SECTION__KEY`; the original Python names map onto the same keys.
//! Invalid values stop start-up with one line naming the key.

use crate::workspace;
use agented_http::rate_limit::{RateLimitOptions, RateSpec};
use agented_http::stream_slots::StreamCaps;
use agented_http::telemetry::{LogFormat, parse_filter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

const BUILT_IN_DEFAULTS: &str = include_str!("../../../config/default.toml");

/// The original variable names and the keys they set. Within one layer the
/// `AGENTED__…` spelling wins when both are given.
pub const LEGACY_NAMES: [(&str, &str); 11] = [
    ("AGENTED_DB_PATH", "AGENTED__DATABASE__PATH"),
    ("SECRET_KEY", "AGENTED__SECRET_KEY"),
    ("AGENTED_API_KEY", "AGENTED__AUTH__API_KEY"),
    ("CORS_ALLOWED_ORIGINS", "AGENTED__CORS__ALLOWED_ORIGINS"),
    ("GITHUB_WEBHOOK_SECRET", "AGENTED__GITHUB__WEBHOOK_SECRET"),
    ("LOG_LEVEL", "AGENTED__LOG__LEVEL"),
    ("LOG_FORMAT", "AGENTED__LOG__FORMAT"),
    ("SENTRY_DSN", "AGENTED__SENTRY__DSN"),
    ("SENTRY_ENVIRONMENT", "AGENTED__SENTRY__ENVIRONMENT"),
    ("SENTRY_RELEASE", "AGENTED__SENTRY__RELEASE"),
    ("SENTRY_TRACES_SAMPLE_RATE", "AGENTED__SENTRY__TRACES_SAMPLE_RATE"),
];

/// Where configuration comes from. [`Sources::from_process`] in the binary;
/// tests build one by hand so they never touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Folder with `default.toml` and `{AGENTED_ENV}.toml` (both optional).
    pub config_dir: PathBuf,
    /// The `.env` file, if any (a missing file is fine).
    pub dotenv: Option<PathBuf>,
    /// The environment variables.
    pub env: HashMap<String, String>,
}

impl Sources {
    /// The running process: `AGENTED_CONFIG_DIR` (default `config`), `.env` in
    /// the working directory, and the real environment.
    #[must_use]
    pub fn from_process() -> Self {
        let env: HashMap<String, String> = std::env::vars().collect();
        let config_dir = env.get("AGENTED_CONFIG_DIR").map_or_else(|| PathBuf::from("config"), PathBuf::from);
        Self { config_dir, dotenv: Some(PathBuf::from(".env")), env }
    }
}

/// Configuration that cannot be used. The message is one line naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key holds a value of the wrong shape.
    #[error("invalid configuration: {key} ({env}): {problem}")]
    Invalid {
        /// Dotted key, e.g. `server.bind`.
        key: &'static str,
        /// Its environment spelling, e.g. `AGENTED__SERVER__BIND`.
        env: String,
        /// What is wrong.
        problem: String,
    },
    /// A file or value could not be read at all (bad TOML, wrong type, unknown key).
    #[error("invalid configuration: {0}")]
    Unreadable(String),
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        env: format!("AGENTED__{}", key.replace('.', "__").to_uppercase()),
        problem: problem.into(),
    }
}

/// A list given either as a TOML array or as comma-separated text (environment).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum StringList {
    List(Vec<String>),
    Text(String),
}

impl StringList {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::List(items) => items,
            Self::Text(text) => text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    data_dir: PathBuf,
    secret_key: Option<String>,
    server: RawServer,
    database: RawDatabase,
    auth: RawAuth,
    cors: RawCors,
    github: RawGithub,
    log: RawLog,
    sentry: RawSentry,
    rate_limits: RawRateLimits,
    web: RawWeb,
    runner: RawRunner,
    prompts: RawPrompts,
    webhooks: RawWebhooks,
    orchestration: RawOrchestration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrchestration {
    timezone: String,
    default_retry_after_seconds: u64,
    max_rate_limit_attempts: u32,
    backoff_base_seconds: u64,
    backoff_cap_seconds: u64,
    rate_limit_patterns: std::collections::BTreeMap<String, StringList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrompts {
    max_untrusted_chars: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhooks {
    dedup_window_seconds: u64,
    keep_deliveries: usize,
    github_replay_window_seconds: u64,
    timestamp_tolerance_seconds: u64,
    require_signed_timestamp: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRunner {
    extra_path: StringList,
    workspace_dir: Option<PathBuf>,
    env_passthrough: StringList,
    max_parallel_runs: usize,
    shutdown_grace_seconds: u64,
    max_log_lines: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimits {
    enabled: bool,
    webhook: String,
    api: String,
    auth_failures: String,
    trusted_proxies: StringList,
    max_streams_per_key: usize,
    max_streams_per_client: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: String,
    shutdown_timeout_seconds: u64,
    workers: usize,
    body_read_timeout_seconds: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    path: Option<PathBuf>,
    pool_size: u32,
    busy_timeout_ms: u64,
    connection_timeout_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    api_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCors {
    allowed_origins: StringList,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGithub {
    webhook_secret: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: String,
    format: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSentry {
    dsn: Option<String>,
    environment: Option<String>,
    release: Option<String>,
    traces_sample_rate: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    dist_dir: PathBuf,
}

/// How bots are run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerSettings {
    /// Folders searched for CLIs before the server's own `PATH`.
    pub extra_path: Vec<PathBuf>,
    /// Working directory of runs without a local project path; per-run clones go under
    /// `runs/` in it. Never inside `data_dir`.
    pub workspace_dir: PathBuf,
    /// Whether `workspace_dir` is the default one, private to this user under the temp folder.
    pub default_workspace: bool,
    /// Variables of the server's environment passed on to runs, besides the allowlist.
    pub env_passthrough: Vec<String>,
    /// Runs executing at once, over all triggers.
    pub max_parallel_runs: usize,
    /// On shutdown, how long running CLIs get after SIGTERM before they are marked interrupted.
    pub shutdown_grace: Duration,
    /// Lines stored per run; later lines are counted, not stored.
    pub max_log_lines: i64,
}

/// Webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSettings {
    /// A delivery repeating one that started runs within this long starts nothing.
    pub dedup_window: Duration,
    /// Deliveries kept per trigger (and unmatched ones) for the inspector.
    pub keep_deliveries: usize,
    /// A signed GitHub body seen within this long starts nothing, whatever its delivery id.
    pub github_replay_window: Duration,
    /// How far a Standard Webhooks `webhook-timestamp` may be from now.
    pub timestamp_tolerance: Duration,
    /// Whether generic deliveries to triggers with a secret must carry a signed timestamp.
    pub require_signed_timestamp: bool,
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSettings {
    /// Listen address.
    pub bind: SocketAddr,
    /// Grace period for in-flight requests on shutdown.
    pub shutdown_timeout: Duration,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// How long a request body may take to arrive.
    pub body_read_timeout: Duration,
}

/// Database settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// The SQLite file.
    pub path: PathBuf,
    /// Pool size.
    pub pool_size: u32,
    /// SQLite busy timeout.
    pub busy_timeout: Duration,
    /// Wait for a free pooled connection.
    pub connection_timeout: Duration,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// Tracing filter.
    pub level: String,
    /// Output format.
    pub format: LogFormat,
}

/// Sentry settings (the client is wired by the security issue; values are validated now).
#[derive(Debug, Clone, PartialEq)]
pub struct SentrySettings {
    /// DSN; `None` disables reporting.
    pub dsn: Option<String>,
    /// Environment tag.
    pub environment: Option<String>,
    /// Release tag.
    pub release: Option<String>,
    /// Share of requests traced, 0.0–1.0.
    pub traces_sample_rate: f64,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `AGENTED_ENV` (default `development`).
    pub environment: String,
    /// Data folder.
    pub data_dir: PathBuf,
    /// Operator-given secret key, if any.
    pub secret_key: Option<String>,
    /// HTTP server.
    pub server: ServerSettings,
    /// SQLite.
    pub database: DatabaseSettings,
    /// Extra admin API key (`AGENTED_API_KEY`).
    pub api_key: Option<String>,
    /// Allowed CORS origins.
    pub cors_allowed_origins: Vec<String>,
    /// GitHub webhook secret.
    pub github_webhook_secret: Option<String>,
    /// Logging.
    pub log: LogSettings,
    /// Sentry.
    pub sentry: SentrySettings,
    /// Rate limits.
    pub rate_limits: RateLimitOptions,
    /// Built dashboard folder.
    pub web_dist: PathBuf,
    /// How bots are run.
    pub runner: RunnerSettings,
    /// Untrusted values in prompts are cut to this many characters.
    pub max_untrusted_chars: usize,
    /// Webhook deliveries.
    pub webhooks: WebhookSettings,
    /// Accounts, rate-limit rotation and budgets.
    pub orchestration: OrchestrationSettings,
    /// The environment (real and `.env`) account API key variables are read from.
    pub environment_variables: EnvironmentVariables,
}

/// Rotation and budget settings.
#[derive(Debug, Clone, PartialEq)]
pub struct OrchestrationSettings {
    /// Time zone of budgets that name none, and of the usage page.
    pub timezone: chrono_tz::Tz,
    /// Rate-limit patterns: `default`, and per backend id (`backend-…`).
    pub rate_limit_patterns: std::collections::BTreeMap<String, Vec<String>>,
    /// How long a limit lasts when the output does not say.
    pub default_retry_after: Duration,
    /// Rate-limited passes before a run fails.
    pub max_rate_limit_attempts: u32,
    /// The first wait between passes; it doubles.
    pub backoff_base: Duration,
    /// The longest wait between passes.
    pub backoff_cap: Duration,
}

/// The server's environment variables (values never printed).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvironmentVariables(pub std::sync::Arc<HashMap<String, String>>);

impl std::fmt::Debug for EnvironmentVariables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvironmentVariables({} variables)", self.0.len())
    }
}

/// Maps one layer's variables onto `AGENTED__` keys, translating the original
/// names; the `AGENTED__` spelling wins over a legacy name in the same layer.
fn agented_keys(vars: &HashMap<String, String>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> =
        vars.iter().filter(|(k, _)| k.starts_with("AGENTED__")).map(|(k, v)| (k.clone(), v.clone())).collect();
    for (legacy, key) in LEGACY_NAMES {
        if let Some(value) = vars.get(legacy) {
            out.entry(key.to_owned()).or_insert_with(|| value.clone());
        }
    }
    out
}

fn read_dotenv(path: Option<&Path>) -> Result<HashMap<String, String>, ConfigError> {
    let Some(path) = path.filter(|p| p.exists()) else { return Ok(HashMap::new()) };
    let iter =
        dotenvy::from_path_iter(path).map_err(|e| ConfigError::Unreadable(format!("{}: {e}", path.display())))?;
    iter.map(|item| item.map_err(|e| ConfigError::Unreadable(format!("{}: {e}", path.display())))).collect()
}

/// Empty text means "not set" (an empty `SENTRY_DSN=` line in `.env`).
fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `value` when it lies in `range`, else the error naming `key` (`note` follows the range).
fn within<T: PartialOrd + std::fmt::Display>(
    key: &'static str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    note: &str,
) -> Result<T, ConfigError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(invalid(key, format!("{value} is outside {}–{}{note}", range.start(), range.end())))
    }
}

fn validate_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Err("'*' is not allowed: list each origin (e.g. https://agented.example.com)".into());
    }
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("'{origin}' is not an origin: expected http(s)://host[:port]"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
        return Err(format!("'{origin}' is not an origin: expected http(s)://host[:port] with no path"));
    }
    Ok(())
}

impl Settings {
    /// Reads and validates every layer.
    ///
    /// # Errors
    /// [`ConfigError`] with one line naming the offending key or file.
    pub fn load(sources: &Sources) -> Result<Self, ConfigError> {
        let dotenv = read_dotenv(sources.dotenv.as_deref())?;
        let mut vars = agented_keys(&dotenv);
        vars.extend(agented_keys(&sources.env));
        let environment = sources
            .env
            .get("AGENTED_ENV")
            .or_else(|| dotenv.get("AGENTED_ENV"))
            .map_or_else(|| "development".to_owned(), |e| e.trim().to_owned());
        if environment.is_empty() || !environment.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ConfigError::Invalid {
                key: "environment",
                env: "AGENTED_ENV".into(),
                problem: format!("'{environment}' must be a name such as development, production or test"),
            });
        }

        let raw: Raw = config::Config::builder()
            .add_source(config::File::from_str(BUILT_IN_DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::from(sources.config_dir.join("default.toml")).required(false))
            .add_source(config::File::from(sources.config_dir.join(format!("{environment}.toml"))).required(false))
            .add_source(
                config::Environment::with_prefix("AGENTED").separator("__").source(Some(vars.into_iter().collect())),
            )
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| ConfigError::Unreadable(e.to_string().replace('\n', " ")))?;
        let mut settings = Self::validate(environment, raw)?;
        let mut all = dotenv;
        all.extend(sources.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        settings.environment_variables = EnvironmentVariables(std::sync::Arc::new(all));
        Ok(settings)
    }

    fn validate(environment: String, raw: Raw) -> Result<Self, ConfigError> {
        let bind: SocketAddr = raw.server.bind.trim().parse().map_err(|_| {
            invalid("server.bind", format!("'{}' is not a socket address such as 127.0.0.1:20000", raw.server.bind))
        })?;
        if raw.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        within("database.pool_size", raw.database.pool_size, 1..=64, "")?;
        within("server.body_read_timeout_seconds", raw.server.body_read_timeout_seconds, 1..=3600, "")?;
        if raw.server.shutdown_timeout_seconds > 300 {
            return Err(invalid(
                "server.shutdown_timeout_seconds",
                format!("{} is above 300", raw.server.shutdown_timeout_seconds),
            ));
        }
        let format = match raw.log.format.trim().to_ascii_lowercase().as_str() {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            other => return Err(invalid("log.format", format!("'{other}' must be json or text"))),
        };
        parse_filter(&raw.log.level).map_err(|_| {
            invalid("log.level", format!("'{}' is not a log filter such as info or debug", raw.log.level))
        })?;
        let rate = raw.sentry.traces_sample_rate;
        if !(0.0..=1.0).contains(&rate) {
            return Err(invalid("sentry.traces_sample_rate", format!("{rate} is outside 0.0–1.0")));
        }
        let origins = raw.cors.allowed_origins.into_vec();
        for origin in &origins {
            validate_origin(origin).map_err(|problem| invalid("cors.allowed_origins", problem))?;
        }
        let parse_rate = |key: &'static str, text: &str| text.parse::<RateSpec>().map_err(|e| invalid(key, e));
        let rate_limits = RateLimitOptions {
            enabled: raw.rate_limits.enabled,
            webhook: parse_rate("rate_limits.webhook", &raw.rate_limits.webhook)?,
            api: parse_rate("rate_limits.api", &raw.rate_limits.api)?,
            auth_failures: parse_rate("rate_limits.auth_failures", &raw.rate_limits.auth_failures)?,
            trusted_proxies: raw
                .rate_limits
                .trusted_proxies
                .into_vec()
                .iter()
                .map(|ip| {
                    ip.parse()
                        .map_err(|_| invalid("rate_limits.trusted_proxies", format!("'{ip}' is not an IP address")))
                })
                .collect::<Result<_, _>>()?,
            streams: StreamCaps {
                per_credential: within(
                    "rate_limits.max_streams_per_key",
                    raw.rate_limits.max_streams_per_key,
                    1..=1_000_000,
                    "",
                )?,
                per_client: within(
                    "rate_limits.max_streams_per_client",
                    raw.rate_limits.max_streams_per_client,
                    1..=1_000_000,
                    "",
                )?,
            },
        };
        let api_key = non_empty(raw.auth.api_key);
        if let Some(key) = &api_key {
            agented_auth::check_configured_key(key).map_err(|e| invalid("auth.api_key", e.to_string()))?;
        }
        let secret_key = non_empty(raw.secret_key);
        if let Some(key) = &secret_key {
            agented_auth::SecretKey::parse(key).map_err(|e| invalid("secret_key", e.to_string()))?;
        }
        within("runner.max_parallel_runs", raw.runner.max_parallel_runs, 1..=256, "")?;
        if raw.runner.shutdown_grace_seconds > 300 {
            return Err(invalid(
                "runner.shutdown_grace_seconds",
                format!("{} is above 300", raw.runner.shutdown_grace_seconds),
            ));
        }
        if raw.runner.max_log_lines < 1 {
            return Err(invalid("runner.max_log_lines", "must be at least 1"));
        }
        within("prompts.max_untrusted_chars", raw.prompts.max_untrusted_chars, 100..=1_000_000, "")?;
        within("webhooks.dedup_window_seconds", raw.webhooks.dedup_window_seconds, 1..=604_800, " (one week)")?;
        within(
            "webhooks.github_replay_window_seconds",
            raw.webhooks.github_replay_window_seconds,
            60..=2_592_000,
            " (30 days)",
        )?;
        within("webhooks.timestamp_tolerance_seconds", raw.webhooks.timestamp_tolerance_seconds, 10..=86_400, "")?;
        within("webhooks.keep_deliveries", raw.webhooks.keep_deliveries, 1..=1000, "")?;
        let orchestration = orchestration(raw.orchestration)?;
        let env_passthrough = raw.runner.env_passthrough.into_vec();
        if let Some(problem) = env_passthrough.iter().find_map(|name| {
            if agented_orchestration::accounts::is_env_name(name) {
                agented_executions::run_env::refusal(name)
            } else {
                Some(format!("'{name}' is not an environment variable name"))
            }
        }) {
            return Err(invalid("runner.env_passthrough", problem));
        }
        let configured_workspace = raw.runner.workspace_dir.filter(|p| !p.as_os_str().is_empty());
        let default_workspace = configured_workspace.is_none();
        let workspace_dir = configured_workspace.unwrap_or_else(|| workspace::default_dir(&raw.data_dir));
        workspace::check_apart(&workspace_dir, &raw.data_dir).map_err(|e| invalid("runner.workspace_dir", e))?;
        let runner = RunnerSettings {
            extra_path: raw.runner.extra_path.into_vec().into_iter().map(PathBuf::from).collect(),
            workspace_dir,
            default_workspace,
            env_passthrough,
            max_parallel_runs: raw.runner.max_parallel_runs,
            shutdown_grace: Duration::from_secs(raw.runner.shutdown_grace_seconds),
            max_log_lines: raw.runner.max_log_lines,
        };
        let database_path =
            raw.database.path.filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| raw.data_dir.join("agented.db"));
        Ok(Self {
            environment,
            secret_key,
            server: ServerSettings {
                bind,
                shutdown_timeout: Duration::from_secs(raw.server.shutdown_timeout_seconds),
                workers: raw.server.workers,
                body_read_timeout: Duration::from_secs(raw.server.body_read_timeout_seconds),
            },
            database: DatabaseSettings {
                path: database_path,
                pool_size: raw.database.pool_size,
                busy_timeout: Duration::from_millis(raw.database.busy_timeout_ms),
                connection_timeout: Duration::from_millis(raw.database.connection_timeout_ms.max(1)),
            },
            api_key,
            cors_allowed_origins: origins,
            github_webhook_secret: non_empty(raw.github.webhook_secret),
            log: LogSettings { level: raw.log.level, format },
            sentry: SentrySettings {
                dsn: non_empty(raw.sentry.dsn),
                environment: non_empty(raw.sentry.environment),
                release: non_empty(raw.sentry.release),
                traces_sample_rate: rate,
            },
            rate_limits,
            web_dist: raw.web.dist_dir,
            runner,
            max_untrusted_chars: raw.prompts.max_untrusted_chars,
            webhooks: WebhookSettings {
                dedup_window: Duration::from_secs(raw.webhooks.dedup_window_seconds),
                keep_deliveries: raw.webhooks.keep_deliveries,
                github_replay_window: Duration::from_secs(raw.webhooks.github_replay_window_seconds),
                timestamp_tolerance: Duration::from_secs(raw.webhooks.timestamp_tolerance_seconds),
                require_signed_timestamp: raw.webhooks.require_signed_timestamp,
            },
            orchestration,
            environment_variables: EnvironmentVariables::default(),
            data_dir: raw.data_dir,
        })
    }

    /// The effective configuration with every secret replaced by `<redacted>`, as TOML.
    #[must_use]
    pub fn redacted_toml(&self) -> String {
        let view = RedactedView::from(self);
        toml::to_string(&view).unwrap_or_else(|e| format!("# cannot render configuration: {e}\n"))
    }
}

fn orchestration(raw: RawOrchestration) -> Result<OrchestrationSettings, ConfigError> {
    let timezone = raw.timezone.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        invalid("orchestration.timezone", format!("'{}' is not an IANA time zone such as Europe/Berlin", raw.timezone))
    })?;
    within("orchestration.default_retry_after_seconds", raw.default_retry_after_seconds, 1..=86_400, "")?;
    within("orchestration.max_rate_limit_attempts", raw.max_rate_limit_attempts, 1..=20, "")?;
    within("orchestration.backoff_base_seconds", raw.backoff_base_seconds, 1..=86_400, "")?;
    if raw.backoff_cap_seconds < raw.backoff_base_seconds || raw.backoff_cap_seconds > 604_800 {
        return Err(invalid(
            "orchestration.backoff_cap_seconds",
            format!("{} must be between backoff_base_seconds and 604800", raw.backoff_cap_seconds),
        ));
    }
    let rate_limit_patterns = raw
        .rate_limit_patterns
        .into_iter()
        .map(|(key, list)| {
            let key = key.trim().to_lowercase();
            let key = if key == "default" || key.starts_with("backend-") { key } else { format!("backend-{key}") };
            (key, list.into_vec())
        })
        .collect();
    Ok(OrchestrationSettings {
        timezone,
        rate_limit_patterns,
        default_retry_after: Duration::from_secs(raw.default_retry_after_seconds),
        max_rate_limit_attempts: raw.max_rate_limit_attempts,
        backoff_base: Duration::from_secs(raw.backoff_base_seconds),
        backoff_cap: Duration::from_secs(raw.backoff_cap_seconds),
    })
}

const REDACTED: &str = "<redacted>";

fn redact(value: Option<&String>) -> Option<&'static str> {
    value.map(|_| REDACTED)
}

#[derive(Serialize)]
struct RedactedView<'a> {
    environment: &'a str,
    data_dir: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key: Option<&'static str>,
    server: RedactedServer,
    database: RedactedDatabase,
    auth: RedactedAuth,
    cors: RedactedCors<'a>,
    github: RedactedGithub,
    log: RedactedLog<'a>,
    sentry: RedactedSentry<'a>,
    rate_limits: RedactedRateLimits,
    web: RedactedWeb,
    runner: RedactedRunner,
    prompts: RedactedPrompts,
    webhooks: RedactedWebhooks,
    orchestration: RedactedOrchestration,
}

#[derive(Serialize)]
struct RedactedOrchestration {
    timezone: String,
    default_retry_after_seconds: u64,
    max_rate_limit_attempts: u32,
    backoff_base_seconds: u64,
    backoff_cap_seconds: u64,
    rate_limit_patterns: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Serialize)]
struct RedactedPrompts {
    max_untrusted_chars: usize,
}

#[derive(Serialize)]
struct RedactedWebhooks {
    dedup_window_seconds: u64,
    keep_deliveries: usize,
    github_replay_window_seconds: u64,
    timestamp_tolerance_seconds: u64,
    require_signed_timestamp: bool,
}

#[derive(Serialize)]
struct RedactedRunner {
    extra_path: Vec<String>,
    workspace_dir: String,
    env_passthrough: Vec<String>,
    max_parallel_runs: usize,
    shutdown_grace_seconds: u64,
    max_log_lines: i64,
}

#[derive(Serialize)]
struct RedactedRateLimits {
    enabled: bool,
    webhook: String,
    api: String,
    auth_failures: String,
    trusted_proxies: Vec<String>,
    max_streams_per_key: usize,
    max_streams_per_client: usize,
}

#[derive(Serialize)]
struct RedactedServer {
    bind: String,
    shutdown_timeout_seconds: u64,
    workers: usize,
    body_read_timeout_seconds: u64,
}

#[derive(Serialize)]
struct RedactedDatabase {
    path: String,
    pool_size: u32,
    busy_timeout_ms: u128,
    connection_timeout_ms: u128,
}

#[derive(Serialize)]
struct RedactedAuth {
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'static str>,
}

#[derive(Serialize)]
struct RedactedCors<'a> {
    allowed_origins: &'a [String],
}

#[derive(Serialize)]
struct RedactedGithub {
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_secret: Option<&'static str>,
}

#[derive(Serialize)]
struct RedactedLog<'a> {
    level: &'a str,
    format: &'static str,
}

#[derive(Serialize)]
struct RedactedSentry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    dsn: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    release: Option<&'a str>,
    traces_sample_rate: f64,
}

#[derive(Serialize)]
struct RedactedWeb {
    dist_dir: String,
}

impl<'a> From<&'a Settings> for RedactedView<'a> {
    fn from(s: &'a Settings) -> Self {
        Self {
            environment: &s.environment,
            data_dir: s.data_dir.display().to_string(),
            secret_key: redact(s.secret_key.as_ref()),
            server: RedactedServer {
                bind: s.server.bind.to_string(),
                shutdown_timeout_seconds: s.server.shutdown_timeout.as_secs(),
                workers: s.server.workers,
                body_read_timeout_seconds: s.server.body_read_timeout.as_secs(),
            },
            database: RedactedDatabase {
                path: s.database.path.display().to_string(),
                pool_size: s.database.pool_size,
                busy_timeout_ms: s.database.busy_timeout.as_millis(),
                connection_timeout_ms: s.database.connection_timeout.as_millis(),
            },
            auth: RedactedAuth { api_key: redact(s.api_key.as_ref()) },
            cors: RedactedCors { allowed_origins: &s.cors_allowed_origins },
            github: RedactedGithub { webhook_secret: redact(s.github_webhook_secret.as_ref()) },
            log: RedactedLog {
                level: &s.log.level,
                format: match s.log.format {
                    LogFormat::Json => "json",
                    LogFormat::Text => "text",
                },
            },
            sentry: RedactedSentry {
                // A DSN embeds a key: redact it too.
                dsn: redact(s.sentry.dsn.as_ref()),
                environment: s.sentry.environment.as_deref(),
                release: s.sentry.release.as_deref(),
                traces_sample_rate: s.sentry.traces_sample_rate,
            },
            rate_limits: RedactedRateLimits {
                enabled: s.rate_limits.enabled,
                webhook: s.rate_limits.webhook.to_string(),
                api: s.rate_limits.api.to_string(),
                auth_failures: s.rate_limits.auth_failures.to_string(),
                trusted_proxies: s.rate_limits.trusted_proxies.iter().map(ToString::to_string).collect(),
                max_streams_per_key: s.rate_limits.streams.per_credential,
                max_streams_per_client: s.rate_limits.streams.per_client,
            },
            web: RedactedWeb { dist_dir: s.web_dist.display().to_string() },
            runner: RedactedRunner {
                extra_path: s.runner.extra_path.iter().map(|p| p.display().to_string()).collect(),
                workspace_dir: s.runner.workspace_dir.display().to_string(),
                env_passthrough: s.runner.env_passthrough.clone(),
                max_parallel_runs: s.runner.max_parallel_runs,
                shutdown_grace_seconds: s.runner.shutdown_grace.as_secs(),
                max_log_lines: s.runner.max_log_lines,
            },
            prompts: RedactedPrompts { max_untrusted_chars: s.max_untrusted_chars },
            webhooks: RedactedWebhooks {
                dedup_window_seconds: s.webhooks.dedup_window.as_secs(),
                keep_deliveries: s.webhooks.keep_deliveries,
                github_replay_window_seconds: s.webhooks.github_replay_window.as_secs(),
                timestamp_tolerance_seconds: s.webhooks.timestamp_tolerance.as_secs(),
                require_signed_timestamp: s.webhooks.require_signed_timestamp,
            },
            orchestration: RedactedOrchestration {
                timezone: s.orchestration.timezone.name().to_owned(),
                default_retry_after_seconds: s.orchestration.default_retry_after.as_secs(),
                max_rate_limit_attempts: s.orchestration.max_rate_limit_attempts,
                backoff_base_seconds: s.orchestration.backoff_base.as_secs(),
                backoff_cap_seconds: s.orchestration.backoff_cap.as_secs(),
                rate_limit_patterns: s
                    .orchestration
                    .rate_limit_patterns
                    .iter()
                    .map(|(k, v)| (k.strip_prefix("backend-").unwrap_or(k).to_owned(), v.clone()))
                    .collect(),
            },
        }
    }
}
