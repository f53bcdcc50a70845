//! Process runner: spawns CLI processes in their own process group, streams
//! their output line by line, and stops the whole group on timeout or cancel.
//! Implements the executions domain's `ProcessRunner` port.
//!
//! Architecture invariant: an adapter over the executions domain and tokio;
//! it decides nothing about what to run, only how to run it safely.
//!
//! Status: the runner arrives with the run-a-bot issue; this crate holds no
//! code yet, so nothing can mistake it for a working runner.
