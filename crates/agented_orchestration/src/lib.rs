//! The orchestration domain: accounts of each backend, fallback chains,
//! rate-limit rotation with backoff, and budgets over what runs spend.
//! [`Orchestration`] is the facade; the runner asks it how each run may go on.
//!
//! Architecture invariant: pure Rust over the kernel, trigger and execution
//! domains. No Diesel, actix, apalis or tokio process; the store implements
//! this crate's ports.

pub mod accounts;
pub mod budgets;
pub mod chain;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod period;
pub mod ports;
pub mod rate_limit;
mod service;
pub mod usage;

pub use accounts::{
    Account, AccountDraft, AccountPatch, AccountUsage, account_ref, imported_account_id, imported_account_text,
};
pub use budgets::{Budget, BudgetDraft, BudgetLevel, BudgetPatch, BudgetScope, BudgetState, RunScope};
pub use chain::{AttemptEnd, ChainEnd, ChainRun, ChainStep, EntryFacts};
pub use period::{BudgetPeriod, Window};
pub use ports::{
    AccountRepository, BudgetAlerts, BudgetRepository, OrchestrationStoreError, Reservation, ReservationRule, Spend,
    SpendFilter, SpendReader, WriteError,
};
pub use rate_limit::{Backoff, DEFAULT_PATTERNS, RateLimitHit, RateLimitRules};
pub use service::{
    Attempt, BudgetAnswer, BudgetCheck, BudgetQuestion, EnvLookup, MAX_USAGE_SPAN_DAYS, Orchestration,
    OrchestrationError, OrchestrationOptions, OrchestrationPorts, UsageAnswer, UsageRequest, builtin_id, builtin_type,
};
pub use usage::{GroupKey, Tally, UsageReport, UsageRow};
