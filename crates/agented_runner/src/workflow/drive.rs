//! One run, advanced: read the stored run, resume nodes an earlier driver left running,
//! store and start what [`next_steps`] says, store each attempt's end, until the run ends.

use super::Shared;
use super::nodes::{self, Attempt};
use crate::process::StopReason;
use agented_kernel::WorkflowRunId;
use agented_workflows::{
    Graph, NodeKind, NodeOutput, NodeState, RunEnd, RunEnding, RunStatus, Step, WorkflowRun, WorkflowStoreError,
    next_steps, settle,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// An attempt's end: the node's index, the attempt's number, and its result.
type Done = (usize, u32, nodes::Result);

/// Drives run `id` until it ends or `stop` says so; then lets go of it.
pub(super) async fn drive(shared: Arc<Shared>, id: WorkflowRunId, stop: watch::Receiver<Option<StopReason>>) {
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let mut driving =
        Driving { shared: shared.clone(), id: id.clone(), stop, flying: HashMap::new(), done_tx, done_rx };
    if let Err(e) = driving.advance().await {
        // The run stays claimed by this process; the next claim drives it again.
        tracing::error!(workflow_execution_id = %id, error = %e, "driving a workflow run failed");
    }
    driving.land().await;
    shared.driving().remove(id.as_str());
}

struct Driving {
    shared: Arc<Shared>,
    id: WorkflowRunId,
    stop: watch::Receiver<Option<StopReason>>,
    /// Attempts under way, by node index, with the way to stop each.
    flying: HashMap<usize, watch::Sender<Option<StopReason>>>,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
}

impl Driving {
    async fn read(&self) -> Result<Option<WorkflowRun>, WorkflowStoreError> {
        self.shared.runs.get_run(&self.id).await
    }

    async fn end(
        &self,
        status: RunStatus,
        output: Option<NodeOutput>,
        error: Option<String>,
    ) -> Result<(), WorkflowStoreError> {
        let ending = RunEnding { status, output, error, at: self.shared.clock.now() };
        self.shared.runs.end_run(&self.id, &ending).await.map(drop)
    }

    async fn advance(&mut self) -> Result<(), WorkflowStoreError> {
        let Some(run) = self.read().await? else { return Ok(()) };
        let version = self.shared.workflows.version(&run.workflow_id, run.version).await?;
        let Some(graph) = version.and_then(|v| Graph::read(&v.graph).ok()) else {
            let why = format!("version {} of workflow {} is gone or does not read", run.version, run.workflow_id);
            return self.end(RunStatus::Failed, None, Some(why)).await;
        };
        loop {
            if self.stop.borrow().is_some() {
                return Ok(());
            }
            let wake = self.shared.wake.clone();
            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let Some(mut run) = self.read().await? else { return Ok(()) };
            if run.status.is_terminal() {
                self.cancel_children(&run).await;
                return Ok(());
            }
            self.resume_left_running(&graph, &run).await;
            let now = self.shared.clock.now();
            let mut wake_at = None;
            for step in next_steps(&graph, &run.states(), &run.input, now) {
                match step {
                    Step::Start { node, input, attempt } => {
                        let Some(i) = graph.index_of(&node) else { continue };
                        let over = matches!(graph.nodes()[i].kind, NodeKind::Agent { .. })
                            .then(|| run.over_budget(graph.budget_usd()))
                            .flatten();
                        let record = &mut run.nodes[i];
                        record.input = Some(input.clone());
                        record.started_at.get_or_insert(now);
                        if let Some(error) = over {
                            // Spending does not go down: no retry would pass.
                            record.state = NodeState::Failed { error, attempts: attempt };
                            record.ended_at = Some(now);
                            self.shared.runs.save_node(&self.id, record).await?;
                            continue;
                        }
                        record.state = NodeState::Running { attempt };
                        record.ended_at = None;
                        if !self.shared.runs.save_node(&self.id, record).await? {
                            break;
                        }
                        self.launch(&graph, i, attempt, record.clone(), input);
                    }
                    Step::Skip { node } => {
                        let Some(i) = graph.index_of(&node) else { continue };
                        run.nodes[i].state = NodeState::Skipped;
                        run.nodes[i].ended_at = Some(now);
                        self.shared.runs.save_node(&self.id, &run.nodes[i]).await?;
                    }
                    Step::WakeAt(at) => wake_at = Some(at),
                    Step::Finish(RunEnd::Completed(output)) => {
                        return self.end(RunStatus::Completed, Some(output), None).await;
                    }
                    Step::Finish(RunEnd::Failed { node, error }) => {
                        let why = format!("node '{}' failed: {error}", node.as_str());
                        return self.end(RunStatus::Failed, None, Some(why)).await;
                    }
                }
            }
            let poll = self.shared.options.poll;
            let nap = wake_at.map_or(poll, |at| (at - now).to_std().unwrap_or(Duration::ZERO).min(poll));
            tokio::select! {
                Some((i, attempt, result)) = self.done_rx.recv() => {
                    self.flying.remove(&i);
                    self.settle(&graph, i, attempt, result).await?;
                }
                () = &mut woken => {}
                () = tokio::time::sleep(nap) => {}
                _ = self.stop.changed() => {}
            }
        }
    }

    /// Nodes stored `running` that no attempt here runs: an earlier driver's, cut short.
    /// Each is attempted again (what a command left on this host is killed first); an agent
    /// or sub-workflow node finds the work it already started by the id stored on it.
    async fn resume_left_running(&mut self, graph: &Graph, run: &WorkflowRun) {
        for (i, record) in run.nodes.iter().enumerate() {
            let NodeState::Running { attempt } = record.state else { continue };
            if self.flying.contains_key(&i) {
                continue;
            }
            if record.node_type == "command" {
                let marker = nodes::marker(&self.id, record.node_id.as_str());
                let _ = tokio::task::spawn_blocking(move || crate::recovery::kill_marked(&marker)).await;
            }
            tracing::info!(workflow_execution_id = %self.id, node = record.node_id.as_str(), attempt, "resuming a node an earlier driver left running");
            let input = record.input.clone().unwrap_or_else(|| run.input.clone());
            self.launch(graph, i, attempt, record.clone(), input);
        }
    }

    fn launch(&mut self, graph: &Graph, i: usize, attempt: u32, record: agented_workflows::NodeRun, input: NodeOutput) {
        let (stop_tx, stop) = watch::channel(None);
        let attempt_of = Attempt { run: self.id.clone(), attempt, node: graph.nodes()[i].clone(), record, input, stop };
        let (shared, done) = (self.shared.clone(), self.done_tx.clone());
        tokio::spawn(async move {
            let result = nodes::attempt(shared, attempt_of).await;
            let _ = done.send((i, attempt, result));
        });
        self.flying.insert(i, stop_tx);
    }

    /// Stores how attempt `attempt` of node `i` ended (read afresh: a decision or a child
    /// id may have been written meanwhile).
    async fn settle(
        &self,
        graph: &Graph,
        i: usize,
        attempt: u32,
        result: nodes::Result,
    ) -> Result<(), WorkflowStoreError> {
        let Some(run) = self.read().await? else { return Ok(()) };
        let Some(mut record) = run.nodes.get(i).cloned() else { return Ok(()) };
        if run.status.is_terminal() || record.state != (NodeState::Running { attempt }) {
            return Ok(());
        }
        let now = self.shared.clock.now();
        if let Err(error) = &result {
            tracing::info!(workflow_execution_id = %self.id, node = record.node_id.as_str(), attempt, %error, "a node's attempt failed");
        }
        record.state = settle(&graph.nodes()[i].policy, attempt, result, now);
        if record.state.is_settled() {
            record.ended_at = Some(now);
        }
        self.shared.runs.save_node(&self.id, &record).await.map(drop)
    }

    /// A cancelled or failed parent ends its sub-workflows' runs too.
    async fn cancel_children(&self, run: &WorkflowRun) {
        for record in run.nodes.iter().filter(|n| n.node_type == NodeKind::WORKFLOW) {
            for child in record.children.iter().filter_map(|c| WorkflowRunId::parse(c).ok()) {
                let why = format!("its parent run {} ended ({})", self.id, run.status);
                let ending = RunEnding {
                    status: RunStatus::Cancelled,
                    output: None,
                    error: Some(why),
                    at: self.shared.clock.now(),
                };
                if let Err(e) = self.shared.runs.end_run(&child, &ending).await {
                    tracing::error!(workflow_execution_id = %child, error = %e, "could not cancel a sub-workflow run");
                }
            }
        }
    }

    /// Stops every attempt still under way (shutdown: for the next driver to run again;
    /// an ended run: for good) and waits for them to be gone.
    async fn land(&mut self) {
        let reason = (*self.stop.borrow()).unwrap_or(StopReason::Cancelled);
        for stop in self.flying.values() {
            let _ = stop.send(Some(reason));
        }
        while !self.flying.is_empty() {
            match self.done_rx.recv().await {
                Some((i, _, _)) => {
                    self.flying.remove(&i);
                }
                None => break,
            }
        }
    }
}
