//! `/api/pr-reviews/`: pull requests tracked from GitHub's deliveries and the
//! runs that answer them, with the original's fields, filters, counts and
//! history, and clear errors for bad requests.

use crate::github::{SECRET, send};
use crate::github_writeback::{TOKEN, app_for, delivered, pull_request, trigger};
use crate::support::{repository_with_pull_request, send as call};
use agented_test_support::FakeGithub;
use reqwest::Method;
use serde_json::{Value, json};

fn review_event(state: &str) -> String {
    json!({
        "action": "submitted",
        "review": { "state": state, "body": "Please rename it" },
        "pull_request": { "number": 7, "html_url": "https://github.com/acme/tools/pull/7" },
        "repository": { "full_name": "acme/tools", "html_url": "https://github.com/acme/tools" }
    })
    .to_string()
}

#[tokio::test]
async fn a_reviewed_pull_request_is_tracked_through_review_fix_and_merge() {
    let github = FakeGithub::start(TOKEN);
    let app = app_for(&github, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, head) = repository_with_pull_request(dir.path());
    let trigger_id = trigger(&app, &bare, "comment").await;
    delivered(&app, "pull_request", &pull_request("opened", &head, "echo=Rename the helper"), "r1").await;

    let (status, list) = call(&app, Method::GET, "/api/pr-reviews/", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1);
    let row = &list["reviews"][0];
    assert_eq!(
        (row["trigger_id"].as_str(), row["project_name"].as_str(), row["pr_number"].as_i64(), row["pr_title"].as_str()),
        (Some(trigger_id.as_str()), Some("acme/tools"), Some(7), Some("Change"))
    );
    assert_eq!((row["pr_status"].as_str(), row["review_status"].as_str()), (Some("open"), Some("pending")));
    assert!(row["review_comment"].as_str().unwrap().contains("the helper"), "the bot's answer: {row}");
    let id = row["id"].as_i64().unwrap();

    let (status, _) = send(
        &app,
        "/api/webhooks/github/",
        "pull_request_review",
        &review_event("changes_requested"),
        Some(SECRET),
        "r2",
    )
    .await;
    assert_eq!(status, 200);
    let (_, row) = call(&app, Method::GET, &format!("/api/pr-reviews/{id}"), None).await;
    assert_eq!(row["review_status"], "changes_requested", "{row}");
    delivered(&app, "pull_request", &pull_request("synchronize", &head, "echo=Looks fixed"), "r3").await;
    let (_, row) = call(&app, Method::GET, &format!("/api/pr-reviews/{id}"), None).await;
    assert_eq!((row["review_status"].as_str(), row["fixes_applied"].as_i64()), (Some("fixed"), Some(1)), "{row}");

    let mut closed: Value = serde_json::from_str(&pull_request("closed", &head, "")).unwrap();
    closed["pull_request"]["merged"] = json!(true);
    // The trigger wants every pull_request action, so the close runs it too.
    delivered(&app, "pull_request", &closed.to_string(), "r4").await;
    let (_, filtered) = call(&app, Method::GET, "/api/pr-reviews/?pr_status=merged&review_status=fixed", None).await;
    assert_eq!(filtered["total"], 1, "{filtered}");
    let (_, none) = call(&app, Method::GET, "/api/pr-reviews/?pr_status=open", None).await;
    assert_eq!(none["total"], 0);
    let (_, stats) = call(&app, Method::GET, "/api/pr-reviews/stats", None).await;
    assert_eq!(
        (stats["total_prs"].as_u64(), stats["merged_prs"].as_u64(), stats["fixed_reviews"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    let (_, history) = call(&app, Method::GET, "/api/pr-reviews/history?days=7", None).await;
    assert_eq!(history["history"].as_array().map(Vec::len), Some(1), "{history}");
    assert_eq!(
        (history["history"][0]["created"].as_u64(), history["history"][0]["merged"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn the_originals_crud_with_clear_errors() {
    let github = FakeGithub::start(TOKEN);
    let app = app_for(&github, &[]).await;
    let body = json!({ "project_name": "acme/web", "pr_number": 12, "pr_url": "https://github.com/acme/web/pull/12",
                       "pr_title": "Add search", "pr_author": "bo" });
    let (status, created) = call(&app, Method::POST, "/api/pr-reviews/", Some(body.clone())).await;
    assert_eq!((status, created["message"].as_str()), (201, Some("PR review created")), "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, again) = call(&app, Method::POST, "/api/pr-reviews", Some(body)).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("conflict")), "{again}");

    let (status, updated) = call(
        &app,
        Method::PUT,
        &format!("/api/pr-reviews/{id}"),
        Some(json!({ "review_status": "approved", "review_comment": "LGTM" })),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let (_, row) = call(&app, Method::GET, &format!("/api/pr-reviews/{id}"), None).await;
    assert_eq!(
        (row["review_status"].as_str(), row["review_comment"].as_str(), row["trigger_id"].as_str()),
        (Some("approved"), Some("LGTM"), Some("bot-pr-review"))
    );

    for (method, path, body, want) in [
        (Method::POST, "/api/pr-reviews/".to_owned(), Some(json!({ "pr_number": 0 })), 422),
        (Method::POST, "/api/pr-reviews/".to_owned(), Some(json!({ "pr_numbr": 1 })), 422),
        (Method::PUT, format!("/api/pr-reviews/{id}"), Some(json!({ "pr_status": "gone" })), 422),
        (Method::PUT, format!("/api/pr-reviews/{id}"), Some(json!({})), 422),
        (Method::PUT, format!("/api/pr-reviews/{id}"), Some(json!({ "fixes_applied": -2 })), 422),
        (Method::GET, "/api/pr-reviews/?review_status=lgtm".to_owned(), None, 422),
        (Method::GET, "/api/pr-reviews/?limit=0".to_owned(), None, 400),
        (Method::GET, "/api/pr-reviews/?colour=red".to_owned(), None, 400),
        (Method::GET, "/api/pr-reviews/history?days=0".to_owned(), None, 422),
        (Method::GET, "/api/pr-reviews/999".to_owned(), None, 404),
        (Method::GET, "/api/pr-reviews/not-a-number".to_owned(), None, 404),
        (Method::PUT, "/api/pr-reviews/999".to_owned(), Some(json!({ "review_status": "approved" })), 404),
    ] {
        let (status, answer) = call(&app, method.clone(), &path, body.clone()).await;
        assert_eq!(status, want, "{method} {path} {body:?}: {answer}");
        assert!(answer["error"].is_string() && answer["code"].is_string(), "{answer}");
    }
    let res = app
        .client
        .post(app.url("/api/pr-reviews/"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (_, row) = call(&app, Method::GET, &format!("/api/pr-reviews/{id}"), None).await;
    assert_eq!(row["review_status"], "approved", "bad requests changed nothing");

    let (status, deleted) = call(&app, Method::DELETE, &format!("/api/pr-reviews/{id}"), None).await;
    assert_eq!((status, deleted["message"].as_str()), (200, Some("PR review deleted")));
    let (status, _) = call(&app, Method::DELETE, &format!("/api/pr-reviews/{id}"), None).await;
    assert_eq!(status, 404);
}
