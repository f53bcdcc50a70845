//! `ExecutionService::follow_up` on in-memory fakes: what a follow-up runs,
//! and when there is nothing to continue.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod support;

use agented_executions::{
    AttemptRecord, Execution, ExecutionRepository, FollowUp, RunRequest, SessionId, StartError, follow_up,
};
use agented_kernel::{AccountId, BackendType, Clock};
use agented_triggers::{FallbackEntry, TriggerPatch};
use support::{World, world};

/// A run of a new trigger `name` with `patch` that ended having run `record` and reported `session`.
async fn ended(w: &World, name: &str, patch: TriggerPatch, record: &AttemptRecord, session: Option<&str>) -> Execution {
    let t = w.trigger(name, patch).await;
    let run = w.service.start(&t.id, RunRequest::manual(Some("x".into())).unwrap()).await.unwrap();
    let id = run.execution_id;
    w.executions.set_attempt(&id, record).await.unwrap();
    if let Some(session) = session {
        w.executions.set_session(&id, &SessionId::try_from(session.to_owned()).unwrap()).await.unwrap();
    }
    w.service.cancel(&id).await.unwrap();
    w.executions.get(&id).await.unwrap().unwrap()
}

fn on(backend_type: BackendType, account: Option<&str>) -> AttemptRecord {
    AttemptRecord { backend_type, backend_id: None, account_id: account.map(str::to_owned) }
}

#[tokio::test]
async fn a_follow_up_pins_the_cli_and_account_that_made_the_session_and_shares_the_workspace() {
    let w = world();
    let chain = vec![
        FallbackEntry { backend_id: "backend-claude".into(), account_id: None },
        FallbackEntry { backend_id: "backend-codex".into(), account_id: None },
    ];
    let patch = TriggerPatch { model: Some("opus".into()), fallback_chain: Some(chain), ..TriggerPatch::default() };
    // The chain's second entry ran (codex, under an account): the follow-up runs there, without claude's model.
    let first = ended(&w, "chained", patch, &on(BackendType::Codex, Some("acct-abc123")), Some("thread-1")).await;
    let next = w.service.follow_up(&first.execution_id, FollowUp::by_person("go on".into())).await.unwrap();
    let s = &next.snapshot;
    assert_eq!((s.prompt.as_str(), s.backend_type, s.model.as_deref()), ("go on", BackendType::Codex, None));
    let account = AccountId::try_from("acct-abc123".to_owned()).unwrap();
    assert_eq!(s.chain, vec![FallbackEntry { backend_id: "backend-codex".into(), account_id: Some(account) }]);
    let resume = s.resume.clone().unwrap();
    assert_eq!((resume.follow_up_of.clone(), resume.session_id.as_str()), (first.execution_id.clone(), "thread-1"));
    assert_eq!(resume.workspace_of, first.execution_id);
    assert_eq!(next.message.as_deref(), Some("go on"));

    // While it is queued, neither the first run nor the follow-up can be continued.
    let busy = w.service.follow_up(&first.execution_id, FollowUp::by_person("again".into())).await;
    assert!(matches!(busy, Err(StartError::Busy(id)) if id == next.execution_id));
    w.executions.set_session(&next.execution_id, &resume.session_id).await.unwrap();
    w.service.cancel(&next.execution_id).await.unwrap();
    let third = w.service.follow_up(&next.execution_id, FollowUp::by_person("more".into())).await.unwrap();
    let third_resume = third.snapshot.resume.unwrap();
    assert_eq!(third_resume.follow_up_of, next.execution_id);
    assert_eq!(third_resume.workspace_of, first.execution_id, "the thread keeps its first run's workspace");
}

#[tokio::test]
async fn runs_without_a_session_or_still_active_are_not_continued() {
    let w = world();
    let none = ended(&w, "plain", TriggerPatch::default(), &on(BackendType::Claude, None), None).await;
    let refused = w.service.follow_up(&none.execution_id, FollowUp::by_person("x".into())).await;
    assert!(matches!(refused, Err(StartError::Refused(why)) if why.contains("no CLI session id")));

    let custom = AttemptRecord { backend_id: Some("backend-aider1".into()), ..on(BackendType::Claude, None) };
    let custom = ended(&w, "custom", TriggerPatch::default(), &custom, Some("s")).await;
    let refused = w.service.follow_up(&custom.execution_id, FollowUp::by_person("x".into())).await;
    assert!(matches!(refused, Err(StartError::Refused(why)) if why.contains("custom command")));

    let t = w.trigger("live", TriggerPatch::default()).await;
    let live = w.service.start(&t.id, RunRequest::manual(None).unwrap()).await.unwrap();
    let busy = w.service.follow_up(&live.execution_id, FollowUp::by_person("x".into())).await;
    assert!(matches!(busy, Err(StartError::Busy(_))));
    let unknown = agented_kernel::ExecutionId::generate(&t.id, w.clock.now());
    assert!(matches!(
        w.service.follow_up(&unknown, FollowUp::by_person("x".into())).await,
        Err(StartError::NotFound(_))
    ));
}

#[test]
fn a_follow_up_message_must_say_something_and_not_too_much() {
    assert_eq!(follow_up::checked_message("next".into()), Ok("next".into()));
    assert!(follow_up::checked_message(" \n".into()).unwrap_err().contains_key("message"));
    assert!(follow_up::checked_message("x".repeat(100_001)).unwrap_err().contains_key("message"));
}
