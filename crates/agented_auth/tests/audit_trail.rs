//! `AuditTrail` over the in-memory audit log: what is recorded is what is read back,
//! newest first, filtered and paged.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_auth::memory::MemoryAudit;
use agented_auth::{AuditEntry, AuditQuery, AuditTrail, Outcome};
use agented_kernel::Page;
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

fn entry(minute: i64, action: &str, status: u16) -> AuditEntry {
    AuditEntry {
        at: Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0).unwrap() + Duration::minutes(minute),
        actor: "admin".into(),
        action: action.into(),
        entity_type: "trigger".into(),
        entity_id: Some("trig-a".into()),
        outcome: Outcome::of_status(status),
        status,
        changes: None,
        request_id: None,
    }
}

#[tokio::test]
async fn the_trail_reads_back_what_it_recorded_filtered_and_paged() {
    let trail = AuditTrail::new(Arc::new(MemoryAudit::default()));
    trail.record(entry(0, "trigger.create", 201)).await.unwrap();
    trail.record(entry(1, "trigger.update", 422)).await.unwrap();
    trail.record(entry(2, "trigger.delete", 200)).await.unwrap();
    let all = AuditQuery { page: Page::default(), ..AuditQuery::default() };
    let (records, total) = trail.query(&all).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(records[0].entry.action, "trigger.delete", "newest first");
    let failures = AuditQuery { outcome: Some(Outcome::Failure), ..all.clone() };
    let (records, total) = trail.query(&failures).await.unwrap();
    assert_eq!((total, records[0].entry.action.as_str()), (1, "trigger.update"));
    let second = AuditQuery { page: Page::new(Some(1), Some(1)).unwrap(), ..all };
    assert_eq!(trail.query(&second).await.unwrap().0[0].entry.action, "trigger.update");
}
