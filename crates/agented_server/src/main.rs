//! The `agented` binary: parses the command line, loads configuration and
//! hands over to the library. Kept thin so tests drive the same code.

use agented_http::telemetry;
use agented_server::cli::{Cli, Command};
use agented_server::observability::{OtlpLayer, TraceExport};
use agented_server::startup::Application;
use agented_server::{Settings, Sources};
use agented_store::copy::copy_sqlite_to_postgres;
use agented_store::{Database, Location, run_migrations};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { no_worker: false });
    let mut sources = Sources::from_process();
    // Flags win over every other layer, and go through the same checks as the keys they set.
    if let Command::Worker { labels, max_parallel_runs } = &command {
        if let Some(labels) = labels {
            sources.env.insert("AGENTED__RUNNER__LABELS".into(), labels.join(","));
        }
        if let Some(n) = max_parallel_runs {
            sources.env.insert("AGENTED__RUNNER__MAX_PARALLEL_RUNS".into(), n.to_string());
        }
    }
    let settings = match Settings::load(&sources) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("agented: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Config => {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{}", settings.redacted_toml());
            ExitCode::SUCCESS
        }
        Command::Migrate => migrate(&settings),
        Command::MigrateStore { from, to } => migrate_store(&settings, &from, &to),
        Command::ImportPython { path, dry_run, report, timezone } => {
            let options = agented_store::python_import::ImportOptions { dry_run, timezone };
            import_python(&settings, &path, &options, report.as_deref())
        }
        Command::Serve { no_worker } => serve(&settings, no_worker),
        Command::Worker { .. } => worker(&settings),
        Command::Keys(command) => keys(&settings, command),
        Command::Workflow(command) => workflow(&settings, command),
    }
}

fn keys(settings: &Settings, command: agented_server::keys::KeysCommand) -> ExitCode {
    one_shot(settings, "agented: ", agented_server::keys::run(settings, command))
}

fn workflow(settings: &Settings, command: agented_server::workflow_cli::WorkflowCommand) -> ExitCode {
    // Problems of a file are printed as FILE:LINE: …, without a prefix, like a compiler's.
    one_shot(settings, "", agented_server::workflow_cli::run(settings, command))
}

/// Runs a command that prints its answer on stdout, or its failure on stderr after `prefix`.
fn one_shot(settings: &Settings, prefix: &str, command: impl Future<Output = Result<String, String>>) -> ExitCode {
    if let Err(code) = init_logging(settings) {
        return code;
    }
    match actix_web::rt::System::new().block_on(command) {
        Ok(text) => {
            let _ = write!(std::io::stdout().lock(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{prefix}{e}");
            ExitCode::FAILURE
        }
    }
}

/// Shows the first admin key once, on the terminal (stderr), never in the logs.
fn announce_bootstrap_key(app: &Application) {
    if let Some((key, secret)) = app.bootstrap_key() {
        eprintln!(
            "\nNo API key existed, so an admin key was created ({}, named '{}'):\n\n    {}\n\n\
             It is shown only this once. Sign in to the dashboard with it, or send it as the X-API-Key header.\n\
             Create more with `agented keys create --name NAME --scope admin|read`; revoke this one when you have.\n",
            key.id,
            key.name.as_str(),
            secret.expose()
        );
    }
}

fn init_logging(settings: &Settings) -> Result<(), ExitCode> {
    install_logging(settings, None)
}

fn install_logging(settings: &Settings, traces: Option<OtlpLayer>) -> Result<(), ExitCode> {
    telemetry::init(&settings.log.level, settings.log.format, std::io::stdout, traces).map_err(|e| {
        eprintln!("agented: {e}");
        ExitCode::from(2)
    })?;
    telemetry::log_panics();
    Ok(())
}

/// Logging with trace export when `otlp.endpoint` is set, for the long-running commands;
/// the export sends what it holds when the returned guard drops.
fn init_traced_logging(settings: &Settings) -> Result<Option<TraceExport>, ExitCode> {
    match agented_server::observability::init_otlp(settings) {
        Ok(Some((layer, export))) => {
            install_logging(settings, Some(layer))?;
            tracing::info!(
                endpoint = settings.otlp.endpoint.as_deref().unwrap_or_default(),
                "sending traces over OTLP"
            );
            Ok(Some(export))
        }
        Ok(None) => init_logging(settings).map(|()| None),
        Err(e) => {
            eprintln!("agented: {e}");
            Err(ExitCode::from(2))
        }
    }
}

fn migrate(settings: &Settings) -> ExitCode {
    if let Err(code) = init_logging(settings) {
        return code;
    }
    let location = &settings.database.location;
    let result =
        Database::connect(location, &settings.database.options(1)).and_then(|db| run_migrations(&mut *db.conn()?));
    match result {
        Ok(applied) => {
            eprintln!("agented: {location} is up to date ({applied} migration(s) applied)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agented: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate_store(settings: &Settings, from: &str, to: &str) -> ExitCode {
    if let Err(code) = init_logging(settings) {
        return code;
    }
    let open = |url: &str| {
        let location = Location::parse(url).map_err(|e| e.to_string())?;
        if let Location::Sqlite(path) = &location
            && !path.is_file()
        {
            return Err(format!("{location}: no such file"));
        }
        Database::connect(&location, &settings.database.options(2)).map_err(|e| e.to_string())
    };
    let result = open(from)
        .and_then(|source| Ok((source, open(to)?)))
        .and_then(|(source, target)| copy_sqlite_to_postgres(&source, &target).map_err(|e| e.to_string()));
    match result {
        Ok(report) => {
            for (table, rows) in &report.tables {
                eprintln!("  {table:<20} {rows:>9} row(s)");
            }
            let total: u64 = report.tables.iter().map(|(_, n)| n).sum();
            eprintln!(
                "agented: copied {total} row(s) into {}; point database.url at it",
                Location::parse(to).map_or_else(|_| to.to_owned(), |l| l.to_string())
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agented: migrate-store: {e}; nothing was written");
            ExitCode::FAILURE
        }
    }
}

fn import_python(
    settings: &Settings,
    path: &std::path::Path,
    options: &agented_store::python_import::ImportOptions,
    report_file: Option<&std::path::Path>,
) -> ExitCode {
    if let Err(code) = init_logging(settings) {
        return code;
    }
    let result = agented_server::python_import::run(settings, path, options, report_file);
    match result {
        Ok(text) => {
            let _ = write!(std::io::stdout().lock(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agented: import-python: {e}; nothing was written");
            ExitCode::FAILURE
        }
    }
}

/// Every open stream, connection and run pipe is a descriptor, and the usual
/// soft limit (1024) is far below what a busy server holds: raise it to the
/// hard limit the operator allows (systemd's `LimitNOFILE`, `ulimit -Hn`).
fn raise_open_files_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => tracing::debug!(from = soft, to = hard, "raised the open files limit"),
            Err(e) => tracing::warn!(soft, hard, error = %e, "could not raise the open files limit"),
        },
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not read the open files limit"),
    }
}

fn worker(settings: &Settings) -> ExitCode {
    let _traces = match init_traced_logging(settings) {
        Ok(traces) => traces,
        Err(code) => return code,
    };
    let _sentry = agented_server::observability::init_sentry(settings);
    raise_open_files_limit();
    let result = actix_web::rt::System::new().block_on(async {
        let node = agented_server::worker_node::WorkerNode::build(settings).await?;
        eprintln!("agented worker {} running jobs (up to {} at once)", node.id(), settings.runner.max_parallel_runs);
        node.run_until_stopped().await;
        Ok::<(), agented_server::StartupError>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "agented worker could not start");
            eprintln!("agented: cannot start the worker: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: &Settings, no_worker: bool) -> ExitCode {
    let _traces = match init_traced_logging(settings) {
        Ok(traces) => traces,
        Err(code) => return code,
    };
    // Flushes pending error reports when serve returns.
    let _sentry = agented_server::observability::init_sentry(settings);
    raise_open_files_limit();
    let result = actix_web::rt::System::new().block_on(async {
        let overrides = agented_server::startup::Overrides { no_worker, ..Default::default() };
        let app = Application::build(settings, overrides).await?;
        announce_bootstrap_key(&app);
        let addr = app.local_addr();
        tracing::info!(address = %addr, environment = %settings.environment, "agented listening");
        eprintln!("agented listening on http://{addr}/ (dashboard), API docs at http://{addr}/docs/");
        app.run_until_stopped().await.map_err(|source| agented_server::StartupError::Bind { addr, source })
    });
    match result {
        Ok(()) => {
            tracing::info!("agented stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "agented could not start");
            eprintln!("agented: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}
