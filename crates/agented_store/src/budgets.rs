//! `BudgetRepository` and `SpendReader` over SQLite.

use crate::accounts::{store_err, write_err};
use crate::database::AnyConnection;
use crate::schema::{budget_reservations, budgets, executions};
use crate::{Database, StoreError};
use agented_executions::ExecutionStatus;
use agented_kernel::BudgetId;
use agented_orchestration::{
    Budget, BudgetDraft, BudgetRepository, OrchestrationStoreError, Reservation, ReservationRule, Spend, SpendFilter,
    SpendReader, UsageRow, WriteError, builtin_id, builtin_type,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::sum;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = budgets)]
pub(crate) struct BudgetRow {
    pub(crate) id: String,
    pub(crate) scope: String,
    pub(crate) entity_id: Option<String>,
    pub(crate) period: String,
    pub(crate) timezone: String,
    pub(crate) soft_limit_usd: Option<f64>,
    pub(crate) hard_limit_usd: Option<f64>,
    pub(crate) warned_period: Option<NaiveDateTime>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Query(DieselError::DeserializationError(what.to_string().into()))
}

impl TryFrom<BudgetRow> for Budget {
    type Error = StoreError;
    fn try_from(r: BudgetRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: BudgetId::parse(&r.id).map_err(corrupt)?,
            scope: r.scope.parse().map_err(corrupt)?,
            entity_id: r.entity_id,
            period: r.period.parse().map_err(corrupt)?,
            timezone: r.timezone.parse().map_err(corrupt)?,
            soft_limit_usd: r.soft_limit_usd,
            hard_limit_usd: r.hard_limit_usd,
            warned_period: r.warned_period.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Budget>, StoreError> {
    budgets::table.find(id).select(BudgetRow::as_select()).first(conn).optional()?.map(Budget::try_from).transpose()
}

fn duplicate(d: &BudgetDraft) -> String {
    match &d.entity_id {
        Some(e) => format!("a {} budget for {} {e} already exists", d.period, d.scope),
        None => format!("a {} global budget already exists", d.period),
    }
}

/// Budgets, and the spend of executions they are measured against.
#[derive(Debug, Clone)]
pub struct SqlBudgets {
    db: Database,
}

impl SqlBudgets {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl BudgetRepository for SqlBudgets {
    async fn list(&self) -> Result<Vec<Budget>, OrchestrationStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<BudgetRow> = budgets::table
                    .order((budgets::created_at.asc(), budgets::id.asc()))
                    .select(BudgetRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(Budget::try_from).collect()
            })
            .await
            .map_err(store_err)
    }

    async fn get(&self, id: &BudgetId) -> Result<Option<Budget>, OrchestrationStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load(conn, &id)).await.map_err(store_err)
    }

    async fn insert(&self, id: &BudgetId, draft: &BudgetDraft, at: DateTime<Utc>) -> Result<Budget, WriteError> {
        let (id, d) = (id.as_str().to_owned(), draft.clone());
        let taken = duplicate(&d);
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    diesel::insert_into(budgets::table)
                        .values((
                            budgets::id.eq(&id),
                            budgets::scope.eq(d.scope.as_str()),
                            budgets::entity_id.eq(&d.entity_id),
                            budgets::period.eq(d.period.as_str()),
                            budgets::timezone.eq(d.timezone.name()),
                            budgets::soft_limit_usd.eq(d.soft_limit_usd),
                            budgets::hard_limit_usd.eq(d.hard_limit_usd),
                            budgets::created_at.eq(at.naive_utc()),
                            budgets::updated_at.eq(at.naive_utc()),
                        ))
                        .execute(conn)?;
                    load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
                })
            })
            .await
            .map_err(|e| write_err(e, &taken))
    }

    async fn update(&self, id: &BudgetId, draft: &BudgetDraft, at: DateTime<Utc>) -> Result<Budget, WriteError> {
        let (id, d) = (id.as_str().to_owned(), draft.clone());
        let taken = duplicate(&d);
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let changed = diesel::update(budgets::table.find(&id))
                        .set((
                            budgets::scope.eq(d.scope.as_str()),
                            budgets::entity_id.eq(&d.entity_id),
                            budgets::period.eq(d.period.as_str()),
                            budgets::timezone.eq(d.timezone.name()),
                            budgets::soft_limit_usd.eq(d.soft_limit_usd),
                            budgets::hard_limit_usd.eq(d.hard_limit_usd),
                            budgets::warned_period.eq(None::<NaiveDateTime>),
                            budgets::updated_at.eq(at.naive_utc()),
                        ))
                        .execute(conn)?;
                    if changed == 0 {
                        return Err(StoreError::Query(DieselError::NotFound));
                    }
                    load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
                })
            })
            .await
            .map_err(|e| write_err(e, &taken))
    }

    async fn delete(&self, id: &BudgetId) -> Result<bool, OrchestrationStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| Ok(diesel::delete(budgets::table.find(&id)).execute(conn)? > 0))
            .await
            .map_err(store_err)
    }

    async fn mark_warned(&self, id: &BudgetId, period_start: DateTime<Utc>) -> Result<bool, OrchestrationStoreError> {
        let (id, start) = (id.as_str().to_owned(), period_start.naive_utc());
        self.db
            .run(move |conn| {
                let changed = diesel::update(
                    budgets::table
                        .find(&id)
                        .filter(budgets::warned_period.is_null().or(budgets::warned_period.ne(start))),
                )
                .set(budgets::warned_period.eq(start))
                .execute(conn)?;
                Ok(changed > 0)
            })
            .await
            .map_err(store_err)
    }
}

/// What `f` selects spent, and what running runs other than `f.except` reserved and
/// have not spent yet.
fn spend_in(conn: &mut AnyConnection, f: &SpendFilter) -> Result<Spend, StoreError> {
    let (since, until) = (f.since.naive_utc(), f.until.naive_utc());
    let mut q =
        executions::table.filter(executions::queued_at.ge(since)).filter(executions::queued_at.lt(until)).into_boxed();
    if let Some(t) = &f.trigger_id {
        q = q.filter(executions::trigger_id.eq(t));
    }
    if let Some(a) = &f.account_id {
        q = q.filter(executions::account_id.eq(a));
    }
    if let Some(b) = &f.backend_id {
        q = match builtin_type(b) {
            Some(t) => q.filter(executions::backend_type.eq(t.as_str()).and(executions::backend_id.is_null())),
            None => q.filter(executions::backend_id.eq(b)),
        };
    }
    let spent: Option<f64> = q.select(sum(executions::total_cost_usd)).first(conn)?;
    let mut held = budget_reservations::table
        .inner_join(executions::table)
        .filter(executions::status.eq(ExecutionStatus::Running.as_str()))
        .filter(executions::queued_at.ge(since))
        .filter(executions::queued_at.lt(until))
        .into_boxed();
    if let Some(e) = &f.except {
        held = held.filter(budget_reservations::execution_id.ne(e));
    }
    if let Some(t) = &f.trigger_id {
        held = held.filter(executions::trigger_id.eq(t));
    }
    if let Some(a) = &f.account_id {
        held = held.filter(budget_reservations::account_id.eq(a));
    }
    if let Some(b) = &f.backend_id {
        held = held.filter(budget_reservations::backend_id.eq(b));
    }
    let held: Vec<(f64, Option<f64>)> =
        held.select((budget_reservations::amount_usd, executions::total_cost_usd)).load(conn)?;
    let reserved_usd = held.iter().map(|(amount, cost)| (amount - cost.unwrap_or(0.0)).max(0.0)).sum();
    Ok(Spend { spent_usd: spent.unwrap_or(0.0), reserved_usd })
}

/// Stores `r` (replacing the run's earlier one) at what the run spent so far plus its
/// estimate, and drops the reservations of runs that ended.
fn hold(conn: &mut AnyConnection, r: &Reservation) -> Result<(), StoreError> {
    let ended: Vec<String> = budget_reservations::table
        .inner_join(executions::table)
        .filter(executions::status.ne(ExecutionStatus::Running.as_str()))
        .select(budget_reservations::execution_id)
        .load(conn)?;
    diesel::delete(budget_reservations::table.filter(budget_reservations::execution_id.eq_any(&ended)))
        .execute(conn)?;
    let spent: Option<f64> =
        executions::table.find(&r.execution_id).select(executions::total_cost_usd).first(conn).optional()?.flatten();
    diesel::delete(budget_reservations::table.find(&r.execution_id)).execute(conn)?;
    diesel::insert_into(budget_reservations::table)
        .values((
            budget_reservations::execution_id.eq(&r.execution_id),
            budget_reservations::backend_id.eq(&r.backend_id),
            budget_reservations::account_id.eq(r.account_id.as_deref()),
            budget_reservations::amount_usd.eq(spent.unwrap_or(0.0) + r.estimate_usd),
            budget_reservations::reserved_at.eq(r.at.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finished runs whose cost the trigger's expected cost is the mean of.
const EXPECTED_COST_RUNS: i64 = 20;

#[async_trait]
impl SpendReader for SqlBudgets {
    async fn spend(&self, filter: &SpendFilter) -> Result<Spend, OrchestrationStoreError> {
        let f = filter.clone();
        self.db.run(move |conn| spend_in(conn, &f)).await.map_err(store_err)
    }

    async fn reserve(
        &self,
        reservation: &Reservation,
        rule: ReservationRule,
    ) -> Result<(Vec<Spend>, bool), OrchestrationStoreError> {
        let r = reservation.clone();
        self.db
            .run(move |conn| {
                // The write lock is held from the first read: no other process reserves or
                // claims in between, so two runs cannot both take the last dollar.
                crate::database::write(conn, |conn| {
                    let spends = r.filters.iter().map(|f| spend_in(conn, f)).collect::<Result<Vec<_>, _>>()?;
                    let made = rule(&spends);
                    if made {
                        hold(conn, &r)?;
                    }
                    Ok((spends, made))
                })
            })
            .await
            .map_err(store_err)
    }

    async fn expected_cost(&self, trigger_id: &str) -> Result<Option<f64>, OrchestrationStoreError> {
        let trigger = trigger_id.to_owned();
        self.db
            .run(move |conn| {
                let costs: Vec<Option<f64>> = executions::table
                    .filter(executions::trigger_id.eq(&trigger))
                    .filter(executions::finished_at.is_not_null())
                    .filter(executions::total_cost_usd.gt(0.0))
                    .order(executions::queued_at.desc())
                    .limit(EXPECTED_COST_RUNS)
                    .select(executions::total_cost_usd)
                    .load(conn)?;
                let costs: Vec<f64> = costs.into_iter().flatten().collect();
                Ok((!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64))
            })
            .await
            .map_err(store_err)
    }

    async fn usage_rows(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<UsageRow>, OrchestrationStoreError> {
        type Row = (
            NaiveDateTime,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            Option<i64>,
            Option<i64>,
            Option<f64>,
        );
        self.db
            .run(move |conn| {
                let rows: Vec<Row> = executions::table
                    .filter(executions::queued_at.ge(since.naive_utc()))
                    .filter(executions::queued_at.lt(until.naive_utc()))
                    .order(executions::queued_at.asc())
                    .select((
                        executions::queued_at,
                        executions::trigger_id,
                        executions::backend_type,
                        executions::backend_id,
                        executions::account_id,
                        executions::status,
                        executions::input_tokens,
                        executions::output_tokens,
                        executions::total_cost_usd,
                    ))
                    .load(conn)?;
                Ok(rows
                    .into_iter()
                    .map(|(at, trigger, backend_type, backend_id, account, status, i, o, cost)| UsageRow {
                        queued_at: at.and_utc(),
                        trigger_id: trigger,
                        backend_id: backend_id.unwrap_or_else(|| {
                            backend_type
                                .parse()
                                .map_or_else(|_| format!("backend-{backend_type}"), |t| builtin_id(t).to_owned())
                        }),
                        account_id: account,
                        status,
                        input_tokens: i.unwrap_or(0),
                        output_tokens: o.unwrap_or(0),
                        cost_usd: cost.unwrap_or(0.0),
                    })
                    .collect())
            })
            .await
            .map_err(store_err)
    }
}
