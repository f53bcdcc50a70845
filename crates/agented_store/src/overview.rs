//! The trigger list in one query: each trigger with its path count and its
//! latest execution (found through the `executions_by_trigger` index).

use crate::StoreError;
use crate::triggers::{SqlTriggers, TriggerRow};
use agented_executions::{ExecStoreError, LatestRun, TriggerOverview, TriggerSummary};
use agented_kernel::ExecutionId;
use agented_triggers::Trigger;
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

const OVERVIEW: &str = "\
SELECT t.*, \
  (SELECT COUNT(*) FROM trigger_paths p WHERE p.trigger_id = t.id) AS path_count, \
  e.execution_id AS latest_id, e.status AS latest_status, e.started_at AS latest_started_at, \
  e.finished_at AS latest_finished_at, e.error_message AS latest_error \
FROM triggers t \
LEFT JOIN executions e ON e.execution_id = ( \
  SELECT x.execution_id FROM executions x WHERE x.trigger_id = t.id \
  ORDER BY x.queued_at DESC, x.execution_id DESC LIMIT 1) \
ORDER BY t.is_predefined DESC, t.name ASC";

#[derive(QueryableByName)]
struct OverviewRow {
    #[diesel(embed)]
    trigger: TriggerRow,
    #[diesel(sql_type = BigInt)]
    path_count: i64,
    #[diesel(sql_type = Nullable<Text>)]
    latest_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    latest_status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    latest_started_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    latest_finished_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    latest_error: Option<String>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Query(diesel::result::Error::DeserializationError(what.to_string().into()))
}

impl TryFrom<OverviewRow> for TriggerSummary {
    type Error = StoreError;
    fn try_from(r: OverviewRow) -> Result<Self, StoreError> {
        let latest = match (r.latest_id, r.latest_status) {
            (Some(id), Some(status)) => Some(LatestRun {
                execution_id: ExecutionId::try_from(id).map_err(corrupt)?,
                status: status.parse().map_err(corrupt)?,
                started_at: r.latest_started_at.map(|t| t.and_utc()),
                finished_at: r.latest_finished_at.map(|t| t.and_utc()),
                error_message: r.latest_error,
            }),
            _ => None,
        };
        Ok(Self {
            trigger: Trigger::try_from(r.trigger)?,
            path_count: usize::try_from(r.path_count).map_err(corrupt)?,
            latest,
        })
    }
}

#[async_trait]
impl TriggerOverview for SqlTriggers {
    async fn overview(&self) -> Result<Vec<TriggerSummary>, ExecStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<OverviewRow> = diesel::sql_query(OVERVIEW).load(conn)?;
                rows.into_iter().map(TriggerSummary::try_from).collect()
            })
            .await
            .map_err(|e| ExecStoreError(agented_kernel::Cause::of(e)))
    }
}
