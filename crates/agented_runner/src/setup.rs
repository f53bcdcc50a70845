//! A trigger's setup step: `/bin/sh -c SCRIPT` in the run's working folder,
//! before its CLI, in the same process group rules and sandbox, with the
//! run's environment plus the secrets it names. Its output goes into the
//! run's log, marked `[setup]`; a failing step fails the run before the CLI.

use crate::process::{self, Ending, ProcessSpec, StopReason};
use crate::runner::Runner;
use agented_executions::LogLine;
use agented_kernel::ExecutionId;
use agented_triggers::SetupStep;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The longest a setup step may take (less when the run's own limit is shorter).
const SETUP_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The server's environment, where a setup step's named secrets are read; never printed.
#[derive(Clone, Default)]
pub struct ServerEnv(pub Arc<HashMap<String, String>>);

impl std::fmt::Debug for ServerEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerEnv({} variables)", self.0.len())
    }
}

impl Runner {
    /// Runs `step` as the CLI of `cli` would run (its folder, environment, group and sandbox).
    ///
    /// # Errors
    /// Why the step failed, for the run's error message.
    pub(crate) async fn setup(
        &self,
        id: &ExecutionId,
        step: &SetupStep,
        cli: &ProcessSpec,
        stop: watch::Receiver<Option<StopReason>>,
        seq: &mut i64,
    ) -> Result<(), String> {
        let mut env = cli.env.clone();
        for name in &step.secrets {
            if let Some(refused) = agented_executions::run_env::refusal(name) {
                self.note(id, seq, &format!("setup: {refused}")).await;
            } else if let Some(value) = self.options.server_env.0.get(name) {
                env.insert(name.clone(), value.clone());
            } else {
                self.note(id, seq, &format!("setup: {name} is not set in the server's environment")).await;
            }
        }
        let spec = ProcessSpec {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), step.script.clone()],
            env,
            timeout: cli.timeout.min(SETUP_TIMEOUT),
            stall: None,
            ..cli.clone()
        };
        let (tx, mut rx) = mpsc::channel(256);
        let running = process::spawn(&spec, &tx).map_err(|e| format!("the setup step could not start: {e}"))?;
        drop(tx);
        self.track_group(id, Some(running.pgid));
        let mut log = self.writer.open(id, *seq);
        let collect = async {
            while let Some((stream, content)) = rx.recv().await {
                *seq += 1;
                let content = format!("[setup] {content}");
                log.push(LogLine { seq: *seq, timestamp: self.ports.clock.now(), stream, content }).await;
            }
            log.flushed().await;
        };
        let (ending, ()) = tokio::join!(running.supervise(&spec, stop), collect);
        self.track_group(id, None);
        match ending {
            Ending::Exited(status) if status.success() => Ok(()),
            Ending::Exited(status) => Err(match status.code() {
                Some(code) => format!("the setup step failed with exit code {code}"),
                None => "the setup step was killed".to_owned(),
            }),
            Ending::TimedOut => Err(format!("the setup step took longer than {} s", spec.timeout.as_secs())),
            Ending::Stalled(_) => Err("the setup step stalled".to_owned()),
            Ending::Stopped(reason) => Err(format!("stopped during the setup step ({reason:?})")),
        }
    }
}
