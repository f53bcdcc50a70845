//! A pull request Agented reviews, with the original's fields and statuses.

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;
use std::str::FromStr;

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("must be one of {}, not '{s}'", names.join(", "))
                })
            }
        }
    };
}

wire_enum!(
    /// Where the pull request stands on GitHub.
    PrStatus {
        /// Open (also after a reopen).
        Open = "open",
        /// Merged.
        Merged = "merged",
        /// Closed without a merge.
        Closed = "closed",
    }
);

wire_enum!(
    /// Where its review stands.
    ReviewStatus {
        /// Waiting for a review.
        Pending = "pending",
        /// A run is reviewing it now.
        Reviewing = "reviewing",
        /// A reviewer approved it.
        Approved = "approved",
        /// A reviewer asked for changes.
        ChangesRequested = "changes_requested",
        /// New commits came after changes were requested.
        Fixed = "fixed",
    }
);

/// A tracked pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrReview {
    /// Row id.
    pub id: i64,
    /// The trigger reviewing it.
    pub trigger_id: String,
    /// `owner/name`.
    pub project_name: String,
    /// `https://github.com/owner/name`.
    pub github_repo_url: Option<String>,
    /// Its number.
    pub pr_number: i64,
    /// Its page.
    pub pr_url: String,
    /// Its title.
    pub pr_title: String,
    /// Who opened it.
    pub pr_author: Option<String>,
    /// Open, merged or closed.
    pub pr_status: PrStatus,
    /// Where its review stands.
    pub review_status: ReviewStatus,
    /// The latest review's text (the bot's answer, or a person's).
    pub review_comment: Option<String>,
    /// Times new commits followed a request for changes.
    pub fixes_applied: i64,
    /// A note on the fixes.
    pub fix_comment: Option<String>,
    /// First seen.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Filters of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrReviewFilter {
    /// Only these.
    pub pr_status: Option<PrStatus>,
    /// Only these.
    pub review_status: Option<ReviewStatus>,
    /// Only this trigger's.
    pub trigger_id: Option<String>,
}

/// Counts over every tracked pull request (the original's `stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrReviewStats {
    /// All.
    pub total_prs: u64,
    /// Open.
    pub open_prs: u64,
    /// Merged.
    pub merged_prs: u64,
    /// Closed unmerged.
    pub closed_prs: u64,
    /// Waiting for a review.
    pub pending_reviews: u64,
    /// Approved.
    pub approved_reviews: u64,
    /// Changes requested.
    pub changes_requested: u64,
    /// Fixed after changes were requested.
    pub fixed_reviews: u64,
}

/// Pull requests first seen on one day, and how many of those are merged or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrHistoryDay {
    /// The day (UTC).
    pub date: NaiveDate,
    /// First seen that day.
    pub created: u64,
    /// Of those, merged.
    pub merged: u64,
    /// Of those, closed unmerged.
    pub closed: u64,
}
