//! Teams over HTTP with the original's fields: members, topology, the graph it compiles
//! to, and one run per topology on the server's own driver with the fake bot as every
//! member (`echo=` members, a `critic=N` critic, a `coordinator` that emits a plan).

use crate::support::{create_trigger, send};
use crate::workflow_runs::{as_key, ended, named_admin, node, waiting_at, watch};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// A new agent whose system prompt holds the fake bot's directives; its id.
async fn agent(app: &TestApp, name: &str, directives: &str) -> String {
    let body = json!({"name": name, "system_prompt": format!("{directives} lines=0")});
    let (status, created) = send(app, Method::POST, "/admin/agents", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// A new team of `topology` with `members` (agent ids) in order; its id.
async fn team(app: &TestApp, name: &str, topology: &str, config: Value, members: &[&str]) -> String {
    let (status, created) = send(app, Method::POST, "/admin/teams", Some(json!({"name": name}))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    for agent in members {
        let (status, added) =
            send(app, Method::POST, &format!("/admin/teams/{id}/members"), Some(json!({"agent_id": agent}))).await;
        assert_eq!(status, 201, "{added}");
    }
    let body = json!({"topology": topology, "topology_config": config});
    let (status, set) = send(app, Method::PUT, &format!("/admin/teams/{id}/topology"), Some(body)).await;
    assert_eq!(status, 200, "{set}");
    id
}

/// Starts team `id` on `message`; its workflow and the run.
async fn start(app: &TestApp, id: &str, message: &str) -> (String, String) {
    let (status, started) =
        send(app, Method::POST, &format!("/admin/teams/{id}/run"), Some(json!({"message": message}))).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!((started["team_id"].as_str(), started["status"].as_str()), (Some(id), Some("pending")));
    let field = |k: &str| started[k].as_str().unwrap().to_owned();
    (field("workflow_id"), field("workflow_execution_id"))
}

/// Runs team `id` on `message` to its end; the completed run.
async fn completed(app: &TestApp, id: &str, message: &str) -> Value {
    let (workflow, run) = start(app, id, message).await;
    let done = ended(app, &workflow, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    done
}

fn text(run: &Value, id: &str) -> String {
    node(run, id)["output_json"]["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_team_keeps_its_fields_and_members_and_bad_requests_get_clear_json_errors() {
    let app = TestApp::spawn().await;
    let ada = agent(&app, "Ada", "echo=A:").await;
    let (status, created) = send(
        &app,
        Method::POST,
        "/admin/teams",
        Some(json!({"name": "Platform Squad", "topology": "sequential", "topology_config": "{\"order\": []}"})),
    )
    .await;
    assert_eq!(status, 201, "the original's settings as text are read: {created}");
    assert_eq!(created["topology_config"], json!({"order": []}));
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("team-"));
    let members = format!("/admin/teams/{id}/members");
    let (status, added) =
        send(&app, Method::POST, &members, Some(json!({"agent_id": ada, "role": "leader", "name": "Lead Ada"}))).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["members"], json!([{"agent_id": ada, "name": "Lead Ada", "role": "leader"}]));
    let (status, again) = send(&app, Method::POST, &members, Some(json!({"agent_id": ada}))).await;
    assert_eq!(status, 409, "{again}");
    let (status, ghost) = send(&app, Method::POST, &members, Some(json!({"agent_id": "agent-nobody"}))).await;
    assert_eq!((status, ghost["details"]["agent_id"].clone()), (422, json!("no such agent")));
    let topology = format!("/admin/teams/{id}/topology");
    let (status, bad) = send(&app, Method::PUT, &topology, Some(json!({"topology": "mesh"}))).await;
    assert_eq!(status, 422, "{bad}");
    assert!(bad["details"]["topology"].as_str().unwrap().contains("generator_critic"), "{bad}");
    let wrong = json!({"topology": "generator_critic", "topology_config": {"max_rounds": 0}});
    let (status, bad) = send(&app, Method::PUT, &topology, Some(wrong)).await;
    assert_eq!((status, bad["details"]["topology_config.max_rounds"].clone()), (422, json!("1–10")));
    let lonely = json!({"topology": "generator_critic", "topology_config": {}});
    assert_eq!(send(&app, Method::PUT, &topology, Some(lonely)).await.0, 200, "saved, though it cannot run yet");
    let (status, why) =
        send(&app, Method::POST, &format!("/admin/teams/{id}/run"), Some(json!({"message": "x"}))).await;
    assert_eq!(status, 409, "{why}");
    assert!(why["error"].as_str().unwrap().contains("needs two members"), "{why}");
    let (status, why) = send(&app, Method::GET, &format!("/admin/teams/{id}/graph"), None).await;
    assert_eq!(status, 409, "{why}");
    let (status, why) = send(&app, Method::POST, &format!("/admin/teams/{id}/run"), None).await;
    assert_eq!(status, 422, "a run needs a message: {why}");
    let (status, bad) =
        send(&app, Method::POST, "/admin/teams", Some(json!({"name": "x", "topology_config": [1]}))).await;
    assert_eq!((status, bad["details"]["topology_config"].is_string()), (422, true), "{bad}");
    let (status, _) = send(&app, Method::POST, "/admin/teams", Some(json!({"name": "x", "color": "#fff"}))).await;
    assert_eq!(status, 422, "unknown fields are refused");
    for (method, path) in [
        (Method::GET, "/admin/teams/team-nothere".to_owned()),
        (Method::DELETE, "/admin/teams/NOT-AN-ID".to_owned()),
        (Method::DELETE, format!("/admin/teams/{id}/members/agent-nobody")),
    ] {
        let (status, answer) = send(&app, method, &path, None).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let (status, left) = send(&app, Method::DELETE, &format!("/admin/teams/{id}/members/{ada}"), None).await;
    assert_eq!((status, left["members"].clone()), (200, json!([])));
    assert_eq!(send(&app, Method::DELETE, &format!("/admin/teams/{id}"), None).await.0, 204);
    let (_, list) = send(&app, Method::GET, "/admin/teams", None).await;
    assert_eq!(list["teams"], json!([]));
}

#[tokio::test]
async fn a_sequential_team_hands_each_output_to_the_next_member_through_real_executions() {
    let app = TestApp::spawn().await;
    let (a, b) = (agent(&app, "Ada", "echo=A:").await, agent(&app, "Bob", "echo=B:").await);
    let id = team(&app, "Pair", "sequential", json!({"order": [b, a]}), &[&a, &b]).await;
    let (status, graph) = send(&app, Method::GET, &format!("/admin/teams/{id}/graph"), None).await;
    assert_eq!(status, 200, "{graph}");
    let nodes: Vec<&str> =
        graph["graph_json"]["nodes"].as_array().unwrap().iter().map(|n| n["label"].as_str().unwrap()).collect();
    assert_eq!(nodes, ["Input", "Bob", "Ada"], "the order setting wins over the members' order");
    let done = completed(&app, &id, "go").await;
    assert_eq!(done["output_json"]["text"], "A:B:go");
    assert_eq!(text(&done, "step_1"), "B:go");
    assert!(node(&done, "step_1")["execution_ids"][0].as_str().unwrap().starts_with("exec-bot-agents-"));
    let (_, read) = send(&app, Method::GET, &format!("/admin/teams/{id}"), None).await;
    assert_eq!(read["workflow_id"], done["workflow_id"], "the team's workflow ran");
}

#[tokio::test]
async fn a_parallel_team_works_at_once_and_merges_under_each_members_name() {
    let app = TestApp::spawn().await;
    let (a, b) = (agent(&app, "Ada", "echo=A:").await, agent(&app, "Bob", "echo=B:").await);
    let id = team(&app, "Both", "parallel", json!({}), &[&a, &b]).await;
    let done = completed(&app, &id, "go").await;
    assert_eq!(done["output_json"]["text"], "## Ada\n\nA:go\n\n## Bob\n\nB:go");
}

#[tokio::test]
async fn a_coordinator_fans_its_plan_out_to_the_members_and_merges_their_work() {
    let app = TestApp::spawn().await;
    let lead = agent(&app, "Lead", "coordinator echo=LEAD:").await;
    let (ann, ben) = (agent(&app, "Ann", "echo=ANN:").await, agent(&app, "Ben", "echo=BEN:").await);
    let id = team(&app, "Crew", "coordinator", json!({"coordinator": lead}), &[&ann, &lead, &ben]).await;
    let done = completed(&app, &id, "build it").await;
    let plan: Value = serde_json::from_str(&text(&done, "plan")).unwrap();
    assert_eq!(plan["tasks"][&ann], format!("part for {ann}: build it"), "{plan}");
    assert_eq!(text(&done, "work_1"), format!("ANN:part for {ann}: build it"));
    assert_eq!(text(&done, "work_2"), format!("BEN:part for {ben}: build it"));
    let out = done["output_json"]["text"].as_str().unwrap();
    assert!(out.starts_with("LEAD:Merge the members' results"), "{out}");
    assert!(out.contains(&format!("## Ann ANN:part for {ann}")) && out.contains("## Ben BEN:part"), "{out}");
}

#[tokio::test]
async fn a_generator_critic_loop_ends_when_the_critic_approves() {
    let app = TestApp::spawn().await;
    let (gen_id, critic) = (agent(&app, "Gen", "echo=GEN:").await, agent(&app, "Critic", "critic=2").await);
    let id = team(&app, "Loop", "generator_critic", json!({"max_rounds": 3}), &[&gen_id, &critic]).await;
    let done = completed(&app, &id, "a haiku").await;
    assert_eq!(text(&done, "review_1"), "REVISE: round 1 needs a sharper ending");
    assert_eq!(text(&done, "review_2"), "APPROVED in round 2");
    for (n, status) in
        [("accept_1", "skipped"), ("accept_2", "completed"), ("draft_3", "skipped"), ("unapproved", "skipped")]
    {
        assert_eq!(node(&done, n)["status"], status, "{n}");
    }
    let out = done["output_json"]["text"].as_str().unwrap();
    assert!(out.starts_with("GEN:Revise your draft. Your draft: GEN:a haiku"), "the second draft: {out}");
    assert!(out.contains("REVISE: round 1"), "it saw the critique: {out}");
}

#[tokio::test]
async fn a_hierarchical_team_briefs_down_the_tree_and_reports_back_up() {
    let app = TestApp::spawn().await;
    let boss = agent(&app, "Boss", "echo=BOSS:").await;
    let (mid, dev) = (agent(&app, "Mid", "echo=MID:").await, agent(&app, "Dev", "echo=DEV:").await);
    let id = team(&app, "Org", "hierarchical", json!({"reports_to": {&dev: &mid}}), &[&boss, &mid, &dev]).await;
    let done = completed(&app, &id, "ship").await;
    assert!(text(&done, "brief_2").starts_with("MID:You lead Dev. Write the instructions"), "{done}");
    assert!(text(&done, "work_3").starts_with("DEV:MID:You lead Dev"), "Dev works on Mid's brief");
    assert!(text(&done, "report_2").starts_with("MID:Combine your team's results"), "Mid reports Dev's work");
    let out = done["output_json"]["text"].as_str().unwrap();
    assert!(out.starts_with("BOSS:Combine your team's results") && out.contains("DEV:"), "{out}");
}

#[tokio::test]
async fn a_human_in_the_loop_team_waits_for_a_person_between_steps() {
    let app = TestApp::spawn().await;
    let (a, b) = (agent(&app, "Ada", "echo=A:").await, agent(&app, "Bob", "echo=B:").await);
    let id = team(&app, "Checked", "human_in_loop", json!({"approval_timeout_seconds": 600}), &[&a, &b]).await;
    let (workflow, run) = start(&app, &id, "go").await;
    let seen = watch(&app, &workflow, &run, |e| waiting_at(e, "approve_1")).await;
    let waiting = &seen.last().unwrap().data;
    assert_eq!(
        (node(waiting, "step_1")["status"].clone(), node(waiting, "step_2")["status"].clone()),
        (json!("completed"), json!("pending")),
        "Bob waits for the person: {waiting}"
    );
    let approve = format!("/admin/workflows/{workflow}/executions/{run}/nodes/approve_1/approve");
    let (status, answered) = as_key(&app, &named_admin(&app, "dana").await, &approve, json!({})).await;
    assert_eq!(status, 200, "{answered}");
    let done = ended(&app, &workflow, &run).await;
    assert_eq!((done["status"].clone(), done["output_json"]["text"].clone()), (json!("completed"), json!("B:A:go")));
    assert_eq!(node(&done, "approve_1")["decision"]["decided_by"], "dana");
}

#[tokio::test]
async fn a_composite_team_runs_its_teams_as_sub_workflows() {
    let app = TestApp::spawn().await;
    let (a, b) = (agent(&app, "Ada", "echo=A:").await, agent(&app, "Bob", "echo=B:").await);
    let first = team(&app, "First", "sequential", json!({}), &[&a]).await;
    let second = team(&app, "Second", "sequential", json!({}), &[&b]).await;
    let id = team(&app, "Both teams", "composite", json!({"teams": [first, second]}), &[]).await;
    let done = completed(&app, &id, "go").await;
    assert_eq!(done["output_json"]["text"], "B:A:go");
    let child = node(&done, "team_1")["execution_ids"][0].as_str().unwrap().to_owned();
    let (_, sub) = send(&app, Method::GET, &format!("/admin/workflows/executions/{child}"), None).await;
    let (_, inner) = send(&app, Method::GET, &format!("/admin/teams/{first}"), None).await;
    assert_eq!((sub["status"].clone(), sub["workflow_id"].clone()), (json!("completed"), inner["workflow_id"].clone()));
}

#[tokio::test]
async fn a_team_exported_as_yaml_imports_back_and_a_broken_file_names_its_lines() {
    let app = TestApp::spawn().await;
    let (a, b) = (agent(&app, "Ada", "echo=A:").await, agent(&app, "Bob", "echo=B:").await);
    let id = team(&app, "Pair", "generator_critic", json!({"max_rounds": 2}), &[&a, &b]).await;
    let res = app.get(&format!("/admin/teams/{id}/export")).await;
    assert_eq!(res.status(), 200);
    let yaml = res.text().await.unwrap();
    assert!(yaml.starts_with("kind: team\nname: Pair\n"), "{yaml}");
    let post = |text: String| {
        let req = app.client.post(app.url("/admin/teams/import")).header("content-type", "application/yaml").body(text);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, imported) = post(yaml.clone()).await;
    assert_eq!(status, 201, "{imported}");
    let (_, original) = send(&app, Method::GET, &format!("/admin/teams/{id}"), None).await;
    for field in ["name", "topology", "topology_config", "members"] {
        assert_eq!(imported[field], original[field], "{field}");
    }
    assert_ne!(imported["workflow_id"], original["workflow_id"], "a team of its own, compiled to its own workflow");
    let broken = yaml.replace("generator_critic", "ring").replace(&b, "agent-ghost");
    let (status, refused) = post(broken).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["details"]["topology"].as_str().unwrap().starts_with("line 5: 'ring' is not a topology"),
        "{refused}"
    );
    let (status, refused) = post(yaml.replace(&b, "agent-ghost")).await;
    assert_eq!(status, 422, "{refused}");
    let line = yaml.lines().position(|l| l.ends_with(&format!("agent_id: {b}"))).unwrap() + 1;
    assert_eq!(
        refused["details"]["members[1].agent_id"],
        format!("line {line}: no agent agent-ghost here: create it first")
    );
    let (_, list) = send(&app, Method::GET, "/admin/teams", None).await;
    assert_eq!(list["teams"].as_array().unwrap().len(), 2, "nothing stored from a refused file");
}

#[tokio::test]
async fn a_pull_request_delivery_runs_a_team_once_with_the_pull_request_as_its_input() {
    let app = crate::github::app().await;
    let (a, b) = (agent(&app, "Ada", "echo=A:").await, agent(&app, "Bob", "echo=B:").await);
    let id = team(&app, "Reviewers", "sequential", json!({}), &[&a, &b]).await;
    let fires_team = json!({"name": "PR team", "execution_mode": "team", "team_id": id});
    let trigger = create_trigger(&app, crate::github::github_trigger(fires_team)).await;
    let (_, stored) = send(&app, Method::GET, &format!("/admin/triggers/{trigger}"), None).await;
    assert_eq!((stored["execution_mode"].as_str(), stored["team_id"].as_str()), (Some("team"), Some(id.as_str())));

    let (status, answer) = crate::github::deliver(&app, "pull_request", "pull_request_opened", "team-pr-1").await;
    assert_eq!(status, 200, "{answer}");
    let started = &answer["executions"][0];
    let run = started["workflow_execution_id"].as_str().unwrap_or_else(|| panic!("a workflow run: {answer}"));
    assert!(run.starts_with("wfx-"), "{answer}");
    let (_, read) = send(&app, Method::GET, &format!("/admin/workflows/executions/{run}"), None).await;
    let workflow = read["workflow_id"].as_str().unwrap().to_owned();
    assert_eq!((read["origin"].as_str(), read["origin_id"].as_str()), (Some("trigger"), Some(trigger.as_str())));
    let input = &read["input_json"];
    assert_eq!(input["values"]["pr_url"], "https://github.com/acme/web/pull/42", "{input}");
    assert_eq!(input["values"]["pr_title"], "Add dark mode to settings", "cleaned as a prompt's values are");
    assert_eq!(input["trigger_type"], "github_webhook");
    let text = input["text"].as_str().unwrap();
    assert!(text.starts_with("Review <untrusted-input-") && text.contains("pull/42\n"), "the prompt, fenced: {text}");
    let done = ended(&app, &workflow, run).await;
    assert_eq!(done["status"], "completed", "{done}");
    let out = done["output_json"]["text"].as_str().unwrap();
    assert!(out.starts_with("B:A:Review") && out.contains("pull/42"), "each member saw the pull request: {out}");

    let (status, again) = crate::github::deliver(&app, "pull_request", "pull_request_opened", "team-pr-1").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicate"], true, "the run holds the delivery's key: {again}");
    let (_, runs) = send(&app, Method::GET, &format!("/admin/workflows/{workflow}/executions"), None).await;
    assert_eq!(runs["executions"].as_array().map(Vec::len), Some(1), "{runs}");
}

#[tokio::test]
async fn a_trigger_runs_a_workflow_or_says_why_its_team_cannot_run() {
    let app = TestApp::spawn().await;
    let graph = json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "shout", "type": "transform", "config": {"transform_type": "uppercase"}}],
        "edges": [{"source": "start", "target": "shout"}]
    });
    let (_, workflow) = send(
        &app,
        Method::POST,
        "/admin/workflows",
        Some(json!({"name": "w", "graph_json": graph, "is_draft": false})),
    )
    .await;
    let workflow = workflow["id"].as_str().unwrap();
    let trigger =
        create_trigger(&app, json!({"name": "wf", "prompt_template": "hello {message}", "workflow_id": workflow}))
            .await;
    let (status, started) =
        send(&app, Method::POST, &format!("/admin/triggers/{trigger}/run"), Some(json!({"message": "there"}))).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!((started["status"].as_str(), started["workflow_id"].as_str()), (Some("pending"), Some(workflow)));
    let run = started["workflow_execution_id"].as_str().unwrap();
    let done = ended(&app, workflow, run).await;
    assert!(done["output_json"]["text"].as_str().unwrap().starts_with("HELLO "), "{done}");
    assert_eq!(done["input_json"]["message"], "there");

    let empty = team(&app, "Nobody", "sequential", json!({}), &[]).await;
    let body = json!({"name": "t", "prompt_template": "go", "execution_mode": "team", "team_id": empty});
    let to_team = create_trigger(&app, body).await;
    let (status, refused) = send(&app, Method::POST, &format!("/admin/triggers/{to_team}/run"), None).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("needs at least one member"), "{refused}");
    for (body, field) in [
        (json!({"name": "x", "prompt_template": "p", "execution_mode": "team"}), "team_id"),
        (json!({"name": "x", "prompt_template": "p", "execution_mode": "swarm"}), "execution_mode"),
        (json!({"name": "x", "prompt_template": "p", "workflow_id": "not-a-workflow"}), "workflow_id"),
    ] {
        let (status, answer) = send(&app, Method::POST, "/admin/triggers", Some(body)).await;
        assert_eq!((status, answer["details"][field].is_string()), (422, true), "{answer}");
    }
    let (status, direct) = send(
        &app,
        Method::PUT,
        &format!("/admin/triggers/{to_team}"),
        Some(json!({"execution_mode": "direct", "team_id": null})),
    )
    .await;
    assert_eq!(
        (status, direct["execution_mode"].as_str(), direct["team_id"].clone()),
        (200, Some("direct"), Value::Null)
    );
}

#[tokio::test]
async fn a_teams_mcp_servers_reach_each_members_run_after_the_members_own() {
    let app = TestApp::spawn().await;
    let mut servers = Vec::new();
    for name in ["own", "shared"] {
        let (status, made) =
            send(&app, Method::POST, "/admin/mcp-servers", Some(json!({"name": name, "command": "x-mcp"}))).await;
        assert_eq!(status, 201, "{made}");
        servers.push(made["id"].as_str().unwrap().to_owned());
    }
    let ada = agent(&app, "Ada", "echo=A:").await;
    let (status, _) = send(
        &app,
        Method::PUT,
        &format!("/admin/agents/{ada}"),
        Some(json!({"tooling": {"mcp_servers": [servers[0]]}})),
    )
    .await;
    assert_eq!(status, 200);
    let id = team(&app, "Tooled", "sequential", json!({}), &[&ada]).await;
    let (status, bad) =
        send(&app, Method::PUT, &format!("/admin/teams/{id}"), Some(json!({"tooling": {"hooks": ["h"]}}))).await;
    assert_eq!((status, bad["details"]["tooling"].is_string()), (422, true), "{bad}");
    let (status, set) = send(
        &app,
        Method::PUT,
        &format!("/admin/teams/{id}"),
        Some(json!({"tooling": {"mcp_servers": [servers[1], servers[0]]}})),
    )
    .await;
    assert_eq!((status, &set["tooling"]["mcp_servers"]), (200, &json!([servers[1], servers[0]])), "{set}");
    let done = completed(&app, &id, "go").await;
    let exec = node(&done, "step_1")["execution_ids"][0].as_str().unwrap().to_owned();
    let (_, run) = send(&app, Method::GET, &format!("/admin/executions/{exec}"), None).await;
    let given: Vec<&str> = run["tooling"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(given, ["own", "shared"], "the member's own first, then the team's, each once: {run}");
    let (_, graph) = send(&app, Method::GET, &format!("/admin/teams/{id}/graph"), None).await;
    assert_eq!(graph["graph_json"]["nodes"][1]["config"]["tooling"]["mcp_servers"], json!([servers[1], servers[0]]));
}
