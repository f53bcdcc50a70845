//! `WorkerRegistry` over SQLite.

use crate::Database;
use crate::executions::{corrupt, err};
use crate::schema::workers;
use agented_executions::{ExecStoreError, WorkerRecord, WorkerRegistry};
use agented_kernel::WorkerId;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = workers)]
struct WorkerRow {
    worker_id: String,
    host: String,
    pid: i32,
    labels: String,
    capacity: i32,
    running: i32,
    version: String,
    started_at: NaiveDateTime,
    heartbeat_at: NaiveDateTime,
    stopped_at: Option<NaiveDateTime>,
    lost_at: Option<NaiveDateTime>,
}

impl TryFrom<WorkerRow> for WorkerRecord {
    type Error = crate::StoreError;
    fn try_from(r: WorkerRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: WorkerId::try_from(r.worker_id).map_err(corrupt)?,
            host: r.host,
            pid: r.pid,
            labels: serde_json::from_str(&r.labels).map_err(corrupt)?,
            capacity: u32::try_from(r.capacity).unwrap_or(0),
            running: u32::try_from(r.running).unwrap_or(0),
            version: r.version,
            started_at: r.started_at.and_utc(),
            heartbeat_at: r.heartbeat_at.and_utc(),
            stopped_at: r.stopped_at.map(|t| t.and_utc()),
            lost_at: r.lost_at.map(|t| t.and_utc()),
        })
    }
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The worker registry in the `workers` table.
#[derive(Clone)]
pub struct SqlWorkers {
    db: Database,
}

impl SqlWorkers {
    /// The registry over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Only a worker that neither stopped nor was found lost takes beats or a loss.
macro_rules! live_worker {
    ($id:expr) => {
        workers::table.find($id).filter(workers::stopped_at.is_null()).filter(workers::lost_at.is_null())
    };
}

#[async_trait]
impl WorkerRegistry for SqlWorkers {
    async fn register(&self, w: &WorkerRecord) -> Result<(), ExecStoreError> {
        let row = WorkerRow {
            worker_id: w.id.as_str().to_owned(),
            host: w.host.clone(),
            pid: w.pid,
            labels: serde_json::to_string(&w.labels).unwrap_or_else(|_| "[]".to_owned()),
            capacity: count(w.capacity),
            running: count(w.running),
            version: w.version.clone(),
            started_at: w.started_at.naive_utc(),
            heartbeat_at: w.heartbeat_at.naive_utc(),
            stopped_at: None,
            lost_at: None,
        };
        self.db
            .run(move |conn| {
                diesel::insert_into(workers::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn beat(&self, id: &WorkerId, running: u32, at: DateTime<Utc>) -> Result<bool, ExecStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let n = diesel::update(live_worker!(&id))
                    .set((workers::running.eq(count(running)), workers::heartbeat_at.eq(at.naive_utc())))
                    .execute(conn)?;
                Ok(n == 1)
            })
            .await
            .map_err(err)
    }

    async fn stop(&self, id: &WorkerId, at: DateTime<Utc>) -> Result<(), ExecStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                diesel::update(workers::table.find(&id).filter(workers::stopped_at.is_null()))
                    .set((workers::stopped_at.eq(at.naive_utc()), workers::running.eq(0)))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn mark_lost(&self, id: &WorkerId, at: DateTime<Utc>) -> Result<bool, ExecStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let n = diesel::update(live_worker!(&id)).set(workers::lost_at.eq(at.naive_utc())).execute(conn)?;
                Ok(n == 1)
            })
            .await
            .map_err(err)
    }

    async fn list(&self) -> Result<Vec<WorkerRecord>, ExecStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<WorkerRow> = workers::table
                    .order((workers::started_at.desc(), workers::worker_id.asc()))
                    .select(WorkerRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(WorkerRecord::try_from).collect()
            })
            .await
            .map_err(err)
    }
}
