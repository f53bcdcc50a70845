//! [`TestApp`]: one real server per test.

use crate::CapturedLogs;
use agented_executions::Scheduler;
use agented_http::app::ActixServiceConfig;
use agented_kernel::Clock;
use agented_server::startup::Application;
use agented_server::{Overrides, Settings, Sources};
use agented_store::Database;
use agented_store::testing::Scratch;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The workspace root (where `config/` and `web/` live).
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("../.."))
}

/// A running server with its own temporary data folder, stopped on drop.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The data folder (database, secret key).
    pub data_dir: PathBuf,
    /// Where runs without a project work (`runner.workspace_dir`; clones go under `runs/`).
    pub workspace_dir: PathBuf,
    /// The database the server uses.
    pub database: Database,
    /// An HTTP client sending the admin key.
    pub client: reqwest::Client,
    /// An HTTP client sending no key.
    pub anonymous: reqwest::Client,
    /// The admin key created at start-up.
    pub admin_key: String,
    /// Everything logged by this test process.
    pub logs: CapturedLogs,
    /// Folder holding the fake CLIs (`claude`, `codex`, `gemini`, `opencode` → fake-bot).
    pub fake_bin: PathBuf,
    /// The server's scheduler: tick it after moving the clock given to the builder.
    pub scheduler: Scheduler,
    /// The execution service: `requeue_due` queues due rate-limited runs, as the server's watcher does.
    pub executions: agented_executions::ExecutionService,
    /// Planning work: `advance_all` does what the server's watcher does every 2 s.
    pub planning: agented_roadmaps::planning::PlanningService,
    handle: agented_http::app::ServerHandle,
    runner: agented_runner::Runner,
    env: HashMap<String, String>,
    extra_routes: Option<fn(&mut ActixServiceConfig)>,
    clock: Option<Arc<dyn Clock>>,
    no_worker: bool,
    /// The default workspace, removed with the data folder.
    default_workspace: Option<PathBuf>,
    /// Taken by `restart`; dropped (deleting the folder) with the last server.
    /// `None` for a peer, which shares another server's folder.
    dir: Option<Scratch>,
}

/// The fake-bot program, built if this test run has not built it yet.
///
/// # Panics
/// When it cannot be built.
#[must_use]
pub fn fake_bot() -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    test_program("fake-bot", &BUILT)
}

/// The fake MCP server (stdio), built if this test run has not built it yet.
///
/// # Panics
/// When it cannot be built.
#[must_use]
pub fn fake_mcp() -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    test_program("fake-mcp", &BUILT)
}

/// The test support crate's program `name` under the target folder, built once per test run.
fn test_program(name: &str, built: &std::sync::Once) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    built.call_once(|| {
        let mut cargo = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        // Without the variables cargo set for this test: build scripts such as ring's
        // track them, so building under them would mark every crate above ring stale
        // for the next plain `cargo test`, and both would rebuild in turn.
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(is_package_variable) {
                cargo.env_remove(key);
            }
        }
        let status = cargo
            .args(["build", "--quiet", "-p", "agented_test_support", "--bin", name])
            .current_dir(workspace_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building {name} failed");
    });
    target.join("debug").join(name)
}

/// The variables cargo sets for one package's build or test run, not for cargo itself.
fn is_package_variable(key: &str) -> bool {
    ["CARGO_PKG_", "CARGO_BIN_EXE_", "CARGO_MANIFEST_"].iter().any(|prefix| key.starts_with(prefix))
        || matches!(
            key,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR" | "OUT_DIR"
        )
}

/// A folder with the fake bot installed under every CLI name.
///
/// # Panics
/// When the links cannot be made.
pub fn install_fake_clis(dir: &Path) {
    std::fs::create_dir_all(dir).expect("bin folder");
    let bot = fake_bot();
    for name in ["claude", "codex", "gemini", "opencode"] {
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(&bot, link).expect("symlink");
        }
    }
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp").field("address", &self.address).finish_non_exhaustive()
    }
}

/// Builds a [`TestApp`] with extra environment variables or routes.
#[derive(Default)]
pub struct TestAppBuilder {
    env: HashMap<String, String>,
    extra_routes: Option<fn(&mut ActixServiceConfig)>,
    dist: Option<PathBuf>,
    clock: Option<Arc<dyn Clock>>,
    no_worker: bool,
}

impl std::fmt::Debug for TestAppBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAppBuilder").field("env", &self.env).finish_non_exhaustive()
    }
}

impl TestAppBuilder {
    /// Sets an environment variable as the server would see it.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Mounts extra routes (probe handlers that only tests need).
    #[must_use]
    pub fn routes(mut self, routes: fn(&mut ActixServiceConfig)) -> Self {
        self.extra_routes = Some(routes);
        self
    }

    /// Gives the server this clock (a `ManualClock`: the test decides what time it is).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Serves the API and the dashboard only, as `serve --no-worker`: runs wait for a worker.
    #[must_use]
    pub const fn no_worker(mut self) -> Self {
        self.no_worker = true;
        self
    }

    /// Serves the dashboard from `dist` instead of a small generated one.
    #[must_use]
    pub fn web_dist(mut self, dist: &Path) -> Self {
        self.dist = Some(dist.to_owned());
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    /// When the server cannot start: the test cannot go on.
    pub async fn spawn(self) -> TestApp {
        // A temporary folder, and on PostgreSQL runs (AGENTED_TEST_POSTGRES_URL) a fresh database.
        let dir = Scratch::new();
        let data_dir = dir.path().join("data");
        let dist = self.dist.unwrap_or_else(|| {
            let dist = dir.path().join("dist");
            std::fs::create_dir_all(dist.join("assets")).expect("dist folder");
            std::fs::write(dist.join("index.html"), "<!doctype html><title>Agented</title><div id=\"app\"></div>")
                .expect("index");
            std::fs::write(dist.join("assets/app-1a2b3c.js"), "console.log('agented')").expect("asset");
            dist
        });
        let fake_bin = dir.path().join("bin");
        install_fake_clis(&fake_bin);
        let mut env = HashMap::from([
            ("AGENTED__RUNNER__EXTRA_PATH".to_owned(), fake_bin.display().to_string()),
            ("AGENTED_ENV".to_owned(), "test".to_owned()),
            ("AGENTED__DATA_DIR".to_owned(), data_dir.display().to_string()),
            ("AGENTED__WEB__DIST_DIR".to_owned(), dist.display().to_string()),
        ]);
        if let agented_store::Location::Postgres(url) = dir.location() {
            env.insert("AGENTED__DATABASE__URL".to_owned(), url.clone());
        }
        env.extend(self.env);
        let parts = Parts {
            data_dir,
            fake_bin,
            env,
            extra_routes: self.extra_routes,
            clock: self.clock,
            no_worker: self.no_worker,
        };
        start(Some(dir), parts, None).await
    }
}

/// What a server is started from, kept for restarts and peers.
#[derive(Clone)]
struct Parts {
    data_dir: PathBuf,
    fake_bin: PathBuf,
    env: HashMap<String, String>,
    extra_routes: Option<fn(&mut ActixServiceConfig)>,
    clock: Option<Arc<dyn Clock>>,
    no_worker: bool,
}

/// Builds and starts a server over `parts.data_dir` (`admin_key`: the key of an earlier start).
async fn start(dir: Option<Scratch>, parts: Parts, admin_key: Option<String>) -> TestApp {
    let logs = CapturedLogs::global();
    let sources = Sources { config_dir: workspace_root().join("config"), dotenv: None, env: parts.env.clone() };
    let settings = Settings::load(&sources).expect("test settings");
    let overrides =
        Overrides { extra_routes: parts.extra_routes, clock: parts.clock.clone(), no_worker: parts.no_worker };
    let app = Application::build(&settings, overrides).await.expect("server starts");
    let address = format!("http://{}", app.local_addr());
    let database = app.database().clone();
    let admin_key = admin_key
        .unwrap_or_else(|| app.bootstrap_key().map(|(_, secret)| secret.expose().to_owned()).unwrap_or_default());
    let handle = app.handle();
    let runner = app.runner();
    let scheduler = app.scheduler();
    let executions = app.executions();
    let planning = app.planning();
    tokio::spawn(app.run_until_stopped());
    // The default workspace is this data folder's own folder under the temp folder: it goes with it.
    let default_workspace = settings.runner.default_workspace.then(|| settings.runner.workspace_dir.clone());
    TestApp {
        address,
        default_workspace,
        workspace_dir: settings.runner.workspace_dir.clone(),
        data_dir: parts.data_dir,
        database,
        client: client(Some(&admin_key)),
        anonymous: client(None),
        admin_key,
        logs,
        fake_bin: parts.fake_bin,
        scheduler,
        executions,
        planning,
        handle,
        runner,
        env: parts.env,
        extra_routes: parts.extra_routes,
        clock: parts.clock,
        no_worker: parts.no_worker,
        dir,
    }
}

/// A client that does not follow redirects and sends `key`, if any, as `X-API-Key`.
///
/// # Panics
/// When the key is not a valid header value.
#[must_use]
pub fn client(key: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(key) = key.filter(|k| !k.is_empty()) {
        headers.insert("x-api-key", key.parse().expect("a header-safe key"));
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client")
}

impl TestApp {
    /// Stops this server as SIGTERM would and starts a new one on the same data
    /// folder and settings (a restart: a new port, the same database).
    pub async fn restart(mut self) -> Self {
        self.runner.shutdown(std::time::Duration::from_secs(1)).await;
        self.handle.stop(true).await;
        let dir = self.dir.take();
        let (parts, key) = (self.parts(), self.admin_key.clone());
        drop(self);
        start(dir, parts, Some(key)).await
    }

    /// A second server on this one's data folder, settings and clock, running
    /// beside it (two processes on one database). Drop it before this one.
    pub async fn peer(&self) -> Self {
        start(None, self.parts(), Some(self.admin_key.clone())).await
    }

    /// A second server on this one's data folder that runs jobs, whatever this one does
    /// (beside a `no_worker` server: a worker for its queue).
    pub async fn worker_peer(&self) -> Self {
        start(None, Parts { no_worker: false, ..self.parts() }, Some(self.admin_key.clone())).await
    }

    /// The SQLite file, or `None` when this run's store is PostgreSQL.
    #[must_use]
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        (!self.env.contains_key("AGENTED__DATABASE__URL")).then(|| self.data_dir.join("agented.db"))
    }

    fn parts(&self) -> Parts {
        Parts {
            data_dir: self.data_dir.clone(),
            fake_bin: self.fake_bin.clone(),
            env: self.env.clone(),
            extra_routes: self.extra_routes,
            clock: self.clock.clone(),
            no_worker: self.no_worker,
        }
    }

    /// Starts the runner's shutdown as SIGTERM would (running bots get `grace`), leaving HTTP up.
    pub async fn shut_down_runner(&self, grace: std::time::Duration) {
        self.runner.shutdown(grace).await;
    }

    /// A server with the test configuration.
    pub async fn spawn() -> Self {
        TestAppBuilder::default().spawn().await
    }

    /// A builder for a customised server.
    #[must_use]
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// `address` + `path`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates a key through the API and returns the key text.
    ///
    /// # Panics
    /// When the server refuses.
    pub async fn create_key(&self, name: &str, scope: &str) -> String {
        let res = self
            .client
            .post(self.url("/admin/api-keys"))
            .json(&serde_json::json!({ "name": name, "scope": scope }))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status(), 201, "creating key {name}");
        let body: serde_json::Value = res.json().await.expect("json");
        body["key"].as_str().expect("key in the response").to_owned()
    }

    /// GET `path`.
    ///
    /// # Panics
    /// When the server cannot be reached.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and drop the workers; the temp folder goes with `dir`.
        drop(self.handle.stop(false));
        // The runtime ends with the test: no run of this server may outlive it.
        self.runner.kill_all_now();
        if let (Some(_), Some(workspace)) = (&self.dir, self.default_workspace.as_ref().and_then(|w| w.parent())) {
            let _ = std::fs::remove_dir_all(workspace);
        }
    }
}
