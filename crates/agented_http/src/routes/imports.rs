//! `/admin/import/python`: the Python Agented's database uploaded, imported in
//! the background with its progress, and its report (admin keys only).
#![allow(unused_qualifications, reason = "actix's route macro re-qualifies the query extractor it wraps")]

use crate::AppState;
use crate::error::{ApiError, ErrorBody, require_admin};
use actix_web::web::Query;
use actix_web::{HttpResponse, get, post, web};
use agented_auth::Principal;
use agented_kernel::ImportId;
use agented_migration::ImportJob;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

/// Largest upload taken (the original's databases are megabytes; this is a typo guard).
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024 * 1024;

/// How to import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Check and count everything, write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports kept since the server started.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportList {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub imports: Vec<ImportJob>,
}

/// Writes the request body to `path`, at most [`MAX_UPLOAD_BYTES`]; its size.
async fn save(mut body: web::Payload, path: &std::path::Path) -> Result<usize, ApiError> {
    let unavailable = |e: std::io::Error| ApiError::unavailable(&e);
    let mut file = tokio::fs::File::create(path).await.map_err(unavailable)?;
    let mut size = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", format!("the upload broke off: {e}")))?;
        size += chunk.len();
        if size > MAX_UPLOAD_BYTES {
            return Err(ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the upload is over {MAX_UPLOAD_BYTES} bytes"),
            ));
        }
        file.write_all(&chunk).await.map_err(unavailable)?;
    }
    file.sync_all().await.map_err(unavailable)?;
    Ok(size)
}

/// Starts importing the uploaded database (the request body: the original's SQLite file).
#[utoipa::path(
    tag = "import",
    params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The Python Agented's agented.db"),
    responses(
        (status = 202, description = "Started; poll it for progress and the report", body = Object),
        (status = 400, description = "No file", body = ErrorBody),
        (status = 409, description = "Another import is running", body = ErrorBody),
        (status = 413, description = "Over 1 GiB", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/import/python")]
pub async fn start_import(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    params: Query<ImportParams>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let id = ImportId::generate();
    let path = state.import_dir.join(format!("{id}.db"));
    let saved = save(body, &path).await;
    let started = match saved {
        Ok(0) => Err(ApiError::bad_request("invalid_body", "upload the Python Agented's database file as the body")),
        Ok(_) => state.imports.start(id, path.clone(), params.dry_run).map_err(ApiError::from),
        Err(e) => Err(e),
    };
    if started.is_err() {
        // Not handed over: this request's to remove.
        let _ = std::fs::remove_file(&path);
    }
    Ok(HttpResponse::Accepted().json(started?))
}

/// One import: its progress while it runs, then its report or its error.
#[utoipa::path(
    tag = "import",
    params(("id" = String, Path, description = "Import id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/import/python/{id}")]
pub async fn get_import(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    Ok(HttpResponse::Ok().json(state.imports.get(&id)?))
}

/// The imports since the server started, newest first.
#[utoipa::path(tag = "import", responses((status = 200, body = ImportList)), security(("api_key" = [])))]
#[get("/import/python")]
pub async fn list_imports(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    Ok(HttpResponse::Ok().json(ImportList { imports: state.imports.list() }))
}
