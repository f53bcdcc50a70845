//! Planning with a bot's help: sessions that ask questions and propose a
//! plan, and research runs that write a milestone's research documents.
//! The bot is asked only through the [`PlanningAssistant`] port.

pub mod ports;
pub mod prompts;
pub mod proposal;
pub mod reply;
pub mod research;
pub mod service;
pub mod session;

pub use ports::{
    AssistantError, PlanningAssistant, PlanningStore, PlanningStoreError, PlanningWork, RunState, Versioned,
};
pub use proposal::{
    Answer, Change, CheckedProposal, Diff, FieldChange, MergeOptions, Proposal, ProposedMilestone, ProposedPhase,
    ProposedRequirement, Question,
};
pub use research::{PartStatus, ResearchPart, ResearchRun, ResearchStage};
pub use service::{PlanningError, PlanningService};
pub use session::{PlanningSession, Purpose, SessionRun, Stage};
