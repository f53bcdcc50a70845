//! The process runner: spawns CLI processes in their own process group,
//! streams their lines into the log store and bus, and stops them on
//! timeout, cancel or shutdown without leaving a process behind.
//!
//! Architecture invariant: an adapter over the executions domain's ports;
//! it decides nothing about triggers or budgets, it runs what it is given.

pub mod bus;
pub mod probe;
pub mod process;
pub mod recovery;
pub mod worker;
pub mod workspace;

pub use bus::MemoryLogBus;
pub use probe::PathProbe;
pub use recovery::{leftover_processes, recover_interrupted};
pub use worker::{Runner, RunnerOptions, RunnerPorts};
