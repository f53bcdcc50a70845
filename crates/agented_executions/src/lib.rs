//! The execution domain: the life of one bot run and the CLI backends that
//! perform it.
//!
//! Architecture invariant: pure Rust over `agented_kernel` and
//! `agented_triggers`. No Diesel, actix, apalis, tokio process or adapter
//! crate: the runner, queue and store implement this crate's ports.

pub mod backends;
pub mod status;

pub use backends::{BUILTIN_BACKENDS, BuiltinBackend};
pub use status::{ExecutionStatus, UnknownStatus};
