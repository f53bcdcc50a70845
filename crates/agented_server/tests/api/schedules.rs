//! Schedules on the real server with a controlled clock: the test sets the
//! time and ticks the scheduler, so nothing sleeps. Each slot must run
//! exactly once, through the normal run path, as `trigger_type = scheduled`.

use crate::support::create_trigger;
use agented_kernel::ManualClock;
use agented_test_support::TestApp;
use agented_triggers::TriggerRepository;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A server whose clock starts at `start` and moves only when the test moves it.
async fn clocked(start: &str) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(utc(start)));
    let app = TestApp::builder().clock(clock.clone()).spawn().await;
    (app, clock)
}

/// Creates a scheduled trigger with the schedule fields in `schedule`.
async fn scheduled(app: &TestApp, schedule: Value) -> String {
    let mut body = json!({ "trigger_source": "scheduled", "prompt_template": "nightly check" });
    body.as_object_mut().unwrap().extend(schedule.as_object().unwrap().clone());
    create_trigger(app, body).await
}

async fn trigger(app: &TestApp, id: &str) -> Value {
    let res = app.get(&format!("/admin/triggers/{id}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn next_run(app: &TestApp, id: &str) -> Option<DateTime<Utc>> {
    trigger(app, id).await["next_run_at"].as_str().map(utc)
}

/// When the trigger's runs were queued, oldest first; each must be a scheduled run.
async fn run_times(app: &TestApp, id: &str) -> Vec<DateTime<Utc>> {
    let list: Value = app.get(&format!("/admin/executions?trigger_id={id}&limit=500")).await.json().await.unwrap();
    let mut times: Vec<DateTime<Utc>> = list["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["trigger_type"], "scheduled", "{e}");
            utc(e["queued_at"].as_str().unwrap())
        })
        .collect();
    times.sort();
    times
}

/// Sets the clock to `at` and lets the scheduler look.
async fn tick_at(app: &TestApp, clock: &ManualClock, at: DateTime<Utc>) {
    clock.set(at);
    app.scheduler.tick().await.unwrap();
}

/// Moves the clock to 5 s after each next run of `triggers` in turn, ticking
/// each time, until that would pass `until`. Every trigger must show its next run.
async fn walk(app: &TestApp, clock: &ManualClock, triggers: &[&str], until: &str) {
    let lag = TimeDelta::seconds(5);
    for _ in 0..200 {
        let mut next = None;
        for id in triggers {
            let at = next_run(app, id).await.unwrap_or_else(|| panic!("{id} shows no next_run_at"));
            next = Some(next.map_or(at, |n: DateTime<Utc>| n.min(at)));
        }
        let at = next.unwrap() + lag;
        if at > utc(until) {
            return;
        }
        tick_at(app, clock, at).await;
    }
    panic!("the schedules did not move past {until} in 200 ticks");
}

fn slots(times: &[&str]) -> Vec<DateTime<Utc>> {
    times.iter().map(|t| utc(t) + TimeDelta::seconds(5)).collect()
}

#[tokio::test]
async fn daily_weekly_monthly_and_cron_each_run_at_their_slots_once() {
    // 2026-03-02 is a Monday.
    let (app, clock) = clocked("2026-03-02T08:00:00Z").await;
    let daily = scheduled(&app, json!({ "schedule_type": "daily", "schedule_time": "09:00" })).await;
    let weekly = scheduled(
        &app,
        json!({ "schedule_type": "weekly", "schedule_time": "09:00", "schedule_day": 2, "schedule_timezone": "Europe/Berlin" }),
    )
    .await;
    let monthly = scheduled(
        &app,
        json!({ "schedule_type": "monthly", "schedule_time": "07:15", "schedule_day": 3, "schedule_timezone": "America/New_York" }),
    )
    .await;
    let cron = scheduled(&app, json!({ "schedule_type": "cron", "schedule_cron": "30 9 * * 1-5" })).await;

    assert_eq!(next_run(&app, &daily).await, Some(utc("2026-03-02T09:00:00Z")));
    assert_eq!(next_run(&app, &weekly).await, Some(utc("2026-03-04T08:00:00Z")), "Wednesday 09:00 in Berlin (CET)");
    assert_eq!(next_run(&app, &monthly).await, Some(utc("2026-03-03T12:15:00Z")), "the 3rd, 07:15 in New York (EST)");
    assert_eq!(next_run(&app, &cron).await, Some(utc("2026-03-02T09:30:00Z")));
    let view = trigger(&app, &cron).await;
    assert_eq!((view["schedule_type"].as_str(), view["schedule_cron"].as_str()), (Some("cron"), Some("30 9 * * 1-5")));

    tick_at(&app, &clock, utc("2026-03-02T08:59:59Z")).await;
    assert!(run_times(&app, &daily).await.is_empty(), "nothing runs before its slot");

    let all = [daily.as_str(), weekly.as_str(), monthly.as_str(), cron.as_str()];
    walk(&app, &clock, &all, "2026-03-05T00:00:00Z").await;
    // Ticking again at the same time runs nothing twice.
    app.scheduler.tick().await.unwrap();

    assert_eq!(
        run_times(&app, &daily).await,
        slots(&["2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z"])
    );
    assert_eq!(run_times(&app, &weekly).await, slots(&["2026-03-04T08:00:00Z"]));
    assert_eq!(run_times(&app, &monthly).await, slots(&["2026-03-03T12:15:00Z"]));
    assert_eq!(
        run_times(&app, &cron).await,
        slots(&["2026-03-02T09:30:00Z", "2026-03-03T09:30:00Z", "2026-03-04T09:30:00Z"])
    );
    assert_eq!(next_run(&app, &weekly).await, Some(utc("2026-03-11T08:00:00Z")));
    assert_eq!(next_run(&app, &monthly).await, Some(utc("2026-04-03T11:15:00Z")), "EDT from 8 March");
    let daily_view = trigger(&app, &daily).await;
    assert_eq!(daily_view["last_run_at"], json!("2026-03-04T09:00:05Z"));
}

#[tokio::test]
async fn the_spring_dst_change_keeps_wall_clock_times_and_runs_a_skipped_time_after_the_gap() {
    // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST.
    let (app, clock) = clocked("2026-03-27T12:00:00Z").await;
    let berlin = json!({ "schedule_type": "daily", "schedule_timezone": "Europe/Berlin" });
    let mut nine = berlin.clone();
    nine["schedule_time"] = json!("09:00");
    let mut half_past_two = berlin;
    half_past_two["schedule_time"] = json!("02:30");
    let nine = scheduled(&app, nine).await;
    let half_past_two = scheduled(&app, half_past_two).await;

    walk(&app, &clock, &[&nine, &half_past_two], "2026-03-31T00:00:00Z").await;
    assert_eq!(
        run_times(&app, &nine).await,
        slots(&["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"]),
        "09:00 local each day: 08:00 UTC before the change, 07:00 after"
    );
    assert_eq!(
        run_times(&app, &half_past_two).await,
        slots(&["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]),
        "02:30 does not exist on the 29th: it runs at 03:00 CEST, right after the gap"
    );
}

#[tokio::test]
async fn the_autumn_dst_change_runs_a_repeated_time_once() {
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    let (app, clock) = clocked("2026-10-23T12:00:00Z").await;
    let id = scheduled(
        &app,
        json!({ "schedule_type": "daily", "schedule_time": "02:30", "schedule_timezone": "Europe/Berlin" }),
    )
    .await;
    walk(&app, &clock, &[&id], "2026-10-27T00:00:00Z").await;
    // The second 02:30 (01:30 UTC on the 25th) passes without a run.
    tick_at(&app, &clock, utc("2026-10-25T01:30:05Z")).await;
    assert_eq!(
        run_times(&app, &id).await,
        slots(&["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
    );
}

#[tokio::test]
async fn a_slot_missed_while_down_is_skipped_with_a_log_line_unless_catch_up_runs_it_once() {
    let (app, clock) = clocked("2026-03-02T08:00:00Z").await;
    let daily = json!({ "schedule_type": "daily", "schedule_time": "09:00" });
    let skipper = scheduled(&app, daily.clone()).await;
    let mut catching = daily;
    catching["catch_up"] = json!(true);
    let catcher = scheduled(&app, catching).await;
    assert_eq!(trigger(&app, &catcher).await["catch_up"], json!(true));

    // Down from Monday 08:00 to Wednesday 12:00: three 09:00 slots pass.
    clock.set(utc("2026-03-04T12:00:00Z"));
    let app = app.restart().await;
    app.scheduler.tick().await.unwrap();

    assert!(run_times(&app, &skipper).await.is_empty(), "missed slots are skipped");
    assert_eq!(run_times(&app, &catcher).await, vec![utc("2026-03-04T12:00:00Z")], "one catch-up run for all three");
    for id in [&skipper, &catcher] {
        assert_eq!(next_run(&app, id).await, Some(utc("2026-03-05T09:00:00Z")));
    }
    let logged: Vec<Value> = app
        .logs
        .lines()
        .into_iter()
        .filter(|l| l["trigger"] == skipper.as_str() && l["message"].as_str().unwrap_or("").contains("missed"))
        .collect();
    assert_eq!(logged.len(), 1, "one log line for the skipped slots");
    assert_eq!(logged[0]["missed"], 3);
    assert_eq!(logged[0]["first_missed"], "2026-03-02 09:00:00 UTC");
    assert!(logged[0]["message"].as_str().unwrap().contains("skipped"));
    let caught_up = app.logs.lines().into_iter().any(|l| {
        l["trigger"] == catcher.as_str() && l["message"].as_str().unwrap_or("").contains("running once to catch up")
    });
    assert!(caught_up, "the catch-up is logged too");

    // Back on time: the next slot runs for both.
    tick_at(&app, &clock, utc("2026-03-05T09:00:01Z")).await;
    assert_eq!(run_times(&app, &skipper).await.len(), 1);
    assert_eq!(run_times(&app, &catcher).await.len(), 2);
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_slot_does_not_run_it_again() {
    let (app, clock) = clocked("2026-03-02T08:59:00Z").await;
    let id = scheduled(&app, json!({ "schedule_type": "daily", "schedule_time": "09:00" })).await;
    tick_at(&app, &clock, utc("2026-03-02T09:00:02Z")).await;
    assert_eq!(run_times(&app, &id).await.len(), 1);

    clock.set(utc("2026-03-02T09:00:20Z"));
    let app = app.restart().await;
    app.scheduler.tick().await.unwrap();
    assert_eq!(run_times(&app, &id).await.len(), 1, "the slot already ran");

    // A process that claimed the slot but died before moving next_run_at on:
    // the next process finds the claim and only moves next_run_at.
    let store = agented_store::SqlTriggers::new(app.database.clone());
    let trigger_id = agented_kernel::TriggerId::parse(&id).unwrap();
    let slot = utc("2026-03-02T09:00:00Z");
    assert!(store.set_next_run(&trigger_id, Some(utc("2026-03-03T09:00:00Z")), Some(slot)).await.unwrap());
    let report = app.scheduler.tick().await.unwrap();
    assert_eq!(report.taken.len(), 1, "{report:?}");
    assert!(report.started.is_empty());
    assert_eq!(run_times(&app, &id).await.len(), 1);
    assert_eq!(next_run(&app, &id).await, Some(utc("2026-03-03T09:00:00Z")));
}

#[tokio::test]
async fn two_servers_on_one_database_run_each_slot_exactly_once() {
    let (first, clock) = clocked("2026-03-02T09:00:30Z").await;
    let second = first.peer().await;
    let every_minute =
        scheduled(&first, json!({ "schedule_type": "cron", "schedule_cron": "* * * * *", "max_concurrent": 20 })).await;
    let daily = scheduled(&first, json!({ "schedule_type": "daily", "schedule_time": "09:10" })).await;

    // Both tick at once for each of 15 minutes (their own one-second loops tick too).
    for minute in 1..=15 {
        clock.set(utc("2026-03-02T09:00:00Z") + TimeDelta::minutes(minute) + TimeDelta::milliseconds(500));
        let (a, b) = tokio::join!(first.scheduler.tick(), second.scheduler.tick());
        a.unwrap();
        b.unwrap();
    }
    let runs = run_times(&first, &every_minute).await;
    let expected: Vec<_> =
        (1..=15).map(|m| utc("2026-03-02T09:00:00Z") + TimeDelta::minutes(m) + TimeDelta::milliseconds(500)).collect();
    assert_eq!(runs, expected, "one run per minute, none twice");
    assert_eq!(run_times(&second, &daily).await.len(), 1);
    drop(second);
}

#[tokio::test]
async fn schedules_are_validated_and_next_run_at_follows_changes() {
    let (app, _clock) = clocked("2026-03-02T08:00:00Z").await;
    let cases = [
        (json!({ "schedule_type": "hourly", "schedule_time": "09:00" }), "schedule_type"),
        (json!({ "schedule_type": "daily" }), "schedule_time"),
        (json!({ "schedule_type": "daily", "schedule_time": "9am" }), "schedule_time"),
        (json!({ "schedule_type": "weekly", "schedule_time": "09:00", "schedule_day": 9 }), "schedule_day"),
        (json!({ "schedule_type": "monthly", "schedule_time": "09:00", "schedule_day": 31 }), "schedule_day"),
        (
            json!({ "schedule_type": "daily", "schedule_time": "09:00", "schedule_timezone": "Europe/Atlantis" }),
            "schedule_timezone",
        ),
        (json!({ "schedule_type": "cron" }), "schedule_cron"),
        (json!({ "schedule_type": "cron", "schedule_cron": "every day" }), "schedule_cron"),
        (json!({ "schedule_type": "cron", "schedule_cron": "0 0 30 2 *" }), "schedule_cron"),
    ];
    for (schedule, field) in cases {
        let mut body = json!({ "name": "bad schedule", "prompt_template": "x", "trigger_source": "scheduled" });
        body.as_object_mut().unwrap().extend(schedule.as_object().unwrap().clone());
        let res = app.client.post(app.url("/admin/triggers")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 422, "{schedule}");
        let answer: Value = res.json().await.unwrap();
        assert!(answer["details"][field].is_string(), "{schedule} → {answer}");
    }
    let res = app
        .client
        .post(app.url("/admin/triggers"))
        .json(&json!({ "name": "x", "prompt_template": "x", "catch_up": "yes" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "catch_up must be a boolean");

    let id = scheduled(&app, json!({ "schedule_type": "daily", "schedule_time": "09:00" })).await;
    let put = |body: Value| {
        let (client, url) = (app.client.clone(), app.url(&format!("/admin/triggers/{id}")));
        async move {
            let res = client.put(url).json(&body).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["next_run_at"].clone()
        }
    };
    assert_eq!(put(json!({ "enabled": false })).await, Value::Null, "a disabled trigger never runs");
    assert_eq!(put(json!({ "enabled": true })).await, json!("2026-03-02T09:00:00Z"));
    assert_eq!(put(json!({ "schedule_time": "10:30" })).await, json!("2026-03-02T10:30:00Z"));
    assert_eq!(put(json!({ "name": "renamed" })).await, json!("2026-03-02T10:30:00Z"));
    assert_eq!(put(json!({ "trigger_source": "manual" })).await, Value::Null);
    let manual = create_trigger(&app, json!({})).await;
    assert_eq!(next_run(&app, &manual).await, None);
}

#[tokio::test]
async fn a_schedule_being_edited_shows_its_next_runs() {
    let (app, _clock) = clocked("2026-03-27T12:00:00Z").await;
    let preview = |query: &str| app.client.get(app.url(&format!("/admin/schedules/preview?{query}"))).send();
    let res = preview("schedule_type=daily&schedule_time=09:00&schedule_timezone=Europe/Berlin&count=3").await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "timezone": "Europe/Berlin",
            "next_runs": ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"]
        })
    );
    let res = preview("schedule_type=cron&schedule_cron=*%2F30%209-10%20*%20*%201-5").await.unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["timezone"], "UTC");
    assert_eq!(
        body["next_runs"],
        json!([
            "2026-03-30T09:00:00Z",
            "2026-03-30T09:30:00Z",
            "2026-03-30T10:00:00Z",
            "2026-03-30T10:30:00Z",
            "2026-03-31T09:00:00Z"
        ])
    );

    for (query, field) in [
        ("schedule_type=cron&schedule_cron=61%20*%20*%20*%20*", "schedule_cron"),
        ("schedule_type=weekly&schedule_time=09:00", "schedule_day"),
        ("schedule_type=daily&schedule_time=09:00&schedule_timezone=Nowhere", "schedule_timezone"),
        ("schedule_type=daily&schedule_time=09:00&count=0", "count"),
    ] {
        let res = preview(query).await.unwrap();
        assert_eq!(res.status(), 422, "{query}");
        let body: Value = res.json().await.unwrap();
        assert!(body["details"][field].is_string(), "{query} → {body}");
    }
    let res = preview("schedule_time=09:00").await.unwrap();
    assert_eq!(res.status(), 400, "schedule_type is required");
    let res = preview("schedule_type=daily&schedule_day=monday").await.unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_slot_that_finds_a_reject_trigger_busy_is_skipped_and_spent() {
    let (app, clock) = clocked("2026-03-02T08:59:00Z").await;
    let id = scheduled(
        &app,
        json!({
            "schedule_type": "daily",
            "schedule_time": "09:00",
            "prompt_template": "sleep_ms=60000 {message}",
            "concurrency_policy": "reject",
        }),
    )
    .await;
    let manual = crate::support::run(&app, &id, "by hand").await;
    crate::support::wait_for_status(&app, &manual, "running").await;

    tick_at(&app, &clock, utc("2026-03-02T09:00:01Z")).await;
    let list: Value = app.get(&format!("/admin/executions?trigger_id={id}")).await.json().await.unwrap();
    assert_eq!(list["total"], 1, "only the manual run: {list}");
    assert_eq!(next_run(&app, &id).await, Some(utc("2026-03-03T09:00:00Z")), "the slot is spent, not retried");
    let skipped = app.logs.lines().into_iter().any(|l| {
        l["trigger"] == id.as_str() && l["message"].as_str().unwrap_or("").contains("skipped: the trigger is busy")
    });
    assert!(skipped, "the skip is logged");
    let res = app.client.post(app.url(&format!("/admin/executions/{manual}/cancel"))).send().await.unwrap();
    assert!(res.status().is_success());
}
