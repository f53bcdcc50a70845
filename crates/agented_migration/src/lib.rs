//! Migration from the Python Agented: an import of its database runs in the
//! background, tells its progress table by table, and ends with a report of
//! every row imported, already present, skipped or not imported, and why.
//!
//! Architecture invariant: a domain crate. It knows no database or framework:
//! reading the original's file and writing this installation's store is the
//! [`PythonImporter`] port, and at most one import runs at a time, so two
//! uploads never interleave their writes.

#[cfg(feature = "fakes")]
pub mod fakes;
pub mod job;
pub mod ports;
pub mod report;
pub mod service;

pub use job::{ImportJob, ImportProgress, ImportStatus};
pub use ports::{ImportFailure, Progress, PythonImporter};
pub use report::{IdChange, ImportReport, NotImported, RowOutcome, Skipped, TableCount, Warning};
pub use service::{ImportError, ImportService};
