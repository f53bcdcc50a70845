//! The trigger list's one query against a real SQLite file or PostgreSQL database, checked against the
//! same list put together from the repositories one trigger at a time.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::fakes::new_execution;
use agented_executions::ports::NewExecution;
use agented_executions::{
    ComposedOverview, ExecutionRepository, ExecutionStatus, Outcome, TriggerOverview, TriggerType,
};
use agented_kernel::{BackendType, TriggerId};
use agented_store::testing::Scratch;
use agented_store::{SqlExecutions, SqlTriggers};
use agented_triggers::{ProjectPath, TriggerRepository, TriggerSettings};
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

#[tokio::test]
async fn one_query_gives_each_trigger_its_path_count_and_latest_run() {
    let dir = Scratch::new();
    let db = dir.database();
    let triggers = Arc::new(SqlTriggers::new(db.clone()));
    let executions = Arc::new(SqlExecutions::new(db));
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let paths = [ProjectPath::Local("/srv/a".into()), ProjectPath::Repository("https://github.com/o/r".into())];
    let mut ids = Vec::new();
    for (n, name) in ["busy", "idle", "once"].into_iter().enumerate() {
        let id = TriggerId::generate();
        let settings = TriggerSettings { name: name.into(), prompt_template: "p".into(), ..TriggerSettings::default() };
        triggers.insert(&id, &settings, None, &paths[..n.min(2)], start).await.unwrap();
        ids.push(id);
    }
    let mut latest = None;
    for minutes in [1, 3, 2] {
        let at = start + Duration::minutes(minutes);
        let new = new_execution(&ids[0], at, BackendType::Claude, Vec::new());
        executions.insert(&new).await.unwrap();
        if minutes == 3 {
            executions.claim(&new.execution_id, &agented_kernel::WorkerId::generate(), 1, at).await.unwrap();
            let outcome = Outcome {
                status: ExecutionStatus::Failed,
                exit_code: Some(2),
                error_message: Some("exited with code 2".into()),
                finished_at: at + Duration::seconds(5),
                duration_ms: 5000,
                usage: agented_executions::Usage::default(),
            };
            executions.finish(&new.execution_id, &outcome).await.unwrap();
            latest = Some(new.execution_id.clone());
        }
    }
    let once = NewExecution {
        trigger_type: TriggerType::Webhook,
        ..new_execution(&ids[2], start, BackendType::Claude, Vec::new())
    };
    executions.insert(&once).await.unwrap();

    let rows = triggers.overview().await.unwrap();
    let composed = ComposedOverview { triggers: triggers.clone(), executions }.overview().await.unwrap();
    assert_eq!(rows, composed, "the query and the repositories agree");
    // Predefined triggers (seeded by the server, not here) would come first.
    let ours: Vec<_> = rows.iter().filter(|r| !r.trigger.is_predefined).collect();
    let names: Vec<_> = ours.iter().map(|r| r.trigger.settings.name.as_str()).collect();
    assert_eq!(names, ["busy", "idle", "once"]);
    assert_eq!(ours.iter().map(|r| r.path_count).collect::<Vec<_>>(), [0, 1, 2]);
    let busy = ours[0].latest.as_ref().unwrap();
    assert_eq!(Some(&busy.execution_id), latest.as_ref(), "the latest by queue time");
    assert_eq!((busy.status, busy.error_message.as_deref()), (ExecutionStatus::Failed, Some("exited with code 2")));
    assert_eq!(busy.finished_at, Some(start + Duration::minutes(3) + Duration::seconds(5)));
    assert_eq!(ours[1].latest, None);
    assert_eq!(ours[2].latest.as_ref().map(|l| l.status), Some(ExecutionStatus::Queued));
}
