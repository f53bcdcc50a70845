//! A [`Roadmap`] → `.planning/` files in GRD's template format. The active
//! milestone's roadmap is `ROADMAP.md`, the others are under
//! `milestones/<version>/`; notes go back to the files they came from.
//! `import(export(x))` gives `x` back. Every file name is a clean relative
//! path, whatever was stored: no `..`, `.` or empty segment, no absolute path,
//! so an archive of the files cannot write outside its folder.

use crate::markdown::cell;
use crate::model::{Milestone, MilestoneStatus, Phase, PhaseStatus, RequirementStatus, Roadmap, Tier};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The files, by path relative to `.planning/`.
#[must_use]
pub fn export(roadmap: &Roadmap) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let active = active_version(roadmap);
    for milestone in &roadmap.milestones {
        let path = if Some(milestone.version.as_str()) == active.as_deref() {
            "ROADMAP.md".to_owned()
        } else {
            format!("milestones/{}/ROADMAP.md", milestone.version)
        };
        files.insert(path, roadmap_md(&roadmap.project, milestone));
    }
    files.insert("REQUIREMENTS.md".to_owned(), requirements_md(roadmap));
    files.insert("STATE.md".to_owned(), state_md(roadmap, active.as_deref()));
    for doc in &roadmap.research {
        files.insert(
            format!("milestones/{}/research/{}", doc.milestone, doc.kind.file_name()),
            format!("{}\n", doc.markdown),
        );
    }
    for note in &roadmap.notes {
        let file = files.entry(note.file.clone()).or_default();
        if !file.is_empty() {
            file.push('\n');
        }
        file.push_str(&note.text);
        file.push('\n');
    }
    let mut clean = BTreeMap::new();
    for (path, text) in files {
        let entry = clean.entry(entry_name(&path)).or_insert_with(String::new);
        entry.push_str(&text);
    }
    clean
}

/// `path` as a safe relative file name: `\` is a separator too, and empty, `.` and
/// `..` segments are dropped; a segment starting with `.` loses its dots.
#[must_use]
pub fn entry_name(path: &str) -> String {
    let segments: Vec<&str> = path
        .split(['/', '\\'])
        .map(|s| s.trim_start_matches('.'))
        .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
        .collect();
    if segments.is_empty() { "unnamed.md".to_owned() } else { segments.join("/") }
}

/// The milestone STATE.md names: the active one, else the last.
fn active_version(roadmap: &Roadmap) -> Option<String> {
    roadmap
        .milestones
        .iter()
        .find(|m| m.status == MilestoneStatus::Active)
        .or_else(|| roadmap.milestones.last())
        .map(|m| m.version.clone())
}

fn milestone_title(m: &Milestone) -> String {
    if m.name.is_empty() { m.version.clone() } else { format!("{} — {}", m.version, m.name) }
}

fn roadmap_md(project: &str, m: &Milestone) -> String {
    let mut out = format!("# Roadmap: {project}\n\n**Milestone:** {}\n", milestone_title(m));
    if !m.goal.is_empty() {
        let _ = writeln!(out, "**Goal:** {}", m.goal);
    }
    let _ = writeln!(out, "**Status:** {}", m.status);
    out.push_str("\n## Phases\n");
    for p in &m.phases {
        let check = if p.status == PhaseStatus::Complete { 'x' } else { ' ' };
        let kind = p.phase_type.map(|t| format!(" `[{t}]`")).unwrap_or_default();
        let goal = if p.goal.is_empty() { String::new() } else { format!(" - {}", p.goal) };
        let _ = writeln!(out, "- [{check}] **Phase {}: {}**{goal}{kind}", p.number, p.name);
    }
    out.push_str("\n## Phase Details\n");
    for p in &m.phases {
        out.push('\n');
        out.push_str(&phase_md(p));
    }
    out
}

fn phase_md(p: &Phase) -> String {
    let mut out = format!("### Phase {}: {}\n", p.number, p.name);
    let _ = writeln!(out, "**Goal**: {}", p.goal);
    if let Some(kind) = p.phase_type {
        let _ = writeln!(out, "**Type**: {kind}");
    }
    let deps = if p.depends_on.is_empty() {
        "Nothing".to_owned()
    } else {
        p.depends_on.iter().map(|d| format!("Phase {d}")).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(out, "**Depends on**: {deps}");
    let reqs: Vec<&str> = p.requirements.iter().map(|r| r.as_str()).collect();
    let _ = writeln!(out, "**Requirements**: [{}]", reqs.join(", "));
    let _ = writeln!(out, "**Verification Level**: {}", p.verification_level);
    let _ = writeln!(out, "**Status**: {}", p.status);
    if !p.success_criteria.is_empty() {
        out.push_str("**Success Criteria** (what must be TRUE):\n");
        for (i, c) in p.success_criteria.iter().enumerate() {
            let _ = writeln!(out, "  {}. {c}", i + 1);
        }
    }
    if !p.plans.is_empty() {
        let _ = writeln!(out, "**Plans**: {} plans", p.plans.len());
        out.push_str("Plans:\n");
        for plan in &p.plans {
            let _ = writeln!(out, "- [{}] {}: {}", if plan.done { 'x' } else { ' ' }, plan.id, plan.title);
        }
    }
    out
}

fn requirements_md(roadmap: &Roadmap) -> String {
    let mut out = format!("# Requirements: {}\n", roadmap.project);
    for (tier, heading) in
        [(Tier::V1, "v1 Requirements"), (Tier::V2, "v2 Requirements (Deferred)"), (Tier::OutOfScope, "Out of Scope")]
    {
        let of_tier: Vec<_> = roadmap.requirements.iter().filter(|r| r.tier == tier).collect();
        if of_tier.is_empty() {
            continue;
        }
        let _ = write!(out, "\n## {heading}\n");
        // Categories in the order they first appear.
        let mut categories: Vec<(&str, &str)> = Vec::new();
        for r in &of_tier {
            if !categories.iter().any(|(name, _)| *name == r.category) {
                categories.push((&r.category, r.id.category()));
            }
        }
        for (name, code) in categories {
            let _ = write!(out, "\n### {name} ({code})\n");
            for r in of_tier.iter().filter(|r| r.category == name) {
                let check = if r.status == RequirementStatus::Done { 'x' } else { ' ' };
                let _ = writeln!(out, "- [{check}] **{}**: {}", r.id, r.text);
                if let Some(priority) = &r.priority {
                    let _ = writeln!(out, "  **Priority:** {priority}");
                }
            }
        }
    }
    out.push_str("\n## Traceability\n| REQ-ID | Phase | Status |\n|--------|-------|--------|\n");
    for r in &roadmap.requirements {
        let phase = r.phase.as_ref().map_or_else(|| "—".to_owned(), |p| format!("Phase {p}"));
        let _ = writeln!(out, "| {} | {phase} | {} |", r.id, status_label(r.status));
    }
    out
}

/// Statuses as GRD's tables write them.
const fn status_label(status: RequirementStatus) -> &'static str {
    match status {
        RequirementStatus::Pending => "Pending",
        RequirementStatus::InProgress => "In Progress",
        RequirementStatus::Done => "Done",
        RequirementStatus::Deferred => "Deferred",
    }
}

fn state_md(roadmap: &Roadmap, active: Option<&str>) -> String {
    let mut out = format!("# Project State\n\n**Project:** {}\n", roadmap.project);
    if let Some(m) = roadmap.milestones.iter().find(|m| Some(m.version.as_str()) == active) {
        let _ = writeln!(out, "**Milestone:** {}", milestone_title(m));
    }
    out.push_str("\n## Current Position\n");
    if let Some(phase) = &roadmap.active_phase {
        let _ = writeln!(out, "**Phase:** {phase}");
    }
    out.push_str("\n## Accumulated Context\n");
    if !roadmap.decisions.is_empty() {
        out.push_str("\n### Decisions\n| Decision | Rationale | Phase |\n|----------|-----------|-------|\n");
        for d in &roadmap.decisions {
            let phase = d.phase.as_deref().unwrap_or("—");
            let _ = writeln!(out, "| {} | {} | {} |", cell(&d.text), cell(&d.rationale), cell(phase));
        }
    }
    if !roadmap.todos.is_empty() {
        out.push_str("\n### Todos\n");
        for t in &roadmap.todos {
            let _ = writeln!(out, "- [{}] {}", if t.done { 'x' } else { ' ' }, t.text);
        }
    }
    if !roadmap.open_questions.is_empty() {
        out.push_str("\n### Open Questions\n");
        for q in &roadmap.open_questions {
            let _ = writeln!(out, "- {q}");
        }
    }
    out
}
