//! Workflow definitions: create, change and delete workflows, and add, read and
//! publish versions of their graphs. A graph is checked ([`Graph::read`]) before any
//! version is stored, so a stored version always reads.

use crate::definition::{FieldErrors, Workflow, WorkflowPatch, WorkflowVersion};
use crate::document::GraphDocument;
use crate::graph::Graph;
use crate::ports::{WorkflowRepository, WorkflowStoreError};
use crate::yaml::{WorkflowFile, YamlProblem, read_workflow, write_workflow};
use agented_kernel::{Clock, WorkflowId};
use std::sync::Arc;

/// Why a workflow request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// No such workflow or version.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Invalid fields or graph, by where the problem is (`name`, `graph_json.edges[0].target`).
    #[error("invalid workflow")]
    Invalid(FieldErrors),
    /// A workflow file with problems, each with its line and field.
    #[error("invalid workflow file: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidFile(Vec<YamlProblem>),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] WorkflowStoreError),
}

/// Workflows and their versions.
#[derive(Clone)]
pub struct WorkflowService {
    workflows: Arc<dyn WorkflowRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for WorkflowService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowService").finish_non_exhaustive()
    }
}

/// `raw` as a workflow id; an id of the wrong shape names no workflow.
fn id_of(raw: &str) -> Result<WorkflowId, WorkflowError> {
    WorkflowId::parse(raw).map_err(|_| WorkflowError::NotFound("workflow"))
}

/// `graph` checked, its problems under `graph_json.`.
fn checked(graph: &GraphDocument) -> Result<(), WorkflowError> {
    Graph::read(graph).map(|_| ()).map_err(|errors| {
        WorkflowError::Invalid(errors.into_iter().map(|(at, why)| (format!("graph_json.{at}"), why)).collect())
    })
}

impl WorkflowService {
    /// The service over `workflows`.
    #[must_use]
    pub fn new(workflows: Arc<dyn WorkflowRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { workflows, clock }
    }

    /// Every workflow, oldest first.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<Workflow>, WorkflowError> {
        Ok(self.workflows.list().await?)
    }

    /// One workflow.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &str) -> Result<Workflow, WorkflowError> {
        self.workflows.get(&id_of(id)?).await?.ok_or(WorkflowError::NotFound("workflow"))
    }

    /// Creates a workflow, with `graph` as its first version (a draft unless `publish`)
    /// when one is given. Nothing is stored when the fields or the graph are invalid.
    ///
    /// # Errors
    /// `Invalid`, `Store`.
    pub async fn create(
        &self,
        patch: WorkflowPatch,
        graph: Option<&GraphDocument>,
        publish: bool,
    ) -> Result<Workflow, WorkflowError> {
        let fields = patch.create().map_err(WorkflowError::Invalid)?;
        if let Some(graph) = graph {
            checked(graph)?;
        }
        let id = WorkflowId::generate();
        let now = self.clock.now();
        let created = self.workflows.insert(&id, &fields, now).await?;
        match graph {
            Some(graph) => {
                self.workflows.add_version(&id, graph, !publish, now).await?;
                self.get(id.as_str()).await
            }
            None => Ok(created),
        }
    }

    /// Checks a workflow file (YAML or JSON) without storing anything.
    ///
    /// # Errors
    /// `InvalidFile`, every problem with its line and field.
    pub fn validate(&self, text: &str) -> Result<WorkflowFile, WorkflowError> {
        read_workflow(text).map_err(WorkflowError::InvalidFile)
    }

    /// Creates a workflow from a file, its graph as version 1 (published when `publish`).
    /// Nothing is stored when the file has a problem.
    ///
    /// # Errors
    /// `InvalidFile`, `Store`.
    pub async fn import(&self, text: &str, publish: bool) -> Result<Workflow, WorkflowError> {
        let file = self.validate(text)?;
        self.create(file.patch(), Some(&file.graph), publish).await
    }

    /// A workflow as a file, with `version` of its graph (its newest when `None`).
    ///
    /// # Errors
    /// `NotFound` (workflow, version, or a workflow without any version), `Store`.
    pub async fn export(&self, id: &str, version: Option<i64>) -> Result<String, WorkflowError> {
        let workflow = self.get(id).await?;
        let number = version.or(workflow.latest_version).ok_or(WorkflowError::NotFound("workflow version"))?;
        let stored = self.version(id, number).await?;
        Ok(write_workflow(&WorkflowFile::of(&workflow.fields, stored.graph)))
    }

    /// Changes a workflow's fields.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Store`.
    pub async fn update(&self, id: &str, patch: WorkflowPatch) -> Result<Workflow, WorkflowError> {
        let current = self.get(id).await?;
        let fields = patch.apply(current.fields).map_err(WorkflowError::Invalid)?;
        self.workflows.update(&current.id, &fields, self.clock.now()).await?.ok_or(WorkflowError::NotFound("workflow"))
    }

    /// Deletes a workflow and its versions.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, id: &str) -> Result<(), WorkflowError> {
        if self.workflows.delete(&id_of(id)?).await? { Ok(()) } else { Err(WorkflowError::NotFound("workflow")) }
    }

    /// A workflow's versions, newest first.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn versions(&self, id: &str) -> Result<Vec<WorkflowVersion>, WorkflowError> {
        let workflow = self.get(id).await?;
        Ok(self.workflows.versions(&workflow.id).await?)
    }

    /// One version.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn version(&self, id: &str, version: i64) -> Result<WorkflowVersion, WorkflowError> {
        self.workflows.version(&id_of(id)?, version).await?.ok_or(WorkflowError::NotFound("workflow version"))
    }

    /// Adds `graph` as the workflow's next version, a draft unless `publish`.
    ///
    /// # Errors
    /// `NotFound`, `Invalid` (by where in the graph), `Store`.
    pub async fn add_version(
        &self,
        id: &str,
        graph: &GraphDocument,
        publish: bool,
    ) -> Result<WorkflowVersion, WorkflowError> {
        let id = id_of(id)?;
        checked(graph)?;
        self.workflows
            .add_version(&id, graph, !publish, self.clock.now())
            .await?
            .ok_or(WorkflowError::NotFound("workflow"))
    }

    /// Publishes a version: runs use the newest published one.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn publish(&self, id: &str, version: i64) -> Result<WorkflowVersion, WorkflowError> {
        self.workflows
            .publish(&id_of(id)?, version, self.clock.now())
            .await?
            .ok_or(WorkflowError::NotFound("workflow version"))
    }
}
