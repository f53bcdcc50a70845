//! The roadmap domain: projects planned as milestones, phases and
//! requirements, in the GRD `.planning/` formats.
//!
//! Architecture invariant: pure Rust over `agented_kernel`. No Diesel, actix,
//! apalis or adapter crate; a bot is asked for help only through a port.

mod aggregate;
pub mod edits;
pub mod export;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod ids;
pub mod import;
pub mod markdown;
pub mod model;
pub mod planning;
pub mod ports;
pub mod rules;
pub mod service;

pub use edits::{MAX_IMPORT_FILES, MilestoneFields, PhaseFields, ProjectFields, RequirementFields, RoadmapEdit};
pub use export::export;
pub use ids::{PhaseNumber, RequirementId, RoadmapIdError};
pub use import::{Imported, import};
pub use model::{
    Decision, Milestone, MilestoneStatus, Note, Phase, PhaseStatus, PhaseType, Plan, Requirement, RequirementStatus,
    ResearchDoc, ResearchKind, Roadmap, Tier, Todo, UnknownValue, VerificationLevel, check_version, safe_version,
};
pub use ports::{HISTORY_KEPT, Project, ProjectRepository, ProjectStoreError, ProjectWriteError, RoadmapVersion};
pub use rules::{Coverage, MilestoneProgress, PhaseProgress, Progress, RuleError};
pub use service::{ChangeError, RoadmapService};
