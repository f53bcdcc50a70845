//! `WorkflowRepository` over SQLite or PostgreSQL: workflows and their versions,
//! each version's graph kept as the JSON it was written in.

use crate::database::AnyConnection;
use crate::executions::corrupt;
use crate::schema::{workflow_versions, workflows};
use crate::{Database, StoreError};
use agented_kernel::{Cause, WorkflowId};
use agented_workflows::{
    GraphDocument, Workflow, WorkflowFields, WorkflowRepository, WorkflowStoreError, WorkflowVersion,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;

/// Workflows and versions in the database.
#[derive(Debug, Clone)]
pub struct SqlWorkflows {
    db: Database,
}

impl SqlWorkflows {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = workflows)]
struct WorkflowRow {
    id: String,
    name: String,
    description: String,
    enabled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = workflow_versions)]
struct VersionRow {
    workflow_id: String,
    version: i64,
    graph_json: String,
    is_draft: bool,
    created_at: NaiveDateTime,
}

impl TryFrom<VersionRow> for WorkflowVersion {
    type Error = StoreError;
    fn try_from(r: VersionRow) -> Result<Self, StoreError> {
        Ok(Self {
            workflow_id: WorkflowId::parse(&r.workflow_id).map_err(corrupt)?,
            version: r.version,
            graph: serde_json::from_str(&r.graph_json).map_err(corrupt)?,
            is_draft: r.is_draft,
            created_at: r.created_at.and_utc(),
        })
    }
}

/// The workflow of `row` with its newest and newest published version numbers.
fn complete(conn: &mut AnyConnection, row: WorkflowRow) -> Result<Workflow, StoreError> {
    let of = workflow_versions::table.filter(workflow_versions::workflow_id.eq(&row.id));
    let latest: Option<i64> = of.select(max(workflow_versions::version)).first(conn)?;
    let published: Option<i64> =
        of.filter(workflow_versions::is_draft.eq(false)).select(max(workflow_versions::version)).first(conn)?;
    Ok(Workflow {
        id: WorkflowId::parse(&row.id).map_err(corrupt)?,
        fields: WorkflowFields { name: row.name, description: row.description, enabled: row.enabled },
        latest_version: latest,
        published_version: published,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Workflow>, StoreError> {
    let row = workflows::table.find(id).select(WorkflowRow::as_select()).first(conn).optional()?;
    row.map(|r| complete(conn, r)).transpose()
}

fn load_version(conn: &mut AnyConnection, id: &str, version: i64) -> Result<Option<WorkflowVersion>, StoreError> {
    workflow_versions::table
        .find((id, version))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?
        .map(WorkflowVersion::try_from)
        .transpose()
}

#[async_trait]
impl WorkflowRepository for SqlWorkflows {
    async fn list(&self) -> Result<Vec<Workflow>, WorkflowStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<WorkflowRow> = workflows::table
                    .order((workflows::created_at.asc(), workflows::id.asc()))
                    .select(WorkflowRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(|r| complete(conn, r)).collect()
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn get(&self, id: &WorkflowId) -> Result<Option<Workflow>, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load(conn, &id)).await.map_err(WorkflowStoreError::from)
    }

    async fn insert(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Workflow, WorkflowStoreError> {
        let (id, f, at) = (id.as_str().to_owned(), fields.clone(), at.naive_utc());
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    diesel::insert_into(workflows::table)
                        .values((
                            workflows::id.eq(&id),
                            workflows::name.eq(&f.name),
                            workflows::description.eq(&f.description),
                            workflows::enabled.eq(f.enabled),
                            workflows::created_at.eq(at),
                            workflows::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    load(conn, &id)?.ok_or_else(|| corrupt("the workflow just stored is gone"))
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn update(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Option<Workflow>, WorkflowStoreError> {
        let (id, f, at) = (id.as_str().to_owned(), fields.clone(), at.naive_utc());
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    diesel::update(workflows::table.find(&id))
                        .set((
                            workflows::name.eq(&f.name),
                            workflows::description.eq(&f.description),
                            workflows::enabled.eq(f.enabled),
                            workflows::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    load(conn, &id)
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn delete(&self, id: &WorkflowId) -> Result<bool, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    use crate::schema::{workflow_executions as runs, workflow_node_executions as nodes};
                    let own = runs::table.filter(runs::workflow_id.eq(&id)).select(runs::id);
                    diesel::delete(nodes::table.filter(nodes::execution_id.eq_any(own))).execute(conn)?;
                    diesel::delete(runs::table.filter(runs::workflow_id.eq(&id))).execute(conn)?;
                    diesel::delete(workflow_versions::table.filter(workflow_versions::workflow_id.eq(&id)))
                        .execute(conn)?;
                    Ok(diesel::delete(workflows::table.find(&id)).execute(conn)? > 0)
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn versions(&self, id: &WorkflowId) -> Result<Vec<WorkflowVersion>, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let rows: Vec<VersionRow> = workflow_versions::table
                    .filter(workflow_versions::workflow_id.eq(&id))
                    .order(workflow_versions::version.desc())
                    .select(VersionRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(WorkflowVersion::try_from).collect()
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn version(&self, id: &WorkflowId, version: i64) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load_version(conn, &id, version)).await.map_err(WorkflowStoreError::from)
    }

    async fn add_version(
        &self,
        id: &WorkflowId,
        graph: &GraphDocument,
        is_draft: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        let graph = serde_json::to_string(graph).map_err(|e| WorkflowStoreError(Cause::of(e)))?;
        let at = at.naive_utc();
        self.db
            .run(move |conn| {
                // The write lock is held from the read of the newest number to the insert.
                crate::database::write(conn, |conn| {
                    let exists =
                        diesel::update(workflows::table.find(&id)).set(workflows::updated_at.eq(at)).execute(conn)?;
                    if exists == 0 {
                        return Ok(None);
                    }
                    let newest: Option<i64> = workflow_versions::table
                        .filter(workflow_versions::workflow_id.eq(&id))
                        .select(max(workflow_versions::version))
                        .first(conn)?;
                    let version = newest.unwrap_or(0) + 1;
                    diesel::insert_into(workflow_versions::table)
                        .values((
                            workflow_versions::workflow_id.eq(&id),
                            workflow_versions::version.eq(version),
                            workflow_versions::graph_json.eq(&graph),
                            workflow_versions::is_draft.eq(is_draft),
                            workflow_versions::created_at.eq(at),
                        ))
                        .execute(conn)?;
                    load_version(conn, &id, version)
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn publish(
        &self,
        id: &WorkflowId,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        let (id, at) = (id.as_str().to_owned(), at.naive_utc());
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let changed = diesel::update(workflow_versions::table.find((&id, version)))
                        .set(workflow_versions::is_draft.eq(false))
                        .execute(conn)?;
                    if changed > 0 {
                        diesel::update(workflows::table.find(&id)).set(workflows::updated_at.eq(at)).execute(conn)?;
                    }
                    load_version(conn, &id, version)
                })
            })
            .await
            .map_err(WorkflowStoreError::from)
    }
}

/// Inserts `workflow` with `versions` (`(version, graph, is_draft, created_at)`) unless its id
/// is taken (an import); whether it was.
///
/// # Errors
/// A failed write.
pub(crate) fn insert_kept(
    conn: &mut AnyConnection,
    workflow: &Workflow,
    versions: &[(i64, GraphDocument, bool, DateTime<Utc>)],
) -> Result<usize, StoreError> {
    let f = &workflow.fields;
    let row = (
        workflows::id.eq(workflow.id.as_str()),
        workflows::name.eq(&f.name),
        workflows::description.eq(&f.description),
        workflows::enabled.eq(f.enabled),
        workflows::created_at.eq(workflow.created_at.naive_utc()),
        workflows::updated_at.eq(workflow.updated_at.naive_utc()),
    );
    let inserted = crate::per_backend!(&mut *conn, |c| diesel::insert_into(workflows::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted > 0 {
        for (version, graph, is_draft, at) in versions {
            let graph = serde_json::to_string(graph).map_err(corrupt)?;
            diesel::insert_into(workflow_versions::table)
                .values((
                    workflow_versions::workflow_id.eq(workflow.id.as_str()),
                    workflow_versions::version.eq(version),
                    workflow_versions::graph_json.eq(graph),
                    workflow_versions::is_draft.eq(is_draft),
                    workflow_versions::created_at.eq(at.naive_utc()),
                ))
                .execute(conn)?;
        }
    }
    Ok(inserted)
}
