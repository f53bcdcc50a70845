use agented_test_support::{TestApp, client};

async fn post_root(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = app.anonymous.post(app.url("/")).json(&serde_json::json!({"text": "hello"}));
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_twenty_first_webhook_within_ten_seconds_gets_429_with_retry_after() {
    let app = TestApp::spawn().await;
    for i in 1..=20 {
        let res = post_root(&app, None).await;
        assert_ne!(res.status(), 429, "request {i} was limited");
    }
    let limited = post_root(&app, None).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry_after), "Retry-After {retry_after}");
    assert!(limited.headers().get("x-request-id").is_some());
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

#[tokio::test]
async fn health_probes_are_never_limited() {
    let app = TestApp::builder()
        .env("AGENTED__RATE_LIMITS__API", "2/60s")
        .env("AGENTED__RATE_LIMITS__WEBHOOK", "2/60s")
        .spawn()
        .await;
    for _ in 0..30 {
        assert_eq!(app.get("/health/liveness").await.status(), 200);
        assert_eq!(app.get("/health/readiness").await.status(), 200);
    }
}

#[tokio::test]
async fn the_api_limit_is_per_key() {
    let app = TestApp::builder().env("AGENTED__RATE_LIMITS__API", "3/60s").spawn().await;
    // The admin key spends two of its three on creating another key and counting here.
    let other = client(Some(&app.create_key("second", "read").await));
    assert_eq!(app.get("/admin/session").await.status(), 200);
    assert_eq!(app.get("/admin/session").await.status(), 200);
    assert_eq!(app.get("/admin/session").await.status(), 429, "the admin key's fourth request");
    assert_eq!(
        other.get(app.url("/admin/session")).send().await.unwrap().status(),
        200,
        "another key has its own budget"
    );
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let untrusted = TestApp::builder().env("AGENTED__RATE_LIMITS__WEBHOOK", "2/60s").spawn().await;
    assert_ne!(post_root(&untrusted, Some("10.0.0.1")).await.status(), 429);
    assert_ne!(post_root(&untrusted, Some("10.0.0.2")).await.status(), 429);
    assert_eq!(
        post_root(&untrusted, Some("10.0.0.3")).await.status(),
        429,
        "a spoofed header does not buy a new budget"
    );

    let proxied = TestApp::builder()
        .env("AGENTED__RATE_LIMITS__WEBHOOK", "2/60s")
        .env("AGENTED__RATE_LIMITS__TRUSTED_PROXIES", "127.0.0.1")
        .spawn()
        .await;
    for client_ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        assert_ne!(post_root(&proxied, Some(client_ip)).await.status(), 429, "{client_ip} has its own budget");
    }
    assert_ne!(post_root(&proxied, Some("10.0.0.1")).await.status(), 429);
    assert_eq!(post_root(&proxied, Some("10.0.0.1")).await.status(), 429, "10.0.0.1's third within the window");
}

#[tokio::test]
async fn limits_can_be_switched_off() {
    let app = TestApp::builder()
        .env("AGENTED__RATE_LIMITS__ENABLED", "false")
        .env("AGENTED__RATE_LIMITS__WEBHOOK", "1/60s")
        .spawn()
        .await;
    for _ in 0..5 {
        assert_ne!(post_root(&app, None).await.status(), 429);
    }
}

#[tokio::test]
async fn invented_keys_are_counted_on_every_route_and_stopped_per_address_but_never_lock_out_a_valid_key() {
    let app = TestApp::builder().env("AGENTED__RATE_LIMITS__AUTH_FAILURES", "3/60s").spawn().await;
    // Guesses on a public route are refused and counted: readiness answers nothing a guess could learn from.
    for n in 0..3 {
        let guess = client(Some(&format!("agd_guess{n}")));
        assert_eq!(guess.get(app.url("/health/readiness")).send().await.unwrap().status(), 401, "guess {n}");
    }
    let fourth = client(Some("agd_guess3")).get(app.url("/admin/session")).send().await.unwrap();
    assert_eq!(fourth.status(), 429);
    let retry_after: u64 = fourth.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    // A stream token is a credential too.
    let forged = app.anonymous.get(app.url("/admin/executions/exec-x/stream?token=1.ab")).send().await.unwrap();
    assert_eq!(forged.status(), 429);
    // The real key from the same address is limited on its own, not by the guesses.
    assert_eq!(app.get("/admin/session").await.status(), 200);
    // Requests without a key and public routes are unaffected.
    assert_eq!(app.anonymous.get(app.url("/health/readiness")).send().await.unwrap().status(), 200);
    assert_eq!(app.anonymous.get(app.url("/admin/session")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn an_ipv6_client_is_counted_by_its_64_network() {
    let app = TestApp::builder()
        .env("AGENTED__RATE_LIMITS__WEBHOOK", "2/60s")
        .env("AGENTED__RATE_LIMITS__TRUSTED_PROXIES", "127.0.0.1")
        .spawn()
        .await;
    // One host owns a whole /64: rotating addresses inside it buys nothing.
    assert_ne!(post_root(&app, Some("2001:db8:0:1::1")).await.status(), 429);
    assert_ne!(post_root(&app, Some("2001:db8:0:1::2")).await.status(), 429);
    assert_eq!(post_root(&app, Some("2001:db8:0:1:ffff::3")).await.status(), 429, "the same /64");
    assert_ne!(post_root(&app, Some("2001:db8:0:2::1")).await.status(), 429, "another /64 has its own budget");
}
