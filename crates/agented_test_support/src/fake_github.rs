//! A fake GitHub REST API on port 0: real HTTP, recording every request, and
//! keeping the check runs, comments and reviews Agented posts. With an App
//! configured it checks the App's JWT (RS256) before it mints installation
//! tokens. `fail_next(n)` answers the next `n` calls with 502, as GitHub does
//! on a bad day.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, `PATCH`.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The status the fake answered.
    pub status: u16,
    /// The JSON body (`null` without one).
    pub body: Value,
}

#[derive(Default)]
struct State {
    token: String,
    app: Option<(String, String)>,
    minted: Vec<String>,
    fail_next: u32,
    next_id: u64,
    requests: Vec<Recorded>,
    check_runs: HashMap<u64, Value>,
    comments: Vec<Value>,
    reviews: Vec<Value>,
}

/// The fake server; it stops with the test process.
#[derive(Clone)]
pub struct FakeGithub {
    /// `http://127.0.0.1:PORT`: what `github.api_url` is set to.
    pub url: String,
    state: Arc<Mutex<State>>,
}

/// A request as read off the connection.
struct Request {
    method: String,
    path: String,
    authorization: String,
    body: Value,
}

fn read(stream: &TcpStream) -> std::io::Result<Request> {
    let r = crate::fake_http::read_whole(stream)?;
    let mut parts = r.line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
    let authorization = r.header("authorization").unwrap_or_default().to_owned();
    Ok(Request { method, path, authorization, body: serde_json::from_slice(&r.body).unwrap_or(Value::Null) })
}

impl FakeGithub {
    /// A fake that accepts `token`.
    ///
    /// # Panics
    /// When it cannot listen.
    #[must_use]
    pub fn start(token: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake GitHub");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State { token: token.to_owned(), next_id: 1000, ..State::default() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(&stream, &state));
            }
        });
        Self { url, state }
    }

    /// Also acts as GitHub App `app_id` whose public key is `public_pem`: installation
    /// tokens are minted for JWTs it signed.
    #[must_use]
    pub fn with_app(self, app_id: &str, public_pem: &str) -> Self {
        self.lock().app = Some((app_id.to_owned(), public_pem.to_owned()));
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers the next `n` calls with 502.
    pub fn fail_next(&self, n: u32) {
        self.lock().fail_next = n;
    }

    /// Every request so far.
    #[must_use]
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The installation tokens minted so far.
    #[must_use]
    pub fn minted(&self) -> Vec<String> {
        self.lock().minted.clone()
    }

    /// The check runs, as last updated.
    #[must_use]
    pub fn check_runs(&self) -> Vec<Value> {
        let mut runs: Vec<Value> = self.lock().check_runs.values().cloned().collect();
        runs.sort_by_key(|r| r["id"].as_u64());
        runs
    }

    /// The comments on `repository`'s issue or pull request `number`.
    #[must_use]
    pub fn comments(&self, repository: &str, number: u64) -> Vec<Value> {
        let issue = format!("{repository}#{number}");
        self.lock().comments.iter().filter(|c| c["issue"] == issue.as_str()).cloned().collect()
    }

    /// The reviews posted.
    #[must_use]
    pub fn reviews(&self) -> Vec<Value> {
        self.lock().reviews.clone()
    }
}

fn serve(stream: &TcpStream, state: &Mutex<State>) {
    let Ok(request) = read(stream) else { return };
    let (status, answer) = {
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        let (status, answer) = route(&mut s, &request);
        s.requests.push(Recorded {
            method: request.method.clone(),
            path: request.path.clone(),
            status,
            body: request.body.clone(),
        });
        (status, answer)
    };
    let body = answer.to_string();
    let mut out = stream;
    let _ = write!(
        out,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn route(s: &mut State, r: &Request) -> (u16, Value) {
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return (502, json!({ "message": "Server Error" }));
    }
    let segments: Vec<&str> = r.path.split('?').next().unwrap_or("").trim_start_matches('/').split('/').collect();
    let bearer = r.authorization.strip_prefix("Bearer ").unwrap_or_default();
    if let ["repos", _, _, "installation"] | ["app", "installations", _, "access_tokens"] = segments.as_slice() {
        return app_route(s, r, &segments, bearer);
    }
    if bearer != s.token && !s.minted.iter().any(|t| t == bearer) {
        return (401, json!({ "message": "Bad credentials" }));
    }
    s.next_id += 1;
    let id = s.next_id;
    match (r.method.as_str(), segments.as_slice()) {
        ("POST", ["repos", owner, repo, "check-runs"]) => {
            let mut run = r.body.clone();
            run["id"] = json!(id);
            run["repository"] = json!(format!("{owner}/{repo}"));
            run["history"] = json!([r.body["status"].clone()]);
            s.check_runs.insert(id, run.clone());
            (201, run)
        }
        ("PATCH", ["repos", _, _, "check-runs", id]) => match s.check_runs.get_mut(&id.parse().unwrap_or(0)) {
            Some(run) => {
                for (k, v) in r.body.as_object().into_iter().flatten() {
                    run[k] = v.clone();
                }
                if let Some(history) = run["history"].as_array_mut() {
                    history.push(r.body["status"].clone());
                }
                (200, run.clone())
            }
            None => (404, json!({ "message": "Not Found" })),
        },
        ("GET", ["repos", owner, repo, "issues", number, "comments"]) => {
            let issue = format!("{owner}/{repo}#{number}");
            (200, json!(s.comments.iter().filter(|c| c["issue"] == issue.as_str()).collect::<Vec<_>>()))
        }
        ("POST", ["repos", owner, repo, "issues", number, "comments"]) => {
            let url = format!("https://github.com/{owner}/{repo}/issues/{number}#issuecomment-{id}");
            let comment = json!({ "id": id, "issue": format!("{owner}/{repo}#{number}"), "body": r.body["body"], "html_url": url, "edits": 0 });
            s.comments.push(comment.clone());
            (201, comment)
        }
        ("PATCH", ["repos", _, _, "issues", "comments", id]) => {
            match s.comments.iter_mut().find(|c| c["id"].as_u64() == id.parse().ok()) {
                Some(comment) => {
                    comment["body"] = r.body["body"].clone();
                    comment["edits"] = json!(comment["edits"].as_u64().unwrap_or(0) + 1);
                    (200, comment.clone())
                }
                None => (404, json!({ "message": "Not Found" })),
            }
        }
        ("POST", ["repos", owner, repo, "pulls", number, "reviews"]) => {
            let url = format!("https://github.com/{owner}/{repo}/pull/{number}#pullrequestreview-{id}");
            let review = json!({ "id": id, "pull": format!("{owner}/{repo}#{number}"), "body": r.body["body"],
                                 "event": r.body["event"], "commit_id": r.body["commit_id"], "html_url": url });
            s.reviews.push(review.clone());
            (200, review)
        }
        _ => (404, json!({ "message": "Not Found" })),
    }
}

/// The App's routes: a valid JWT of the App finds the installation and mints tokens.
fn app_route(s: &mut State, r: &Request, segments: &[&str], bearer: &str) -> (u16, Value) {
    let Some((app_id, public_pem)) = s.app.clone() else { return (404, json!({ "message": "Not Found" })) };
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_pem.as_bytes()).expect("the App's public key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.set_issuer(&[app_id]);
    if jsonwebtoken::decode::<Value>(bearer, &key, &validation).is_err() {
        return (401, json!({ "message": "A JSON web token could not be decoded" }));
    }
    match (r.method.as_str(), segments) {
        ("GET", ["repos", _, _, "installation"]) => (200, json!({ "id": 42 })),
        ("POST", ["app", "installations", "42", "access_tokens"]) => {
            let token = format!("ghs_fake_{}", s.minted.len() + 1);
            s.minted.push(token.clone());
            let expires = chrono::Utc::now() + chrono::Duration::hours(1);
            (201, json!({ "token": token, "expires_at": expires }))
        }
        _ => (404, json!({ "message": "Not Found" })),
    }
}
