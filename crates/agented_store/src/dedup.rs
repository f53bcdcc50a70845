//! `DedupLedger` over the `webhook_dedup` table: one row per (trigger,
//! delivery key) until its window ends. A claim is one immediate transaction,
//! so two servers on one database cannot both win it.

use crate::database::AnyConnection;
use crate::schema::webhook_dedup;
use crate::{Database, StoreError};
use agented_kernel::TriggerId;
use agented_triggers::{DedupLedger, TriggerStoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The SQLite dedup ledger.
#[derive(Debug, Clone)]
pub struct SqlDedup {
    db: Database,
}

impl SqlDedup {
    /// The ledger over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Claims `key` for `trigger` until `expires_at` inside the caller's (immediate)
/// transaction; `false` when a record live at `now` holds it. Shared by the ledger
/// and by the execution insert, which claims a delivery's keys with its run.
pub(crate) fn claim_in(
    conn: &mut AnyConnection,
    trigger: &str,
    key: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mine = webhook_dedup::trigger_id.eq(trigger).and(webhook_dedup::dedup_key.eq(key));
    // An expired record is no record.
    diesel::delete(webhook_dedup::table.filter(mine).filter(webhook_dedup::expires_at.le(now.naive_utc())))
        .execute(conn)?;
    let row = (
        webhook_dedup::trigger_id.eq(trigger),
        webhook_dedup::dedup_key.eq(key),
        webhook_dedup::expires_at.eq(expires_at.naive_utc()),
    );
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(webhook_dedup::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Forgets the claims `keys` of `trigger`.
pub(crate) fn release_in(conn: &mut AnyConnection, trigger: &str, keys: &[String]) -> Result<(), StoreError> {
    diesel::delete(
        webhook_dedup::table
            .filter(webhook_dedup::trigger_id.eq(trigger))
            .filter(webhook_dedup::dedup_key.eq_any(keys)),
    )
    .execute(conn)?;
    Ok(())
}

fn store_err(e: StoreError) -> TriggerStoreError {
    TriggerStoreError(agented_kernel::Cause::of(e))
}

#[async_trait]
impl DedupLedger for SqlDedup {
    async fn claim(
        &self,
        trigger: &TriggerId,
        key: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, TriggerStoreError> {
        let (trigger, key) = (trigger.as_str().to_owned(), key.to_owned());
        self.db
            .run(move |conn| crate::database::write(conn, |conn| claim_in(conn, &trigger, &key, now, expires_at)))
            .await
            .map_err(store_err)
    }

    async fn release(&self, trigger: &TriggerId, key: &str) -> Result<(), TriggerStoreError> {
        let (trigger, keys) = (trigger.as_str().to_owned(), vec![key.to_owned()]);
        self.db.run(move |conn| release_in(conn, &trigger, &keys)).await.map_err(store_err)
    }

    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, TriggerStoreError> {
        self.db
            .run(move |conn| {
                diesel::delete(webhook_dedup::table.filter(webhook_dedup::expires_at.le(now.naive_utc())))
                    .execute(conn)
                    .map(|n| n as u64)
                    .map_err(StoreError::from)
            })
            .await
            .map_err(store_err)
    }
}
