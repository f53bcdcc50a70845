//! A milestone's research: four runs in parallel (stack, features,
//! architecture, pitfalls), then a synthesis run writing the summary. Each
//! finished part is stored at once as the milestone's research document.

use crate::model::ResearchKind;
use agented_kernel::{BackendType, ExecutionId, PlanningId, ProjectId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The four kinds researched in parallel, before the summary.
pub const PARALLEL: [ResearchKind; 4] =
    [ResearchKind::Stack, ResearchKind::Features, ResearchKind::Architecture, ResearchKind::Pitfalls];

/// Where one part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    /// Not started (the summary, until the four are done).
    Waiting,
    /// Its run is being started (claimed by one advancer).
    Starting,
    /// Its run is going.
    Running,
    /// Its document is stored.
    Done,
    /// Its run failed; a retry starts it again.
    Failed,
}

impl PartStatus {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// One kind's run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResearchPart {
    /// Which document it writes.
    pub kind: ResearchKind,
    /// Where it is.
    pub status: PartStatus,
    /// Its latest run.
    pub execution_id: Option<ExecutionId>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Overall state, derived from the parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResearchStage {
    /// Some of the four are running.
    Researching,
    /// The summary is being written.
    Synthesising,
    /// Everything is stored.
    Done,
    /// A part failed and nothing is running: retry.
    Failed,
}

impl ResearchStage {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Researching => "researching",
            Self::Synthesising => "synthesising",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// One research of one milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResearchRun {
    /// `plan-…`.
    pub id: PlanningId,
    /// The project.
    pub project_id: ProjectId,
    /// The milestone's version.
    pub milestone: String,
    /// The CLI asked.
    pub backend: BackendType,
    /// The prompt template of each kind, as started (summary included).
    pub templates: BTreeMap<ResearchKind, String>,
    /// The four parts, then the summary.
    pub parts: Vec<ResearchPart>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl ResearchRun {
    /// The part of `kind`.
    #[must_use]
    pub fn part(&self, kind: ResearchKind) -> Option<&ResearchPart> {
        self.parts.iter().find(|p| p.kind == kind)
    }

    /// The part of `kind`, to change.
    pub fn part_mut(&mut self, kind: ResearchKind) -> Option<&mut ResearchPart> {
        self.parts.iter_mut().find(|p| p.kind == kind)
    }

    /// Where the whole research is.
    #[must_use]
    pub fn stage(&self) -> ResearchStage {
        let going = |p: &&ResearchPart| matches!(p.status, PartStatus::Starting | PartStatus::Running);
        let summary = self.part(ResearchKind::Summary).map_or(PartStatus::Waiting, |p| p.status);
        if self.parts.iter().any(|p| p.kind != ResearchKind::Summary && going(&p)) {
            ResearchStage::Researching
        } else if matches!(summary, PartStatus::Starting | PartStatus::Running) {
            ResearchStage::Synthesising
        } else if self.parts.iter().any(|p| p.status == PartStatus::Failed) {
            ResearchStage::Failed
        } else if summary == PartStatus::Done {
            ResearchStage::Done
        } else {
            // The four are done and the summary waits to be started.
            ResearchStage::Synthesising
        }
    }

    /// Whether a run is going or the summary is due (the watcher advances these).
    #[must_use]
    pub fn is_waiting(&self) -> bool {
        matches!(self.stage(), ResearchStage::Researching | ResearchStage::Synthesising)
    }

    /// Whether the four are done and the summary has not started.
    #[must_use]
    pub fn summary_due(&self) -> bool {
        PARALLEL.iter().all(|k| self.part(*k).is_some_and(|p| p.status == PartStatus::Done))
            && self.part(ResearchKind::Summary).is_some_and(|p| p.status == PartStatus::Waiting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(statuses: [PartStatus; 5]) -> ResearchRun {
        let kinds = [PARALLEL[0], PARALLEL[1], PARALLEL[2], PARALLEL[3], ResearchKind::Summary];
        ResearchRun {
            id: PlanningId::generate(),
            project_id: ProjectId::generate(),
            milestone: "v1.0".into(),
            backend: BackendType::Claude,
            templates: BTreeMap::new(),
            parts: kinds
                .into_iter()
                .zip(statuses)
                .map(|(kind, status)| ResearchPart { kind, status, execution_id: None, error: None })
                .collect(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn part_statuses_are_shown_by_their_stored_names() {
        use PartStatus::{Done, Failed, Running, Starting, Waiting};
        for status in [Waiting, Starting, Running, Done, Failed] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }

    #[test]
    fn the_stage_follows_the_parts() {
        use PartStatus::{Done, Failed, Running, Waiting};
        assert_eq!(run([Running, Done, Running, Done, Waiting]).stage(), ResearchStage::Researching);
        assert_eq!(run([Failed, Done, Running, Done, Waiting]).stage(), ResearchStage::Researching);
        assert_eq!(run([Failed, Done, Done, Done, Waiting]).stage(), ResearchStage::Failed);
        let due = run([Done, Done, Done, Done, Waiting]);
        assert!(due.summary_due());
        assert!(due.is_waiting());
        assert_eq!(due.stage(), ResearchStage::Synthesising);
        assert_eq!(run([Done, Done, Done, Done, Running]).stage(), ResearchStage::Synthesising);
        assert_eq!(run([Done, Done, Done, Done, Failed]).stage(), ResearchStage::Failed);
        let done = run([Done, Done, Done, Done, Done]);
        assert_eq!(done.stage(), ResearchStage::Done);
        assert!(!done.is_waiting());
        assert!(!run([Failed, Done, Done, Done, Waiting]).summary_due());
    }
}
