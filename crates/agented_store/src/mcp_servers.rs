//! `McpServerRepository` over SQLite or PostgreSQL: the `mcp_servers` table, in the
//! original platform's columns (lists and maps as JSON text).

use crate::executions::corrupt;
use crate::schema::mcp_servers;
use crate::{Database, StoreError};
use agented_kernel::McpServerId;
use agented_tooling::{McpServer, McpServerRepository, McpTransport, ToolingStoreError, WriteError};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub(crate) fn err(e: StoreError) -> ToolingStoreError {
    ToolingStoreError(agented_kernel::Cause::of(e))
}

pub(crate) fn write_err(e: StoreError, name: &str) -> WriteError {
    match e {
        StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            WriteError::NameTaken(name.to_owned())
        }
        other => WriteError::Store(err(other)),
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = mcp_servers, treat_none_as_null = true)]
struct Row {
    id: String,
    name: String,
    display_name: Option<String>,
    description: Option<String>,
    server_type: String,
    command: Option<String>,
    args: String,
    env_json: String,
    url: Option<String>,
    headers_json: String,
    timeout_ms: i64,
    enabled: bool,
    category: String,
    is_preset: bool,
    documentation_url: Option<String>,
    npm_package: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<&McpServer> for Row {
    fn from(s: &McpServer) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name.clone(),
            display_name: s.display_name.clone(),
            description: s.description.clone(),
            server_type: s.server_type.as_str().to_owned(),
            command: s.command.clone(),
            args: serde_json::to_string(&s.args).unwrap_or_default(),
            env_json: serde_json::to_string(&s.env).unwrap_or_default(),
            url: s.url.clone(),
            headers_json: serde_json::to_string(&s.headers).unwrap_or_default(),
            timeout_ms: s.timeout_ms.into(),
            enabled: s.enabled,
            category: s.category.clone(),
            is_preset: s.is_preset,
            documentation_url: s.documentation_url.clone(),
            npm_package: s.npm_package.clone(),
            created_at: s.created_at.naive_utc(),
            updated_at: s.updated_at.naive_utc(),
        }
    }
}

impl TryFrom<Row> for McpServer {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: McpServerId::parse(&r.id).map_err(corrupt)?,
            name: r.name,
            display_name: r.display_name,
            description: r.description,
            server_type: McpTransport::parse(&r.server_type).map_err(corrupt)?,
            command: r.command,
            args: serde_json::from_str(&r.args).map_err(corrupt)?,
            env: serde_json::from_str(&r.env_json).map_err(corrupt)?,
            url: r.url,
            headers: serde_json::from_str(&r.headers_json).map_err(corrupt)?,
            timeout_ms: u32::try_from(r.timeout_ms).map_err(corrupt)?,
            enabled: r.enabled,
            category: r.category,
            is_preset: r.is_preset,
            documentation_url: r.documentation_url,
            npm_package: r.npm_package,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

/// MCP servers in the database.
#[derive(Debug, Clone)]
pub struct SqlMcpServers {
    db: Database,
}

impl SqlMcpServers {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl McpServerRepository for SqlMcpServers {
    async fn list(&self) -> Result<Vec<McpServer>, ToolingStoreError> {
        self.db
            .run(|conn| {
                let rows = mcp_servers::table.order(mcp_servers::name).select(Row::as_select()).load(conn)?;
                rows.into_iter().map(McpServer::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn get(&self, id: &McpServerId) -> Result<Option<McpServer>, ToolingStoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                let row = mcp_servers::table.find(id).select(Row::as_select()).first(conn).optional()?;
                row.map(McpServer::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn insert(&self, server: &McpServer) -> Result<(), WriteError> {
        let row = Row::from(server);
        let name = server.name.clone();
        self.db
            .run(move |conn| {
                diesel::insert_into(mcp_servers::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn update(&self, server: &McpServer) -> Result<bool, WriteError> {
        let row = Row::from(server);
        let name = server.name.clone();
        self.db
            .run(move |conn| Ok(diesel::update(mcp_servers::table.find(row.id.clone())).set(&row).execute(conn)? == 1))
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn delete(&self, id: &McpServerId) -> Result<bool, ToolingStoreError> {
        let id = id.to_string();
        self.db.run(move |conn| Ok(diesel::delete(mcp_servers::table.find(id)).execute(conn)? == 1)).await.map_err(err)
    }
}

/// Inserts `server` under its own id unless that id or its name is taken (an import); whether it was.
///
/// # Errors
/// A failed write.
pub(crate) fn insert_kept(conn: &mut crate::database::AnyConnection, server: &McpServer) -> Result<usize, StoreError> {
    let row = Row::from(server);
    Ok(crate::per_backend!(&mut *conn, |c| diesel::insert_into(mcp_servers::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?)
}
