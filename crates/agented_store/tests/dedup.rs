//! The webhook dedup ledger against a real SQLite file or PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::TriggerId;
use agented_store::SqlDedup;
use agented_store::testing::Scratch;
use agented_triggers::DedupLedger;
use chrono::{Duration, Utc};

fn ledger(dir: &Scratch) -> SqlDedup {
    SqlDedup::new(dir.database())
}

#[tokio::test]
async fn a_key_is_claimed_once_per_window_per_trigger() {
    let dir = Scratch::new();
    let ledger = ledger(&dir);
    let (a, b) = (TriggerId::generate(), TriggerId::generate());
    let now = Utc::now();
    let until = now + Duration::seconds(60);
    assert!(ledger.claim(&a, "k1", now, until).await.unwrap(), "first delivery");
    assert!(!ledger.claim(&a, "k1", now + Duration::seconds(59), until).await.unwrap(), "a repeat inside the window");
    assert!(ledger.claim(&b, "k1", now, until).await.unwrap(), "another trigger has its own record");
    assert!(ledger.claim(&a, "k2", now, until).await.unwrap(), "another payload");
    let later = now + Duration::seconds(60);
    assert!(ledger.claim(&a, "k1", later, later + Duration::seconds(60)).await.unwrap(), "the window ended");
}

#[tokio::test]
async fn a_released_claim_can_be_made_again_and_expired_ones_are_pruned() {
    let dir = Scratch::new();
    let ledger = ledger(&dir);
    let t = TriggerId::generate();
    let now = Utc::now();
    assert!(ledger.claim(&t, "k", now, now + Duration::seconds(10)).await.unwrap());
    ledger.release(&t, "k").await.unwrap();
    assert!(ledger.claim(&t, "k", now, now + Duration::seconds(10)).await.unwrap(), "released: a resend runs");
    assert!(ledger.claim(&t, "old", now, now + Duration::seconds(1)).await.unwrap());
    assert_eq!(ledger.prune(now + Duration::seconds(5)).await.unwrap(), 1, "only the expired record");
    assert!(!ledger.claim(&t, "k", now + Duration::seconds(5), now).await.unwrap(), "the live one stays");
}

#[tokio::test]
async fn of_two_concurrent_claims_one_wins() {
    let dir = Scratch::new();
    let ledger = ledger(&dir);
    let t = TriggerId::generate();
    let now = Utc::now();
    let claims = (0..8).map(|_| ledger.claim(&t, "same", now, now + Duration::seconds(60)));
    let results = futures::future::join_all(claims).await;
    assert_eq!(results.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1);
}
