//! In-memory fakes of this crate's ports, for unit tests of `RoadmapService` and
//! `PlanningService` (feature `fakes`): projects and planning work saved whole with
//! compare-and-set, and an assistant whose runs the test finishes by hand.

use crate::model::Roadmap;
use crate::planning::ports::{
    AssistantError, PlanningAssistant, PlanningStore, PlanningStoreError, PlanningWork, RunState, Versioned,
};
use crate::ports::{HISTORY_KEPT, Project, ProjectRepository, ProjectStoreError, ProjectWriteError, RoadmapVersion};
use agented_kernel::{BackendType, ExecutionId, PlanningId, ProjectId, TriggerId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Projects in memory.
#[derive(Debug, Default)]
pub struct MemoryProjects {
    projects: Mutex<Vec<Project>>,
    history: Mutex<Vec<(ProjectId, RoadmapVersion)>>,
}

#[async_trait]
impl ProjectRepository for MemoryProjects {
    async fn list(&self) -> Result<Vec<Project>, ProjectStoreError> {
        let mut all = lock(&self.projects).clone();
        all.sort_by(|a, b| a.roadmap.project.cmp(&b.roadmap.project));
        Ok(all)
    }

    async fn get(&self, id: &ProjectId) -> Result<Option<Project>, ProjectStoreError> {
        Ok(lock(&self.projects).iter().find(|p| &p.id == id).cloned())
    }

    async fn insert(&self, id: &ProjectId, roadmap: &Roadmap, at: DateTime<Utc>) -> Result<Project, ProjectWriteError> {
        let mut all = lock(&self.projects);
        if all.iter().any(|p| p.roadmap.project == roadmap.project) {
            return Err(ProjectWriteError::DuplicateName(roadmap.project.clone()));
        }
        let project = Project {
            id: id.clone(),
            roadmap: roadmap.clone(),
            version: 1,
            tooling: agented_kernel::ToolingRefs::default(),
            created_at: at,
            updated_at: at,
        };
        all.push(project.clone());
        Ok(project)
    }

    async fn save(
        &self,
        id: &ProjectId,
        read_version: i64,
        roadmap: &Roadmap,
        at: DateTime<Utc>,
        keep: Option<&str>,
    ) -> Result<Project, ProjectWriteError> {
        let mut all = lock(&self.projects);
        if all.iter().any(|p| &p.id != id && p.roadmap.project == roadmap.project) {
            return Err(ProjectWriteError::DuplicateName(roadmap.project.clone()));
        }
        let project = all.iter_mut().find(|p| &p.id == id).ok_or(ProjectWriteError::NotFound)?;
        if project.version != read_version {
            return Err(ProjectWriteError::Conflict);
        }
        if let Some(label) = keep {
            let mut history = lock(&self.history);
            let next = history.iter().map(|(_, v)| v.id).max().unwrap_or(0) + 1;
            let kept =
                RoadmapVersion { id: next, label: label.to_owned(), created_at: at, roadmap: project.roadmap.clone() };
            history.push((id.clone(), kept));
            let mine: Vec<i64> = history.iter().filter(|(p, _)| p == id).map(|(_, v)| v.id).collect();
            let drop: Vec<i64> = mine.iter().rev().skip(HISTORY_KEPT).copied().collect();
            history.retain(|(_, v)| !drop.contains(&v.id));
        }
        project.roadmap = roadmap.clone();
        project.version += 1;
        project.updated_at = at;
        Ok(project.clone())
    }

    async fn history(&self, id: &ProjectId) -> Result<Vec<RoadmapVersion>, ProjectStoreError> {
        let mut mine: Vec<RoadmapVersion> =
            lock(&self.history).iter().filter(|(p, _)| p == id).map(|(_, v)| v.clone()).collect();
        mine.reverse();
        Ok(mine)
    }

    async fn set_tooling(
        &self,
        id: &ProjectId,
        tooling: &agented_kernel::ToolingRefs,
    ) -> Result<Project, ProjectWriteError> {
        let mut all = lock(&self.projects);
        let project = all.iter_mut().find(|p| &p.id == id).ok_or(ProjectWriteError::NotFound)?;
        project.tooling = tooling.clone();
        Ok(project.clone())
    }

    async fn delete(&self, id: &ProjectId) -> Result<(), ProjectWriteError> {
        let mut all = lock(&self.projects);
        let before = all.len();
        all.retain(|p| &p.id != id);
        if all.len() == before { Err(ProjectWriteError::NotFound) } else { Ok(()) }
    }
}

/// Planning work in memory, checked against the projects it belongs to.
#[derive(Debug)]
pub struct MemoryPlanning {
    projects: Arc<MemoryProjects>,
    work: Mutex<Vec<Versioned<PlanningWork>>>,
}

impl MemoryPlanning {
    /// A store whose work must belong to one of `projects`.
    #[must_use]
    pub fn new(projects: Arc<MemoryProjects>) -> Self {
        Self { projects, work: Mutex::new(Vec::new()) }
    }
}

#[async_trait]
impl PlanningStore for MemoryPlanning {
    async fn insert(&self, work: &PlanningWork) -> Result<Versioned<PlanningWork>, PlanningStoreError> {
        if self
            .projects
            .get(work.project_id())
            .await
            .map_err(|e| PlanningStoreError::Store(agented_kernel::Cause::of(e)))?
            .is_none()
        {
            return Err(PlanningStoreError::NoProject);
        }
        let stored = Versioned { value: work.clone(), version: 1 };
        lock(&self.work).push(stored.clone());
        Ok(stored)
    }

    async fn get(
        &self,
        project: &ProjectId,
        id: &PlanningId,
    ) -> Result<Option<Versioned<PlanningWork>>, PlanningStoreError> {
        Ok(lock(&self.work).iter().find(|w| w.value.project_id() == project && w.value.id() == id).cloned())
    }

    async fn save(
        &self,
        work: &PlanningWork,
        read_version: i64,
    ) -> Result<Versioned<PlanningWork>, PlanningStoreError> {
        let mut all = lock(&self.work);
        let stored = all.iter_mut().find(|w| w.value.id() == work.id()).ok_or(PlanningStoreError::Conflict)?;
        if stored.version != read_version {
            return Err(PlanningStoreError::Conflict);
        }
        *stored = Versioned { value: work.clone(), version: read_version + 1 };
        Ok(stored.clone())
    }

    async fn list(&self, project: &ProjectId) -> Result<Vec<Versioned<PlanningWork>>, PlanningStoreError> {
        Ok(lock(&self.work).iter().rev().filter(|w| w.value.project_id() == project).cloned().collect())
    }

    async fn active(&self) -> Result<Vec<Versioned<PlanningWork>>, PlanningStoreError> {
        Ok(lock(&self.work).iter().filter(|w| w.value.is_active()).cloned().collect())
    }
}

/// An assistant whose runs stay `Running` until the test says how they ended.
#[derive(Debug, Default)]
pub struct ScriptedAssistant {
    asked: Mutex<Vec<(ExecutionId, String)>>,
    tooling: Mutex<Vec<agented_kernel::ToolingRefs>>,
    ends: Mutex<HashMap<ExecutionId, RunState>>,
    /// When set, every ask is refused with this reason.
    pub refuse: Mutex<Option<String>>,
}

impl ScriptedAssistant {
    /// The prompts asked so far, with their runs.
    #[must_use]
    pub fn asked(&self) -> Vec<(ExecutionId, String)> {
        lock(&self.asked).clone()
    }

    /// The tooling each ask gave, in order.
    #[must_use]
    pub fn tooling(&self) -> Vec<agented_kernel::ToolingRefs> {
        lock(&self.tooling).clone()
    }

    /// Ends run `run` with `state`.
    pub fn end(&self, run: &ExecutionId, state: RunState) {
        lock(&self.ends).insert(run.clone(), state);
    }
}

#[async_trait]
impl PlanningAssistant for ScriptedAssistant {
    async fn ask(
        &self,
        _backend: BackendType,
        prompt: &str,
        tooling: &agented_kernel::ToolingRefs,
    ) -> Result<ExecutionId, AssistantError> {
        if let Some(why) = lock(&self.refuse).clone() {
            return Err(AssistantError::Refused(why));
        }
        let mut asked = lock(&self.asked);
        let planner =
            TriggerId::parse("bot-planner").map_err(|e| AssistantError::Unavailable(agented_kernel::Cause::of(e)))?;
        let seconds = i64::try_from(asked.len()).unwrap_or(0);
        let at = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(seconds);
        let run = ExecutionId::generate(&planner, at);
        asked.push((run.clone(), prompt.to_owned()));
        lock(&self.tooling).push(tooling.clone());
        Ok(run)
    }

    async fn state(&self, run: &ExecutionId) -> Result<RunState, AssistantError> {
        Ok(lock(&self.ends).get(run).cloned().unwrap_or(RunState::Running))
    }
}
