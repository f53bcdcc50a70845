//! The trigger domain: what makes a bot run (webhook, GitHub event, schedule,
//! manual Run), the rules its settings obey, and the triggers Agented ships.
//!
//! Architecture invariant: pure Rust over `agented_kernel`. No Diesel, actix,
//! apalis or adapter crate; storage and transport reach this crate only
//! through the ports it defines.

pub mod models;
pub mod predefined;

pub use models::{TimeoutSeconds, TriggerSource, UnknownSource};
pub use predefined::{PR_REVIEW, PredefinedTrigger};
