//! `.planning/` files → a [`Roadmap`]. Lenient: both ROADMAP variants, both
//! REQUIREMENTS styles, STATE's context; whatever is not understood is kept
//! as a [`Note`] (written back by export) and reported as a warning, never a
//! failed import.

use crate::ids::{PhaseNumber, RequirementId};
use crate::markdown::{
    Section, bullet, check_item, dependencies, field, first_phase_number, numbered_item, requirement_ids, sections,
    table,
};
use crate::model::{
    Decision, Milestone, MilestoneStatus, Note, Phase, PhaseStatus, PhaseType, Plan, Requirement, RequirementStatus,
    ResearchDoc, ResearchKind, Roadmap, Tier, Todo, safe_version,
};
use std::collections::BTreeMap;

/// An imported roadmap and what the import could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The roadmap.
    pub roadmap: Roadmap,
    /// One line per thing kept as a note or left out, naming the file.
    pub warnings: Vec<String>,
}

/// The version a roadmap without one gets.
pub const DEFAULT_VERSION: &str = "v1.0";

struct Context<'a> {
    notes: &'a mut Vec<Note>,
    warnings: &'a mut Vec<String>,
    file: &'a str,
}

impl Context<'_> {
    /// Keeps a section as a note.
    fn keep(&mut self, section: &Section) {
        if section.level == 0 && !section.has_content() {
            return;
        }
        let text = if section.level == 0 {
            format!("### Kept from {}\n{}", self.file, section.text())
        } else {
            section.text()
        };
        self.warnings.push(format!("{}: kept '{}' as a note", self.file, first_line(&text)));
        self.notes.push(Note { file: self.file.to_owned(), text });
    }

    /// Keeps lines of a section that were not understood, under a heading naming it.
    fn keep_lines(&mut self, context: &str, lines: &[String]) {
        if lines.iter().all(|l| l.trim().is_empty()) {
            return;
        }
        let text = format!("### Kept from {context}\n{}", lines.join("\n").trim());
        self.warnings.push(format!("{}: kept lines of '{context}' as a note", self.file));
        self.notes.push(Note { file: self.file.to_owned(), text });
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim_start_matches('#').trim()
}

/// `v1.2.0 — Reliability` → (`v1.2.0`, `Reliability`).
fn version_and_name(text: &str) -> (String, String) {
    let text = text.trim();
    for sep in [" — ", " – ", " - ", ": "] {
        if let Some((v, n)) = text.split_once(sep) {
            return (v.trim().to_owned(), n.trim().to_owned());
        }
    }
    (text.to_owned(), String::new())
}

fn phase_status(text: &str) -> Option<PhaseStatus> {
    let t = text.trim().to_lowercase().replace(['_', '-'], " ");
    Some(match t.as_str() {
        "complete" | "completed" | "done" => PhaseStatus::Complete,
        "in progress" | "active" | "started" => PhaseStatus::InProgress,
        "pending" | "not started" | "planned" | "todo" => PhaseStatus::Pending,
        "deferred" => PhaseStatus::Deferred,
        _ => return None,
    })
}

fn requirement_status(text: &str) -> Option<RequirementStatus> {
    let t = text.trim().to_lowercase().replace(['_', '-'], " ");
    Some(match t.as_str() {
        "done" | "complete" | "completed" | "met" => RequirementStatus::Done,
        "in progress" | "active" => RequirementStatus::InProgress,
        "pending" | "not started" | "open" | "todo" => RequirementStatus::Pending,
        "deferred" => RequirementStatus::Deferred,
        _ => return None,
    })
}

/// A phase heading, `Phase 2.1: Name (INSERTED)`: number and name.
fn phase_heading(title: &str) -> Option<(PhaseNumber, String)> {
    let rest = title.trim().strip_prefix("Phase").or_else(|| title.trim().strip_prefix("phase"))?;
    let (number, name) = rest.split_once(':')?;
    let number = PhaseNumber::parse(number.trim()).ok()?;
    let name = name.trim();
    let name = name.strip_suffix("(INSERTED)").unwrap_or(name).trim();
    Some((number, name.to_owned()))
}

/// One ROADMAP.md.
#[derive(Default)]
struct RoadmapFile {
    project: Option<String>,
    milestone: Option<(String, String)>,
    goal: Option<String>,
    status: Option<MilestoneStatus>,
    phases: Vec<Phase>,
}

fn parse_roadmap(text: &str, cx: &mut Context<'_>) -> RoadmapFile {
    let mut file = RoadmapFile::default();
    // Completion from the phase check list and the Progress table, applied after the details.
    let mut listed: BTreeMap<PhaseNumber, Listed> = BTreeMap::new();
    let mut table_status: BTreeMap<PhaseNumber, PhaseStatus> = BTreeMap::new();
    for section in sections(text) {
        let lower = section.title.to_lowercase();
        if lower.starts_with("kept from") {
            cx.keep(&section);
        } else if let Some((number, name)) = phase_heading(&section.title) {
            let phase = parse_phase(number, &name, &section.body, cx);
            file.phases.retain(|p| p.number != phase.number);
            file.phases.push(phase);
        } else if section.level <= 1 {
            if let Some(rest) = section.title.strip_prefix("Roadmap") {
                let rest = rest.trim_start_matches([':', ' ', '—', '–', '-']).trim();
                if !rest.is_empty() && !rest.starts_with('v') {
                    file.project = Some(rest.to_owned());
                }
            }
            let mut unknown = Vec::new();
            for line in &section.body {
                match field(line) {
                    Some((name, value)) if name == "project" => file.project = Some(value),
                    Some((name, value)) if name == "milestone" => file.milestone = Some(version_and_name(&value)),
                    Some((name, value)) if name == "goal" => file.goal = Some(value),
                    Some((name, value)) if name == "status" => file.status = value.to_lowercase().parse().ok(),
                    // Derived figures, recomputed by Agented.
                    Some((name, _)) if name.starts_with("total") || name == "coverage" => {}
                    _ => unknown.push(line.clone()),
                }
            }
            cx.keep_lines(if section.level == 0 { "the top of ROADMAP.md" } else { &section.title }, &unknown);
        } else if lower == "phases" {
            let mut unknown = Vec::new();
            for line in &section.body {
                match listed_phase(line) {
                    Some((number, entry)) => {
                        listed.insert(number, entry);
                    }
                    None => unknown.push(line.clone()),
                }
            }
            cx.keep_lines("Phases", &unknown);
        } else if lower == "phase details" && !section.has_content() {
        } else if lower.starts_with("progress") {
            if let Some((header, rows)) = table(&section.body) {
                let status_col = header.iter().position(|h| h == "status");
                for row in rows {
                    let number = row.first().and_then(|c| first_phase_number(c));
                    let status = status_col.and_then(|i| row.get(i)).and_then(|s| phase_status(s));
                    if let (Some(number), Some(status)) = (number, status) {
                        table_status.insert(number, status);
                    }
                }
            } else {
                cx.keep(&section);
            }
        } else {
            cx.keep(&section);
        }
    }
    for (number, Listed { name, description, done, phase_type }) in listed {
        if file.phases.iter().all(|p| p.number != number) {
            let mut phase = Phase::new(number.clone(), &name);
            phase.goal = description;
            phase.phase_type = phase_type;
            file.phases.push(phase);
        }
        if let Some(phase) = file.phases.iter_mut().find(|p| p.number == number) {
            if done {
                phase.status = PhaseStatus::Complete;
            }
            if phase.phase_type.is_none() {
                phase.phase_type = phase_type;
            }
        }
    }
    for (number, status) in table_status {
        if let Some(phase) = file.phases.iter_mut().find(|p| p.number == number) {
            phase.status = status;
        }
    }
    file.phases.sort_by(|a, b| a.number.cmp(&b.number));
    file
}

/// A line of the phase check list.
struct Listed {
    name: String,
    description: String,
    done: bool,
    phase_type: Option<PhaseType>,
}

/// `- [x] **Phase 1: Storage Layer** - durable queue `[implement]``.
fn listed_phase(line: &str) -> Option<(PhaseNumber, Listed)> {
    let (done, text) = check_item(line)?;
    let inner = text.strip_prefix("**")?;
    let (heading, rest) = inner.split_once("**")?;
    let (number, name) = phase_heading(heading)?;
    let mut rest = rest.trim().trim_start_matches(['-', '—', '–']).trim().to_owned();
    let mut phase_type = None;
    if let Some(start) = rest.rfind("`[")
        && let Some(kind) = rest[start + 2..].strip_suffix("]`")
    {
        phase_type = kind.parse().ok();
        rest = rest[..start].trim().to_owned();
    }
    Some((number, Listed { name, description: rest, done, phase_type }))
}

fn parse_phase(number: PhaseNumber, name: &str, body: &[String], cx: &mut Context<'_>) -> Phase {
    let mut phase = Phase::new(number, name);
    let mut unknown = Vec::new();
    let mut list: Option<&str> = None;
    for line in body {
        if let Some((key, value)) = field(line) {
            list = None;
            match key.as_str() {
                "goal" => phase.goal = value,
                "type" => phase.phase_type = value.to_lowercase().parse().ok(),
                "depends on" | "dependencies" | "depends" => phase.depends_on = dependencies(&value),
                "requirements" => phase.requirements = requirement_ids(&value),
                "verification level" | "verification" => {
                    phase.verification_level =
                        value.to_lowercase().split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or_default();
                }
                "status" => phase.status = phase_status(&value).unwrap_or(phase.status),
                "success criteria" => list = Some("criteria"),
                // A count; the plan lines follow.
                "plans" => list = Some("plans"),
                _ => unknown.push(line.clone()),
            }
            continue;
        }
        let t = line.trim();
        if t.eq_ignore_ascii_case("plans:") {
            list = Some("plans");
        } else if t.is_empty() {
        } else if let (Some("criteria"), Some(item)) = (list, numbered_item(t)) {
            phase.success_criteria.push(item);
        } else if let (Some("plans"), Some((done, text))) = (list, check_item(t)) {
            let (id, title) = text.split_once(':').unwrap_or(("", &text));
            phase.plans.push(Plan { id: id.trim().to_owned(), title: title.trim().to_owned(), done });
        } else {
            unknown.push(line.clone());
        }
    }
    cx.keep_lines(&format!("Phase {}", phase.number), &unknown);
    phase
}

/// REQUIREMENTS.md: requirements, and the traceability table's (phase, status) per id.
fn parse_requirements(text: &str, cx: &mut Context<'_>) -> Vec<Requirement> {
    let mut found: Vec<Requirement> = Vec::new();
    let mut tier = Tier::V1;
    let mut category = String::new();
    let mut trace: Vec<TraceRow> = Vec::new();
    for section in sections(text) {
        let lower = section.title.to_lowercase();
        if section.level <= 1 {
            cx.keep_lines(
                if section.level == 0 { "the top of REQUIREMENTS.md" } else { &section.title },
                &section.body,
            );
            continue;
        }
        if lower.starts_with("kept from") {
            cx.keep(&section);
            continue;
        }
        if section.level == 2 {
            if lower.starts_with("v1") {
                tier = Tier::V1;
            } else if lower.starts_with("v2") {
                tier = Tier::V2;
            } else if lower.starts_with("out of scope") {
                tier = Tier::OutOfScope;
            } else if lower.starts_with("traceability") {
                match traceability(&section.body) {
                    Some(rows) => trace.extend(rows),
                    None => cx.keep(&section),
                }
                continue;
            } else {
                cx.keep(&section);
                continue;
            }
            category.clear();
        }
        if section.level >= 3 {
            // `### REQ-07: Title` block style.
            if let Some((id, title)) = section.title.split_once(':')
                && let Ok(id) = RequirementId::parse(id.trim())
            {
                found.push(requirement_block(id, title.trim(), &section.body, tier, cx));
                continue;
            }
            // `### Storage (STOR)`.
            category = section.title.split(" (").next().unwrap_or(&section.title).trim().to_owned();
        }
        let mut unknown = Vec::new();
        let mut understood = 0;
        for line in &section.body {
            if let Some(req) = requirement_line(line, tier, &category) {
                found.retain(|r| r.id != req.id);
                found.push(req);
                understood += 1;
            } else if let (Some((key, value)), Some(last)) = (field(line), found.last_mut())
                && line.starts_with([' ', '\t'])
                && key == "priority"
            {
                last.priority = Some(value);
            } else if !line.trim().is_empty() {
                unknown.push(line.clone());
            }
        }
        if understood == 0 && section.level >= 3 {
            // A heading with nothing Agented reads under it: kept as it was.
            cx.keep(&section);
        } else {
            let context = if section.level == 2 { section.title.clone() } else { format!("{category} requirements") };
            cx.keep_lines(&context, &unknown);
        }
    }
    for (id, phase, status) in trace {
        match found.iter_mut().find(|r| r.id == id) {
            Some(req) => {
                if phase.is_some() {
                    req.phase = phase;
                }
                if let Some(status) = status {
                    req.status = status;
                }
            }
            None => cx.warnings.push(format!("{}: traceability names {id}, which is not listed; left out", cx.file)),
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

/// One traceability row: a requirement, its phase and its status.
type TraceRow = (RequirementId, Option<PhaseNumber>, Option<RequirementStatus>);

/// The rows of a `REQ-ID | Phase | Status` table (`None` when there is no table).
fn traceability(body: &[String]) -> Option<Vec<TraceRow>> {
    let (header, rows) = table(body)?;
    let col = |name: &str| header.iter().position(|h| h.contains(name));
    let (id_col, phase_col, status_col) = (col("req").unwrap_or(0), col("phase"), col("status"));
    Some(
        rows.iter()
            .filter_map(|row| {
                let id = RequirementId::parse(row.get(id_col)?.trim()).ok()?;
                let phase = phase_col.and_then(|i| row.get(i)).and_then(|c| first_phase_number(c));
                let status = status_col.and_then(|i| row.get(i)).and_then(|c| requirement_status(c));
                Some((id, phase, status))
            })
            .collect(),
    )
}

/// `- [x] **STOR-01**: text` (or without the check box).
fn requirement_line(line: &str, tier: Tier, category: &str) -> Option<Requirement> {
    let (done, text) = check_item(line).or_else(|| bullet(line).map(|t| (false, t)))?;
    let inner = text.strip_prefix("**")?;
    let (id, rest) = inner.split_once("**")?;
    let id = RequirementId::parse(id.trim().trim_end_matches(':')).ok()?;
    let rest = rest.trim_start().trim_start_matches(':').trim();
    let category = if category.is_empty() { id.category().to_owned() } else { category.to_owned() };
    Some(Requirement {
        category,
        text: rest.to_owned(),
        tier,
        priority: None,
        status: if done { RequirementStatus::Done } else { RequirementStatus::Pending },
        phase: None,
        id,
    })
}

fn requirement_block(id: RequirementId, title: &str, body: &[String], tier: Tier, cx: &mut Context<'_>) -> Requirement {
    let mut req = Requirement {
        category: id.category().to_owned(),
        text: title.to_owned(),
        tier,
        priority: None,
        status: RequirementStatus::Pending,
        phase: None,
        id,
    };
    let mut unknown = Vec::new();
    let mut description = Vec::new();
    for line in body {
        match field(line) {
            Some((key, value)) if key == "priority" => req.priority = Some(value),
            Some((key, value)) if key == "category" => req.category = value,
            Some((key, value)) if key == "status" => req.status = requirement_status(&value).unwrap_or(req.status),
            Some((key, value)) if key == "phase" => req.phase = first_phase_number(&value),
            Some((key, value)) if key == "tier" => {
                req.tier = match value.to_lowercase().as_str() {
                    "v2" => Tier::V2,
                    "out of scope" | "out_of_scope" => Tier::OutOfScope,
                    _ => Tier::V1,
                };
            }
            Some(_) => unknown.push(line.clone()),
            None if !line.trim().is_empty() => description.push(line.trim().to_owned()),
            None => {}
        }
    }
    if !description.is_empty() {
        req.text = format!("{}: {}", req.text, description.join(" "));
    }
    cx.keep_lines(req.id.as_str(), &unknown);
    req
}

/// STATE.md.
#[derive(Default)]
struct StateFile {
    project: Option<String>,
    milestone: Option<(String, String)>,
    active_phase: Option<PhaseNumber>,
    decisions: Vec<Decision>,
    todos: Vec<Todo>,
    open_questions: Vec<String>,
}

fn parse_state(text: &str, cx: &mut Context<'_>) -> StateFile {
    let mut state = StateFile::default();
    for section in sections(text) {
        let lower = section.title.to_lowercase();
        if lower.starts_with("kept from") {
            cx.keep(&section);
        } else if section.level <= 1 || lower == "current position" {
            let mut unknown = Vec::new();
            for line in &section.body {
                match field(line) {
                    Some((key, value)) if key == "project" => state.project = Some(value),
                    Some((key, value)) if key == "milestone" => state.milestone = Some(version_and_name(&value)),
                    Some((key, value)) if key == "phase" || key == "active phase" || key == "current phase" => {
                        state.active_phase = first_phase_number(&value);
                    }
                    _ => unknown.push(line.clone()),
                }
            }
            let context = if section.level == 0 { "the top of STATE.md".to_owned() } else { section.title.clone() };
            cx.keep_lines(&context, &unknown);
        } else if lower == "accumulated context" && !section.has_content() {
        } else if lower.contains("decision") {
            match table(&section.body) {
                Some((header, rows)) => {
                    let col = |name: &str| header.iter().position(|h| h.contains(name));
                    let (text_col, why_col, phase_col) = (col("decision").unwrap_or(0), col("rationale"), col("phase"));
                    for row in rows {
                        let get = |i: Option<usize>| i.and_then(|i| row.get(i)).cloned().unwrap_or_default();
                        let phase = get(phase_col);
                        state.decisions.push(Decision {
                            text: get(Some(text_col)),
                            rationale: get(why_col),
                            phase: (!phase.is_empty() && phase != "—").then_some(phase),
                        });
                    }
                }
                None => cx.keep(&section),
            }
        } else if lower.contains("todo") {
            let mut unknown = Vec::new();
            for line in &section.body {
                match check_item(line) {
                    Some((done, text)) => state.todos.push(Todo { text, done }),
                    None => unknown.push(line.clone()),
                }
            }
            cx.keep_lines(&section.title, &unknown);
        } else if lower.contains("open question") {
            let mut unknown = Vec::new();
            for line in &section.body {
                match bullet(line).or_else(|| numbered_item(line)) {
                    Some(text) => state.open_questions.push(text),
                    None => unknown.push(line.clone()),
                }
            }
            cx.keep_lines(&section.title, &unknown);
        } else {
            cx.keep(&section);
        }
    }
    state
}

/// Which research document a file name is.
fn research_kind(name: &str) -> Option<ResearchKind> {
    ResearchKind::ALL.iter().copied().find(|k| k.file_name().eq_ignore_ascii_case(name))
}

/// Orders versions as people read them: `v1.2` < `v1.10`.
fn version_key(version: &str) -> Vec<u64> {
    version.trim_start_matches(['v', 'V']).split(['.', '-']).map(|p| p.parse().unwrap_or(0)).collect()
}

/// Imports a `.planning/` folder given as file path (relative to it) → text.
#[must_use]
pub fn import(name: &str, files: &BTreeMap<String, String>) -> Imported {
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    let mut roadmaps: Vec<(Option<String>, RoadmapFile)> = Vec::new();
    let mut requirements: Vec<Requirement> = Vec::new();
    let mut state = StateFile::default();
    let mut research: Vec<(Option<String>, ResearchKind, String)> = Vec::new();

    for (path, text) in files {
        let path = path.trim_start_matches("./").trim_start_matches(".planning/");
        let parts: Vec<&str> = path.split('/').collect();
        let mut cx = Context { notes: &mut notes, warnings: &mut warnings, file: path };
        match parts.as_slice() {
            ["ROADMAP.md"] => roadmaps.push((None, parse_roadmap(text, &mut cx))),
            ["milestones", version, "ROADMAP.md"] => {
                roadmaps.push((Some((*version).to_owned()), parse_roadmap(text, &mut cx)));
            }
            ["REQUIREMENTS.md"] | ["milestones", _, "REQUIREMENTS.md"] => {
                for req in parse_requirements(text, &mut cx) {
                    if let Some(i) = requirements.iter().position(|r| r.id == req.id) {
                        cx.warnings.push(format!("{path}: {} is also in another file; this one is kept", req.id));
                        requirements.remove(i);
                    }
                    requirements.push(req);
                }
            }
            ["STATE.md"] => state = parse_state(text, &mut cx),
            ["research", file] => match research_kind(file) {
                Some(kind) => research.push((None, kind, text.trim().to_owned())),
                None => keep_file(&mut cx, text),
            },
            ["milestones", version, "research", file] => match research_kind(file) {
                Some(kind) => research.push((Some((*version).to_owned()), kind, text.trim().to_owned())),
                None => keep_file(&mut cx, text),
            },
            _ => keep_file(&mut cx, text),
        }
    }

    // A version becomes a folder name on export: anything else than a safe name is renamed.
    let mut safe = |version: String| {
        let renamed = safe_version(&version);
        if renamed != version {
            warnings.push(format!("milestone version '{version}' is not a safe folder name; imported as '{renamed}'"));
        }
        renamed
    };
    let (current_version, current_name) = state
        .milestone
        .clone()
        .or_else(|| roadmaps.iter().find(|(v, _)| v.is_none()).and_then(|(_, f)| f.milestone.clone()))
        .unwrap_or_else(|| (DEFAULT_VERSION.to_owned(), String::new()));
    let current_version = safe(current_version);
    let roadmaps: Vec<(Option<String>, RoadmapFile)> = roadmaps
        .into_iter()
        .map(|(folder, mut file)| {
            file.milestone = file.milestone.map(|(v, n)| (safe(v), n));
            (folder.map(&mut safe), file)
        })
        .collect();
    let research: Vec<(Option<String>, ResearchKind, String)> =
        research.into_iter().map(|(v, kind, text)| (v.map(&mut safe), kind, text)).collect();
    let mut milestones: Vec<Milestone> = Vec::new();
    let mut project = None;
    for (folder_version, file) in roadmaps {
        project = project.or(file.project.clone());
        let (version, name) = match (&folder_version, &file.milestone) {
            (Some(v), Some((_, n))) => (v.clone(), n.clone()),
            (Some(v), None) => (v.clone(), String::new()),
            (None, Some(m)) => m.clone(),
            (None, None) => (current_version.clone(), current_name.clone()),
        };
        let status = file.status.unwrap_or(if version == current_version {
            MilestoneStatus::Active
        } else if folder_version.is_some() {
            MilestoneStatus::Complete
        } else {
            MilestoneStatus::Planned
        });
        if milestones.iter().any(|m| m.version == version) {
            warnings.push(format!("milestone {version} is described twice; the first description is kept"));
            continue;
        }
        milestones.push(Milestone { version, name, goal: file.goal.unwrap_or_default(), status, phases: file.phases });
    }
    milestones.sort_by_key(|m| version_key(&m.version));
    dedupe_phases(&mut milestones, &mut warnings);

    let research = research
        .into_iter()
        .map(|(version, kind, markdown)| ResearchDoc {
            milestone: version.unwrap_or_else(|| current_version.clone()),
            kind,
            markdown,
            produced_by: None,
        })
        .collect();
    let roadmap = Roadmap {
        project: project.or(state.project).unwrap_or_else(|| name.to_owned()),
        milestones,
        requirements,
        decisions: state.decisions,
        todos: state.todos,
        open_questions: state.open_questions,
        active_phase: state.active_phase,
        research,
        notes,
    };
    if let Err(e) = roadmap.check_dependencies() {
        warnings.push(format!("dependencies need attention: {e}"));
    }
    Imported { roadmap, warnings }
}

/// A phase number may appear once in a project: later duplicates are dropped with a warning.
fn dedupe_phases(milestones: &mut [Milestone], warnings: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    for milestone in milestones {
        milestone.phases.retain(|p| {
            let fresh = seen.insert(p.number.clone());
            if !fresh {
                warnings.push(format!(
                    "phase {} appears in more than one milestone; {} left it out",
                    p.number, milestone.version
                ));
            }
            fresh
        });
    }
}

fn keep_file(cx: &mut Context<'_>, text: &str) {
    cx.warnings.push(format!("{}: not a file Agented reads; kept as it is", cx.file));
    cx.notes.push(Note { file: cx.file.to_owned(), text: text.trim().to_owned() });
}
