//! The rules of a roadmap: dependencies form a DAG, a phase others depend on
//! cannot go, coverage of v1 requirements, progress, phases ready to start,
//! and the layers of phases that can run in parallel.

use crate::ids::{PhaseNumber, RequirementId};
use crate::model::{Phase, PhaseStatus, ResearchDoc, Roadmap, Tier};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why a change to a roadmap was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The change would make dependencies circular (422): the cycle, first phase repeated at the end.
    #[error("dependencies would form a cycle: {}", join(.0, " → "))]
    Cycle(Vec<PhaseNumber>),
    /// A dependency names a phase that does not exist (422).
    #[error("phase {phase} depends on phase {missing}, which does not exist")]
    UnknownDependency {
        /// The phase.
        phase: PhaseNumber,
        /// The missing one.
        missing: PhaseNumber,
    },
    /// A phase depends on itself (422).
    #[error("phase {0} cannot depend on itself")]
    SelfDependency(PhaseNumber),
    /// Other phases depend on the one to delete (409): them.
    #[error("{}", depend_on_it(.0))]
    HasDependents(Vec<PhaseNumber>),
    /// No such phase (404).
    #[error("phase {0} not found")]
    NoPhase(PhaseNumber),
    /// A phase number, milestone version or requirement id is taken (409).
    #[error("{0} already exists")]
    Duplicate(String),
    /// No such milestone (404).
    #[error("milestone {0} not found")]
    NoMilestone(String),
    /// No such decision, todo or document (404).
    #[error("{0} not found")]
    NoEntry(String),
    /// No such requirement (404).
    #[error("requirement {0} not found")]
    NoRequirement(RequirementId),
    /// The change would replace completed work and was not confirmed (409): what it would replace.
    #[error("{0}: accept again with confirmation to replace it")]
    Unconfirmed(String),
}

fn depend_on_it(phases: &[PhaseNumber]) -> String {
    match phases {
        [one] => format!("phase {one} depends on it"),
        many => format!("phases {} depend on it", join(many, ", ")),
    }
}

fn join(items: &[PhaseNumber], by: &str) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(by)
}

/// v1 requirements mapped to exactly one phase, over all v1 requirements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// v1 requirements mapped to exactly one phase.
    pub mapped: usize,
    /// All v1 requirements.
    pub total: usize,
    /// v1 requirements no phase delivers.
    pub unmapped: Vec<RequirementId>,
    /// v1 requirements more than one phase claims.
    pub multiply_mapped: Vec<RequirementId>,
}

/// How far a phase has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseProgress {
    /// The phase.
    pub number: PhaseNumber,
    /// Plans checked off.
    pub plans_done: usize,
    /// Its plans.
    pub plans_total: usize,
    /// 0–100: 100 when complete, else the share of plans done.
    pub percent: u8,
}

/// How far a milestone has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilestoneProgress {
    /// Its version.
    pub version: String,
    /// Phases complete.
    pub phases_complete: usize,
    /// Its phases (deferred ones not counted).
    pub phases_total: usize,
    /// 0–100, the mean of its phases' percentages.
    pub percent: u8,
}

/// Progress of every phase and milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Per phase, by number.
    pub phases: Vec<PhaseProgress>,
    /// Per milestone.
    pub milestones: Vec<MilestoneProgress>,
}

fn percent(part: usize, whole: usize) -> u8 {
    (part * 100).checked_div(whole).map_or(0, |p| u8::try_from(p).unwrap_or(100))
}

fn phase_progress(phase: &Phase) -> PhaseProgress {
    let plans_done = phase.plans.iter().filter(|p| p.done).count();
    let plans_total = phase.plans.len();
    let percent = match phase.status {
        PhaseStatus::Complete => 100,
        _ => percent(plans_done, plans_total),
    };
    PhaseProgress { number: phase.number.clone(), plans_done, plans_total, percent }
}

impl Roadmap {
    /// Checks that every dependency exists and that they form no cycle.
    ///
    /// # Errors
    /// [`RuleError::SelfDependency`], [`RuleError::UnknownDependency`] or
    /// [`RuleError::Cycle`] (the first cycle found, by phase number).
    pub fn check_dependencies(&self) -> Result<(), RuleError> {
        let numbers: BTreeSet<&PhaseNumber> = self.phases().into_iter().map(|p| &p.number).collect();
        for phase in self.phases() {
            for dep in &phase.depends_on {
                if dep == &phase.number {
                    return Err(RuleError::SelfDependency(dep.clone()));
                }
                if !numbers.contains(dep) {
                    return Err(RuleError::UnknownDependency { phase: phase.number.clone(), missing: dep.clone() });
                }
            }
        }
        match self.find_cycle() {
            Some(cycle) => Err(RuleError::Cycle(cycle)),
            None => Ok(()),
        }
    }

    /// The first cycle in the dependency graph, by depth-first search from
    /// the lowest phase number: `[a, b, …, a]`.
    fn find_cycle(&self) -> Option<Vec<PhaseNumber>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        fn visit<'a>(
            node: &'a PhaseNumber,
            edges: &BTreeMap<&'a PhaseNumber, Vec<&'a PhaseNumber>>,
            marks: &mut BTreeMap<&'a PhaseNumber, Mark>,
            path: &mut Vec<&'a PhaseNumber>,
        ) -> Option<Vec<PhaseNumber>> {
            match marks.get(node) {
                Some(Mark::Done) => return None,
                Some(Mark::Open) => {
                    let start = path.iter().position(|n| *n == node).unwrap_or(0);
                    let mut cycle: Vec<PhaseNumber> = path[start..].iter().map(|n| (*n).clone()).collect();
                    cycle.push(node.clone());
                    return Some(cycle);
                }
                None => {}
            }
            marks.insert(node, Mark::Open);
            path.push(node);
            for next in edges.get(node).into_iter().flatten() {
                if let Some(cycle) = visit(next, edges, marks, path) {
                    return Some(cycle);
                }
            }
            path.pop();
            marks.insert(node, Mark::Done);
            None
        }
        let phases = self.phases();
        let mut edges: BTreeMap<&PhaseNumber, Vec<&PhaseNumber>> = BTreeMap::new();
        for phase in &phases {
            let mut deps: Vec<&PhaseNumber> = phase.depends_on.iter().collect();
            deps.sort();
            edges.insert(&phase.number, deps);
        }
        let mut marks = BTreeMap::new();
        for phase in &phases {
            let mut path = Vec::new();
            if let Some(cycle) = visit(&phase.number, &edges, &mut marks, &mut path) {
                return Some(cycle);
            }
        }
        None
    }

    /// Replaces a phase's dependencies, unless that breaks the rules (then nothing changes).
    ///
    /// # Errors
    /// [`RuleError::NoPhase`], or what [`Roadmap::check_dependencies`] finds.
    pub fn set_dependencies(&mut self, number: &PhaseNumber, depends_on: Vec<PhaseNumber>) -> Result<(), RuleError> {
        let mut next = self.clone();
        let phase = next.phase_mut(number).ok_or_else(|| RuleError::NoPhase(number.clone()))?;
        let mut deps = depends_on;
        deps.sort();
        deps.dedup();
        phase.depends_on = deps;
        next.check_dependencies()?;
        *self = next;
        Ok(())
    }

    /// The phases that depend on `number`, by number.
    #[must_use]
    pub fn dependents(&self, number: &PhaseNumber) -> Vec<PhaseNumber> {
        self.phases().into_iter().filter(|p| p.depends_on.contains(number)).map(|p| p.number.clone()).collect()
    }

    /// Removes a phase no other phase depends on.
    ///
    /// # Errors
    /// [`RuleError::NoPhase`], or [`RuleError::HasDependents`] naming them.
    pub fn remove_phase(&mut self, number: &PhaseNumber) -> Result<Phase, RuleError> {
        let dependents = self.dependents(number);
        if !dependents.is_empty() {
            return Err(RuleError::HasDependents(dependents));
        }
        for milestone in &mut self.milestones {
            if let Some(i) = milestone.phases.iter().position(|p| &p.number == number) {
                return Ok(milestone.phases.remove(i));
            }
        }
        Err(RuleError::NoPhase(number.clone()))
    }

    /// Takes a phase out whatever depends on it (to move it to another milestone).
    pub fn take_phase(&mut self, number: &PhaseNumber) -> Option<Phase> {
        self.milestones.iter_mut().find_map(|m| {
            let i = m.phases.iter().position(|p| &p.number == number)?;
            Some(m.phases.remove(i))
        })
    }

    /// Which phases deliver each requirement: those listing it, and the one
    /// its traceability row names.
    #[must_use]
    pub fn requirement_phases(&self) -> BTreeMap<&RequirementId, BTreeSet<&PhaseNumber>> {
        let mut map: BTreeMap<&RequirementId, BTreeSet<&PhaseNumber>> = BTreeMap::new();
        for phase in self.phases() {
            for id in &phase.requirements {
                map.entry(id).or_default().insert(&phase.number);
            }
        }
        for requirement in &self.requirements {
            if let Some(phase) = &requirement.phase {
                map.entry(&requirement.id).or_default().insert(phase);
            }
        }
        map
    }

    /// Writes (creates or replaces) the research document of `kind` for `milestone`.
    ///
    /// # Errors
    /// [`RuleError::NoMilestone`] when there is no such milestone.
    pub fn put_research(&mut self, doc: ResearchDoc) -> Result<(), RuleError> {
        if self.milestones.iter().all(|m| m.version != doc.milestone) {
            return Err(RuleError::NoMilestone(doc.milestone));
        }
        self.research.retain(|d| !(d.milestone == doc.milestone && d.kind == doc.kind));
        self.research.push(doc);
        Ok(())
    }

    /// Coverage of the v1 requirements.
    #[must_use]
    pub fn coverage(&self) -> Coverage {
        let phases = self.requirement_phases();
        let mut coverage = Coverage::default();
        for requirement in self.requirements.iter().filter(|r| r.tier == Tier::V1) {
            coverage.total += 1;
            match phases.get(&requirement.id).map_or(0, BTreeSet::len) {
                0 => coverage.unmapped.push(requirement.id.clone()),
                1 => coverage.mapped += 1,
                _ => coverage.multiply_mapped.push(requirement.id.clone()),
            }
        }
        coverage
    }

    /// Progress of every phase and milestone.
    #[must_use]
    pub fn progress(&self) -> Progress {
        let phases = self.phases().into_iter().map(phase_progress).collect();
        let milestones = self
            .milestones
            .iter()
            .map(|m| {
                let counted: Vec<&Phase> = m.phases.iter().filter(|p| p.status != PhaseStatus::Deferred).collect();
                let sum: usize = counted.iter().map(|p| usize::from(phase_progress(p).percent)).sum();
                MilestoneProgress {
                    version: m.version.clone(),
                    phases_complete: counted.iter().filter(|p| p.status == PhaseStatus::Complete).count(),
                    phases_total: counted.len(),
                    percent: sum.checked_div(counted.len()).map_or(0, |p| u8::try_from(p).unwrap_or(100)),
                }
            })
            .collect();
        Progress { phases, milestones }
    }

    /// Pending phases whose dependencies are all complete.
    #[must_use]
    pub fn ready(&self) -> Vec<PhaseNumber> {
        let complete: BTreeSet<&PhaseNumber> =
            self.phases().into_iter().filter(|p| p.status == PhaseStatus::Complete).map(|p| &p.number).collect();
        self.phases()
            .into_iter()
            .filter(|p| p.status == PhaseStatus::Pending && p.depends_on.iter().all(|d| complete.contains(d)))
            .map(|p| p.number.clone())
            .collect()
    }

    /// Topological layers: each phase sits one layer after the last of its
    /// dependencies, so the phases of one layer can run in parallel. Empty
    /// when the dependencies have a cycle.
    #[must_use]
    pub fn layers(&self) -> Vec<Vec<PhaseNumber>> {
        if self.find_cycle().is_some() {
            return Vec::new();
        }
        let phases = self.phases();
        let mut depth: BTreeMap<&PhaseNumber, usize> = BTreeMap::new();
        // Repeated relaxation: at most one pass per phase, as the graph is acyclic.
        for _ in 0..=phases.len() {
            let mut changed = false;
            for phase in &phases {
                let d = phase.depends_on.iter().filter_map(|dep| depth.get(dep)).map(|d| d + 1).max().unwrap_or(0);
                if depth.get(&phase.number) != Some(&d) {
                    depth.insert(&phase.number, d);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut layers: Vec<Vec<PhaseNumber>> = Vec::new();
        for phase in phases {
            let d = depth.get(&phase.number).copied().unwrap_or(0);
            if layers.len() <= d {
                layers.resize(d + 1, Vec::new());
            }
            layers[d].push(phase.number.clone());
        }
        layers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Milestone, MilestoneStatus, Plan, Requirement, RequirementStatus};

    fn n(s: &str) -> PhaseNumber {
        PhaseNumber::parse(s).unwrap()
    }

    fn r(s: &str) -> RequirementId {
        RequirementId::parse(s).unwrap()
    }

    fn phase(number: &str, deps: &[&str], status: PhaseStatus) -> Phase {
        Phase {
            depends_on: deps.iter().map(|d| n(d)).collect(),
            status,
            ..Phase::new(n(number), &format!("Phase {number}"))
        }
    }

    fn roadmap(phases: Vec<Phase>) -> Roadmap {
        Roadmap {
            project: "Acme".into(),
            milestones: vec![Milestone {
                version: "v1.0".into(),
                name: "First".into(),
                goal: String::new(),
                status: MilestoneStatus::Active,
                phases,
            }],
            ..Roadmap::default()
        }
    }

    fn requirement(id: &str, tier: Tier, phase: Option<&str>) -> Requirement {
        Requirement {
            id: r(id),
            category: "Storage".into(),
            text: id.into(),
            tier,
            priority: None,
            status: RequirementStatus::Pending,
            phase: phase.map(n),
        }
    }

    use PhaseStatus::{Complete, InProgress, Pending};

    #[test]
    fn a_change_that_closes_a_cycle_is_refused_naming_it_and_nothing_changes() {
        let mut map = roadmap(vec![
            phase("1", &[], Pending),
            phase("2", &["1"], Pending),
            phase("2.1", &["2"], Pending),
            phase("3", &["2.1"], Pending),
        ]);
        let before = map.clone();
        let err = map.set_dependencies(&n("1"), vec![n("3")]).unwrap_err();
        assert_eq!(err, RuleError::Cycle(vec![n("1"), n("3"), n("2.1"), n("2"), n("1")]));
        assert_eq!(err.to_string(), "dependencies would form a cycle: 1 → 3 → 2.1 → 2 → 1");
        assert_eq!(map, before);
        assert_eq!(map.set_dependencies(&n("2"), vec![n("2")]).unwrap_err(), RuleError::SelfDependency(n("2")));
        assert_eq!(
            map.set_dependencies(&n("2"), vec![n("9")]).unwrap_err(),
            RuleError::UnknownDependency { phase: n("2"), missing: n("9") }
        );
        assert_eq!(map.set_dependencies(&n("7"), vec![]).unwrap_err(), RuleError::NoPhase(n("7")));
        map.set_dependencies(&n("3"), vec![n("1"), n("2"), n("1")]).unwrap();
        assert_eq!(map.phase(&n("3")).unwrap().depends_on, vec![n("1"), n("2")], "sorted, without repeats");
    }

    #[test]
    fn a_phase_others_depend_on_cannot_be_removed() {
        let mut map = roadmap(vec![phase("1", &[], Pending), phase("2", &["1"], Pending), phase("3", &["1"], Pending)]);
        let err = map.remove_phase(&n("1")).unwrap_err();
        assert_eq!(err, RuleError::HasDependents(vec![n("2"), n("3")]));
        assert_eq!(err.to_string(), "phases 2, 3 depend on it");
        assert_eq!(map.remove_phase(&n("3")).unwrap().number, n("3"));
        assert_eq!(map.remove_phase(&n("1")).unwrap_err().to_string(), "phase 2 depends on it");
        assert_eq!(map.remove_phase(&n("3")).unwrap_err(), RuleError::NoPhase(n("3")));
        assert_eq!(map.phases().len(), 2);
    }

    #[test]
    fn coverage_counts_v1_requirements_mapped_to_exactly_one_phase() {
        let mut map = roadmap(vec![phase("1", &[], Pending), phase("2", &["1"], Pending)]);
        map.milestones[0].phases[0].requirements = vec![r("STOR-01"), r("STOR-02")];
        map.milestones[0].phases[1].requirements = vec![r("STOR-02")];
        map.requirements = vec![
            requirement("STOR-01", Tier::V1, Some("1")),
            requirement("STOR-02", Tier::V1, None),
            requirement("STOR-03", Tier::V1, None),
            requirement("STOR-04", Tier::V1, Some("2")),
            requirement("UI-01", Tier::V2, None),
        ];
        let coverage = map.coverage();
        assert_eq!((coverage.mapped, coverage.total), (2, 4));
        assert_eq!(coverage.unmapped, vec![r("STOR-03")]);
        assert_eq!(coverage.multiply_mapped, vec![r("STOR-02")]);
    }

    #[test]
    fn progress_counts_plans_and_completed_phases() {
        let mut map = roadmap(vec![
            phase("1", &[], Complete),
            phase("2", &["1"], InProgress),
            phase("3", &[], PhaseStatus::Deferred),
        ]);
        map.milestones[0].phases[1].plans = vec![
            Plan { id: "02-01".into(), title: "a".into(), done: true },
            Plan { id: "02-02".into(), title: "b".into(), done: false },
            Plan { id: "02-03".into(), title: "c".into(), done: false },
            Plan { id: "02-04".into(), title: "d".into(), done: false },
        ];
        let progress = map.progress();
        let percents: Vec<u8> = progress.phases.iter().map(|p| p.percent).collect();
        assert_eq!(percents, [100, 25, 0]);
        assert_eq!(
            progress.milestones,
            vec![MilestoneProgress { version: "v1.0".into(), phases_complete: 1, phases_total: 2, percent: 62 }]
        );
    }

    #[test]
    fn ready_phases_are_pending_with_every_dependency_complete() {
        let map = roadmap(vec![
            phase("1", &[], Complete),
            phase("2", &["1"], Pending),
            phase("3", &["1", "2"], Pending),
            phase("4", &[], Pending),
            phase("5", &[], InProgress),
        ]);
        assert_eq!(map.ready(), vec![n("2"), n("4")]);
    }

    #[test]
    fn layers_group_phases_that_can_run_in_parallel() {
        let map = roadmap(vec![
            phase("1", &[], Pending),
            phase("2", &["1"], Pending),
            phase("2.1", &["2"], Pending),
            phase("3", &["1"], Pending),
            phase("4", &[], Pending),
            phase("5", &["2.1", "3"], Pending),
        ]);
        assert_eq!(map.layers(), vec![vec![n("1"), n("4")], vec![n("2"), n("3")], vec![n("2.1")], vec![n("5")]]);
        let cyclic = roadmap(vec![phase("1", &["2"], Pending), phase("2", &["1"], Pending)]);
        assert!(cyclic.layers().is_empty());
        assert!(matches!(cyclic.check_dependencies(), Err(RuleError::Cycle(_))));
    }
}
