//! A project's plan: milestones of phases, requirements, research, and the
//! accumulated context (decisions, todos, open questions) of GRD's `.planning/`.

use crate::ids::{PhaseNumber, RequirementId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not one of an enum's wire names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{value}': expected one of {expected}")]
pub struct UnknownValue {
    /// What was being parsed.
    pub what: &'static str,
    /// The text given.
    pub value: String,
    /// The accepted names.
    pub expected: String,
}

/// An enum with lower-case wire names.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| UnknownValue {
                    what: $what,
                    value: s.to_owned(),
                    expected: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                })
            }
        }
    };
}

wire_enum!(
    /// What kind of work a phase is.
    PhaseType, "phase type", {
        /// Find out (research, spikes).
        Survey => "survey",
        /// Build.
        Implement => "implement",
        /// Measure.
        Evaluate => "evaluate",
        /// Put together.
        Integrate => "integrate",
    }
);

wire_enum!(
    /// How a phase's success is checked.
    VerificationLevel, "verification level", {
        /// A quick check.
        Sanity => "sanity",
        /// A stand-in measurement.
        Proxy => "proxy",
        /// The full check.
        Full => "full",
        /// Checked later.
        Deferred => "deferred",
    }
);

wire_enum!(
    /// Where a phase stands.
    PhaseStatus, "phase status", {
        /// Not started.
        Pending => "pending",
        /// Being worked on.
        InProgress => "in_progress",
        /// Done.
        Complete => "complete",
        /// Put off.
        Deferred => "deferred",
    }
);

wire_enum!(
    /// Which release a requirement belongs to.
    Tier, "tier", {
        /// This release: counted by coverage.
        V1 => "v1",
        /// A later release.
        V2 => "v2",
        /// Not planned.
        OutOfScope => "out_of_scope",
    }
);

wire_enum!(
    /// Where a requirement stands.
    RequirementStatus, "requirement status", {
        /// Not met yet.
        Pending => "pending",
        /// Being worked on.
        InProgress => "in_progress",
        /// Met.
        Done => "done",
        /// Put off.
        Deferred => "deferred",
    }
);

wire_enum!(
    /// Where a milestone stands.
    MilestoneStatus, "milestone status", {
        /// Not started.
        Planned => "planned",
        /// The current one.
        Active => "active",
        /// Shipped.
        Complete => "complete",
    }
);

wire_enum!(
    /// The five research documents of a milestone.
    ResearchKind, "research kind", {
        /// Technology choices.
        Stack => "stack",
        /// What comparable products do.
        Features => "features",
        /// How to build it.
        Architecture => "architecture",
        /// What goes wrong.
        Pitfalls => "pitfalls",
        /// The synthesis of the four.
        Summary => "summary",
    }
);

impl ResearchKind {
    /// The file name under `research/`.
    #[must_use]
    pub const fn file_name(self) -> &'static str {
        match self {
            Self::Stack => "STACK.md",
            Self::Features => "FEATURES.md",
            Self::Architecture => "ARCHITECTURE.md",
            Self::Pitfalls => "PITFALLS.md",
            Self::Summary => "SUMMARY.md",
        }
    }
}

#[allow(clippy::derivable_impls, reason = "the variants come from a macro shared with enums without a default")]
impl Default for VerificationLevel {
    fn default() -> Self {
        Self::Sanity
    }
}

/// One plan of a phase (`01-02: Recovery`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// `01-02`.
    pub id: String,
    /// What it does.
    pub title: String,
    /// Checked off.
    pub done: bool,
}

/// A phase of a milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// Unique in the project; `2.1` is inserted after `2`.
    pub number: PhaseNumber,
    /// Short name.
    pub name: String,
    /// What is true when it is done.
    pub goal: String,
    /// Kind of work.
    pub phase_type: Option<PhaseType>,
    /// Phases that must be complete first.
    pub depends_on: Vec<PhaseNumber>,
    /// Requirements it delivers.
    pub requirements: Vec<RequirementId>,
    /// What must be true.
    pub success_criteria: Vec<String>,
    /// How it is checked.
    pub verification_level: VerificationLevel,
    /// Where it stands.
    pub status: PhaseStatus,
    /// Its plans.
    pub plans: Vec<Plan>,
}

impl Phase {
    /// A pending phase with only a number and a name.
    #[must_use]
    pub fn new(number: PhaseNumber, name: &str) -> Self {
        Self {
            number,
            name: name.to_owned(),
            goal: String::new(),
            phase_type: None,
            depends_on: Vec::new(),
            requirements: Vec::new(),
            success_criteria: Vec::new(),
            verification_level: VerificationLevel::Sanity,
            status: PhaseStatus::Pending,
            plans: Vec::new(),
        }
    }
}

/// Characters a milestone version may have at most.
pub const MAX_VERSION_CHARS: usize = 40;

/// A milestone version names a folder of the export (`milestones/<version>/`),
/// so it must be one safe path segment: 1–40 letters, digits, `.`, `_` or `-`,
/// starting with a letter or digit (never `.`, `..` or a hidden name).
///
/// # Errors
/// What the rule is, as a field message.
pub fn check_version(version: &str) -> Result<(), String> {
    let safe = version.chars().count() <= MAX_VERSION_CHARS
        && version.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && version.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if safe {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to {MAX_VERSION_CHARS} letters, digits, '.', '_' or '-', starting with a letter or digit (v1.2.0)"
        ))
    }
}

/// `version` made to pass [`check_version`]: other characters become `-`, leading
/// punctuation goes, and an empty result becomes `v0`.
#[must_use]
pub fn safe_version(version: &str) -> String {
    let mapped: String =
        version.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
    let trimmed: String =
        mapped.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).chars().take(MAX_VERSION_CHARS).collect();
    if trimmed.is_empty() { "v0".to_owned() } else { trimmed }
}

/// A release: a version, its goal and its phases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// `v1.2.0`.
    pub version: String,
    /// Its name.
    pub name: String,
    /// What it achieves.
    pub goal: String,
    /// Where it stands.
    pub status: MilestoneStatus,
    /// Its phases, by number.
    pub phases: Vec<Phase>,
}

/// A requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// `CAT-NN`, unique in the project.
    pub id: RequirementId,
    /// The category's name (`Storage` for `STOR`).
    pub category: String,
    /// What is required.
    pub text: String,
    /// Which release.
    pub tier: Tier,
    /// Free text (`High`, `P1`).
    pub priority: Option<String>,
    /// Where it stands.
    pub status: RequirementStatus,
    /// The phase the traceability table maps it to.
    pub phase: Option<PhaseNumber>,
}

/// A decision taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What was decided.
    pub text: String,
    /// Why.
    pub rationale: String,
    /// The phase it came from, as written.
    pub phase: Option<String>,
}

/// Something to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// What.
    pub text: String,
    /// Checked off.
    pub done: bool,
}

/// A research document of a milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResearchDoc {
    /// The milestone's version.
    pub milestone: String,
    /// Which of the five.
    pub kind: ResearchKind,
    /// The markdown, header block included.
    pub markdown: String,
    /// The run that wrote it, when a research run did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_by: Option<agented_kernel::ExecutionId>,
}

/// A project's whole plan: what its `.planning/` folder holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roadmap {
    /// The project's name.
    pub project: String,
    /// Milestones, oldest first.
    pub milestones: Vec<Milestone>,
    /// Requirements, in file order.
    pub requirements: Vec<Requirement>,
    /// Decisions.
    pub decisions: Vec<Decision>,
    /// Todos.
    pub todos: Vec<Todo>,
    /// Open questions.
    pub open_questions: Vec<String>,
    /// The phase being worked on.
    pub active_phase: Option<PhaseNumber>,
    /// Research documents.
    pub research: Vec<ResearchDoc>,
    /// Text an import did not understand, kept and written back by export.
    pub notes: Vec<Note>,
}

/// A section (or a whole file) an import did not understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The file it came from, relative to `.planning/`.
    pub file: String,
    /// Its text; it always starts with a heading, unless it is a whole file.
    pub text: String,
}

impl Roadmap {
    /// Every phase of every milestone, by number.
    #[must_use]
    pub fn phases(&self) -> Vec<&Phase> {
        let mut all: Vec<&Phase> = self.milestones.iter().flat_map(|m| &m.phases).collect();
        all.sort_by(|a, b| a.number.cmp(&b.number));
        all
    }

    /// The phase numbered `number`.
    #[must_use]
    pub fn phase(&self, number: &PhaseNumber) -> Option<&Phase> {
        self.milestones.iter().flat_map(|m| &m.phases).find(|p| &p.number == number)
    }

    /// The phase numbered `number`, to change.
    pub fn phase_mut(&mut self, number: &PhaseNumber) -> Option<&mut Phase> {
        self.milestones.iter_mut().flat_map(|m| &mut m.phases).find(|p| &p.number == number)
    }
}
