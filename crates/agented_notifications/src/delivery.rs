//! A delivery: one notice (or test) for one notifier, with its body, the attempts
//! made and how the last one went: the delivery log.

use agented_kernel::NotifierId;
use chrono::{DateTime, Utc};

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Being sent, or waiting for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed, or the receiver refused it (a 4xx).
    Failed,
}

impl DeliveryStatus {
    /// `pending`, `delivered` or `failed`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The status named `name`.
    ///
    /// # Errors
    /// The message for an unknown name.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown delivery status '{other}'")),
        }
    }
}

/// A delivery to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Its notifier.
    pub notifier_id: NotifierId,
    /// The event's name (`run.failed`, …), or `test`.
    pub event: String,
    /// The occurrence it tells: one delivery per notifier and key.
    pub key: String,
    /// `webhook-id`: the same on every attempt, so a receiver can drop repeats.
    pub message_id: String,
    /// The JSON body sent.
    pub body: String,
    /// When it was made.
    pub at: DateTime<Utc>,
}

/// A stored delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its number.
    pub id: i64,
    /// See [`NewDelivery`].
    pub notifier_id: NotifierId,
    /// See [`NewDelivery`].
    pub event: String,
    /// See [`NewDelivery`].
    pub key: String,
    /// See [`NewDelivery`].
    pub message_id: String,
    /// See [`NewDelivery`].
    pub body: String,
    /// Where it is.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The HTTP status of the last answer.
    pub response_status: Option<u16>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last attempted.
    pub updated_at: DateTime<Utc>,
}

/// How one attempt went, to store on its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted {
    /// The delivery's status after it.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// The HTTP status, when there was an answer.
    pub response_status: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}
