//! Writing back to GitHub, against a fake GitHub API on port 0: a pull
//! request's check run follows its run, the answer goes where the trigger's
//! `post_result` says (one comment edited in place across runs), failures are
//! retried and shown on the execution, and a GitHub App mints and caches its
//! installation tokens.

use crate::github::{SECRET, send};
use crate::support::{create_trigger, repository_with_pull_request, wait_for_end};
use agented_test_support::{FakeGithub, TestApp};
use serde_json::{Value, json};
use std::path::Path;

pub(crate) const TOKEN: &str = "ghp_test_token";

pub(crate) async fn app_for(github: &FakeGithub, extra: &[(&str, &str)]) -> TestApp {
    let mut builder = TestApp::builder()
        .env("AGENTED__GITHUB__WEBHOOK_SECRET", SECRET)
        .env("AGENTED__GITHUB__API_URL", &github.url)
        .env("AGENTED__GITHUB__RETRY_DELAY_MS", "20")
        .env("GITHUB_TOKEN", TOKEN);
    for (k, v) in extra {
        builder = builder.env(k, v);
    }
    builder.spawn().await
}

/// A GitHub trigger on the repository at `bare` that posts as `post_result`.
pub(crate) async fn trigger(app: &TestApp, bare: &Path, post_result: &str) -> String {
    let paths = json!([{ "github_repo_url": format!("file://{}", bare.display()) }]);
    let events = json!(["pull_request", "issues"]);
    let body = json!({ "trigger_source": "github", "prompt_template": "{message}", "paths": paths,
                       "github_events": events, "post_result": post_result });
    create_trigger(app, body).await
}

pub(crate) fn pull_request(action: &str, head: &str, body: &str) -> String {
    json!({
        "action": action, "number": 7,
        "pull_request": { "html_url": "https://github.com/acme/tools/pull/7", "number": 7, "title": "Change",
                          "user": { "login": "ann" }, "head": { "ref": "feature", "sha": head }, "body": body },
        "repository": { "full_name": "acme/tools", "html_url": "https://github.com/acme/tools" }
    })
    .to_string()
}

/// Delivers `event` and waits for the one run it started.
pub(crate) async fn delivered(app: &TestApp, event: &str, payload: &str, delivery: &str) -> Value {
    let (status, answer) = send(app, "/api/webhooks/github/", event, payload, Some(SECRET), delivery).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["executions"][0]["execution_id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned();
    wait_for_end(app, &id).await
}

#[tokio::test]
async fn one_comment_is_edited_across_two_runs_and_each_run_has_its_check_run() {
    let github = FakeGithub::start(TOKEN);
    let app = app_for(&github, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, head) = repository_with_pull_request(dir.path());
    trigger(&app, &bare, "comment").await;

    let first = delivered(&app, "pull_request", &pull_request("opened", &head, "echo=Verdict: looks fine"), "d1").await;
    assert_eq!(first["status"], "success", "{first}");
    let comments = github.comments("acme/tools", 7);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.contains("Verdict:looks fine") && body.contains(first["execution_id"].as_str().unwrap()), "{body}");
    let runs = github.check_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["history"], json!(["in_progress", "completed"]));
    assert_eq!((runs[0]["conclusion"].as_str(), runs[0]["head_sha"].as_str()), (Some("success"), Some(head.as_str())));
    assert!(
        runs[0]["details_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/executions/{}", first["execution_id"].as_str().unwrap()))
    );
    assert!(
        first["stderr_log"]
            .as_str()
            .unwrap()
            .contains("GitHub: posted the answer as the trigger's comment on acme/tools#7"),
        "{first}"
    );

    // The pull request is updated and fails this time: the same comment is edited, a new check run fails.
    let second =
        delivered(&app, "pull_request", &pull_request("synchronize", &head, "echo=Verdict: broken exit=1"), "d2").await;
    assert_eq!(second["status"], "failed", "{second}");
    let comments = github.comments("acme/tools", 7);
    assert_eq!(comments.len(), 1, "still one comment: {comments:?}");
    assert_eq!(comments[0]["edits"], 1);
    assert!(comments[0]["body"].as_str().unwrap().contains(second["execution_id"].as_str().unwrap()));
    let runs = github.check_runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["conclusion"], "failure");
    assert!(github.requests().iter().all(|r| r.status < 400), "{:?}", github.requests());
}

#[tokio::test]
async fn an_issue_gets_the_comment_and_a_pull_request_a_review() {
    let github = FakeGithub::start(TOKEN);
    let app = app_for(&github, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, head) = repository_with_pull_request(dir.path());
    trigger(&app, &bare, "review").await;
    let issue = json!({ "action": "opened", "issue": { "number": 3, "html_url": "https://github.com/acme/tools/issues/3",
                        "title": "Bug", "user": { "login": "bo" }, "body": "echo=Triage: duplicate" },
                        "repository": { "full_name": "acme/tools", "html_url": "https://github.com/acme/tools" } });
    let done = delivered(&app, "issues", &issue.to_string(), "i1").await;
    assert_eq!(done["status"], "success", "{done}");
    let comments = github.comments("acme/tools", 3);
    assert_eq!(comments.len(), 1);
    assert!(comments[0]["body"].as_str().unwrap().contains("Triage:duplicate"));
    assert!(github.check_runs().is_empty(), "an issue has no check run");

    delivered(&app, "pull_request", &pull_request("opened", &head, "echo=LGTM"), "p1").await;
    let reviews = github.reviews();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        (reviews[0]["event"].as_str(), reviews[0]["commit_id"].as_str()),
        (Some("COMMENT"), Some(head.as_str()))
    );
    assert!(reviews[0]["body"].as_str().unwrap().contains("LGTM"));
}

#[tokio::test]
async fn failed_posts_are_retried_and_a_post_that_keeps_failing_is_shown_on_the_execution() {
    let github = FakeGithub::start(TOKEN);
    let app = app_for(&github, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, head) = repository_with_pull_request(dir.path());
    trigger(&app, &bare, "comment").await;

    // Two 502s: the check run is created on the third try, and the run says so.
    github.fail_next(2);
    let done = delivered(&app, "pull_request", &pull_request("opened", &head, "echo=ok"), "f1").await;
    let log = done["stderr_log"].as_str().unwrap();
    assert!(
        log.contains("GitHub: could not create the check run (GitHub answered 502: Server Error); trying again"),
        "{log}"
    );
    assert!(log.contains("GitHub: check run") && log.contains("completed: success"), "{log}");
    assert_eq!(github.comments("acme/tools", 7).len(), 1);

    // GitHub down for good: every call fails after its four tries, and the execution shows it.
    github.fail_next(1000);
    let done = delivered(&app, "pull_request", &pull_request("synchronize", &head, "echo=again"), "f2").await;
    assert_eq!(done["status"], "success", "the run itself succeeded: {done}");
    let log = done["stderr_log"].as_str().unwrap();
    assert!(log.contains("GitHub: could not post the answer on acme/tools#7: GitHub answered 502"), "{log}");
    assert!(log.contains("(attempt 3 of 4)"), "{log}");
}

#[tokio::test]
async fn as_a_github_app_installation_tokens_are_minted_once_and_reused() {
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../agented_test_support/keys");
    let public = std::fs::read_to_string(keys.join("github-app-test.pub.pem")).unwrap();
    let github = FakeGithub::start("no-plain-token").with_app("12345", &public);
    let key_file = keys.join("github-app-test.pem").display().to_string();
    let app =
        app_for(&github, &[("AGENTED__GITHUB__APP_ID", "12345"), ("AGENTED__GITHUB__APP_PRIVATE_KEY_FILE", &key_file)])
            .await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, head) = repository_with_pull_request(dir.path());
    trigger(&app, &bare, "comment").await;
    delivered(&app, "pull_request", &pull_request("opened", &head, "echo=one"), "a1").await;
    delivered(&app, "pull_request", &pull_request("synchronize", &head, "echo=two"), "a2").await;
    assert_eq!(github.minted(), ["ghs_fake_1"], "one installation token, cached");
    assert_eq!(github.comments("acme/tools", 7).len(), 1);
    assert!(github.requests().iter().all(|r| r.status < 400), "{:?}", github.requests());
}

fn comment(body: &str, association: &str) -> String {
    json!({
        "action": "created",
        "issue": { "number": 7, "html_url": "https://github.com/acme/tools/pull/7", "title": "Change",
                   "pull_request": { "url": "https://api.github.com/repos/acme/tools/pulls/7" } },
        "comment": { "body": body, "user": { "login": "ann" }, "author_association": association },
        "repository": { "full_name": "acme/tools", "html_url": "https://github.com/acme/tools" }
    })
    .to_string()
}

#[tokio::test]
async fn a_comment_mentioning_the_bot_continues_the_latest_run_on_the_pull_request() {
    let github = FakeGithub::start(TOKEN);
    let app = app_for(&github, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, head) = repository_with_pull_request(dir.path());
    trigger(&app, &bare, "comment").await;
    let first = delivered(&app, "pull_request", &pull_request("opened", &head, "echo=First: pass"), "m1").await;
    let session = first["session_id"].as_str().unwrap().to_owned();

    // Someone outside the repository mentions the bot: nothing runs, and the answer says why.
    let (status, answer) = send(
        &app,
        "/api/webhooks/github/",
        "issue_comment",
        &comment("@agented cat=README.md", "NONE"),
        Some(SECRET),
        "c0",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["executions"].as_array().unwrap().is_empty(), "{answer}");
    assert!(answer["skipped"].to_string().contains("not an owner, member or collaborator"), "{answer}");

    let payload = comment("@agented please also cat=README.md lines=0", "MEMBER");
    let second = delivered(&app, "issue_comment", &payload, "c1").await;
    assert_eq!(second["status"], "success", "{second}");
    assert_eq!(second["follow_up_of"], first["execution_id"]);
    assert_eq!(second["trigger_type"], "github_webhook");
    let stdout = second["stdout_log"].as_str().unwrap();
    assert!(stdout.contains(&format!("resumed={session}")), "{stdout}");
    assert!(stdout.contains("pr head"), "it works in the first run's worktree, at the pull request's head: {stdout}");
    assert_eq!(second["prompt_inputs"][0]["name"], "comment", "the comment is untrusted: {second}");
    let comments = github.comments("acme/tools", 7);
    assert_eq!((comments.len(), comments[0]["edits"].as_u64()), (1, Some(1)), "{comments:?}");

    // GitHub delivering the same comment again starts nothing.
    let (_, again) = send(&app, "/api/webhooks/github/", "issue_comment", &payload, Some(SECRET), "c1").await;
    assert!(again["executions"].as_array().unwrap().is_empty() && again["duplicate"] == true, "{again}");
}
