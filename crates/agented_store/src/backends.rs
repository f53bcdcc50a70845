//! Backends over SQLite: the built-in CLIs (seeded) and custom commands.

use crate::schema::backends;
use crate::{Database, StoreError};
use agented_executions::{
    BackendCatalog, BackendDirectory, BackendEntry, BackendWriteError, CustomBackend, ExecStoreError,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = backends)]
struct BackendRow {
    id: String,
    name: String,
    backend_type: String,
    command: String,
    description: String,
    is_builtin: bool,
    created_at: NaiveDateTime,
    args: Option<String>,
    env: Option<String>,
    working_dir: Option<String>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Query(DieselError::DeserializationError(what.to_string().into()))
}

impl TryFrom<BackendRow> for BackendEntry {
    type Error = StoreError;
    fn try_from(r: BackendRow) -> Result<Self, StoreError> {
        let custom = if r.is_builtin {
            None
        } else {
            Some(CustomBackend {
                id: r.id.clone(),
                name: r.name.clone(),
                command: r.command.clone(),
                args: serde_json::from_str(r.args.as_deref().unwrap_or("[]")).map_err(corrupt)?,
                env: serde_json::from_str(r.env.as_deref().unwrap_or("{}")).map_err(corrupt)?,
                working_dir: r.working_dir,
            })
        };
        Ok(Self {
            id: r.id,
            name: r.name,
            backend_type: r.backend_type,
            command: r.command,
            description: r.description,
            is_builtin: r.is_builtin,
            custom,
            created_at: r.created_at.and_utc(),
        })
    }
}

/// The `backends` table.
#[derive(Debug, Clone)]
pub struct SqlBackends {
    db: Database,
}

impl SqlBackends {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

fn err(e: StoreError) -> ExecStoreError {
    ExecStoreError(agented_kernel::Cause::of(e))
}

#[async_trait]
impl BackendDirectory for SqlBackends {
    async fn list(&self) -> Result<Vec<BackendEntry>, ExecStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<BackendRow> = backends::table
                    .order((backends::is_builtin.desc(), backends::id.asc()))
                    .select(BackendRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(BackendEntry::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn get(&self, id: &str) -> Result<Option<BackendEntry>, ExecStoreError> {
        let id = id.to_owned();
        self.db
            .run(move |conn| {
                backends::table
                    .find(&id)
                    .select(BackendRow::as_select())
                    .first(conn)
                    .optional()?
                    .map(BackendEntry::try_from)
                    .transpose()
            })
            .await
            .map_err(err)
    }

    async fn insert_custom(
        &self,
        custom: &CustomBackend,
        at: DateTime<Utc>,
    ) -> Result<BackendEntry, BackendWriteError> {
        let custom = custom.clone();
        let name = custom.name.clone();
        let result = self
            .db
            .run(move |conn| {
                diesel::insert_into(backends::table)
                    .values((
                        backends::id.eq(&custom.id),
                        backends::name.eq(&custom.name),
                        backends::backend_type.eq("custom"),
                        backends::command.eq(&custom.command),
                        backends::description.eq(format!("Custom command: {}", custom.command)),
                        backends::is_builtin.eq(false),
                        backends::created_at.eq(at.naive_utc()),
                        backends::args.eq(serde_json::to_string(&custom.args).map_err(corrupt)?),
                        backends::env.eq(serde_json::to_string(&custom.env).map_err(corrupt)?),
                        backends::working_dir.eq(custom.working_dir.as_deref()),
                    ))
                    .execute(conn)?;
                backends::table
                    .find(&custom.id)
                    .select(BackendRow::as_select())
                    .first(conn)
                    .map_err(StoreError::from)
                    .and_then(BackendEntry::try_from)
            })
            .await;
        result.map_err(|e| match e {
            StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                BackendWriteError::DuplicateName(name)
            }
            other => BackendWriteError::Store(err(other)),
        })
    }

    async fn delete_custom(&self, id: &str) -> Result<(), BackendWriteError> {
        match self.get(id).await? {
            None => Err(BackendWriteError::NotFound),
            Some(b) if b.is_builtin => Err(BackendWriteError::Builtin),
            Some(_) => {
                let id = id.to_owned();
                self.db
                    .run(move |conn| Ok(diesel::delete(backends::table.find(&id)).execute(conn)?))
                    .await
                    .map_err(err)?;
                Ok(())
            }
        }
    }
}

#[async_trait]
impl BackendCatalog for SqlBackends {
    async fn custom(&self, id: &str) -> Result<Option<CustomBackend>, ExecStoreError> {
        Ok(BackendDirectory::get(self, id).await?.and_then(|b| b.custom))
    }
}
