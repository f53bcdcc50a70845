//! The trigger domain: what makes a bot run (webhook, GitHub event, schedule,
//! manual Run), the rules its settings obey, and the triggers Agented ships.
//!
//! Architecture invariant: pure Rust over `agented_kernel`. No Diesel, actix,
//! apalis or adapter crate; storage and transport reach this crate only
//! through the ports it defines.

pub mod cache;
pub mod deliveries;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod fallback;
pub mod github;
pub mod models;
pub mod origin;
pub mod patch;
pub mod ports;
pub mod post;
pub mod predefined;
pub mod schedule;
pub mod service;
pub mod setup;
pub mod source;
pub mod tooling;
pub mod trigger;
pub mod verdict;
pub mod webhook;

pub use cache::CachedTriggers;
pub use deliveries::{DeliveryRecord, KEPT_BODY_BYTES, is_harmless_header, kept_body, redact_headers};
pub use fallback::{FallbackEntry, MAX_CHAIN_ENTRIES, check_chain};
pub use github::{GithubEvent, github_placeholders};
pub use models::{TimeoutSeconds, TriggerSource, UnknownSource};
pub use origin::GithubOrigin;
pub use patch::{MAX_PROMPT_CHARS, MAX_STALL_SECONDS, TriggerPatch, nullable};
pub use ports::{DedupLedger, DeliveryLog, TriggerRepository, TriggerStoreError, TriggerWriteError};
pub use post::PostResult;
pub use predefined::{AGENTS, PLANNER, PR_REVIEW, PredefinedTrigger, SUPER_AGENTS};
pub use schedule::{Schedule, SlotPlan, next_run_after_change, next_run_at};
pub use service::{PathRequest, SettingsCheck, TriggerChange, TriggerError, TriggerService};
pub use setup::{MAX_SETUP_CHARS, SetupStep};
pub use source::{GithubFilter, SourceRule, WebhookRule};
pub use tooling::ToolingInput;
pub use trigger::{
    ConcurrencyPolicy, DEFAULT_GITHUB_EVENTS, ExecutionMode, FieldErrors, ProjectPath, Trigger, TriggerPath,
    TriggerSettings,
};
pub use verdict::{MatchVerdict, verdict};
pub use webhook::{WebhookMatch, match_payload, payload_key, value_at};
