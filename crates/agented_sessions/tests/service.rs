//! The session rules on in-memory fakes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{ManualClock, ProjectId, SessionId};
use agented_sessions::fakes::{FakeTerminals, FixedProjects, MemorySessions};
use agented_sessions::{
    OpenRequest, ProgramRequest, Programs, Purpose, SessionError, SessionEvent, SessionLimits, SessionRef,
    SessionService, SessionStatus, TerminalSize,
};
use chrono::TimeZone;
use std::sync::Arc;
use std::time::Duration;

struct World {
    service: SessionService,
    terminals: Arc<FakeTerminals>,
    repo: Arc<MemorySessions>,
    clock: Arc<ManualClock>,
    project: ProjectId,
}

fn world() -> World {
    let project = ProjectId::generate();
    let projects =
        FixedProjects([(project.clone(), vec![(".planning/ROADMAP.md".into(), "# Roadmap\n".into())])].into());
    let (terminals, repo) = (Arc::new(FakeTerminals::default()), Arc::new(MemorySessions::default()));
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()));
    let limits = SessionLimits {
        max_open_per_key: 2,
        idle_timeout: Duration::from_secs(600),
        stop_wait: Duration::from_secs(1),
        max_output_bytes: 64,
    };
    let service = SessionService::new(
        repo.clone(),
        terminals.clone(),
        Arc::new(projects),
        clock.clone(),
        (Programs::new(["bash".to_owned()]).unwrap(), limits),
    );
    World { service, terminals, repo, clock, project }
}

/// The session once its end is recorded (the fake's stop ends it on a spawned task).
async fn settled(service: &SessionService, id: &SessionId) -> agented_sessions::Session {
    for _ in 0..100 {
        let s = service.get(&r(id)).await.unwrap();
        if !s.status.is_open() {
            return s;
        }
        tokio::task::yield_now().await;
    }
    panic!("session {id} did not end");
}

fn r(id: &SessionId) -> SessionRef {
    SessionRef::from(id.clone())
}

fn request(program: &str, key: &str) -> OpenRequest {
    OpenRequest {
        project_id: None,
        program: ProgramRequest { program: program.into(), args: vec![] },
        size: None,
        created_by: key.into(),
    }
}

#[tokio::test]
async fn a_session_runs_its_program_in_its_own_folder_and_keeps_its_output_in_order() {
    let w = world();
    let s = w.service.open(request("claude", "alice")).await.unwrap();
    assert_eq!((s.status, s.purpose, s.size), (SessionStatus::Running, Purpose::Terminal, TerminalSize::DEFAULT));
    let t = w.terminals.terminal(&s.id).unwrap();
    assert_eq!((t.spec.launch.program.as_str(), t.spec.folder.clone()), ("claude", format!("sessions/{}", s.id)));

    w.terminals.print(&s.id, "hello\r\n").await;
    w.service.input(&r(&s.id), "hi\r").await.unwrap();
    w.terminals.print(&s.id, "\x1b[32mgreen\x1b[0m\r\n").await;
    assert_eq!(w.terminals.terminal(&s.id).unwrap().typed, b"hi\r");
    assert_eq!(w.service.output_lines(&r(&s.id), 100).await.unwrap(), ["hello", "green"]);

    w.terminals.exit(&s.id, Some(0)).await;
    let ended = w.service.get(&r(&s.id)).await.unwrap();
    assert_eq!(
        (ended.status, ended.exit_code, ended.reason.as_deref()),
        (SessionStatus::Exited, Some(0), Some("exited with code 0"))
    );
    assert!(matches!(w.service.input(&r(&s.id), "x").await, Err(SessionError::Ended(SessionStatus::Exited))));
}

#[tokio::test]
async fn following_replays_what_came_after_the_last_seen_chunk_then_completes() {
    let w = world();
    let s = w.service.open(request("codex", "alice")).await.unwrap();
    for line in ["one\n", "two\n", "three\n"] {
        w.terminals.print(&s.id, line).await;
    }
    let mut events = w.service.follow(&r(&s.id), 1, Duration::from_secs(60)).await.unwrap();
    assert!(matches!(events.recv().await, Some(SessionEvent::Status(_))));
    let mut seen = Vec::new();
    for _ in 0..2 {
        match events.recv().await {
            Some(SessionEvent::Output(c)) => seen.push((c.seq, c.data)),
            other => panic!("expected output, got {other:?}"),
        }
    }
    assert_eq!(seen, [(2, "two\n".to_owned()), (3, "three\n".to_owned())]);
    w.terminals.print(&s.id, "four\n").await;
    w.terminals.exit(&s.id, Some(3)).await;
    assert!(matches!(events.recv().await, Some(SessionEvent::Output(c)) if c.seq == 4));
    match events.recv().await {
        Some(SessionEvent::Complete(s)) => assert_eq!(s.exit_code, Some(3)),
        other => panic!("expected complete, got {other:?}"),
    }
    assert_eq!(events.recv().await, None);
}

#[tokio::test]
async fn a_key_has_a_limit_of_open_sessions_and_only_what_is_allowed_runs() {
    let w = world();
    w.service.open(request("claude", "alice")).await.unwrap();
    let second = w.service.open(request("bash", "alice")).await.unwrap();
    assert!(matches!(w.service.open(request("gemini", "alice")).await, Err(SessionError::TooMany(2))));
    w.service.open(request("gemini", "bob")).await.unwrap();
    w.service.stop(&r(&second.id)).await.unwrap();
    w.service.open(request("gemini", "alice")).await.unwrap();
    match w.service.open(request("sh", "carol")).await {
        Err(SessionError::Invalid { field: "program", .. }) => {}
        other => panic!("expected an invalid program, got {other:?}"),
    }
}

#[tokio::test]
async fn a_project_has_one_planning_session_at_a_time_in_its_folder_with_its_roadmap() {
    let w = world();
    let args = ["2".to_owned()];
    let plan = w.service.plan(w.project.clone(), ("plan-phase", &args), "alice".into()).await.unwrap();
    assert_eq!((plan.purpose, plan.args.clone()), (Purpose::Planning, vec!["/grd:plan-phase 2".to_owned()]));
    let t = w.terminals.terminal(&plan.id).unwrap();
    assert_eq!(t.spec.folder, format!("projects/{}", w.project));
    assert_eq!(t.spec.files[0].0, ".planning/ROADMAP.md");

    match w.service.plan(w.project.clone(), ("discuss-phase", &[]), "bob".into()).await {
        Err(SessionError::PlanningBusy(id)) => assert_eq!(id, plan.id),
        other => panic!("expected a busy project, got {other:?}"),
    }
    // A terminal on the same project is no planning session.
    let mut terminal = request("claude", "bob");
    terminal.project_id = Some(w.project.clone());
    w.service.open(terminal).await.unwrap();

    w.terminals.exit(&plan.id, Some(0)).await;
    w.service.plan(w.project.clone(), ("discuss-phase", &[]), "bob".into()).await.unwrap();
    let unknown = ProjectId::generate();
    assert!(matches!(
        w.service.plan(unknown, ("plan-phase", &[]), "bob".into()).await,
        Err(SessionError::ProjectNotFound(_))
    ));
}

#[tokio::test]
async fn stop_pause_and_resume_reach_the_process_and_record_why_it_ended() {
    let w = world();
    let s = w.service.open(request("claude", "alice")).await.unwrap();
    let paused = w.service.pause(&r(&s.id), true).await.unwrap();
    assert_eq!(paused.status, SessionStatus::Paused);
    assert!(w.terminals.terminal(&s.id).unwrap().paused);
    assert!(matches!(w.service.input(&r(&s.id), "x").await, Err(SessionError::Paused)));
    w.service.pause(&r(&s.id), false).await.unwrap();
    let resized = w.service.resize(&r(&s.id), TerminalSize::new(200, 50).unwrap()).await.unwrap();
    assert_eq!(w.terminals.terminal(&s.id).unwrap().size, resized.size);

    let stopped = w.service.stop(&r(&s.id)).await.unwrap();
    assert_eq!((stopped.status, stopped.reason.as_deref()), (SessionStatus::Stopped, Some("stopped on request")));
    assert!(w.terminals.terminal(&s.id).is_none());
    assert!(matches!(w.service.stop(&r(&s.id)).await, Err(SessionError::Ended(SessionStatus::Stopped))));
}

#[tokio::test]
async fn an_idle_session_is_ended_and_activity_keeps_one_open() {
    let w = world();
    let idle = w.service.open(request("claude", "alice")).await.unwrap();
    let busy = w.service.open(request("codex", "alice")).await.unwrap();
    w.clock.advance(chrono::Duration::seconds(400));
    w.service.input(&r(&busy.id), "ls\r").await.unwrap();
    w.clock.advance(chrono::Duration::seconds(300));
    assert_eq!(w.service.reap_idle().await.unwrap(), 1);
    let idle = settled(&w.service, &idle.id).await;
    assert_eq!(w.service.get(&r(&busy.id)).await.unwrap().status, SessionStatus::Running);
    assert_eq!((idle.status, idle.reason.as_deref()), (SessionStatus::TimedOut, Some("no input or output for 600 s")));
}

#[tokio::test]
async fn a_program_that_cannot_start_leaves_a_failed_session() {
    let w = world();
    w.terminals.missing.lock().unwrap().push("opencode".into());
    assert!(matches!(w.service.open(request("opencode", "alice")).await, Err(SessionError::Start(_))));
    let all = w.service.list(None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, SessionStatus::Failed);
    assert_eq!(all[0].reason.as_deref(), Some("'opencode' was not found on the runner's PATH"));
}

#[tokio::test]
async fn recovery_interrupts_the_sessions_of_a_dead_server_and_kills_their_leftovers() {
    let w = world();
    let s = w.service.open(request("claude", "alice")).await.unwrap();
    let mut elsewhere = w.service.open(request("codex", "alice")).await.unwrap();
    elsewhere.host = "other-host".into();
    w.terminals.forget(&elsewhere.id);
    agented_sessions::SessionRepository::update(w.repo.as_ref(), &elsewhere).await.unwrap();

    let recovered = w.service.recover(&|host| host == FakeTerminals::HOST).await.unwrap();
    assert_eq!(recovered, 1);
    let s = w.service.get(&r(&s.id)).await.unwrap();
    assert_eq!(
        (s.status, s.reason.as_deref()),
        (SessionStatus::Interrupted, Some("the server stopped while the session ran"))
    );
    assert_eq!(*w.terminals.killed.lock().unwrap(), std::slice::from_ref(&s.id));
    assert_eq!(w.service.get(&r(&elsewhere.id)).await.unwrap().status, SessionStatus::Running);
    match w.service.input(&r(&elsewhere.id), "x").await {
        Err(SessionError::Elsewhere(host)) => assert_eq!(host, "other-host"),
        other => panic!("expected elsewhere, got {other:?}"),
    }
}

#[tokio::test]
async fn shutdown_interrupts_this_servers_sessions() {
    let w = world();
    let s = w.service.open(request("claude", "alice")).await.unwrap();
    w.service.shutdown(Duration::from_secs(1)).await;
    assert_eq!(w.service.get(&r(&s.id)).await.unwrap().status, SessionStatus::Interrupted);
    let unknown = SessionId::generate();
    assert!(matches!(w.service.get(&r(&unknown)).await, Err(SessionError::NotFound)));
}

#[tokio::test]
async fn a_session_printing_past_its_output_limit_is_stopped_and_the_rest_is_not_kept() {
    let w = world();
    let s = w.service.open(request("claude", "alice")).await.unwrap();
    w.terminals.print(&s.id, &"0123456789".repeat(4)).await;
    w.terminals.print(&s.id, &"abcdefghij".repeat(4)).await;
    w.terminals.print(&s.id, "never kept").await;
    let ended = settled(&w.service, &s.id).await;
    assert_eq!(
        (ended.status, ended.reason.as_deref()),
        (SessionStatus::Stopped, Some("printed more than 64 bytes; stopped"))
    );
    let lines = w.service.output_lines(&r(&s.id), 10).await.unwrap();
    assert_eq!(lines, ["0123456789".repeat(4), "[agented: printed more than 64 bytes; stopped]".to_owned()]);
}
