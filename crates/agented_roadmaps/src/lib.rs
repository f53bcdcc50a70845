//! The roadmap domain: projects planned as milestones, phases and
//! requirements, in the GRD `.planning/` formats.
//!
//! Architecture invariant: pure Rust over `agented_kernel`. No Diesel, actix,
//! apalis or adapter crate; a bot is asked for help only through a port.

pub mod ids;

pub use ids::{PhaseNumber, RequirementId, RoadmapIdError};
