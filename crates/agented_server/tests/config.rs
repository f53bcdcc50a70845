//! Configuration layers: built-in defaults < config files < `.env` < environment.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_http::telemetry::LogFormat;
use agented_server::{ConfigError, Settings, Sources};
use agented_store::Location;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        Self { dir }
    }

    fn file(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.dir.path().join(name), text).unwrap();
        self
    }

    fn sources(&self, env: &[(&str, &str)]) -> Sources {
        Sources {
            config_dir: self.dir.path().join("config"),
            dotenv: Some(self.dir.path().join(".env")),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<HashMap<_, _>>(),
        }
    }

    fn load(&self, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load(&self.sources(env))
    }
}

fn error_line(fixture: &Fixture, env: &[(&str, &str)]) -> String {
    let err = fixture.load(env).unwrap_err().to_string();
    assert!(!err.contains('\n'), "one line: {err}");
    err
}

#[test]
fn with_nothing_set_the_documented_defaults_apply() {
    let f = Fixture::new();
    let s = f.load(&[]).unwrap();
    assert_eq!(s.environment, "development");
    assert_eq!(s.server.bind, "127.0.0.1:20000".parse::<SocketAddr>().unwrap());
    assert_eq!(s.data_dir, PathBuf::from("./data"));
    assert_eq!(s.database.sqlite_path(), Some(&Path::new("./data").join("agented.db")));
    assert_eq!(s.log.format, LogFormat::Text);
    assert!(s.secret_key.is_none() && s.api_key.is_none() && s.cors_allowed_origins.is_empty());
    assert_eq!((s.otlp.endpoint.as_deref(), s.otlp.traces_url()), (None, None), "no traces unless asked");
    assert!((s.orchestration.default_reservation_usd - 1.0).abs() < f64::EPSILON);
    let traced = f.load(&[("AGENTED__OTLP__ENDPOINT", "https://otel.example:4318/")]).unwrap();
    assert_eq!(traced.otlp.traces_url().as_deref(), Some("https://otel.example:4318/v1/traces"));
}

#[test]
fn the_database_path_follows_the_data_dir_unless_set() {
    let f = Fixture::new();
    let s = f.load(&[("AGENTED__DATA_DIR", "/srv/agented")]).unwrap();
    assert_eq!(s.database.sqlite_path(), Some(&PathBuf::from("/srv/agented/agented.db")));
    let s = f.load(&[("AGENTED__DATA_DIR", "/srv/agented"), ("AGENTED__DATABASE__PATH", "/db/a.db")]).unwrap();
    assert_eq!(s.database.sqlite_path(), Some(&PathBuf::from("/db/a.db")));
}

#[test]
fn database_url_names_a_sqlite_file_or_a_postgres_database_and_is_printed_without_its_password() {
    let f = Fixture::new();
    let s = f.load(&[("AGENTED__DATABASE__URL", "sqlite:///srv/a.db")]).unwrap();
    assert_eq!(s.database.location, Location::Sqlite("/srv/a.db".into()));
    let url = "postgres://agented:hunter2@db.internal:5432/agented";
    let s = f.load(&[("AGENTED__DATABASE__URL", url)]).unwrap();
    assert_eq!(s.database.location, Location::Postgres(url.into()));
    assert_eq!(s.database.sqlite_path(), None);
    let shown = serde_json::to_string(&s.database).unwrap();
    assert!(shown.contains("postgres://agented:***@db.internal:5432/agented") && !shown.contains("hunter2"), "{shown}");

    for (vars, named) in [
        (vec![("AGENTED__DATABASE__URL", "mysql://u:hunter2@h/db")], "database.url"),
        (vec![("AGENTED__DATABASE__URL", url), ("AGENTED_DB_PATH", "/tmp/a.db")], "not both"),
    ] {
        let err = error_line(&f, &vars);
        assert!(err.contains(named) && !err.contains("hunter2"), "{vars:?}: {err}");
    }
}

#[test]
fn each_layer_overrides_the_one_before_file_then_dotenv_then_environment() {
    let f = Fixture::new();
    f.file("config/default.toml", "[log]\nlevel = \"warn\"\n[server]\nbind = \"127.0.0.1:21000\"\nworkers = 3\n");
    f.file("config/staging.toml", "[log]\nlevel = \"error\"\n[server]\nbind = \"127.0.0.1:22000\"\n");
    f.file(".env", "AGENTED_ENV=staging\nAGENTED__SERVER__BIND=127.0.0.1:23000\nLOG_FORMAT=json\n");

    let s = f.load(&[]).unwrap();
    assert_eq!(s.environment, "staging", ".env selects the environment file");
    assert_eq!(s.server.workers, 3, "config/default.toml over the built-in defaults");
    assert_eq!(s.log.level, "error", "config/staging.toml over config/default.toml");
    assert_eq!(s.server.bind.port(), 23000, ".env over the files");
    assert_eq!(s.log.format, LogFormat::Json, "an original name in .env");

    let s = f.load(&[("AGENTED__SERVER__BIND", "127.0.0.1:24000"), ("LOG_FORMAT", "text")]).unwrap();
    assert_eq!(s.server.bind.port(), 24000, "environment over .env");
    assert_eq!(s.log.format, LogFormat::Text, "environment over .env, original names too");
}

#[test]
fn the_original_variable_names_keep_working() {
    let f = Fixture::new();
    let secret = "0123456789abcdef0123456789abcdef";
    let s = f
        .load(&[
            ("AGENTED_DB_PATH", "/tmp/legacy.db"),
            ("SECRET_KEY", secret),
            ("AGENTED_API_KEY", "ak_legacy_0123456789abcdef0123456789"),
            ("CORS_ALLOWED_ORIGINS", "https://a.example.com, http://localhost:5173"),
            ("GITHUB_WEBHOOK_SECRET", "gh-secret"),
            ("LOG_LEVEL", "debug"),
            ("LOG_FORMAT", "json"),
            ("SENTRY_DSN", "https://key@sentry.example.com/1"),
            ("SENTRY_ENVIRONMENT", "prod"),
            ("SENTRY_RELEASE", "1.2.3"),
            ("SENTRY_TRACES_SAMPLE_RATE", "0.25"),
        ])
        .unwrap();
    assert_eq!(s.database.sqlite_path(), Some(&PathBuf::from("/tmp/legacy.db")));
    assert_eq!(s.secret_key.as_deref(), Some(secret), "kept as text: leading zeros survive");
    assert_eq!(s.api_key.as_deref(), Some("ak_legacy_0123456789abcdef0123456789"));
    assert_eq!(s.cors_allowed_origins, ["https://a.example.com", "http://localhost:5173"]);
    assert_eq!(s.github.webhook_secret.as_deref(), Some("gh-secret"));
    assert_eq!((s.log.level.as_str(), s.log.format), ("debug", LogFormat::Json));
    assert_eq!(s.sentry.dsn.as_deref(), Some("https://key@sentry.example.com/1"));
    assert_eq!(s.sentry.environment.as_deref(), Some("prod"));
    assert_eq!(s.sentry.release.as_deref(), Some("1.2.3"));
    assert!((s.sentry.traces_sample_rate - 0.25).abs() < f64::EPSILON);
}

#[test]
fn the_new_spelling_wins_over_an_original_name_in_the_same_layer() {
    let f = Fixture::new();
    let s = f.load(&[("LOG_LEVEL", "debug"), ("AGENTED__LOG__LEVEL", "warn")]).unwrap();
    assert_eq!(s.log.level, "warn");
}

#[test]
fn empty_secrets_mean_unset() {
    let f = Fixture::new();
    f.file(".env", "SENTRY_DSN=\nGITHUB_WEBHOOK_SECRET=\n");
    let s = f.load(&[]).unwrap();
    assert!(s.sentry.dsn.is_none() && s.github.webhook_secret.is_none());
}

#[test]
fn a_bad_listen_address_fails_naming_the_key() {
    let f = Fixture::new();
    let err = error_line(&f, &[("AGENTED__SERVER__BIND", "not-an-address")]);
    assert!(
        err.contains("server.bind") && err.contains("AGENTED__SERVER__BIND") && err.contains("not-an-address"),
        "{err}"
    );
}

#[test]
fn each_invalid_value_fails_naming_its_key() {
    let f = Fixture::new();
    let cases: [(&str, &str, &str); 27] = [
        ("AGENTED__OTLP__ENDPOINT", "localhost:4318", "otlp.endpoint"),
        ("AGENTED__OTLP__ENDPOINT", "http://", "otlp.endpoint"),
        ("AGENTED__OTLP__SAMPLE_RATIO", "1.5", "otlp.sample_ratio"),
        ("AGENTED__OTLP__SERVICE_NAME", " ", "otlp.service_name"),
        ("AGENTED__ORCHESTRATION__DEFAULT_RESERVATION_USD", "-1", "orchestration.default_reservation_usd"),
        ("AGENTED__ORCHESTRATION__DEFAULT_RESERVATION_USD", "NaN", "orchestration.default_reservation_usd"),
        ("AGENTED__RATE_LIMITS__WEBHOOK", "lots", "rate_limits.webhook"),
        ("AGENTED__RATE_LIMITS__API", "0/60s", "rate_limits.api"),
        ("AGENTED__RATE_LIMITS__TRUSTED_PROXIES", "10.0.0.1,proxy.local", "rate_limits.trusted_proxies"),
        ("LOG_FORMAT", "xml", "log.format"),
        ("LOG_LEVEL", "[[", "log.level"),
        ("AGENTED__DATABASE__POOL_SIZE", "0", "database.pool_size"),
        ("AGENTED__DATABASE__POOL_SIZE", "many", "pool_size"),
        ("SENTRY_TRACES_SAMPLE_RATE", "2", "sentry.traces_sample_rate"),
        ("CORS_ALLOWED_ORIGINS", "*", "cors.allowed_origins"),
        ("CORS_ALLOWED_ORIGINS", "example.com", "cors.allowed_origins"),
        ("SECRET_KEY", "too-short", "secret_key"),
        ("AGENTED__RUNNER__SANDBOX", "docker", "runner.sandbox"),
        ("AGENTED__RUNNER__KEEP_FAILED_WORKSPACES", "-1", "keep_failed_workspaces"),
        ("AGENTED__RUNNER__WORKSPACE_MAX_MB", "0", "runner.workspace_max_mb"),
        ("AGENTED__GITHUB__API_URL", "api.github.com", "github.api_url"),
        ("AGENTED__GITHUB__TOKEN_ENV", "NOT A NAME", "github.token_env"),
        ("AGENTED__GITHUB__APP_ID", "123", "github.app_id"),
        ("AGENTED__GITHUB__BOT_HANDLE", "two words", "github.bot_handle"),
        ("AGENTED__GITHUB__PUBLIC_URL", "agented.example.com", "github.public_url"),
        ("AGENTED__GITHUB__RETRY_ATTEMPTS", "0", "github.retry_attempts"),
        ("AGENTED__RUNNER__ENV_PASSTHROUGH", "GITHUB_TOKEN", "runner.env_passthrough"),
    ];
    for (key, value, named) in cases {
        let err = error_line(&f, &[(key, value)]);
        assert!(err.contains(named), "{key}={value}: {err}");
    }
}

#[test]
fn worker_labels_and_the_lost_timeout_are_checked_and_the_dashboard_is_built_in_unless_a_folder_is_named() {
    let f = Fixture::new();
    let s = f.load(&[]).unwrap();
    assert_eq!(s.dashboard, agented_http::static_files::Dashboard::Embedded);
    assert!(s.runner.labels.is_empty());
    assert_eq!(s.runner.worker_lost_after, std::time::Duration::from_secs(30));
    let s = f
        .load(&[
            ("AGENTED__RUNNER__LABELS", "claude, region=eu,gpu:a100"),
            ("AGENTED__RUNNER__WORKER_LOST_AFTER_SECONDS", "5"),
            ("AGENTED__WEB__DIST_DIR", "web/dist"),
        ])
        .unwrap();
    assert_eq!(s.runner.labels, vec!["claude", "region=eu", "gpu:a100"]);
    assert_eq!(s.runner.worker_lost_after, std::time::Duration::from_secs(5));
    assert_eq!(s.dashboard, agented_http::static_files::Dashboard::Folder(PathBuf::from("web/dist")));
    assert_eq!(
        f.load(&[("AGENTED__WEB__DIST_DIR", "")]).unwrap().dashboard,
        agented_http::static_files::Dashboard::Embedded
    );
    for (key, value) in [
        ("AGENTED__RUNNER__LABELS", "a=b=c"),
        ("AGENTED__RUNNER__LABELS", "region="),
        ("AGENTED__RUNNER__LABELS", "two words"),
        ("AGENTED__RUNNER__WORKER_LOST_AFTER_SECONDS", "2"),
        ("AGENTED__RUNNER__WORKER_LOST_AFTER_SECONDS", "3601"),
    ] {
        let err = error_line(&f, &[(key, value)]);
        let named = if key.ends_with("LABELS") { "runner.labels" } else { "runner.worker_lost_after_seconds" };
        assert!(err.contains(named), "{key}={value}: {err}");
    }
}

#[test]
fn an_unknown_key_is_an_error_not_silently_ignored() {
    let f = Fixture::new();
    let err = error_line(&f, &[("AGENTED__SERVER__BINDD", "127.0.0.1:1")]);
    assert!(err.contains("bindd"), "{err}");
}

#[test]
fn a_malformed_config_file_is_reported_on_one_line() {
    let f = Fixture::new();
    f.file("config/default.toml", "[server\nbind = 1\n");
    let err = error_line(&f, &[]);
    assert!(err.starts_with("invalid configuration"), "{err}");
}

#[test]
fn an_environment_name_cannot_point_outside_the_config_folder() {
    let f = Fixture::new();
    let err = error_line(&f, &[("AGENTED_ENV", "../etc/x")]);
    assert!(err.contains("AGENTED_ENV"), "{err}");
}

#[test]
fn the_printed_configuration_redacts_every_secret() {
    let f = Fixture::new();
    let secrets = [
        "S3cretKeyS3cretKeyS3cretKeyS3cret",
        "ak_visible_never_0123456789abcdef0123",
        "gh_visible_never",
        "https://dsnkey@sentry.example.com/9",
    ];
    let s = f
        .load(&[
            ("SECRET_KEY", secrets[0]),
            ("AGENTED_API_KEY", secrets[1]),
            ("GITHUB_WEBHOOK_SECRET", secrets[2]),
            ("SENTRY_DSN", secrets[3]),
        ])
        .unwrap();
    let printed = s.redacted_toml();
    for secret in secrets {
        assert!(!printed.contains(secret), "{secret} leaked:\n{printed}");
    }
    assert_eq!(printed.matches("<redacted>").count(), 4, "{printed}");
    assert!(printed.contains("bind = \"127.0.0.1:20000\""), "{printed}");
    assert!(printed.contains("webhook = \"20/10s\""), "{printed}");
}

#[test]
fn rate_limits_default_to_twenty_webhooks_per_ten_seconds_and_six_hundred_calls_a_minute() {
    let f = Fixture::new();
    let s = f.load(&[("AGENTED__RATE_LIMITS__TRUSTED_PROXIES", "10.0.0.1, ::1")]).unwrap();
    assert!(s.rate_limits.enabled);
    assert_eq!(s.rate_limits.webhook.to_string(), "20/10s");
    assert_eq!(s.rate_limits.api.to_string(), "600/60s");
    assert_eq!(s.rate_limits.trusted_proxies.len(), 2);
}

#[test]
fn a_configured_api_key_shorter_than_32_characters_stops_start_up_naming_the_key() {
    let f = Fixture::new();
    let err = error_line(&f, &[("AGENTED_API_KEY", "short-operator-key")]);
    assert!(err.contains("AGENTED__AUTH__API_KEY") && err.contains("at least 32 characters"), "{err}");
    assert!(!err.contains("short-operator-key"), "the key itself is never printed: {err}");
    let err = error_line(&f, &[("AGENTED__AUTH__API_KEY", &"k".repeat(31))]);
    assert!(err.contains("it has 31"), "{err}");
    assert!(f.load(&[("AGENTED_API_KEY", &"k".repeat(32))]).is_ok());
}

#[test]
fn runs_are_kept_apart_from_the_data_directory_and_its_secrets() {
    let f = Fixture::new();
    let s = f.load(&[("AGENTED__DATA_DIR", "/srv/agented/data")]).unwrap();
    assert!(!s.runner.workspace_dir.starts_with("/srv/agented/data"), "{}", s.runner.workspace_dir.display());
    assert!(s.runner.default_workspace);
    let err = error_line(&f, &[("AGENTED__DATA_DIR", "/srv/data"), ("AGENTED__RUNNER__WORKSPACE_DIR", "/srv/data/ws")]);
    assert!(err.contains("AGENTED__RUNNER__WORKSPACE_DIR") && err.contains("inside data_dir"), "{err}");
    for name in ["AGENTED_API_KEY", "SECRET_KEY", "GITHUB_WEBHOOK_SECRET", "AGENTED__SECRET_KEY", "not a name"] {
        let err = error_line(&f, &[("AGENTED__RUNNER__ENV_PASSTHROUGH", name)]);
        assert!(err.contains("AGENTED__RUNNER__ENV_PASSTHROUGH"), "{name}: {err}");
    }
    let s = f.load(&[("AGENTED__RUNNER__ENV_PASSTHROUGH", "HTTPS_PROXY, NODE_EXTRA_CA_CERTS")]).unwrap();
    assert_eq!(s.runner.env_passthrough, ["HTTPS_PROXY", "NODE_EXTRA_CA_CERTS"]);
}
