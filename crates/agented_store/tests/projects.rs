//! Projects against a real SQLite file or PostgreSQL database: whole roadmaps, names unique, saves by compare-and-set.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::ProjectId;
use agented_roadmaps::{
    HISTORY_KEPT, Milestone, MilestoneStatus, Phase, PhaseNumber, ProjectRepository, ProjectWriteError, Roadmap,
};
use agented_store::SqlProjects;
use agented_store::testing::Scratch;
use chrono::Utc;

fn store(dir: &Scratch) -> SqlProjects {
    SqlProjects::new(dir.database())
}

fn roadmap(name: &str) -> Roadmap {
    Roadmap {
        project: name.into(),
        milestones: vec![Milestone {
            version: "v1.0".into(),
            name: "First".into(),
            goal: "ship".into(),
            status: MilestoneStatus::Active,
            phases: vec![Phase::new(PhaseNumber::parse("2.1").unwrap(), "Inserted")],
        }],
        ..Roadmap::default()
    }
}

#[tokio::test]
async fn a_roadmap_is_stored_whole_and_saved_only_from_the_version_read() {
    let dir = Scratch::new();
    let store = store(&dir);
    let id = ProjectId::generate();
    let created = store.insert(&id, &roadmap("Acme"), Utc::now()).await.unwrap();
    assert_eq!((created.version, created.roadmap.clone()), (1, roadmap("Acme")));
    assert_eq!(store.get(&id).await.unwrap().unwrap().roadmap, roadmap("Acme"));
    assert_eq!(
        store.insert(&ProjectId::generate(), &roadmap("Acme"), Utc::now()).await.unwrap_err(),
        ProjectWriteError::DuplicateName("Acme".into())
    );

    let mut changed = created.roadmap.clone();
    changed.open_questions.push("why?".into());
    let saved = store.save(&id, 1, &changed, Utc::now(), None).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(store.save(&id, 1, &roadmap("Acme"), Utc::now(), None).await.unwrap_err(), ProjectWriteError::Conflict);
    assert_eq!(store.get(&id).await.unwrap().unwrap().roadmap, changed, "the stale save changed nothing");
    assert_eq!(
        store.save(&ProjectId::generate(), 1, &roadmap("B"), Utc::now(), None).await.unwrap_err(),
        ProjectWriteError::NotFound
    );

    store.insert(&ProjectId::generate(), &roadmap("Beta"), Utc::now()).await.unwrap();
    let names: Vec<String> = store.list().await.unwrap().into_iter().map(|p| p.roadmap.project).collect();
    assert_eq!(names, ["Acme", "Beta"]);
    assert_eq!(
        store.save(&id, 2, &roadmap("Beta"), Utc::now(), None).await.unwrap_err(),
        ProjectWriteError::DuplicateName("Beta".into())
    );
    store.delete(&id).await.unwrap();
    assert_eq!(store.delete(&id).await.unwrap_err(), ProjectWriteError::NotFound);
    assert!(store.get(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_kept_save_keeps_the_roadmap_it_replaces_bounded_and_gone_with_the_project() {
    let dir = Scratch::new();
    let store = store(&dir);
    let id = ProjectId::generate();
    store.insert(&id, &roadmap("Acme"), Utc::now()).await.unwrap();
    let mut version = 1;
    for n in 0..=HISTORY_KEPT {
        let mut next = roadmap("Acme");
        next.open_questions.push(format!("question {n}"));
        version = store.save(&id, version, &next, Utc::now(), Some(&format!("change {n}"))).await.unwrap().version;
    }
    let history = store.history(&id).await.unwrap();
    assert_eq!(history.len(), HISTORY_KEPT, "the oldest beyond the bound are dropped");
    assert_eq!(history[0].label, format!("change {HISTORY_KEPT}"), "newest first");
    assert_eq!(
        history[0].roadmap.open_questions,
        [format!("question {}", HISTORY_KEPT - 1)],
        "the roadmap it replaced"
    );
    assert_eq!(history.last().unwrap().label, "change 1");

    // A stale save keeps nothing: the history never holds a roadmap that was not the stored one.
    assert_eq!(
        store.save(&id, 1, &roadmap("Acme"), Utc::now(), Some("stale")).await.unwrap_err(),
        ProjectWriteError::Conflict
    );
    assert_eq!(store.history(&id).await.unwrap()[0].label, format!("change {HISTORY_KEPT}"));
    store.delete(&id).await.unwrap();
    assert!(store.history(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_projects_tooling_is_kept_beside_its_roadmap_without_a_new_version() {
    let dir = Scratch::new();
    let store = store(&dir);
    let id = ProjectId::generate();
    let created = store.insert(&id, &roadmap("Tooled"), Utc::now()).await.unwrap();
    assert!(created.tooling.is_empty());
    let tooling = agented_kernel::ToolingRefs {
        mcp_servers: vec![agented_kernel::McpServerId::generate()],
        rules: vec![agented_kernel::ItemId::generate(agented_kernel::ItemKind::Rule)],
        ..agented_kernel::ToolingRefs::default()
    };
    let set = store.set_tooling(&id, &tooling).await.unwrap();
    assert_eq!((set.version, &set.tooling), (1, &tooling));
    let saved = store.save(&id, 1, &roadmap("Tooled"), Utc::now(), None).await.unwrap();
    assert_eq!((saved.version, saved.tooling), (2, tooling.clone()), "a roadmap save keeps it");
    let gone = store.set_tooling(&ProjectId::generate(), &tooling).await.unwrap_err();
    assert_eq!(gone, ProjectWriteError::NotFound);
}
