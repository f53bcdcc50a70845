//! `ApiKeyRepository` over SQLite.

use crate::database::AnyConnection;
use crate::schema::api_keys;
use crate::{Database, StoreError};
use agented_auth::ports::{InsertKeyError, Revoked};
use agented_auth::{ApiKey, ApiKeyId, ApiKeyName, ApiKeyRepository, ApiScope, KeyHash, NewApiKey, RepoError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    id: String,
    name: String,
    scope: String,
    prefix: String,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
struct NewApiKeyRow<'a> {
    id: &'a str,
    name: &'a str,
    scope: &'a str,
    prefix: &'a str,
    key_hash: &'a str,
    created_at: NaiveDateTime,
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        let corrupt = |what: String| StoreError::Query(DieselError::DeserializationError(what.into()));
        Ok(Self {
            id: ApiKeyId::from_raw(row.id),
            name: ApiKeyName::parse(&row.name).map_err(|e| corrupt(format!("api key name: {e}")))?,
            scope: row.scope.parse::<ApiScope>().map_err(|e| corrupt(e.to_string()))?,
            prefix: row.prefix,
            created_at: utc(row.created_at),
            last_used_at: row.last_used_at.map(utc),
            revoked_at: row.revoked_at.map(utc),
        })
    }
}

fn repo_err(e: StoreError) -> RepoError {
    RepoError(agented_kernel::Cause::of(e))
}

/// API keys in the `api_keys` table.
#[derive(Debug, Clone)]
pub struct SqlApiKeys {
    db: Database,
}

impl SqlApiKeys {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<ApiKey>, StoreError> {
    api_keys::table.find(id).select(ApiKeyRow::as_select()).first(conn).optional()?.map(ApiKey::try_from).transpose()
}

#[async_trait]
impl ApiKeyRepository for SqlApiKeys {
    async fn insert(&self, key: NewApiKey) -> Result<ApiKey, InsertKeyError> {
        let result = self
            .db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    diesel::insert_into(api_keys::table)
                        .values(NewApiKeyRow {
                            id: key.id.as_str(),
                            name: key.name.as_str(),
                            scope: key.scope.as_str(),
                            prefix: &key.prefix,
                            key_hash: key.hash.as_str(),
                            created_at: key.created_at.naive_utc(),
                        })
                        .execute(conn)?;
                    load(conn, key.id.as_str())?.ok_or(StoreError::Query(DieselError::NotFound))
                })
            })
            .await;
        match result {
            Ok(key) => Ok(key),
            Err(StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)))
                if crate::error::is_unique_column(info.as_ref(), "api_keys", "name") =>
            {
                Err(InsertKeyError::DuplicateName)
            }
            Err(e) => Err(InsertKeyError::Store(repo_err(e))),
        }
    }

    async fn find_by_hash(&self, hash: &KeyHash) -> Result<Option<ApiKey>, RepoError> {
        let hash = hash.as_str().to_owned();
        self.db
            .run(move |conn| {
                api_keys::table
                    .filter(api_keys::key_hash.eq(hash))
                    .select(ApiKeyRow::as_select())
                    .first(conn)
                    .optional()?
                    .map(ApiKey::try_from)
                    .transpose()
            })
            .await
            .map_err(repo_err)
    }

    async fn list(&self) -> Result<Vec<ApiKey>, RepoError> {
        self.db
            .run(|conn| {
                let rows = api_keys::table
                    .order((api_keys::created_at.desc(), api_keys::id.desc()))
                    .select(ApiKeyRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(ApiKey::try_from).collect()
            })
            .await
            .map_err(repo_err)
    }

    async fn revoke(&self, id: &ApiKeyId, at: DateTime<Utc>) -> Result<Revoked, RepoError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let Some(key) = load(conn, &id)? else { return Ok(Revoked::NotFound) };
                    if key.revoked_at.is_some() {
                        return Ok(Revoked::Already(key));
                    }
                    diesel::update(api_keys::table.find(&id))
                        .set(api_keys::revoked_at.eq(at.naive_utc()))
                        .execute(conn)?;
                    Ok(load(conn, &id)?.map_or(Revoked::NotFound, Revoked::Now))
                })
            })
            .await
            .map_err(repo_err)
    }

    async fn touch(&self, id: &ApiKeyId, at: DateTime<Utc>) -> Result<(), RepoError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                diesel::update(api_keys::table.find(id))
                    .set(api_keys::last_used_at.eq(at.naive_utc()))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(repo_err)
    }

    async fn count_active(&self) -> Result<u64, RepoError> {
        self.db
            .run(|conn| {
                let n: i64 = api_keys::table.filter(api_keys::revoked_at.is_null()).count().get_result(conn)?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
            .map_err(repo_err)
    }
}
