//! RoadmapService: every change to a project goes through `change`, which
//! applies it to the whole roadmap, checks the rules and saves with compare
//! and set, retrying when another writer got there first.

use crate::model::Roadmap;
use crate::ports::{Project, ProjectRepository, ProjectStoreError, ProjectWriteError};
use crate::rules::RuleError;
use agented_kernel::{Clock, ProjectId};
use std::sync::Arc;

/// Why a change was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// No such project.
    #[error("project not found")]
    NotFound,
    /// The change breaks a rule; nothing was saved.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// Another project has the name.
    #[error("a project named '{0}' already exists")]
    DuplicateName(String),
    /// Storage failed, or the project kept changing under us.
    #[error("{0}")]
    Store(String),
}

impl From<ProjectStoreError> for ChangeError {
    fn from(e: ProjectStoreError) -> Self {
        Self::Store(e.to_string())
    }
}

/// Attempts before a change that keeps meeting newer versions gives up.
const ATTEMPTS: usize = 5;

/// Reads and changes projects.
#[derive(Clone)]
pub struct RoadmapService {
    projects: Arc<dyn ProjectRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RoadmapService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoadmapService").finish_non_exhaustive()
    }
}

impl RoadmapService {
    /// The service over its store.
    #[must_use]
    pub fn new(projects: Arc<dyn ProjectRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { projects, clock }
    }

    /// The store (for listing and reading).
    #[must_use]
    pub fn projects(&self) -> &Arc<dyn ProjectRepository> {
        &self.projects
    }

    /// Stores a new project.
    ///
    /// # Errors
    /// [`ChangeError::Rule`] when its dependencies are broken,
    /// [`ChangeError::DuplicateName`], [`ChangeError::Store`].
    pub async fn create(&self, roadmap: Roadmap) -> Result<Project, ChangeError> {
        roadmap.check_dependencies()?;
        let id = ProjectId::generate();
        self.projects.insert(&id, &roadmap, self.clock.now()).await.map_err(write_error)
    }

    /// Applies `change` to the project's roadmap and saves it, all or nothing.
    /// The dependency rules are checked on the result. `change` may run more
    /// than once (when another writer saved meanwhile), so it must not have side
    /// effects.
    ///
    /// # Errors
    /// [`ChangeError::NotFound`], what `change` returns, a broken rule, or storage.
    pub async fn change<T>(
        &self,
        id: &ProjectId,
        change: impl Fn(&mut Roadmap) -> Result<T, RuleError> + Send + Sync,
    ) -> Result<(T, Project), ChangeError> {
        for _ in 0..ATTEMPTS {
            let project = self.projects.get(id).await?.ok_or(ChangeError::NotFound)?;
            let mut roadmap = project.roadmap.clone();
            let answer = change(&mut roadmap)?;
            roadmap.check_dependencies()?;
            match self.projects.save(id, project.version, &roadmap, self.clock.now()).await {
                Ok(saved) => return Ok((answer, saved)),
                Err(ProjectWriteError::Conflict) => {}
                Err(e) => return Err(write_error(e)),
            }
        }
        Err(ChangeError::Store(format!("the project kept changing; gave up after {ATTEMPTS} attempts")))
    }
}

fn write_error(e: ProjectWriteError) -> ChangeError {
    match e {
        ProjectWriteError::DuplicateName(name) => ChangeError::DuplicateName(name),
        ProjectWriteError::NotFound => ChangeError::NotFound,
        ProjectWriteError::Conflict => ChangeError::Store("the project changed meanwhile".into()),
        ProjectWriteError::Store(e) => ChangeError::Store(e.to_string()),
    }
}
