//! `PlanningStore` over the `planning_work` table: sessions and research
//! runs stored whole as JSON, saved by compare-and-set on `version`.

use crate::database::AnyConnection;
use crate::schema::planning_work;
use crate::{Database, StoreError};
use agented_kernel::{PlanningId, ProjectId};
use agented_roadmaps::planning::{PlanningStore, PlanningStoreError, PlanningWork, Versioned};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = planning_work)]
struct WorkRow {
    kind: String,
    state: String,
    version: i64,
}

const SESSION: &str = "session";
const RESEARCH: &str = "research";

fn corrupt(what: String) -> StoreError {
    StoreError::Query(DieselError::DeserializationError(what.into()))
}

impl TryFrom<WorkRow> for Versioned<PlanningWork> {
    type Error = StoreError;
    fn try_from(r: WorkRow) -> Result<Self, StoreError> {
        let value = match r.kind.as_str() {
            SESSION => {
                PlanningWork::Session(serde_json::from_str(&r.state).map_err(|e| corrupt(format!("session: {e}")))?)
            }
            RESEARCH => {
                PlanningWork::Research(serde_json::from_str(&r.state).map_err(|e| corrupt(format!("research: {e}")))?)
            }
            other => return Err(corrupt(format!("unknown planning work kind '{other}'"))),
        };
        Ok(Self { value, version: r.version })
    }
}

/// The row's kind, state JSON and times.
fn encode(work: &PlanningWork) -> Result<(&'static str, String, NaiveDateTime, NaiveDateTime), StoreError> {
    let (kind, state, created, updated) = match work {
        PlanningWork::Session(s) => (SESSION, serde_json::to_string(s), s.created_at, s.updated_at),
        PlanningWork::Research(r) => (RESEARCH, serde_json::to_string(r), r.created_at, r.updated_at),
    };
    Ok((kind, state.map_err(|e| corrupt(e.to_string()))?, created.naive_utc(), updated.naive_utc()))
}

fn store_err(e: StoreError) -> PlanningStoreError {
    match e {
        StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            PlanningStoreError::NoProject
        }
        other => PlanningStoreError::Store(agented_kernel::Cause::of(other)),
    }
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Versioned<PlanningWork>>, StoreError> {
    planning_work::table
        .find(id)
        .select(WorkRow::as_select())
        .first(conn)
        .optional()?
        .map(TryInto::try_into)
        .transpose()
}

fn load_all(rows: Vec<WorkRow>) -> Result<Vec<Versioned<PlanningWork>>, StoreError> {
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Planning sessions and research runs in SQLite.
#[derive(Debug, Clone)]
pub struct SqlPlanning {
    db: Database,
}

impl SqlPlanning {
    /// The store over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PlanningStore for SqlPlanning {
    async fn insert(&self, work: &PlanningWork) -> Result<Versioned<PlanningWork>, PlanningStoreError> {
        let (kind, state, created, updated) = encode(work).map_err(store_err)?;
        let (id, project, active) =
            (work.id().as_str().to_owned(), work.project_id().as_str().to_owned(), work.is_active());
        self.db
            .run(move |conn| {
                diesel::insert_into(planning_work::table)
                    .values((
                        planning_work::id.eq(&id),
                        planning_work::project_id.eq(&project),
                        planning_work::kind.eq(kind),
                        planning_work::state.eq(&state),
                        planning_work::active.eq(active),
                        planning_work::version.eq(1_i64),
                        planning_work::created_at.eq(created),
                        planning_work::updated_at.eq(updated),
                    ))
                    .execute(conn)?;
                load(conn, &id)?.ok_or(StoreError::Query(DieselError::NotFound))
            })
            .await
            .map_err(store_err)
    }

    async fn get(
        &self,
        project: &ProjectId,
        id: &PlanningId,
    ) -> Result<Option<Versioned<PlanningWork>>, PlanningStoreError> {
        let (project, id) = (project.clone(), id.as_str().to_owned());
        let found = self.db.run(move |conn| load(conn, &id)).await.map_err(store_err)?;
        Ok(found.filter(|w| w.value.project_id() == &project))
    }

    async fn save(
        &self,
        work: &PlanningWork,
        read_version: i64,
    ) -> Result<Versioned<PlanningWork>, PlanningStoreError> {
        let (_, state, _, updated) = encode(work).map_err(store_err)?;
        let (id, active) = (work.id().as_str().to_owned(), work.is_active());
        let saved = self
            .db
            .run(move |conn| {
                let changed =
                    diesel::update(planning_work::table.find(&id).filter(planning_work::version.eq(read_version)))
                        .set((
                            planning_work::state.eq(&state),
                            planning_work::active.eq(active),
                            planning_work::version.eq(read_version + 1),
                            planning_work::updated_at.eq(updated),
                        ))
                        .execute(conn)?;
                if changed == 0 { Ok(None) } else { load(conn, &id) }
            })
            .await
            .map_err(store_err)?;
        saved.ok_or(PlanningStoreError::Conflict)
    }

    async fn list(&self, project: &ProjectId) -> Result<Vec<Versioned<PlanningWork>>, PlanningStoreError> {
        let project = project.as_str().to_owned();
        self.db
            .run(move |conn| {
                load_all(
                    planning_work::table
                        .filter(planning_work::project_id.eq(&project))
                        .order((planning_work::created_at.desc(), planning_work::id.desc()))
                        .select(WorkRow::as_select())
                        .load(conn)?,
                )
            })
            .await
            .map_err(store_err)
    }

    async fn active(&self) -> Result<Vec<Versioned<PlanningWork>>, PlanningStoreError> {
        self.db
            .run(move |conn| {
                load_all(
                    planning_work::table
                        .filter(planning_work::active.eq(true))
                        .select(WorkRow::as_select())
                        .load(conn)?,
                )
            })
            .await
            .map_err(store_err)
    }
}
