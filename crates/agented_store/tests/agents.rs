//! Agents against a real SQLite file or PostgreSQL database: every field reads back as
//! written, updates replace them, deletes remove them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{AgentId, BackendType};
use agented_store::SqlAgents;
use agented_store::testing::Scratch;
use agented_workflows::{Agent, AgentFields, AgentRepository};
use chrono::{Duration, SubsecRound, Utc};

#[tokio::test]
async fn an_agent_reads_back_as_written_and_goes_when_deleted() {
    let dir = Scratch::new();
    let repo = SqlAgents::new(dir.database());
    let now = Utc::now().trunc_subsecs(6);
    let mut agent = Agent {
        id: AgentId::generate(),
        fields: AgentFields {
            name: "Tester Tom".into(),
            description: "Writes property-based tests".into(),
            role: "test writer".into(),
            goals: vec!["raise coverage".into(), "find edge cases".into()],
            context: "pytest + hypothesis".into(),
            backend_type: BackendType::Opencode,
            system_prompt: "Be thorough.".into(),
            model: Some("m-1".into()),
            allowed_tools: vec!["Read".into(), "Bash(git diff:*)".into()],
            skills: vec!["testing".into()],
            documents: vec!["CONTRIBUTING.md".into()],
            enabled: true,
        },
        created_at: now,
        updated_at: now,
    };
    repo.insert(&agent).await.unwrap();
    assert_eq!(repo.get(&agent.id).await.unwrap().as_ref(), Some(&agent));
    agent.fields.model = None;
    agent.fields.goals.clear();
    agent.fields.enabled = false;
    agent.updated_at = now + Duration::seconds(5);
    assert!(repo.update(&agent).await.unwrap());
    assert_eq!(repo.list().await.unwrap(), std::slice::from_ref(&agent));
    assert!(repo.delete(&agent.id).await.unwrap());
    assert!(!repo.delete(&agent.id).await.unwrap());
    assert!(!repo.update(&agent).await.unwrap(), "nothing to update");
    assert_eq!(repo.get(&agent.id).await.unwrap(), None);
}
