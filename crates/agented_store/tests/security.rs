//! API keys and the audit log against real SQLite files.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_auth::ports::{InsertKeyError, Revoked};
use agented_auth::{
    ApiKeyId, ApiKeyName, ApiKeyRepository, ApiKeySecret, ApiScope, AuditEntry, AuditLog, AuditQuery, KeyHash,
    NewApiKey, Outcome,
};
use agented_kernel::Page;
use agented_store::schema::api_keys;
use agented_store::testing::Scratch;
use agented_store::{SqlApiKeys, SqlAudit};
use chrono::{Duration, SubsecRound, Utc};
use diesel::prelude::*;
use serde_json::json;

fn new_key(name: &str, secret: &ApiKeySecret) -> NewApiKey {
    NewApiKey {
        id: ApiKeyId::generate().unwrap(),
        name: ApiKeyName::parse(name).unwrap(),
        scope: ApiScope::Read,
        prefix: secret.shown_prefix(),
        hash: secret.hash(),
        created_at: Utc::now().trunc_subsecs(6),
    }
}

#[tokio::test]
async fn keys_are_stored_by_hash_found_listed_touched_and_revoked() {
    let dir = Scratch::new();
    let db = dir.database();
    let repo = SqlApiKeys::new(db.clone());
    let secret = ApiKeySecret::generate().unwrap();
    let stored = repo.insert(new_key("ci", &secret)).await.unwrap();
    assert_eq!(stored.scope, ApiScope::Read);
    assert_eq!(stored.prefix, secret.shown_prefix());

    // The store holds the hash, never the key: no column of the row, and on SQLite no byte of the files.
    let needle = &secret.expose().as_bytes()[12..];
    let row: Vec<(String, String, String, String)> = api_keys::table
        .select((api_keys::id, api_keys::name, api_keys::prefix, api_keys::key_hash))
        .load(&mut db.conn().unwrap())
        .unwrap();
    let text = format!("{row:?}");
    assert!(!text.as_bytes().windows(needle.len()).any(|w| w == needle), "{text}");
    if !dir.is_postgres() {
        let bytes = std::fs::read(dir.path().join("agented.db")).unwrap();
        let wal = std::fs::read(dir.path().join("agented.db-wal")).unwrap_or_default();
        assert!(!bytes.windows(needle.len()).chain(wal.windows(needle.len())).any(|w| w == needle));
    }

    assert_eq!(repo.find_by_hash(&secret.hash()).await.unwrap(), Some(stored.clone()));
    assert_eq!(repo.find_by_hash(&KeyHash::of("agd_unknown")).await.unwrap(), None);
    assert_eq!(repo.count_active().await.unwrap(), 1);

    let used = Utc::now().trunc_subsecs(6);
    repo.touch(&stored.id, used).await.unwrap();
    assert_eq!(repo.list().await.unwrap()[0].last_used_at, Some(used));

    let at = Utc::now().trunc_subsecs(6);
    let Revoked::Now(revoked) = repo.revoke(&stored.id, at).await.unwrap() else { panic!("revoked now") };
    assert_eq!(revoked.revoked_at, Some(at));
    assert!(
        matches!(repo.revoke(&stored.id, at + Duration::seconds(5)).await.unwrap(), Revoked::Already(k) if k.revoked_at == Some(at))
    );
    assert_eq!(repo.revoke(&ApiKeyId::from_raw("key_none"), at).await.unwrap(), Revoked::NotFound);
    assert_eq!(repo.count_active().await.unwrap(), 0);
}

#[tokio::test]
async fn a_duplicate_name_is_reported_and_nothing_is_stored() {
    let dir = Scratch::new();
    let repo = SqlApiKeys::new(dir.database());
    repo.insert(new_key("ci", &ApiKeySecret::generate().unwrap())).await.unwrap();
    let err = repo.insert(new_key("ci", &ApiKeySecret::generate().unwrap())).await.unwrap_err();
    assert!(matches!(err, InsertKeyError::DuplicateName));
    assert_eq!(repo.list().await.unwrap().len(), 1);
}

fn entry(actor: &str, action: &str, entity: &str, status: u16) -> AuditEntry {
    AuditEntry {
        at: Utc::now().trunc_subsecs(6),
        actor: actor.into(),
        action: action.into(),
        entity_type: "api_key".into(),
        entity_id: Some(entity.into()),
        outcome: Outcome::of_status(status),
        status,
        changes: Some(json!({"name": entity, "scope": "read"})),
        request_id: Some("rid".into()),
    }
}

#[tokio::test]
async fn the_audit_log_appends_filters_and_pages_newest_first() {
    let dir = Scratch::new();
    let audit = SqlAudit::new(dir.database());
    audit.record(entry("alice", "api_key.create", "k1", 201)).await.unwrap();
    audit.record(entry("bob", "api_key.revoke", "k1", 200)).await.unwrap();
    audit.record(entry("alice", "api_key.create", "k2", 409)).await.unwrap();

    let (all, total) = audit.query(&AuditQuery::default()).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(all.iter().map(|r| r.entry.entity_id.clone().unwrap()).collect::<Vec<_>>(), ["k2", "k1", "k1"]);
    assert_eq!(all[0].entry.changes, Some(json!({"name": "k2", "scope": "read"})));

    let q = AuditQuery { actor: Some("alice".into()), ..AuditQuery::default() };
    assert_eq!(audit.query(&q).await.unwrap().1, 2);
    let q = AuditQuery { action: Some("api_key.rev".into()), ..AuditQuery::default() };
    assert_eq!(audit.query(&q).await.unwrap().1, 1);
    let q = AuditQuery { action: Some("%".into()), ..AuditQuery::default() };
    assert_eq!(audit.query(&q).await.unwrap().1, 0, "LIKE wildcards in the filter are literal");
    let q = AuditQuery { outcome: Some(Outcome::Failure), ..AuditQuery::default() };
    assert_eq!(audit.query(&q).await.unwrap().0[0].entry.status, 409);
    let q = AuditQuery {
        entity_id: Some("k1".into()),
        page: Page::new(Some(1), Some(1)).unwrap(),
        ..AuditQuery::default()
    };
    let (page, total) = audit.query(&q).await.unwrap();
    assert_eq!((page.len(), total, page[0].entry.actor.as_str()), (1, 2, "alice"));
    let q = AuditQuery { since: Some(Utc::now() + Duration::hours(1)), ..AuditQuery::default() };
    assert_eq!(audit.query(&q).await.unwrap().1, 0);
}
