//! `DeliveryLog` over `webhook_deliveries`: insert, then trim each trigger's
//! (and the unmatched) records to the newest `keep`, in one transaction.

use crate::error::storable;
use crate::schema::webhook_deliveries as d;
use crate::{Database, StoreError};
use agented_kernel::TriggerId;
use agented_triggers::{DeliveryLog, DeliveryRecord, TriggerStoreError};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

/// The SQLite delivery log.
#[derive(Debug, Clone)]
pub struct SqlDeliveries {
    db: Database,
}

impl SqlDeliveries {
    /// The log over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = d)]
struct Row {
    id: i64,
    received_at: NaiveDateTime,
    source: String,
    event: Option<String>,
    trigger_id: Option<String>,
    decision: String,
    reason: Option<String>,
    execution_id: Option<String>,
    headers: String,
    body: String,
    body_bytes: i64,
}

#[derive(Insertable)]
#[diesel(table_name = d)]
struct NewRow<'a> {
    received_at: NaiveDateTime,
    source: &'a str,
    event: Option<&'a str>,
    trigger_id: Option<&'a str>,
    decision: &'a str,
    reason: Option<&'a str>,
    execution_id: Option<&'a str>,
    headers: String,
    body: &'a str,
    body_bytes: i64,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Query(DieselError::DeserializationError(what.to_string().into()))
}

fn store_err(e: StoreError) -> TriggerStoreError {
    TriggerStoreError(agented_kernel::Cause::of(e))
}

impl TryFrom<Row> for DeliveryRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let headers: Vec<(String, String)> = serde_json::from_str(&r.headers).map_err(corrupt)?;
        Ok(Self {
            id: r.id,
            received_at: r.received_at.and_utc(),
            source: r.source,
            event: r.event,
            trigger_id: r.trigger_id.map(TriggerId::try_from).transpose().map_err(corrupt)?,
            decision: r.decision,
            reason: r.reason,
            execution_id: r.execution_id,
            headers,
            body: r.body,
            body_bytes: r.body_bytes,
        })
    }
}

#[async_trait]
impl DeliveryLog for SqlDeliveries {
    async fn record(&self, records: &[DeliveryRecord], keep: usize) -> Result<(), TriggerStoreError> {
        let records = records.to_vec();
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    for r in &records {
                        diesel::insert_into(d::table)
                            .values(NewRow {
                                received_at: r.received_at.naive_utc(),
                                source: &r.source,
                                event: r.event.as_deref().map(storable).as_deref(),
                                trigger_id: r.trigger_id.as_ref().map(TriggerId::as_str),
                                decision: &r.decision,
                                reason: r.reason.as_deref().map(storable).as_deref(),
                                execution_id: r.execution_id.as_deref(),
                                headers: serde_json::to_string(&r.headers).map_err(corrupt)?,
                                body: &storable(&r.body),
                                body_bytes: r.body_bytes,
                            })
                            .execute(conn)?;
                        // Only the newest `keep` of this trigger (or of the unmatched) stay.
                        let mine = match &r.trigger_id {
                            Some(t) => d::table.filter(d::trigger_id.eq(t.as_str().to_owned())).into_boxed(),
                            None => d::table.filter(d::trigger_id.is_null()).into_boxed(),
                        };
                        let cutoff: Option<i64> =
                            mine.select(d::id).order(d::id.desc()).offset(keep).limit(1).first(conn).optional()?;
                        if let Some(cutoff) = cutoff {
                            let old = match &r.trigger_id {
                                Some(t) => diesel::delete(
                                    d::table.filter(d::trigger_id.eq(t.as_str().to_owned())).filter(d::id.le(cutoff)),
                                )
                                .execute(conn)?,
                                None => {
                                    diesel::delete(d::table.filter(d::trigger_id.is_null()).filter(d::id.le(cutoff)))
                                        .execute(conn)?
                                }
                            };
                            tracing::trace!(deleted = old, "old webhook deliveries trimmed");
                        }
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .await
            .map_err(store_err)
    }

    async fn recent(
        &self,
        trigger: Option<&TriggerId>,
        unmatched_only: bool,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, TriggerStoreError> {
        let trigger = trigger.map(|t| t.as_str().to_owned());
        self.db
            .run(move |conn| {
                let mut query =
                    d::table.select(Row::as_select()).order(d::id.desc()).limit(i64::from(limit)).into_boxed();
                if let Some(t) = trigger {
                    query = query.filter(d::trigger_id.eq(t));
                } else if unmatched_only {
                    query = query.filter(d::trigger_id.is_null());
                }
                let rows: Vec<Row> = query.load(conn)?;
                rows.into_iter().map(DeliveryRecord::try_from).collect()
            })
            .await
            .map_err(store_err)
    }
}
