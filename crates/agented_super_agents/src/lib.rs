//! Persistent agents ("super agents"): an agent with documents that make it
//! who it is (SOUL, IDENTITY, ROLE) and what it remembers (MEMORY), chats in
//! which each message is one turn of the agent's own CLI session, resumed so
//! context carries over, and messages agents leave each other.
//!
//! A turn is an ordinary execution (cost, budget, audit) started through the
//! [`ChatRunner`] port. A reply may rewrite MEMORY with a fenced `memory`
//! block; every change of a document is kept as a version.
//!
//! Architecture invariant: a domain crate. It knows no framework or database:
//! storage is [`SuperAgentStore`], runs are [`ChatRunner`], and the rules (what
//! a document or message may hold, one turn at a time per chat, how a reply
//! changes MEMORY) live in [`SuperAgentService`].

#[cfg(feature = "fakes")]
pub mod fakes;
pub mod model;
pub mod ports;
pub mod prompt;
pub mod service;

pub use model::{
    AgentInput, AgentMessage, ChatMessage, ChatSession, ChatStatus, DocKind, Document, DocumentVersion, Role,
    SuperAgent, TurnState,
};
pub use ports::{ChatRunner, RunnerError, SuperAgentStore, SuperAgentStoreError, TurnOutcome};
pub use service::{ChatEvent, SuperAgentError, SuperAgentService};
