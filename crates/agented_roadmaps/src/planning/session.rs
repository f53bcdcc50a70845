//! A planning session: the bot asks clarifying questions about a goal, the
//! user answers, the bot proposes a plan, the user accepts (or edits, or
//! discards) it. Nothing reaches the roadmap before the accept.

use super::ports::RunState;
use super::proposal::{Answer, Proposal, Question, parse_proposal, parse_questions};
use agented_kernel::{BackendType, ExecutionId, PlanningId, ProjectId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// A run is asking the bot for clarifying questions.
    Asking,
    /// The questions wait for the user's answers.
    Answering,
    /// A run is asking the bot for a plan.
    Proposing,
    /// The plan waits for the user to accept it.
    Proposed,
    /// The plan was merged into the roadmap.
    Accepted,
    /// The user dropped the session.
    Discarded,
}

impl Stage {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Asking => "asking",
            Self::Answering => "answering",
            Self::Proposing => "proposing",
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
            Self::Discarded => "discarded",
        }
    }
}

/// What a run of a session was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Clarifying questions.
    Questions,
    /// A proposed plan.
    Proposal,
}

/// One run of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRun {
    /// The execution (listed under Executions).
    pub execution_id: ExecutionId,
    /// What it was asked.
    pub purpose: Purpose,
    /// `None` while it runs; then `ok` or why it did not help.
    pub outcome: Option<String>,
}

/// A planning conversation about one project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanningSession {
    /// `plan-…`.
    pub id: PlanningId,
    /// The project planned.
    pub project_id: ProjectId,
    /// What the user wants to achieve.
    pub goal: String,
    /// The CLI asked.
    pub backend: BackendType,
    /// Where it is.
    pub stage: Stage,
    /// The bot's questions.
    pub questions: Vec<Question>,
    /// The user's answers.
    pub answers: Vec<Answer>,
    /// The bot's plan (as edited, once accepted).
    pub proposal: Option<Proposal>,
    /// Why the last run did not give what was asked; a retry clears it.
    pub error: Option<String>,
    /// Every run, oldest first.
    pub runs: Vec<SessionRun>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl PlanningSession {
    /// The run still going, if any.
    #[must_use]
    pub fn current_run(&self) -> Option<&ExecutionId> {
        self.runs.last().filter(|r| r.outcome.is_none()).map(|r| &r.execution_id)
    }

    /// Whether a run is going whose reply is awaited.
    #[must_use]
    pub fn is_waiting(&self) -> bool {
        matches!(self.stage, Stage::Asking | Stage::Proposing) && self.current_run().is_some()
    }

    /// Whether the last run failed and may be retried.
    #[must_use]
    pub fn can_retry(&self) -> bool {
        matches!(self.stage, Stage::Asking | Stage::Proposing) && self.error.is_some() && self.current_run().is_none()
    }

    /// Takes in the current run's state; `true` when that changed the session.
    pub fn observe(&mut self, state: RunState, at: DateTime<Utc>) -> bool {
        let stage = self.stage;
        let Some(run) = self.runs.last_mut().filter(|r| r.outcome.is_none()) else { return false };
        let result = match state {
            RunState::Running => return false,
            RunState::Failed(why) => Err(format!("The run {} failed: {why}", run.execution_id)),
            RunState::Succeeded(reply) => match stage {
                Stage::Asking => parse_questions(&reply).map(|q| {
                    self.questions = q;
                    Stage::Answering
                }),
                _ => parse_proposal(&reply).map(|p| {
                    self.proposal = Some(p);
                    Stage::Proposed
                }),
            }
            .map_err(|e| format!("The bot's reply could not be used: {e}. Retry to ask again.")),
        };
        match result {
            Ok(next) => {
                run.outcome = Some("ok".into());
                self.stage = next;
                self.error = None;
            }
            Err(why) => {
                run.outcome = Some(why.clone());
                self.error = Some(why);
            }
        }
        self.updated_at = at;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(stage: Stage, purpose: Purpose) -> PlanningSession {
        PlanningSession {
            id: PlanningId::generate(),
            project_id: ProjectId::generate(),
            goal: "a todo app".into(),
            backend: BackendType::Claude,
            stage,
            questions: Vec::new(),
            answers: Vec::new(),
            proposal: None,
            error: None,
            runs: vec![SessionRun {
                execution_id: ExecutionId::parse("exec-bot-planner-20261122T100000-abcd").unwrap(),
                purpose,
                outcome: None,
            }],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn questions_move_the_session_to_answering() {
        let mut s = session(Stage::Asking, Purpose::Questions);
        assert!(s.is_waiting());
        assert!(!s.observe(RunState::Running, Utc::now()));
        assert!(s.observe(RunState::Succeeded(r#"{"questions": ["Who uses it?"]}"#.into()), Utc::now()));
        assert_eq!(s.stage, Stage::Answering);
        assert_eq!(s.questions[0].id, "q1");
        assert!(!s.is_waiting());
        assert_eq!(s.runs[0].outcome.as_deref(), Some("ok"));
    }

    #[test]
    fn a_malformed_reply_keeps_the_stage_and_allows_a_retry() {
        let mut s = session(Stage::Proposing, Purpose::Proposal);
        assert!(s.observe(RunState::Succeeded(r#"{"milestones": [{"version": "v1""#.into()), Utc::now()));
        assert_eq!(s.stage, Stage::Proposing);
        assert!(s.proposal.is_none());
        let error = s.error.clone().unwrap();
        assert!(error.contains("could not be used") && error.contains("Retry"), "{error}");
        assert!(s.can_retry());
        assert!(!s.is_waiting());
    }

    #[test]
    fn a_failed_run_is_reported_with_its_id() {
        let mut s = session(Stage::Asking, Purpose::Questions);
        assert!(s.observe(RunState::Failed("exit code 2".into()), Utc::now()));
        assert!(s.error.as_deref().unwrap().contains("exec-bot-planner-20261122T100000-abcd failed: exit code 2"));
        assert!(s.can_retry());
    }
}
