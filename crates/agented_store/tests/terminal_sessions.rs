//! `SqlSessions` against a real SQLite file or PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{ProjectId, SessionId};
use agented_sessions::{Purpose, Session, SessionRepository, SessionStatus, TerminalSize};
use agented_store::SqlSessions;
use agented_store::testing::Scratch;
use chrono::{TimeZone, Utc};

fn session(project: Option<ProjectId>, minute: u32) -> Session {
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, minute, 0).unwrap();
    Session {
        id: SessionId::generate(),
        project_id: project,
        purpose: Purpose::Terminal,
        program: "claude".into(),
        args: vec!["--model".into(), "opus".into()],
        status: SessionStatus::Running,
        exit_code: None,
        reason: None,
        created_by: "admin".into(),
        host: "host-a/1".into(),
        size: TerminalSize::new(100, 30).unwrap(),
        created_at: at,
        last_activity_at: at,
        ended_at: None,
    }
}

#[tokio::test]
async fn a_session_and_its_output_are_kept_in_order_and_read_back() {
    let scratch = Scratch::new();
    let repo = SqlSessions::new(scratch.database());
    let project = ProjectId::generate();
    let (a, b) = (session(Some(project.clone()), 0), session(None, 1));
    repo.insert(&a).await.unwrap();
    repo.insert(&b).await.unwrap();
    assert_eq!(repo.get(&a.id).await.unwrap().unwrap(), a);

    let later = a.created_at + chrono::Duration::minutes(5);
    for (i, data) in ["one\r\n", "two\u{0}\r\n", "thrée\r\n"].into_iter().enumerate() {
        assert_eq!(repo.append(&a.id, data, later).await.unwrap(), i64::try_from(i).unwrap() + 1);
    }
    let after: Vec<(i64, String)> =
        repo.output_after(&a.id, 1, 10).await.unwrap().into_iter().map(|c| (c.seq, c.data)).collect();
    assert_eq!(after, [(2, "two\u{fffd}\r\n".to_owned()), (3, "thrée\r\n".to_owned())]);
    let tail: Vec<i64> = repo.output_tail(&a.id, 2).await.unwrap().into_iter().map(|c| c.seq).collect();
    assert_eq!(tail, [2, 3]);
    assert!(repo.output_after(&b.id, 0, 10).await.unwrap().is_empty());
    assert_eq!(repo.get(&a.id).await.unwrap().unwrap().last_activity_at, later);

    let mut ended = repo.get(&a.id).await.unwrap().unwrap();
    ended.status = SessionStatus::Exited;
    ended.exit_code = Some(2);
    ended.reason = Some("exited with code 2".into());
    ended.size = TerminalSize::new(80, 24).unwrap();
    ended.ended_at = Some(later);
    repo.update(&ended).await.unwrap();
    assert_eq!(repo.get(&a.id).await.unwrap().unwrap(), ended);

    let open: Vec<SessionId> = repo.open().await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(open, std::slice::from_ref(&b.id));
    let listed: Vec<SessionId> = repo.list(None, 10).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(listed, [b.id.clone(), a.id.clone()]);
    let of_project: Vec<SessionId> = repo.list(Some(&project), 10).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(of_project, [a.id]);
}
