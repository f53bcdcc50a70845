//! Interactive sessions: a CLI (claude, codex, gemini, opencode) or a command
//! the configuration allows, running in a pseudo-terminal that a person types
//! into from the dashboard. Output is kept in order and replayed on reconnect;
//! sessions end on stop, after an idle timeout and with the server; a session
//! whose server died is marked interrupted at the next start.
//!
//! Architecture invariant: a domain crate. It knows no framework, database or
//! process API: storage is [`SessionRepository`], the pseudo-terminals are
//! [`Terminals`], projects are [`ProjectDirectory`]. The rules (what may run,
//! the per-key limit, one planning session per project, idle timeout, how a
//! session ended) live in [`SessionService`].

#[cfg(feature = "fakes")]
pub mod fakes;
pub mod follow;
pub mod model;
pub mod ports;
pub mod program;
pub mod service;

pub use follow::SessionEvent;
pub use model::{OutputChunk, Purpose, Session, SessionStatus, TerminalSize};
pub use ports::{
    LaunchSpec, ProjectDirectory, SessionRepository, SessionStoreError, TerminalError, TerminalSink, Terminals,
};
pub use program::{Launch, ProgramRequest, Programs};
pub use service::{OpenRequest, SessionError, SessionLimits, SessionRef, SessionService};
