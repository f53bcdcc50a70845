//! `/admin/skills`, `/admin/commands`, `/admin/hooks`, `/admin/rules`: definitions
//! given to runs, each kind with the same five routes (the [`item_routes`] macro
//! writes each kind's handlers, which call the shared ones here).

use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use crate::state::AppState;
use actix_web::HttpResponse;
use agented_kernel::{ItemId, ItemKind};
use agented_tooling::{ItemPatch, ToolingItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A skill, command, hook or rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolingItemView {
    /// `skill-…`, `cmd-…`, `hook-…` or `rule-…`.
    pub id: String,
    /// `skill`, `command`, `hook` or `rule`.
    pub kind: &'static str,
    /// A skill's folder, a command's `/name`; unique within the kind.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// A skill's `SKILL.md`, a command's template, a hook's shell command, a rule's instructions.
    pub content: String,
    /// A skill's other files, by relative path.
    pub files: BTreeMap<String, String>,
    /// A hook's event (`PreToolUse`, `PostToolUse`, `UserPromptSubmit`, `Stop`, `SubagentStop`,
    /// `SessionStart`, `SessionEnd`, `Notification`, `PreCompact`).
    pub event: Option<&'static str>,
    /// A hook's matcher.
    pub matcher: Option<String>,
    /// A command's argument hint.
    pub arguments: Option<String>,
    /// A rule's type.
    pub rule_type: Option<String>,
    /// Whether runs get it.
    pub enabled: bool,
    /// 1, then one more per change; runs record the version they were given.
    pub version: u32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ToolingItem> for ToolingItemView {
    fn from(i: ToolingItem) -> Self {
        Self {
            id: i.id.to_string(),
            kind: i.kind().as_str(),
            name: i.name,
            description: i.description,
            content: i.content,
            files: i.files,
            event: i.event.map(|e| e.as_str()),
            matcher: i.matcher,
            arguments: i.arguments,
            rule_type: i.rule_type,
            enabled: i.enabled,
            version: i.version,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// Every item of a kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolingItemList {
    /// By name.
    pub items: Vec<ToolingItemView>,
}

/// An item to create, or a change (absent fields kept; `null` clears an optional one).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ToolingItemInput {
    /// Required on create. Skills: 1–64 of lowercase letters, digits and `-`; the others
    /// also upper case and `_`.
    pub name: Option<String>,
    /// What it is for (required for skills).
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Required on create; at most 64 KiB.
    pub content: Option<String>,
    /// Skills only: other files by relative path (at most 50, 1 MiB together).
    pub files: Option<BTreeMap<String, String>>,
    /// Hooks only, and required for them.
    pub event: Option<String>,
    /// Hooks only: which tools (in the CLI's own names).
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub matcher: Option<Option<String>>,
    /// Commands only: the argument hint.
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub arguments: Option<Option<String>>,
    /// Rules only (default `validation`).
    pub rule_type: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

impl From<ToolingItemInput> for ItemPatch {
    fn from(i: ToolingItemInput) -> Self {
        Self {
            name: i.name,
            description: i.description,
            content: i.content,
            files: i.files,
            event: i.event,
            matcher: i.matcher,
            arguments: i.arguments,
            rule_type: i.rule_type,
            enabled: i.enabled,
        }
    }
}

fn id_of(kind: ItemKind, path: &str) -> Result<ItemId, ApiError> {
    ItemId::parse_of(kind, path).map_err(|_| ApiError::not_found(format!("{kind} not found")))
}

async fn list(state: &AppState, kind: ItemKind) -> Result<HttpResponse, ApiError> {
    let items = state.tooling_items.list(kind).await?;
    Ok(HttpResponse::Ok().json(ToolingItemList { items: items.into_iter().map(ToolingItemView::from).collect() }))
}

async fn create(state: &AppState, kind: ItemKind, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: ToolingItemInput = optional_json(body)?;
    let created = state.tooling_items.create(kind, input.into()).await?;
    Ok(HttpResponse::Created().json(ToolingItemView::from(created)))
}

async fn get(state: &AppState, kind: ItemKind, id: &str) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ToolingItemView::from(state.tooling_items.get(kind, &id_of(kind, id)?).await?)))
}

async fn update(state: &AppState, kind: ItemKind, id: &str, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let id = id_of(kind, id)?;
    let input: ToolingItemInput = optional_json(body)?;
    Ok(HttpResponse::Ok().json(ToolingItemView::from(state.tooling_items.update(kind, &id, input.into()).await?)))
}

async fn delete(state: &AppState, kind: ItemKind, id: &str) -> Result<HttpResponse, ApiError> {
    state.tooling_items.delete(kind, &id_of(kind, id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The five routes of one kind, as a module of thin handlers with their OpenAPI operations.
macro_rules! item_routes {
    ($module:ident, $kind:expr, $collection:literal, $one:literal, $what:literal) => {
        #[doc = concat!("`/admin", $collection, "`: ", $what, ".")]
        pub mod $module {
            use super::{ErrorBody, ToolingItemInput, ToolingItemList, ToolingItemView};
            use crate::error::ApiError;
            use crate::state::AppState;
            use actix_web::{HttpResponse, delete, get, post, put, web};

            #[doc = concat!("Every one of the ", $what, ", by name.")]
            #[utoipa::path(
                tag = "tooling",
                operation_id = concat!("list_", stringify!($module)),
                responses((status = 200, body = ToolingItemList)),
                security(("api_key" = []))
            )]
            #[get($collection)]
            pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
                super::list(&state, $kind).await
            }

            #[doc = concat!("Creates one of the ", $what, ", at version 1.")]
            #[utoipa::path(
                tag = "tooling",
                operation_id = concat!("create_", stringify!($module)),
                request_body = ToolingItemInput,
                responses(
                    (status = 201, body = ToolingItemView),
                    (status = 400, body = ErrorBody),
                    (status = 409, description = "The name is taken", body = ErrorBody),
                    (status = 422, body = ErrorBody),
                ),
                security(("api_key" = []))
            )]
            #[post($collection)]
            pub async fn create(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
                super::create(&state, $kind, &body).await
            }

            #[doc = concat!("One of the ", $what, ".")]
            #[utoipa::path(
                tag = "tooling",
                operation_id = concat!("get_", stringify!($module)),
                params(("id" = String, Path)),
                responses((status = 200, body = ToolingItemView), (status = 404, body = ErrorBody)),
                security(("api_key" = []))
            )]
            #[get($one)]
            pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
                super::get(&state, $kind, &id).await
            }

            #[doc = concat!("Changes one of the ", $what, ": its next version.")]
            #[utoipa::path(
                tag = "tooling",
                operation_id = concat!("update_", stringify!($module)),
                params(("id" = String, Path)),
                request_body = ToolingItemInput,
                responses(
                    (status = 200, body = ToolingItemView),
                    (status = 400, body = ErrorBody),
                    (status = 404, body = ErrorBody),
                    (status = 409, description = "The name is taken, or another request changed it", body = ErrorBody),
                    (status = 422, body = ErrorBody),
                ),
                security(("api_key" = []))
            )]
            #[put($one)]
            pub async fn update(
                state: web::Data<AppState>,
                id: web::Path<String>,
                body: web::Bytes,
            ) -> Result<HttpResponse, ApiError> {
                super::update(&state, $kind, &id, &body).await
            }

            #[doc = concat!("Removes one of the ", $what, ".")]
            #[utoipa::path(
                tag = "tooling",
                operation_id = concat!("delete_", stringify!($module)),
                params(("id" = String, Path)),
                responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)),
                security(("api_key" = []))
            )]
            #[delete($one)]
            pub async fn delete(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
                super::delete(&state, $kind, &id).await
            }
        }
    };
}

item_routes!(skills, agented_kernel::ItemKind::Skill, "/skills", "/skills/{id}", "skills");
item_routes!(commands, agented_kernel::ItemKind::Command, "/commands", "/commands/{id}", "slash commands");
item_routes!(hooks, agented_kernel::ItemKind::Hook, "/hooks", "/hooks/{id}", "hooks");
item_routes!(rules, agented_kernel::ItemKind::Rule, "/rules", "/rules/{id}", "rules");
