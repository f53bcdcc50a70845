//! Agents on the in-memory stores: fields checked all at once, the original's fields kept,
//! a prompt composed from the definition, and runs started through the launcher only when
//! the agent may run.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{BackendType, ManualClock};
use agented_workflows::fakes::{MemoryAgents, RecordingLauncher};
use agented_workflows::{AgentError, AgentPatch, AgentService};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

fn service(launcher: Arc<RecordingLauncher>) -> AgentService {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()));
    AgentService::new(Arc::new(MemoryAgents::default()), launcher, clock)
}

fn rita() -> AgentPatch {
    AgentPatch {
        name: Some("Reviewer Rita".into()),
        role: Some("code reviewer".into()),
        goals: Some(vec!["catch bugs".into(), " keep diffs small ".into(), String::new()]),
        system_prompt: Some("You are a careful reviewer.".into()),
        skills: Some(vec!["code-review".into()]),
        backend_type: Some("opencode".into()),
        model: Some(Some("big-model".into())),
        ..AgentPatch::default()
    }
}

#[tokio::test]
async fn an_agent_keeps_its_definition_and_composes_its_prompt_from_it() {
    let s = service(Arc::new(RecordingLauncher::default()));
    let agent = s.create(rita()).await.unwrap();
    assert!(agent.id.as_str().starts_with("agent-"));
    let f = &agent.fields;
    assert_eq!((f.backend_type, f.model.as_deref(), f.enabled), (BackendType::Opencode, Some("big-model"), true));
    assert_eq!(f.goals, ["catch bugs", "keep diffs small"], "trimmed, blanks dropped");
    assert_eq!(
        agent.prompt("Review PR 7"),
        "You are a careful reviewer.\n\nYour role: code reviewer.\n\nYour goals:\n- catch bugs\n- keep diffs small\n\nSkills you may use:\n- code-review\n\nReview PR 7"
    );
    let changed = s
        .update(agent.id.as_str(), AgentPatch { model: Some(None), enabled: Some(false), ..AgentPatch::default() })
        .await
        .unwrap();
    assert_eq!(
        (changed.fields.model.as_deref(), changed.fields.enabled, changed.fields.name.as_str()),
        (None, false, "Reviewer Rita")
    );
    assert_eq!(s.list().await.unwrap(), std::slice::from_ref(&changed));
    s.delete(agent.id.as_str()).await.unwrap();
    assert_eq!(s.get(agent.id.as_str()).await, Err(AgentError::NotFound));
    assert_eq!(s.delete(agent.id.as_str()).await, Err(AgentError::NotFound));
}

#[tokio::test]
async fn bad_fields_are_refused_all_at_once() {
    let s = service(Arc::new(RecordingLauncher::default()));
    let bad = AgentPatch {
        backend_type: Some("gpt".into()),
        goals: Some(vec!["x".repeat(501)]),
        model: Some(Some("has space".into())),
        ..AgentPatch::default()
    };
    let Err(AgentError::Invalid(errors)) = s.create(bad).await else { panic!("refused") };
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert_eq!(fields, ["backend_type", "goals", "model", "name"]);
    assert!(errors["backend_type"].contains("'gpt' is not claude"));
    assert_eq!(s.get("agent-nothere").await, Err(AgentError::NotFound));
    assert_eq!(s.get("../etc").await, Err(AgentError::NotFound));
}

#[tokio::test]
async fn a_run_starts_through_the_launcher_only_when_the_agent_may_run() {
    let launcher = Arc::new(RecordingLauncher::default());
    let s = service(launcher.clone());
    let agent = s.create(rita()).await.unwrap();
    assert_eq!(s.run(agent.id.as_str(), "Review PR 7").await.unwrap(), "exec-1");
    assert_eq!(launcher.launched.lock().unwrap()[0], (agent.id.clone(), "Review PR 7".to_owned(), "exec-1".to_owned()));
    let Err(AgentError::Invalid(errors)) = s.run(agent.id.as_str(), "  ").await else { panic!("an empty message") };
    assert!(errors.contains_key("message"));
    s.update(agent.id.as_str(), AgentPatch { enabled: Some(false), ..AgentPatch::default() }).await.unwrap();
    assert_eq!(
        s.run(agent.id.as_str(), "x").await,
        Err(AgentError::Conflict("agent 'Reviewer Rita' is disabled".into()))
    );
    let refusing = service(Arc::new(RecordingLauncher::refusing("trigger 'Workflow agents' is disabled")));
    let agent = refusing.create(rita()).await.unwrap();
    assert_eq!(
        refusing.run(agent.id.as_str(), "x").await,
        Err(AgentError::Conflict("trigger 'Workflow agents' is disabled".into()))
    );
}
