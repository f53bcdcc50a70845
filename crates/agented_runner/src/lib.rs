//! The process runner: spawns CLI processes in their own process group,
//! streams their lines into the log store and bus, and stops them on
//! timeout, cancel or shutdown without leaving a process behind.
//!
//! Architecture invariant: an adapter over the executions domain's ports;
//! it decides nothing about triggers or budgets, it runs what it is given.

mod attempt;
pub mod bus;
mod collector;
mod execution;
pub mod fault;
pub mod mcp_stdio;
mod outcome;
pub mod probe;
pub mod process;
pub mod pty;
pub mod recovery;
mod runner;
pub mod sandbox;
pub mod setup;
pub mod tooling;
pub mod workflow;
pub mod workspace;
pub mod writer;

pub use bus::MemoryLogBus;
pub use probe::PathProbe;
pub use pty::{PtyOptions, PtyTerminals};
pub use recovery::{kill_marked, marked_processes, recover};
pub use runner::{Runner, RunnerOptions, RunnerPorts};
pub use workflow::{DriverOptions, DriverPorts, WorkflowDriver};
