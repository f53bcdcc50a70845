//! Persistent agents on in-memory fakes: documents and their versions, chats
//! whose turns resume the last one's run, MEMORY rewritten by replies, mail.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{BackendType, ChatId, SuperAgentId, SystemClock};
use agented_super_agents::fakes::{MemoryStore, ScriptedRunner};
use agented_super_agents::{AgentInput, ChatMessage, DocKind, Role, SuperAgentError, SuperAgentService, TurnOutcome};
use std::sync::Arc;

fn world() -> (SuperAgentService, Arc<ScriptedRunner>) {
    let runner = Arc::new(ScriptedRunner::default());
    (SuperAgentService::new(Arc::new(MemoryStore::default()), runner.clone(), Arc::new(SystemClock)), runner)
}

fn input(name: &str) -> AgentInput {
    AgentInput { name: name.into(), description: "keeps notes".into(), backend: BackendType::Claude, model: None }
}

/// The chat's messages once it has `n` of them (the turn is recorded by a spawned task).
async fn messages(service: &SuperAgentService, agent: &SuperAgentId, chat: &ChatId, n: usize) -> Vec<ChatMessage> {
    for _ in 0..500 {
        let all = service.messages(agent, chat, 0).await.unwrap();
        if all.len() >= n {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the chat never had {n} messages");
}

#[tokio::test]
async fn memory_carries_across_three_turns_each_resuming_the_last() {
    let (service, runner) = world();
    let agent = service.create(input("Archivist")).await.unwrap();
    service.put_document(&agent.id, DocKind::Soul, "Patient and exact.", "admin").await.unwrap();
    service.put_document(&agent.id, DocKind::Memory, "- nothing yet", "admin").await.unwrap();
    let chat = service.open_chat(&agent.id).await.unwrap();

    service.say(&agent.id, &chat.id, "My favourite colour is blue.").await.unwrap();
    let first = runner.last().unwrap();
    assert!(first.prompt.contains("## SOUL\nPatient and exact.") && first.prompt.contains("## MEMORY\n- nothing yet"));
    assert_eq!(first.resume, None);
    assert!(matches!(
        service.say(&agent.id, &chat.id, "again").await,
        Err(SuperAgentError::Busy(run)) if run == first.run
    ));
    let reply = "Noted.\n```memory\n- favourite colour: blue\n```".to_owned();
    runner.finish(&first.run, TurnOutcome::Answered { reply, cli_session: Some("cli-1".into()) });
    let after_one = messages(&service, &agent.id, &chat.id, 3).await;
    let roles: Vec<Role> = after_one.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::System, Role::Assistant]);
    assert_eq!(after_one[1].content, "MEMORY updated (version 2)");
    assert_eq!(after_one[2].content, "Noted.");

    service.say(&agent.id, &chat.id, "What do you remember?").await.unwrap();
    let second = runner.last().unwrap();
    assert_eq!(second.resume.as_ref(), Some(&first.run), "the second turn resumes the first");
    assert!(second.prompt.contains("- favourite colour: blue") && !second.prompt.contains("## SOUL"));
    runner.finish(&second.run, TurnOutcome::Failed("the CLI crashed".into()));
    let failed = messages(&service, &agent.id, &chat.id, 5).await;
    assert_eq!(failed[4].content, "The turn failed: the CLI crashed");

    service.say(&agent.id, &chat.id, "And now?").await.unwrap();
    let third = runner.last().unwrap();
    assert_eq!(third.resume.as_ref(), Some(&first.run), "a failed turn is not resumed");
    runner.finish(&third.run, TurnOutcome::Answered { reply: "Blue.".into(), cli_session: Some("cli-1".into()) });
    assert_eq!(messages(&service, &agent.id, &chat.id, 7).await[6].content, "Blue.");
    let chat = service.chat(&agent.id, &chat.id).await.unwrap();
    assert_eq!((chat.last_execution, chat.cli_session.as_deref()), (Some(third.run), Some("cli-1")));

    let versions = service.versions(&agent.id, DocKind::Memory).await.unwrap();
    let kept: Vec<(i64, &str)> = versions.iter().map(|v| (v.version, v.changed_by.as_str())).collect();
    assert_eq!(kept, [(2, format!("turn {}", first.run).as_str()), (1, "admin")]);
}

#[tokio::test]
async fn bad_input_and_ended_chats_are_refused() {
    let (service, _) = world();
    assert!(matches!(service.create(input(" ")).await, Err(SuperAgentError::Invalid { field: "name", .. })));
    let agent = service.create(input("Scribe")).await.unwrap();
    let big = "x".repeat(64 * 1024 + 1);
    assert!(matches!(
        service.put_document(&agent.id, DocKind::Role, &big, "admin").await,
        Err(SuperAgentError::Invalid { field: "content", .. })
    ));
    let chat = service.open_chat(&agent.id).await.unwrap();
    assert!(matches!(service.say(&agent.id, &chat.id, "  ").await, Err(SuperAgentError::Invalid { .. })));
    service.end_chat(&agent.id, &chat.id).await.unwrap();
    assert!(matches!(service.say(&agent.id, &chat.id, "hi").await, Err(SuperAgentError::Ended)));
    let other = service.create(input("Other")).await.unwrap();
    assert!(matches!(service.chat(&other.id, &chat.id).await, Err(SuperAgentError::NotFound(_))));
}

#[tokio::test]
async fn agents_leave_each_other_messages_and_only_the_recipient_marks_one_read() {
    let (service, _) = world();
    let (a, b) = (service.create(input("A")).await.unwrap(), service.create(input("B")).await.unwrap());
    let sent = service.send(&a.id, &b.id, ("hello", "the build is green")).await.unwrap();
    assert_eq!(service.mail(&b.id, true).await.unwrap(), std::slice::from_ref(&sent));
    assert_eq!(service.mail(&a.id, false).await.unwrap(), std::slice::from_ref(&sent));
    assert!(service.mail(&a.id, true).await.unwrap().is_empty());
    assert!(matches!(service.mark_read(&a.id, sent.id).await, Err(SuperAgentError::NotFound(_))));
    assert!(service.mark_read(&b.id, sent.id).await.unwrap().read_at.is_some());
    assert!(matches!(
        service.send(&a.id, &SuperAgentId::generate(), ("x", "y")).await,
        Err(SuperAgentError::Invalid { field: "to_agent_id", .. })
    ));
}

#[tokio::test]
async fn two_messages_at_once_start_one_turn() {
    let (service, runner) = world();
    let agent = service.create(input("Busy")).await.unwrap();
    let chat = service.open_chat(&agent.id).await.unwrap();
    let (a, b) = tokio::join!(service.say(&agent.id, &chat.id, "one"), service.say(&agent.id, &chat.id, "two"));
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    assert!(matches!(a.err().or(b.err()), Some(SuperAgentError::Busy(_))));
    assert_eq!(runner.started.lock().unwrap().len(), 1);
}
