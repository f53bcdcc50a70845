//! Routes mounted only in tests, to observe behaviour no production route shows on demand.

use actix_web::{HttpRequest, HttpResponse, web};
use agented_http::app::ActixServiceConfig;
use agented_store::{Database, DatabaseOptions};
use std::sync::OnceLock;

pub fn routes(cfg: &mut ActixServiceConfig) {
    cfg.route("/__test/panic", web::get().to(panics))
        .route("/__test/echo", web::post().to(echo))
        .route("/__test/log", web::get().to(logs_twice));
}

async fn panics() -> HttpResponse {
    panic!("deliberate panic from a test route");
}

async fn echo(body: web::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

/// A database of its own, so the probe exercises the store's blocking path.
fn probe_database() -> &'static Database {
    static DB: OnceLock<(tempfile::TempDir, Database)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("probe.db"), &DatabaseOptions::default()).unwrap();
        (dir, db)
    })
    .1
}

/// Logs once on the async worker and once inside the store's blocking task.
async fn logs_twice(req: HttpRequest) -> HttpResponse {
    let nonce = req.headers().get("x-probe-nonce").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    tracing::info!(nonce = %nonce, "probe: in handler");
    let inner = nonce.clone();
    probe_database()
        .run(move |_conn| {
            tracing::info!(nonce = %inner, "probe: in blocking task");
            Ok(())
        })
        .await
        .unwrap();
    HttpResponse::Ok().json(serde_json::json!({ "nonce": nonce }))
}
