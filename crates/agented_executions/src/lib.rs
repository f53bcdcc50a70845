//! The execution domain: the life of one bot run and the CLI backends that
//! perform it. [`ExecutionService`] is the facade; [`PromptRenderer`] and
//! [`CommandBuilder`] turn a trigger into the exact command that runs.
//!
//! Architecture invariant: pure Rust over `agented_kernel` and
//! `agented_triggers`. No Diesel, actix, apalis, tokio process or adapter
//! crate: the runner, queue and store implement this crate's ports.

pub mod backend_service;
pub mod backends;
pub mod changes;
pub mod command;
pub mod delivery_queue;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod fire;
pub mod follow;
pub mod follow_up;
pub mod guard;
pub mod intake;
pub mod mention;
pub mod model;
pub mod notice;
pub mod overview;
pub mod ports;
pub mod pr_reviews;
pub mod pricing;
pub mod prompt;
pub mod reception;
pub mod reply;
pub mod report;
pub mod run_env;
pub mod scheduler;
pub mod service;
pub mod session;
pub mod signal;
pub mod status;
pub mod tooling;
pub mod usage;
pub mod workers;
pub mod workspaces;

pub use backend_service::{BackendError, BackendService, BackendStatus, CustomBackendRequest, custom_backend_id};
pub use backends::{BUILTIN_BACKENDS, BuiltinBackend};
pub use changes::{Change, ChangeFeed, ChangeSubscription, ExecutionChange, WatchedExecutions};
pub use command::{BackendSpec, CommandBuilder, CommandLine, CustomBackend};
pub use delivery_queue::QueuedDeliveryLog;
pub use fire::{Fired, RunRef, WorkflowStarted, WorkflowStarter, workflow_input};
pub use follow::{LogFollower, RunEvent};
pub use follow_up::FollowUp;
pub use guard::{DEFAULT_MAX_UNTRUSTED_CHARS, FenceNonce, PromptInput};
pub use intake::{DeliveryReport, GithubRefusal, RepeatWindows, TriggerRef, WebhookIntake};
pub use model::{Execution, LogLine, LogStream, Outcome, RunSnapshot, TriggerType};
pub use notice::{run_event, run_notice};
pub use overview::{ComposedOverview, LatestRun, TriggerOverview, TriggerSummary};
pub use ports::{
    AttemptRecord, BackendCatalog, BackendDirectory, BackendEntry, BackendProbe, BackendWriteError, BusEvent, Claim,
    DedupClaim, Deferral, Detection, ExecStoreError, ExecutionFilter, ExecutionRepository, InsertError, LogBus,
    LogStore, LogSubscription, NewExecution, QueueError, RUN_NOTICE_CHANNEL, RunControl, RunQueue, StoreSignal,
};
pub use pricing::{CostSource, ModelPrice, PriceTable};
pub use prompt::{PromptRenderer, PromptValues, RenderedPrompt};
pub use reception::{Arrival, DeliverySummary, Inspector, Reception, Refusal};
pub use reply::reply_text;
pub use report::{NoReporter, Reporters, RunReporter};
pub use run_env::RunEnvironment;
pub use scheduler::{Scheduler, TickReport, slot_key};
pub use service::{
    CancelError, Cancelled, ExecutionService, FindError, MAX_MESSAGE_CHARS, PromptRun, RunRequest, StartError,
    TryNowError,
};
pub use session::{Resume, SessionId};
pub use signal::SignalRegistry;
pub use status::{ExecutionStatus, UnknownStatus};
pub use usage::{OutputParser, Usage};
pub use workers::{LocalHost, Sweep, WORKER_LOST, WorkerRecord, WorkerRegistry, WorkerService, WorkerState};
pub use workspaces::{FixedInventory, KeptMirror, KeptWorkspace, WorkspaceInventory, WorkspaceReport};
