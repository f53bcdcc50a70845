//! `AccountRepository` over SQLite. Moving the default flag and writing the
//! account happen in one immediate transaction.

use crate::database::AnyConnection;
use crate::schema::accounts;
use crate::{Database, StoreError};
use agented_kernel::AccountId;
use agented_orchestration::{
    Account, AccountDraft, AccountRepository, AccountUsage, OrchestrationStoreError, WriteError,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};
use std::collections::HashMap;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub(crate) struct AccountRow {
    pub(crate) id: String,
    pub(crate) backend_id: String,
    pub(crate) name: String,
    pub(crate) api_key_env: Option<String>,
    pub(crate) config_dir: Option<String>,
    pub(crate) is_default: bool,
    pub(crate) plan: Option<String>,
    pub(crate) rate_limited_until: Option<NaiveDateTime>,
    pub(crate) rate_limit_reason: Option<String>,
    pub(crate) rate_limit_hits: i64,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: AccountId::parse(&r.id)
                .map_err(|e| StoreError::Query(DieselError::DeserializationError(e.to_string().into())))?,
            backend_id: r.backend_id,
            name: r.name,
            api_key_env: r.api_key_env,
            config_dir: r.config_dir,
            is_default: r.is_default,
            plan: r.plan,
            rate_limited_until: r.rate_limited_until.map(|t| t.and_utc()),
            rate_limit_reason: r.rate_limit_reason,
            rate_limit_hits: r.rate_limit_hits,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

pub(crate) fn store_err(e: StoreError) -> OrchestrationStoreError {
    OrchestrationStoreError(agented_kernel::Cause::of(e))
}

pub(crate) fn write_err(e: StoreError, duplicate: &str) -> WriteError {
    match e {
        StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            WriteError::Duplicate(duplicate.to_owned())
        }
        StoreError::Query(DieselError::NotFound) => WriteError::NotFound,
        other => WriteError::Store(store_err(other)),
    }
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Account>, StoreError> {
    accounts::table.find(id).select(AccountRow::as_select()).first(conn).optional()?.map(Account::try_from).transpose()
}

/// Only one default per backend: taking the flag clears it elsewhere first.
fn take_default(conn: &mut AnyConnection, backend_id: &str, draft: &AccountDraft) -> Result<(), StoreError> {
    if draft.is_default {
        diesel::update(accounts::table.filter(accounts::backend_id.eq(backend_id)))
            .set(accounts::is_default.eq(false))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = BigInt)]
    runs: i64,
    #[diesel(sql_type = BigInt)]
    input_tokens: i64,
    #[diesel(sql_type = BigInt)]
    output_tokens: i64,
    #[diesel(sql_type = Double)]
    cost: f64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_used_at: Option<NaiveDateTime>,
}

/// The `accounts` table.
#[derive(Debug, Clone)]
pub struct SqlAccounts {
    db: Database,
}

impl SqlAccounts {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AccountRepository for SqlAccounts {
    async fn list(&self, backend_id: Option<&str>) -> Result<Vec<Account>, OrchestrationStoreError> {
        let backend_id = backend_id.map(str::to_owned);
        self.db
            .run(move |conn| {
                let mut q = accounts::table.into_boxed();
                if let Some(b) = backend_id {
                    q = q.filter(accounts::backend_id.eq(b));
                }
                let rows: Vec<AccountRow> = q
                    .order((accounts::backend_id.asc(), accounts::name.asc()))
                    .select(AccountRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(Account::try_from).collect()
            })
            .await
            .map_err(store_err)
    }

    async fn get(&self, id: &AccountId) -> Result<Option<Account>, OrchestrationStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load(conn, &id)).await.map_err(store_err)
    }

    async fn default_for(&self, backend_id: &str) -> Result<Option<Account>, OrchestrationStoreError> {
        let backend_id = backend_id.to_owned();
        self.db
            .run(move |conn| {
                accounts::table
                    .filter(accounts::backend_id.eq(backend_id).and(accounts::is_default.eq(true)))
                    .select(AccountRow::as_select())
                    .first(conn)
                    .optional()?
                    .map(Account::try_from)
                    .transpose()
            })
            .await
            .map_err(store_err)
    }

    async fn insert(
        &self,
        id: &AccountId,
        backend_id: &str,
        draft: &AccountDraft,
        at: DateTime<Utc>,
    ) -> Result<Account, WriteError> {
        let (id, backend_id, d) = (id.as_str().to_owned(), backend_id.to_owned(), draft.clone());
        let duplicate = format!("an account named '{}' already exists for this backend", d.name);
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    take_default(conn, &backend_id, &d)?;
                    diesel::insert_into(accounts::table)
                        .values((
                            accounts::id.eq(&id),
                            accounts::backend_id.eq(&backend_id),
                            accounts::name.eq(&d.name),
                            accounts::api_key_env.eq(&d.api_key_env),
                            accounts::config_dir.eq(&d.config_dir),
                            accounts::is_default.eq(d.is_default),
                            accounts::plan.eq(&d.plan),
                            accounts::created_at.eq(at.naive_utc()),
                            accounts::updated_at.eq(at.naive_utc()),
                        ))
                        .execute(conn)?;
                    load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
                })
            })
            .await
            .map_err(|e| write_err(e, &duplicate))
    }

    async fn update(&self, id: &AccountId, draft: &AccountDraft, at: DateTime<Utc>) -> Result<Account, WriteError> {
        let (id, d) = (id.as_str().to_owned(), draft.clone());
        let duplicate = format!("an account named '{}' already exists for this backend", d.name);
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let current = load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))?;
                    take_default(conn, &current.backend_id, &d)?;
                    diesel::update(accounts::table.find(&id))
                        .set((
                            accounts::name.eq(&d.name),
                            accounts::api_key_env.eq(&d.api_key_env),
                            accounts::config_dir.eq(&d.config_dir),
                            accounts::is_default.eq(d.is_default),
                            accounts::plan.eq(&d.plan),
                            accounts::updated_at.eq(at.naive_utc()),
                        ))
                        .execute(conn)?;
                    load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
                })
            })
            .await
            .map_err(|e| write_err(e, &duplicate))
    }

    async fn delete(&self, id: &AccountId) -> Result<bool, OrchestrationStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| Ok(diesel::delete(accounts::table.find(&id)).execute(conn)? > 0))
            .await
            .map_err(store_err)
    }

    async fn mark_limited(
        &self,
        id: &AccountId,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), OrchestrationStoreError> {
        let (id, reason) = (id.as_str().to_owned(), reason.to_owned());
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let Some(current) = load(conn, &id)? else { return Ok(()) };
                    // A later limit set by another run is never shortened.
                    let until = current.rate_limited_until.map_or(until, |t| t.max(until));
                    diesel::update(accounts::table.find(&id))
                        .set((
                            accounts::rate_limited_until.eq(until.naive_utc()),
                            accounts::rate_limit_reason.eq(reason),
                            accounts::rate_limit_hits.eq(accounts::rate_limit_hits + 1),
                        ))
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
            .map_err(store_err)
    }

    async fn clear_limit(&self, id: &AccountId, at: DateTime<Utc>) -> Result<Option<Account>, OrchestrationStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                diesel::update(accounts::table.find(&id))
                    .set((
                        accounts::rate_limited_until.eq(None::<NaiveDateTime>),
                        accounts::rate_limit_reason.eq(None::<String>),
                        accounts::updated_at.eq(at.naive_utc()),
                    ))
                    .execute(conn)?;
                load(conn, &id)
            })
            .await
            .map_err(store_err)
    }

    async fn usage(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, AccountUsage>, OrchestrationStoreError> {
        let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        self.db
            .run(move |conn| {
                // PostgreSQL numbers its placeholders, and its SUM of BIGINT is NUMERIC.
                let pg = matches!(conn, AnyConnection::Pg(_));
                let placeholders: Vec<String> =
                    (1..=ids.len()).map(|n| if pg { format!("${n}") } else { "?".to_owned() }).collect();
                let (placeholders, int) = (placeholders.join(", "), if pg { "BIGINT" } else { "INTEGER" });
                let sql = format!(
                    "SELECT account_id, COUNT(*) AS runs, CAST(COALESCE(SUM(input_tokens), 0) AS {int}) AS input_tokens, \
                     CAST(COALESCE(SUM(output_tokens), 0) AS {int}) AS output_tokens, \
                     COALESCE(SUM(total_cost_usd), 0.0) AS cost, MAX(queued_at) AS last_used_at \
                     FROM executions WHERE account_id IN ({placeholders}) GROUP BY account_id"
                );
                let mut query = diesel::sql_query(sql).into_boxed();
                for id in &ids {
                    query = query.bind::<Text, _>(id.clone());
                }
                let rows: Vec<UsageRow> = query.load(conn)?;
                Ok(rows
                    .into_iter()
                    .filter_map(|r| {
                        let id = AccountId::parse(&r.account_id).ok()?;
                        Some((
                            id,
                            AccountUsage {
                                runs: r.runs,
                                input_tokens: r.input_tokens,
                                output_tokens: r.output_tokens,
                                total_cost_usd: r.cost,
                                last_used_at: r.last_used_at.map(|t| t.and_utc()),
                            },
                        ))
                    })
                    .collect())
            })
            .await
            .map_err(store_err)
    }
}
