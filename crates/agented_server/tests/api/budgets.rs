//! Budgets: validation, soft warnings, hard blocks before a run and during
//! one, periods across day boundaries and time zones, and the usage report.

use crate::support::{create_trigger, run, send, wait_for_end};
use agented_kernel::ManualClock;
use agented_test_support::TestApp;
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn clocked(start: &str) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(utc(start)));
    (TestApp::builder().clock(clock.clone()).spawn().await, clock)
}

async fn budget(app: &TestApp, body: Value) -> Value {
    let (status, created) = send(app, Method::POST, "/admin/budgets", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn finished(app: &TestApp, trigger: &str, message: &str) -> Value {
    wait_for_end(app, &run(app, trigger, message).await).await
}

#[tokio::test]
async fn budgets_are_validated_field_by_field_and_name_real_entities() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let created = budget(&app, json!({ "scope": "trigger", "entity_id": trigger, "period": "weekly", "timezone": "Europe/Berlin", "soft_limit_usd": 1, "hard_limit_usd": 2 })).await;
    assert_eq!((created["spent_usd"].clone(), created["level"].clone()), (json!(0.0), json!("ok")));
    let id = created["id"].as_str().unwrap().to_owned();
    // Method, path, body, status, fields named in `details`.
    type Case = (Method, String, Option<Value>, u16, &'static [&'static str]);
    let cases: [Case; 10] = [
        (Method::POST, "/admin/budgets".into(), Some(json!({})), 422, &["scope", "period", "hard_limit_usd"]),
        (
            Method::POST,
            "/admin/budgets".into(),
            Some(json!({ "scope": "team", "period": "hourly", "timezone": "Mars/Base", "hard_limit_usd": -3 })),
            422,
            &["scope", "period", "timezone", "hard_limit_usd"],
        ),
        (
            Method::POST,
            "/admin/budgets".into(),
            Some(json!({ "scope": "global", "entity_id": "trig-x", "period": "daily", "hard_limit_usd": 1 })),
            422,
            &["entity_id"],
        ),
        (
            Method::POST,
            "/admin/budgets".into(),
            Some(json!({ "scope": "trigger", "entity_id": "trig-nope00", "period": "daily", "hard_limit_usd": 1 })),
            422,
            &["entity_id"],
        ),
        (
            Method::POST,
            "/admin/budgets".into(),
            Some(json!({ "scope": "account", "entity_id": "acct-nope", "period": "daily", "hard_limit_usd": 1 })),
            422,
            &["entity_id"],
        ),
        (
            Method::POST,
            "/admin/budgets".into(),
            Some(json!({ "scope": "global", "period": "daily", "soft_limit_usd": 5, "hard_limit_usd": 1 })),
            422,
            &["soft_limit_usd"],
        ),
        (
            Method::POST,
            "/admin/budgets".into(),
            Some(json!({ "scope": "trigger", "entity_id": trigger, "period": "weekly", "hard_limit_usd": 9 })),
            409,
            &[],
        ),
        (
            Method::PUT,
            format!("/admin/budgets/{id}"),
            Some(json!({ "hard_limit_usd": null, "soft_limit_usd": null })),
            422,
            &["hard_limit_usd"],
        ),
        (Method::GET, "/admin/budgets/budget-nope".into(), None, 404, &[]),
        (Method::GET, "/admin/budgets/usage?period=hourly&timezone=Nowhere".into(), None, 422, &["period", "timezone"]),
    ];
    for (method, path, body, want, fields) in cases {
        let (status, answer) = send(&app, method.clone(), &path, body.clone()).await;
        assert_eq!(status, want, "{method} {path} {body:?}: {answer}");
        for field in fields {
            assert!(answer["details"][field].is_string(), "{method} {path}: {field} missing in {answer}");
        }
    }
    let (status, answer) =
        send(&app, Method::GET, "/admin/budgets/usage?since=2026-11-22T00:00:00Z&until=2026-11-21T00:00:00Z", None)
            .await;
    assert_eq!((status, answer["details"]["since"].as_str().is_some()), (422, true), "{answer}");
    let (status, answer) =
        send(&app, Method::POST, "/admin/budgets/check", Some(json!({ "estimated_cost_usd": -1 }))).await;
    assert_eq!(status, 422, "{answer}");
    let (status, _) =
        send(&app, Method::POST, "/admin/budgets/check", Some(json!({ "trigger_id": "trig-nope00" }))).await;
    assert_eq!(status, 404);
    let (status, changed) =
        send(&app, Method::PUT, &format!("/admin/budgets/{id}"), Some(json!({ "soft_limit_usd": null }))).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!((changed["soft_limit_usd"].clone(), changed["hard_limit_usd"].clone()), (Value::Null, json!(2.0)));
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/budgets/{id}"), None).await;
    assert_eq!(status, 204);
    let (_, list) = send(&app, Method::GET, "/admin/budgets", None).await;
    assert_eq!(list["budgets"], json!([]));
}

#[tokio::test]
async fn a_soft_limit_warns_once_and_a_hard_limit_refuses_the_next_run_until_raised() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let b = budget(&app, json!({ "scope": "trigger", "entity_id": trigger, "period": "daily", "soft_limit_usd": 0.02, "hard_limit_usd": 0.05 })).await;
    let id = b["id"].as_str().unwrap().to_owned();

    let first = finished(&app, &trigger, "cost=0.03").await;
    assert_eq!(first["status"], "success");
    let (_, state) = send(&app, Method::GET, &format!("/admin/budgets/{id}"), None).await;
    assert_eq!((state["level"].clone(), state["spent_usd"].clone()), (json!("warning"), json!(0.03)));
    // Under the hard limit at its start, the second run goes ahead and takes spend past it.
    assert_eq!(finished(&app, &trigger, "cost=0.03").await["status"], "success");
    let (_, audit) = send(&app, Method::GET, "/admin/audit?entity_type=budget", None).await;
    let warnings: Vec<_> =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "budget.soft_limit").collect();
    assert_eq!(warnings.len(), 1, "one warning per period: {audit}");
    assert!(warnings[0]["changes"]["message"].as_str().unwrap().contains("soft limit $0.02"));

    let (_, check) = send(&app, Method::POST, "/admin/budgets/check", Some(json!({ "trigger_id": trigger }))).await;
    assert_eq!(check["allowed"], false, "{check}");
    assert_eq!(check["blocked_by"][0]["id"], json!(id));
    let blocked = finished(&app, &trigger, "cost=0.03").await;
    assert_eq!(blocked["status"], "budget_blocked", "{blocked}");
    let message = blocked["error_message"].as_str().unwrap();
    assert!(message.contains(&id) && message.contains("hard limit $0.05"), "{message}");
    assert_eq!(blocked["command"], Value::Null, "no process was started");
    assert!(blocked["stdout_log"].as_str().unwrap().is_empty());

    // Raising the limit lets the next run start; another trigger was never covered.
    let (status, _) =
        send(&app, Method::PUT, &format!("/admin/budgets/{id}"), Some(json!({ "hard_limit_usd": 1 }))).await;
    assert_eq!(status, 200);
    assert_eq!(finished(&app, &trigger, "cost=0.01").await["status"], "success");
    let other = create_trigger(&app, json!({})).await;
    let (_, check) =
        send(&app, Method::POST, "/admin/budgets/check", Some(json!({ "trigger_id": other, "estimated_cost_usd": 5 })))
            .await;
    assert_eq!((check["allowed"].clone(), check["budgets"].clone()), (json!(true), json!([])));
}

#[tokio::test]
async fn a_running_execution_is_stopped_when_its_live_cost_reaches_the_hard_limit() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({ "backend_type": "opencode" })).await;
    budget(
        &app,
        json!({ "scope": "backend", "entity_id": "backend-opencode", "period": "monthly", "hard_limit_usd": 0.25 }),
    )
    .await;
    let stopped = finished(&app, &trigger, "steps=40 step_ms=100 cost=0.1 lines=0").await;
    assert_eq!(stopped["status"], "budget_blocked", "{stopped}");
    let message = stopped["error_message"].as_str().unwrap();
    assert!(message.starts_with("stopped:") && message.contains("hard limit $0.25"), "{message}");
    let cost = stopped["total_cost_usd"].as_f64().unwrap();
    assert!((0.25..0.45).contains(&cost), "stopped soon after crossing: {cost}");
    let steps = stopped["stdout_log"].as_str().unwrap().matches("step_finish").count();
    assert!(steps < 40, "the bot did not run to its end ({steps} steps)");
    // A run on another backend is not covered.
    let claude = create_trigger(&app, json!({})).await;
    assert_eq!(finished(&app, &claude, "cost=0.01").await["status"], "success");
}

#[tokio::test]
async fn periods_start_again_at_each_boundary_in_the_budgets_own_time_zone() {
    // Sunday 23:30 UTC is already Monday 08:30 in Seoul.
    let (app, clock) = clocked("2026-11-22T23:30:00Z").await;
    let in_utc = create_trigger(&app, json!({})).await;
    let in_seoul = create_trigger(&app, json!({})).await;
    let weekly = create_trigger(&app, json!({})).await;
    budget(&app, json!({ "scope": "trigger", "entity_id": in_utc, "period": "daily", "hard_limit_usd": 0.05 })).await;
    budget(&app, json!({ "scope": "trigger", "entity_id": in_seoul, "period": "daily", "timezone": "Asia/Seoul", "hard_limit_usd": 0.05 })).await;
    budget(&app, json!({ "scope": "trigger", "entity_id": weekly, "period": "weekly", "timezone": "America/New_York", "hard_limit_usd": 0.05 })).await;
    for trigger in [&in_utc, &in_seoul, &weekly] {
        assert_eq!(finished(&app, trigger, "cost=0.06").await["status"], "success");
        assert_eq!(finished(&app, trigger, "cost=0.01").await["status"], "budget_blocked");
    }
    // 00:01 UTC Monday: a new UTC day; still the same Seoul day; still New York's Sunday, same week.
    clock.set(utc("2026-11-23T00:01:00Z"));
    assert_eq!(finished(&app, &in_utc, "cost=0.01").await["status"], "success");
    assert_eq!(finished(&app, &in_seoul, "cost=0.01").await["status"], "budget_blocked");
    assert_eq!(finished(&app, &weekly, "cost=0.01").await["status"], "budget_blocked");
    // 15:00 UTC Monday: midnight Tuesday in Seoul, and Monday morning in New York (a new week).
    clock.set(utc("2026-11-23T15:00:00Z"));
    assert_eq!(finished(&app, &in_seoul, "cost=0.01").await["status"], "success");
    assert_eq!(finished(&app, &weekly, "cost=0.01").await["status"], "success");
    let (_, list) = send(&app, Method::GET, "/admin/budgets", None).await;
    let start_of = |trigger: &str| {
        let budgets = list["budgets"].as_array().unwrap();
        budgets.iter().find(|b| b["entity_id"] == trigger).unwrap()["period_start"].as_str().unwrap().to_owned()
    };
    assert_eq!(start_of(&in_utc), "2026-11-23T00:00:00Z");
    assert_eq!(start_of(&in_seoul), "2026-11-23T15:00:00Z");
    assert_eq!(start_of(&weekly), "2026-11-23T05:00:00Z");
}

#[tokio::test]
async fn the_usage_report_adds_runs_up_by_day_trigger_backend_and_status() {
    let (app, clock) = clocked("2026-11-21T12:00:00Z").await;
    let a = create_trigger(&app, json!({})).await;
    let b = create_trigger(&app, json!({ "backend_type": "codex" })).await;
    finished(&app, &a, "cost=0.5 tokens=100/10").await;
    finished(&app, &a, "cost=0.25 exit=2").await;
    clock.advance(Duration::days(1));
    finished(&app, &a, "cost=1").await;
    finished(&app, &b, "tokens=7/3").await;
    let (status, report) = send(
        &app,
        Method::GET,
        "/admin/budgets/usage?period=daily&since=2026-11-21T00:00:00Z&until=2026-11-23T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let mut groups: Vec<_> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["period_start"].as_str().unwrap(),
                g["trigger_id"].as_str().unwrap() == a,
                g["backend_id"].as_str().unwrap(),
                g["runs"].as_u64().unwrap(),
            )
        })
        .collect();
    groups.sort_by_key(|g| (g.0, g.2));
    assert_eq!(
        groups,
        [
            ("2026-11-21", true, "backend-claude", 2),
            ("2026-11-22", true, "backend-claude", 1),
            ("2026-11-22", false, "backend-codex", 1)
        ]
    );
    let group = |day: &str, backend: &str| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["period_start"] == day && g["backend_id"] == backend)
            .unwrap()
            .clone()
    };
    assert_eq!(group("2026-11-21", "backend-claude")["cost_usd"], json!(0.75));
    assert_eq!(group("2026-11-21", "backend-claude")["by_status"], json!({ "failed": 1, "success": 1 }));
    assert_eq!(group("2026-11-22", "backend-codex")["input_tokens"], 7);
    assert_eq!(report["totals"]["runs"], 4);
    // The codex run reported tokens only: its cost is estimated at gpt-5.1-codex's list price.
    let codex_estimate = (7.0 * 1.25 + 3.0 * 10.0) / 1e6;
    assert!((report["totals"]["cost_usd"].as_f64().unwrap() - (1.75 + codex_estimate)).abs() < 1e-12, "{report}");
    let (_, weekly) = send(&app, Method::GET, "/admin/budgets/usage?period=weekly&timezone=Asia/Seoul", None).await;
    assert_eq!((weekly["period"].clone(), weekly["timezone"].clone()), (json!("weekly"), json!("Asia/Seoul")));
    assert_eq!(weekly["totals"]["runs"], 4);
}

#[tokio::test]
async fn codex_and_gemini_runs_are_priced_from_the_table_and_claudes_reported_cost_is_kept() {
    let app = TestApp::spawn().await;
    // No model named: codex is assumed to run gpt-5.1-codex ($1.25 in, $0.125 cached, $10 out per million).
    let codex = create_trigger(&app, json!({ "backend_type": "codex" })).await;
    let done = finished(&app, &codex, "tokens=1000000/100000 cached=400000").await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["cost_source"], "estimated");
    // 600k uncached × 1.25 + 400k cached × 0.125 + 100k out × 10, per million.
    assert_eq!(done["total_cost_usd"], 1.8, "{done}");

    let gemini = create_trigger(&app, json!({ "backend_type": "gemini", "model": "gemini-2.5-flash" })).await;
    let done = finished(&app, &gemini, "tokens=2000000/400000 cached=1000000").await;
    assert_eq!(done["cost_source"], "estimated");
    let cost = done["total_cost_usd"].as_f64().unwrap();
    assert!((cost - (0.30 + 0.03 + 0.4 * 2.5)).abs() < 1e-9, "{done}");

    let claude = create_trigger(&app, json!({})).await;
    let done = finished(&app, &claude, "cost=0.25 tokens=1000000/100000").await;
    assert_eq!((done["total_cost_usd"].clone(), done["cost_source"].clone()), (json!(0.25), json!("reported")));

    // The list says where each cost came from too.
    let (_, detail) = send(&app, Method::GET, &format!("/admin/executions?trigger_id={claude}"), None).await;
    assert_eq!(detail["executions"][0]["cost_source"], "reported");
}

#[tokio::test]
async fn budgets_count_estimated_cost_and_block_the_next_run() {
    let app = TestApp::spawn().await;
    let codex = create_trigger(&app, json!({ "backend_type": "codex" })).await;
    let b =
        budget(&app, json!({ "scope": "trigger", "entity_id": codex, "period": "daily", "hard_limit_usd": 1 })).await;
    let first = finished(&app, &codex, "tokens=1000000/100000").await;
    assert_eq!((first["status"].clone(), first["cost_source"].clone()), (json!("success"), json!("estimated")));
    let (_, state) = send(&app, Method::GET, &format!("/admin/budgets/{}", b["id"].as_str().unwrap()), None).await;
    // 1M in × 1.25 + 100k out × 10, per million.
    assert_eq!((state["spent_usd"].clone(), state["level"].clone()), (json!(2.25), json!("exceeded")), "{state}");
    let blocked = finished(&app, &codex, "tokens=10/10").await;
    assert_eq!(blocked["status"], "budget_blocked", "{blocked}");
}
