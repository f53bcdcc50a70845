//! ExecutionService: the facade every caller (HTTP, webhooks, schedules)
//! starts, retries and cancels runs through, so they all follow one path.

use crate::guard::{FenceNonce, PromptInput};
use crate::model::{Execution, Outcome, RunSnapshot, TriggerType};
use crate::ports::ExecutionFilter;
use crate::ports::{ExecStoreError, ExecutionRepository, NewExecution, QueueError, RunControl, RunQueue};
use crate::prompt::{PromptRenderer, PromptValues, RenderedPrompt};
use crate::status::ExecutionStatus;
use crate::usage::Usage;
use agented_kernel::{BackendType, Clock, ExecutionId, Page, TriggerId};
use agented_triggers::{ConcurrencyPolicy, ProjectPath, Trigger, TriggerRepository, TriggerStoreError};
use std::sync::Arc;

/// Why a run was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// No such trigger (or execution, for a retry).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The trigger is disabled.
    #[error("trigger '{0}' is disabled")]
    Disabled(String),
    /// `concurrency_policy = reject` and the trigger is at `max_concurrent`.
    #[error("trigger is already running (execution {0})")]
    Busy(ExecutionId),
    /// An earlier run of the trigger holds one of the request's dedup claims; nothing was stored.
    #[error("an earlier run holds this request's dedup key")]
    Duplicate,
    /// Storage failed; nothing was queued.
    #[error("{0}")]
    Store(#[source] agented_kernel::Cause),
    /// The job could not be queued; the execution is marked failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The team or workflow the trigger runs may not run now; the message says why.
    #[error("{0}")]
    Refused(String),
}

impl From<crate::InsertError> for StartError {
    fn from(e: crate::InsertError) -> Self {
        match e {
            crate::InsertError::Duplicate => Self::Duplicate,
            crate::InsertError::Busy(oldest) => Self::Busy(oldest),
            crate::InsertError::Store(e) => e.into(),
        }
    }
}

impl From<ExecStoreError> for StartError {
    fn from(e: ExecStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
    }
}

impl From<TriggerStoreError> for StartError {
    fn from(e: TriggerStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
    }
}

/// Why a run could not be cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    /// No such execution.
    #[error("execution not found")]
    NotFound,
    /// It had already ended.
    #[error("execution is not running (status {0})")]
    NotRunning(ExecutionStatus),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ExecStoreError),
}

/// Why a waiting run could not be tried now.
#[derive(Debug, thiserror::Error)]
pub enum TryNowError {
    /// No such execution.
    #[error("execution not found")]
    NotFound,
    /// It is not waiting on a rate limit.
    #[error("the run is not waiting on a rate limit (status {0})")]
    NotWaiting(ExecutionStatus),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ExecStoreError),
}

/// Why an execution could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    /// No such execution.
    #[error("execution not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ExecStoreError),
}

/// What a cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The process was signalled; the status becomes `cancelled` when it is gone.
    Signalled,
    /// It had not started (or no process of this server ran it): now `cancelled`.
    Immediately,
}

/// What a prompt Agented wrote itself runs on, instead of its trigger's own CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRun {
    /// The CLI.
    pub backend: BackendType,
    /// The model, instead of none (or the trigger's, on its own CLI).
    pub model: Option<String>,
    /// Claude's `--allowedTools`, instead of the trigger's.
    pub allowed_tools: Option<String>,
    /// Tooling given besides the trigger's (an agent's).
    pub tooling: agented_kernel::ToolingRefs,
}

/// A request to run a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    /// What started it.
    pub trigger_type: TriggerType,
    /// The `{message}` value.
    pub message: Option<String>,
    /// Further placeholder values (PR fields, …).
    pub values: Vec<(String, String)>,
    /// Dedup keys the run claims (a webhook delivery's): stored with the execution or not at all.
    pub claims: Vec<crate::DedupClaim>,
    /// The GitHub event it answers, if a GitHub event fired it.
    pub github: Option<agented_triggers::GithubOrigin>,
}

/// The longest `{message}` a manual run takes, in characters.
pub const MAX_MESSAGE_CHARS: usize = 100_000;

impl RunRequest {
    /// A run a person asked for, with an optional `{message}`.
    ///
    /// # Errors
    /// Field → message for a message over [`MAX_MESSAGE_CHARS`].
    pub fn manual(message: Option<String>) -> Result<Self, agented_triggers::FieldErrors> {
        if message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS) {
            let why = format!("must be at most {MAX_MESSAGE_CHARS} characters");
            return Err(agented_triggers::FieldErrors::from([("message".to_owned(), why)]));
        }
        Ok(Self { trigger_type: TriggerType::Manual, message, values: Vec::new(), claims: Vec::new(), github: None })
    }
}

/// Starts, retries and cancels runs.
#[derive(Clone)]
pub struct ExecutionService {
    triggers: Arc<dyn TriggerRepository>,
    executions: Arc<dyn ExecutionRepository>,
    queue: Arc<dyn RunQueue>,
    control: Arc<dyn RunControl>,
    clock: Arc<dyn Clock>,
    max_untrusted_chars: usize,
    overview: Arc<dyn crate::TriggerOverview>,
    changes: crate::ChangeFeed,
    workflows: Option<Arc<dyn crate::WorkflowStarter>>,
    tooling: Option<Arc<dyn crate::tooling::ToolingSource>>,
}

impl std::fmt::Debug for ExecutionService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionService").finish_non_exhaustive()
    }
}

impl ExecutionService {
    /// The service over its ports.
    #[must_use]
    pub fn new(
        triggers: Arc<dyn TriggerRepository>,
        executions: Arc<dyn ExecutionRepository>,
        queue: Arc<dyn RunQueue>,
        control: Arc<dyn RunControl>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let overview = Arc::new(crate::ComposedOverview { triggers: triggers.clone(), executions: executions.clone() });
        Self {
            triggers,
            executions,
            queue,
            control,
            clock,
            max_untrusted_chars: crate::DEFAULT_MAX_UNTRUSTED_CHARS,
            overview,
            changes: crate::ChangeFeed::default(),
            workflows: None,
            tooling: None,
        }
    }

    /// Starts the runs of triggers whose execution mode is a team or a workflow with `starter`.
    #[must_use]
    pub fn with_workflows(mut self, starter: Arc<dyn crate::WorkflowStarter>) -> Self {
        self.workflows = Some(starter);
        self
    }

    /// Reads the tooling definitions triggers attach (without it, runs get none).
    #[must_use]
    pub fn with_tooling(mut self, source: Arc<dyn crate::tooling::ToolingSource>) -> Self {
        self.tooling = Some(source);
        self
    }

    /// The definitions `refs` name now, and what is left out and why.
    ///
    /// # Errors
    /// `Store` when the definitions cannot be read.
    pub async fn resolve_tooling(
        &self,
        refs: &agented_kernel::ToolingRefs,
    ) -> Result<crate::tooling::Resolved, StartError> {
        match &self.tooling {
            Some(source) if !refs.is_empty() => {
                source.resolve(refs).await.map_err(|e| StartError::Store(agented_kernel::Cause::new(e)))
            }
            _ => Ok(crate::tooling::Resolved::default()),
        }
    }

    /// What a run of the trigger would get on `backend` (else its own CLI): files,
    /// flags and variable names, never values.
    ///
    /// # Errors
    /// `NotFound`; `Store`.
    pub async fn tooling_preview(
        &self,
        trigger_id: &TriggerId,
        backend: Option<BackendType>,
    ) -> Result<crate::tooling::ToolingPreview, StartError> {
        let trigger = self.triggers.get(trigger_id).await?.ok_or(StartError::NotFound("trigger"))?;
        let resolved = self.resolve_tooling(&trigger.settings.tooling).await?;
        // A custom command (`None`) gets no tooling.
        let cli = backend.or_else(|| trigger.settings.backend_id.is_none().then_some(trigger.settings.backend_type));
        Ok(crate::tooling::ToolingPreview::of(cli, &resolved))
    }

    /// What a run of `trigger` is given (its attachments, then `more`), frozen now; what is
    /// left out is logged.
    async fn given_tooling(
        &self,
        trigger: &Trigger,
        more: &agented_kernel::ToolingRefs,
    ) -> Result<crate::tooling::RunTooling, StartError> {
        let resolved = self.resolve_tooling(&trigger.settings.tooling.clone().and(more)).await?;
        for why in &resolved.left_out {
            tracing::warn!(trigger_id = %trigger.id, "a run is queued without attached tooling: {why}");
        }
        Ok(resolved.tooling)
    }

    /// Announces changes on `feed`: the one its executions repository (a
    /// [`crate::WatchedExecutions`]) publishes on.
    #[must_use]
    pub fn with_changes(mut self, feed: crate::ChangeFeed) -> Self {
        self.changes = feed;
        self
    }

    /// Follows execution changes from now on (for live lists).
    #[must_use]
    pub fn changes(&self) -> crate::ChangeSubscription {
        self.changes.subscribe()
    }

    /// Reads the trigger list through `overview` (a store's one query) instead of
    /// putting it together from the repositories one trigger at a time.
    #[must_use]
    pub fn with_overview(mut self, overview: Arc<dyn crate::TriggerOverview>) -> Self {
        self.overview = overview;
        self
    }

    /// Every trigger with its path count and latest run.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn trigger_list(&self) -> Result<Vec<crate::TriggerSummary>, ExecStoreError> {
        self.overview.overview().await
    }

    /// Caps each untrusted value at `max_chars` characters (`prompts.max_untrusted_chars`).
    #[must_use]
    pub const fn with_untrusted_limit(mut self, max_chars: usize) -> Self {
        self.max_untrusted_chars = max_chars;
        self
    }

    /// The execution with id `id` (any spelling that is not an id is simply not found).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &str) -> Result<Execution, FindError> {
        let id = ExecutionId::parse(id).map_err(|_| FindError::NotFound)?;
        self.executions.get(&id).await?.ok_or(FindError::NotFound)
    }

    /// A page of executions, newest first, and how many match in all.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn list(&self, filter: &ExecutionFilter, page: Page) -> Result<(Vec<Execution>, u64), ExecStoreError> {
        self.executions.list(filter, page).await
    }

    /// How many executions have each status, every status listed (0 when none has it).
    ///
    /// # Errors
    /// Storage failed.
    pub async fn count_by_status(&self) -> Result<Vec<(ExecutionStatus, u64)>, ExecStoreError> {
        let stored = self.executions.count_by_status().await?;
        Ok(ExecutionStatus::ALL
            .into_iter()
            .map(|status| (status, stored.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n)))
            .collect())
    }

    /// The latest run of `trigger`, if any.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn latest_of(&self, trigger: &TriggerId) -> Result<Option<Execution>, ExecStoreError> {
        let filter = ExecutionFilter { trigger_id: Some(trigger.clone()), ..ExecutionFilter::default() };
        let (items, _) = self.executions.list(&filter, Page::first()).await?;
        Ok(items.into_iter().next())
    }

    /// The run of `trigger` in progress, if any.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn running_of(&self, trigger: &TriggerId) -> Result<Option<Execution>, ExecStoreError> {
        let active = self.executions.active_for_trigger(trigger).await?;
        Ok(active.into_iter().find(|e| e.status == ExecutionStatus::Running))
    }

    /// Renders `trigger`'s prompt as a run with `request` would.
    ///
    /// # Errors
    /// [`TriggerStoreError`] when its paths cannot be read.
    pub async fn preview(&self, trigger: &Trigger, request: &RunRequest) -> Result<RenderedPrompt, TriggerStoreError> {
        let paths: Vec<ProjectPath> = self.triggers.paths(&trigger.id).await?.into_iter().map(|p| p.path).collect();
        Ok(render(trigger, &paths, request, self.max_untrusted_chars).0)
    }

    /// Records a `queued` execution and queues its job; returns once both are durable.
    ///
    /// # Errors
    /// See [`StartError`].
    pub async fn start(&self, trigger_id: &TriggerId, request: RunRequest) -> Result<Execution, StartError> {
        let (trigger, paths) = self.startable(trigger_id).await?;
        self.start_with(&trigger, &paths, request).await
    }

    /// Fires `trigger_id` as its execution mode says: an execution of its CLI (`direct`),
    /// or a run of its team or workflow with the request as the run's input (its prompt
    /// rendered, its message and values) and the request's dedup claims held by that run.
    ///
    /// # Errors
    /// See [`StartError`]; `Refused` when the team or workflow may not run, or this process
    /// has no way to start workflow runs.
    pub async fn fire(&self, trigger_id: &TriggerId, request: RunRequest) -> Result<crate::Fired, StartError> {
        let (trigger, paths) = self.startable(trigger_id).await?;
        let mode = &trigger.settings.execution_mode;
        if *mode == agented_triggers::ExecutionMode::Direct {
            return Ok(crate::Fired::Execution(Box::new(self.start_with(&trigger, &paths, request).await?)));
        }
        let starter = self.workflows.as_ref().ok_or_else(|| {
            StartError::Refused(format!("this process cannot start runs of a {} (no workflow engine)", mode.name()))
        })?;
        let (rendered, _) = render(&trigger, &paths, &request, self.max_untrusted_chars);
        let input = crate::workflow_input(
            &trigger.id,
            request.trigger_type,
            rendered.text,
            request.message.as_deref(),
            &request.values,
            self.max_untrusted_chars,
        );
        let started = starter.start_workflow(&trigger.id, mode, input, &request.claims).await?;
        if let Err(e) = self.triggers.touch_last_run(&trigger.id, self.clock.now()).await {
            tracing::warn!(error = %e, trigger_id = %trigger.id, "could not record the trigger's last run");
        }
        Ok(crate::Fired::Workflow(started))
    }

    async fn start_with(
        &self,
        trigger: &Trigger,
        paths: &[ProjectPath],
        request: RunRequest,
    ) -> Result<Execution, StartError> {
        let (rendered, inputs) = render(trigger, paths, &request, self.max_untrusted_chars);
        let mut snapshot = snapshot(trigger, paths, rendered.text, inputs);
        snapshot.github = request.github;
        snapshot.tooling = self.given_tooling(trigger, &agented_kernel::ToolingRefs::default()).await?;
        let admission = Admission { claims: request.claims, at_most_active: at_most_active(trigger) };
        let execution =
            self.enqueue(&trigger.id, request.trigger_type, snapshot, request.message, None, admission).await?;
        if let Err(e) = self.triggers.touch_last_run(&trigger.id, execution.queued_at).await {
            tracing::warn!(error = %e, trigger_id = %trigger.id, "could not record the trigger's last run");
        }
        Ok(execution)
    }

    /// Runs `trigger` with a prompt Agented wrote itself (planning, research)
    /// on `backend`, instead of its template and CLI; everything else (paths,
    /// tools, time limit, concurrency) is the trigger's. Recorded as `manual`.
    ///
    /// # Errors
    /// See [`StartError`].
    pub async fn start_prompt(
        &self,
        trigger_id: &TriggerId,
        backend: BackendType,
        prompt: String,
    ) -> Result<Execution, StartError> {
        let id = ExecutionId::generate(trigger_id, self.clock.now());
        self.start_prompt_as(
            id,
            trigger_id,
            PromptRun { backend, model: None, allowed_tools: None, tooling: Default::default() },
            prompt,
        )
        .await
    }

    /// [`Self::start_prompt`] under the id `id`, chosen (and recorded) by the caller first,
    /// so a caller that crashed in between finds the run instead of starting another.
    ///
    /// # Errors
    /// See [`StartError`]; `Store` when an execution with this id exists.
    pub async fn start_prompt_as(
        &self,
        id: ExecutionId,
        trigger_id: &TriggerId,
        run: PromptRun,
        prompt: String,
    ) -> Result<Execution, StartError> {
        let (trigger, paths) = self.startable(trigger_id).await?;
        let mut snapshot = snapshot(&trigger, &paths, prompt, Vec::new());
        snapshot.tooling = self.given_tooling(&trigger, &run.tooling).await?;
        if run.backend != trigger.settings.backend_type || trigger.settings.backend_id.is_some() {
            // The trigger's model and custom command belong to its own CLI.
            snapshot.backend_type = run.backend;
            snapshot.backend_id = None;
            snapshot.model = None;
            // The chain names the trigger's own choices; the backend asked for runs alone.
            snapshot.chain.clear();
        }
        if run.model.is_some() {
            snapshot.model = run.model;
        }
        if run.allowed_tools.is_some() {
            snapshot.allowed_tools = run.allowed_tools;
        }
        let admission = Admission { claims: Vec::new(), at_most_active: at_most_active(&trigger) };
        self.enqueue_as(id, &trigger.id, TriggerType::Manual, snapshot, None, None, admission).await
    }

    /// Runs a finished execution again from its stored snapshot, linked to it.
    ///
    /// # Errors
    /// See [`StartError`]; `NotFound` for an unknown execution, `Busy` when it is still active.
    pub async fn retry(&self, id: &ExecutionId) -> Result<Execution, StartError> {
        let original = self.executions.get(id).await?.ok_or(StartError::NotFound("execution"))?;
        if !original.status.is_terminal() {
            return Err(StartError::Busy(original.execution_id));
        }
        let trigger = self.triggers.get(&original.trigger_id).await?;
        if let Some(trigger) = &trigger {
            self.check_concurrency(trigger).await?;
        }
        self.enqueue(
            &original.trigger_id,
            original.trigger_type,
            original.snapshot.clone(),
            original.message.clone(),
            Some(original.execution_id.clone()),
            Admission { claims: Vec::new(), at_most_active: trigger.as_ref().and_then(at_most_active) },
        )
        .await
    }

    /// The newest run that answered `repository`'s pull request or issue `number`.
    ///
    /// # Errors
    /// [`ExecStoreError`] when it cannot be read.
    pub async fn latest_on_github(&self, repository: &str, number: u64) -> Result<Option<Execution>, ExecStoreError> {
        self.executions.latest_on_github(repository, number).await
    }

    /// Continues a finished run: the CLI and account it ran on, in its
    /// workspace, with its session resumed and `message` as the prompt.
    ///
    /// # Errors
    /// See [`StartError`]: `NotFound`; `Busy` while the run, or another run
    /// of its thread, is active; `Refused` when there is no session to resume.
    pub async fn follow_up(&self, id: &ExecutionId, request: crate::FollowUp) -> Result<Execution, StartError> {
        let original = self.executions.get(id).await?.ok_or(StartError::NotFound("execution"))?;
        if !original.status.is_terminal() {
            return Err(StartError::Busy(original.execution_id));
        }
        let (prompt, inputs) = request.prompt(self.max_untrusted_chars);
        let mut snapshot = crate::follow_up::snapshot(&original, prompt).map_err(StartError::Refused)?;
        snapshot.inputs = inputs;
        let thread = snapshot.resume.as_ref().map(|r| r.workspace_of.clone());
        let active = self.executions.active_for_trigger(&original.trigger_id).await?;
        let in_thread =
            |e: &Execution| crate::follow_up::thread_of(e) == thread || Some(&e.execution_id) == thread.as_ref();
        if let Some(busy) = active.into_iter().find(in_thread) {
            return Err(StartError::Busy(busy.execution_id));
        }
        let trigger = self.triggers.get(&original.trigger_id).await?;
        if let Some(trigger) = &trigger {
            self.check_concurrency(trigger).await?;
        }
        self.enqueue(
            &original.trigger_id,
            request.trigger_type,
            snapshot,
            Some(request.message),
            None,
            Admission { claims: request.claims, at_most_active: trigger.as_ref().and_then(at_most_active) },
        )
        .await
    }

    /// Stops a queued or running execution.
    ///
    /// # Errors
    /// See [`CancelError`].
    pub async fn cancel(&self, id: &ExecutionId) -> Result<Cancelled, CancelError> {
        let mut execution = self.executions.get(id).await?.ok_or(CancelError::NotFound)?;
        if matches!(execution.status, ExecutionStatus::Queued | ExecutionStatus::RateLimited) {
            // Only while it still waits: a worker may be claiming it right now.
            let outcome =
                Outcome::closing(&execution, ExecutionStatus::Cancelled, "cancelled by a user", self.clock.now());
            if self.executions.finish_if(id, execution.status, &outcome).await? {
                return Ok(Cancelled::Immediately);
            }
            execution = self.executions.get(id).await?.ok_or(CancelError::NotFound)?;
        }
        if execution.status.is_terminal() {
            return Err(CancelError::NotRunning(execution.status));
        }
        if self.control.cancel(id) {
            return Ok(Cancelled::Signalled);
        }
        // Running, but not in this process (another server, or one that crashed): end it in the store.
        let outcome = Outcome::closing(&execution, ExecutionStatus::Cancelled, "cancelled by a user", self.clock.now());
        if self.executions.finish(id, &outcome).await? {
            Ok(Cancelled::Immediately)
        } else {
            // It ended between the read and the write.
            let status = self.executions.get(id).await?.map_or(ExecutionStatus::Cancelled, |e| e.status);
            Err(CancelError::NotRunning(status))
        }
    }

    /// Queues again every rate-limited run whose next attempt is due; returns
    /// how many. Called by a watcher; the waiting state lives in the execution
    /// rows, so a restart loses nothing.
    ///
    /// # Errors
    /// [`ExecStoreError`] when the due runs cannot be read.
    pub async fn requeue_due(&self) -> Result<usize, ExecStoreError> {
        let due = self.executions.requeue_due(self.clock.now()).await?;
        for id in &due {
            if let Err(e) = self.queue.enqueue(id).await {
                // It stays `queued`: start-up recovery queues it again.
                tracing::error!(execution_id = %id, error = %e, "could not queue a rate-limited run again");
            } else {
                tracing::info!(execution_id = %id, "rate-limited run queued for its next attempt");
            }
        }
        Ok(due.len())
    }

    /// Tries a run waiting on a rate limit now instead of at its next attempt ("Try now"):
    /// it is queued at once and goes through its chain again, which counts as an attempt.
    ///
    /// # Errors
    /// `NotFound`; `NotWaiting` unless it is `rate_limited`; `Store`.
    pub async fn try_now(&self, id: &ExecutionId) -> Result<Execution, TryNowError> {
        let execution = self.executions.get(id).await?.ok_or(TryNowError::NotFound)?;
        if execution.status != ExecutionStatus::RateLimited
            || self.executions.wake(std::slice::from_ref(id), self.clock.now()).await?.is_empty()
        {
            let now = self.executions.get(id).await?.map_or(execution.status, |e| e.status);
            return Err(TryNowError::NotWaiting(now));
        }
        self.requeue_due().await?;
        self.executions.get(id).await?.ok_or(TryNowError::NotFound)
    }

    /// The trigger and its paths, if it may start a run now.
    async fn startable(&self, trigger_id: &TriggerId) -> Result<(Trigger, Vec<ProjectPath>), StartError> {
        let trigger = self.triggers.get(trigger_id).await?.ok_or(StartError::NotFound("trigger"))?;
        if !trigger.settings.enabled {
            return Err(StartError::Disabled(trigger.settings.name));
        }
        self.check_concurrency(&trigger).await?;
        let paths = self.triggers.paths(&trigger.id).await?.into_iter().map(|p| p.path).collect();
        Ok((trigger, paths))
    }

    /// The common refusal, with the running run named; the insert checks the cap again
    /// atomically ([`NewExecution::at_most_active`]) for starts that race this check.
    async fn check_concurrency(&self, trigger: &Trigger) -> Result<(), StartError> {
        if trigger.settings.concurrency_policy != ConcurrencyPolicy::Reject {
            return Ok(());
        }
        let active = self.executions.active_for_trigger(&trigger.id).await?;
        if active.len() >= usize::from(trigger.settings.max_concurrent) {
            let blocking = active.iter().find(|e| e.status == ExecutionStatus::Running).or(active.first());
            if let Some(blocking) = blocking {
                return Err(StartError::Busy(blocking.execution_id.clone()));
            }
        }
        Ok(())
    }

    async fn enqueue(
        &self,
        trigger_id: &TriggerId,
        trigger_type: TriggerType,
        snapshot: RunSnapshot,
        message: Option<String>,
        retry_of: Option<ExecutionId>,
        admission: Admission,
    ) -> Result<Execution, StartError> {
        let id = ExecutionId::generate(trigger_id, self.clock.now());
        self.enqueue_as(id, trigger_id, trigger_type, snapshot, message, retry_of, admission).await
    }

    #[expect(clippy::too_many_arguments, reason = "one private step, called from two places")]
    async fn enqueue_as(
        &self,
        id: ExecutionId,
        trigger_id: &TriggerId,
        trigger_type: TriggerType,
        snapshot: RunSnapshot,
        message: Option<String>,
        retry_of: Option<ExecutionId>,
        admission: Admission,
    ) -> Result<Execution, StartError> {
        let now = self.clock.now();
        let new = NewExecution {
            execution_id: id,
            trigger_id: trigger_id.clone(),
            trigger_type,
            snapshot,
            message,
            retry_of,
            queued_at: now,
            claims: admission.claims,
            at_most_active: admission.at_most_active,
        };
        let execution = self.executions.insert(&new).await?;
        if let Err(e) = self.queue.enqueue(&execution.execution_id).await {
            // Not started: forget the claims, so the sender's retry is not taken for a duplicate.
            let keys: Vec<String> = new.claims.iter().map(|c| c.key.clone()).collect();
            if let Err(store) = self.executions.release_claims(trigger_id, &keys).await {
                tracing::error!(error = %store, execution_id = %execution.execution_id, "could not release an unqueued run's dedup keys");
            }
            let outcome = Outcome {
                status: ExecutionStatus::Failed,
                exit_code: None,
                error_message: Some(format!("could not be queued: {e}")),
                finished_at: self.clock.now(),
                duration_ms: 0,
                usage: Usage::default(),
            };
            if let Err(store) = self.executions.finish(&execution.execution_id, &outcome).await {
                tracing::error!(error = %store, execution_id = %execution.execution_id, "could not mark an unqueued run failed");
            }
            return Err(StartError::Queue(e));
        }
        Ok(execution)
    }
}

/// What a run of `trigger` with `prompt` needs, frozen.
fn snapshot(trigger: &Trigger, paths: &[ProjectPath], prompt: String, inputs: Vec<PromptInput>) -> RunSnapshot {
    let s = &trigger.settings;
    let of = |local: bool| {
        paths.iter().filter(|p| matches!(p, ProjectPath::Local(_)) == local).map(|p| p.as_str().to_owned()).collect()
    };
    RunSnapshot {
        prompt,
        backend_type: s.backend_type,
        backend_id: s.backend_id.clone(),
        model: s.model.clone(),
        allowed_tools: s.allowed_tools.clone(),
        local_paths: of(true),
        repositories: of(false),
        timeout_seconds: u32::from(s.timeout_seconds.get()),
        sigterm_grace_seconds: u32::from(s.sigterm_grace_seconds),
        stall_timeout_seconds: s.stall_timeout_seconds,
        inputs,
        chain: s.fallback_chain.clone(),
        github: None,
        resume: None,
        setup: s.setup.clone(),
        tooling: crate::tooling::RunTooling::default(),
    }
}

/// Renders the prompt; every value from the request is untrusted, so it is
/// guarded and fenced, and returned for the audit trail.
fn render(
    trigger: &Trigger,
    paths: &[ProjectPath],
    request: &RunRequest,
    max_chars: usize,
) -> (RenderedPrompt, Vec<PromptInput>) {
    let shown: Vec<String> = paths.iter().map(|p| p.as_str().to_owned()).collect();
    let template = &trigger.settings.prompt_template;
    // Only values the template uses are guarded, substituted and kept in the trail.
    let inputs: Vec<PromptInput> = request
        .message
        .iter()
        .map(|m| ("message", m.as_str()))
        .chain(request.values.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .filter(|(name, _)| template.contains(&format!("{{{name}}}")))
        .map(|(name, raw)| PromptInput::guard(name, raw, max_chars))
        .collect();
    let mut values = PromptValues::for_run(trigger.id.as_str(), &shown, None);
    if !inputs.is_empty() {
        let nonce = FenceNonce::generate();
        for input in &inputs {
            values = values.with(&input.name, input.fenced(&nonce));
        }
    }
    (PromptRenderer::render(template, trigger.settings.skill_command.as_deref(), &values), inputs)
}

/// What guards a new execution's insert: its dedup claims, and the concurrency cap.
struct Admission {
    claims: Vec<crate::DedupClaim>,
    at_most_active: Option<u16>,
}

/// The cap a trigger with the reject policy puts on its queued and running runs.
fn at_most_active(trigger: &Trigger) -> Option<u16> {
    (trigger.settings.concurrency_policy == ConcurrencyPolicy::Reject).then_some(trigger.settings.max_concurrent)
}
