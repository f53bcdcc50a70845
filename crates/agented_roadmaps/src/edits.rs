//! The changes a person makes to a roadmap, as asked (text fields) and as
//! validated (typed edits), each with one message per invalid field. A
//! validated edit is applied by the aggregate's own methods (`aggregate.rs`).

use crate::ids::{PhaseNumber, RequirementId};
use crate::model::{
    MilestoneStatus, Phase, PhaseStatus, PhaseType, Requirement, RequirementStatus, ResearchKind, Tier,
    VerificationLevel,
};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Field → message.
pub type FieldErrors = BTreeMap<String, String>;

fn parse_into<T: FromStr>(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    match value?.trim().parse() {
        Ok(v) => Some(v),
        Err(e) => {
            errors.insert(field.to_owned(), e.to_string());
            None
        }
    }
}

fn text(errors: &mut FieldErrors, field: &str, value: Option<&String>, max: usize) -> Option<String> {
    let value = value?.trim().to_owned();
    if value.chars().count() > max {
        errors.insert(field.to_owned(), format!("must be at most {max} characters"));
    }
    Some(value)
}

fn list<T: FromStr>(errors: &mut FieldErrors, field: &str, values: Option<&Vec<String>>) -> Option<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    let mut out = Vec::new();
    for v in values? {
        match v.trim().parse::<T>() {
            Ok(x) => out.push(x),
            Err(e) => {
                errors.insert(field.to_owned(), e.to_string());
                return None;
            }
        }
    }
    Some(out)
}

/// Text that must be there, trimmed, at most `max` characters.
///
/// # Errors
/// Field → message.
pub fn required_text(field: &str, value: Option<&str>, max: usize) -> Result<String, FieldErrors> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() || text.chars().count() > max {
        return Err(FieldErrors::from([(field.to_owned(), format!("is required, at most {max} characters"))]));
    }
    Ok(text.to_owned())
}

fn required(errors: &mut FieldErrors, checks: &[(&str, bool)]) {
    for (field, missing) in checks {
        if *missing {
            errors.entry((*field).into()).or_insert_with(|| "is required".into());
        }
    }
}

fn done<T>(errors: FieldErrors, value: T) -> Result<T, FieldErrors> {
    if errors.is_empty() { Ok(value) } else { Err(errors) }
}

/// A phase as asked: every field optional text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhaseFields {
    /// The milestone (version) it belongs to.
    pub milestone: Option<String>,
    /// Its number (new phases only).
    pub number: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its goal.
    pub goal: Option<String>,
    /// Its type; `""` clears it.
    pub phase_type: Option<String>,
    /// Numbers of the phases it depends on.
    pub depends_on: Option<Vec<String>>,
    /// Ids of the requirements it delivers.
    pub requirements: Option<Vec<String>>,
    /// How it is judged done.
    pub success_criteria: Option<Vec<String>>,
    /// How it is verified.
    pub verification_level: Option<String>,
    /// Where it stands.
    pub status: Option<String>,
}

/// A validated change to a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseEdit {
    /// Move it to this milestone.
    pub milestone: Option<String>,
    name: Option<String>,
    goal: Option<String>,
    phase_type: Option<Option<PhaseType>>,
    /// Its new dependencies.
    pub depends_on: Option<Vec<PhaseNumber>>,
    requirements: Option<Vec<RequirementId>>,
    success_criteria: Option<Vec<String>>,
    verification_level: Option<VerificationLevel>,
    status: Option<PhaseStatus>,
}

impl PhaseFields {
    fn edit(&self, errors: &mut FieldErrors) -> PhaseEdit {
        let phase_type = match self.phase_type.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(t) => parse_into(errors, "phase_type", Some(t)).map(Some),
        };
        PhaseEdit {
            milestone: self.milestone.as_ref().map(|m| m.trim().to_owned()),
            name: text(errors, "name", self.name.as_ref(), 200),
            goal: text(errors, "goal", self.goal.as_ref(), 2000),
            phase_type,
            depends_on: list(errors, "depends_on", self.depends_on.as_ref()),
            requirements: list(errors, "requirements", self.requirements.as_ref()),
            success_criteria: self.success_criteria.clone(),
            verification_level: parse_into(errors, "verification_level", self.verification_level.as_deref()),
            status: parse_into(errors, "status", self.status.as_deref()),
        }
    }

    /// A new phase: number, name and milestone required.
    ///
    /// # Errors
    /// Field → message.
    pub fn for_create(&self) -> Result<(PhaseNumber, String, PhaseEdit), FieldErrors> {
        let mut errors = FieldErrors::new();
        let edit = self.edit(&mut errors);
        let number = parse_into(&mut errors, "number", self.number.as_deref());
        required(
            &mut errors,
            &[
                ("number", self.number.is_none()),
                ("name", edit.name.as_deref().is_none_or(str::is_empty)),
                ("milestone", edit.milestone.is_none()),
            ],
        );
        match (number, edit.milestone.clone()) {
            (Some(number), Some(milestone)) => done(errors, (number, milestone, edit)),
            _ => Err(errors),
        }
    }

    /// A change to an existing phase; its number stays.
    ///
    /// # Errors
    /// Field → message.
    pub fn for_update(&self) -> Result<PhaseEdit, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.number.is_some() {
            errors.insert("number".into(), "cannot change; create a phase with the new number instead".into());
        }
        let edit = self.edit(&mut errors);
        done(errors, edit)
    }
}

impl PhaseEdit {
    /// Sets what the edit names on `phase` (not its milestone or dependencies).
    pub fn apply(&self, phase: &mut Phase) {
        set(&mut phase.name, self.name.as_ref());
        set(&mut phase.goal, self.goal.as_ref());
        set(&mut phase.phase_type, self.phase_type.as_ref());
        set(&mut phase.requirements, self.requirements.as_ref());
        set(&mut phase.success_criteria, self.success_criteria.as_ref());
        set(&mut phase.verification_level, self.verification_level.as_ref());
        set(&mut phase.status, self.status.as_ref());
    }
}

fn set<T: Clone>(target: &mut T, value: Option<&T>) {
    if let Some(v) = value {
        target.clone_from(v);
    }
}

/// A milestone as asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MilestoneFields {
    /// `v1.0` and the like (new milestones only).
    pub version: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its goal.
    pub goal: Option<String>,
    /// Where it stands.
    pub status: Option<String>,
}

/// A validated change to a milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneEdit {
    /// New name.
    pub name: Option<String>,
    /// New goal.
    pub goal: Option<String>,
    /// New status.
    pub status: Option<MilestoneStatus>,
}

impl MilestoneFields {
    /// A new milestone: its version, and the rest defaulted.
    ///
    /// # Errors
    /// Field → message.
    pub fn for_create(&self) -> Result<(String, MilestoneEdit), FieldErrors> {
        let mut errors = FieldErrors::new();
        let version = text(&mut errors, "version", self.version.as_ref(), 40).unwrap_or_default();
        if let Err(rule) = crate::model::check_version(&version) {
            errors.entry("version".into()).or_insert(rule);
        }
        let name = text(&mut errors, "name", self.name.as_ref(), 200).unwrap_or_default();
        let goal = text(&mut errors, "goal", self.goal.as_ref(), 2000).unwrap_or_default();
        let status = parse_into(&mut errors, "status", self.status.as_deref()).unwrap_or(MilestoneStatus::Planned);
        done(errors, (version, MilestoneEdit { name: Some(name), goal: Some(goal), status: Some(status) }))
    }

    /// A change to an existing milestone; its version stays.
    ///
    /// # Errors
    /// Field → message.
    pub fn for_update(&self) -> Result<MilestoneEdit, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.version.is_some() {
            errors.insert("version".into(), "cannot change".into());
        }
        let name = text(&mut errors, "name", self.name.as_ref(), 200);
        let goal = text(&mut errors, "goal", self.goal.as_ref(), 2000);
        let status = parse_into(&mut errors, "status", self.status.as_deref());
        done(errors, MilestoneEdit { name, goal, status })
    }
}

/// A requirement as asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirementFields {
    /// `CAT-NN` (new requirements only).
    pub id: Option<String>,
    /// Its category.
    pub category: Option<String>,
    /// What is required.
    pub text: Option<String>,
    /// `v1`, `v2` or `out`.
    pub tier: Option<String>,
    /// Free text; `""` clears it.
    pub priority: Option<String>,
    /// Where it stands.
    pub status: Option<String>,
    /// The phase delivering it; `""` clears it.
    pub phase: Option<String>,
}

/// A validated change to a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementEdit {
    category: Option<String>,
    text: Option<String>,
    tier: Option<Tier>,
    priority: Option<Option<String>>,
    status: Option<RequirementStatus>,
    /// The phase it is mapped to (it must exist).
    pub phase: Option<Option<PhaseNumber>>,
}

impl RequirementFields {
    fn edit(&self, errors: &mut FieldErrors) -> RequirementEdit {
        let phase = match self.phase.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(p) => parse_into(errors, "phase", Some(p)).map(Some),
        };
        RequirementEdit {
            category: text(errors, "category", self.category.as_ref(), 100),
            text: text(errors, "text", self.text.as_ref(), 2000),
            tier: parse_into(errors, "tier", self.tier.as_deref()),
            priority: text(errors, "priority", self.priority.as_ref(), 50).map(|p| (!p.is_empty()).then_some(p)),
            status: parse_into(errors, "status", self.status.as_deref()),
            phase,
        }
    }

    /// A new requirement: id and text required.
    ///
    /// # Errors
    /// Field → message.
    pub fn for_create(&self) -> Result<(RequirementId, RequirementEdit), FieldErrors> {
        let mut errors = FieldErrors::new();
        let edit = self.edit(&mut errors);
        let id = parse_into(&mut errors, "id", self.id.as_deref());
        if self.id.is_none() {
            errors.insert("id".into(), "is required".into());
        }
        if edit.text.as_deref().is_none_or(str::is_empty) {
            errors.insert("text".into(), "is required".into());
        }
        match id {
            Some(id) => done(errors, (id, edit)),
            None => Err(errors),
        }
    }

    /// A change to an existing requirement; its id stays.
    ///
    /// # Errors
    /// Field → message.
    pub fn for_update(&self) -> Result<RequirementEdit, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.id.is_some() {
            errors.insert("id".into(), "cannot change".into());
        }
        let edit = self.edit(&mut errors);
        done(errors, edit)
    }
}

impl RequirementEdit {
    /// Sets what the edit names on `r`.
    pub fn apply(&self, r: &mut Requirement) {
        set(&mut r.category, self.category.as_ref());
        set(&mut r.text, self.text.as_ref());
        set(&mut r.tier, self.tier.as_ref());
        set(&mut r.priority, self.priority.as_ref());
        set(&mut r.status, self.status.as_ref());
        set(&mut r.phase, self.phase.as_ref());
    }
}

/// A project's own settings as asked: its name, its active phase (`""` clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFields {
    /// Its name.
    pub name: Option<String>,
    /// The phase in progress.
    pub active_phase: Option<String>,
}

/// A project's name: 1–100 characters without control characters.
///
/// # Errors
/// Field → message.
pub fn project_name(name: &str) -> Result<String, FieldErrors> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        let why = "must be 1–100 characters without control characters";
        return Err(FieldErrors::from([("name".to_owned(), why.to_owned())]));
    }
    Ok(name.to_owned())
}

/// Files an import may hold, at most.
pub const MAX_IMPORT_FILES: usize = 500;

/// `.planning/` files to import: 1–[`MAX_IMPORT_FILES`] of them, each at a relative path inside the folder.
///
/// # Errors
/// Field → message.
pub fn check_import_files(files: &BTreeMap<String, String>) -> Result<(), FieldErrors> {
    let invalid = |message: String| FieldErrors::from([("files".to_owned(), message)]);
    if files.is_empty() || files.len() > MAX_IMPORT_FILES {
        return Err(invalid(format!("must hold 1–{MAX_IMPORT_FILES} files")));
    }
    for path in files.keys() {
        let bad = path.is_empty()
            || path.len() > 300
            || path.starts_with('/')
            || path.split('/').any(|s| s.is_empty() || s == ".." || s == ".")
            || path.chars().any(char::is_control);
        if bad {
            return Err(invalid(format!("'{path}' is not a relative path inside .planning/")));
        }
    }
    Ok(())
}

/// One change to a project's roadmap, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoadmapEdit {
    /// Rename it or set its active phase.
    Project(ProjectFields),
    /// Add a milestone.
    AddMilestone(MilestoneFields),
    /// Change milestone `version`.
    UpdateMilestone(String, MilestoneFields),
    /// Add a phase.
    AddPhase(PhaseFields),
    /// Change a phase.
    UpdatePhase(PhaseNumber, PhaseFields),
    /// Remove a phase no other depends on.
    DeletePhase(PhaseNumber),
    /// Add a requirement.
    AddRequirement(RequirementFields),
    /// Change a requirement.
    UpdateRequirement(RequirementId, RequirementFields),
    /// Remove a requirement (and its mapping to phases).
    DeleteRequirement(RequirementId),
    /// Record a decision: its text, rationale and phase.
    AddDecision {
        /// What was decided.
        text: Option<String>,
        /// Why.
        rationale: Option<String>,
        /// The phase it came from.
        phase: Option<String>,
    },
    /// Remove the decision at a position (from 1).
    DeleteDecision(usize),
    /// Add a todo.
    AddTodo {
        /// What to do.
        text: Option<String>,
        /// Whether it is done.
        done: Option<bool>,
    },
    /// Change the todo at a position (from 1).
    UpdateTodo {
        /// From 1.
        position: usize,
        /// New text.
        text: Option<String>,
        /// Done or not.
        done: Option<bool>,
    },
    /// Remove the todo at a position (from 1).
    DeleteTodo(usize),
    /// Write the research document of `kind` for milestone `version`.
    PutResearch {
        /// The milestone.
        version: String,
        /// Which document.
        kind: ResearchKind,
        /// Its text.
        markdown: String,
    },
    /// Remove that document.
    DeleteResearch {
        /// The milestone.
        version: String,
        /// Which document.
        kind: ResearchKind,
    },
}
