//! What a planning bot replies with: clarifying questions, then a proposed
//! plan. The wire shapes are documented in `docs/planning.md`; they are read
//! leniently (numbers as text or numbers, unknown members ignored) and then
//! checked strictly, field by field.

use super::reply::{MalformedReply, object_with};
use crate::ids::{PhaseNumber, RequirementId};
use crate::model::{Milestone, MilestoneStatus, Phase, PhaseType, Requirement, RequirementStatus, Roadmap, Tier};
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

impl CheckedProposal {
    /// Merges the proposal into `roadmap`: milestones by version, phases by
    /// number (their status and plans kept, moved to the proposed milestone),
    /// requirements by id (status kept; mapped to the phase that lists them).
    /// The first new milestone becomes active when none is.
    ///
    /// # Errors
    /// [`RuleError::NoRequirement`] when a phase lists a requirement that is in
    /// neither the proposal nor the roadmap; the caller checks dependencies.
    pub fn apply(&self, roadmap: &mut Roadmap) -> Result<(), RuleError> {
        for requirement in self.requirements.iter().cloned() {
            match roadmap.requirements.iter_mut().find(|r| r.id == requirement.id) {
                Some(existing) => {
                    existing.category = requirement.category;
                    existing.text = requirement.text;
                    existing.tier = requirement.tier;
                    existing.priority = requirement.priority;
                }
                None => roadmap.requirements.push(requirement),
            }
        }
        let mut any_active = roadmap.milestones.iter().any(|m| m.status == MilestoneStatus::Active);
        for (proposed, phases) in self.milestones.iter().cloned() {
            let index = match roadmap.milestones.iter().position(|m| m.version == proposed.version) {
                Some(i) => {
                    let m = &mut roadmap.milestones[i];
                    m.name = proposed.name.trim().to_owned();
                    if !proposed.goal.trim().is_empty() {
                        m.goal = proposed.goal.trim().to_owned();
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
                if let Some(existing) = roadmap.take_phase(&phase.number) {
                    phase.status = existing.status;
                    phase.plans = existing.plans;
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

    #[test]
    fn accepting_merges_by_version_number_and_id_keeping_status() {
        let mut roadmap = Roadmap::default();
        parse_proposal(PLAN).unwrap().checked().unwrap().apply(&mut roadmap).unwrap();
        assert_eq!(roadmap.milestones[0].status, MilestoneStatus::Active);
        assert_eq!(roadmap.coverage().mapped, 2);
        roadmap.phase_mut(&PhaseNumber::parse("1").unwrap()).unwrap().status = PhaseStatus::Complete;

        let mut next = parse_proposal(PLAN).unwrap();
        next.milestones[0].phases[0].name = "Sign-in".into();
        next.milestones.push(ProposedMilestone {
            version: "v2.0".into(),
            name: "Later".into(),
            goal: String::new(),
            phases: vec![],
        });
        let diff = next.diff(&roadmap);
        assert_eq!(diff.milestones.iter().map(|c| c.kind).collect::<Vec<_>>(), ["unchanged", "added"]);
        assert_eq!(diff.phases[0].kind, "changed");
        assert_eq!(diff.phases[0].fields[0].field, "name");
        assert_eq!(
            (diff.phases[0].fields[0].before.as_str(), diff.phases[0].fields[0].after.as_str()),
            ("Auth", "Sign-in")
        );
        assert_eq!(diff.phases[1].kind, "unchanged");

        next.checked().unwrap().apply(&mut roadmap).unwrap();
        let phase = roadmap.phase(&PhaseNumber::parse("1").unwrap()).unwrap();
        assert_eq!((phase.name.as_str(), phase.status), ("Sign-in", PhaseStatus::Complete));
        assert_eq!(roadmap.milestones[1].status, MilestoneStatus::Planned);
        assert_eq!(roadmap.requirements.len(), 2);
    }

    #[test]
    fn a_phase_listing_an_unknown_requirement_is_refused() {
        let mut p = parse_proposal(PLAN).unwrap();
        p.milestones[0].phases[0].requirements.push("GHOST-01".into());
        let mut roadmap = Roadmap::default();
        let err = p.checked().unwrap().apply(&mut roadmap).unwrap_err();
        assert_eq!(err, RuleError::NoRequirement(RequirementId::parse("GHOST-01").unwrap()));
    }
}
