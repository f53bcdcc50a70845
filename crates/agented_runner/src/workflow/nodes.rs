//! What each acting node kind does for one attempt: run a program (an argv in its own
//! process group, never a shell), wait, wait for a person's decision, or run a
//! sub-workflow. The computing kinds are the domain's ([`agented_workflows::local`]).

use super::Shared;
use crate::process::{self, Ending, ProcessSpec, StopReason};
use agented_executions::LogStream;
use agented_kernel::WorkflowRunId;
use agented_workflows::{Node, NodeKind, NodeOutput, NodeRun, RunOrigin, RunStatus, local, render};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The most of a command's stdout, and of its stderr, kept as its output.
pub const MAX_COMMAND_OUTPUT: usize = 1024 * 1024;

/// How long a node without its own timeout may take (a week, the longest a node may set).
const NO_TIMEOUT: Duration = Duration::from_secs(agented_workflows::node::MAX_NODE_SECONDS);

/// What one attempt is given.
pub(super) struct Attempt {
    pub run: WorkflowRunId,
    /// 1 for the first.
    pub attempt: u32,
    pub node: Node,
    pub record: NodeRun,
    pub input: NodeOutput,
    pub stop: watch::Receiver<Option<StopReason>>,
}

/// What one attempt ended with, and the children it started (already stored).
pub(super) type Result = std::result::Result<NodeOutput, String>;

/// Runs one attempt of `a.node`.
pub(super) async fn attempt(shared: Arc<Shared>, a: Attempt) -> Result {
    if let Some(computed) = local::compute(&a.node, &a.input) {
        return computed;
    }
    let limit = a.node.policy.timeout;
    let work = act(&shared, &a);
    let mut stop = a.stop.clone();
    let stopped = async move {
        while stop.borrow_and_update().is_none() {
            if stop.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    };
    // A command stops itself (its process group goes with it), an agent cancels its
    // execution; the other kinds are dropped.
    if matches!(a.node.kind, NodeKind::Command { .. } | NodeKind::Agent { .. }) {
        return work.await;
    }
    tokio::select! {
        r = tokio::time::timeout(limit.unwrap_or(NO_TIMEOUT), work) => {
            r.unwrap_or_else(|_| Err(format!("timed out after {} s", limit.unwrap_or(NO_TIMEOUT).as_secs())))
        }
        () = stopped => Err("stopped".to_owned()),
    }
}

async fn act(shared: &Arc<Shared>, a: &Attempt) -> Result {
    let id = a.node.id.as_str();
    match &a.node.kind {
        NodeKind::Command { argv } => command(shared, a, argv).await,
        NodeKind::Wait(d) => {
            let since = a.record.started_at.unwrap_or_else(|| shared.clock.now());
            let end = since + chrono::Duration::from_std(*d).unwrap_or(chrono::Duration::MAX);
            let left = (end - shared.clock.now()).to_std().unwrap_or(Duration::ZERO);
            tokio::time::sleep(left).await;
            Ok(NodeOutput { content_type: a.input.content_type.clone(), ..a.input.clone() }.from_node(id))
        }
        NodeKind::Approval { timeout, .. } => approval(shared, a, *timeout).await,
        NodeKind::Workflow { workflow_id } => sub_workflow(shared, a, workflow_id).await,
        NodeKind::Agent { target, prompt, tooling } => super::agents::agent(shared, a, target, prompt, tooling).await,
        NodeKind::Trigger | NodeKind::Conditional { .. } | NodeKind::Transform(_) => {
            local::compute(&a.node, &a.input).unwrap_or_else(|| Err("nothing to compute".to_owned()))
        }
    }
}

/// The marker every process of one command node carries, found again after a crash.
pub(super) fn marker(run: &WorkflowRunId, node: &str) -> String {
    format!("{run}/{node}")
}

async fn command(shared: &Arc<Shared>, a: &Attempt, argv: &[String]) -> Result {
    let args: Vec<String> = argv.iter().map(|arg| render(arg, &a.input)).collect();
    let (program, rest) = args.split_first().ok_or("the command is empty")?;
    let o = &shared.options;
    let path = process::which(program, &o.path_env).ok_or_else(|| format!("program '{program}' not found"))?;
    let cwd = o.workspace_dir.join("workflows").join(a.run.as_str()).join(a.node.id.as_str());
    std::fs::create_dir_all(&cwd).map_err(|e| format!("cannot make the working folder: {e}"))?;
    let spec = ProcessSpec {
        program: path,
        args: rest.to_vec(),
        env: o.base_env.clone(),
        path_env: o.path_env.clone(),
        cwd: cwd.clone(),
        timeout: a.node.policy.timeout.unwrap_or(NO_TIMEOUT),
        stall: None,
        grace: Duration::from_secs(5),
        execution_id: marker(&a.run, a.node.id.as_str()),
        parent_death: o.parent_death.clone(),
        sandbox: o.sandbox.clone().map(|s| (s, Vec::new())),
    };
    let (tx, mut rx) = mpsc::channel(256);
    let running = process::spawn(&spec, &tx).map_err(|e| format!("cannot start '{program}': {e}"))?;
    drop(tx);
    let collect = async {
        let (mut stdout, mut stderr) = (String::new(), String::new());
        while let Some((stream, line)) = rx.recv().await {
            let into = if stream == LogStream::Stdout { &mut stdout } else { &mut stderr };
            if into.len() + line.len() < MAX_COMMAND_OUTPUT {
                into.push_str(&line);
                into.push('\n');
            }
        }
        (stdout, stderr)
    };
    let (ending, (stdout, stderr)) = tokio::join!(running.supervise(&spec, a.stop.clone()), collect);
    let _ = std::fs::remove_dir_all(&cwd);
    match ending {
        Ending::Exited(status) if status.success() => {
            let mut out = NodeOutput {
                content_type: "command_output".into(),
                text: Some(stdout.trim_end().to_owned()),
                exit_code: Some(0),
                stdout: Some(stdout),
                stderr: Some(stderr),
                ..NodeOutput::default()
            }
            .from_node(a.node.id.as_str());
            out.metadata.insert("command".into(), Value::from(shell_words::join(&args)));
            Ok(out)
        }
        Ending::Exited(status) => {
            let how = status.code().map_or_else(
                || format!("was killed by signal {}", ending.signal().unwrap_or(0)),
                |c| format!("exited with code {c}"),
            );
            let tail: String =
                stderr.trim_end().chars().rev().take(500).collect::<Vec<_>>().into_iter().rev().collect();
            Err(if tail.is_empty() { format!("'{program}' {how}") } else { format!("'{program}' {how}: {tail}") })
        }
        Ending::TimedOut => Err(format!("timed out after {} s", spec.timeout.as_secs())),
        Ending::Stalled(_) => Err("stalled".to_owned()),
        Ending::Stopped(_) => Err("stopped".to_owned()),
    }
}

/// Waits for the decision stored on the node (the API writes it), until `timeout`.
async fn approval(shared: &Arc<Shared>, a: &Attempt, timeout: Option<Duration>) -> Result {
    let since = a.record.started_at.unwrap_or_else(|| shared.clock.now());
    let deadline = timeout.map(|t| since + chrono::Duration::from_std(t).unwrap_or(chrono::Duration::MAX));
    let mut told = false;
    loop {
        let woken = shared.wake.notified();
        let run = shared.runs.get_run(&a.run).await.map_err(|e| e.to_string())?;
        let decision = run.as_ref().and_then(|r| r.node(&a.node.id)).and_then(|n| n.decision.clone());
        if let Some(decision) = decision {
            return local::approval_answer(a.node.id.as_str(), &a.input, &decision);
        }
        if let Some(run) = run.as_ref().filter(|_| !told) {
            // The notice's key names the attempt, so a driver that takes over tells it once more at most.
            shared.notices.notify(local::approval_notice(run, a.node.id.as_str(), a.attempt, timeout, since));
            told = true;
        }
        let now = shared.clock.now();
        if let (Some(deadline), Some(t)) = (deadline, timeout)
            && now >= deadline
        {
            return Err(format!("no decision within {} s", t.as_secs()));
        }
        let left = deadline
            .map_or(shared.options.poll, |d| (d - now).to_std().unwrap_or(Duration::ZERO).min(shared.options.poll));
        let _ = tokio::time::timeout(left, woken).await;
    }
}

/// The id of what attempt `a` starts (an execution, a sub-workflow's run): attempt n's is the
/// node's n-th child. A new one (from `new`) is stored on the node before anything is started
/// under it, so a driver that takes over finds the work instead of starting it again, and a
/// retry starts afresh.
pub(super) async fn attempt_child(
    shared: &Arc<Shared>,
    a: &Attempt,
    new: impl FnOnce() -> String,
) -> std::result::Result<String, String> {
    let index = usize::try_from(a.attempt).unwrap_or(usize::MAX).saturating_sub(1);
    if let Some(id) = a.record.children.get(index) {
        return Ok(id.clone());
    }
    let id = new();
    let mut record = a.record.clone();
    record.children.push(id.clone());
    shared.runs.save_node(&a.run, &record).await.map_err(|e| e.to_string())?;
    Ok(id)
}

/// Most runs inside runs: a workflow that runs itself, directly or through others, stops here.
pub const MAX_NESTING: usize = 8;

/// Refuses a sub-workflow of `run` when `run` is already [`MAX_NESTING`] deep.
async fn nesting(shared: &Arc<Shared>, run: &WorkflowRunId) -> std::result::Result<(), String> {
    let mut at = run.clone();
    for _ in 0..MAX_NESTING {
        match shared.runs.get_run(&at).await.map_err(|e| e.to_string())?.map(|r| r.origin) {
            Some(RunOrigin::Parent { run, .. }) => at = run,
            _ => return Ok(()),
        }
    }
    Err(format!("sub-workflows nest deeper than {MAX_NESTING} runs: does a workflow run itself?"))
}

/// Starts the sub-workflow once per attempt (its run id is stored on the node before the run
/// is), then waits for it to end.
async fn sub_workflow(shared: &Arc<Shared>, a: &Attempt, workflow: &str) -> Result {
    let child = attempt_child(shared, a, || WorkflowRunId::generate().to_string()).await?;
    let child = WorkflowRunId::parse(&child).map_err(|e| e.to_string())?;
    if shared.runs.get_run(&child).await.map_err(|e| e.to_string())?.is_none() {
        nesting(shared, &a.run).await?;
        let origin = RunOrigin::Parent { run: a.run.clone(), node: a.node.id.clone() };
        let input = a.input.data.clone().unwrap_or_else(|| Value::from(a.input.as_text()));
        shared
            .service
            .start_as(&child, workflow, None, input, origin)
            .await
            .map_err(|e| format!("the sub-workflow did not start: {e}"))?;
    }
    loop {
        let woken = shared.wake.notified();
        let run =
            shared.runs.get_run(&child).await.map_err(|e| e.to_string())?.ok_or("the sub-workflow's run is gone")?;
        match run.status {
            RunStatus::Completed => return Ok(run.output.unwrap_or_default().from_node(a.node.id.as_str())),
            RunStatus::Failed | RunStatus::Cancelled => {
                return Err(format!("sub-workflow run {child} {}: {}", run.status, run.error.unwrap_or_default()));
            }
            RunStatus::Pending | RunStatus::Running => {
                let _ = tokio::time::timeout(shared.options.poll, woken).await;
            }
        }
    }
}
