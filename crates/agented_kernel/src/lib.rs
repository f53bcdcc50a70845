//! Shared vocabulary of every Agented domain: identifiers, the clock port,
//! pagination and small validated value types.
//!
//! Architecture invariant: this crate is the root of the dependency graph. It
//! depends on nothing but std, serde, thiserror, chrono and uuid, and knows no
//! framework, database or transport.

pub mod backend;
pub mod cause;
pub mod clock;
pub mod health;
pub mod ids;
pub mod labels;
pub mod notice;
pub mod pagination;
pub mod tooling;

pub use backend::BackendType;
pub use cause::{Cause, UnstorableText};
pub use clock::{Clock, ManualClock, SystemClock};
pub use health::{BoxFuture, ComponentHealth, ComponentState, DatabaseHealth, HealthError, Readiness, ReadinessReport};
pub use ids::{
    AccountId, AgentId, BudgetId, ChatId, ExecutionId, IdError, ImportId, McpServerId, NotifierId, PlanningId,
    PluginId, ProjectId, SessionId, SuperAgentId, TeamId, TriggerId, WorkerId, WorkflowId, WorkflowRunId,
};
pub use notice::{NoNotices, Notice, NoticeEvent, NoticeValue, Notices, RecordedNotices};
pub use pagination::{Page, PageError};
pub use tooling::{ItemId, ItemKind, ToolingInput, ToolingRefs};
