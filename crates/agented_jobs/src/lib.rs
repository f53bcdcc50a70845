//! Background jobs: the apalis queue that carries bot runs, implementing the
//! executions domain's `RunQueue` port, the worker that hands each job to the
//! runner, and the `Ticker` every timed background loop runs on.
//!
//! Architecture invariant: an adapter. Jobs carry only ids and are
//! idempotent; the database row is the source of truth, never the queue.
//! Beside a SQLite store the queue lives in its own file (`jobs.db`), so
//! apalis's sqlx pool and Diesel's pool never contend for one file's write
//! lock; on PostgreSQL it is apalis-postgres in the same database.

pub mod notices;
pub mod postgres_queue;
pub mod queue;
pub mod ticker;
pub mod worker;

pub use notices::PgNotices;
pub use postgres_queue::PostgresRunQueue;
pub use queue::{JobQueue, JobsError, RUNS_QUEUE, RunJob, SqliteRunQueue};
pub use ticker::Ticker;
pub use worker::{RunHandler, WorkerHandle, start_worker};
