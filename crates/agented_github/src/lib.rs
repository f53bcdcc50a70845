//! Writing runs back to GitHub. A pull request a run answers gets a check run
//! (in progress at the start, success or failure at the end, linking to the
//! execution's page); the trigger's `post_result` decides where the answer
//! goes: one comment edited in place, a review, or the check run's summary.
//! Every call is retried with backoff, and what happened is written into the
//! run's log.
//!
//! Credentials are a token named by an environment variable, or a GitHub App
//! whose installation tokens are minted and cached (`token.rs`).
//!
//! Architecture invariant: an adapter implementing the executions domain's
//! `RunReporter` port over GitHub's REST API; it decides what to post from the
//! run and its trigger, and nothing else reaches GitHub.

mod api;
mod reporter;
mod token;

pub use api::{ApiFailure, GithubApi, Retry};
pub use reporter::GithubReporter;
pub use token::{AppCredentials, Credentials};
