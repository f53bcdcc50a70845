//! Pull requests Agented reviews (`/api/pr-reviews/`): the original's fields,
//! statuses, counts and history, kept up to date from GitHub's events and from
//! the runs that answer them.

mod intake;
pub mod model;
pub mod port;
pub mod service;
pub mod tracker;

pub use model::{PrHistoryDay, PrReview, PrReviewFilter, PrReviewStats, PrStatus, ReviewStatus};
pub use port::PrReviewRepository;
pub use service::{NewPrReview, PrReviewError, PrReviewPatch, PrReviewService, PullEvent};
pub use tracker::PrReviewTracker;
