//! Configuration in layers: the built-in defaults (`config/default.toml`,
//! compiled in) → `<config_dir>/default.toml` → `<config_dir>/{AGENTED_ENV}.toml`
//! → `.env` → the process environment. Environment keys are
//! `AGENTED__SECTION__KEY`; the original Python names map onto the same keys.
//! Invalid values stop start-up with one line naming the key.

//!
//! Each section lives in its own file, read from its raw form by `TryFrom`, which
//! checks every rule of the section; secrets are [`Secret`]s, so the effective
//! configuration prints (`agented config`) with each one `<redacted>`.

mod access;
mod database;
mod fields;
pub mod github;
mod notifications;
mod observability;
mod orchestration;
mod pricing;
mod prompts;
mod rate_limits;
mod runner;
mod secret;
mod server;
mod sessions;
mod web;
mod webhooks;

pub use database::DatabaseSettings;
pub use fields::ConfigError;
pub use notifications::NotificationSettings;
pub use observability::{LogSettings, OtlpSettings, SentrySettings};
pub use orchestration::OrchestrationSettings;
pub use pricing::{PriceEntry, PricingSettings};
pub use runner::{RunnerSettings, SandboxKind};
pub use secret::Secret;
pub use server::ServerSettings;
pub use sessions::SessionSettings;
pub use webhooks::WebhookSettings;

use agented_http::rate_limit::RateLimitOptions;
use fields::invalid;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const BUILT_IN_DEFAULTS: &str = include_str!("../../../../config/default.toml");

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    data_dir: PathBuf,
    secret_key: Option<String>,
    server: server::RawServer,
    database: database::RawDatabase,
    auth: access::RawAuth,
    cors: access::RawCors,
    github: github::RawGithub,
    notifications: notifications::RawNotifications,
    sessions: sessions::RawSessions,
    log: observability::RawLog,
    sentry: observability::RawSentry,
    otlp: observability::RawOtlp,
    rate_limits: rate_limits::RawRateLimits,
    web: web::RawWeb,
    runner: runner::RawRunner,
    prompts: prompts::RawPrompts,
    webhooks: webhooks::RawWebhooks,
    orchestration: orchestration::RawOrchestration,
    pricing: pricing::RawPricing,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `AGENTED_ENV` (default `development`).
    pub environment: String,
    /// Data folder.
    pub data_dir: PathBuf,
    /// Operator-given secret key, if any.
    pub secret_key: Option<Secret>,
    /// HTTP server.
    pub server: ServerSettings,
    /// SQLite.
    pub database: DatabaseSettings,
    /// Extra admin API key (`AGENTED_API_KEY`).
    pub api_key: Option<Secret>,
    /// Allowed CORS origins.
    pub cors_allowed_origins: Vec<String>,
    /// GitHub: the webhook secret, and how results are written back.
    pub github: github::GithubSettings,
    /// Notifiers' deliveries.
    pub notifications: NotificationSettings,
    /// Interactive terminal sessions.
    pub sessions: SessionSettings,
    /// Logging.
    pub log: LogSettings,
    /// Sentry.
    pub sentry: SentrySettings,
    /// OpenTelemetry traces.
    pub otlp: OtlpSettings,
    /// Rate limits.
    pub rate_limits: RateLimitOptions,
    /// Where the dashboard's files come from.
    pub dashboard: agented_http::static_files::Dashboard,
    /// How bots are run.
    pub runner: RunnerSettings,
    /// Untrusted values in prompts are cut to this many characters.
    pub max_untrusted_chars: usize,
    /// Webhook deliveries.
    pub webhooks: WebhookSettings,
    /// Accounts, rate-limit rotation and budgets.
    pub orchestration: OrchestrationSettings,
    /// List prices for runs that report tokens but no cost.
    pub pricing: PricingSettings,
    /// The environment (real and `.env`) account API key variables are read from.
    pub environment_variables: EnvironmentVariables,
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
        let server = ServerSettings::try_from(raw.server)?;
        if raw.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        let database = DatabaseSettings::try_from((raw.database, raw.data_dir.as_path()))?;
        let log = LogSettings::try_from(raw.log)?;
        let sentry = SentrySettings::try_from(raw.sentry)?;
        let otlp = OtlpSettings::try_from(raw.otlp)?;
        let cors = access::Cors::try_from(raw.cors)?;
        let rate_limits = RateLimitOptions::try_from(raw.rate_limits)?;
        let api_key = access::Auth::try_from(raw.auth)?;
        let secret_key = Secret::non_empty(raw.secret_key);
        if let Some(key) = &secret_key {
            agented_auth::SecretKey::parse(key).map_err(|e| invalid("secret_key", e.to_string()))?;
        }
        let runner = RunnerSettings::try_from((raw.runner, raw.data_dir.as_path()))?;
        let github = github::GithubSettings::try_from(raw.github)?;
        if runner.env_passthrough.contains(&github.token_env) {
            // The token Agented posts to GitHub with is the server's, never a run's.
            return Err(invalid(
                "runner.env_passthrough",
                format!("{} holds the server's GitHub token (github.token_env); runs may not see it", github.token_env),
            ));
        }
        let notifications = NotificationSettings::try_from(raw.notifications)?;
        let sessions = SessionSettings::try_from(raw.sessions)?;
        let untrusted = prompts::UntrustedLimit::try_from(raw.prompts)?;
        let webhooks = WebhookSettings::try_from(raw.webhooks)?;
        let orchestration = OrchestrationSettings::try_from(raw.orchestration)?;
        let pricing = PricingSettings::try_from(raw.pricing)?;
        Ok(Self {
            environment,
            data_dir: raw.data_dir,
            secret_key,
            server,
            database,
            api_key: api_key.0,
            cors_allowed_origins: cors.0,
            github,
            notifications,
            sessions,
            log,
            sentry,
            otlp,
            rate_limits,
            dashboard: raw.web.into(),
            runner,
            max_untrusted_chars: untrusted.0,
            webhooks,
            orchestration,
            pricing,
            environment_variables: EnvironmentVariables::default(),
        })
    }

    /// The effective configuration with every secret replaced by `<redacted>`, as TOML.
    #[must_use]
    pub fn redacted_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot render configuration: {e}\n"))
    }
}

/// A section held as a single value (or none), written as its table.
struct Section<T>(&'static str, Option<T>);

fn table<T: Serialize>(key: &'static str, value: T) -> Section<T> {
    Section(key, Some(value))
}

impl<T: Serialize> Serialize for Section<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(value) = &self.1 {
            map.serialize_entry(self.0, value)?;
        }
        map.end()
    }
}

/// The configuration in the layout of `config/default.toml`: what `agented config` prints.
impl Serialize for Settings {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("environment", &self.environment)?;
        map.serialize_entry("data_dir", &self.data_dir.display().to_string())?;
        if let Some(key) = &self.secret_key {
            map.serialize_entry("secret_key", key)?;
        }
        map.serialize_entry("server", &self.server)?;
        map.serialize_entry("database", &self.database)?;
        map.serialize_entry("auth", &Section("api_key", self.api_key.as_ref()))?;
        map.serialize_entry("cors", &table("allowed_origins", &self.cors_allowed_origins))?;
        map.serialize_entry("github", &self.github)?;
        map.serialize_entry("notifications", &self.notifications)?;
        map.serialize_entry("sessions", &self.sessions)?;
        map.serialize_entry("log", &self.log)?;
        map.serialize_entry("sentry", &self.sentry)?;
        map.serialize_entry("otlp", &self.otlp)?;
        map.serialize_entry("rate_limits", &rate_limits::AsSection(&self.rate_limits))?;
        let dist_dir = match &self.dashboard {
            agented_http::static_files::Dashboard::Folder(dir) => Some(dir.display().to_string()),
            agented_http::static_files::Dashboard::Embedded => None,
        };
        map.serialize_entry("web", &Section("dist_dir", dist_dir))?;
        map.serialize_entry("runner", &self.runner)?;
        map.serialize_entry("prompts", &table("max_untrusted_chars", self.max_untrusted_chars))?;
        map.serialize_entry("webhooks", &self.webhooks)?;
        map.serialize_entry("orchestration", &self.orchestration)?;
        map.serialize_entry("pricing", &self.pricing)?;
        map.end()
    }
}
