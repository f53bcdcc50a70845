//! `TeamRepository` over SQLite or PostgreSQL; members and the topology's settings are JSON.

use crate::executions::corrupt;
use crate::schema::teams;
use crate::{Database, StoreError};
use agented_kernel::{AgentId, TeamId, WorkflowId};
use agented_workflows::{Team, TeamFields, TeamRepository, Topology, WorkflowStoreError};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Teams in the database.
#[derive(Debug, Clone)]
pub struct SqlTeams {
    db: Database,
}

impl SqlTeams {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = teams)]
#[diesel(treat_none_as_null = true)]
struct TeamRow {
    id: String,
    name: String,
    description: String,
    topology: String,
    topology_config: String,
    leader_id: Option<String>,
    enabled: bool,
    members: String,
    workflow_id: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    tooling: String,
}

impl From<&Team> for TeamRow {
    fn from(t: &Team) -> Self {
        let f = &t.fields;
        Self {
            id: t.id.as_str().to_owned(),
            name: f.name.clone(),
            description: f.description.clone(),
            topology: f.topology.name().to_owned(),
            topology_config: serde_json::Value::Object(f.topology_config.clone()).to_string(),
            leader_id: f.leader_id.as_ref().map(|a| a.as_str().to_owned()),
            enabled: f.enabled,
            members: serde_json::to_string(&t.members).unwrap_or_else(|_| "[]".to_owned()),
            workflow_id: t.workflow_id.as_ref().map(|w| w.as_str().to_owned()),
            created_at: t.created_at.naive_utc(),
            updated_at: t.updated_at.naive_utc(),
            tooling: serde_json::to_string(&f.tooling).unwrap_or_else(|_| "{}".to_owned()),
        }
    }
}

impl TryFrom<TeamRow> for Team {
    type Error = StoreError;
    fn try_from(r: TeamRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: TeamId::parse(&r.id).map_err(corrupt)?,
            fields: TeamFields {
                name: r.name,
                description: r.description,
                topology: Topology::parse(&r.topology).map_err(corrupt)?,
                topology_config: serde_json::from_str(&r.topology_config).map_err(corrupt)?,
                leader_id: r.leader_id.as_deref().map(AgentId::parse).transpose().map_err(corrupt)?,
                enabled: r.enabled,
                tooling: serde_json::from_str(&r.tooling).map_err(corrupt)?,
            },
            members: serde_json::from_str(&r.members).map_err(corrupt)?,
            workflow_id: r.workflow_id.as_deref().map(WorkflowId::parse).transpose().map_err(corrupt)?,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

#[async_trait]
impl TeamRepository for SqlTeams {
    async fn list(&self) -> Result<Vec<Team>, WorkflowStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<TeamRow> = teams::table
                    .order((teams::created_at.asc(), teams::id.asc()))
                    .select(TeamRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(Team::try_from).collect()
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn get(&self, id: &TeamId) -> Result<Option<Team>, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let row = teams::table.find(&id).select(TeamRow::as_select()).first(conn).optional()?;
                row.map(Team::try_from).transpose()
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn insert(&self, team: &Team) -> Result<(), WorkflowStoreError> {
        let row = TeamRow::from(team);
        self.db
            .run(move |conn| {
                diesel::insert_into(teams::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn update(&self, team: &Team) -> Result<bool, WorkflowStoreError> {
        let row = TeamRow::from(team);
        self.db
            .run(move |conn| Ok(diesel::update(teams::table.find(&row.id)).set(&row).execute(conn)? > 0))
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn delete(&self, id: &TeamId) -> Result<bool, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| Ok(diesel::delete(teams::table.find(&id)).execute(conn)? > 0))
            .await
            .map_err(WorkflowStoreError::from)
    }
}

/// Inserts `team` under its own id unless that id is taken (an import); whether it was.
///
/// # Errors
/// A failed write.
pub(crate) fn insert_kept(conn: &mut crate::database::AnyConnection, team: &Team) -> Result<usize, StoreError> {
    let row = TeamRow::from(team);
    Ok(crate::per_backend!(&mut *conn, |c| diesel::insert_into(teams::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?)
}
