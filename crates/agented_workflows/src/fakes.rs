//! In-memory [`WorkflowRepository`] and [`WorkflowRunRepository`] for tests of the services (feature `fakes`),
//! keeping the port's contract: version numbers one past the newest, versions deleted
//! with their workflow.

use crate::agent::Agent;
use crate::definition::{Workflow, WorkflowFields, WorkflowVersion};
use crate::document::GraphDocument;
use crate::graph::Graph;
use crate::node::NodeId;
use crate::node::NodeKind;
use crate::output::NodeOutput;
use crate::ports::{
    AgentLauncher, AgentRepository, LaunchError, RunEnding, TeamRepository, WorkflowRepository, WorkflowRunRepository,
    WorkflowStoreError,
};
use crate::progress::{AfterFailure, NodeState, RunEnd, Step, after_failure, next_steps};
use crate::run::{Decision, NodeRun, RunClaim, RunOrigin, RunStatus, WorkflowRun};
use crate::team::Team;
use agented_kernel::{AgentId, TeamId, WorkerId, WorkflowId, WorkflowRunId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Workflows and versions in memory.
#[derive(Debug, Default)]
pub struct MemoryWorkflows {
    state: Mutex<(Vec<Workflow>, Vec<WorkflowVersion>)>,
}

impl MemoryWorkflows {
    fn lock(&self) -> MutexGuard<'_, (Vec<Workflow>, Vec<WorkflowVersion>)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `w` with its version numbers as `versions` stand.
fn with_versions(mut w: Workflow, versions: &[WorkflowVersion]) -> Workflow {
    let own = || versions.iter().filter(|v| v.workflow_id == w.id);
    w.latest_version = own().map(|v| v.version).max();
    w.published_version = own().filter(|v| !v.is_draft).map(|v| v.version).max();
    w
}

#[async_trait]
impl WorkflowRepository for MemoryWorkflows {
    async fn list(&self) -> Result<Vec<Workflow>, WorkflowStoreError> {
        let state = self.lock();
        Ok(state.0.iter().cloned().map(|w| with_versions(w, &state.1)).collect())
    }

    async fn get(&self, id: &WorkflowId) -> Result<Option<Workflow>, WorkflowStoreError> {
        let state = self.lock();
        Ok(state.0.iter().find(|w| &w.id == id).cloned().map(|w| with_versions(w, &state.1)))
    }

    async fn insert(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Workflow, WorkflowStoreError> {
        let workflow = Workflow {
            id: id.clone(),
            fields: fields.clone(),
            latest_version: None,
            published_version: None,
            created_at: at,
            updated_at: at,
        };
        self.lock().0.push(workflow.clone());
        Ok(workflow)
    }

    async fn update(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Option<Workflow>, WorkflowStoreError> {
        let mut state = self.lock();
        let (workflows, versions) = &mut *state;
        Ok(workflows.iter_mut().find(|w| &w.id == id).map(|w| {
            w.fields = fields.clone();
            w.updated_at = at;
            with_versions(w.clone(), versions)
        }))
    }

    async fn delete(&self, id: &WorkflowId) -> Result<bool, WorkflowStoreError> {
        let mut state = self.lock();
        let before = state.0.len();
        state.0.retain(|w| &w.id != id);
        state.1.retain(|v| &v.workflow_id != id);
        Ok(state.0.len() < before)
    }

    async fn versions(&self, id: &WorkflowId) -> Result<Vec<WorkflowVersion>, WorkflowStoreError> {
        let mut versions: Vec<WorkflowVersion> =
            self.lock().1.iter().filter(|v| &v.workflow_id == id).cloned().collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(versions)
    }

    async fn version(&self, id: &WorkflowId, version: i64) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        Ok(self.lock().1.iter().find(|v| &v.workflow_id == id && v.version == version).cloned())
    }

    async fn add_version(
        &self,
        id: &WorkflowId,
        graph: &GraphDocument,
        is_draft: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        let mut state = self.lock();
        let Some(workflow) = state.0.iter_mut().find(|w| &w.id == id) else { return Ok(None) };
        workflow.updated_at = at;
        let version = state.1.iter().filter(|v| &v.workflow_id == id).map(|v| v.version).max().unwrap_or(0) + 1;
        let stored =
            WorkflowVersion { workflow_id: id.clone(), version, graph: graph.clone(), is_draft, created_at: at };
        state.1.push(stored.clone());
        Ok(Some(stored))
    }

    async fn publish(
        &self,
        id: &WorkflowId,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        let mut state = self.lock();
        let (workflows, versions) = &mut *state;
        let Some(found) = versions.iter_mut().find(|v| &v.workflow_id == id && v.version == version) else {
            return Ok(None);
        };
        found.is_draft = false;
        if let Some(w) = workflows.iter_mut().find(|w| &w.id == id) {
            w.updated_at = at;
        }
        Ok(Some(found.clone()))
    }
}

/// Runs in memory, keeping [`WorkflowRunRepository`]'s contract: writes to an ended run
/// are dropped, a decision is taken once, and a claim takes runs with no driver or a
/// driver marked gone ([`MemoryWorkflowRuns::gone`]).
#[derive(Debug, Default)]
pub struct MemoryWorkflowRuns {
    state: Mutex<RunsState>,
}

/// Each run with its driver, the drivers marked gone, and the claims held (trigger, key, until).
type RunsState = (Vec<(WorkflowRun, Option<WorkerId>)>, Vec<WorkerId>, Vec<(String, String, DateTime<Utc>)>);

impl MemoryWorkflowRuns {
    fn lock(&self) -> MutexGuard<'_, RunsState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `worker` stopped or lost, as the worker registry would.
    pub fn gone(&self, worker: &WorkerId) {
        self.lock().1.push(worker.clone());
    }

    /// The driver of run `id`.
    #[must_use]
    pub fn driver_of(&self, id: &WorkflowRunId) -> Option<WorkerId> {
        self.lock().0.iter().find(|(r, _)| &r.id == id).and_then(|(_, d)| d.clone())
    }
}

#[async_trait]
impl WorkflowRunRepository for MemoryWorkflowRuns {
    async fn insert_run(&self, run: &WorkflowRun, claims: &[RunClaim]) -> Result<bool, WorkflowStoreError> {
        let mut state = self.lock();
        let trigger = match &run.origin {
            RunOrigin::Trigger(t) => t.clone(),
            _ => String::new(),
        };
        let held = |key: &str| state.2.iter().any(|(t, k, until)| t == &trigger && k == key && *until > run.started_at);
        if claims.iter().any(|c| held(&c.key)) {
            return Ok(false);
        }
        state.2.extend(claims.iter().map(|c| (trigger.clone(), c.key.clone(), c.expires_at)));
        state.0.push((run.clone(), None));
        Ok(true)
    }

    async fn get_run(&self, id: &WorkflowRunId) -> Result<Option<WorkflowRun>, WorkflowStoreError> {
        Ok(self.lock().0.iter().find(|(r, _)| &r.id == id).map(|(r, _)| r.clone()))
    }

    async fn runs_of(&self, workflow: &WorkflowId, limit: u32) -> Result<Vec<WorkflowRun>, WorkflowStoreError> {
        let state = self.lock();
        let runs = state.0.iter().rev().filter(|(r, _)| &r.workflow_id == workflow).map(|(r, _)| r.clone());
        Ok(runs.take(usize::try_from(limit).unwrap_or(usize::MAX)).collect())
    }

    async fn save_node(&self, run: &WorkflowRunId, node: &NodeRun) -> Result<bool, WorkflowStoreError> {
        let mut state = self.lock();
        let Some((found, _)) = state.0.iter_mut().find(|(r, _)| &r.id == run) else { return Ok(false) };
        if found.status.is_terminal() {
            return Ok(false);
        }
        if let Some(slot) = found.nodes.iter_mut().find(|n| n.node_id == node.node_id) {
            *slot = node.clone();
        }
        Ok(true)
    }

    async fn end_run(&self, run: &WorkflowRunId, end: &RunEnding) -> Result<bool, WorkflowStoreError> {
        let mut state = self.lock();
        let Some((found, _)) = state.0.iter_mut().find(|(r, _)| &r.id == run) else { return Ok(false) };
        if found.status.is_terminal() {
            return Ok(false);
        }
        found.status = end.status;
        found.output.clone_from(&end.output);
        found.error.clone_from(&end.error);
        found.ended_at = Some(end.at);
        Ok(true)
    }

    async fn decide(
        &self,
        run: &WorkflowRunId,
        node: &NodeId,
        decision: &Decision,
    ) -> Result<bool, WorkflowStoreError> {
        let mut state = self.lock();
        let Some((found, _)) = state.0.iter_mut().find(|(r, _)| &r.id == run) else { return Ok(false) };
        let active = !found.status.is_terminal();
        match found.nodes.iter_mut().find(|n| &n.node_id == node) {
            Some(n) if active && n.decision.is_none() && matches!(n.state, NodeState::Running { .. }) => {
                n.decision = Some(decision.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn claim(&self, driver: &WorkerId) -> Result<Vec<WorkflowRunId>, WorkflowStoreError> {
        let mut state = self.lock();
        let (runs, gone, _) = &mut *state;
        let mut claimed = Vec::new();
        for (run, holder) in runs.iter_mut().filter(|(r, _)| !r.status.is_terminal()) {
            if holder.as_ref().is_none_or(|h| h == driver || gone.contains(h)) {
                *holder = Some(driver.clone());
                run.status = RunStatus::Running;
                claimed.push(run.id.clone());
            }
        }
        Ok(claimed)
    }

    async fn release(&self, driver: &WorkerId) -> Result<(), WorkflowStoreError> {
        for (_, holder) in self.lock().0.iter_mut().filter(|(_, h)| h.as_ref() == Some(driver)) {
            *holder = None;
        }
        Ok(())
    }
}

/// Records with an id in memory: agents and teams.
#[derive(Debug)]
pub struct MemoryRecords<T> {
    records: Mutex<Vec<T>>,
}

impl<T> Default for MemoryRecords<T> {
    fn default() -> Self {
        Self { records: Mutex::new(Vec::new()) }
    }
}

/// Agents in memory.
pub type MemoryAgents = MemoryRecords<Agent>;
/// Teams in memory.
pub type MemoryTeams = MemoryRecords<Team>;

impl<T: Clone> MemoryRecords<T> {
    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn all(&self) -> Vec<T> {
        self.lock().clone()
    }

    fn find(&self, is: impl Fn(&T) -> bool) -> Option<T> {
        self.lock().iter().find(|r| is(r)).cloned()
    }

    fn push(&self, record: &T) {
        self.lock().push(record.clone());
    }

    fn replace(&self, record: &T, is: impl Fn(&T) -> bool) -> bool {
        let mut records = self.lock();
        let Some(slot) = records.iter_mut().find(|r| is(r)) else { return false };
        *slot = record.clone();
        true
    }

    fn remove(&self, is: impl Fn(&T) -> bool) -> bool {
        let mut records = self.lock();
        let before = records.len();
        records.retain(|r| !is(r));
        records.len() < before
    }
}

#[async_trait]
impl AgentRepository for MemoryAgents {
    async fn list(&self) -> Result<Vec<Agent>, WorkflowStoreError> {
        Ok(self.all())
    }

    async fn get(&self, id: &AgentId) -> Result<Option<Agent>, WorkflowStoreError> {
        Ok(self.find(|a| &a.id == id))
    }

    async fn insert(&self, agent: &Agent) -> Result<(), WorkflowStoreError> {
        self.push(agent);
        Ok(())
    }

    async fn update(&self, agent: &Agent) -> Result<bool, WorkflowStoreError> {
        Ok(self.replace(agent, |a| a.id == agent.id))
    }

    async fn delete(&self, id: &AgentId) -> Result<bool, WorkflowStoreError> {
        Ok(self.remove(|a| &a.id == id))
    }
}

#[async_trait]
impl TeamRepository for MemoryTeams {
    async fn list(&self) -> Result<Vec<Team>, WorkflowStoreError> {
        Ok(self.all())
    }

    async fn get(&self, id: &TeamId) -> Result<Option<Team>, WorkflowStoreError> {
        Ok(self.find(|t| &t.id == id))
    }

    async fn insert(&self, team: &Team) -> Result<(), WorkflowStoreError> {
        self.push(team);
        Ok(())
    }

    async fn update(&self, team: &Team) -> Result<bool, WorkflowStoreError> {
        Ok(self.replace(team, |t| t.id == team.id))
    }

    async fn delete(&self, id: &TeamId) -> Result<bool, WorkflowStoreError> {
        Ok(self.remove(|t| &t.id == id))
    }
}

/// A launcher that records what it was asked to start (`exec-N` ids), or refuses with
/// [`RecordingLauncher::refusing`].
#[derive(Debug, Default)]
pub struct RecordingLauncher {
    /// Each launch: the agent's id, the message, the execution id.
    pub launched: Mutex<Vec<(AgentId, String, String)>>,
    refusal: Option<String>,
}

impl RecordingLauncher {
    /// A launcher whose every launch is refused with `why`.
    #[must_use]
    pub fn refusing(why: &str) -> Self {
        Self { launched: Mutex::default(), refusal: Some(why.to_owned()) }
    }
}

#[async_trait]
impl AgentLauncher for RecordingLauncher {
    async fn launch(&self, agent: &Agent, message: &str, execution: Option<&str>) -> Result<String, LaunchError> {
        if let Some(why) = &self.refusal {
            return Err(LaunchError::Refused(why.clone()));
        }
        let mut launched = self.launched.lock().unwrap_or_else(PoisonError::into_inner);
        let id = execution.map_or_else(|| format!("exec-{}", launched.len() + 1), str::to_owned);
        launched.push((agent.id.clone(), message.to_owned(), id.clone()));
        Ok(id)
    }
}

/// Drives a run of `g` on `input` to its end, as the executor would but at once: each
/// started node completes with what `act` makes of it (or fails), in the order the steps
/// come. Returns the end and the nodes in the order they started (a retry appears again).
///
/// # Panics
/// When the run has not ended after 100 rounds of steps.
pub fn drive(
    g: &Graph,
    input: &NodeOutput,
    start: DateTime<Utc>,
    mut act: impl FnMut(&str, &NodeKind, &NodeOutput, u32) -> Result<NodeOutput, String>,
) -> (RunEnd, Vec<String>, Vec<NodeState>) {
    let mut states = vec![NodeState::Pending; g.nodes().len()];
    let mut now = start;
    let mut started = Vec::new();
    for _ in 0..100 {
        for step in next_steps(g, &states, input, now) {
            match step {
                Step::Finish(end) => return (end, started, states),
                Step::Skip { node } => states[g.index_of(&node).unwrap_or_default()] = NodeState::Skipped,
                Step::WakeAt(at) => now = at,
                Step::Start { node, input, attempt } => {
                    let i = g.index_of(&node).unwrap_or_default();
                    started.push(node.as_str().to_owned());
                    states[i] = match act(node.as_str(), &g.nodes()[i].kind, &input, attempt) {
                        Ok(out) => NodeState::Completed(out),
                        Err(error) => match after_failure(&g.nodes()[i].policy, attempt, now) {
                            AfterFailure::Retry { attempt, at } => NodeState::Retrying { attempt, at },
                            AfterFailure::GiveUp => NodeState::Failed { error, attempts: attempt },
                        },
                    };
                }
            }
        }
    }
    panic!("the run never ended: {states:?}")
}
