//! `GET /admin/triggers/{id}/tooling-preview`: the files, flags and variable names a
//! run of the trigger would get for its tooling, and what each execution was given.

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use agented_executions::tooling::{GivenItem, ToolingPreview};
use agented_kernel::{BackendType, TriggerId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One item a run was (or would be) given: never a value.
#[derive(Debug, Serialize, ToSchema)]
pub struct GivenToolView {
    /// `mcp_server`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its version: when its definition last changed.
    pub version: String,
}

impl From<GivenItem> for GivenToolView {
    fn from(g: GivenItem) -> Self {
        Self { kind: g.kind, id: g.id, name: g.name, version: g.version }
    }
}

/// A file a run's CLI would read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolingFileView {
    /// Where: `<run>` is the run's private folder (`<data_dir>/run-tooling/<execution id>`).
    pub path: String,
    /// What: secrets appear as references, never as values.
    pub content: String,
}

/// What a run of the trigger would get for its tooling.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolingPreviewView {
    /// The CLI it is shown for; `custom` (a custom command) gets none.
    pub backend: String,
    /// What would be given.
    pub given: Vec<GivenToolView>,
    /// Attached but not given, and why (disabled, deleted).
    pub left_out: Vec<String>,
    /// Options the CLI would get, before its prompt.
    pub args: Vec<String>,
    /// Variables with fixed values.
    pub env: BTreeMap<String, String>,
    /// Variables the run would get from the server's environment, by name only.
    pub secrets: Vec<String>,
    /// Files written into the run's folder.
    pub files: Vec<ToolingFileView>,
    /// Why this CLI cannot be given the tooling; a run would fail with it.
    pub error: Option<String>,
}

impl From<ToolingPreview> for ToolingPreviewView {
    fn from(p: ToolingPreview) -> Self {
        Self {
            backend: p.backend,
            given: p.given.into_iter().map(GivenToolView::from).collect(),
            left_out: p.left_out,
            args: p.args,
            env: p.env,
            secrets: p.secrets,
            files: p
                .files
                .into_iter()
                .map(|f| ToolingFileView { path: f.path.display().to_string(), content: f.content })
                .collect(),
            error: p.error,
        }
    }
}

/// Which CLI to preview for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// `claude`, `codex`, `gemini` or `opencode`; default: the trigger's own.
    pub backend: Option<String>,
}

/// Shows the files, flags and variable names a run of this trigger would get for its tooling.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "Trigger id"), PreviewQuery),
    responses(
        (status = 200, body = ToolingPreviewView),
        (status = 400, description = "An unknown backend or query field", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/triggers/{id}/tooling-preview")]
pub async fn tooling_preview(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = TriggerId::parse(&id).map_err(|_| ApiError::not_found("trigger not found"))?;
    let backend = query
        .into_inner()
        .backend
        .map(|b| b.parse::<BackendType>().map_err(|e| ApiError::bad_request("invalid_backend", e.to_string())))
        .transpose()?;
    let preview = state.runs.tooling_preview(&id, backend).await?;
    Ok(HttpResponse::Ok().json(ToolingPreviewView::from(preview)))
}
