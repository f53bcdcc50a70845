//! In-memory fakes of the ports: notifiers and deliveries in a list (one delivery per
//! notifier and key, the newest `keep` kept), and a transport that records each post
//! and answers from a script.

use crate::delivery::{Attempted, Delivery, DeliveryStatus, NewDelivery};
use crate::model::Notifier;
use crate::ports::{NotifierRepository, NotifyStoreError, Post, Transport};
use agented_kernel::{Cause, NotifierId, Page};
use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Notifiers and deliveries in memory.
#[derive(Debug, Default)]
pub struct MemoryNotifiers {
    notifiers: Mutex<Vec<Notifier>>,
    deliveries: Mutex<Vec<Delivery>>,
}

impl MemoryNotifiers {
    /// Every delivery stored, in order.
    #[must_use]
    pub fn all_deliveries(&self) -> Vec<Delivery> {
        lock(&self.deliveries).clone()
    }
}

#[async_trait]
impl NotifierRepository for MemoryNotifiers {
    async fn list(&self) -> Result<Vec<Notifier>, NotifyStoreError> {
        let mut all = lock(&self.notifiers).clone();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    async fn get(&self, id: &NotifierId) -> Result<Option<Notifier>, NotifyStoreError> {
        Ok(lock(&self.notifiers).iter().find(|n| &n.id == id).cloned())
    }

    async fn insert(&self, notifier: &Notifier) -> Result<(), NotifyStoreError> {
        lock(&self.notifiers).push(notifier.clone());
        Ok(())
    }

    async fn update(&self, notifier: &Notifier) -> Result<bool, NotifyStoreError> {
        let mut all = lock(&self.notifiers);
        let Some(row) = all.iter_mut().find(|n| n.id == notifier.id) else { return Ok(false) };
        *row = notifier.clone();
        Ok(true)
    }

    async fn delete(&self, id: &NotifierId) -> Result<bool, NotifyStoreError> {
        let mut all = lock(&self.notifiers);
        let before = all.len();
        all.retain(|n| &n.id != id);
        lock(&self.deliveries).retain(|d| &d.notifier_id != id);
        Ok(all.len() < before)
    }

    async fn record(&self, new: &NewDelivery, keep: u32) -> Result<Option<Delivery>, NotifyStoreError> {
        if !lock(&self.notifiers).iter().any(|n| n.id == new.notifier_id) {
            return Err(NotifyStoreError(Cause::new("no such notifier")));
        }
        let mut all = lock(&self.deliveries);
        if all.iter().any(|d| d.notifier_id == new.notifier_id && d.key == new.key) {
            return Ok(None);
        }
        let delivery = Delivery {
            id: all.iter().map(|d| d.id).max().unwrap_or(0) + 1,
            notifier_id: new.notifier_id.clone(),
            event: new.event.clone(),
            key: new.key.clone(),
            message_id: new.message_id.clone(),
            body: new.body.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            response_status: None,
            error: None,
            created_at: new.at,
            updated_at: new.at,
        };
        all.push(delivery.clone());
        let mine: Vec<i64> = all.iter().filter(|d| d.notifier_id == new.notifier_id).map(|d| d.id).collect();
        let cut = mine.len().saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
        all.retain(|d| !mine[..cut].contains(&d.id));
        Ok(Some(delivery))
    }

    async fn attempted(&self, id: i64, attempt: &Attempted) -> Result<bool, NotifyStoreError> {
        let mut all = lock(&self.deliveries);
        let Some(d) = all.iter_mut().find(|d| d.id == id) else { return Ok(false) };
        d.status = attempt.status;
        d.attempts = attempt.attempts;
        d.response_status = attempt.response_status;
        d.error.clone_from(&attempt.error);
        d.updated_at = attempt.at;
        Ok(true)
    }

    async fn delivery(&self, id: i64) -> Result<Option<Delivery>, NotifyStoreError> {
        Ok(lock(&self.deliveries).iter().find(|d| d.id == id).cloned())
    }

    async fn deliveries(&self, notifier: &NotifierId, page: Page) -> Result<(Vec<Delivery>, u64), NotifyStoreError> {
        let mine: Vec<Delivery> =
            lock(&self.deliveries).iter().rev().filter(|d| &d.notifier_id == notifier).cloned().collect();
        let total = mine.len() as u64;
        let shown = mine.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
        Ok((shown, total))
    }

    async fn pending(&self) -> Result<Vec<Delivery>, NotifyStoreError> {
        Ok(lock(&self.deliveries).iter().filter(|d| d.status == DeliveryStatus::Pending).cloned().collect())
    }
}

/// Records each post; answers with the scripted results in order, then `200`.
#[derive(Debug, Default)]
pub struct ScriptedTransport {
    answers: Mutex<VecDeque<Result<u16, String>>>,
    posts: Mutex<Vec<Post>>,
}

impl ScriptedTransport {
    /// A transport that answers `answers` first.
    #[must_use]
    pub fn answering(answers: impl IntoIterator<Item = Result<u16, String>>) -> Self {
        Self { answers: Mutex::new(answers.into_iter().collect()), posts: Mutex::default() }
    }

    /// Every post sent, in order.
    #[must_use]
    pub fn posts(&self) -> Vec<Post> {
        lock(&self.posts).clone()
    }
}

#[async_trait]
impl Transport for ScriptedTransport {
    async fn send(&self, post: &Post) -> Result<u16, String> {
        lock(&self.posts).push(post.clone());
        lock(&self.answers).pop_front().unwrap_or(Ok(200))
    }
}
