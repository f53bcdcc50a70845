//! `RoadmapService` and `PlanningService` on in-memory fakes: edits as aggregate
//! methods (validation before lookup, rules on the whole plan, compare-and-set),
//! imports, and a planning session from questions to an accepted plan.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{BackendType, ManualClock};
use agented_roadmaps::fakes::{MemoryPlanning, MemoryProjects, ScriptedAssistant};
use agented_roadmaps::planning::{Answer, MergeOptions, PlanningError, PlanningService, RunState, Stage};
use agented_roadmaps::{
    ChangeError, MilestoneFields, PhaseFields, PhaseNumber, ProjectFields, RequirementFields, RequirementId,
    RoadmapEdit, RoadmapService, RuleError,
};
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

struct World {
    roadmaps: RoadmapService,
    planning: PlanningService,
    assistant: Arc<ScriptedAssistant>,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 8, 3, 9, 0, 0).unwrap()));
    let projects = Arc::new(MemoryProjects::default());
    let roadmaps = RoadmapService::new(projects.clone(), clock.clone());
    let assistant = Arc::new(ScriptedAssistant::default());
    let store = Arc::new(MemoryPlanning::new(projects));
    let planning = PlanningService::new(roadmaps.clone(), store, assistant.clone(), clock);
    World { roadmaps, planning, assistant }
}

fn phase(number: &str, name: &str, depends_on: &[&str]) -> RoadmapEdit {
    RoadmapEdit::AddPhase(PhaseFields {
        milestone: Some("v1.0".into()),
        number: Some(number.into()),
        name: Some(name.into()),
        depends_on: Some(depends_on.iter().map(|d| (*d).to_owned()).collect()),
        ..PhaseFields::default()
    })
}

async fn project_with_milestone(w: &World) -> String {
    let project = w.roadmaps.create_named("Shop").await.unwrap();
    let id = project.id.to_string();
    let milestone =
        MilestoneFields { version: Some("v1.0".into()), name: Some("First".into()), ..MilestoneFields::default() };
    w.roadmaps.edit(&id, RoadmapEdit::AddMilestone(milestone)).await.unwrap();
    id
}

fn number(n: &str) -> PhaseNumber {
    PhaseNumber::parse(n).unwrap()
}

#[tokio::test]
async fn phases_are_added_in_number_order_and_a_cycle_is_refused_whole() {
    let w = world();
    let id = project_with_milestone(&w).await;
    w.roadmaps.edit(&id, phase("2", "Lists", &[])).await.unwrap();
    let project = w.roadmaps.edit(&id, phase("1", "Accounts", &[])).await.unwrap();
    let names: Vec<&str> = project.roadmap.milestones[0].phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Accounts", "Lists"]);
    w.roadmaps.edit(&id, phase("3", "Sharing", &["2"])).await.unwrap();
    let cycle = PhaseFields { depends_on: Some(vec!["3".into()]), ..PhaseFields::default() };
    let refused = w.roadmaps.edit(&id, RoadmapEdit::UpdatePhase(number("2"), cycle)).await;
    assert!(matches!(refused, Err(ChangeError::Rule(RuleError::Cycle(_)))), "{refused:?}");
    let stored = w.roadmaps.get(&id).await.unwrap();
    assert!(stored.roadmap.phase(&number("2")).unwrap().depends_on.is_empty(), "nothing was saved");
    assert!(matches!(
        w.roadmaps.edit(&id, RoadmapEdit::DeletePhase(number("2"))).await,
        Err(ChangeError::Rule(RuleError::HasDependents(_)))
    ));
    assert!(matches!(
        w.roadmaps.edit(&id, phase("1", "Again", &[])).await,
        Err(ChangeError::Rule(RuleError::Duplicate(_)))
    ));
}

#[tokio::test]
async fn fields_are_checked_before_the_project_is_looked_up() {
    let w = world();
    let bad = RoadmapEdit::AddPhase(PhaseFields { number: Some("x".into()), ..PhaseFields::default() });
    let Err(ChangeError::Invalid(errors)) = w.roadmaps.edit("proj-missing", bad).await else {
        panic!("expected Invalid")
    };
    assert!(
        errors.contains_key("number") && errors.contains_key("name") && errors.contains_key("milestone"),
        "{errors:?}"
    );
    assert!(matches!(w.roadmaps.edit("proj-missing", phase("1", "A", &[])).await, Err(ChangeError::NotFound)));
}

#[tokio::test]
async fn requirements_map_to_existing_phases_and_deleting_one_unmaps_it() {
    let w = world();
    let id = project_with_milestone(&w).await;
    w.roadmaps.edit(&id, phase("1", "Accounts", &[])).await.unwrap();
    let req = |phase: &str| RequirementFields {
        id: Some("AUTH-01".into()),
        text: Some("Sign in".into()),
        phase: Some(phase.into()),
        ..RequirementFields::default()
    };
    assert!(matches!(
        w.roadmaps.edit(&id, RoadmapEdit::AddRequirement(req("9"))).await,
        Err(ChangeError::Rule(RuleError::NoPhase(_)))
    ));
    let project = w.roadmaps.edit(&id, RoadmapEdit::AddRequirement(req("1"))).await.unwrap();
    assert_eq!(project.roadmap.requirements[0].category, "AUTH");
    let map = PhaseFields { requirements: Some(vec!["AUTH-01".into()]), ..PhaseFields::default() };
    w.roadmaps.edit(&id, RoadmapEdit::UpdatePhase(number("1"), map)).await.unwrap();
    let auth = RequirementId::parse("AUTH-01").unwrap();
    let project = w.roadmaps.edit(&id, RoadmapEdit::DeleteRequirement(auth)).await.unwrap();
    assert!(project.roadmap.requirements.is_empty());
    assert!(project.roadmap.phase(&number("1")).unwrap().requirements.is_empty());
}

#[tokio::test]
async fn the_active_phase_must_exist_and_a_deleted_phase_stops_being_active() {
    let w = world();
    let id = project_with_milestone(&w).await;
    w.roadmaps.edit(&id, phase("1", "A", &[])).await.unwrap();
    let active = |n: &str| RoadmapEdit::Project(ProjectFields { name: None, active_phase: Some(n.into()) });
    assert!(matches!(w.roadmaps.edit(&id, active("4")).await, Err(ChangeError::Rule(RuleError::NoPhase(_)))));
    assert_eq!(w.roadmaps.edit(&id, active("1")).await.unwrap().roadmap.active_phase, Some(number("1")));
    let project = w.roadmaps.edit(&id, RoadmapEdit::DeletePhase(number("1"))).await.unwrap();
    assert_eq!(project.roadmap.active_phase, None);
}

#[tokio::test]
async fn todos_and_decisions_are_addressed_by_position() {
    let w = world();
    let id = project_with_milestone(&w).await;
    w.roadmaps.edit(&id, RoadmapEdit::AddTodo { text: Some("write docs".into()), done: None }).await.unwrap();
    let done = RoadmapEdit::UpdateTodo { position: 1, text: None, done: Some(true) };
    assert!(w.roadmaps.edit(&id, done).await.unwrap().roadmap.todos[0].done);
    assert!(matches!(
        w.roadmaps.edit(&id, RoadmapEdit::DeleteTodo(2)).await,
        Err(ChangeError::Rule(RuleError::NoEntry(_)))
    ));
    assert!(matches!(
        w.roadmaps.edit(&id, RoadmapEdit::AddDecision { text: Some("  ".into()), rationale: None, phase: None }).await,
        Err(ChangeError::Invalid(_))
    ));
}

#[tokio::test]
async fn an_import_keeps_what_it_can_and_drops_broken_dependencies_with_a_warning() {
    let w = world();
    let roadmap = "# Roadmap: Shop\n\n## Milestone v1.0: First\n\n### Phase 1: Accounts\n**Depends on:** Phase 2\n\n### Phase 2: Lists\n**Depends on:** Phase 1\n";
    let files = BTreeMap::from([("ROADMAP.md".to_owned(), roadmap.to_owned())]);
    let (project, warnings) = w.roadmaps.import("Shop", &files).await.unwrap();
    assert!(warnings.iter().any(|w| w.contains("every dependency was dropped")), "{warnings:?}");
    assert!(project.roadmap.phases().iter().all(|p| p.depends_on.is_empty()));
    let escape = BTreeMap::from([("../secrets.md".to_owned(), String::new())]);
    assert!(matches!(w.roadmaps.import("Other", &escape).await, Err(ChangeError::Invalid(_))));
    assert!(matches!(w.roadmaps.import("Shop", &files).await, Err(ChangeError::DuplicateName(_))));
}

const QUESTIONS: &str = r#"```json
{"questions": [{"id": "q1", "text": "Who uses it first?"}]}
```"#;

const PLAN: &str = r#"```json
{"summary": "Two phases.",
 "milestones": [{"version": "v1.0", "name": "First", "goal": "Usable",
  "phases": [{"number": 1, "name": "Accounts", "goal": "Sign in", "requirements": ["AUTH-01"]},
             {"number": 2, "name": "Lists", "goal": "Keep lists", "depends_on": [1]}]}],
 "requirements": [{"id": "AUTH-01", "category": "Accounts", "text": "Users sign in"}]}
```"#;

#[tokio::test]
async fn a_planning_session_goes_from_questions_to_an_accepted_plan() {
    let w = world();
    let project = w.roadmaps.create_named("Shop").await.unwrap();
    let session = w.planning.start_session(&project.id, "an online shop", BackendType::Claude).await.unwrap();
    assert_eq!(session.stage, Stage::Asking);
    let (first_run, prompt) = w.assistant.asked()[0].clone();
    assert!(prompt.contains("an online shop"));
    assert_eq!(w.planning.session(&project.id, &session.id).await.unwrap().stage, Stage::Asking, "still running");
    w.assistant.end(&first_run, RunState::Succeeded(QUESTIONS.into()));
    let asked = w.planning.session(&project.id, &session.id).await.unwrap();
    assert_eq!((asked.stage, asked.questions.len()), (Stage::Answering, 1));
    let answers = vec![Answer { question_id: "q1".into(), answer: "a team".into() }];
    let proposing = w.planning.answer(&project.id, &session.id, answers).await.unwrap();
    assert_eq!(proposing.stage, Stage::Proposing);
    let (plan_run, _) = w.assistant.asked()[1].clone();
    w.assistant.end(&plan_run, RunState::Succeeded(PLAN.into()));
    assert_eq!(w.planning.session(&project.id, &session.id).await.unwrap().stage, Stage::Proposed);
    let (accepted, project) =
        w.planning.accept(&project.id, &session.id, None, &MergeOptions::default()).await.unwrap();
    assert_eq!(accepted.stage, Stage::Accepted);
    assert_eq!(project.roadmap.phases().len(), 2);
    assert!(matches!(w.planning.discard(&project.id, &session.id).await, Err(PlanningError::Stage(_))));

    // The accept is in the history, and undoing it brings back the empty roadmap.
    let history = w.roadmaps.history(project.id.as_str()).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].label, "accepting the plan “an online shop”");
    assert!(history[0].roadmap.phases().is_empty());
    let restored = w.roadmaps.restore(project.id.as_str(), history[0].id).await.unwrap();
    assert!(restored.roadmap.phases().is_empty());
    // The restore is undoable in turn.
    let history = w.roadmaps.history(project.id.as_str()).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].roadmap.phases().len(), 2, "newest first: the roadmap the restore replaced");
    assert!(matches!(
        w.roadmaps.restore(project.id.as_str(), 999).await,
        Err(ChangeError::Rule(RuleError::NoEntry(_)))
    ));
    assert!(matches!(w.roadmaps.restore("proj-nope", history[0].id).await, Err(ChangeError::NotFound)));
}

#[tokio::test]
async fn a_failed_run_is_retried_and_a_refused_ask_starts_no_session() {
    let w = world();
    let project = w.roadmaps.create_named("Shop").await.unwrap();
    let session = w.planning.start_session(&project.id, "a shop", BackendType::Claude).await.unwrap();
    let (run, _) = w.assistant.asked()[0].clone();
    w.assistant.end(&run, RunState::Failed("the model refused".into()));
    let failed = w.planning.session(&project.id, &session.id).await.unwrap();
    let error = failed.error.unwrap();
    assert!(error.starts_with(&format!("The run {run} failed")) && error.ends_with("the model refused"), "{error}");
    w.planning.retry_session(&project.id, &session.id).await.unwrap();
    assert_eq!(w.assistant.asked().len(), 2);
    *w.assistant.refuse.lock().unwrap() = Some("the planner trigger is disabled".into());
    assert!(matches!(
        w.planning.start_session(&project.id, "again", BackendType::Claude).await,
        Err(PlanningError::Refused(_))
    ));
    assert_eq!(w.planning.sessions(&project.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_projects_tooling_goes_with_its_planning_runs_and_leaves_the_roadmap_version_alone() {
    let w = world();
    let project = w.roadmaps.create_named("Tooled").await.unwrap();
    let id = project.id.to_string();
    let input: agented_kernel::ToolingInput =
        serde_json::from_value(serde_json::json!({"mcp_servers": ["mcp-docs01"], "rules": ["rule-style1"]})).unwrap();
    let tooled = w.roadmaps.set_tooling(&id, input).await.unwrap();
    assert_eq!((tooled.version, tooled.tooling.rules.len()), (project.version, 1));
    w.planning.start_session(&project.id, "a shop", BackendType::Claude).await.unwrap();
    assert_eq!(w.assistant.tooling(), std::slice::from_ref(&tooled.tooling));

    let bad: agented_kernel::ToolingInput = serde_json::from_value(serde_json::json!({"skills": ["x"]})).unwrap();
    let Err(ChangeError::Invalid(errors)) = w.roadmaps.set_tooling(&id, bad).await else { panic!("refused") };
    assert_eq!(errors["tooling"], "'x' is not a skill id (skill-…)");
    let none = w.roadmaps.set_tooling("proj-nope00", agented_kernel::ToolingInput::default()).await;
    assert!(matches!(none, Err(ChangeError::NotFound)));
}
