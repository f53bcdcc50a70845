//! Realistic `.planning/` folders import to the expected phases,
//! dependencies, requirements and coverage, keep what they do not
//! understand, and survive export → import unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_roadmaps::{
    Milestone, MilestoneStatus, Note, PhaseNumber, PhaseStatus, PhaseType, RequirementStatus, ResearchKind, Roadmap,
    Tier, VerificationLevel, export, import,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under the fixture folder, by path relative to it.
fn folder(name: &str) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

fn n(s: &str) -> PhaseNumber {
    PhaseNumber::parse(s).unwrap()
}

fn numbers(list: &[PhaseNumber]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn deps(roadmap: &Roadmap) -> Vec<(String, Vec<String>)> {
    roadmap.phases().iter().map(|p| (p.number.to_string(), numbers(&p.depends_on))).collect()
}

#[test]
fn the_template_variant_imports_phases_dependencies_requirements_and_context() {
    let imported = import("fallback name", &folder("template"));
    let r = &imported.roadmap;
    assert_eq!(r.project, "Acme Bot Farm");
    assert_eq!(r.milestones.len(), 1);
    let m = &r.milestones[0];
    assert_eq!((m.version.as_str(), m.name.as_str(), m.status), ("v1.0", "Foundations", MilestoneStatus::Active));

    assert_eq!(
        deps(r),
        vec![
            ("1".into(), vec![]),
            ("2".into(), vec!["1".into()]),
            ("2.1".into(), vec!["2".into()]),
            ("3".into(), vec!["1".into(), "2".into()]),
            ("4".into(), vec![]),
        ],
        "'independent of Phase 4' and a lone 'independent' are not dependencies"
    );
    let one = r.phase(&n("1")).unwrap();
    assert_eq!(one.name, "Storage Layer");
    assert_eq!(one.goal, "Jobs survive a restart");
    assert_eq!(one.status, PhaseStatus::Complete);
    assert_eq!(one.phase_type, Some(PhaseType::Implement));
    assert_eq!(one.success_criteria, ["A queued job runs after kill -9 and restart", "No job runs twice"]);
    assert_eq!(one.plans.iter().filter(|p| p.done).count(), 2);
    let inserted = r.phase(&n("2.1")).unwrap();
    assert_eq!(inserted.name, "Hotfix Retention", "(INSERTED) is dropped");
    assert_eq!(inserted.phase_type, Some(PhaseType::Implement), "from the phase list");
    assert_eq!(r.phase(&n("3")).unwrap().verification_level, VerificationLevel::Full);
    assert_eq!(r.phase(&n("4")).unwrap().verification_level, VerificationLevel::Deferred);

    let ids: Vec<&str> = r.requirements.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["ALRT-01", "ALRT-02", "SCHED-01", "SCHED-02", "STOR-01", "STOR-02", "STOR-03", "UI-01"]);
    let sched = r.requirements.iter().find(|q| q.id.as_str() == "SCHED-01").unwrap();
    assert_eq!(
        (sched.category.as_str(), sched.status, sched.tier),
        ("Scheduling", RequirementStatus::InProgress, Tier::V1)
    );
    assert_eq!(sched.phase, Some(n("2")));
    let ui = r.requirements.iter().find(|q| q.id.as_str() == "UI-01").unwrap();
    assert_eq!(ui.tier, Tier::V2);

    let coverage = r.coverage();
    assert_eq!((coverage.mapped, coverage.total), (7, 7));
    assert!(coverage.unmapped.is_empty() && coverage.multiply_mapped.is_empty());
    assert_eq!(numbers(&r.ready()), ["2", "4"]);
    assert_eq!(
        r.layers().iter().map(|l| numbers(l)).collect::<Vec<_>>(),
        vec![vec!["1", "4"], vec!["2"], vec!["2.1", "3"]]
    );
    let progress = r.progress();
    assert_eq!(progress.phases.iter().map(|p| p.percent).collect::<Vec<_>>(), [100, 50, 0, 0, 0]);

    assert_eq!(r.active_phase, Some(n("2")));
    assert_eq!(r.decisions.len(), 2);
    assert_eq!(r.decisions[1].rationale, "two servers must not both run a slot");
    assert_eq!(r.decisions[0].phase.as_deref(), Some("Phase 1"));
    assert_eq!(
        r.todos.iter().map(|t| (t.text.as_str(), t.done)).collect::<Vec<_>>(),
        [("Document the retention setting", false), ("Pick a cron library", true)]
    );
    assert_eq!(r.open_questions, ["Should missed slots catch up by default?"]);
    assert_eq!(r.research.len(), 1);
    assert_eq!((r.research[0].milestone.as_str(), r.research[0].kind), ("v1.0", ResearchKind::Stack));

    // Nothing is lost: what was not understood is a note, and a warning says so.
    let kept: String = r.notes.iter().map(|note| format!("{}\n{}\n", note.file, note.text)).collect();
    for text in [
        "**Owner**: Dana",
        "## Overview",
        "### Pitfalls",
        "Multi-tenant accounts",
        "**Last Updated:** 2026-11-20",
        "Progress: [████░░░░░░] 40%",
        "Bots for the platform team.",
    ] {
        assert!(kept.contains(text), "{text} not kept:\n{kept}");
    }
    let warnings = imported.warnings.join("\n");
    for file in ["ROADMAP.md", "REQUIREMENTS.md", "STATE.md", "PROJECT.md"] {
        assert!(warnings.contains(file), "no warning names {file}:\n{warnings}");
    }
}

#[test]
fn the_header_field_variant_with_an_archived_milestone_imports_both() {
    let imported = import("fallback", &folder("milestones"));
    let r = &imported.roadmap;
    assert_eq!(r.project, "Acme Bot Farm");
    let milestones: Vec<(&str, &str, MilestoneStatus)> =
        r.milestones.iter().map(|m| (m.version.as_str(), m.name.as_str(), m.status)).collect();
    assert_eq!(
        milestones,
        [("v1.0", "", MilestoneStatus::Complete), ("v1.2.0", "Reliability", MilestoneStatus::Active)]
    );
    assert_eq!(
        deps(r),
        vec![
            ("1".into(), vec![]),
            ("2".into(), vec!["1".into()]),
            ("5".into(), vec!["1".into(), "2".into()]),
            ("6".into(), vec![]),
        ]
    );
    let statuses: Vec<PhaseStatus> = r.phases().iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        [PhaseStatus::Complete, PhaseStatus::Complete, PhaseStatus::InProgress, PhaseStatus::Complete]
    );
    let five = r.phase(&n("5")).unwrap();
    assert_eq!(five.success_criteria.len(), 2);
    assert_eq!(five.verification_level, VerificationLevel::Proxy);

    let alrt = r.requirements.iter().find(|q| q.id.as_str() == "ALRT-01").unwrap();
    assert_eq!(alrt.priority.as_deref(), Some("High"));
    assert_eq!(alrt.category, "Alerting");
    assert_eq!(alrt.text, "Channel alerts: A failed run posts to the configured channel.");
    let stor = r.requirements.iter().find(|q| q.id.as_str() == "STOR-03").unwrap();
    assert_eq!(stor.status, RequirementStatus::Done);
    let coverage = r.coverage();
    assert_eq!((coverage.mapped, coverage.total), (4, 4), "{coverage:?}");
    assert_eq!(r.layers().iter().map(|l| numbers(l)).collect::<Vec<_>>(), vec![vec!["1", "6"], vec!["2"], vec!["5"]]);
    assert_eq!(r.progress().milestones.iter().map(|m| m.percent).collect::<Vec<_>>(), [100, 50]);
}

#[test]
fn export_then_import_gives_the_same_roadmap() {
    for name in ["template", "milestones"] {
        let first = import("x", &folder(name)).roadmap;
        let files = export(&first);
        assert!(
            files.contains_key("ROADMAP.md") && files.contains_key("REQUIREMENTS.md") && files.contains_key("STATE.md")
        );
        let second = import("x", &files);
        assert_eq!(second.roadmap, first, "{name}: files were\n{files:#?}");
        // And again: the files are stable too.
        assert_eq!(export(&second.roadmap), files, "{name}");
    }
}

#[test]
fn odd_input_never_fails_an_import() {
    let files = BTreeMap::from([
        (
            "ROADMAP.md".to_owned(),
            "### Phase 1: A\n**Depends on**: Phase 2\n### Phase 2: B\n**Depends on**: Phase 1\n### Phase x: C\n"
                .to_owned(),
        ),
        (
            "REQUIREMENTS.md".to_owned(),
            "## Traceability\n| REQ-ID | Phase |\n|---|---|\n| GONE-01 | Phase 1 |\n".to_owned(),
        ),
        ("STATE.md".to_owned(), "\u{0}binary\u{1} junk".to_owned()),
        ("config.json".to_owned(), "{\"mode\": \"yolo\"}".to_owned()),
    ]);
    let imported = import("Odd", &files);
    assert_eq!(imported.roadmap.project, "Odd");
    assert_eq!(imported.roadmap.phases().len(), 2);
    let warnings = imported.warnings.join("\n");
    assert!(warnings.contains("cycle"), "{warnings}");
    assert!(warnings.contains("GONE-01"), "{warnings}");
    assert!(warnings.contains("config.json"), "{warnings}");
    assert!(imported.roadmap.notes.iter().any(|n| n.text.contains("Phase x: C")));
}

/// A relative path that stays inside the folder it is unpacked in.
fn is_clean(path: &str) -> bool {
    !path.starts_with('/')
        && !path.contains('\\')
        && path.split('/').all(|s| !s.is_empty() && s != "." && s != ".." && !s.starts_with('.'))
}

#[test]
fn no_version_or_note_can_name_a_file_outside_the_export() {
    let files = BTreeMap::from([
        (
            "ROADMAP.md".to_owned(),
            "# Roadmap: X\n\n**Milestone:** ../../../../tmp/x — Evil\n### Phase 1: A\n".to_owned(),
        ),
        ("milestones/../ROADMAP.md".to_owned(), "# Roadmap: X\n\n### Phase 2: B\n".to_owned()),
        ("milestones/v0.9/research/../../../../x.md".to_owned(), "kept".to_owned()),
    ]);
    let imported = import("X", &files);
    let versions: Vec<&str> = imported.roadmap.milestones.iter().map(|m| m.version.as_str()).collect();
    assert!(versions.iter().all(|v| agented_roadmaps::check_version(v).is_ok()), "{versions:?}");
    assert!(versions.contains(&"tmp-x"), "{versions:?}");
    assert!(imported.warnings.iter().any(|w| w.contains("imported as 'tmp-x'")), "{:?}", imported.warnings);
    for path in export(&imported.roadmap).keys() {
        assert!(is_clean(path), "{path}");
    }

    // Stored before versions were checked: the export still writes nothing outside.
    let mut stored = imported.roadmap;
    stored.milestones.push(Milestone {
        version: "../../evil".into(),
        name: String::new(),
        goal: String::new(),
        status: MilestoneStatus::Complete,
        phases: Vec::new(),
    });
    stored.notes.push(Note { file: "../../../etc/cron.d/agented".into(), text: "* * * * * root x".into() });
    stored.notes.push(Note { file: "/etc/passwd".into(), text: "x".into() });
    let exported = export(&stored);
    for path in exported.keys() {
        assert!(is_clean(path), "{path}");
    }
    assert!(exported.contains_key("etc/cron.d/agented"), "{:?}", exported.keys());
    assert!(exported.contains_key("milestones/evil/ROADMAP.md"), "{:?}", exported.keys());
}
