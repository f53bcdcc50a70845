//! What a planning bot replies with: clarifying questions, then a proposed
//! plan. The wire shapes are documented in `docs/planning.md`; they are read
//! leniently (numbers as text or numbers, unknown members ignored) and then
//! checked strictly, field by field.

use super::reply::{MalformedReply, object_with};
use crate::ids::{PhaseNumber, RequirementId};
use crate::model::{
    Milestone, MilestoneStatus, Phase, PhaseStatus, PhaseType, Requirement, RequirementStatus, Roadmap, Tier,
};
use crate::model::{VerificationLevel, check_version};
use crate::rules::RuleError;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most questions one reply may ask.
pub const MAX_QUESTIONS: usize = 20;
/// Longest text of one field.
const MAX_TEXT: usize = 4000;

/// A clarifying question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// `q1`, `q2`, … unless the bot named it.
    pub id: String,
    /// The question.
    pub text: String,
    /// Why it matters, when the bot said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Suggested answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// The user's answer to a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The question's id.
    pub question_id: String,
    /// The answer (may be empty: no preference).
    pub answer: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireQuestion {
    Text(String),
    Full {
        #[serde(default, deserialize_with = "opt_text")]
        id: Option<String>,
        #[serde(alias = "question")]
        text: String,
        #[serde(default)]
        why: Option<String>,
        #[serde(default)]
        options: Vec<String>,
    },
}

/// Reads `{"questions": [...]}` from a reply; each question is a string or `{id?, text, why?, options?}`.
///
/// # Errors
/// [`MalformedReply`] saying what is wrong.
pub fn parse_questions(reply: &str) -> Result<Vec<Question>, MalformedReply> {
    let value = object_with(reply, "questions")?;
    let wire: Vec<WireQuestion> = serde_json::from_value(value["questions"].clone())
        .map_err(|e| MalformedReply(format!("\"questions\" must be a list of strings or {{id, text}} objects: {e}")))?;
    if wire.len() > MAX_QUESTIONS {
        return Err(MalformedReply(format!("{} questions; at most {MAX_QUESTIONS} are allowed", wire.len())));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(wire.len());
    for (i, q) in wire.into_iter().enumerate() {
        let fallback = format!("q{}", i + 1);
        let (id, text, why, options) = match q {
            WireQuestion::Text(text) => (fallback, text, None, Vec::new()),
            WireQuestion::Full { id, text, why, options } => (id.unwrap_or(fallback), text, why, options),
        };
        let text = text.trim().to_owned();
        if text.is_empty() || text.chars().count() > MAX_TEXT {
            return Err(MalformedReply(format!("question {} is empty or longer than {MAX_TEXT} characters", i + 1)));
        }
        if !seen.insert(id.clone()) {
            return Err(MalformedReply(format!("two questions have the id '{id}'")));
        }
        out.push(Question { id, text, why, options });
    }
    Ok(out)
}

fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<NumberOrText>::deserialize(d)?.map(NumberOrText::into_text))
}

fn text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Vec::<NumberOrText>::deserialize(d)?.into_iter().map(NumberOrText::into_text).collect())
}

fn text_of<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(NumberOrText::deserialize(d)?.into_text())
}

/// Phase numbers come as `"2.1"`, `2.1` or `2`.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Text(String),
    Number(serde_json::Number),
}

impl NumberOrText {
    fn into_text(self) -> String {
        match self {
            Self::Text(t) => t.trim().trim_start_matches("Phase ").trim().to_owned(),
            Self::Number(n) => n.to_string(),
        }
    }
}

/// A proposed plan: milestones with their phases, and requirements. Merged
/// into the roadmap on accept (see [`Proposal::apply`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// One or two sentences on the plan.
    #[serde(default)]
    pub summary: String,
    /// Milestones, each with its phases.
    pub milestones: Vec<ProposedMilestone>,
    /// Requirements the phases refer to.
    #[serde(default)]
    pub requirements: Vec<ProposedRequirement>,
}

/// A proposed milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedMilestone {
    /// `v1.0`; an existing version is updated.
    #[serde(deserialize_with = "text_of")]
    pub version: String,
    /// Its name.
    pub name: String,
    /// What it delivers.
    #[serde(default)]
    pub goal: String,
    /// Its phases.
    #[serde(default)]
    pub phases: Vec<ProposedPhase>,
}

/// A proposed phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedPhase {
    /// `3`, `2.1`; an existing number is updated.
    #[serde(deserialize_with = "text_of")]
    pub number: String,
    /// Its name.
    pub name: String,
    /// What it achieves.
    #[serde(default)]
    pub goal: String,
    /// `survey`, `implement`, `evaluate` or `integrate`.
    #[serde(default, rename = "type")]
    pub phase_type: Option<String>,
    /// Phase numbers it needs.
    #[serde(default, deserialize_with = "text_list")]
    pub depends_on: Vec<String>,
    /// Requirement ids it delivers.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// How to tell it is done.
    #[serde(default)]
    pub success_criteria: Vec<String>,
    /// `sanity`, `proxy`, `full` or `deferred`.
    #[serde(default)]
    pub verification_level: Option<String>,
}

/// A proposed requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedRequirement {
    /// `CAT-NN`; an existing id is updated.
    pub id: String,
    /// Its category (defaults to the id's prefix).
    #[serde(default)]
    pub category: String,
    /// What is required.
    pub text: String,
    /// `v1` (default), `v2` or `out_of_scope`.
    #[serde(default)]
    pub tier: Option<String>,
    /// Free text such as `P0`.
    #[serde(default)]
    pub priority: Option<String>,
}

/// Reads `{"milestones": [...], "requirements": [...]}` from a reply and checks it.
///
/// # Errors
/// [`MalformedReply`] saying what is wrong.
pub fn parse_proposal(reply: &str) -> Result<Proposal, MalformedReply> {
    let value = object_with(reply, "milestones")?;
    let proposal: Proposal = serde_json::from_value(value)
        .map_err(|e| MalformedReply(format!("the proposal does not have the documented shape: {e}")))?;
    proposal.checked().map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|(field, message)| format!("{field} {message}")).collect();
        MalformedReply(format!("the proposal is not valid: {}", list.join("; ")))
    })?;
    Ok(proposal)
}

/// A checked proposal, in domain types, ready to apply.
#[derive(Debug, Clone)]
pub struct CheckedProposal {
    milestones: Vec<(ProposedMilestone, Vec<Phase>)>,
    requirements: Vec<Requirement>,
}

fn limited(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().count() <= MAX_TEXT
}

impl Proposal {
    /// Checks every field; the errors are keyed by their path (`milestones[0].phases[1].number`).
    ///
    /// # Errors
    /// Path → message for each invalid field.
    pub fn checked(&self) -> Result<CheckedProposal, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let mut fail = |field: String, message: String| {
            errors.entry(field).or_insert(message);
        };
        if self.milestones.is_empty() {
            fail("milestones".into(), "must list at least one milestone".into());
        }
        let mut versions = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        let mut milestones = Vec::new();
        for (mi, m) in self.milestones.iter().enumerate() {
            let at = format!("milestones[{mi}]");
            if let Err(rule) = check_version(&m.version) {
                fail(format!("{at}.version"), rule);
            } else if !versions.insert(m.version.clone()) {
                fail(format!("{at}.version"), "must be unique in the proposal".into());
            }
            if !limited(&m.name) {
                fail(format!("{at}.name"), format!("is required (at most {MAX_TEXT} characters)"));
            }
            let mut phases = Vec::new();
            for (pi, p) in m.phases.iter().enumerate() {
                let at = format!("{at}.phases[{pi}]");
                let number = match PhaseNumber::parse(&p.number) {
                    Ok(n) if numbers.insert(n.clone()) => Some(n),
                    Ok(n) => {
                        fail(format!("{at}.number"), format!("{n} is proposed twice"));
                        None
                    }
                    Err(e) => {
                        fail(format!("{at}.number"), e.to_string());
                        None
                    }
                };
                if !limited(&p.name) {
                    fail(format!("{at}.name"), format!("is required (at most {MAX_TEXT} characters)"));
                }
                // An invalid number is already an error; the rest is still checked.
                let mut phase = Phase::new(number.clone().unwrap_or_else(PhaseNumber::first), &p.name);
                phase.goal = p.goal.trim().to_owned();
                match p.phase_type.as_deref().map(str::parse::<PhaseType>).transpose() {
                    Ok(t) => phase.phase_type = t,
                    Err(e) => fail(format!("{at}.type"), e.to_string()),
                }
                match p.verification_level.as_deref().map(str::parse::<VerificationLevel>).transpose() {
                    Ok(v) => phase.verification_level = v.unwrap_or_default(),
                    Err(e) => fail(format!("{at}.verification_level"), e.to_string()),
                }
                for dep in &p.depends_on {
                    match PhaseNumber::parse(dep) {
                        Ok(n) => phase.depends_on.push(n),
                        Err(e) => fail(format!("{at}.depends_on"), e.to_string()),
                    }
                }
                for id in &p.requirements {
                    match RequirementId::parse(id) {
                        Ok(id) => phase.requirements.push(id),
                        Err(e) => fail(format!("{at}.requirements"), e.to_string()),
                    }
                }
                phase.success_criteria =
                    p.success_criteria.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
                phases.push(phase);
            }
            milestones.push((m.clone(), phases));
        }
        let mut ids = BTreeSet::new();
        let mut requirements = Vec::new();
        for (ri, r) in self.requirements.iter().enumerate() {
            let at = format!("requirements[{ri}]");
            let id = match RequirementId::parse(&r.id) {
                Ok(id) if ids.insert(id.clone()) => Some(id),
                Ok(id) => {
                    fail(format!("{at}.id"), format!("{id} is proposed twice"));
                    None
                }
                Err(e) => {
                    fail(format!("{at}.id"), e.to_string());
                    None
                }
            };
            if !limited(&r.text) {
                fail(format!("{at}.text"), format!("is required (at most {MAX_TEXT} characters)"));
            }
            let tier = match r.tier.as_deref().map(str::parse::<Tier>).transpose() {
                Ok(t) => t.unwrap_or(Tier::V1),
                Err(e) => {
                    fail(format!("{at}.tier"), e.to_string());
                    Tier::V1
                }
            };
            if let Some(id) = id {
                let category =
                    if r.category.trim().is_empty() { id.category().to_owned() } else { r.category.trim().to_owned() };
                requirements.push(Requirement {
                    id,
                    category,
                    text: r.text.trim().to_owned(),
                    tier,
                    priority: r.priority.clone().filter(|p| !p.trim().is_empty()),
                    status: RequirementStatus::Pending,
                    phase: None,
                });
            }
        }
        if errors.is_empty() { Ok(CheckedProposal { milestones, requirements }) } else { Err(errors) }
    }

    /// What accepting would change in `roadmap`, item by item.
    #[must_use]
    pub fn diff(&self, roadmap: &Roadmap) -> Diff {
        let mut diff = Diff::default();
        for m in &self.milestones {
            let before = roadmap.milestones.iter().find(|x| x.version == m.version);
            diff.milestones.push(Change::of(
                &m.version,
                before
                    .map(|b| vec![("name", b.name.clone(), m.name.clone()), ("goal", b.goal.clone(), m.goal.clone())]),
            ));
            for p in &m.phases {
                let before = PhaseNumber::parse(&p.number).ok().and_then(|n| roadmap.phase(&n).cloned());
                let milestone_of = |n: &PhaseNumber| {
                    roadmap
                        .milestones
                        .iter()
                        .find(|x| x.phases.iter().any(|q| &q.number == n))
                        .map(|x| x.version.clone())
                };
                diff.phases.push(Change::of(
                    &p.number,
                    before.map(|b| {
                        vec![
                            ("milestone", milestone_of(&b.number).unwrap_or_default(), m.version.clone()),
                            ("name", b.name.clone(), p.name.clone()),
                            ("goal", b.goal.clone(), p.goal.clone()),
                            ("depends_on", join(&b.depends_on), p.depends_on.join(", ")),
                            ("requirements", join(&b.requirements), p.requirements.join(", ")),
                        ]
                    }),
                ));
            }
        }
        for r in &self.requirements {
            let before = roadmap.requirements.iter().find(|x| x.id.as_str() == r.id);
            diff.requirements.push(Change::of(&r.id, before.map(|b| vec![("text", b.text.clone(), r.text.clone())])));
        }
        diff
    }
}

/// How an accepted proposal meets the phases already there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// Existing phases the proposal's phase of the same number replaces (name, goal,
    /// dependencies, requirements; status and plans kept). Every other proposed phase
    /// whose number is taken is added after the existing phases instead.
    pub replace: Vec<PhaseNumber>,
    /// Replacing a completed phase, or renaming a milestone with completed phases, was confirmed.
    pub confirmed: bool,
}

impl CheckedProposal {
    /// Merges the proposal into `roadmap`. Phases are added, never silently
    /// merged: a proposed phase whose number is taken (and not in
    /// `options.replace`) is renumbered after the existing phases, with the
    /// proposal's dependencies and requirement links following it. A requirement
    /// whose id is taken by another text gets the next free id of its category.
    /// Existing milestones keep their name and goal unless none of their phases
    /// is complete (or `options.confirmed`). The first new milestone becomes
    /// active when none is.
    ///
    /// # Errors
    /// [`RuleError::Unconfirmed`] when it would replace or rename completed work
    /// without `options.confirmed`; [`RuleError::NoRequirement`] when a phase
    /// lists a requirement in neither the proposal nor the roadmap; the caller
    /// checks dependencies.
    pub fn apply(&self, roadmap: &mut Roadmap, options: &MergeOptions) -> Result<(), RuleError> {
        let completed = |r: &Roadmap, n: &PhaseNumber| r.phase(n).is_some_and(|p| p.status == PhaseStatus::Complete);
        let unconfirmed: Vec<String> = options
            .replace
            .iter()
            .filter(|n| completed(roadmap, n))
            .map(|n| format!("phase {n} '{}' is complete", roadmap.phase(n).map_or("", |p| p.name.as_str())))
            .collect();
        if !unconfirmed.is_empty() && !options.confirmed {
            return Err(RuleError::Unconfirmed(unconfirmed.join("; ")));
        }
        let numbers = self.renumbering(roadmap, &options.replace);
        let ids = self.requirement_ids(roadmap);
        for mut requirement in self.requirements.iter().cloned() {
            let id = ids.get(&requirement.id).cloned().unwrap_or_else(|| requirement.id.clone());
            match roadmap.requirements.iter_mut().find(|r| r.id == id) {
                // The same id with the same text: the proposal means this requirement.
                Some(existing) => {
                    existing.category = requirement.category;
                    existing.tier = requirement.tier;
                    existing.priority = requirement.priority;
                }
                None => {
                    requirement.id = id;
                    roadmap.requirements.push(requirement);
                }
            }
        }
        let mut any_active = roadmap.milestones.iter().any(|m| m.status == MilestoneStatus::Active);
        for (proposed, phases) in self.milestones.iter().cloned() {
            let index = match roadmap.milestones.iter().position(|m| m.version == proposed.version) {
                Some(i) => {
                    let done = roadmap.milestones[i].phases.iter().any(|p| p.status == PhaseStatus::Complete);
                    let m = &mut roadmap.milestones[i];
                    if !done || options.confirmed {
                        m.name = proposed.name.trim().to_owned();
                        if !proposed.goal.trim().is_empty() {
                            m.goal = proposed.goal.trim().to_owned();
                        }
                    }
                    i
                }
                None => {
                    roadmap.milestones.push(Milestone {
                        version: proposed.version.clone(),
                        name: proposed.name.trim().to_owned(),
                        goal: proposed.goal.trim().to_owned(),
                        status: if any_active { MilestoneStatus::Planned } else { MilestoneStatus::Active },
                        phases: Vec::new(),
                    });
                    any_active = true;
                    roadmap.milestones.len() - 1
                }
            };
            for mut phase in phases {
                phase.number = renumbered(&numbers, &phase.number);
                phase.depends_on = phase.depends_on.iter().map(|n| renumbered(&numbers, n)).collect();
                phase.requirements =
                    phase.requirements.iter().map(|id| ids.get(id).cloned().unwrap_or_else(|| id.clone())).collect();
                if let Some(existing) = roadmap.take_phase(&phase.number) {
                    phase.status = existing.status;
                    phase.plans = existing.plans;
                    // Requirements the replaced phase delivered and the new one does not are unmapped.
                    for r in &mut roadmap.requirements {
                        if r.phase.as_ref() == Some(&phase.number) && !phase.requirements.contains(&r.id) {
                            r.phase = None;
                        }
                    }
                }
                for id in &phase.requirements {
                    let requirement = roadmap
                        .requirements
                        .iter_mut()
                        .find(|r| &r.id == id)
                        .ok_or_else(|| RuleError::NoRequirement(id.clone()))?;
                    requirement.phase = Some(phase.number.clone());
                }
                let milestone = &mut roadmap.milestones[index];
                milestone.phases.push(phase);
                milestone.phases.sort_by(|a, b| a.number.cmp(&b.number));
            }
        }
        Ok(())
    }

    /// New numbers for the proposed phases whose number is taken and not replaced:
    /// after the highest existing phase, in the proposal's order. Empty when none collide.
    fn renumbering(&self, roadmap: &Roadmap, replace: &[PhaseNumber]) -> BTreeMap<PhaseNumber, PhaseNumber> {
        let proposed: Vec<&PhaseNumber> = self.milestones.iter().flat_map(|(_, ps)| ps).map(|p| &p.number).collect();
        let collides = proposed.iter().any(|n| roadmap.phase(n).is_some() && !replace.contains(n));
        if !collides {
            return BTreeMap::new();
        }
        // Once one collides, every phase the proposal adds moves after the existing ones, so
        // the plan keeps its order; replaced phases keep their numbers.
        let mut next = roadmap.milestones.iter().flat_map(|m| &m.phases).map(|p| p.number.major()).max().unwrap_or(0);
        proposed
            .into_iter()
            .filter(|n| !replace.contains(n))
            .map(|n| {
                next += 1;
                (n.clone(), PhaseNumber::whole(next))
            })
            .collect()
    }

    /// New ids for the proposed requirements whose id is taken by a different text.
    fn requirement_ids(&self, roadmap: &Roadmap) -> BTreeMap<RequirementId, RequirementId> {
        let mut taken: BTreeSet<RequirementId> = roadmap.requirements.iter().map(|r| r.id.clone()).collect();
        taken.extend(self.requirements.iter().map(|r| r.id.clone()));
        let mut moved = BTreeMap::new();
        for r in &self.requirements {
            let clash = roadmap.requirements.iter().any(|e| e.id == r.id && e.text.trim() != r.text.trim());
            if clash && let Some(id) = (1..).map(|n| r.id.numbered(n)).find(|id| !taken.contains(id)) {
                taken.insert(id.clone());
                moved.insert(r.id.clone(), id);
            }
        }
        moved
    }
}

/// `n` as `numbers` renumber it, or unchanged.
fn renumbered(numbers: &BTreeMap<PhaseNumber, PhaseNumber>, n: &PhaseNumber) -> PhaseNumber {
    numbers.get(n).cloned().unwrap_or_else(|| n.clone())
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// What accepting a proposal changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Milestones by version.
    pub milestones: Vec<Change>,
    /// Phases by number.
    pub phases: Vec<Change>,
    /// Requirements by id.
    pub requirements: Vec<Change>,
}

/// One item of a [`Diff`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The version, number or id.
    pub key: String,
    /// `added`, `changed` or `unchanged`.
    pub kind: &'static str,
    /// The fields that change, with their values before and after.
    pub fields: Vec<FieldChange>,
}

/// A field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field.
    pub field: &'static str,
    /// Now.
    pub before: String,
    /// After accepting.
    pub after: String,
}

impl Change {
    fn of(key: &str, before: Option<Vec<(&'static str, String, String)>>) -> Self {
        let Some(fields) = before else {
            return Self { key: key.to_owned(), kind: "added", fields: Vec::new() };
        };
        let fields: Vec<FieldChange> = fields
            .into_iter()
            .filter(|(_, b, a)| b.trim() != a.trim())
            .map(|(field, before, after)| FieldChange { field, before, after })
            .collect();
        Self { key: key.to_owned(), kind: if fields.is_empty() { "unchanged" } else { "changed" }, fields }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PhaseStatus;

    const PLAN: &str = r#"Sure! ```json
    {"summary": "two phases", "milestones": [{"version": "v1.0", "name": "MVP", "goal": "ship",
      "phases": [{"number": 1, "name": "Auth", "type": "implement", "requirements": ["AUTH-01"]},
                 {"number": "2", "name": "Lists", "depends_on": [1], "requirements": ["LIST-01"], "extra": true}]}],
     "requirements": [{"id": "AUTH-01", "text": "Sign in"}, {"id": "LIST-01", "category": "Lists", "text": "Make lists", "tier": "v1"}]}
    ```"#;

    #[test]
    fn questions_may_be_strings_or_objects() {
        let qs = parse_questions(
            r#"{"questions": ["Who?", {"id": "scale", "question": "How many?", "options": ["10", "1000"]}]}"#,
        )
        .unwrap();
        assert_eq!(qs[0], Question { id: "q1".into(), text: "Who?".into(), why: None, options: vec![] });
        assert_eq!(qs[1].id, "scale");
        assert_eq!(qs[1].options, ["10", "1000"]);
        let err = parse_questions(r#"{"questions": "none"}"#).unwrap_err();
        assert!(err.0.contains("must be a list"), "{err}");
        let err = parse_questions(r#"{"questions": ["a", {"id": "q1", "text": "b"}]}"#).unwrap_err();
        assert!(err.0.contains("two questions have the id 'q1'"), "{err}");
    }

    #[test]
    fn a_proposal_is_read_leniently_and_checked_strictly() {
        let p = parse_proposal(PLAN).unwrap();
        assert_eq!(p.milestones[0].phases[1].depends_on, ["1"]);
        let mut bad = p.clone();
        bad.milestones[0].phases[1].number = "two".into();
        bad.milestones[0].phases[0].phase_type = Some("coding".into());
        bad.requirements[1].id = "AUTH-01".into();
        let errors = bad.checked().unwrap_err();
        assert!(errors["milestones[0].phases[1].number"].contains("invalid phase number 'two'"));
        assert!(errors["milestones[0].phases[0].type"].contains("unknown phase type 'coding'"));
        assert!(errors["requirements[1].id"].contains("proposed twice"));
        // A version names an export folder: a bot cannot aim it outside.
        for version in ["../../../../tmp/x", "..", ".", ".hidden", "a/b", "v1 beta", ""] {
            let mut evil = p.clone();
            evil.milestones[0].version = version.into();
            let errors = evil.checked().unwrap_err();
            assert!(errors["milestones[0].version"].contains("starting with a letter or digit"), "{version:?}");
        }
        let err = parse_proposal(r#"{"milestones": []}"#).unwrap_err();
        assert!(err.0.contains("milestones must list at least one milestone"), "{err}");
    }

    fn number(n: &str) -> PhaseNumber {
        PhaseNumber::parse(n).unwrap()
    }

    /// A roadmap with PLAN accepted and its phase 1 complete.
    fn done_first_phase() -> Roadmap {
        let mut roadmap = Roadmap::default();
        parse_proposal(PLAN).unwrap().checked().unwrap().apply(&mut roadmap, &MergeOptions::default()).unwrap();
        assert_eq!(roadmap.milestones[0].status, MilestoneStatus::Active);
        assert_eq!(roadmap.coverage().mapped, 2);
        roadmap.phase_mut(&number("1")).unwrap().status = PhaseStatus::Complete;
        roadmap
    }

    /// A second plan whose phase numbers collide with PLAN's, with other requirements under the same ids.
    fn second_plan() -> Proposal {
        let mut next = parse_proposal(PLAN).unwrap();
        next.milestones[0].name = "Renamed".into();
        next.milestones[0].phases[0].name = "Accounts".into();
        next.requirements[0].text = "Manage accounts".into();
        next.milestones.push(ProposedMilestone {
            version: "v2.0".into(),
            name: "Later".into(),
            goal: String::new(),
            phases: vec![],
        });
        next
    }

    #[test]
    fn an_accepted_plan_adds_its_phases_after_the_existing_ones_and_never_renames_completed_work() {
        let mut roadmap = done_first_phase();
        let next = second_plan();
        let diff = next.diff(&roadmap);
        assert_eq!(diff.milestones.iter().map(|c| c.kind).collect::<Vec<_>>(), ["changed", "added"]);
        assert_eq!(diff.phases[0].kind, "changed", "the number is taken: the diff shows by what");
        assert_eq!(
            (diff.phases[0].fields[0].before.as_str(), diff.phases[0].fields[0].after.as_str()),
            ("Auth", "Accounts")
        );

        next.checked().unwrap().apply(&mut roadmap, &MergeOptions::default()).unwrap();
        // The completed phase is untouched, and so is its milestone's name.
        let first = roadmap.phase(&number("1")).unwrap();
        assert_eq!((first.name.as_str(), first.status), ("Auth", PhaseStatus::Complete));
        assert_eq!(roadmap.milestones[0].name, "MVP");
        // The plan's phases follow, renumbered 3 and 4, its dependency following them.
        let (third, fourth) = (roadmap.phase(&number("3")).unwrap(), roadmap.phase(&number("4")).unwrap());
        assert_eq!((third.name.as_str(), third.status), ("Accounts", PhaseStatus::Pending));
        assert_eq!((fourth.name.as_str(), fourth.depends_on.clone()), ("Lists", vec![number("3")]));
        // AUTH-01 is taken by another text: the new one is AUTH-02, mapped to phase 3; AUTH-01 stays with phase 1.
        let requirement = |id: &str| roadmap.requirements.iter().find(|r| r.id.as_str() == id).unwrap();
        assert_eq!(
            (requirement("AUTH-01").text.as_str(), requirement("AUTH-01").phase.clone()),
            ("Sign in", Some(number("1")))
        );
        assert_eq!(
            (requirement("AUTH-02").text.as_str(), requirement("AUTH-02").phase.clone()),
            ("Manage accounts", Some(number("3")))
        );
        // LIST-01 has the same text: the same requirement, now delivered by phase 4.
        assert_eq!(requirement("LIST-01").phase, Some(number("4")));
        assert_eq!(roadmap.requirements.len(), 3);
        assert_eq!(roadmap.milestones[1].status, MilestoneStatus::Planned);
        roadmap.check_dependencies().unwrap();
    }

    #[test]
    fn replacing_a_completed_phase_needs_a_confirmation_and_keeps_its_status() {
        let mut roadmap = done_first_phase();
        let before = roadmap.clone();
        let checked = second_plan().checked().unwrap();
        let replace = MergeOptions { replace: vec![number("1")], confirmed: false };
        let err = checked.apply(&mut roadmap, &replace).unwrap_err();
        assert!(matches!(&err, RuleError::Unconfirmed(why) if why.contains("phase 1 'Auth' is complete")), "{err}");
        assert_eq!(roadmap, before, "refused whole");

        checked.apply(&mut roadmap, &MergeOptions { confirmed: true, ..replace }).unwrap();
        let first = roadmap.phase(&number("1")).unwrap();
        assert_eq!((first.name.as_str(), first.status), ("Accounts", PhaseStatus::Complete));
        assert_eq!(roadmap.milestones[0].name, "Renamed", "confirmed: the milestone may be renamed too");
        // Phase 2 was not chosen for replacing: it is added as phase 3.
        assert_eq!(roadmap.phase(&number("3")).unwrap().name, "Lists");
        assert_eq!(roadmap.phase(&number("3")).unwrap().depends_on, [number("1")], "it depends on the replaced phase");
    }

    #[test]
    fn a_plan_whose_numbers_are_free_keeps_them() {
        let mut roadmap = Roadmap::default();
        let mut plan = parse_proposal(PLAN).unwrap();
        plan.checked().unwrap().apply(&mut roadmap, &MergeOptions::default()).unwrap();
        plan.milestones[0].phases.retain(|p| p.number == "2");
        plan.milestones[0].phases[0].number = "2.1".into();
        plan.milestones[0].phases[0].name = "Sharing".into();
        plan.milestones[0].phases[0].requirements.clear();
        plan.requirements.clear();
        plan.checked().unwrap().apply(&mut roadmap, &MergeOptions::default()).unwrap();
        assert_eq!(roadmap.phase(&number("2.1")).unwrap().name, "Sharing");
    }

    #[test]
    fn a_phase_listing_an_unknown_requirement_is_refused() {
        let mut p = parse_proposal(PLAN).unwrap();
        p.milestones[0].phases[0].requirements.push("GHOST-01".into());
        let mut roadmap = Roadmap::default();
        let err = p.checked().unwrap().apply(&mut roadmap, &MergeOptions::default()).unwrap_err();
        assert_eq!(err, RuleError::NoRequirement(RequirementId::parse("GHOST-01").unwrap()));
    }
}
