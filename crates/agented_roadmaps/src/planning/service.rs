//! PlanningService: starts planning sessions and research runs, advances
//! them as their runs finish (on every read, and from the server's watcher),
//! and writes to the roadmap only through [`RoadmapService::change`].

use super::ports::{
    AssistantError, PlanningAssistant, PlanningStore, PlanningStoreError, PlanningWork, RunState, Versioned,
};
use super::prompts;
use super::proposal::{Answer, MergeOptions, Proposal};
use super::research::{PARALLEL, PartStatus, ResearchPart, ResearchRun};
use super::session::{PlanningSession, Purpose, SessionRun, Stage};
use crate::model::{ResearchDoc, ResearchKind};
use crate::ports::Project;
use crate::rules::RuleError;
use crate::service::{ChangeError, RoadmapService};
use agented_kernel::{BackendType, Clock, ExecutionId, PlanningId, ProjectId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Longest goal or answer.
const MAX_TEXT: usize = 4000;
/// Longest research template.
const MAX_TEMPLATE: usize = 20_000;

/// Why a planning request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanningError {
    /// No such project, session, research run or milestone (404).
    #[error("{0} not found")]
    NotFound(String),
    /// Not possible at this stage (409).
    #[error("{0}")]
    Stage(String),
    /// Invalid input, field → message (422).
    #[error("invalid input")]
    Invalid(BTreeMap<String, String>),
    /// The roadmap's rules refused the change (422).
    #[error(transparent)]
    Rule(RuleError),
    /// The bot could not be asked: the planner is disabled or busy (409).
    #[error("{0}")]
    Refused(String),
    /// Storage or the queue failed (503).
    #[error("{0}")]
    Unavailable(#[source] agented_kernel::Cause),
}

impl From<PlanningStoreError> for PlanningError {
    fn from(e: PlanningStoreError) -> Self {
        match e {
            PlanningStoreError::NoProject => Self::NotFound("project".into()),
            PlanningStoreError::Conflict => Self::Stage("it changed meanwhile; read it again".into()),
            PlanningStoreError::Store(e) => Self::Unavailable(e),
        }
    }
}

impl From<AssistantError> for PlanningError {
    fn from(e: AssistantError) -> Self {
        match e {
            AssistantError::Refused(why) => Self::Refused(why),
            AssistantError::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

impl From<ChangeError> for PlanningError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::NotFound => Self::NotFound("project".into()),
            ChangeError::Rule(rule) => Self::Rule(rule),
            ChangeError::DuplicateName(name) => Self::Stage(format!("a project named '{name}' already exists")),
            ChangeError::Invalid(fields) => Self::Invalid(fields),
            ChangeError::Store(e) => Self::Unavailable(e),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> PlanningError {
    PlanningError::Invalid(BTreeMap::from([(field.to_owned(), message.into())]))
}

fn text(field: &str, value: &str, required: bool) -> Result<String, PlanningError> {
    let value = value.trim();
    if (required && value.is_empty()) || value.chars().count() > MAX_TEXT {
        return Err(invalid(field, format!("is required (at most {MAX_TEXT} characters)")));
    }
    Ok(value.to_owned())
}

/// Plans with a bot's help.
#[derive(Clone)]
pub struct PlanningService {
    roadmaps: RoadmapService,
    store: Arc<dyn PlanningStore>,
    assistant: Arc<dyn PlanningAssistant>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PlanningService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanningService").finish_non_exhaustive()
    }
}

impl PlanningService {
    /// The service over its ports.
    #[must_use]
    pub fn new(
        roadmaps: RoadmapService,
        store: Arc<dyn PlanningStore>,
        assistant: Arc<dyn PlanningAssistant>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { roadmaps, store, assistant, clock }
    }

    async fn project(&self, id: &ProjectId) -> Result<Project, PlanningError> {
        Ok(self.roadmaps.get(id.as_str()).await?)
    }

    // ---- sessions -------------------------------------------------------------------------

    /// Starts a session: a run asks the bot for clarifying questions about `goal`.
    ///
    /// # Errors
    /// See [`PlanningError`]; nothing is stored when the run could not start.
    pub async fn start_session(
        &self,
        project_id: &ProjectId,
        goal: &str,
        backend: BackendType,
    ) -> Result<PlanningSession, PlanningError> {
        let goal = text("goal", goal, true)?;
        let project = self.project(project_id).await?;
        let run = self.assistant.ask(backend, &prompts::questions(&project.roadmap, &goal), &project.tooling).await?;
        let now = self.clock.now();
        let session = PlanningSession {
            id: PlanningId::generate(),
            project_id: project_id.clone(),
            goal,
            backend,
            stage: Stage::Asking,
            questions: Vec::new(),
            answers: Vec::new(),
            proposal: None,
            error: None,
            runs: vec![SessionRun { execution_id: run, purpose: Purpose::Questions, outcome: None }],
            created_at: now,
            updated_at: now,
        };
        self.store.insert(&PlanningWork::Session(session.clone())).await?;
        Ok(session)
    }

    async fn load_session(
        &self,
        project: &ProjectId,
        id: &PlanningId,
    ) -> Result<Versioned<PlanningSession>, PlanningError> {
        match self.store.get(project, id).await? {
            Some(Versioned { value: PlanningWork::Session(value), version }) => Ok(Versioned { value, version }),
            _ => Err(PlanningError::NotFound("planning session".into())),
        }
    }

    async fn save_session(&self, session: PlanningSession, version: i64) -> Result<PlanningSession, PlanningError> {
        self.store.save(&PlanningWork::Session(session.clone()), version).await?;
        Ok(session)
    }

    /// A session, advanced to what its run has produced so far.
    ///
    /// # Errors
    /// See [`PlanningError`].
    pub async fn session(&self, project: &ProjectId, id: &PlanningId) -> Result<PlanningSession, PlanningError> {
        let current = self.load_session(project, id).await?;
        self.advance_session(current).await
    }

    async fn advance_session(&self, current: Versioned<PlanningSession>) -> Result<PlanningSession, PlanningError> {
        let Versioned { value: mut session, version } = current;
        let Some(run) = session.current_run().cloned() else { return Ok(session) };
        let state = self.assistant.state(&run).await?;
        if !session.observe(state, self.clock.now()) {
            return Ok(session);
        }
        match self.store.save(&PlanningWork::Session(session.clone()), version).await {
            Ok(_) => Ok(session),
            // Another reader advanced it first: theirs is the same, read it back.
            Err(PlanningStoreError::Conflict) => Ok(self.load_session(&session.project_id, &session.id).await?.value),
            Err(e) => Err(e.into()),
        }
    }

    /// A project's sessions, newest first (not advanced).
    ///
    /// # Errors
    /// See [`PlanningError`].
    pub async fn sessions(&self, project: &ProjectId) -> Result<Vec<PlanningSession>, PlanningError> {
        Ok(self
            .work(project)
            .await?
            .into_iter()
            .filter_map(|w| match w {
                PlanningWork::Session(s) => Some(s),
                PlanningWork::Research(_) => None,
            })
            .collect())
    }

    /// A project's planning work of both kinds, newest first.
    async fn work(&self, project: &ProjectId) -> Result<Vec<PlanningWork>, PlanningError> {
        self.project(project).await?;
        Ok(self.store.list(project).await?.into_iter().map(|w| w.value).collect())
    }

    /// Records the answers and asks the bot for a plan.
    ///
    /// # Errors
    /// `Stage` unless the session waits for answers; `Invalid` for an unknown
    /// question id, a repeated one, or an answer that is too long.
    pub async fn answer(
        &self,
        project_id: &ProjectId,
        id: &PlanningId,
        answers: Vec<Answer>,
    ) -> Result<PlanningSession, PlanningError> {
        let Versioned { value: mut session, version } = self.load_session(project_id, id).await?;
        if session.stage != Stage::Answering {
            return Err(PlanningError::Stage(format!(
                "the session is {}, not waiting for answers",
                session.stage.as_str()
            )));
        }
        let mut checked: Vec<Answer> = Vec::new();
        for (i, a) in answers.into_iter().enumerate() {
            if !session.questions.iter().any(|q| q.id == a.question_id) {
                return Err(invalid(
                    &format!("answers[{i}].question_id"),
                    format!("no question has the id '{}'", a.question_id),
                ));
            }
            if checked.iter().any(|c| c.question_id == a.question_id) {
                return Err(invalid(&format!("answers[{i}].question_id"), "is answered twice"));
            }
            let answer = text(&format!("answers[{i}].answer"), &a.answer, false)?;
            checked.push(Answer { question_id: a.question_id, answer });
        }
        let project = self.project(project_id).await?;
        let prompt = prompts::proposal(&project.roadmap, &session.goal, &session.questions, &checked);
        let run = self.assistant.ask(session.backend, &prompt, &project.tooling).await?;
        session.answers = checked;
        session.stage = Stage::Proposing;
        session.error = None;
        session.runs.push(SessionRun { execution_id: run, purpose: Purpose::Proposal, outcome: None });
        session.updated_at = self.clock.now();
        self.save_session(session, version).await
    }

    /// Asks again after a failed run or a reply that could not be used.
    ///
    /// # Errors
    /// `Stage` unless the last run failed.
    pub async fn retry_session(
        &self,
        project_id: &ProjectId,
        id: &PlanningId,
    ) -> Result<PlanningSession, PlanningError> {
        let Versioned { value: mut session, version } = self.load_session(project_id, id).await?;
        if !session.can_retry() {
            return Err(PlanningError::Stage(format!(
                "only a failed step can be retried; the session is {}{}",
                session.stage.as_str(),
                if session.is_waiting() { " and its run is still going" } else { "" }
            )));
        }
        let project = self.project(project_id).await?;
        let (prompt, purpose) = match session.stage {
            Stage::Asking => (prompts::questions(&project.roadmap, &session.goal), Purpose::Questions),
            _ => (
                prompts::proposal(&project.roadmap, &session.goal, &session.questions, &session.answers),
                Purpose::Proposal,
            ),
        };
        let run = self.assistant.ask(session.backend, &prompt, &project.tooling).await?;
        session.error = None;
        session.runs.push(SessionRun { execution_id: run, purpose, outcome: None });
        session.updated_at = self.clock.now();
        self.save_session(session, version).await
    }

    /// Merges the proposal (or the user's edit of it) into the roadmap, all or nothing,
    /// as `options` say (see [`super::proposal::CheckedProposal::apply`]). The roadmap
    /// it replaces is kept in the project's history, so the accept can be undone.
    ///
    /// # Errors
    /// `Stage` unless a proposal waits; `Invalid` (fields under `proposal.`) or
    /// `Rule` when the plan is not valid, or would replace completed work unconfirmed;
    /// then the roadmap is unchanged.
    pub async fn accept(
        &self,
        project_id: &ProjectId,
        id: &PlanningId,
        edited: Option<Proposal>,
        options: &MergeOptions,
    ) -> Result<(PlanningSession, Project), PlanningError> {
        let Versioned { value: mut session, version } = self.load_session(project_id, id).await?;
        if session.stage != Stage::Proposed {
            return Err(PlanningError::Stage(format!(
                "the session is {}, not waiting for an accept",
                session.stage.as_str()
            )));
        }
        let proposal =
            edited.or_else(|| session.proposal.clone()).ok_or_else(|| PlanningError::Stage("no proposal".into()))?;
        let checked = proposal.checked().map_err(|errors| {
            PlanningError::Invalid(errors.into_iter().map(|(k, v)| (format!("proposal.{k}"), v)).collect())
        })?;
        // Kept in the history first: an accepted plan can be undone.
        let label = format!("accepting the plan “{}”", short(&session.goal));
        let ((), project) =
            self.roadmaps.change_recorded(project_id, &label, |roadmap| checked.apply(roadmap, options)).await?;
        session.proposal = Some(proposal);
        session.stage = Stage::Accepted;
        session.updated_at = self.clock.now();
        let session = self.save_session(session, version).await?;
        Ok((session, project))
    }

    /// Drops a session that has not been accepted.
    ///
    /// # Errors
    /// `Stage` once accepted.
    pub async fn discard(&self, project_id: &ProjectId, id: &PlanningId) -> Result<PlanningSession, PlanningError> {
        let Versioned { value: mut session, version } = self.load_session(project_id, id).await?;
        if session.stage == Stage::Accepted {
            return Err(PlanningError::Stage("an accepted session cannot be discarded".into()));
        }
        session.stage = Stage::Discarded;
        session.updated_at = self.clock.now();
        self.save_session(session, version).await
    }

    // ---- research -------------------------------------------------------------------------

    /// Starts a milestone's research: the four runs at once; the summary follows them.
    /// `templates` replace the defaults of the kinds they name.
    ///
    /// # Errors
    /// `NotFound` for an unknown milestone; `Invalid` for an empty or long
    /// template; `Stage` while another research of the milestone is going.
    pub async fn start_research(
        &self,
        project_id: &ProjectId,
        milestone: &str,
        backend: BackendType,
        templates: BTreeMap<ResearchKind, String>,
    ) -> Result<ResearchRun, PlanningError> {
        let mut all = prompts::default_research_templates();
        for (kind, template) in templates {
            if template.trim().is_empty() || template.chars().count() > MAX_TEMPLATE {
                return Err(invalid(&format!("templates.{kind}"), format!("must have 1 to {MAX_TEMPLATE} characters")));
            }
            all.insert(kind, template);
        }
        let project = self.project(project_id).await?;
        if project.roadmap.milestones.iter().all(|m| m.version != milestone) {
            return Err(PlanningError::NotFound(format!("milestone {milestone}")));
        }
        let going = self
            .store
            .list(project_id)
            .await?
            .into_iter()
            .any(|w| matches!(&w.value, PlanningWork::Research(r) if r.milestone == milestone && r.is_waiting()));
        if going {
            return Err(PlanningError::Stage(format!("research of milestone {milestone} is already running")));
        }
        let mut parts = Vec::new();
        for kind in PARALLEL {
            let prompt = prompts::research(&all[&kind], &project.roadmap, milestone, &BTreeMap::new());
            let part = match self.assistant.ask(backend, &prompt, &project.tooling).await {
                Ok(run) => ResearchPart { kind, status: PartStatus::Running, execution_id: Some(run), error: None },
                // Nothing started yet: refuse the whole research.
                Err(e) if parts.is_empty() => return Err(e.into()),
                Err(e) => {
                    ResearchPart { kind, status: PartStatus::Failed, execution_id: None, error: Some(e.to_string()) }
                }
            };
            parts.push(part);
        }
        parts.push(ResearchPart {
            kind: ResearchKind::Summary,
            status: PartStatus::Waiting,
            execution_id: None,
            error: None,
        });
        let now = self.clock.now();
        let run = ResearchRun {
            id: PlanningId::generate(),
            project_id: project_id.clone(),
            milestone: milestone.to_owned(),
            backend,
            templates: all,
            parts,
            created_at: now,
            updated_at: now,
        };
        self.store.insert(&PlanningWork::Research(run.clone())).await?;
        Ok(run)
    }

    async fn load_research(
        &self,
        project: &ProjectId,
        id: &PlanningId,
    ) -> Result<Versioned<ResearchRun>, PlanningError> {
        match self.store.get(project, id).await? {
            Some(Versioned { value: PlanningWork::Research(value), version }) => Ok(Versioned { value, version }),
            _ => Err(PlanningError::NotFound("research run".into())),
        }
    }

    /// A research run, advanced: finished parts stored, the summary started when due.
    ///
    /// # Errors
    /// See [`PlanningError`].
    pub async fn research(&self, project: &ProjectId, id: &PlanningId) -> Result<ResearchRun, PlanningError> {
        let current = self.load_research(project, id).await?;
        self.advance_research(current).await
    }

    /// A project's research runs, newest first (not advanced).
    ///
    /// # Errors
    /// See [`PlanningError`].
    pub async fn research_runs(&self, project: &ProjectId) -> Result<Vec<ResearchRun>, PlanningError> {
        Ok(self
            .work(project)
            .await?
            .into_iter()
            .filter_map(|w| match w {
                PlanningWork::Research(r) => Some(r),
                PlanningWork::Session(_) => None,
            })
            .collect())
    }

    async fn advance_research(&self, current: Versioned<ResearchRun>) -> Result<ResearchRun, PlanningError> {
        let Versioned { value: mut run, mut version } = current;
        let mut changed = false;
        for i in 0..run.parts.len() {
            let part = &run.parts[i];
            let (PartStatus::Running, Some(execution)) = (part.status, part.execution_id.clone()) else { continue };
            let state = self.assistant.state(&execution).await?;
            let (status, error) = match state {
                RunState::Running => continue,
                RunState::Failed(why) => (PartStatus::Failed, Some(format!("The run {execution} failed: {why}"))),
                RunState::Succeeded(reply) => {
                    // Stored before the run is marked done: a second advancer writes the same document.
                    match self.store_doc(&run, part.kind, reply, execution).await {
                        Ok(()) => (PartStatus::Done, None),
                        Err(PlanningError::Rule(rule)) => (PartStatus::Failed, Some(rule.to_string())),
                        Err(e) => return Err(e),
                    }
                }
            };
            run.parts[i].status = status;
            run.parts[i].error = error;
            changed = true;
        }
        if run.summary_due() {
            // Claim the summary first, so only one advancer starts its run.
            if let Some(part) = run.part_mut(ResearchKind::Summary) {
                part.status = PartStatus::Starting;
            }
            run.updated_at = self.clock.now();
            match self.store.save(&PlanningWork::Research(run.clone()), version).await {
                Ok(saved) => version = saved.version,
                Err(PlanningStoreError::Conflict) => {
                    return Ok(self.load_research(&run.project_id, &run.id).await?.value);
                }
                Err(e) => return Err(e.into()),
            }
            self.start_part(&mut run, ResearchKind::Summary).await?;
            changed = true;
        }
        if !changed {
            return Ok(run);
        }
        run.updated_at = self.clock.now();
        match self.store.save(&PlanningWork::Research(run.clone()), version).await {
            Ok(_) => Ok(run),
            Err(PlanningStoreError::Conflict) => Ok(self.load_research(&run.project_id, &run.id).await?.value),
            Err(e) => Err(e.into()),
        }
    }

    async fn store_doc(
        &self,
        run: &ResearchRun,
        kind: ResearchKind,
        markdown: String,
        execution: ExecutionId,
    ) -> Result<(), PlanningError> {
        let markdown = if markdown.trim().is_empty() { "(the bot replied with nothing)".to_owned() } else { markdown };
        let doc = ResearchDoc { milestone: run.milestone.clone(), kind, markdown, produced_by: Some(execution) };
        self.roadmaps.change(&run.project_id, |roadmap| roadmap.put_research(doc.clone())).await?;
        Ok(())
    }

    /// Starts the run of one part (its prompt filled from the current roadmap).
    async fn start_part(&self, run: &mut ResearchRun, kind: ResearchKind) -> Result<(), PlanningError> {
        let project = self.project(&run.project_id).await?;
        let docs: BTreeMap<ResearchKind, String> = project
            .roadmap
            .research
            .iter()
            .filter(|d| d.milestone == run.milestone)
            .map(|d| (d.kind, d.markdown.clone()))
            .collect();
        let template = run.templates.get(&kind).cloned().unwrap_or_default();
        let prompt = prompts::research(&template, &project.roadmap, &run.milestone, &docs);
        let asked = self.assistant.ask(run.backend, &prompt, &project.tooling).await;
        if let Some(part) = run.part_mut(kind) {
            match asked {
                Ok(execution) => {
                    part.status = PartStatus::Running;
                    part.execution_id = Some(execution);
                    part.error = None;
                }
                Err(e) => {
                    part.status = PartStatus::Failed;
                    part.error = Some(format!("could not start: {e}"));
                }
            }
        }
        Ok(())
    }

    /// Starts the failed parts again (the summary only once the four are done).
    ///
    /// # Errors
    /// `Stage` unless the research failed and nothing is running.
    pub async fn retry_research(&self, project: &ProjectId, id: &PlanningId) -> Result<ResearchRun, PlanningError> {
        let Versioned { value: mut run, version } = self.load_research(project, id).await?;
        if run.stage() != super::research::ResearchStage::Failed {
            return Err(PlanningError::Stage(format!(
                "only failed research can be retried; it is {}",
                run.stage().as_str()
            )));
        }
        let failed: Vec<ResearchKind> =
            run.parts.iter().filter(|p| p.status == PartStatus::Failed).map(|p| p.kind).collect();
        for kind in failed {
            if kind == ResearchKind::Summary
                && !PARALLEL.iter().all(|k| run.part(*k).is_some_and(|p| p.status == PartStatus::Done))
            {
                continue;
            }
            self.start_part(&mut run, kind).await?;
        }
        run.updated_at = self.clock.now();
        self.store.save(&PlanningWork::Research(run.clone()), version).await?;
        Ok(run)
    }

    /// Advances every session and research run whose runs may have finished
    /// (the server calls this every few seconds); returns how many changed.
    ///
    /// # Errors
    /// When the list cannot be read, or the first error met advancing one
    /// item (the others are still advanced).
    pub async fn advance_all(&self) -> Result<usize, PlanningError> {
        let mut changed = 0;
        let mut first_error = None;
        for work in self.store.active().await? {
            let before = work.version;
            let after = match work.value {
                PlanningWork::Session(s) => {
                    self.advance_session(Versioned { value: s.clone(), version: before }).await.map(|n| n != s)
                }
                PlanningWork::Research(r) => {
                    self.advance_research(Versioned { value: r.clone(), version: before }).await.map(|n| n != r)
                }
            };
            match after {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(changed), Err)
    }
}

/// The first line of `text`, at most 60 characters, for a history label.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_owned()
    }
}
