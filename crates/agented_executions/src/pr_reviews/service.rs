//! `PrReviewService`: the tracked pull requests — the original's CRUD, counts
//! and history, and the updates GitHub events and runs bring.

use super::model::{PrHistoryDay, PrReview, PrReviewFilter, PrReviewStats, PrStatus, ReviewStatus};
use super::port::PrReviewRepository;
use crate::ExecStoreError;
use agented_kernel::{Clock, Page};
use agented_triggers::FieldErrors;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The longest review or fix comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 20_000;

/// Why a request about tracked pull requests failed.
#[derive(Debug, thiserror::Error)]
pub enum PrReviewError {
    /// No such row.
    #[error("PR review not found")]
    NotFound,
    /// The trigger already tracks that pull request.
    #[error("this trigger already tracks {0}")]
    Duplicate(String),
    /// Field → message.
    #[error("invalid PR review")]
    Invalid(FieldErrors),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ExecStoreError),
}

/// A pull request to track (`POST /api/pr-reviews/`).
#[derive(Debug, Clone, Default)]
pub struct NewPrReview {
    /// `owner/name`.
    pub project_name: String,
    /// Its number (≥ 1).
    pub pr_number: i64,
    /// Its page.
    pub pr_url: String,
    /// Its title.
    pub pr_title: String,
    /// The trigger reviewing it (the original's default: `bot-pr-review`).
    pub trigger_id: Option<String>,
    /// The repository's page.
    pub github_repo_url: Option<String>,
    /// Who opened it.
    pub pr_author: Option<String>,
}

impl NewPrReview {
    /// The row `trigger` tracks from `now` on: open, waiting for a review.
    fn tracked(self, trigger: String, now: DateTime<Utc>) -> PrReview {
        PrReview {
            id: 0,
            trigger_id: trigger,
            project_name: self.project_name.trim().to_owned(),
            github_repo_url: self.github_repo_url,
            pr_number: self.pr_number,
            pr_url: self.pr_url,
            pr_title: self.pr_title,
            pr_author: self.pr_author,
            pr_status: PrStatus::Open,
            review_status: ReviewStatus::Pending,
            review_comment: None,
            fixes_applied: 0,
            fix_comment: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A change of a tracked pull request (`PUT /api/pr-reviews/{id}`); `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct PrReviewPatch {
    /// `open`, `merged` or `closed`.
    pub pr_status: Option<String>,
    /// `pending`, `reviewing`, `approved`, `changes_requested` or `fixed`.
    pub review_status: Option<String>,
    /// The review's text.
    pub review_comment: Option<String>,
    /// Times fixes were applied (≥ 0).
    pub fixes_applied: Option<i64>,
    /// A note on the fixes.
    pub fix_comment: Option<String>,
}

/// What a `pull_request` delivery says of one pull request.
#[derive(Debug, Clone)]
pub struct PullEvent {
    /// `owner/name`, lower case.
    pub project: String,
    /// Its number.
    pub number: i64,
    /// `opened`, `synchronize`, `closed`, `reopened`, `edited`, …
    pub action: String,
    /// Whether a `closed` pull request was merged.
    pub merged: bool,
    /// Its title, page, author and repository page, as far as the payload has them.
    pub title: Option<String>,
    /// Its page.
    pub url: Option<String>,
    /// Who opened it.
    pub author: Option<String>,
    /// The repository's page.
    pub repo_url: Option<String>,
}

/// Tracked pull requests.
#[derive(Clone)]
pub struct PrReviewService {
    repo: Arc<dyn PrReviewRepository>,
    clock: Arc<dyn Clock>,
}

/// `value` parsed, or its problem recorded under `field`.
fn parsed<T: std::str::FromStr<Err = String>>(field: &str, value: Option<&str>, errors: &mut FieldErrors) -> Option<T> {
    value.and_then(|v| v.parse().map_err(|e| drop(errors.insert(field.into(), e))).ok())
}

fn check_len(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if value.is_some_and(|v| v.chars().count() > max) {
        errors.insert(field.into(), format!("must be at most {max} characters"));
    }
}

impl PrReviewService {
    /// The service over its store.
    #[must_use]
    pub fn new(repo: Arc<dyn PrReviewRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// A page of tracked pull requests, and how many match.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self, filter: &PrReviewFilter, page: Page) -> Result<(Vec<PrReview>, u64), PrReviewError> {
        Ok(self.repo.list(filter, page).await?)
    }

    /// One tracked pull request.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: i64) -> Result<PrReview, PrReviewError> {
        self.repo.get(id).await?.ok_or(PrReviewError::NotFound)
    }

    /// Starts tracking a pull request.
    ///
    /// # Errors
    /// `Invalid` with each field's problem, `Duplicate`, `Store`.
    pub async fn create(&self, new: NewPrReview) -> Result<PrReview, PrReviewError> {
        let mut errors = FieldErrors::new();
        for (field, value, max) in
            [("project_name", &new.project_name, 200), ("pr_url", &new.pr_url, 2000), ("pr_title", &new.pr_title, 1000)]
        {
            if value.trim().is_empty() {
                errors.insert(field.into(), "is required".into());
            }
            check_len(&mut errors, field, Some(value), max);
        }
        if new.pr_number < 1 {
            errors.insert("pr_number".into(), "must be a pull request number (1 or more)".into());
        }
        if !new.pr_url.is_empty() && !new.pr_url.starts_with("https://") && !new.pr_url.starts_with("http://") {
            errors.insert("pr_url".into(), "must be an http(s) URL".into());
        }
        check_len(&mut errors, "github_repo_url", new.github_repo_url.as_deref(), 2000);
        check_len(&mut errors, "pr_author", new.pr_author.as_deref(), 200);
        if !errors.is_empty() {
            return Err(PrReviewError::Invalid(errors));
        }
        let trigger = new.trigger_id.clone().unwrap_or_else(|| agented_triggers::PR_REVIEW.id.to_owned());
        let review = new.tracked(trigger, self.clock.now());
        let (stored, new_row) = self.repo.insert(&review).await?;
        if !new_row {
            return Err(PrReviewError::Duplicate(format!("{}#{}", stored.project_name, stored.pr_number)));
        }
        Ok(stored)
    }

    /// Changes a tracked pull request.
    ///
    /// # Errors
    /// `NotFound`; `Invalid` for an unknown status, a negative count, or no field at all; `Store`.
    pub async fn update(&self, id: i64, patch: PrReviewPatch) -> Result<PrReview, PrReviewError> {
        self.get(id).await?;
        let mut errors = FieldErrors::new();
        let nothing = patch.pr_status.is_none()
            && patch.review_status.is_none()
            && patch.review_comment.is_none()
            && patch.fixes_applied.is_none()
            && patch.fix_comment.is_none();
        if nothing {
            errors.insert("body".into(), "names no field to change".into());
        }
        let pr_status: Option<PrStatus> = parsed("pr_status", patch.pr_status.as_deref(), &mut errors);
        let review_status: Option<ReviewStatus> = parsed("review_status", patch.review_status.as_deref(), &mut errors);
        if patch.fixes_applied.is_some_and(|n| n < 0) {
            errors.insert("fixes_applied".into(), "must be 0 or more".into());
        }
        check_len(&mut errors, "review_comment", patch.review_comment.as_deref(), MAX_COMMENT_CHARS);
        check_len(&mut errors, "fix_comment", patch.fix_comment.as_deref(), MAX_COMMENT_CHARS);
        if !errors.is_empty() {
            return Err(PrReviewError::Invalid(errors));
        }
        let change = |r: &mut PrReview| {
            r.pr_status = pr_status.unwrap_or(r.pr_status);
            r.review_status = review_status.unwrap_or(r.review_status);
            r.fixes_applied = patch.fixes_applied.unwrap_or(r.fixes_applied);
            if patch.review_comment.is_some() {
                r.review_comment.clone_from(&patch.review_comment);
            }
            if patch.fix_comment.is_some() {
                r.fix_comment.clone_from(&patch.fix_comment);
            }
        };
        self.modify(id, &change).await?.ok_or(PrReviewError::NotFound)
    }

    /// Applies `change` to row `id` against the row as stored now, again if another
    /// writer changed it in between (a run's end and a delivery may meet); the result.
    async fn modify(
        &self,
        id: i64,
        change: &(dyn Fn(&mut PrReview) + Send + Sync),
    ) -> Result<Option<PrReview>, PrReviewError> {
        loop {
            let Some(current) = self.repo.get(id).await? else { return Ok(None) };
            let mut next = current.clone();
            change(&mut next);
            // Later than the row's own stamp, so the next writer sees the change.
            next.updated_at = self.clock.now().max(current.updated_at + Duration::microseconds(1));
            if self.repo.update(&next, current.updated_at).await? {
                return Ok(Some(next));
            }
        }
    }

    /// Applies `change` to every row of `project`'s pull request `number` (only `trigger`'s, when given).
    async fn modify_pull(
        &self,
        project: &str,
        number: i64,
        trigger: Option<&str>,
        change: &(dyn Fn(&mut PrReview) + Send + Sync),
    ) -> Result<(), PrReviewError> {
        for row in self.repo.of_pull(project, number).await? {
            if trigger.is_none_or(|t| t == row.trigger_id) {
                self.modify(row.id, change).await?;
            }
        }
        Ok(())
    }

    /// Stops tracking a pull request.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, id: i64) -> Result<(), PrReviewError> {
        if self.repo.delete(id).await? { Ok(()) } else { Err(PrReviewError::NotFound) }
    }

    /// Counts by pull request and review status.
    ///
    /// # Errors
    /// `Store`.
    pub async fn stats(&self) -> Result<PrReviewStats, PrReviewError> {
        let mut s = PrReviewStats::default();
        for r in self.repo.all().await? {
            s.total_prs += 1;
            match r.pr_status {
                PrStatus::Open => s.open_prs += 1,
                PrStatus::Merged => s.merged_prs += 1,
                PrStatus::Closed => s.closed_prs += 1,
            }
            match r.review_status {
                ReviewStatus::Pending => s.pending_reviews += 1,
                ReviewStatus::Approved => s.approved_reviews += 1,
                ReviewStatus::ChangesRequested => s.changes_requested += 1,
                ReviewStatus::Fixed => s.fixed_reviews += 1,
                ReviewStatus::Reviewing => {}
            }
        }
        Ok(s)
    }

    /// Pull requests first seen on each of the last `days` days (1–365) that had any, oldest first.
    ///
    /// # Errors
    /// `Invalid` for `days` out of range, `Store`.
    pub async fn history(&self, days: i64) -> Result<Vec<PrHistoryDay>, PrReviewError> {
        if !(1..=365).contains(&days) {
            return Err(PrReviewError::Invalid(FieldErrors::from([(
                "days".to_owned(),
                "must be between 1 and 365".to_owned(),
            )])));
        }
        let since = (self.clock.now() - Duration::days(days)).date_naive();
        let mut by_day: BTreeMap<NaiveDate, PrHistoryDay> = BTreeMap::new();
        for r in self.repo.all().await? {
            let date = r.created_at.date_naive();
            if date < since {
                continue;
            }
            let day = by_day.entry(date).or_insert(PrHistoryDay { date, created: 0, merged: 0, closed: 0 });
            day.created += 1;
            day.merged += u64::from(r.pr_status == PrStatus::Merged);
            day.closed += u64::from(r.pr_status == PrStatus::Closed);
        }
        Ok(by_day.into_values().collect())
    }

    /// A `pull_request` delivery: `started` are the triggers that run for it, which now
    /// track it; every row of that pull request follows its state.
    ///
    /// # Errors
    /// `Store`.
    pub async fn on_pull_request(&self, event: &PullEvent, started: &[String]) -> Result<(), PrReviewError> {
        let now = self.clock.now();
        for trigger in started {
            let new = NewPrReview {
                project_name: event.project.clone(),
                pr_number: event.number,
                pr_url: event
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("https://github.com/{}/pull/{}", event.project, event.number)),
                pr_title: event.title.clone().unwrap_or_else(|| format!("Pull request #{}", event.number)),
                trigger_id: None,
                github_repo_url: event.repo_url.clone(),
                pr_author: event.author.clone(),
            };
            self.repo.insert(&new.tracked(trigger.clone(), now)).await?;
        }
        let change = |review: &mut PrReview| {
            match event.action.as_str() {
                "closed" => review.pr_status = if event.merged { PrStatus::Merged } else { PrStatus::Closed },
                "reopened" | "opened" => review.pr_status = PrStatus::Open,
                "synchronize" if review.review_status == ReviewStatus::ChangesRequested => {
                    review.review_status = ReviewStatus::Fixed;
                    review.fixes_applied += 1;
                }
                _ => {}
            }
            if let Some(title) = &event.title {
                review.pr_title.clone_from(title);
            }
        };
        self.modify_pull(&event.project, event.number, None, &change).await
    }

    /// A submitted `pull_request_review`: `approved` or `changes_requested` (GitHub's
    /// states, in any case) moves every row of the pull request; a comment does not.
    ///
    /// # Errors
    /// `Store`.
    pub async fn on_review(
        &self,
        project: &str,
        number: i64,
        state: &str,
        body: Option<&str>,
    ) -> Result<(), PrReviewError> {
        let status = match state.to_ascii_lowercase().as_str() {
            "approved" => ReviewStatus::Approved,
            "changes_requested" => ReviewStatus::ChangesRequested,
            _ => return Ok(()),
        };
        let comment: Option<String> =
            body.filter(|b| !b.trim().is_empty()).map(|b| b.chars().take(MAX_COMMENT_CHARS).collect());
        let change = |review: &mut PrReview| {
            review.review_status = status;
            if comment.is_some() {
                review.review_comment.clone_from(&comment);
            }
        };
        self.modify_pull(project, number, None, &change).await
    }

    /// A run of `trigger` on the pull request began (`answer: None`: a pending review becomes
    /// `reviewing`) or ended with `answer` (kept as the review comment; `reviewing` is pending again).
    ///
    /// # Errors
    /// `Store`.
    pub async fn on_run(
        &self,
        trigger: &str,
        project: &str,
        number: i64,
        answer: Option<&str>,
    ) -> Result<(), PrReviewError> {
        let event = PullEvent {
            project: project.to_owned(),
            number,
            action: String::new(),
            merged: false,
            title: None,
            url: None,
            author: None,
            repo_url: Some(format!("https://github.com/{project}")),
        };
        if answer.is_none() {
            self.on_pull_request(&event, &[trigger.to_owned()]).await?;
        }
        let comment: Option<String> =
            answer.filter(|a| !a.trim().is_empty()).map(|a| a.chars().take(MAX_COMMENT_CHARS).collect());
        let change = |review: &mut PrReview| match answer {
            // Only a pull request waiting for a review is marked: a verdict stands.
            None if review.review_status == ReviewStatus::Pending => review.review_status = ReviewStatus::Reviewing,
            None => {}
            Some(_) => {
                if review.review_status == ReviewStatus::Reviewing {
                    review.review_status = ReviewStatus::Pending;
                }
                if comment.is_some() {
                    review.review_comment.clone_from(&comment);
                }
            }
        };
        self.modify_pull(project, number, Some(trigger), &change).await
    }
}
