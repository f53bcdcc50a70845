//! The workflow driver: claims runs of workflows from the store (those without a live
//! driver), and advances each by the domain's rules ([`agented_workflows::next_steps`]),
//! storing every node transition before acting on it. It holds nothing the store does
//! not: a driver that dies (kill -9) leaves its runs to the next claim, which resumes
//! them from their stored nodes without starting a finished node again.

mod agents;
mod drive;
mod nodes;

use crate::process::StopReason;
use agented_kernel::{Clock, WorkerId};
use agented_workflows::{WorkflowRepository, WorkflowRunRepository, WorkflowRunService, WorkflowStoreError};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, watch};

pub use agents::{AgentRuns, AgentState};
pub use nodes::MAX_COMMAND_OUTPUT;

/// What the driver reads and writes.
#[derive(Clone)]
pub struct DriverPorts {
    /// Workflow definitions (a run's fixed version).
    pub workflows: Arc<dyn WorkflowRepository>,
    /// Runs and their nodes.
    pub runs: Arc<dyn WorkflowRunRepository>,
    /// Starts sub-workflows.
    pub service: WorkflowRunService,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Runs agent nodes as executions; `None` refuses agent nodes.
    pub agents: Option<Arc<dyn AgentRuns>>,
    /// Told when an approval node starts waiting.
    pub notices: Arc<dyn agented_kernel::Notices>,
}

/// How the driver runs nodes.
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// This process in the worker registry: the driver recorded on the runs it takes.
    pub me: WorkerId,
    /// `PATH` for command nodes.
    pub path_env: OsString,
    /// The environment of command nodes besides `PATH` (never the server's secrets).
    pub base_env: BTreeMap<String, String>,
    /// Command nodes work in a folder of their own under `workflows/` here, removed after.
    pub workspace_dir: PathBuf,
    /// util-linux's `setpriv`: a command node's process dies with the server.
    pub parent_death: Option<PathBuf>,
    /// Command nodes run under `bwrap` (`runner.sandbox`), writing only in their folder.
    pub sandbox: Option<crate::sandbox::Sandbox>,
    /// How often runs are looked at when nothing wakes the driver (other processes' changes).
    pub poll: Duration,
}

pub(crate) struct Shared {
    runs: Arc<dyn WorkflowRunRepository>,
    workflows: Arc<dyn WorkflowRepository>,
    service: WorkflowRunService,
    clock: Arc<dyn Clock>,
    agents: Option<Arc<dyn AgentRuns>>,
    notices: Arc<dyn agented_kernel::Notices>,
    options: DriverOptions,
    wake: Arc<Notify>,
    stopping: AtomicBool,
    /// Runs driven now, with the way to stop each.
    driving: Mutex<HashMap<String, watch::Sender<Option<StopReason>>>>,
}

impl Shared {
    /// Stores on node `node` the summed cost of the executions it started.
    async fn record_cost(
        &self,
        run: &agented_kernel::WorkflowRunId,
        node: &agented_workflows::NodeId,
        agents: &dyn AgentRuns,
    ) {
        let Ok(Some(stored)) = self.runs.get_run(run).await else { return };
        let Some(mut record) = stored.node(node).cloned() else { return };
        let mut total = None;
        for child in record.children.iter().filter_map(|c| agented_kernel::ExecutionId::parse(c).ok()) {
            if let Ok(Some(AgentState::Ended { cost_usd: Some(c), .. })) = agents.state(&child).await {
                total = Some(total.unwrap_or(0.0) + c);
            }
        }
        record.cost_usd = total;
        if let Err(e) = self.runs.save_node(run, &record).await {
            tracing::warn!(workflow_execution_id = %run, error = %e, "could not record an agent node's cost");
        }
    }

    fn driving(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<Option<StopReason>>>> {
        self.driving.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Claims and advances runs of workflows; clones share one driver.
#[derive(Clone)]
pub struct WorkflowDriver(Arc<Shared>);

impl std::fmt::Debug for WorkflowDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowDriver").field("me", &self.0.options.me).finish_non_exhaustive()
    }
}

impl WorkflowDriver {
    /// A driver over `ports`; `wake` is the notifier the run service was given, so a start,
    /// a cancel or a decision in this process is acted on at once.
    #[must_use]
    pub fn new(ports: DriverPorts, options: DriverOptions, wake: Arc<Notify>) -> Self {
        Self(Arc::new(Shared {
            runs: ports.runs,
            workflows: ports.workflows,
            service: ports.service,
            clock: ports.clock,
            agents: ports.agents,
            notices: ports.notices,
            options,
            wake,
            stopping: AtomicBool::new(false),
            driving: Mutex::new(HashMap::new()),
        }))
    }

    /// Claims every run it may drive (unheld, held by a gone driver, or its own but not
    /// driven) and starts driving the new ones; returns how many it started.
    ///
    /// # Errors
    /// The store's, when the claim fails.
    pub async fn claim(&self) -> Result<usize, WorkflowStoreError> {
        if self.0.stopping.load(Ordering::SeqCst) {
            return Ok(0);
        }
        let claimed = self.0.runs.claim(&self.0.options.me).await?;
        let mut started = 0;
        for id in claimed {
            let mut driving = self.0.driving();
            if driving.contains_key(id.as_str()) || self.0.stopping.load(Ordering::SeqCst) {
                continue;
            }
            let (tx, rx) = watch::channel(None);
            driving.insert(id.as_str().to_owned(), tx);
            drop(driving);
            tokio::spawn(drive::drive(self.0.clone(), id, rx));
            started += 1;
        }
        Ok(started)
    }

    /// Claims on every wake and every `poll` until [`Self::shutdown`].
    pub async fn run(&self) {
        while !self.0.stopping.load(Ordering::SeqCst) {
            let woken = self.0.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if let Err(e) = self.claim().await {
                tracing::error!(error = %e, "could not claim workflow runs");
            }
            let _ = tokio::time::timeout(self.0.options.poll, woken).await;
        }
    }

    /// Runs driven by this process now.
    #[must_use]
    pub fn driving_count(&self) -> usize {
        self.0.driving().len()
    }

    /// Stops driving: each run's nodes are stopped (a command's process group gets SIGTERM,
    /// then SIGKILL after `grace`), their states stay as stored, and the runs are released
    /// for the next driver, which resumes them.
    pub async fn shutdown(&self, grace: Duration) {
        self.0.stopping.store(true, Ordering::SeqCst);
        for stop in self.0.driving().values() {
            let _ = stop.send(Some(StopReason::Shutdown));
        }
        self.0.wake.notify_waiters();
        let deadline = tokio::time::Instant::now() + grace + Duration::from_secs(2);
        while self.driving_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Err(e) = self.0.runs.release(&self.0.options.me).await {
            tracing::error!(error = %e, "could not release the workflow runs this process drove");
        }
    }
}
