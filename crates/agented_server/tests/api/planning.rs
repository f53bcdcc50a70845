//! Planning with the fake bot over HTTP: a session asks questions, takes
//! answers, proposes a plan and writes it only on accept; malformed replies
//! are reported and retried; research runs four parts then a summary.

use crate::support::{execution, send, wait_for_end};
use agented_test_support::TestApp;
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, Some(body)).await
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = send(app, reqwest::Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn project(app: &TestApp, name: &str) -> String {
    let (status, body) = post(app, "/api/projects", json!({ "name": name })).await;
    assert_eq!(status, 201, "{body}");
    body["project_id"].as_str().unwrap().to_owned()
}

/// Waits for the session's current run to end, then reads the session (which advances it).
async fn settle(app: &TestApp, project: &str, session: &Value) -> Value {
    let run = session["current_execution_id"].as_str().expect("a run is going");
    wait_for_end(app, run).await;
    get(app, &format!("/api/projects/{project}/planning-sessions/{}", session["id"].as_str().unwrap())).await
}

#[tokio::test]
async fn a_session_asks_then_proposes_and_writes_the_roadmap_only_on_accept() {
    let app = TestApp::spawn().await;
    let project = project(&app, "Todo").await;
    let base = format!("/api/projects/{project}/planning-sessions");
    let (status, started) = post(&app, &base, json!({ "goal": "A shared todo app", "backend": "claude" })).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["stage"], "asking");

    // The question run is an ordinary, costed execution of the planner trigger.
    let run = started["current_execution_id"].as_str().unwrap().to_owned();
    let asked = settle(&app, &project, &started).await;
    let ran = execution(&app, &run).await;
    assert_eq!((ran["trigger_id"].as_str(), ran["status"].as_str()), (Some("bot-planner"), Some("success")), "{ran}");
    assert!(ran["total_cost_usd"].as_f64().unwrap() > 0.0, "{ran}");
    assert!(ran["prompt"].as_str().unwrap().contains("<<<GOAL\nA shared todo app\nGOAL>>>"));

    assert_eq!(asked["stage"], "answering", "{asked}");
    let ids: Vec<&str> = asked["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["q1", "q2"]);
    assert_eq!(asked["questions"][0]["options"], json!(["just me", "a team"]));

    let session = asked["id"].as_str().unwrap();
    let (status, proposing) = post(
        &app,
        &format!("{base}/{session}/answers"),
        json!({ "answers": [{ "question_id": "q1", "answer": "a team" }] }),
    )
    .await;
    assert_eq!(status, 202, "{proposing}");
    assert_eq!(proposing["stage"], "proposing");
    let proposed = settle(&app, &project, &proposing).await;
    assert_eq!(proposed["stage"], "proposed", "{proposed}");
    assert_eq!(proposed["proposal"]["summary"], "A plan in three phases (1 answers used).");
    let kinds: Vec<&str> =
        proposed["diff"]["phases"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["added", "added", "added"]);
    assert_eq!(proposed["runs"].as_array().unwrap().len(), 2);

    // Nothing is written before the accept.
    let roadmap = get(&app, &format!("/api/projects/{project}/roadmap")).await;
    assert_eq!(roadmap["milestones"], json!([]));

    // Accept an edited plan: the edit is what lands.
    let mut edited = proposed["proposal"].clone();
    edited["milestones"][0]["phases"][2]["name"] = json!("Sharing and invites");
    let (status, accepted) = post(&app, &format!("{base}/{session}/accept"), json!({ "proposal": edited })).await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["session"]["stage"], "accepted");
    let roadmap = &accepted["roadmap"];
    assert_eq!(roadmap["coverage"]["mapped"], 3);
    assert_eq!(roadmap["coverage"]["total"], 3);
    assert_eq!(roadmap["layers"], json!([["1"], ["2"], ["3"]]));
    assert_eq!(roadmap["milestones"][0]["phases"][2]["name"], "Sharing and invites");
    assert_eq!(get(&app, &format!("/api/projects/{project}/roadmap")).await["coverage"], roadmap["coverage"]);

    let (status, again) = post(&app, &format!("{base}/{session}/accept"), json!({})).await;
    assert_eq!(status, 409, "{again}");
    let listed = get(&app, &base).await;
    assert_eq!(listed["sessions"][0]["stage"], "accepted");
}

#[tokio::test]
async fn a_malformed_reply_is_reported_and_a_retry_asks_again() {
    let app = TestApp::spawn().await;
    let project = project(&app, "Flaky").await;
    let base = format!("/api/projects/{project}/planning-sessions");
    let flag = app.data_dir.join("replied-once");
    let goal = format!("A todo app malformed_once={}", flag.display());
    let (_, started) = post(&app, &base, json!({ "goal": goal })).await;
    let failed = settle(&app, &project, &started).await;
    assert_eq!(failed["stage"], "asking");
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("could not be used") && error.contains("no valid JSON object"), "{error}");
    assert_eq!(failed["can_retry"], true);
    assert_eq!(failed["questions"], json!([]));
    let session = failed["id"].as_str().unwrap();

    let (status, body) = post(&app, &format!("{base}/{session}/answers"), json!({ "answers": [] })).await;
    assert_eq!(status, 409, "{body}");
    let (status, retried) = post(&app, &format!("{base}/{session}/retry"), json!({})).await;
    assert_eq!(status, 202, "{retried}");
    assert_eq!(retried["error"], Value::Null);
    let asked = settle(&app, &project, &retried).await;
    assert_eq!(asked["stage"], "answering", "{asked}");
    assert_eq!(asked["runs"][0]["outcome"].as_str().unwrap(), error);
    assert_eq!(asked["runs"][1]["outcome"], "ok");
    let (status, body) = post(&app, &format!("{base}/{session}/retry"), json!({})).await;
    assert_eq!(status, 409, "nothing failed: {body}");

    // A malformed proposal (the answer asks for it) leaves the roadmap untouched too.
    let answers = json!({ "answers": [{ "question_id": "q2", "answer": "web malformed_json" }] });
    let (_, proposing) = post(&app, &format!("{base}/{session}/answers"), answers).await;
    let broken = settle(&app, &project, &proposing).await;
    assert_eq!(broken["stage"], "proposing");
    assert!(broken["error"].as_str().unwrap().contains("\"milestones\""), "{broken}");
    assert_eq!(get(&app, &format!("/api/projects/{project}/roadmap")).await["milestones"], json!([]));
}

#[tokio::test]
async fn an_invalid_edit_is_refused_field_by_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let project = project(&app, "Strict").await;
    let base = format!("/api/projects/{project}/planning-sessions");
    let (_, started) = post(&app, &base, json!({ "goal": "Lists" })).await;
    let asked = settle(&app, &project, &started).await;
    let session = asked["id"].as_str().unwrap().to_owned();
    let (_, proposing) = post(&app, &format!("{base}/{session}/answers"), json!({ "answers": [] })).await;
    let proposed = settle(&app, &project, &proposing).await;
    let accept = format!("{base}/{session}/accept");

    let mut cycle = proposed["proposal"].clone();
    cycle["milestones"][0]["phases"][0]["depends_on"] = json!(["3"]);
    let (status, body) = post(&app, &accept, json!({ "proposal": cycle })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["details"]["proposal"].as_str().unwrap().contains("cycle: 1 → 3 → 2 → 1"), "{body}");

    let mut bad = proposed["proposal"].clone();
    bad["milestones"][0]["phases"][1]["number"] = json!("two");
    bad["requirements"][0]["tier"] = json!("v9");
    let (status, body) = post(&app, &accept, json!({ "proposal": bad })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["details"]["proposal.milestones[0].phases[1].number"].as_str().unwrap().contains("'two'"));
    assert!(body["details"]["proposal.requirements[0].tier"].as_str().unwrap().contains("'v9'"));

    let mut ghost = proposed["proposal"].clone();
    ghost["milestones"][0]["phases"][0]["requirements"] = json!(["GHOST-01"]);
    let (status, body) = post(&app, &accept, json!({ "proposal": ghost })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["details"]["proposal"].as_str().unwrap().contains("GHOST-01"), "{body}");

    let (status, body) = post(&app, &accept, json!({ "proposal": { "milestones": "none" } })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(get(&app, &format!("/api/projects/{project}/roadmap")).await["milestones"], json!([]));

    // Still proposed: the unedited plan can be accepted, or the session dropped.
    assert_eq!(get(&app, &format!("{base}/{session}")).await["stage"], "proposed");
    let (status, body) = post(&app, &format!("{base}/{session}/discard"), json!({})).await;
    assert_eq!((status, body["stage"].as_str()), (200, Some("discarded")), "{body}");
    let (status, _) = post(&app, &accept, json!({})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn bad_planning_input_gets_clear_errors() {
    let app = TestApp::spawn().await;
    let project = project(&app, "Inputs").await;
    let base = format!("/api/projects/{project}/planning-sessions");
    let cases = [
        (json!({ "goal": "  " }), 422, "goal"),
        (json!({ "goal": "x".repeat(4001) }), 422, "goal"),
        (json!({ "goal": "ok", "backend": "gpt" }), 422, "backend"),
        (json!({ "goal": "ok", "extra": 1 }), 422, ""),
    ];
    for (body, status, field) in cases {
        let (got, answer) = post(&app, &base, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        if !field.is_empty() {
            assert!(answer["details"][field].is_string(), "{body}: {answer}");
        }
    }
    let res =
        app.client.post(app.url(&base)).header("content-type", "application/json").body("{nope").send().await.unwrap();
    assert_eq!(res.status(), 400);
    let (status, _) = post(&app, "/api/projects/proj-nothere/planning-sessions", json!({ "goal": "x" })).await;
    assert_eq!(status, 404);
    assert_eq!(app.get(&format!("{base}/plan-nothere")).await.status(), 404);
    assert_eq!(app.get(&format!("{base}/not-an-id")).await.status(), 404);

    let (_, started) = post(&app, &base, json!({ "goal": "Lists" })).await;
    let asked = settle(&app, &project, &started).await;
    let answers = format!("{base}/{}/answers", asked["id"].as_str().unwrap());
    let (status, body) = post(&app, &answers, json!({ "answers": [{ "question_id": "q9", "answer": "?" }] })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["details"]["answers[0].question_id"].as_str().unwrap().contains("'q9'"));
    let twice = json!({ "answers": [{ "question_id": "q1", "answer": "a" }, { "question_id": "q1", "answer": "b" }] });
    let (status, _) = post(&app, &answers, twice).await;
    assert_eq!(status, 422);

    // A read key may look but not ask.
    let read = agented_test_support::client(Some(&app.create_key("reader", "read").await));
    assert_eq!(read.get(app.url(&base)).send().await.unwrap().status(), 200);
    assert_eq!(read.post(app.url(&base)).json(&json!({ "goal": "x" })).send().await.unwrap().status(), 403);

    // With the planner trigger disabled, nothing is asked.
    let (status, _) =
        send(&app, reqwest::Method::PUT, "/admin/triggers/bot-planner", Some(json!({ "enabled": false }))).await;
    assert_eq!(status, 200);
    let (status, body) = post(&app, &base, json!({ "goal": "x" })).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("disabled"), "{body}");
    let (status, body) = post(&app, &format!("/api/projects/{project}/milestones/v1.0/research"), json!({})).await;
    assert_eq!(status, 404, "no such milestone: {body}");
}

#[tokio::test]
async fn research_runs_four_parts_then_a_summary_and_stores_each_document() {
    let app = TestApp::spawn().await;
    let project = project(&app, "Researched").await;
    let (status, _) =
        post(&app, &format!("/api/projects/{project}/milestones"), json!({ "version": "v1.0", "name": "First" })).await;
    assert_eq!(status, 201);
    let templates = get(&app, "/api/planning/research-templates").await;
    assert!(templates["templates"]["stack"].as_str().unwrap().starts_with("Topic: stack"));

    let start = format!("/api/projects/{project}/milestones/v1.0/research");
    let custom = json!({ "templates": { "stack": "Topic: stack\nOur own stack question for {milestone}." } });
    let (status, run) = post(&app, &start, custom).await;
    assert_eq!(status, 202, "{run}");
    assert_eq!(run["stage"], "researching");
    let parts = run["parts"].as_array().unwrap();
    let kinds: Vec<&str> = parts.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["stack", "features", "architecture", "pitfalls", "summary"]);
    assert!(parts[..4].iter().all(|p| p["status"] == "running"));
    assert_eq!(parts[4]["status"], "waiting");
    let stack_run = execution(&app, parts[0]["execution_id"].as_str().unwrap()).await;
    assert_eq!(stack_run["prompt"], "Topic: stack\nOur own stack question for v1.0 First.");

    let (status, body) = post(&app, &start, json!({})).await;
    assert_eq!(status, 409, "already running: {body}");
    let (status, body) = post(&app, &start, json!({ "templates": { "gossip": "x" } })).await;
    assert_eq!(status, 422, "{body}");

    for part in &parts[..4] {
        wait_for_end(&app, part["execution_id"].as_str().unwrap()).await;
    }
    let id = run["id"].as_str().unwrap();
    let path = format!("/api/projects/{project}/research-runs/{id}");
    let synthesising = get(&app, &path).await;
    assert_eq!(synthesising["stage"], "synthesising", "{synthesising}");
    let summary = synthesising["parts"][4]["execution_id"].as_str().expect("the summary run started").to_owned();
    let summary_prompt = execution(&app, &summary).await["prompt"].as_str().unwrap().to_owned();
    assert!(summary_prompt.contains("<<<PITFALLS\n# Pitfalls research"), "{summary_prompt}");
    wait_for_end(&app, &summary).await;
    let done = get(&app, &path).await;
    assert_eq!(done["stage"], "done", "{done}");

    let roadmap = get(&app, &format!("/api/projects/{project}/roadmap")).await;
    let docs = roadmap["research"].as_array().unwrap();
    assert_eq!(docs.len(), 5, "{docs:?}");
    let summary_doc = docs.iter().find(|d| d["kind"] == "summary").unwrap();
    assert_eq!(summary_doc["produced_by"].as_str(), Some(summary.as_str()));
    assert!(summary_doc["markdown"].as_str().unwrap().starts_with("# Summary research"));
    let listed = get(&app, &format!("/api/projects/{project}/research-runs")).await;
    assert_eq!(listed["research_runs"][0]["stage"], "done");
}

#[tokio::test]
async fn a_failed_research_part_stops_the_summary_until_retried_and_the_watcher_pass_advances_unread_runs() {
    let app = TestApp::spawn().await;
    let project = project(&app, "Failing").await;
    post(&app, &format!("/api/projects/{project}/milestones"), json!({ "version": "v2", "name": "Next" })).await;
    let start = format!("/api/projects/{project}/milestones/v2/research");
    let (_, run) = post(&app, &start, json!({ "templates": { "pitfalls": "Topic: pitfalls exit=3" } })).await;
    let id = run["id"].as_str().unwrap();
    for part in &run["parts"].as_array().unwrap()[..4] {
        wait_for_end(&app, part["execution_id"].as_str().unwrap()).await;
    }
    // Nobody reads this run (listing does not advance it): the watcher's pass
    // (run here, or already by the server's own 2-second watcher) stores what finished.
    assert!(app.planning.advance_all().await.unwrap() <= 1);
    let failed = get(&app, &format!("/api/projects/{project}/research-runs")).await["research_runs"][0].clone();
    assert_eq!(failed["stage"], "failed", "{failed}");
    assert_eq!(failed["parts"][3]["status"], "failed");
    assert!(failed["parts"][3]["error"].as_str().unwrap().contains("failed"), "{failed}");
    assert_eq!(failed["parts"][4]["status"], "waiting", "no summary without all four");
    let roadmap = get(&app, &format!("/api/projects/{project}/roadmap")).await;
    assert_eq!(roadmap["research"].as_array().unwrap().len(), 3, "the three that succeeded are kept");

    let (status, retried) = post(&app, &format!("/api/projects/{project}/research-runs/{id}/retry"), json!({})).await;
    assert_eq!(status, 202, "{retried}");
    assert_eq!(retried["parts"][3]["status"], "running");
    assert_ne!(retried["parts"][3]["execution_id"], failed["parts"][3]["execution_id"]);
    let (status, _) = post(&app, &format!("/api/projects/{project}/research-runs/{id}/retry"), json!({})).await;
    assert_eq!(status, 409, "it is running again");
}

/// Runs a session from goal to proposal with the fake bot's three-phase plan.
async fn proposed(app: &TestApp, project: &str, goal: &str) -> Value {
    let base = format!("/api/projects/{project}/planning-sessions");
    let (_, started) = post(app, &base, json!({ "goal": goal })).await;
    let asked = settle(app, project, &started).await;
    let session = asked["id"].as_str().unwrap();
    let (_, proposing) = post(app, &format!("{base}/{session}/answers"), json!({ "answers": [] })).await;
    let proposed = settle(app, project, &proposing).await;
    assert_eq!(proposed["stage"], "proposed", "{proposed}");
    proposed
}

#[tokio::test]
async fn a_second_plan_is_added_after_the_first_replacing_completed_work_asks_and_undo_restores() {
    let app = TestApp::spawn().await;
    let project = project(&app, "Layers").await;
    let base = format!("/api/projects/{project}/planning-sessions");
    let first = proposed(&app, &project, "Storage first").await;
    let (status, _) = post(&app, &format!("{base}/{}/accept", first["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/projects/{project}/phases/1"),
        Some(json!({ "status": "complete" })),
    )
    .await;
    assert_eq!(status, 200);
    let before = get(&app, &format!("/api/projects/{project}/roadmap")).await;
    let done_name = before["milestones"][0]["phases"][0]["name"].clone();

    // The same plan again: its phases come after the three there, nothing is renamed.
    let second = proposed(&app, &project, "Then accounts").await;
    let accept = format!("{base}/{}/accept", second["id"].as_str().unwrap());
    let mut renamed = second["proposal"].clone();
    renamed["milestones"][0]["phases"][0]["name"] = json!("Billing");
    let (status, body) = post(&app, &accept, json!({ "proposal": renamed, "replace": ["1"] })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("confirmation_required")), "{body}");
    assert!(
        body["error"].as_str().unwrap().contains(&format!("phase 1 {done_name} is complete").replace('"', "'")),
        "{body}"
    );
    assert_eq!(get(&app, &format!("/api/projects/{project}/roadmap")).await, before, "refused: nothing written");
    let (status, body) = post(&app, &accept, json!({ "replace": ["one"] })).await;
    assert_eq!((status, body["details"]["replace"].is_string()), (422, true), "{body}");

    let (status, accepted) = post(&app, &accept, json!({ "proposal": renamed })).await;
    assert_eq!(status, 200, "{accepted}");
    let phases: Vec<(String, String)> = accepted["roadmap"]["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["phases"].as_array().unwrap())
        .map(|p| (p["number"].as_str().unwrap().to_owned(), p["status"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(phases.len(), 6, "{phases:?}");
    assert_eq!(phases[0], ("1".to_owned(), "complete".to_owned()));
    assert_eq!(
        accepted["roadmap"]["milestones"][0]["phases"][0]["name"], done_name,
        "the completed phase keeps its name"
    );
    assert_eq!(phases[3].0, "4");

    // Undo from the history.
    let history = get(&app, &format!("/api/projects/{project}/history")).await;
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history}");
    assert_eq!(versions[0]["label"], "accepting the plan “Then accounts”");
    assert_eq!(versions[0]["phases"], 3);
    let (status, restored) =
        post(&app, &format!("/api/projects/{project}/history/{}/restore", versions[0]["id"]), json!({})).await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(get(&app, &format!("/api/projects/{project}/roadmap")).await["milestones"], before["milestones"]);
    for bad in ["999999", "not-a-number"] {
        let (status, body) = post(&app, &format!("/api/projects/{project}/history/{bad}/restore"), json!({})).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{bad}: {body}");
        assert_eq!(body["error"], format!("kept roadmap {bad} not found"), "names the version, not the project");
    }
    let (status, _) = send(&app, reqwest::Method::GET, "/api/projects/prj-nope/history", None).await;
    assert_eq!(status, 404);
}
