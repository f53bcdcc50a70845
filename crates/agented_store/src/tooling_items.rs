//! `ToolingItemRepository` over SQLite or PostgreSQL: the `tooling_items` table
//! (a skill's files as JSON text). An update writes only over the version it
//! follows, so two edits of one read cannot both land.

use crate::executions::corrupt;
use crate::mcp_servers::{err, write_err};
use crate::schema::tooling_items;
use crate::{Database, StoreError};
use agented_executions::tooling::HookEvent;
use agented_kernel::{ItemId, ItemKind};
use agented_tooling::{ToolingItem, ToolingItemRepository, ToolingStoreError, WriteError};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tooling_items, treat_none_as_null = true)]
struct Row {
    id: String,
    kind: String,
    name: String,
    description: Option<String>,
    content: String,
    files_json: String,
    event: Option<String>,
    matcher: Option<String>,
    arguments: Option<String>,
    rule_type: Option<String>,
    enabled: bool,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<&ToolingItem> for Row {
    fn from(i: &ToolingItem) -> Self {
        Self {
            id: i.id.to_string(),
            kind: i.kind().as_str().to_owned(),
            name: i.name.clone(),
            description: i.description.clone(),
            content: i.content.clone(),
            files_json: serde_json::to_string(&i.files).unwrap_or_default(),
            event: i.event.map(|e| e.as_str().to_owned()),
            matcher: i.matcher.clone(),
            arguments: i.arguments.clone(),
            rule_type: i.rule_type.clone(),
            enabled: i.enabled,
            version: i.version.into(),
            created_at: i.created_at.naive_utc(),
            updated_at: i.updated_at.naive_utc(),
        }
    }
}

impl TryFrom<Row> for ToolingItem {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let id = ItemId::parse(&r.id).map_err(corrupt)?;
        if id.kind().as_str() != r.kind {
            return Err(corrupt(format!("{id} is stored as a {}", r.kind)));
        }
        Ok(Self {
            id,
            name: r.name,
            description: r.description,
            content: r.content,
            files: serde_json::from_str(&r.files_json).map_err(corrupt)?,
            event: r.event.as_deref().map(HookEvent::parse).transpose().map_err(corrupt)?,
            matcher: r.matcher,
            arguments: r.arguments,
            rule_type: r.rule_type,
            enabled: r.enabled,
            version: u32::try_from(r.version).map_err(corrupt)?,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

/// Skills, commands, hooks and rules in the database.
#[derive(Debug, Clone)]
pub struct SqlToolingItems {
    db: Database,
}

impl SqlToolingItems {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ToolingItemRepository for SqlToolingItems {
    async fn list(&self, kind: ItemKind) -> Result<Vec<ToolingItem>, ToolingStoreError> {
        self.db
            .run(move |conn| {
                let rows = tooling_items::table
                    .filter(tooling_items::kind.eq(kind.as_str()))
                    .order(tooling_items::name)
                    .select(Row::as_select())
                    .load(conn)?;
                rows.into_iter().map(ToolingItem::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn get(&self, id: &ItemId) -> Result<Option<ToolingItem>, ToolingStoreError> {
        let id = id.to_string();
        self.db
            .run(|conn| {
                let row = tooling_items::table.find(id).select(Row::as_select()).first(conn).optional()?;
                row.map(ToolingItem::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn insert(&self, item: &ToolingItem) -> Result<(), WriteError> {
        let row = Row::from(item);
        let name = item.name.clone();
        self.db
            .run(move |conn| {
                diesel::insert_into(tooling_items::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn update(&self, item: &ToolingItem) -> Result<bool, WriteError> {
        let row = Row::from(item);
        let name = item.name.clone();
        self.db
            .run(move |conn| {
                let this = tooling_items::table
                    .filter(tooling_items::id.eq(row.id.clone()))
                    .filter(tooling_items::version.eq(row.version - 1));
                Ok(diesel::update(this).set(&row).execute(conn)? == 1)
            })
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn delete(&self, id: &ItemId) -> Result<bool, ToolingStoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| Ok(diesel::delete(tooling_items::table.find(id)).execute(conn)? == 1))
            .await
            .map_err(err)
    }
}
