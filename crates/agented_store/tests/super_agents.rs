//! `SqlSuperAgents` against a real SQLite file or PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{BackendType, ChatId, ExecutionId, SuperAgentId, TriggerId};
use agented_store::SqlSuperAgents;
use agented_store::testing::Scratch;
use agented_super_agents::{
    AgentMessage, ChatSession, ChatStatus, DocKind, Role, SuperAgent, SuperAgentStore, TurnState,
};
use chrono::{TimeZone, Utc};

#[tokio::test]
async fn agents_documents_chats_and_mail_are_kept_and_removed_together() {
    let scratch = Scratch::new();
    let store = SqlSuperAgents::new(scratch.database());
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    let agent = |name: &str| SuperAgent {
        id: SuperAgentId::generate(),
        name: name.into(),
        description: String::new(),
        backend: BackendType::Codex,
        model: Some("gpt-5".into()),
        created_at: at,
        updated_at: at,
    };
    let (a, b) = (agent("Beta"), agent("Alpha"));
    store.insert_agent(&a).await.unwrap();
    store.insert_agent(&b).await.unwrap();
    assert_eq!(store.agent(&a.id).await.unwrap().unwrap(), a);
    let names: Vec<String> = store.agents().await.unwrap().into_iter().map(|x| x.name).collect();
    assert_eq!(names, ["Alpha", "Beta"]);

    store.put_document(&a.id, DocKind::Memory, "one", ("admin", at)).await.unwrap();
    let second = store.put_document(&a.id, DocKind::Memory, "two", ("turn x", at)).await.unwrap();
    store.put_document(&a.id, DocKind::Soul, "calm", ("admin", at)).await.unwrap();
    assert_eq!((second.version, second.content.as_str()), (2, "two"));
    let docs: Vec<(DocKind, i64)> =
        store.documents(&a.id).await.unwrap().into_iter().map(|d| (d.kind, d.version)).collect();
    assert_eq!(docs, [(DocKind::Memory, 2), (DocKind::Soul, 1)]);
    let versions: Vec<String> =
        store.versions(&a.id, DocKind::Memory).await.unwrap().into_iter().map(|v| v.changed_by).collect();
    assert_eq!(versions, ["turn x", "admin"]);

    let run = ExecutionId::generate(&TriggerId::parse("bot-super-agents").unwrap(), at);
    let mut chat = ChatSession {
        id: ChatId::generate(),
        agent_id: a.id.clone(),
        status: ChatStatus::Active,
        turn: TurnState::Running(run.clone()),
        last_execution: None,
        cli_session: None,
        created_at: at,
        ended_at: None,
    };
    store.insert_chat(&chat).await.unwrap();
    assert_eq!(store.chats_in_turn().await.unwrap(), std::slice::from_ref(&chat));
    for (i, (role, text)) in [(Role::User, "hi"), (Role::Assistant, "hello")].into_iter().enumerate() {
        let m = store.append_message(&chat.id, (role, text), Some(&run), at).await.unwrap();
        assert_eq!(m.seq, i64::try_from(i).unwrap() + 1);
    }
    let after: Vec<String> = store.messages(&chat.id, 1).await.unwrap().into_iter().map(|m| m.content).collect();
    assert_eq!(after, ["hello"]);
    chat.turn = TurnState::Idle;
    chat.last_execution = Some(run);
    chat.cli_session = Some("cli-1".into());
    store.update_chat(&chat).await.unwrap();
    assert_eq!(store.chat(&chat.id).await.unwrap().unwrap(), chat);
    assert!(store.chats_in_turn().await.unwrap().is_empty());

    let mail = AgentMessage {
        id: 0,
        from_agent: a.id.clone(),
        to_agent: b.id.clone(),
        subject: "s".into(),
        body: "b".into(),
        created_at: at,
        read_at: None,
    };
    let sent = store.send(&mail).await.unwrap();
    assert!(sent.id > 0);
    assert_eq!(store.mail(&b.id, true).await.unwrap(), std::slice::from_ref(&sent));
    assert!(store.mark_read(&a.id, sent.id, at).await.unwrap().is_none(), "only the recipient reads it");
    assert_eq!(store.mark_read(&b.id, sent.id, at).await.unwrap().unwrap().read_at, Some(at));

    assert!(store.delete_agent(&a.id).await.unwrap());
    assert!(store.chat(&chat.id).await.unwrap().is_none());
    assert!(store.mail(&b.id, true).await.unwrap().is_empty());
    assert!(store.documents(&a.id).await.unwrap().is_empty());
    assert!(!store.delete_agent(&a.id).await.unwrap());
}
