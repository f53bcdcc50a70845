//! The roadmap aggregate's own changes: each keeps the roadmap's invariants
//! (unique numbers and ids, phases sorted within their milestone, mappings to
//! existing phases) or refuses with the rule it would break. `RoadmapService`
//! applies them through compare-and-set; no caller edits a roadmap's fields.

use crate::edits::{FieldErrors, MilestoneEdit, PhaseEdit, RequirementEdit, RoadmapEdit, project_name, required_text};
use crate::ids::{PhaseNumber, RequirementId};
use crate::model::{
    Decision, Milestone, Phase, Requirement, RequirementStatus, ResearchDoc, ResearchKind, Roadmap, Tier, Todo,
};
use crate::rules::RuleError;

/// The item at 1-based `position` of a list of `len`.
fn at(len: usize, what: &str, position: usize) -> Result<usize, RuleError> {
    if (1..=len).contains(&position) { Ok(position - 1) } else { Err(RuleError::NoEntry(format!("{what} {position}"))) }
}

impl Roadmap {
    fn milestone_mut(&mut self, version: &str) -> Result<&mut Milestone, RuleError> {
        self.milestones
            .iter_mut()
            .find(|m| m.version == version)
            .ok_or_else(|| RuleError::NoMilestone(version.to_owned()))
    }

    /// Adds milestone `version`.
    ///
    /// # Errors
    /// [`RuleError::Duplicate`] when it exists.
    pub fn add_milestone(&mut self, version: &str, edit: &MilestoneEdit) -> Result<(), RuleError> {
        if self.milestones.iter().any(|m| m.version == version) {
            return Err(RuleError::Duplicate(format!("milestone {version}")));
        }
        self.milestones.push(Milestone {
            version: version.to_owned(),
            name: edit.name.clone().unwrap_or_default(),
            goal: edit.goal.clone().unwrap_or_default(),
            status: edit.status.unwrap_or(crate::model::MilestoneStatus::Planned),
            phases: Vec::new(),
        });
        Ok(())
    }

    /// Changes milestone `version`.
    ///
    /// # Errors
    /// [`RuleError::NoMilestone`].
    pub fn update_milestone(&mut self, version: &str, edit: &MilestoneEdit) -> Result<(), RuleError> {
        let milestone = self.milestone_mut(version)?;
        if let Some(v) = &edit.name {
            milestone.name.clone_from(v);
        }
        if let Some(v) = &edit.goal {
            milestone.goal.clone_from(v);
        }
        if let Some(v) = edit.status {
            milestone.status = v;
        }
        Ok(())
    }

    /// Adds phase `number` to milestone `version`, in number order.
    ///
    /// # Errors
    /// [`RuleError::Duplicate`], [`RuleError::NoMilestone`].
    pub fn add_phase(&mut self, number: &PhaseNumber, version: &str, edit: &PhaseEdit) -> Result<(), RuleError> {
        if self.phase(number).is_some() {
            return Err(RuleError::Duplicate(format!("phase {number}")));
        }
        let mut phase = Phase::new(number.clone(), "");
        edit.apply(&mut phase);
        phase.depends_on = edit.depends_on.clone().unwrap_or_default();
        self.milestone_mut(version)?.insert_phase(phase);
        Ok(())
    }

    /// Changes phase `number`: its fields, dependencies, and (when named) milestone.
    ///
    /// # Errors
    /// [`RuleError::NoPhase`], [`RuleError::NoMilestone`], dependency rules.
    pub fn update_phase(&mut self, number: &PhaseNumber, edit: &PhaseEdit) -> Result<(), RuleError> {
        if let Some(deps) = &edit.depends_on {
            self.set_dependencies(number, deps.clone())?;
        }
        edit.apply(self.phase_mut(number).ok_or_else(|| RuleError::NoPhase(number.clone()))?);
        if let Some(target) = &edit.milestone {
            self.milestone_mut(target)?;
            let phase = self.take_phase(number).ok_or_else(|| RuleError::NoPhase(number.clone()))?;
            self.milestone_mut(target)?.insert_phase(phase);
        }
        Ok(())
    }

    /// Removes phase `number` (no phase may depend on it); it stops being the active one.
    ///
    /// # Errors
    /// [`RuleError::NoPhase`], [`RuleError::HasDependents`].
    pub fn delete_phase(&mut self, number: &PhaseNumber) -> Result<(), RuleError> {
        self.remove_phase(number)?;
        if self.active_phase.as_ref() == Some(number) {
            self.active_phase = None;
        }
        Ok(())
    }

    fn check_mapping(&self, edit: &RequirementEdit) -> Result<(), RuleError> {
        match &edit.phase {
            Some(Some(n)) if self.phase(n).is_none() => Err(RuleError::NoPhase(n.clone())),
            _ => Ok(()),
        }
    }

    /// Adds requirement `id`, in id order.
    ///
    /// # Errors
    /// [`RuleError::Duplicate`], [`RuleError::NoPhase`] for a mapping to a missing phase.
    pub fn add_requirement(&mut self, id: &RequirementId, edit: &RequirementEdit) -> Result<(), RuleError> {
        if self.requirements.iter().any(|r| &r.id == id) {
            return Err(RuleError::Duplicate(format!("requirement {id}")));
        }
        self.check_mapping(edit)?;
        let mut requirement = Requirement {
            category: id.category().to_owned(),
            text: String::new(),
            tier: Tier::V1,
            priority: None,
            status: RequirementStatus::Pending,
            phase: None,
            id: id.clone(),
        };
        edit.apply(&mut requirement);
        self.requirements.push(requirement);
        self.requirements.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(())
    }

    /// Changes requirement `id`.
    ///
    /// # Errors
    /// [`RuleError::NoRequirement`], [`RuleError::NoPhase`].
    pub fn update_requirement(&mut self, id: &RequirementId, edit: &RequirementEdit) -> Result<(), RuleError> {
        let i =
            self.requirements.iter().position(|r| &r.id == id).ok_or_else(|| RuleError::NoRequirement(id.clone()))?;
        self.check_mapping(edit)?;
        edit.apply(&mut self.requirements[i]);
        Ok(())
    }

    /// Removes requirement `id` and its mapping to phases.
    ///
    /// # Errors
    /// [`RuleError::NoRequirement`].
    pub fn delete_requirement(&mut self, id: &RequirementId) -> Result<(), RuleError> {
        if self.requirements.iter().all(|r| &r.id != id) {
            return Err(RuleError::NoRequirement(id.clone()));
        }
        self.requirements.retain(|r| &r.id != id);
        for phase in self.milestones.iter_mut().flat_map(|m| &mut m.phases) {
            phase.requirements.retain(|r| r != id);
        }
        Ok(())
    }

    /// Makes phase `number` the active one (`None`: none).
    ///
    /// # Errors
    /// [`RuleError::NoPhase`].
    pub fn set_active_phase(&mut self, number: Option<PhaseNumber>) -> Result<(), RuleError> {
        if let Some(n) = &number
            && self.phase(n).is_none()
        {
            return Err(RuleError::NoPhase(n.clone()));
        }
        self.active_phase = number;
        Ok(())
    }

    /// Removes the decision at `position` (from 1).
    ///
    /// # Errors
    /// [`RuleError::NoEntry`].
    pub fn delete_decision(&mut self, position: usize) -> Result<(), RuleError> {
        let i = at(self.decisions.len(), "decision", position)?;
        self.decisions.remove(i);
        Ok(())
    }

    /// Changes the todo at `position` (from 1).
    ///
    /// # Errors
    /// [`RuleError::NoEntry`].
    pub fn update_todo(&mut self, position: usize, text: Option<&str>, done: Option<bool>) -> Result<(), RuleError> {
        let i = at(self.todos.len(), "todo", position)?;
        if let Some(t) = text {
            t.clone_into(&mut self.todos[i].text);
        }
        if let Some(d) = done {
            self.todos[i].done = d;
        }
        Ok(())
    }

    /// Removes the todo at `position` (from 1).
    ///
    /// # Errors
    /// [`RuleError::NoEntry`].
    pub fn delete_todo(&mut self, position: usize) -> Result<(), RuleError> {
        let i = at(self.todos.len(), "todo", position)?;
        self.todos.remove(i);
        Ok(())
    }

    /// Removes milestone `version`'s research document of `kind`.
    ///
    /// # Errors
    /// [`RuleError::NoEntry`].
    pub fn delete_research(&mut self, version: &str, kind: ResearchKind) -> Result<(), RuleError> {
        let before = self.research.len();
        self.research.retain(|d| !(d.milestone == version && d.kind == kind));
        if self.research.len() == before {
            return Err(RuleError::NoEntry(format!("{kind} research of {version}")));
        }
        Ok(())
    }
}

impl Milestone {
    fn insert_phase(&mut self, phase: Phase) {
        self.phases.push(phase);
        self.phases.sort_by(|a, b| a.number.cmp(&b.number));
    }
}

/// A [`RoadmapEdit`] whose fields were validated: ready to apply, maybe more than once.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Project { name: Option<String>, active: Option<Option<PhaseNumber>> },
    AddMilestone(String, MilestoneEdit),
    UpdateMilestone(String, MilestoneEdit),
    AddPhase(PhaseNumber, String, PhaseEdit),
    UpdatePhase(PhaseNumber, PhaseEdit),
    DeletePhase(PhaseNumber),
    AddRequirement(RequirementId, RequirementEdit),
    UpdateRequirement(RequirementId, RequirementEdit),
    DeleteRequirement(RequirementId),
    AddDecision(Decision),
    DeleteDecision(usize),
    AddTodo(Todo),
    UpdateTodo(usize, Option<String>, Option<bool>),
    DeleteTodo(usize),
    PutResearch(ResearchDoc),
    DeleteResearch(String, ResearchKind),
}

impl Change {
    /// Validates `edit`'s fields.
    pub(crate) fn validate(edit: RoadmapEdit) -> Result<Self, FieldErrors> {
        Ok(match edit {
            RoadmapEdit::Project(fields) => {
                let name = fields.name.as_deref().map(project_name).transpose()?;
                let active = match fields.active_phase.as_deref().map(str::trim) {
                    None => None,
                    Some("") => Some(None),
                    Some(text) => Some(Some(
                        PhaseNumber::parse(text)
                            .map_err(|e| FieldErrors::from([("active_phase".to_owned(), e.to_string())]))?,
                    )),
                };
                Self::Project { name, active }
            }
            RoadmapEdit::AddMilestone(fields) => {
                let (version, edit) = fields.for_create()?;
                Self::AddMilestone(version, edit)
            }
            RoadmapEdit::UpdateMilestone(version, fields) => Self::UpdateMilestone(version, fields.for_update()?),
            RoadmapEdit::AddPhase(fields) => {
                let (number, milestone, edit) = fields.for_create()?;
                Self::AddPhase(number, milestone, edit)
            }
            RoadmapEdit::UpdatePhase(number, fields) => Self::UpdatePhase(number, fields.for_update()?),
            RoadmapEdit::DeletePhase(number) => Self::DeletePhase(number),
            RoadmapEdit::AddRequirement(fields) => {
                let (id, edit) = fields.for_create()?;
                Self::AddRequirement(id, edit)
            }
            RoadmapEdit::UpdateRequirement(id, fields) => Self::UpdateRequirement(id, fields.for_update()?),
            RoadmapEdit::DeleteRequirement(id) => Self::DeleteRequirement(id),
            RoadmapEdit::AddDecision { text, rationale, phase } => Self::AddDecision(Decision {
                text: required_text("text", text.as_deref(), 2000)?,
                rationale: rationale.as_deref().map(str::trim).unwrap_or_default().to_owned(),
                phase: phase.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned),
            }),
            RoadmapEdit::DeleteDecision(position) => Self::DeleteDecision(position),
            RoadmapEdit::AddTodo { text, done } => {
                Self::AddTodo(Todo { text: required_text("text", text.as_deref(), 2000)?, done: done.unwrap_or(false) })
            }
            RoadmapEdit::UpdateTodo { position, text, done } => {
                let text = text.as_deref().map(|t| required_text("text", Some(t), 2000)).transpose()?;
                Self::UpdateTodo(position, text, done)
            }
            RoadmapEdit::DeleteTodo(position) => Self::DeleteTodo(position),
            RoadmapEdit::PutResearch { version, kind, markdown } => Self::PutResearch(ResearchDoc {
                milestone: version,
                kind,
                markdown: required_text("markdown", Some(&markdown), 200_000)?,
                produced_by: None,
            }),
            RoadmapEdit::DeleteResearch { version, kind } => Self::DeleteResearch(version, kind),
        })
    }

    /// Applies the change to `roadmap` through its own methods.
    pub(crate) fn apply(&self, roadmap: &mut Roadmap) -> Result<(), RuleError> {
        match self {
            Self::Project { name, active } => {
                if let Some(name) = name {
                    roadmap.project.clone_from(name);
                }
                match active {
                    Some(active) => roadmap.set_active_phase(active.clone()),
                    None => Ok(()),
                }
            }
            Self::AddMilestone(version, edit) => roadmap.add_milestone(version, edit),
            Self::UpdateMilestone(version, edit) => roadmap.update_milestone(version, edit),
            Self::AddPhase(number, milestone, edit) => roadmap.add_phase(number, milestone, edit),
            Self::UpdatePhase(number, edit) => roadmap.update_phase(number, edit),
            Self::DeletePhase(number) => roadmap.delete_phase(number),
            Self::AddRequirement(id, edit) => roadmap.add_requirement(id, edit),
            Self::UpdateRequirement(id, edit) => roadmap.update_requirement(id, edit),
            Self::DeleteRequirement(id) => roadmap.delete_requirement(id),
            Self::AddDecision(decision) => {
                roadmap.decisions.push(decision.clone());
                Ok(())
            }
            Self::DeleteDecision(position) => roadmap.delete_decision(*position),
            Self::AddTodo(todo) => {
                roadmap.todos.push(todo.clone());
                Ok(())
            }
            Self::UpdateTodo(position, text, done) => roadmap.update_todo(*position, text.as_deref(), *done),
            Self::DeleteTodo(position) => roadmap.delete_todo(*position),
            Self::PutResearch(doc) => roadmap.put_research(doc.clone()),
            Self::DeleteResearch(version, kind) => roadmap.delete_research(version, *kind),
        }
    }
}
