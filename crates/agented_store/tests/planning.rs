//! Planning work against a real SQLite file or PostgreSQL database: stored whole, saved by
//! compare-and-set, listed per project, deleted with its project.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{BackendType, ExecutionId, PlanningId, ProjectId};
use agented_roadmaps::planning::{
    PlanningSession, PlanningStore, PlanningStoreError, PlanningWork, Purpose, SessionRun, Stage,
};
use agented_roadmaps::{ProjectRepository, Roadmap};
use agented_store::testing::Scratch;
use agented_store::{SqlPlanning, SqlProjects};
use chrono::Utc;

fn session(project: &ProjectId) -> PlanningSession {
    PlanningSession {
        id: PlanningId::generate(),
        project_id: project.clone(),
        goal: "a todo app".into(),
        backend: BackendType::Claude,
        stage: Stage::Asking,
        questions: vec![],
        answers: vec![],
        proposal: None,
        error: None,
        runs: vec![SessionRun {
            execution_id: ExecutionId::parse("exec-bot-planner-20261122T100000-abcd").unwrap(),
            purpose: Purpose::Questions,
            outcome: None,
        }],
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

#[tokio::test]
async fn work_is_saved_by_version_listed_per_project_and_deleted_with_it() {
    let dir = Scratch::new();
    let db = dir.database();
    let (projects, store) = (SqlProjects::new(db.clone()), SqlPlanning::new(db));
    let project = ProjectId::generate();
    projects.insert(&project, &Roadmap { project: "Acme".into(), ..Roadmap::default() }, Utc::now()).await.unwrap();

    let orphan = PlanningWork::Session(session(&ProjectId::generate()));
    assert_eq!(store.insert(&orphan).await.unwrap_err(), PlanningStoreError::NoProject);

    let mut s = session(&project);
    let stored = store.insert(&PlanningWork::Session(s.clone())).await.unwrap();
    assert_eq!((stored.version, &stored.value), (1, &PlanningWork::Session(s.clone())));
    assert_eq!(store.active().await.unwrap().len(), 1);
    assert!(store.get(&ProjectId::generate(), &s.id).await.unwrap().is_none(), "another project's id");

    s.runs[0].outcome = Some("ok".into());
    s.stage = Stage::Answering;
    let saved = store.save(&PlanningWork::Session(s.clone()), 1).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(store.save(&PlanningWork::Session(s.clone()), 1).await.unwrap_err(), PlanningStoreError::Conflict);
    assert!(store.active().await.unwrap().is_empty(), "answering waits for the user, not a run");
    assert_eq!(store.get(&project, &s.id).await.unwrap().unwrap().value, PlanningWork::Session(s.clone()));
    assert_eq!(store.list(&project).await.unwrap().len(), 1);

    projects.delete(&project).await.unwrap();
    assert!(store.get(&project, &s.id).await.unwrap().is_none());
}
