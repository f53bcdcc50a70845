//! Agents and teams against a real SQLite file or PostgreSQL database: every field reads
//! back as written, updates replace them, deletes remove them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{AgentId, BackendType, TeamId, WorkflowId};
use agented_store::testing::Scratch;
use agented_store::{SqlAgents, SqlTeams};
use agented_workflows::{Agent, AgentFields, AgentRepository, Member, Team, TeamFields, TeamRepository, Topology};
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
            tooling: agented_kernel::ToolingRefs {
                mcp_servers: vec![agented_kernel::McpServerId::generate()],
                ..agented_kernel::ToolingRefs::default()
            },
        },
        created_at: now,
        updated_at: now,
    };
    repo.insert(&agent).await.unwrap();
    assert_eq!(repo.get(&agent.id).await.unwrap().as_ref(), Some(&agent));
    agent.fields.model = None;
    agent.fields.goals.clear();
    agent.fields.enabled = false;
    agent.fields.tooling.mcp_servers.push(agented_kernel::McpServerId::generate());
    agent.updated_at = now + Duration::seconds(5);
    assert!(repo.update(&agent).await.unwrap());
    assert_eq!(repo.list().await.unwrap(), std::slice::from_ref(&agent));
    assert!(repo.delete(&agent.id).await.unwrap());
    assert!(!repo.delete(&agent.id).await.unwrap());
    assert!(!repo.update(&agent).await.unwrap(), "nothing to update");
    assert_eq!(repo.get(&agent.id).await.unwrap(), None);
}

#[tokio::test]
async fn a_team_reads_back_with_its_members_in_order_and_its_settings() {
    let dir = Scratch::new();
    let repo = SqlTeams::new(dir.database());
    let now = Utc::now().trunc_subsecs(6);
    let (rita, tom) = (AgentId::generate(), AgentId::generate());
    let config = serde_json::json!({"order": [tom.as_str(), rita.as_str()], "color": "#00d4ff"});
    let mut team = Team {
        id: TeamId::generate(),
        fields: TeamFields {
            name: "Platform Squad".into(),
            description: "Reviews and tests".into(),
            topology: Topology::GeneratorCritic,
            topology_config: config.as_object().unwrap().clone(),
            leader_id: Some(rita.clone()),
            enabled: true,
            tooling: agented_kernel::ToolingRefs {
                mcp_servers: vec![agented_kernel::McpServerId::generate()],
                ..agented_kernel::ToolingRefs::default()
            },
        },
        members: vec![
            Member { agent_id: tom.clone(), name: "Tester Tom".into(), role: "member".into() },
            Member { agent_id: rita, name: "Reviewer Rita".into(), role: "leader".into() },
        ],
        workflow_id: None,
        created_at: now,
        updated_at: now,
    };
    repo.insert(&team).await.unwrap();
    assert_eq!(repo.get(&team.id).await.unwrap().as_ref(), Some(&team));
    team.members.remove(1);
    team.fields.leader_id = None;
    team.workflow_id = Some(WorkflowId::generate());
    team.updated_at = now + Duration::seconds(5);
    assert!(repo.update(&team).await.unwrap());
    assert_eq!(repo.list().await.unwrap(), std::slice::from_ref(&team));
    assert!(repo.delete(&team.id).await.unwrap());
    assert_eq!(repo.get(&team.id).await.unwrap(), None);
}
