//! `PrReviewRepository`: where tracked pull requests are kept.

use super::model::{PrReview, PrReviewFilter};
use crate::ExecStoreError;
use agented_kernel::Page;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Stored pull requests. One row per trigger and pull request.
#[async_trait]
pub trait PrReviewRepository: Send + Sync {
    /// A page of rows, the most recently updated first, and how many match.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn list(&self, filter: &PrReviewFilter, page: Page) -> Result<(Vec<PrReview>, u64), ExecStoreError>;

    /// Every row (for the counts).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn all(&self) -> Result<Vec<PrReview>, ExecStoreError>;

    /// One row.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn get(&self, id: i64) -> Result<Option<PrReview>, ExecStoreError>;

    /// The rows of `project`'s pull request `number`, one per trigger.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn of_pull(&self, project: &str, number: i64) -> Result<Vec<PrReview>, ExecStoreError>;

    /// Stores `review` (its `id` ignored) unless the trigger has a row for that pull
    /// request; the stored row, and whether it is new.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn insert(&self, review: &PrReview) -> Result<(PrReview, bool), ExecStoreError>;

    /// Writes `review` over its row if the row's `updated_at` is still `expected`;
    /// `false` when it is not (another writer came first) or there is no row.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn update(&self, review: &PrReview, expected: DateTime<Utc>) -> Result<bool, ExecStoreError>;

    /// Removes a row; `false` when there is none.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn delete(&self, id: i64) -> Result<bool, ExecStoreError>;
}
