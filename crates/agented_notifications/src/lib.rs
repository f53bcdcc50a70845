//! Notifications: notifiers (an outgoing webhook signed the Standard Webhooks way, or
//! a Slack incoming webhook) hear the notices domains give — a run finished or
//! failed, a budget warning, an approval needed, a worker lost — globally or for one
//! trigger, and each delivery is retried with backoff and kept in a log.
//!
//! Architecture invariant: a domain crate. It knows no framework, database or HTTP
//! client: storage and sending are ports ([`NotifierRepository`], [`Transport`]),
//! and an occurrence (a notice's key) is delivered to a notifier at most once.

pub mod delivery;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod message;
pub mod model;
pub mod ports;
pub mod service;

pub use delivery::{Attempted, Delivery, DeliveryStatus, NewDelivery};
pub use message::{Outline, TEST_EVENT, title};
pub use model::{MAX_NAME_CHARS, MAX_URL_CHARS, Notifier, NotifierDraft, NotifierKind, NotifierPatch};
pub use ports::{NotifierRepository, NotifyStoreError, Post, Transport};
pub use service::{NotifierService, NotifyError, NotifyOptions};
