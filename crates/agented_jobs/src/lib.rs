//! Background jobs: the apalis queue that carries bot runs and timed work,
//! implementing the executions domain's `RunQueue` port.
//!
//! Architecture invariant: an adapter. Jobs carry only ids and are
//! idempotent; the database row is the source of truth, never the queue.
//!
//! Status: the queue arrives with the run-a-bot issue; this crate holds no
//! code yet, so nothing can mistake it for a working queue.
