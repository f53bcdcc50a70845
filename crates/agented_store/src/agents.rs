//! `AgentRepository` over SQLite or PostgreSQL; lists are JSON arrays of strings.

use crate::executions::corrupt;
use crate::schema::agents;
use crate::{Database, StoreError};
use agented_kernel::AgentId;
use agented_workflows::{Agent, AgentFields, AgentRepository, WorkflowStoreError};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Agents in the database.
#[derive(Debug, Clone)]
pub struct SqlAgents {
    db: Database,
}

impl SqlAgents {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = agents)]
struct AgentRow {
    id: String,
    name: String,
    description: String,
    role: String,
    goals: String,
    context: String,
    backend_type: String,
    system_prompt: String,
    model: Option<String>,
    allowed_tools: String,
    skills: String,
    documents: String,
    enabled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    tooling: String,
}

fn list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

fn items(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

impl From<&Agent> for AgentRow {
    fn from(a: &Agent) -> Self {
        let f = &a.fields;
        Self {
            id: a.id.as_str().to_owned(),
            name: f.name.clone(),
            description: f.description.clone(),
            role: f.role.clone(),
            goals: list(&f.goals),
            context: f.context.clone(),
            backend_type: f.backend_type.as_str().to_owned(),
            system_prompt: f.system_prompt.clone(),
            model: f.model.clone(),
            allowed_tools: list(&f.allowed_tools),
            skills: list(&f.skills),
            documents: list(&f.documents),
            enabled: f.enabled,
            created_at: a.created_at.naive_utc(),
            updated_at: a.updated_at.naive_utc(),
            tooling: serde_json::to_string(&f.tooling).unwrap_or_else(|_| "{}".to_owned()),
        }
    }
}

impl TryFrom<AgentRow> for Agent {
    type Error = StoreError;
    fn try_from(r: AgentRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: AgentId::parse(&r.id).map_err(corrupt)?,
            fields: AgentFields {
                name: r.name,
                description: r.description,
                role: r.role,
                goals: items(&r.goals)?,
                context: r.context,
                backend_type: r.backend_type.parse().map_err(corrupt)?,
                system_prompt: r.system_prompt,
                model: r.model,
                allowed_tools: items(&r.allowed_tools)?,
                skills: items(&r.skills)?,
                documents: items(&r.documents)?,
                enabled: r.enabled,
                tooling: serde_json::from_str(&r.tooling).map_err(corrupt)?,
            },
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

#[async_trait]
impl AgentRepository for SqlAgents {
    async fn list(&self) -> Result<Vec<Agent>, WorkflowStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<AgentRow> = agents::table
                    .order((agents::created_at.asc(), agents::id.asc()))
                    .select(AgentRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(Agent::try_from).collect()
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn get(&self, id: &AgentId) -> Result<Option<Agent>, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let row = agents::table.find(&id).select(AgentRow::as_select()).first(conn).optional()?;
                row.map(Agent::try_from).transpose()
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn insert(&self, agent: &Agent) -> Result<(), WorkflowStoreError> {
        let row = AgentRow::from(agent);
        self.db
            .run(move |conn| {
                diesel::insert_into(agents::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn update(&self, agent: &Agent) -> Result<bool, WorkflowStoreError> {
        let r = AgentRow::from(agent);
        self.db
            .run(move |conn| {
                let changed = diesel::update(agents::table.find(&r.id))
                    .set((
                        agents::name.eq(&r.name),
                        agents::description.eq(&r.description),
                        agents::role.eq(&r.role),
                        agents::goals.eq(&r.goals),
                        agents::context.eq(&r.context),
                        agents::backend_type.eq(&r.backend_type),
                        agents::system_prompt.eq(&r.system_prompt),
                        agents::model.eq(&r.model),
                        agents::allowed_tools.eq(&r.allowed_tools),
                        agents::skills.eq(&r.skills),
                        agents::documents.eq(&r.documents),
                        agents::enabled.eq(r.enabled),
                        agents::tooling.eq(&r.tooling),
                        agents::updated_at.eq(r.updated_at),
                    ))
                    .execute(conn)?;
                Ok(changed > 0)
            })
            .await
            .map_err(WorkflowStoreError::from)
    }

    async fn delete(&self, id: &AgentId) -> Result<bool, WorkflowStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| Ok(diesel::delete(agents::table.find(&id)).execute(conn)? > 0))
            .await
            .map_err(WorkflowStoreError::from)
    }
}

/// Inserts `agent` under its own id unless that id is taken (an import); whether it was.
///
/// # Errors
/// A failed write.
pub(crate) fn insert_kept(conn: &mut crate::database::AnyConnection, agent: &Agent) -> Result<usize, StoreError> {
    let row = AgentRow::from(agent);
    Ok(crate::per_backend!(&mut *conn, |c| diesel::insert_into(agents::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?)
}
