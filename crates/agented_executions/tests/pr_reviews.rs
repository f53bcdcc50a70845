//! `PrReviewService` on an in-memory store: the original's CRUD and counts, and
//! what GitHub's events and runs change.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::fakes::MemoryPrReviews;
use agented_executions::pr_reviews::{
    NewPrReview, PrReviewError, PrReviewFilter, PrReviewPatch, PrReviewService, PrStatus, PullEvent, ReviewStatus,
};
use agented_kernel::{ManualClock, Page};
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

fn service() -> (PrReviewService, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()));
    (PrReviewService::new(Arc::new(MemoryPrReviews::default()), clock.clone()), clock)
}

fn pull(action: &str, merged: bool) -> PullEvent {
    PullEvent {
        project: "acme/api".into(),
        number: 7,
        action: action.into(),
        merged,
        title: Some("Fix it".into()),
        url: Some("https://github.com/acme/api/pull/7".into()),
        author: Some("ann".into()),
        repo_url: Some("https://github.com/acme/api".into()),
    }
}

#[tokio::test]
async fn a_pull_request_a_trigger_runs_for_is_tracked_and_follows_reviews_fixes_and_the_merge() {
    let (s, _) = service();
    s.on_pull_request(&pull("opened", false), &["trig-a".into()]).await.unwrap();
    let page = Page::new(None, None).unwrap();
    let (rows, total) = s.list(&PrReviewFilter::default(), page).await.unwrap();
    assert_eq!((total, rows[0].pr_title.as_str(), rows[0].pr_status), (1, "Fix it", PrStatus::Open));

    s.on_run("trig-a", "acme/api", 7, None).await.unwrap();
    assert_eq!(s.get(rows[0].id).await.unwrap().review_status, ReviewStatus::Reviewing);
    s.on_run("trig-a", "acme/api", 7, Some("Two problems.")).await.unwrap();
    let r = s.get(rows[0].id).await.unwrap();
    assert_eq!((r.review_status, r.review_comment.as_deref()), (ReviewStatus::Pending, Some("Two problems.")));

    s.on_review("acme/api", 7, "CHANGES_REQUESTED", Some("Please fix")).await.unwrap();
    assert_eq!(s.get(r.id).await.unwrap().review_status, ReviewStatus::ChangesRequested);
    s.on_pull_request(&pull("synchronize", false), &[]).await.unwrap();
    let r = s.get(r.id).await.unwrap();
    assert_eq!((r.review_status, r.fixes_applied), (ReviewStatus::Fixed, 1));
    s.on_review("acme/api", 7, "commented", None).await.unwrap();
    assert_eq!(s.get(r.id).await.unwrap().review_status, ReviewStatus::Fixed, "a comment is no verdict");
    s.on_run("trig-a", "acme/api", 7, None).await.unwrap();
    s.on_run("trig-a", "acme/api", 7, Some("Fine now.")).await.unwrap();
    let r = s.get(r.id).await.unwrap();
    assert_eq!(
        (r.review_status, r.review_comment.as_deref()),
        (ReviewStatus::Fixed, Some("Fine now.")),
        "a run leaves a verdict"
    );
    s.on_pull_request(&pull("closed", true), &[]).await.unwrap();
    assert_eq!(s.get(r.id).await.unwrap().pr_status, PrStatus::Merged);

    // An event for a pull request no trigger ran for tracks nothing.
    s.on_pull_request(&PullEvent { number: 8, ..pull("opened", false) }, &[]).await.unwrap();
    assert_eq!(s.stats().await.unwrap().total_prs, 1);
}

#[tokio::test]
async fn counts_and_history_cover_every_row_and_the_asked_days() {
    let (s, clock) = service();
    for (n, status) in [(1, "open"), (2, "merged"), (3, "closed")] {
        let new = NewPrReview {
            project_name: "acme/api".into(),
            pr_number: n,
            pr_url: format!("https://github.com/acme/api/pull/{n}"),
            pr_title: format!("PR {n}"),
            ..NewPrReview::default()
        };
        let created = s.create(new).await.unwrap();
        assert_eq!(created.trigger_id, "bot-pr-review", "the original's default trigger");
        let patch = PrReviewPatch { pr_status: Some(status.into()), ..PrReviewPatch::default() };
        s.update(created.id, patch).await.unwrap();
        clock.advance(Duration::days(1));
    }
    let stats = s.stats().await.unwrap();
    assert_eq!((stats.total_prs, stats.open_prs, stats.merged_prs, stats.closed_prs), (3, 1, 1, 1));
    assert_eq!(stats.pending_reviews, 3);
    let history = s.history(2).await.unwrap();
    assert_eq!(history.iter().map(|d| (d.created, d.merged, d.closed)).collect::<Vec<_>>(), [(1, 1, 0), (1, 0, 1)]);
    assert!(matches!(s.history(0).await, Err(PrReviewError::Invalid(_))));
    assert!(matches!(s.history(366).await, Err(PrReviewError::Invalid(_))));
}

#[tokio::test]
async fn bad_requests_name_their_fields_and_change_nothing() {
    let (s, _) = service();
    let Err(PrReviewError::Invalid(errors)) =
        s.create(NewPrReview { pr_url: "ftp://x".into(), ..NewPrReview::default() }).await
    else {
        panic!("an empty review is refused")
    };
    assert_eq!(
        errors.keys().map(String::as_str).collect::<Vec<_>>(),
        ["pr_number", "pr_title", "pr_url", "project_name"]
    );
    let new = NewPrReview {
        project_name: "a/b".into(),
        pr_number: 1,
        pr_url: "https://github.com/a/b/pull/1".into(),
        pr_title: "t".into(),
        ..NewPrReview::default()
    };
    let created = s.create(new.clone()).await.unwrap();
    assert!(matches!(s.create(new).await, Err(PrReviewError::Duplicate(_))));
    for patch in [
        PrReviewPatch::default(),
        PrReviewPatch { pr_status: Some("gone".into()), ..PrReviewPatch::default() },
        PrReviewPatch { review_status: Some("lgtm".into()), ..PrReviewPatch::default() },
        PrReviewPatch { fixes_applied: Some(-1), ..PrReviewPatch::default() },
    ] {
        assert!(matches!(s.update(created.id, patch).await, Err(PrReviewError::Invalid(_))));
    }
    assert_eq!(s.get(created.id).await.unwrap(), created, "nothing changed");
    assert!(matches!(s.update(99, PrReviewPatch::default()).await, Err(PrReviewError::NotFound)));
    s.delete(created.id).await.unwrap();
    assert!(matches!(s.delete(created.id).await, Err(PrReviewError::NotFound)));
}
