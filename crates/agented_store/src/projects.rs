//! `ProjectRepository` over the `projects` table: each roadmap stored whole
//! as JSON, saved by compare-and-set on `version`.

use crate::database::AnyConnection;
use crate::schema::{projects, roadmap_versions};
use crate::{Database, StoreError};
use agented_kernel::ProjectId;
use agented_roadmaps::{
    HISTORY_KEPT, Project, ProjectRepository, ProjectStoreError, ProjectWriteError, Roadmap, RoadmapVersion,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = projects)]
struct ProjectRow {
    id: String,
    roadmap: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    tooling: String,
}

fn corrupt(what: String) -> StoreError {
    StoreError::Query(DieselError::DeserializationError(what.into()))
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;
    fn try_from(r: ProjectRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ProjectId::try_from(r.id).map_err(|e| corrupt(e.to_string()))?,
            roadmap: serde_json::from_str(&r.roadmap).map_err(|e| corrupt(format!("roadmap: {e}")))?,
            version: r.version,
            tooling: serde_json::from_str(&r.tooling).map_err(|e| corrupt(format!("tooling: {e}")))?,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

fn store_err(e: StoreError) -> ProjectStoreError {
    ProjectStoreError(agented_kernel::Cause::of(e))
}

fn write_err(e: StoreError, name: &str) -> ProjectWriteError {
    match e {
        StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            ProjectWriteError::DuplicateName(name.to_owned())
        }
        StoreError::Query(DieselError::NotFound) => ProjectWriteError::NotFound,
        other => ProjectWriteError::Store(store_err(other)),
    }
}

fn json(roadmap: &Roadmap) -> Result<String, StoreError> {
    serde_json::to_string(roadmap).map_err(|e| corrupt(format!("roadmap: {e}")))
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Project>, StoreError> {
    projects::table.find(id).select(ProjectRow::as_select()).first(conn).optional()?.map(Project::try_from).transpose()
}

/// Keeps the stored roadmap of `id` (still at `read_version`) as a version, and drops
/// versions past [`HISTORY_KEPT`]. A moved-on project keeps nothing: its save fails next.
fn keep_current(
    conn: &mut AnyConnection,
    id: &str,
    read_version: i64,
    label: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let current: Option<String> = projects::table
        .find(id)
        .filter(projects::version.eq(read_version))
        .select(projects::roadmap)
        .first(conn)
        .optional()?;
    let Some(current) = current else { return Ok(()) };
    diesel::insert_into(roadmap_versions::table)
        .values((
            roadmap_versions::project_id.eq(id),
            roadmap_versions::label.eq(label),
            roadmap_versions::roadmap.eq(current),
            roadmap_versions::created_at.eq(at.naive_utc()),
        ))
        .execute(conn)?;
    let kept: Vec<i64> = roadmap_versions::table
        .filter(roadmap_versions::project_id.eq(id))
        .order(roadmap_versions::id.desc())
        .limit(i64::try_from(HISTORY_KEPT).unwrap_or(i64::MAX))
        .select(roadmap_versions::id)
        .load(conn)?;
    diesel::delete(
        roadmap_versions::table.filter(roadmap_versions::project_id.eq(id)).filter(roadmap_versions::id.ne_all(kept)),
    )
    .execute(conn)?;
    Ok(())
}

/// Projects in SQLite.
#[derive(Debug, Clone)]
pub struct SqlProjects {
    db: Database,
}

impl SqlProjects {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ProjectRepository for SqlProjects {
    async fn list(&self) -> Result<Vec<Project>, ProjectStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<ProjectRow> =
                    projects::table.order(projects::name.asc()).select(ProjectRow::as_select()).load(conn)?;
                rows.into_iter().map(Project::try_from).collect()
            })
            .await
            .map_err(store_err)
    }

    async fn get(&self, id: &ProjectId) -> Result<Option<Project>, ProjectStoreError> {
        let id = id.as_str().to_owned();
        self.db.run(move |conn| load(conn, &id)).await.map_err(store_err)
    }

    async fn insert(&self, id: &ProjectId, roadmap: &Roadmap, at: DateTime<Utc>) -> Result<Project, ProjectWriteError> {
        let (id, name) = (id.as_str().to_owned(), roadmap.project.clone());
        let body = json(roadmap).map_err(|e| write_err(e, &name))?;
        let row_name = name.clone();
        self.db
            .run(move |conn| {
                let at = at.naive_utc();
                diesel::insert_into(projects::table)
                    .values((
                        projects::id.eq(&id),
                        projects::name.eq(&row_name),
                        projects::roadmap.eq(&body),
                        projects::version.eq(1_i64),
                        projects::created_at.eq(at),
                        projects::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
            })
            .await
            .map_err(|e| write_err(e, &name))
    }

    async fn save(
        &self,
        id: &ProjectId,
        read_version: i64,
        roadmap: &Roadmap,
        at: DateTime<Utc>,
        keep: Option<&str>,
    ) -> Result<Project, ProjectWriteError> {
        let (id, name) = (id.as_str().to_owned(), roadmap.project.clone());
        let body = json(roadmap).map_err(|e| write_err(e, &name))?;
        let row_name = name.clone();
        let keep = keep.map(str::to_owned);
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    if let Some(label) = &keep {
                        keep_current(conn, &id, read_version, label, at)?;
                    }
                    let changed = diesel::update(projects::table.find(&id).filter(projects::version.eq(read_version)))
                        .set((
                            projects::name.eq(&row_name),
                            projects::roadmap.eq(&body),
                            projects::version.eq(read_version + 1),
                            projects::updated_at.eq(at.naive_utc()),
                        ))
                        .execute(conn)?;
                    if changed == 0 {
                        // Gone, or moved on: tell which.
                        return Ok(load(conn, &id)?
                            .map_or(Err(ProjectWriteError::NotFound), |_| Err(ProjectWriteError::Conflict)));
                    }
                    Ok(load(conn, &id)?.ok_or(ProjectWriteError::NotFound))
                })
            })
            .await
            .map_err(|e| write_err(e, &name))?
    }

    async fn set_tooling(
        &self,
        id: &ProjectId,
        tooling: &agented_kernel::ToolingRefs,
    ) -> Result<Project, ProjectWriteError> {
        let id = id.as_str().to_owned();
        let text = serde_json::to_string(tooling).unwrap_or_else(|_| "{}".into());
        self.db
            .run(move |conn| {
                diesel::update(projects::table.find(&id)).set(projects::tooling.eq(&text)).execute(conn)?;
                load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
            })
            .await
            .map_err(|e| write_err(e, ""))
    }

    async fn history(&self, id: &ProjectId) -> Result<Vec<RoadmapVersion>, ProjectStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let rows: Vec<(i64, String, String, NaiveDateTime)> = roadmap_versions::table
                    .filter(roadmap_versions::project_id.eq(&id))
                    .order(roadmap_versions::id.desc())
                    .select((
                        roadmap_versions::id,
                        roadmap_versions::label,
                        roadmap_versions::roadmap,
                        roadmap_versions::created_at,
                    ))
                    .load(conn)?;
                rows.into_iter()
                    .map(|(id, label, roadmap, at)| {
                        let roadmap = serde_json::from_str(&roadmap).map_err(|e| corrupt(format!("roadmap: {e}")))?;
                        Ok(RoadmapVersion { id, label, created_at: at.and_utc(), roadmap })
                    })
                    .collect()
            })
            .await
            .map_err(store_err)
    }

    async fn delete(&self, id: &ProjectId) -> Result<(), ProjectWriteError> {
        let id = id.as_str().to_owned();
        let deleted = self
            .db
            .run(move |conn| Ok(diesel::delete(projects::table.find(&id)).execute(conn)?))
            .await
            .map_err(|e| ProjectWriteError::Store(store_err(e)))?;
        if deleted == 0 { Err(ProjectWriteError::NotFound) } else { Ok(()) }
    }
}
