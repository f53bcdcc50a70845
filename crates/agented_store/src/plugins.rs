//! `PluginRepository` over SQLite or PostgreSQL: the `plugins` table (components,
//! kept files and the marketplace as JSON text).

use crate::executions::corrupt;
use crate::mcp_servers::{err, write_err};
use crate::schema::plugins;
use crate::{Database, StoreError};
use agented_kernel::PluginId;
use agented_tooling::{Plugin, PluginRepository, ToolingStoreError, WriteError};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = plugins)]
struct Row {
    id: String,
    name: String,
    description: Option<String>,
    version: Option<String>,
    author: Option<String>,
    manifest: String,
    components_json: String,
    files_json: String,
    marketplace_json: Option<String>,
    source: String,
    created_at: NaiveDateTime,
}

impl From<&Plugin> for Row {
    fn from(p: &Plugin) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            version: p.version.clone(),
            author: p.author.clone(),
            manifest: p.manifest.clone(),
            components_json: serde_json::to_string(&p.components).unwrap_or_default(),
            files_json: serde_json::to_string(&p.files).unwrap_or_default(),
            marketplace_json: p.marketplace.as_ref().and_then(|m| serde_json::to_string(m).ok()),
            source: p.source.clone(),
            created_at: p.created_at.naive_utc(),
        }
    }
}

impl TryFrom<Row> for Plugin {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: PluginId::parse(&r.id).map_err(corrupt)?,
            name: r.name,
            description: r.description,
            version: r.version,
            author: r.author,
            manifest: r.manifest,
            components: serde_json::from_str(&r.components_json).map_err(corrupt)?,
            files: serde_json::from_str(&r.files_json).map_err(corrupt)?,
            marketplace: r.marketplace_json.as_deref().map(serde_json::from_str).transpose().map_err(corrupt)?,
            source: r.source,
            created_at: r.created_at.and_utc(),
        })
    }
}

/// Plugins in the database.
#[derive(Debug, Clone)]
pub struct SqlPlugins {
    db: Database,
}

impl SqlPlugins {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PluginRepository for SqlPlugins {
    async fn list(&self) -> Result<Vec<Plugin>, ToolingStoreError> {
        self.db
            .run(|conn| {
                let rows = plugins::table.order(plugins::name).select(Row::as_select()).load(conn)?;
                rows.into_iter().map(Plugin::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn get(&self, id: &PluginId) -> Result<Option<Plugin>, ToolingStoreError> {
        let id = id.to_string();
        self.db
            .run(|conn| {
                let row = plugins::table.find(id).select(Row::as_select()).first(conn).optional()?;
                row.map(Plugin::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn insert(&self, plugin: &Plugin) -> Result<(), WriteError> {
        let row = Row::from(plugin);
        let name = plugin.name.clone();
        self.db
            .run(move |conn| {
                diesel::insert_into(plugins::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn delete(&self, id: &PluginId) -> Result<bool, ToolingStoreError> {
        let id = id.to_string();
        self.db.run(move |conn| Ok(diesel::delete(plugins::table.find(id)).execute(conn)? == 1)).await.map_err(err)
    }
}
