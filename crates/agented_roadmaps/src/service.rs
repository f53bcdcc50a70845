//! RoadmapService: every change to a project goes through `change`, which
//! applies it to the whole roadmap, checks the rules and saves with compare
//! and set, retrying when another writer got there first.

use crate::aggregate::Change;
use crate::edits::RoadmapEdit;
use crate::model::Roadmap;
use crate::ports::{Project, ProjectRepository, ProjectStoreError, ProjectWriteError, RoadmapVersion};
use crate::rules::RuleError;
use agented_kernel::{Clock, ProjectId};
use std::collections::BTreeMap;
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
    /// The asked change's values, field → message.
    #[error("invalid values")]
    Invalid(crate::edits::FieldErrors),
    /// Storage failed, or the project kept changing under us.
    #[error("{0}")]
    Store(#[source] agented_kernel::Cause),
}

impl From<ProjectStoreError> for ChangeError {
    fn from(e: ProjectStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
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

    /// Every project, by name.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn list(&self) -> Result<Vec<Project>, ProjectStoreError> {
        self.projects.list().await
    }

    /// The project with id `id` (any spelling that is not an id is simply not found).
    ///
    /// # Errors
    /// [`ChangeError::NotFound`], [`ChangeError::Store`].
    pub async fn get(&self, id: &str) -> Result<Project, ChangeError> {
        let id = ProjectId::parse(id).map_err(|_| ChangeError::NotFound)?;
        self.projects.get(&id).await?.ok_or(ChangeError::NotFound)
    }

    /// Replaces the tooling the project's planning and research runs get (the roadmap's
    /// version stays: the tooling is not part of it).
    ///
    /// # Errors
    /// [`ChangeError::NotFound`], [`ChangeError::Invalid`] (under `tooling`), [`ChangeError::Store`].
    pub async fn set_tooling(&self, id: &str, tooling: agented_kernel::ToolingInput) -> Result<Project, ChangeError> {
        let id = ProjectId::parse(id).map_err(|_| ChangeError::NotFound)?;
        let refs = tooling.refs().map_err(|why| ChangeError::Invalid([("tooling".to_owned(), why)].into()))?;
        self.projects.set_tooling(&id, &refs).await.map_err(write_error)
    }

    /// Deletes a project and its roadmap.
    ///
    /// # Errors
    /// [`ChangeError::NotFound`], [`ChangeError::Store`].
    pub async fn delete(&self, id: &str) -> Result<ProjectId, ChangeError> {
        let id = ProjectId::parse(id).map_err(|_| ChangeError::NotFound)?;
        self.projects.delete(&id).await.map_err(write_error)?;
        Ok(id)
    }

    /// Stores a new, empty project named `name`.
    ///
    /// # Errors
    /// [`ChangeError::Invalid`] name, [`ChangeError::DuplicateName`], [`ChangeError::Store`].
    pub async fn create_named(&self, name: &str) -> Result<Project, ChangeError> {
        let project = crate::edits::project_name(name).map_err(ChangeError::Invalid)?;
        self.create(Roadmap { project, ..Roadmap::default() }).await
    }

    /// Imports a project named `name` from `.planning/` files (path → markdown). Never fails
    /// on odd content: what is not understood is kept and listed in the warnings, and broken
    /// dependencies are dropped (with a warning) so the rest is usable.
    ///
    /// # Errors
    /// [`ChangeError::Invalid`] (name, file count or paths), [`ChangeError::DuplicateName`], `Store`.
    pub async fn import(
        &self,
        name: &str,
        files: &BTreeMap<String, String>,
    ) -> Result<(Project, Vec<String>), ChangeError> {
        let name = crate::edits::project_name(name).map_err(ChangeError::Invalid)?;
        crate::edits::check_import_files(files).map_err(ChangeError::Invalid)?;
        let mut imported = crate::import::import(&name, files);
        imported.roadmap.project = name;
        let mut warnings = imported.warnings;
        if let Err(rule) = imported.roadmap.check_dependencies() {
            for phase in imported.roadmap.milestones.iter_mut().flat_map(|m| &mut m.phases) {
                phase.depends_on.clear();
            }
            warnings.push(format!("{rule}: every dependency was dropped; set them again"));
        }
        Ok((self.create(imported.roadmap).await?, warnings))
    }

    /// Validates `edit`, then applies it to project `id`'s roadmap through [`change`](Self::change).
    ///
    /// # Errors
    /// [`ChangeError::Invalid`] (before the project is read), then as [`change`](Self::change).
    pub async fn edit(&self, id: &str, edit: RoadmapEdit) -> Result<Project, ChangeError> {
        let change = Change::validate(edit).map_err(ChangeError::Invalid)?;
        let id = ProjectId::parse(id).map_err(|_| ChangeError::NotFound)?;
        let ((), project) = self.change(&id, |roadmap| change.apply(roadmap)).await?;
        Ok(project)
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
        self.change_kept(id, None, change).await
    }

    /// [`Self::change`], keeping the roadmap it replaces in the project's history
    /// under `label`, so the change can be undone with [`Self::restore`].
    ///
    /// # Errors
    /// As [`Self::change`].
    pub async fn change_recorded<T>(
        &self,
        id: &ProjectId,
        label: &str,
        change: impl Fn(&mut Roadmap) -> Result<T, RuleError> + Send + Sync,
    ) -> Result<(T, Project), ChangeError> {
        self.change_kept(id, Some(label), change).await
    }

    /// The roadmaps kept before recorded changes, newest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown project, `Store`.
    pub async fn history(&self, id: &str) -> Result<Vec<RoadmapVersion>, ChangeError> {
        let project = self.get(id).await?;
        Ok(self.projects.history(&project.id).await?)
    }

    /// Puts back the roadmap kept as `version`; the one it replaces is kept in turn,
    /// so a restore can itself be undone.
    ///
    /// # Errors
    /// `NotFound` for an unknown project, `Rule(NoEntry)` for an unknown version, a broken rule, `Store`.
    pub async fn restore(&self, id: &str, version: i64) -> Result<Project, ChangeError> {
        let kept = self
            .history(id)
            .await?
            .into_iter()
            .find(|v| v.id == version)
            .ok_or_else(|| RuleError::NoEntry(format!("kept roadmap {version}")))?;
        let project = self.get(id).await?;
        let label = format!("before restoring the roadmap from before “{}”", kept.label);
        let ((), project) = self
            .change_recorded(&project.id, &label, |roadmap| {
                roadmap.clone_from(&kept.roadmap);
                Ok(())
            })
            .await?;
        Ok(project)
    }

    async fn change_kept<T>(
        &self,
        id: &ProjectId,
        keep: Option<&str>,
        change: impl Fn(&mut Roadmap) -> Result<T, RuleError> + Send + Sync,
    ) -> Result<(T, Project), ChangeError> {
        for _ in 0..ATTEMPTS {
            let project = self.projects.get(id).await?.ok_or(ChangeError::NotFound)?;
            let mut roadmap = project.roadmap.clone();
            let answer = change(&mut roadmap)?;
            roadmap.check_dependencies()?;
            match self.projects.save(id, project.version, &roadmap, self.clock.now(), keep).await {
                Ok(saved) => return Ok((answer, saved)),
                Err(ProjectWriteError::Conflict) => {}
                Err(e) => return Err(write_error(e)),
            }
        }
        Err(ChangeError::Store(agented_kernel::Cause::new(format!(
            "the project kept changing; gave up after {ATTEMPTS} attempts"
        ))))
    }
}

fn write_error(e: ProjectWriteError) -> ChangeError {
    match e {
        ProjectWriteError::DuplicateName(name) => ChangeError::DuplicateName(name),
        ProjectWriteError::NotFound => ChangeError::NotFound,
        ProjectWriteError::Conflict => ChangeError::Store(agented_kernel::Cause::of(ProjectWriteError::Conflict)),
        ProjectWriteError::Store(e) => ChangeError::Store(agented_kernel::Cause::of(e)),
    }
}
