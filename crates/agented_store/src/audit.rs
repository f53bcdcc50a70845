//! `AuditLog` over SQLite: append-only rows in `audit_log`.

use crate::database::AnyBackend;
use crate::schema::audit_log;
use crate::{Database, StoreError};
use agented_auth::{AuditEntry, AuditLog, AuditQuery, AuditRecord, Outcome, RepoError};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct AuditRow {
    id: i64,
    at: NaiveDateTime,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    outcome: String,
    status: i32,
    changes: Option<String>,
    request_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow {
    at: NaiveDateTime,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    outcome: &'static str,
    status: i32,
    changes: Option<String>,
    request_id: Option<String>,
}

impl From<AuditRow> for AuditRecord {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            entry: AuditEntry {
                at: row.at.and_utc(),
                actor: row.actor,
                action: row.action,
                entity_type: row.entity_type,
                entity_id: row.entity_id,
                outcome: if row.outcome == "success" { Outcome::Success } else { Outcome::Failure },
                status: u16::try_from(row.status).unwrap_or(0),
                // Stored by `record` as JSON; unreadable text is shown as text rather than lost.
                changes: row.changes.map(|c| serde_json::from_str(&c).unwrap_or(serde_json::Value::String(c))),
                request_id: row.request_id,
            },
        }
    }
}

/// The audit trail in the `audit_log` table.
#[derive(Debug, Clone)]
pub struct SqlAudit {
    db: Database,
}

impl SqlAudit {
    /// The audit log over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

fn filtered(query: &AuditQuery) -> audit_log::BoxedQuery<'static, AnyBackend> {
    let mut q = audit_log::table.into_boxed();
    if let Some(actor) = &query.actor {
        q = q.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(action) = &query.action {
        let escaped = action.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        q = q.filter(audit_log::action.like(format!("{escaped}%")).escape('\\'));
    }
    if let Some(entity_type) = &query.entity_type {
        q = q.filter(audit_log::entity_type.eq(entity_type.clone()));
    }
    if let Some(entity_id) = &query.entity_id {
        q = q.filter(audit_log::entity_id.eq(entity_id.clone()));
    }
    if let Some(outcome) = query.outcome {
        q = q.filter(audit_log::outcome.eq(outcome.as_str()));
    }
    if let Some(since) = query.since {
        q = q.filter(audit_log::at.ge(since.naive_utc()));
    }
    if let Some(until) = query.until {
        q = q.filter(audit_log::at.lt(until.naive_utc()));
    }
    q
}

#[async_trait]
impl AuditLog for SqlAudit {
    async fn record(&self, entry: AuditEntry) -> Result<(), RepoError> {
        self.db
            .run(move |conn| {
                let row = NewAuditRow {
                    at: entry.at.naive_utc(),
                    actor: entry.actor,
                    action: entry.action,
                    entity_type: entry.entity_type,
                    entity_id: entry.entity_id,
                    outcome: entry.outcome.as_str(),
                    status: i32::from(entry.status),
                    changes: entry.changes.map(|c| c.to_string()),
                    request_id: entry.request_id,
                };
                crate::database::write(conn, |conn| diesel::insert_into(audit_log::table).values(row).execute(conn))?;
                Ok(())
            })
            .await
            .map_err(|e| RepoError(agented_kernel::Cause::of(e)))
    }

    async fn query(&self, query: &AuditQuery) -> Result<(Vec<AuditRecord>, u64), RepoError> {
        let query = query.clone();
        self.db
            .run(move |conn| {
                let total: i64 = filtered(&query).count().get_result(conn)?;
                let rows = filtered(&query)
                    .order(audit_log::id.desc())
                    .limit(i64::from(query.page.limit))
                    .offset(i64::from(query.page.offset))
                    .select(AuditRow::as_select())
                    .load(conn)?;
                Ok::<_, StoreError>((
                    rows.into_iter().map(AuditRecord::from).collect(),
                    u64::try_from(total).unwrap_or(0),
                ))
            })
            .await
            .map_err(|e| RepoError(agented_kernel::Cause::of(e)))
    }
}
