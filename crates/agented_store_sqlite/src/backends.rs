//! Backends over SQLite: the built-in CLIs (seeded) and custom commands.

use crate::schema::backends;
use crate::{Database, StoreError};
use agented_executions::{BackendCatalog, CustomBackend, ExecStoreError};
use agented_kernel::BackendType;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A stored backend row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendRecord {
    /// `backend-…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `claude`, `opencode`, `gemini`, `codex` or `custom`.
    pub backend_type: String,
    /// The program.
    pub command: String,
    /// One line for the dashboard.
    pub description: String,
    /// Shipped with Agented.
    pub is_builtin: bool,
    /// The custom definition, for custom backends.
    pub custom: Option<CustomBackend>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

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

impl TryFrom<BackendRow> for BackendRecord {
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

/// Why a custom backend was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackendWriteError {
    /// The name is taken.
    #[error("a backend named '{0}' already exists")]
    DuplicateName(String),
    /// No such custom backend.
    #[error("backend not found")]
    NotFound,
    /// Built-in backends cannot be deleted.
    #[error("built-in backends cannot be deleted")]
    Builtin,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The `backends` table.
#[derive(Debug, Clone)]
pub struct SqliteBackends {
    db: Database,
}

impl SqliteBackends {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }

    /// Every backend, built-in first.
    ///
    /// # Errors
    /// [`StoreError`] when storage fails.
    pub async fn list(&self) -> Result<Vec<BackendRecord>, StoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<BackendRow> = backends::table
                    .order((backends::is_builtin.desc(), backends::id.asc()))
                    .select(BackendRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(BackendRecord::try_from).collect()
            })
            .await
    }

    /// One backend.
    ///
    /// # Errors
    /// [`StoreError`] when storage fails.
    pub async fn get(&self, id: &str) -> Result<Option<BackendRecord>, StoreError> {
        let id = id.to_owned();
        self.db
            .run(move |conn| {
                backends::table
                    .find(&id)
                    .select(BackendRow::as_select())
                    .first(conn)
                    .optional()?
                    .map(BackendRecord::try_from)
                    .transpose()
            })
            .await
    }

    /// Stores a validated custom backend.
    ///
    /// # Errors
    /// [`BackendWriteError::DuplicateName`] when the name is taken.
    pub async fn insert_custom(&self, custom: &CustomBackend, at: DateTime<Utc>) -> Result<BackendRecord, BackendWriteError> {
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
                    .and_then(BackendRecord::try_from)
            })
            .await;
        result.map_err(|e| match e {
            StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                BackendWriteError::DuplicateName(name)
            }
            other => BackendWriteError::Store(other),
        })
    }

    /// Deletes a custom backend.
    ///
    /// # Errors
    /// [`BackendWriteError::Builtin`] for a built-in one, `NotFound` for an unknown id.
    pub async fn delete_custom(&self, id: &str) -> Result<(), BackendWriteError> {
        match self.get(id).await? {
            None => Err(BackendWriteError::NotFound),
            Some(b) if b.is_builtin => Err(BackendWriteError::Builtin),
            Some(_) => {
                let id = id.to_owned();
                self.db.run(move |conn| Ok(diesel::delete(backends::table.find(&id)).execute(conn)?)).await?;
                Ok(())
            }
        }
    }

    /// The built-in backend of a type.
    #[must_use]
    pub fn builtin_id(backend_type: BackendType) -> String {
        format!("backend-{backend_type}")
    }
}

#[async_trait]
impl BackendCatalog for SqliteBackends {
    async fn custom(&self, id: &str) -> Result<Option<CustomBackend>, ExecStoreError> {
        Ok(self.get(id).await.map_err(|e| ExecStoreError(e.to_string()))?.and_then(|b| b.custom))
    }
}
