//! The trigger list as a read model: every trigger with its number of project
//! paths and its latest run, which a store answers in one query (the list was
//! one query per trigger, and three per trigger before that).

use crate::model::Execution;
use crate::ports::ExecStoreError;
use crate::status::ExecutionStatus;
use agented_kernel::ExecutionId;
use agented_triggers::{Trigger, TriggerRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A trigger's latest run, as far as the trigger list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestRun {
    /// The run.
    pub execution_id: ExecutionId,
    /// Where it is.
    pub status: ExecutionStatus,
    /// When its process started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it did not succeed.
    pub error_message: Option<String>,
}

impl From<&Execution> for LatestRun {
    fn from(e: &Execution) -> Self {
        Self {
            execution_id: e.execution_id.clone(),
            status: e.status,
            started_at: e.started_at,
            finished_at: e.finished_at,
            error_message: e.error_message.clone(),
        }
    }
}

/// One row of the trigger list.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerSummary {
    /// The trigger.
    pub trigger: Trigger,
    /// How many project paths it has.
    pub path_count: usize,
    /// Its latest run (by queue time), if it ever ran.
    pub latest: Option<LatestRun>,
}

/// Reads the trigger list.
#[async_trait]
pub trait TriggerOverview: Send + Sync {
    /// Every trigger, predefined first, then by name.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn overview(&self) -> Result<Vec<TriggerSummary>, ExecStoreError>;
}

/// The overview put together from the two repositories, one trigger at a
/// time: the in-memory fake, and a reference for what a store's query returns.
#[derive(Clone)]
pub struct ComposedOverview {
    /// Triggers and their paths.
    pub triggers: Arc<dyn TriggerRepository>,
    /// Their executions.
    pub executions: Arc<dyn crate::ports::ExecutionRepository>,
}

#[async_trait]
impl TriggerOverview for ComposedOverview {
    async fn overview(&self) -> Result<Vec<TriggerSummary>, ExecStoreError> {
        let cause = |e: agented_triggers::TriggerStoreError| ExecStoreError(e.0);
        let mut rows = Vec::new();
        for trigger in self.triggers.list().await.map_err(cause)? {
            let path_count = self.triggers.paths(&trigger.id).await.map_err(cause)?.len();
            let filter = crate::ports::ExecutionFilter { trigger_id: Some(trigger.id.clone()), ..Default::default() };
            let (latest, _) = self.executions.list(&filter, agented_kernel::Page::first()).await?;
            rows.push(TriggerSummary { trigger, path_count, latest: latest.first().map(LatestRun::from) });
        }
        Ok(rows)
    }
}
