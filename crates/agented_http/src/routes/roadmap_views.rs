//! JSON shapes of projects and roadmaps (`GET /api/projects/{id}/roadmap` is
//! fixed: integrations and tests rely on it).

use agented_roadmaps::{Coverage, Phase, Progress, Project, Requirement, ResearchDoc, Roadmap};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A project in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectSummary {
    /// `proj-xxxxxx`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Milestones.
    pub milestones: usize,
    /// Phases of all milestones.
    pub phases: usize,
    /// v1 requirements mapped to exactly one phase.
    pub coverage_mapped: usize,
    /// All v1 requirements.
    pub coverage_total: usize,
    /// Incremented by every change.
    pub version: i64,
    /// The managed tooling its planning and research runs get (`PUT /admin/projects/{id}/tooling`).
    pub tooling: crate::routes::trigger_input::ToolingAttachments,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<&Project> for ProjectSummary {
    fn from(p: &Project) -> Self {
        let coverage = p.roadmap.coverage();
        Self {
            id: p.id.to_string(),
            name: p.roadmap.project.clone(),
            milestones: p.roadmap.milestones.len(),
            phases: p.roadmap.phases().len(),
            coverage_mapped: coverage.mapped,
            coverage_total: coverage.total,
            tooling: (&p.tooling).into(),
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// The project part of a roadmap.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectHead {
    /// `proj-xxxxxx`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Incremented by every change.
    pub version: i64,
    /// The phase being worked on.
    pub active_phase: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A phase.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseView {
    /// Its number as text (the phase's id in paths).
    pub id: String,
    /// `3`, `2.1`.
    pub number: String,
    /// Name.
    pub name: String,
    /// What is true when it is done.
    pub goal: String,
    /// `survey`, `implement`, `evaluate` or `integrate`.
    pub phase_type: Option<String>,
    /// Numbers of the phases it depends on.
    pub depends_on: Vec<String>,
    /// Requirement ids it delivers.
    pub requirements: Vec<String>,
    /// What must be true.
    pub success_criteria: Vec<String>,
    /// `sanity`, `proxy`, `full` or `deferred`.
    pub verification_level: String,
    /// `pending`, `in_progress`, `complete` or `deferred`.
    pub status: String,
    /// Its plans.
    pub plans: Vec<PlanView>,
}

/// A plan of a phase.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// `01-02`.
    pub id: String,
    /// What it does.
    pub title: String,
    /// Checked off.
    pub done: bool,
}

impl From<&Phase> for PhaseView {
    fn from(p: &Phase) -> Self {
        Self {
            id: p.number.to_string(),
            number: p.number.to_string(),
            name: p.name.clone(),
            goal: p.goal.clone(),
            phase_type: p.phase_type.map(|t| t.to_string()),
            depends_on: p.depends_on.iter().map(ToString::to_string).collect(),
            requirements: p.requirements.iter().map(ToString::to_string).collect(),
            success_criteria: p.success_criteria.clone(),
            verification_level: p.verification_level.to_string(),
            status: p.status.to_string(),
            plans: p
                .plans
                .iter()
                .map(|x| PlanView { id: x.id.clone(), title: x.title.clone(), done: x.done })
                .collect(),
        }
    }
}

/// A milestone with its phases.
#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneView {
    /// Its version (the milestone's id in paths).
    pub id: String,
    /// `v1.2.0`.
    pub version: String,
    /// Name.
    pub name: String,
    /// What it achieves.
    pub goal: String,
    /// `planned`, `active` or `complete`.
    pub status: String,
    /// Phases by number.
    pub phases: Vec<PhaseView>,
}

/// A requirement.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementView {
    /// `CAT-NN`.
    pub id: String,
    /// Category name.
    pub category: String,
    /// What is required.
    pub text: String,
    /// `v1`, `v2` or `out_of_scope`.
    pub tier: String,
    /// Free text.
    pub priority: Option<String>,
    /// `pending`, `in_progress`, `done` or `deferred`.
    pub status: String,
    /// The phase the traceability table maps it to.
    pub phase: Option<String>,
}

impl From<&Requirement> for RequirementView {
    fn from(r: &Requirement) -> Self {
        Self {
            id: r.id.to_string(),
            category: r.category.clone(),
            text: r.text.clone(),
            tier: r.tier.to_string(),
            priority: r.priority.clone(),
            status: r.status.to_string(),
            phase: r.phase.as_ref().map(ToString::to_string),
        }
    }
}

/// v1 requirements mapped to exactly one phase, over all of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    /// Mapped to exactly one phase.
    pub mapped: usize,
    /// All v1 requirements.
    pub total: usize,
    /// Mapped to none.
    pub unmapped: Vec<String>,
    /// Mapped to more than one.
    pub multiply_mapped: Vec<String>,
}

impl From<Coverage> for CoverageView {
    fn from(c: Coverage) -> Self {
        Self {
            mapped: c.mapped,
            total: c.total,
            unmapped: c.unmapped.iter().map(ToString::to_string).collect(),
            multiply_mapped: c.multiply_mapped.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A research document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResearchView {
    /// The milestone's version.
    pub milestone: String,
    /// `stack`, `features`, `architecture`, `pitfalls` or `summary`.
    pub kind: String,
    /// Markdown.
    pub markdown: String,
    /// The execution that wrote it, when a research run did.
    pub produced_by: Option<String>,
}

impl From<&ResearchDoc> for ResearchView {
    fn from(d: &ResearchDoc) -> Self {
        Self {
            milestone: d.milestone.clone(),
            kind: d.kind.to_string(),
            markdown: d.markdown.clone(),
            produced_by: d.produced_by.as_ref().map(ToString::to_string),
        }
    }
}

/// A decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// What was decided.
    pub text: String,
    /// Why.
    pub rationale: String,
    /// The phase it came from.
    pub phase: Option<String>,
}

/// A todo.
#[derive(Debug, Serialize, ToSchema)]
pub struct TodoView {
    /// What.
    pub text: String,
    /// Checked off.
    pub done: bool,
}

/// A whole roadmap with what the rules derive from it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoadmapView {
    /// The project.
    pub project: ProjectHead,
    /// Milestones with their phases.
    pub milestones: Vec<MilestoneView>,
    /// Requirements by id.
    pub requirements: Vec<RequirementView>,
    /// Coverage of the v1 requirements.
    pub coverage: CoverageView,
    /// Progress per phase and milestone.
    #[schema(value_type = Object)]
    pub progress: Progress,
    /// Phases that can run in parallel, layer by layer.
    pub layers: Vec<Vec<String>>,
    /// Pending phases whose dependencies are complete.
    pub ready: Vec<String>,
    /// Decisions.
    pub decisions: Vec<DecisionView>,
    /// Todos.
    pub todos: Vec<TodoView>,
    /// Open questions.
    pub open_questions: Vec<String>,
    /// Research documents.
    pub research: Vec<ResearchView>,
    /// Sections kept from imports (written back on export).
    pub notes: usize,
}

impl From<&Project> for RoadmapView {
    fn from(p: &Project) -> Self {
        let r: &Roadmap = &p.roadmap;
        Self {
            project: ProjectHead {
                id: p.id.to_string(),
                name: r.project.clone(),
                version: p.version,
                active_phase: r.active_phase.as_ref().map(ToString::to_string),
                updated_at: p.updated_at,
            },
            milestones: r
                .milestones
                .iter()
                .map(|m| MilestoneView {
                    id: m.version.clone(),
                    version: m.version.clone(),
                    name: m.name.clone(),
                    goal: m.goal.clone(),
                    status: m.status.to_string(),
                    phases: m.phases.iter().map(PhaseView::from).collect(),
                })
                .collect(),
            requirements: r.requirements.iter().map(RequirementView::from).collect(),
            coverage: r.coverage().into(),
            progress: r.progress(),
            layers: r.layers().iter().map(|l| l.iter().map(ToString::to_string).collect()).collect(),
            ready: r.ready().iter().map(ToString::to_string).collect(),
            decisions: r
                .decisions
                .iter()
                .map(|d| DecisionView { text: d.text.clone(), rationale: d.rationale.clone(), phase: d.phase.clone() })
                .collect(),
            todos: r.todos.iter().map(|t| TodoView { text: t.text.clone(), done: t.done }).collect(),
            open_questions: r.open_questions.clone(),
            research: r.research.iter().map(ResearchView::from).collect(),
            notes: r.notes.len(),
        }
    }
}
