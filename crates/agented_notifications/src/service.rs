//! `NotifierService`: notifiers' CRUD, and telling each notice to the notifiers that
//! hear it, once per occurrence, with retries and a delivery log.

use crate::delivery::{Attempted, Delivery, DeliveryStatus, NewDelivery};
use crate::message::{Outline, TEST_EVENT, post};
use crate::model::{Notifier, NotifierDraft, NotifierKind, NotifierPatch};
use crate::ports::{NotifierRepository, NotifyStoreError, Transport};
use agented_kernel::{Clock, Notice, NoticeValue, Notices, NotifierId, Page};
use agented_triggers::{FieldErrors, TriggerRepository, TriggerStoreError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long the notifier list read for a notice is reused: a run's end costs no query while
/// notices come fast, and another process's change is heard within this (this process's at once).
const LISTENERS_FRESH: Duration = Duration::from_secs(2);

/// The notifier list last read, and when.
type Listeners = Option<(Instant, Arc<Vec<Notifier>>)>;

/// Why a request about notifiers failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No such notifier or delivery.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Field → message.
    #[error("invalid notifier")]
    Invalid(FieldErrors),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] NotifyStoreError),
    /// Reading triggers failed.
    #[error(transparent)]
    Triggers(#[from] TriggerStoreError),
    /// The system's random source failed (a secret could not be made).
    #[error("could not make a signing secret: {0}")]
    Random(String),
}

/// How notices are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyOptions {
    /// Where people open Agented: links are made under it.
    pub public_url: String,
    /// Attempts per delivery (a 5xx, a 408 or 429, or no answer is tried again).
    pub attempts: u32,
    /// The pause after the first failed attempt, doubled after each further one.
    pub first_delay: Duration,
    /// Deliveries kept per notifier (the oldest go first).
    pub keep_deliveries: u32,
}

/// Notifiers, and the [`Notices`] port that tells them.
#[derive(Clone)]
pub struct NotifierService {
    store: Arc<dyn NotifierRepository>,
    triggers: Arc<dyn TriggerRepository>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    options: Arc<NotifyOptions>,
    listeners: Arc<Mutex<Listeners>>,
}

impl std::fmt::Debug for NotifierService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifierService").field("options", &self.options).finish_non_exhaustive()
    }
}

impl NotifierService {
    /// A service over its ports.
    #[must_use]
    pub fn new(
        store: Arc<dyn NotifierRepository>,
        triggers: Arc<dyn TriggerRepository>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        options: NotifyOptions,
    ) -> Self {
        Self { store, triggers, transport, clock, options: Arc::new(options), listeners: Arc::default() }
    }

    /// Every notifier, by name.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<Notifier>, NotifyError> {
        Ok(self.store.list().await?)
    }

    /// One notifier.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &NotifierId) -> Result<Notifier, NotifyError> {
        self.store.get(id).await?.ok_or(NotifyError::NotFound("notifier"))
    }

    /// Creates a notifier; a webhook gets a fresh signing secret.
    ///
    /// # Errors
    /// `Invalid` (fields, an unknown trigger), `Store`, `Random`.
    pub async fn create(&self, request: NotifierPatch) -> Result<Notifier, NotifyError> {
        let draft = request.create().map_err(NotifyError::Invalid)?;
        self.check_trigger(&draft).await?;
        let now = self.clock.now();
        let secret = match draft.kind {
            NotifierKind::Webhook => Some(new_secret()?),
            NotifierKind::Slack => None,
        };
        let notifier = Notifier {
            id: NotifierId::generate(),
            name: draft.name,
            kind: draft.kind,
            url: draft.url,
            secret,
            trigger_id: draft.trigger_id,
            events: draft.events,
            enabled: draft.enabled,
            created_at: now,
            updated_at: now,
        };
        self.store.insert(&notifier).await?;
        self.forget_listeners();
        Ok(notifier)
    }

    /// Changes a notifier.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Store`.
    pub async fn update(&self, id: &NotifierId, request: NotifierPatch) -> Result<Notifier, NotifyError> {
        let current = self.get(id).await?;
        let draft = request.apply(&current).map_err(NotifyError::Invalid)?;
        self.check_trigger(&draft).await?;
        let changed = Notifier {
            name: draft.name,
            url: draft.url,
            trigger_id: draft.trigger_id,
            events: draft.events,
            enabled: draft.enabled,
            updated_at: self.clock.now(),
            ..current
        };
        self.save(changed).await
    }

    /// Gives a webhook notifier a new signing secret (the old one stops working at once).
    ///
    /// # Errors
    /// `NotFound`, `Invalid` (a Slack notifier has no secret), `Store`, `Random`.
    pub async fn rotate_secret(&self, id: &NotifierId) -> Result<Notifier, NotifyError> {
        let current = self.get(id).await?;
        if current.kind != NotifierKind::Webhook {
            let mut errors = FieldErrors::new();
            errors.insert("kind".into(), "a Slack notifier has no signing secret".into());
            return Err(NotifyError::Invalid(errors));
        }
        self.save(Notifier { secret: Some(new_secret()?), updated_at: self.clock.now(), ..current }).await
    }

    /// Removes a notifier and its delivery log.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, id: &NotifierId) -> Result<(), NotifyError> {
        let deleted = self.store.delete(id).await?;
        self.forget_listeners();
        if deleted { Ok(()) } else { Err(NotifyError::NotFound("notifier")) }
    }

    /// A page of a notifier's deliveries, the newest first, and how many it has.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn deliveries(&self, id: &NotifierId, page: Page) -> Result<(Vec<Delivery>, u64), NotifyError> {
        self.get(id).await?;
        Ok(self.store.deliveries(id, page).await?)
    }

    /// Sends a test message now, once, whether or not the notifier is enabled; the delivery.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn test(&self, id: &NotifierId) -> Result<Delivery, NotifyError> {
        let notifier = self.get(id).await?;
        let now = self.clock.now();
        let data = BTreeMap::from([("notifier_id", NoticeValue::Text(notifier.id.to_string()))]);
        let summary = format!("A test message from Agented to the notifier '{}'", notifier.name);
        let outline = Outline {
            event: TEST_EVENT,
            title: "Test",
            summary: &summary,
            trigger: None,
            data: &data,
            url: Some(self.options.public_url.trim_end_matches('/').to_owned() + "/notifications"),
            at: now,
        };
        let key = format!("{TEST_EVENT}:{}", uuid::Uuid::new_v4().simple());
        let delivery =
            self.record(&notifier, TEST_EVENT, key, &outline).await?.ok_or(NotifyError::NotFound("notifier"))?;
        self.attempt(&notifier, delivery, true).await
    }

    /// Sends a delivery again now, once, with its message id (a receiver drops repeats).
    ///
    /// # Errors
    /// `NotFound` (the notifier, or a delivery of another), `Store`.
    pub async fn redeliver(&self, id: &NotifierId, delivery: i64) -> Result<Delivery, NotifyError> {
        let notifier = self.get(id).await?;
        let found = self.store.delivery(delivery).await?.filter(|d| d.notifier_id == notifier.id);
        let found = found.ok_or(NotifyError::NotFound("delivery"))?;
        self.attempt(&notifier, found, true).await
    }

    /// Tells `notice` to every notifier that hears it, each with its retries; the
    /// deliveries as they ended. An occurrence already told to a notifier is skipped.
    pub async fn tell(&self, notice: &Notice) -> Vec<Delivery> {
        let notifiers = match self.listeners().await {
            Ok(all) => {
                all.iter().filter(|n| n.hears(notice.event, notice.trigger_id.as_ref())).cloned().collect::<Vec<_>>()
            }
            Err(e) => {
                tracing::error!(error = %e, event = %notice.event, "could not read the notifiers; a notice was not sent");
                return Vec::new();
            }
        };
        if notifiers.is_empty() {
            return Vec::new();
        }
        let name = match &notice.trigger_id {
            Some(t) => self.triggers.get(t).await.ok().flatten().map(|t| t.settings.name),
            None => None,
        };
        let outline = Outline::of(notice, name.as_deref(), &self.options.public_url);
        let sends = notifiers.iter().map(|n| async {
            match self.record(n, notice.event.as_str(), notice.key.clone(), &outline).await {
                Ok(Some(delivery)) => Some(self.deliver(n, delivery).await),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, notifier = %n.id, "could not record a delivery; it was not sent");
                    None
                }
            }
        });
        futures::future::join_all(sends).await.into_iter().flatten().collect()
    }

    /// Takes up the deliveries left pending (by a restart) in the background; how many.
    ///
    /// # Errors
    /// `Store`.
    pub async fn resume(&self) -> Result<usize, NotifyError> {
        let pending = self.store.pending().await?;
        let count = pending.len();
        for delivery in pending {
            let me = self.clone();
            tokio::spawn(async move {
                match me.store.get(&delivery.notifier_id).await {
                    Ok(Some(notifier)) => {
                        me.deliver(&notifier, delivery).await;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!(error = %e, "could not resume a delivery"),
                }
            });
        }
        Ok(count)
    }

    async fn record(
        &self,
        notifier: &Notifier,
        event: &str,
        key: String,
        outline: &Outline<'_>,
    ) -> Result<Option<Delivery>, NotifyStoreError> {
        let new = NewDelivery {
            notifier_id: notifier.id.clone(),
            event: event.to_owned(),
            key,
            message_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            body: outline.body(notifier.kind),
            at: self.clock.now(),
        };
        self.store.record(&new, self.options.keep_deliveries).await
    }

    /// Attempts `delivery` until it is delivered, refused, or out of attempts.
    async fn deliver(&self, notifier: &Notifier, mut delivery: Delivery) -> Delivery {
        while delivery.status == DeliveryStatus::Pending {
            if delivery.attempts > 0 {
                let doublings = (delivery.attempts - 1).min(16);
                tokio::time::sleep(self.options.first_delay.saturating_mul(1 << doublings)).await;
            }
            let last = delivery.attempts + 1 >= self.options.attempts;
            delivery = match self.attempt(notifier, delivery.clone(), last).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, delivery = delivery.id, "could not store a delivery's attempt");
                    return delivery;
                }
            };
        }
        delivery
    }

    /// One attempt; a failure that may pass is final only when `last`.
    async fn attempt(&self, notifier: &Notifier, delivery: Delivery, last: bool) -> Result<Delivery, NotifyError> {
        let now = self.clock.now();
        let answer = self.transport.send(&post(notifier, &delivery, now)).await;
        let (status, response_status, error) = match answer {
            Ok(code) if (200..300).contains(&code) => (DeliveryStatus::Delivered, Some(code), None),
            Ok(code) if (400..500).contains(&code) && code != 408 && code != 429 => {
                (DeliveryStatus::Failed, Some(code), Some(format!("the receiver refused it: HTTP {code}")))
            }
            Ok(code) => (retry_or_fail(last), Some(code), Some(format!("the receiver answered HTTP {code}"))),
            Err(why) => (retry_or_fail(last), None, Some(why)),
        };
        if let Some(error) = &error {
            tracing::warn!(notifier = %notifier.id, delivery = delivery.id, attempt = delivery.attempts + 1, %error, "a notification attempt failed");
        }
        let attempted = Attempted { status, attempts: delivery.attempts + 1, response_status, error, at: now };
        if !self.store.attempted(delivery.id, &attempted).await? {
            return Err(NotifyError::NotFound("delivery"));
        }
        Ok(Delivery {
            status,
            attempts: attempted.attempts,
            response_status: attempted.response_status,
            error: attempted.error,
            updated_at: now,
            ..delivery
        })
    }

    async fn save(&self, notifier: Notifier) -> Result<Notifier, NotifyError> {
        let saved = self.store.update(&notifier).await?;
        self.forget_listeners();
        if saved { Ok(notifier) } else { Err(NotifyError::NotFound("notifier")) }
    }

    /// Every notifier, as read at most [`LISTENERS_FRESH`] ago.
    async fn listeners(&self) -> Result<Arc<Vec<Notifier>>, NotifyStoreError> {
        let lock = || self.listeners.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, all)) = lock().as_ref().filter(|(at, _)| at.elapsed() < LISTENERS_FRESH) {
            return Ok(all.clone());
        }
        let all = Arc::new(self.store.list().await?);
        *lock() = Some((Instant::now(), all.clone()));
        Ok(all)
    }

    fn forget_listeners(&self) {
        *self.listeners.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    async fn check_trigger(&self, draft: &NotifierDraft) -> Result<(), NotifyError> {
        let Some(trigger) = &draft.trigger_id else { return Ok(()) };
        if self.triggers.get(trigger).await?.is_some() {
            return Ok(());
        }
        let mut errors = FieldErrors::new();
        errors.insert("trigger_id".into(), format!("unknown trigger '{trigger}'"));
        Err(NotifyError::Invalid(errors))
    }
}

const fn retry_or_fail(last: bool) -> DeliveryStatus {
    if last { DeliveryStatus::Failed } else { DeliveryStatus::Pending }
}

fn new_secret() -> Result<String, NotifyError> {
    agented_auth::standard_webhooks::new_secret().map_err(|e| NotifyError::Random(e.to_string()))
}

impl Notices for NotifierService {
    /// Tells `notice` in the background: the caller (a run's end) never waits on a receiver.
    fn notify(&self, notice: Notice) {
        let me = self.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { me.tell(&notice).await });
            }
            Err(_) => tracing::error!(event = %notice.event, "a notice was given outside the async runtime; not sent"),
        }
    }
}
