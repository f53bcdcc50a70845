//! Builds the running application from settings: secret key, database
//! (migrated and seeded), then the HTTP server on its listener.

use crate::Settings;
use crate::alerts::AuditAlerts;
use crate::assistant::ExecutionAssistant;
use crate::run_metrics::{self, CountingBus};
use crate::secret_key::{self, SecretKeyFileError};
use crate::workspace;
use agented_auth::{ApiKey, ApiKeySecret, ApiKeyService, AuditEntry, AuditLog, KeyError, Outcome, SecretKey};
use agented_executions::{
    ExecutionRepository, ExecutionService, ExecutionStatus, LocalHost, RunEnvironment, RunQueue, Scheduler,
    WorkerService,
};
use agented_http::app::{ActixServiceConfig, Server, ServerHandle};
use agented_http::metrics::Metrics;
use agented_http::{AppState, HttpOptions};
use agented_jobs::{
    JobQueue, PgNotices, PostgresRunQueue, RunHandler, SqliteRunQueue, Ticker, WorkerHandle, start_worker,
};
use agented_kernel::{Clock, SystemClock, TriggerId, WorkerId};
use agented_orchestration::{Backoff, Orchestration, OrchestrationOptions, OrchestrationPorts, RateLimitRules};
use agented_roadmaps::planning::PlanningService;
use agented_runner::{MemoryLogBus, PathProbe, Runner, RunnerOptions, RunnerPorts, recover};
use agented_store::{
    Database, Location, SqlAccounts, SqlApiKeys, SqlAudit, SqlBackends, SqlBudgets, SqlExecutions, SqlTriggers,
    StoreError, run_migrations, seed,
};
use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// Start-up failed; the server is not running.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The secret key could not be had.
    #[error(transparent)]
    SecretKey(#[from] SecretKeyFileError),
    /// The database could not be opened, migrated or seeded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The run queue could not be opened.
    #[error(transparent)]
    Jobs(#[from] agented_jobs::JobsError),
    /// Start-up recovery of runs failed.
    #[error("cannot recover runs: {0}")]
    Recovery(String),
    /// The first API key could not be created.
    #[error("cannot create the first API key: {0}")]
    Keys(#[from] KeyError),
    /// The data directory, a database file or the run workspace could not be made private.
    #[error("cannot prepare {0}")]
    Files(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// `<data_dir>/imports`, emptied: an upload a stopped server left is not imported later.
fn import_dir(data_dir: &std::path::Path) -> Result<std::path::PathBuf, StartupError> {
    let dir = data_dir.join("imports");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| StartupError::Files(format!("{}: {e}", dir.display())))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| StartupError::Files(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

/// Opens the database and brings its schema and seed data up to date.
///
/// # Errors
/// [`StoreError`] when the database cannot be opened or a migration fails (then
/// nothing of the failed batch is applied).
pub async fn prepare_database(settings: &Settings) -> Result<Database, StoreError> {
    if let Some(path) = settings.database.sqlite_path() {
        workspace::private_database(path)
            .map_err(|reason| StoreError::Open { path: path.display().to_string(), reason })?;
    }
    let database =
        Database::connect(&settings.database.location, &settings.database.options(settings.database.pool_size))?;
    database
        .run(|conn| {
            run_migrations(conn)?;
            seed(conn)?;
            Ok(())
        })
        .await?;
    Ok(database)
}

/// The run queue: `<data_dir>/jobs.db` beside a SQLite store, apalis-postgres in the
/// store's database on PostgreSQL (one queue for the workers of every host).
///
/// # Errors
/// [`StartupError::Files`] or [`StartupError::Jobs`] naming the file or database.
async fn open_queue(settings: &Settings) -> Result<JobQueue, StartupError> {
    match &settings.database.location {
        Location::Postgres(url) => {
            Ok(JobQueue::Postgres(PostgresRunQueue::connect(url, &settings.database.location.to_string()).await?))
        }
        Location::Sqlite(_) => {
            let jobs = settings.data_dir.join("jobs.db");
            workspace::private_database(&jobs).map_err(StartupError::Files)?;
            Ok(JobQueue::Sqlite(SqliteRunQueue::open(&jobs).await?))
        }
    }
}

/// Makes the data folder private and prepares the run workspace; returns the data folder.
///
/// # Errors
/// [`StartupError::Files`] naming the folder.
pub(crate) fn prepare_folders(settings: &Settings) -> Result<std::path::PathBuf, StartupError> {
    let data_dir = workspace::private_data_dir(&settings.data_dir).map_err(StartupError::Files)?;
    workspace::prepare(&settings.runner.workspace_dir, settings.runner.default_workspace)
        .map_err(StartupError::Files)?;
    Ok(data_dir)
}

/// The key services over `database`.
#[must_use]
pub fn key_service(settings: &Settings, database: &Database, clock: Arc<dyn Clock>) -> ApiKeyService {
    ApiKeyService::new(Arc::new(SqlApiKeys::new(database.clone())), settings.api_key.as_deref(), clock)
}

/// Things worth an operator's attention, shown by the detailed readiness view.
fn startup_warnings(settings: &Settings, bootstrapped: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    if bootstrapped {
        warnings
            .push("no API key existed: an admin key was created and printed to the terminal at start-up".to_owned());
    }
    if !settings.rate_limits.enabled {
        warnings.push("rate limits are disabled (rate_limits.enabled = false)".to_owned());
    }
    if settings.github.webhook_secret.is_none() {
        warnings.push("GITHUB_WEBHOOK_SECRET is not set: GitHub webhook deliveries will be refused".to_owned());
    }
    if settings.api_key.is_some() {
        warnings.push("AGENTED_API_KEY is set: it cannot be revoked from Agented; prefer stored keys".to_owned());
    }
    warnings
}

/// What a test may replace when building (the binary uses the defaults).
#[derive(Default)]
pub struct Overrides {
    /// Routes mounted beside the API (probe handlers only tests need).
    pub extra_routes: Option<fn(&mut ActixServiceConfig)>,
    /// The clock every part reads (the system clock unless set).
    pub clock: Option<Arc<dyn Clock>>,
    /// Serve the API and the dashboard only: this process runs no jobs (`serve --no-worker`).
    pub no_worker: bool,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides")
            .field("clock", &self.clock.is_some())
            .field("no_worker", &self.no_worker)
            .finish_non_exhaustive()
    }
}

/// How often the scheduler looks for due slots.
const SCHEDULER_TICK: Duration = Duration::from_secs(1);

/// How often rate-limited runs are checked for a due next attempt.
const RATE_LIMIT_TICK: Duration = Duration::from_secs(1);

/// How often planning work is advanced in the background.
const PLANNING_TICK: Duration = Duration::from_secs(2);

/// How often idle sessions are looked for, at most (a short idle timeout is checked more often).
const SESSION_TICK: Duration = Duration::from_secs(5);
/// How often expired dedup records and schedule claims are deleted.
const PRUNE_TICK: Duration = Duration::from_secs(60);

/// A started Agented: the server runs once [`Application::run_until_stopped`] is awaited.
pub struct Application {
    server: Server,
    runner: Runner,
    driver: Option<agented_runner::WorkflowDriver>,
    worker: Option<WorkerHandle>,
    workers: WorkerService,
    me: Option<WorkerId>,
    scheduler: Scheduler,
    executions: ExecutionService,
    planning: PlanningService,
    sessions: agented_sessions::SessionService,
    session_tick: Duration,
    ledger: Arc<dyn agented_triggers::DedupLedger>,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    shutdown_grace: Duration,
    local_addr: SocketAddr,
    database: Database,
    secret_key: SecretKey,
    bootstrap_key: Option<(ApiKey, ApiKeySecret)>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl Application {
    /// Builds everything and binds the listener (port 0 picks a free port).
    ///
    /// # Errors
    /// [`StartupError`] naming what failed.
    pub async fn build(settings: &Settings, overrides: Overrides) -> Result<Self, StartupError> {
        let Overrides { extra_routes, clock, no_worker } = overrides;
        let data_dir = prepare_folders(settings)?;
        let secret_key = secret_key::load_or_create(settings.secret_key.as_deref(), &settings.data_dir)?;
        let database = prepare_database(settings).await?;
        let listener = TcpListener::bind(settings.server.bind)
            .map_err(|source| StartupError::Bind { addr: settings.server.bind, source })?;
        let local_addr =
            listener.local_addr().map_err(|source| StartupError::Bind { addr: settings.server.bind, source })?;
        let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
        let keys = key_service(settings, &database, clock.clone());
        let audit: Arc<dyn AuditLog> = Arc::new(SqlAudit::new(database.clone()));
        let bootstrap_key = keys.bootstrap().await?;
        if let Some((key, _)) = &bootstrap_key {
            record_bootstrap(audit.as_ref(), key, clock.as_ref()).await;
        }
        let metrics = Metrics::new(if no_worker { 0 } else { settings.runner.max_parallel_runs });
        let runs =
            start_runs(settings, &data_dir, &database, clock.clone(), audit.clone(), &metrics, !no_worker).await?;
        let roadmaps = agented_roadmaps::RoadmapService::new(
            Arc::new(agented_store::SqlProjects::new(database.clone())),
            clock.clone(),
        );
        let planning = PlanningService::new(
            roadmaps.clone(),
            Arc::new(agented_store::SqlPlanning::new(database.clone())),
            Arc::new(ExecutionAssistant::new(
                runs.service.clone(),
                runs.follower.clone(),
                TriggerId::parse(agented_triggers::PLANNER.id).map_err(|e| StartupError::Recovery(e.to_string()))?,
            )),
            clock.clone(),
        );
        let ledger = runs.webhooks.ledger().clone();
        let sessions = crate::sessions::session_service(
            settings,
            &database,
            roadmaps.clone(),
            (&runs.env.0, &runs.env.1),
            clock.clone(),
        )
        .await
        .map_err(StartupError::Recovery)?;
        let super_agents = crate::super_agent_runs::super_agent_service(&database, &runs, clock.clone()).await?;
        let state = AppState {
            readiness: agented_kernel::Readiness::new(Arc::new(database.clone()), runs.components),
            dashboard: settings.dashboard.clone(),
            keys,
            audit: agented_auth::AuditTrail::new(audit),
            secret_key: secret_key.clone(),
            clock: clock.clone(),
            startup_warnings: startup_warnings(settings, bootstrap_key.is_some()),
            triggers: runs.triggers,
            runs: runs.service,
            follower: runs.follower.clone(),
            backends: runs.backends,
            webhooks: runs.webhooks,
            timestamp_policy: agented_auth::standard_webhooks::TimestampPolicy {
                tolerance: settings.webhooks.timestamp_tolerance,
                required: settings.webhooks.require_signed_timestamp,
            },
            projects: roadmaps,
            planning: planning.clone(),
            orchestration: runs.orchestration,
            metrics: metrics.clone(),
            workers: runs.workers.clone(),
            workspaces: runs.runner.workspaces(),
            pr_reviews: runs.pr_reviews,
            notifiers: runs.notifiers,
            mcp_servers: runs.mcp_servers,
            tooling_items: runs.tooling_items,
            plugins: runs.plugins,
            workflows: runs.workflows,
            workflow_runs: runs.workflow_runs,
            agents: runs.agents,
            teams: runs.teams,
            settings: agented_settings::SettingsService::new(
                Arc::new(agented_store::SqlSettings::new(database.clone())),
                clock.clone(),
            ),
            imports: agented_migration::ImportService::new(
                Arc::new(crate::python_import::StoreImporter::new(database.clone())),
                clock.clone(),
            ),
            import_dir: import_dir(&data_dir)?,
            sessions: sessions.clone(),
            super_agents,
        };
        let options = HttpOptions {
            shutdown_timeout: settings.server.shutdown_timeout,
            workers: settings.server.workers,
            extra_routes,
            cors_allowed_origins: settings.cors_allowed_origins.clone(),
            rate_limits: settings.rate_limits.clone(),
            body_read_timeout: settings.server.body_read_timeout,
        };
        let server = agented_http::serve(listener, state, &options)
            .map_err(|source| StartupError::Bind { addr: local_addr, source })?;
        Ok(Self {
            server,
            runner: runs.runner,
            driver: runs.driver,
            worker: runs.worker,
            workers: runs.workers,
            me: runs.me,
            scheduler: runs.scheduler,
            executions: runs.service_handle,
            planning,
            sessions,
            session_tick: (settings.sessions.idle_timeout / 4).clamp(Duration::from_millis(200), SESSION_TICK),
            ledger,
            metrics,
            clock,
            shutdown_grace: settings.runner.shutdown_grace,
            local_addr,
            database,
            secret_key,
            bootstrap_key,
        })
    }

    /// The address actually listened on.
    #[must_use]
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The database the server uses.
    #[must_use]
    pub const fn database(&self) -> &Database {
        &self.database
    }

    /// The secret key in use.
    #[must_use]
    pub const fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }

    /// The admin key created because none existed, to be shown once.
    #[must_use]
    pub const fn bootstrap_key(&self) -> Option<&(ApiKey, ApiKeySecret)> {
        self.bootstrap_key.as_ref()
    }

    /// The runner (tests use it to kill what a dropped server left running).
    #[must_use]
    pub fn runner(&self) -> Runner {
        self.runner.clone()
    }

    /// The scheduler (tests tick it after moving their clock).
    #[must_use]
    pub fn scheduler(&self) -> Scheduler {
        self.scheduler.clone()
    }

    /// The execution service (tests queue due rate-limited runs as the watcher does).
    #[must_use]
    pub fn executions(&self) -> ExecutionService {
        self.executions.clone()
    }

    /// Planning sessions and research runs (tests advance them as the watcher does).
    #[must_use]
    pub fn planning(&self) -> PlanningService {
        self.planning.clone()
    }

    /// A handle to stop the server.
    #[must_use]
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or [`ServerHandle::stop`]), then drains in-flight requests.
    ///
    /// # Errors
    /// When the server fails while running.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (runner, driver, sessions) = (self.runner.clone(), self.driver.clone(), self.sessions.clone());
        let grace = self.shutdown_grace;
        let loops = background_loops(&self);
        let durations = run_metrics::watch_durations(self.executions.clone(), self.metrics.clone());
        let driving = self.driver.clone().map(|d| tokio::spawn(async move { d.run().await }));
        // Runs are told to stop as soon as the signal arrives, while HTTP drains.
        let on_signal = tokio::spawn(async move {
            shutdown_signal().await;
            tokio::join!(stop_runs(&runner, driver.as_ref(), grace), sessions.shutdown(grace));
        });
        let served = self.server.await;
        drop(loops);
        durations.abort();
        if on_signal.is_finished() {
            let _ = on_signal.await;
        } else {
            on_signal.abort();
            tokio::join!(stop_runs(&self.runner, self.driver.as_ref(), grace), self.sessions.shutdown(grace));
        }
        if let Some(driving) = driving {
            driving.abort();
        }
        stop_worker(self.worker, &self.workers, self.me.as_ref()).await;
        served
    }
}

/// Stops the runs and the workflow runs of this process, together, within `grace`.
pub(crate) async fn stop_runs(runner: &Runner, driver: Option<&agented_runner::WorkflowDriver>, grace: Duration) {
    let workflows = async {
        if let Some(driver) = driver {
            driver.shutdown(grace).await;
        }
    };
    tokio::join!(runner.shutdown(grace), workflows);
}

/// Stops taking jobs, then records the clean stop in the registry.
pub(crate) async fn stop_worker(handle: Option<WorkerHandle>, workers: &WorkerService, me: Option<&WorkerId>) {
    if let Some(handle) = handle {
        handle.stop().await;
    }
    if let Some(me) = me
        && let Err(e) = workers.stop(me).await
    {
        tracing::error!(worker = %me, error = %e, "could not record this worker's stop");
    }
}

/// Audits the creation of the first key (the actor is the server itself).
async fn record_bootstrap(audit: &dyn AuditLog, key: &ApiKey, clock: &dyn Clock) {
    let entry = AuditEntry {
        at: clock.now(),
        actor: "agented (start-up)".into(),
        action: "api_key.create".into(),
        entity_type: "api_key".into(),
        entity_id: Some(key.id.as_str().to_owned()),
        outcome: Outcome::Success,
        status: 0,
        changes: Some(
            serde_json::json!({ "name": key.name.as_str(), "scope": key.scope.as_str(), "reason": "no API key existed" }),
        ),
        request_id: None,
    };
    if let Err(e) = audit.record(entry).await {
        tracing::error!(error = %e, "could not write the audit record");
    }
}

pub(crate) async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

/// A live stream sends a comment after this much silence, so dead clients are noticed.
const STREAM_HEARTBEAT: Duration = Duration::from_secs(15);

/// Everything that runs bots, wired together.
pub(crate) struct Runs {
    pub(crate) triggers: agented_triggers::TriggerService,
    pub(crate) service: ExecutionService,
    pub(crate) follower: agented_executions::LogFollower,
    pub(crate) backends: agented_executions::BackendService,
    pub(crate) runner: Runner,
    pub(crate) worker: Option<WorkerHandle>,
    pub(crate) workers: WorkerService,
    pub(crate) me: Option<WorkerId>,
    pub(crate) components: Vec<Arc<dyn agented_kernel::ComponentHealth>>,
    pub(crate) webhooks: agented_executions::WebhookIntake,
    pub(crate) scheduler: Scheduler,
    pub(crate) service_handle: ExecutionService,
    pub(crate) orchestration: Orchestration,
    pub(crate) workflow_runs: agented_workflows::WorkflowRunService,
    /// Advances runs of workflows, in a process that runs jobs.
    pub(crate) driver: Option<agented_runner::WorkflowDriver>,
    pub(crate) agents: agented_workflows::AgentService,
    pub(crate) workflows: agented_workflows::WorkflowService,
    pub(crate) teams: agented_workflows::TeamService,
    pub(crate) pr_reviews: agented_executions::pr_reviews::PrReviewService,
    pub(crate) notifiers: agented_notifications::NotifierService,
    pub(crate) mcp_servers: agented_tooling::McpServerService,
    pub(crate) tooling_items: agented_tooling::ToolingItemService,
    pub(crate) plugins: agented_tooling::PluginService,
    /// `PATH` and the environment CLIs get (runs, workflows, sessions).
    pub(crate) env: (OsString, RunEnvironment),
}

/// Runs of workflows, and the signal that wakes this process's driver.
pub(crate) fn workflow_runs(
    database: &Database,
    clock: Arc<dyn Clock>,
) -> (agented_workflows::WorkflowRunService, Arc<tokio::sync::Notify>) {
    let wake = Arc::new(tokio::sync::Notify::new());
    let notify = wake.clone();
    let service = agented_workflows::WorkflowRunService::new(
        Arc::new(agented_store::SqlWorkflows::new(database.clone())),
        Arc::new(agented_store::SqlWorkflowRuns::new(database.clone())),
        clock,
        Arc::new(move || notify.notify_waiters()),
    );
    (service, wake)
}

/// Workflows, and teams over them, whose runs go through `runs`.
pub(crate) fn team_service(
    database: &Database,
    runs: &agented_workflows::WorkflowRunService,
    clock: Arc<dyn Clock>,
) -> (agented_workflows::WorkflowService, agented_workflows::TeamService) {
    let workflows = agented_workflows::WorkflowService::new(
        Arc::new(agented_store::SqlWorkflows::new(database.clone())),
        clock.clone(),
    );
    let teams = agented_workflows::TeamService::new(
        Arc::new(agented_store::SqlTeams::new(database.clone())),
        Arc::new(agented_store::SqlAgents::new(database.clone())),
        workflows.clone(),
        runs.clone(),
        clock,
    );
    (workflows, teams)
}

/// MCP servers, tested with what a run's environment would hold; `${NAME}` references
/// read from the server's variables.
fn mcp_servers(
    settings: &Settings,
    database: &Database,
    (path_env, base_env): (&OsString, &RunEnvironment),
    clock: Arc<dyn Clock>,
) -> Result<agented_tooling::McpServerService, StartupError> {
    let http = reqwest::Client::builder()
        .user_agent(concat!("agented/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StartupError::Files(format!("MCP tests: {e}")))?;
    let probe = crate::mcp_probe::McpProbes {
        path_env: path_env.clone(),
        base_env: base_env.vars().clone(),
        cwd: settings.runner.workspace_dir.join("mcp-tests"),
        http,
    };
    let vars = settings.environment_variables.0.clone();
    Ok(agented_tooling::McpServerService::new(
        Arc::new(agented_store::SqlMcpServers::new(database.clone())),
        Arc::new(probe),
        Arc::new(move |name: &str| vars.get(name).cloned()),
        clock,
    ))
}

/// The driver of workflow runs, in a process that runs jobs.
fn workflow_driver(
    settings: &Settings,
    database: &Database,
    (service, wake): (&agented_workflows::WorkflowRunService, Arc<tokio::sync::Notify>),
    clock: Arc<dyn Clock>,
    (me, agents): (&WorkerId, Arc<dyn agented_runner::workflow::AgentRuns>),
    env: (&OsString, &RunEnvironment),
    notices: Arc<dyn agented_kernel::Notices>,
) -> agented_runner::WorkflowDriver {
    let ports = agented_runner::DriverPorts {
        workflows: Arc::new(agented_store::SqlWorkflows::new(database.clone())),
        runs: Arc::new(agented_store::SqlWorkflowRuns::new(database.clone())),
        service: service.clone(),
        clock,
        agents: Some(agents),
        notices,
    };
    let options = agented_runner::DriverOptions {
        me: me.clone(),
        path_env: env.0.clone(),
        base_env: env.1.vars().clone(),
        workspace_dir: settings.runner.workspace_dir.clone(),
        parent_death: parent_death_helper(),
        // An unusable sandbox stops start-up when the runner is made; command nodes get the same.
        sandbox: sandbox(settings).unwrap_or(None),
        poll: WORKFLOW_POLL,
    };
    agented_runner::WorkflowDriver::new(ports, options, wake)
}

/// How often a workflow driver looks at its runs when nothing in this process woke it.
const WORKFLOW_POLL: Duration = Duration::from_millis(500);

/// This host's name, as workers register with it.
pub(crate) fn host_name() -> String {
    nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "localhost".to_owned())
}

/// Whether process `pid` of this host still exists (one we may not signal exists too).
fn process_alive(pid: i32) -> bool {
    use nix::errno::Errno;
    pid > 0 && !matches!(nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// `PATH` for CLIs: the configured folders first, then the server's own.
fn runner_path(settings: &Settings) -> OsString {
    let own = std::env::var_os("PATH").unwrap_or_default();
    let dirs = settings.runner.extra_path.iter().cloned().chain(std::env::split_paths(&own));
    std::env::join_paths(dirs).unwrap_or(own)
}

/// util-linux's `setpriv` at its system location (never looked up on a `PATH` a run's
/// configuration can change), which arms each run leader's parent-death signal.
pub(crate) fn parent_death_helper() -> Option<std::path::PathBuf> {
    let found = ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().map(std::path::PathBuf::from).find(|p| p.is_file());
    if found.is_none() {
        tracing::warn!(
            "setpriv (util-linux) not found: a run's CLI outlives a crashed server until the next start-up kills it"
        );
    }
    found
}

/// The sandbox runs get (`runner.sandbox`), with `bwrap` at its system location.
///
/// # Errors
/// `Files` when bubblewrap is asked for but not installed.
fn sandbox(settings: &Settings) -> Result<Option<agented_runner::sandbox::Sandbox>, StartupError> {
    if settings.runner.sandbox == crate::settings::SandboxKind::None {
        return Ok(None);
    }
    let bwrap = ["/usr/bin/bwrap", "/bin/bwrap"].into_iter().map(std::path::PathBuf::from).find(|p| p.is_file());
    let bwrap = bwrap.ok_or_else(|| {
        StartupError::Files(
            "runs: runner.sandbox is bubblewrap, but bwrap is not installed (Debian: apt install bubblewrap)".into(),
        )
    })?;
    Ok(Some(agented_runner::sandbox::Sandbox { bwrap, installations: settings.runner.extra_path.clone() }))
}

/// The timed background loops of a serving server; dropping them stops them.
fn background_loops(app: &Application) -> Vec<Ticker> {
    let (scheduler, executions, planning) = (app.scheduler.clone(), app.executions.clone(), app.planning.clone());
    let (ledger, clock, sessions) = (app.ledger.clone(), app.clock.clone(), app.sessions.clone());
    vec![
        // Sessions nobody typed into or read from for the idle timeout end.
        Ticker::start("idle sessions", app.session_tick, move || {
            let sessions = sessions.clone();
            async move { sessions.reap_idle().await.map(drop) }
        }),
        worker_loop(app.workers.clone(), app.me.clone(), app.runner.clone()),
        Ticker::start("scheduler", SCHEDULER_TICK, move || {
            let scheduler = scheduler.clone();
            async move { scheduler.tick().await.map(drop) }
        }),
        // Planning sessions and research runs advance as their runs finish, so a
        // research summary starts even when nobody is watching.
        Ticker::start("planning", PLANNING_TICK, move || {
            let planning = planning.clone();
            async move { planning.advance_all().await.map(drop) }
        }),
        Ticker::start("rate-limited requeue", RATE_LIMIT_TICK, move || {
            let executions = executions.clone();
            async move { executions.requeue_due().await.map(drop) }
        }),
        Ticker::start("dedup pruning", PRUNE_TICK, move || {
            let (ledger, now) = (ledger.clone(), clock.now());
            async move {
                let pruned = ledger.prune(now).await?;
                if pruned > 0 {
                    tracing::debug!(pruned, "expired webhook dedup records and schedule claims deleted");
                }
                Ok::<(), agented_triggers::TriggerStoreError>(())
            }
        }),
    ]
}

/// This process's heartbeat (when it runs jobs), then a sweep for workers that are gone.
pub(crate) fn worker_loop(workers: WorkerService, me: Option<WorkerId>, runner: Runner) -> Ticker {
    let every = (workers.lost_after() / 6).to_std().unwrap_or(Duration::from_secs(5)).max(Duration::from_millis(500));
    Ticker::start("workers", every, move || {
        let (workers, me, runner) = (workers.clone(), me.clone(), runner.clone());
        async move {
            if let Some(me) = &me {
                let running = u32::try_from(runner.running_count()).unwrap_or(u32::MAX);
                if !workers.beat(me, running).await? {
                    tracing::error!(worker = %me, "this worker was found lost by another process; its runs were interrupted");
                }
                runner.stop_ended_elsewhere().await;
            }
            let interrupted = workers.sweep(me.as_ref()).await?.interrupted;
            if !interrupted.is_empty() {
                // What is left of them on this host; /proc is read off the async threads.
                let _ = tokio::task::spawn_blocking(move || {
                    for id in &interrupted {
                        let killed = agented_runner::kill_marked(id.as_str());
                        if killed > 0 {
                            tracing::warn!(execution_id = %id, killed, "killed what was left of a lost worker's run");
                        }
                    }
                })
                .await;
            }
            Ok::<(), agented_executions::ExecStoreError>(())
        }
    })
}

/// The orchestration facade over the store, with the settings' rules.
fn orchestration(
    settings: &Settings,
    database: &Database,
    triggers: Arc<dyn agented_triggers::TriggerRepository>,
    backends: Arc<dyn agented_executions::BackendDirectory>,
    executions: Arc<dyn ExecutionRepository>,
    clock: Arc<dyn Clock>,
    (audit, notices): (Arc<dyn AuditLog>, Arc<dyn agented_kernel::Notices>),
) -> Orchestration {
    let o = &settings.orchestration;
    let retry_after = chrono::Duration::from_std(o.default_retry_after).unwrap_or(chrono::Duration::seconds(60));
    let rules = |patterns: &[String]| RateLimitRules::new(patterns, retry_after);
    let default_patterns: Vec<String> = o
        .rate_limit_patterns
        .get("default")
        .cloned()
        .unwrap_or_else(|| agented_orchestration::DEFAULT_PATTERNS.iter().map(|p| (*p).to_owned()).collect());
    let env = settings.environment_variables.0.clone();
    let budgets = Arc::new(SqlBudgets::new(database.clone()));
    Orchestration::new(
        OrchestrationPorts {
            accounts: Arc::new(SqlAccounts::new(database.clone())),
            budgets: budgets.clone(),
            spend: budgets,
            alerts: Arc::new(AuditAlerts::new(audit, clock.clone(), notices)),
            triggers,
            backends,
            executions,
            clock,
        },
        OrchestrationOptions {
            backend_rules: o
                .rate_limit_patterns
                .iter()
                .filter(|(k, _)| k.as_str() != "default")
                .map(|(k, v)| (k.clone(), rules(v)))
                .collect(),
            default_rules: rules(&default_patterns),
            backoff: Backoff {
                base: chrono::Duration::from_std(o.backoff_base).unwrap_or(chrono::Duration::seconds(60)),
                cap: chrono::Duration::from_std(o.backoff_cap).unwrap_or(chrono::Duration::hours(1)),
                max_attempts: o.max_rate_limit_attempts,
            },
            timezone: o.timezone,
            env: Arc::new(move |name: &str| env.get(name).cloned()),
            default_reservation_usd: o.default_reservation_usd,
        },
    )
}

/// Opens the queue, recovers what a previous process left, and starts the worker.
pub(crate) async fn start_runs(
    settings: &Settings,
    data_dir: &std::path::Path,
    database: &Database,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditLog>,
    metrics: &Metrics,
    runs_jobs: bool,
) -> Result<Runs, StartupError> {
    let me = WorkerId::generate();
    let stored_triggers = Arc::new(SqlTriggers::new(database.clone()));
    // Every trigger write in this process goes through this one cache.
    let triggers: Arc<dyn agented_triggers::TriggerRepository> =
        Arc::new(agented_triggers::CachedTriggers::new(stored_triggers.clone()));
    let store = Arc::new(SqlExecutions::new(database.clone()));
    // Every status written in this process is announced to the live lists.
    let changes = agented_executions::ChangeFeed::default();
    let executions: Arc<dyn ExecutionRepository> =
        Arc::new(agented_executions::WatchedExecutions::new(store.clone(), changes.clone()));
    let backends = Arc::new(SqlBackends::new(database.clone()));
    let notifiers = crate::notify::service(
        settings,
        Arc::new(agented_store::SqlNotifiers::new(database.clone())),
        triggers.clone(),
        clock.clone(),
    )
    .map_err(StartupError::Files)?;
    let told: Arc<dyn agented_kernel::Notices> = Arc::new(notifiers.clone());
    let orchestration = orchestration(
        settings,
        database,
        triggers.clone(),
        backends.clone(),
        executions.clone(),
        clock.clone(),
        (audit, told.clone()),
    );
    let bus: Arc<dyn agented_executions::LogBus> =
        Arc::new(CountingBus::new(Arc::new(MemoryLogBus::new()), metrics.clone()));
    let path_env = runner_path(settings);
    let queue = Arc::new(open_queue(settings).await?);
    let base_env = RunEnvironment::base(&settings.runner.env_passthrough, &|name| {
        settings.environment_variables.0.get(name).cloned()
    });
    let env_for_workflows = (path_env.clone(), base_env.clone());
    let mcp_servers = mcp_servers(settings, database, (&path_env, &base_env), clock.clone())?;
    let plugins = agented_tooling::PluginService::new(
        Arc::new(agented_store::SqlPlugins::new(database.clone())),
        Arc::new(agented_store::SqlToolingItems::new(database.clone())),
        Arc::new(crate::plugin_files::LocalPluginFiles {
            scratch: settings.runner.workspace_dir.join("plugin-imports"),
            path_env: path_env.clone(),
            base_env: base_env.vars().clone(),
        }),
        clock.clone(),
    );
    let pr_reviews = agented_executions::pr_reviews::PrReviewService::new(
        Arc::new(agented_store::SqlPrReviews::new(database.clone())),
        clock.clone(),
    );
    let runner = Runner::new(
        RunnerPorts {
            executions: executions.clone(),
            logs: store.clone(),
            bus: bus.clone(),
            triggers: triggers.clone(),
            orchestration: orchestration.clone(),
            clock: clock.clone(),
            queue: queue.clone(),
            reporter: Arc::new(agented_executions::Reporters(vec![
                Arc::new(agented_executions::pr_reviews::PrReviewTracker(pr_reviews.clone())),
                crate::github_writeback::reporter(settings, triggers.clone())?,
            ])),
            notices: told.clone(),
        },
        RunnerOptions {
            path_env: path_env.clone(),
            base_env,
            data_dir: data_dir.to_owned(),
            workspace_dir: settings.runner.workspace_dir.clone(),
            clones_dir: settings.runner.workspace_dir.join("runs"),
            workspaces: agented_runner::workspace::WorkspacePolicy {
                keep_succeeded: settings.runner.keep_succeeded_workspaces,
                keep_failed: settings.runner.keep_failed_workspaces,
                max_bytes: settings.runner.workspace_max_mb.saturating_mul(1024 * 1024),
            },
            max_log_lines: settings.runner.max_log_lines,
            stall_timeout_seconds: settings.runner.stall_timeout_seconds,
            prices: Arc::new(settings.pricing.table()),
            parent_death: parent_death_helper(),
            sandbox: sandbox(settings)?,
            server_env: agented_runner::setup::ServerEnv(settings.environment_variables.0.clone()),
            worker: me.clone(),
            labels: settings.runner.labels.clone(),
        },
    );
    let workers = WorkerService::new(
        Arc::new(agented_store::SqlWorkers::new(database.clone())),
        executions.clone(),
        clock.clone(),
        chrono::Duration::from_std(settings.runner.worker_lost_after).unwrap_or(chrono::Duration::seconds(30)),
        LocalHost { name: host_name(), alive: Arc::new(process_alive) },
    )
    .with_notices(told.clone());
    let recovered = recover(&workers, None, &executions)
        .await
        .map_err(|e| StartupError::Recovery(e.to_string()))?
        .interrupted
        .len();
    match agented_runner::tooling::sweep_folders(data_dir, executions.as_ref()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(folders = n, "tooling folders of runs that no longer run removed"),
        Err(e) => tracing::warn!(error = %e, "could not sweep the runs' tooling folders"),
    }
    let queued =
        executions.with_status(ExecutionStatus::Queued).await.map_err(|e| StartupError::Recovery(e.to_string()))?;
    // Their jobs may have been lost with the previous process; a duplicate job is harmless.
    for execution in &queued {
        queue.enqueue(&execution.execution_id).await.map_err(|e| StartupError::Recovery(e.to_string()))?;
    }
    // Deliveries a previous process left pending are sent now (receivers drop repeats by webhook-id).
    match notifiers.resume().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deliveries = n, "pending notifications resumed"),
        Err(e) => tracing::error!(error = %e, "could not resume pending notifications"),
    }
    if recovered > 0 || !queued.is_empty() {
        tracing::info!(interrupted = recovered, requeued = queued.len(), "runs recovered at start-up");
    }
    let handler_runner = runner.clone();
    let handler = RunHandler::new(move |id| {
        let runner = handler_runner.clone();
        Box::pin(async move { runner.run(&id).await })
    });
    let worker = if runs_jobs {
        let capacity = u32::try_from(settings.runner.max_parallel_runs).unwrap_or(u32::MAX);
        let pid = i32::try_from(std::process::id()).unwrap_or(0);
        workers
            .register(&me, pid, settings.runner.labels.clone(), capacity, env!("CARGO_PKG_VERSION"))
            .await
            .map_err(|e| StartupError::Recovery(format!("cannot register this worker: {e}")))?;
        Some(start_worker(&queue, handler, settings.runner.max_parallel_runs, me.as_str()))
    } else {
        None
    };
    // On PostgreSQL, stream followers are woken by the store's notices of runs other processes write.
    let notices = match &*queue {
        JobQueue::Postgres(q) => {
            Some(Arc::new(PgNotices::listen(q.pool(), &settings.database.location.to_string()).await?))
        }
        JobQueue::Sqlite(_) => None,
    };
    let components: Vec<Arc<dyn agented_kernel::ComponentHealth>> = vec![queue.clone(), Arc::new(runner.clone())];
    let executions_for_follower = executions.clone();
    let (workflow_runs, wake) = workflow_runs(database, clock.clone());
    let agent_store = Arc::new(agented_store::SqlAgents::new(database.clone()));
    let (workflows, teams) = team_service(database, &workflow_runs, clock.clone());
    let service = ExecutionService::new(triggers.clone(), executions, queue, Arc::new(runner.clone()), clock.clone())
        .with_untrusted_limit(settings.max_untrusted_chars)
        .with_overview(stored_triggers)
        .with_changes(changes)
        .with_workflows(Arc::new(crate::trigger_workflows::TriggerWorkflows::new(teams.clone(), workflow_runs.clone())))
        .with_tooling(Arc::new(agented_tooling::StoredTooling {
            servers: Arc::new(agented_store::SqlMcpServers::new(database.clone())),
            items: Arc::new(agented_store::SqlToolingItems::new(database.clone())),
        }));
    let ledger: Arc<dyn agented_triggers::DedupLedger> = Arc::new(agented_store::SqlDedup::new(database.clone()));
    let webhooks = agented_executions::WebhookIntake::new(
        triggers.clone(),
        service.clone(),
        ledger.clone(),
        clock.clone(),
        agented_executions::RepeatWindows {
            payload: settings.webhooks.dedup_window,
            message_id: settings.webhooks.timestamp_tolerance * 2,
            github_body: settings.webhooks.github_replay_window,
        },
    )
    .with_github_secret(settings.github.webhook_secret.as_deref().map(str::to_owned))
    .with_mention_handle(Some(settings.github.bot_handle.clone()))
    .with_pr_reviews(pr_reviews.clone())
    .with_inspector(agented_executions::Inspector {
        // Written behind the answer: a delivery never waits on its inspector record.
        log: Arc::new(agented_executions::QueuedDeliveryLog::start(Arc::new(agented_store::SqlDeliveries::new(
            database.clone(),
        )))),
        keep: settings.webhooks.keep_deliveries,
    });
    let scheduler = Scheduler::new(triggers.clone(), service.clone(), ledger, clock.clone());
    let mut follower = agented_executions::LogFollower::new(executions_for_follower, store, bus, STREAM_HEARTBEAT);
    if let Some(notices) = notices {
        follower = follower.with_signal(notices);
    }
    let owner = TriggerId::parse(agented_triggers::AGENTS.id).map_err(|e| StartupError::Recovery(e.to_string()))?;
    let launcher = crate::agent_runs::ExecutionLauncher::new(
        service.clone(),
        follower.clone(),
        owner,
        settings.max_untrusted_chars,
    );
    let agent_service = agented_workflows::AgentService::new(agent_store, Arc::new(launcher.clone()), clock.clone());
    let agents: Arc<dyn agented_runner::workflow::AgentRuns> =
        Arc::new(crate::agent_runs::WorkflowAgents::new(launcher, agent_service.clone()));
    let driver = runs_jobs.then(|| {
        workflow_driver(
            settings,
            database,
            (&workflow_runs, wake),
            clock.clone(),
            (&me, agents),
            (&env_for_workflows.0, &env_for_workflows.1),
            told,
        )
    });
    Ok(Runs {
        triggers: agented_triggers::TriggerService::new(triggers, Arc::new(orchestration.clone()), clock.clone()),
        service_handle: service.clone(),
        orchestration,
        service,
        follower,
        backends: agented_executions::BackendService::new(
            backends,
            Arc::new(PathProbe::new(path_env, clock.clone())),
            clock.clone(),
        ),
        runner,
        worker,
        workers,
        me: runs_jobs.then_some(me),
        workflow_runs,
        driver,
        agents: agent_service,
        workflows,
        teams,
        pr_reviews,
        notifiers,
        mcp_servers,
        plugins,
        tooling_items: agented_tooling::ToolingItemService::new(
            Arc::new(agented_store::SqlToolingItems::new(database.clone())),
            clock,
        ),
        components,
        webhooks,
        scheduler,
        env: env_for_workflows,
    })
}
