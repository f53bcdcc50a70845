//! Ports of the notifications domain: where notifiers and their deliveries are
//! kept, and how a message leaves the machine.

use crate::delivery::{Attempted, Delivery, NewDelivery};
use crate::model::Notifier;
use agented_kernel::{Cause, NotifierId, Page};
use async_trait::async_trait;

/// Storage failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("notification storage failed: {0}")]
pub struct NotifyStoreError(#[source] pub Cause);

/// Notifiers and their delivery log.
#[async_trait]
pub trait NotifierRepository: Send + Sync {
    /// Every notifier, by name.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Notifier>, NotifyStoreError>;

    /// One notifier.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn get(&self, id: &NotifierId) -> Result<Option<Notifier>, NotifyStoreError>;

    /// Stores a new notifier.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn insert(&self, notifier: &Notifier) -> Result<(), NotifyStoreError>;

    /// Writes `notifier` over its row; `false` when there is none.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn update(&self, notifier: &Notifier) -> Result<bool, NotifyStoreError>;

    /// Removes a notifier and its deliveries; `false` when there is none.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn delete(&self, id: &NotifierId) -> Result<bool, NotifyStoreError>;

    /// Stores a pending delivery, then keeps only the notifier's newest `keep`;
    /// `None` when the notifier already has one of that key (the occurrence was told).
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails (a missing notifier included).
    async fn record(&self, delivery: &NewDelivery, keep: u32) -> Result<Option<Delivery>, NotifyStoreError>;

    /// Stores how an attempt of delivery `id` went; `false` when it is gone.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn attempted(&self, id: i64, attempt: &Attempted) -> Result<bool, NotifyStoreError>;

    /// One delivery.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn delivery(&self, id: i64) -> Result<Option<Delivery>, NotifyStoreError>;

    /// A page of a notifier's deliveries, the newest first, and how many it has.
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn deliveries(&self, notifier: &NotifierId, page: Page) -> Result<(Vec<Delivery>, u64), NotifyStoreError>;

    /// Every pending delivery, the oldest first (to resume after a restart).
    ///
    /// # Errors
    /// MUST return [`NotifyStoreError`] only when storage fails.
    async fn pending(&self) -> Result<Vec<Delivery>, NotifyStoreError>;
}

/// One HTTP POST leaving the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Where.
    pub url: String,
    /// Headers besides the transport's own.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
}

/// How posts are sent.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `post` once; the answer's HTTP status.
    ///
    /// # Errors
    /// MUST return why there was no answer (no connection, a timeout), in words for the log.
    async fn send(&self, post: &Post) -> Result<u16, String>;
}
