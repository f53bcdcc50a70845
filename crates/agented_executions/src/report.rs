//! `RunReporter`: told when runs start and end, to report them where people
//! look (a pull request's check run and comment). What it did, or why it
//! could not, comes back as lines for the run's log: a failure to post is
//! shown on the execution, never lost silently.

use crate::{Execution, Outcome};
use async_trait::async_trait;

/// Reports runs outside Agented.
#[async_trait]
pub trait RunReporter: Send + Sync {
    /// The run is about to start its CLI. Returns lines for its log.
    async fn started(&self, execution: &Execution) -> Vec<String>;

    /// The run ended with `outcome`; `answer` is what its CLI said last. Returns
    /// lines for its log. Called before the end is stored, so the lines are part of it.
    async fn finished(&self, execution: &Execution, outcome: &Outcome, answer: &str) -> Vec<String>;
}

/// Several reporters, told in order; their lines together.
pub struct Reporters(pub Vec<std::sync::Arc<dyn RunReporter>>);

#[async_trait]
impl RunReporter for Reporters {
    async fn started(&self, execution: &Execution) -> Vec<String> {
        let mut lines = Vec::new();
        for r in &self.0 {
            lines.extend(r.started(execution).await);
        }
        lines
    }

    async fn finished(&self, execution: &Execution, outcome: &Outcome, answer: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for r in &self.0 {
            lines.extend(r.finished(execution, outcome, answer).await);
        }
        lines
    }
}

/// Reports nothing: no GitHub credentials are configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReporter;

#[async_trait]
impl RunReporter for NoReporter {
    async fn started(&self, _: &Execution) -> Vec<String> {
        Vec::new()
    }

    async fn finished(&self, _: &Execution, _: &Outcome, _: &str) -> Vec<String> {
        Vec::new()
    }
}
