//! `/api/settings`: key/value settings clients keep on the server (the
//! original's paths and shapes). The server's own configuration is not here.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, delete, get, put, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Every setting.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingMap {
    /// Key → value.
    pub settings: BTreeMap<String, String>,
}

/// One setting.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingView {
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// A value to set. The original stored numbers and booleans as their text; so does this.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingInput {
    /// Text, a number or a boolean.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

/// What a removal answers (the original's shape).
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// `Setting deleted`.
    pub message: &'static str,
}

/// Every setting, key → value.
#[utoipa::path(tag = "settings", responses((status = 200, body = SettingMap)), security(("api_key" = [])))]
#[get("/settings")]
pub async fn list_settings(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.list().await?;
    let settings = settings.into_iter().map(|s| (s.key.as_str().to_owned(), s.value.as_str().to_owned())).collect();
    Ok(HttpResponse::Ok().json(SettingMap { settings }))
}

/// One setting.
#[utoipa::path(
    tag = "settings",
    params(("key" = String, Path, description = "Its key")),
    responses((status = 200, body = SettingView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/settings/{key}")]
pub async fn get_setting(state: web::Data<AppState>, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let s = state.settings.get(&key).await?;
    Ok(HttpResponse::Ok().json(SettingView { key: s.key.as_str().to_owned(), value: s.value.as_str().to_owned() }))
}

/// Sets a setting.
#[utoipa::path(
    tag = "settings",
    params(("key" = String, Path, description = "Its key")),
    request_body = SettingInput,
    responses((status = 200, body = SettingView), (status = 422, description = "A bad key or value", body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/settings/{key}")]
pub async fn put_setting(
    state: web::Data<AppState>,
    key: web::Path<String>,
    input: web::Json<SettingInput>,
) -> Result<HttpResponse, ApiError> {
    let value = match input.into_inner().value {
        serde_json::Value::String(s) => s,
        v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => v.to_string(),
        _ => {
            return Err(ApiError::invalid_fields(
                [("value".to_owned(), "must be text, a number or a boolean".to_owned())].into(),
            ));
        }
    };
    let s = state.settings.put(&key, value).await?;
    Ok(HttpResponse::Ok().json(SettingView { key: s.key.as_str().to_owned(), value: s.value.as_str().to_owned() }))
}

/// Removes a setting.
#[utoipa::path(
    tag = "settings",
    params(("key" = String, Path, description = "Its key")),
    responses((status = 200, body = Removed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/settings/{key}")]
pub async fn delete_setting(state: web::Data<AppState>, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.settings.delete(&key).await?;
    Ok(HttpResponse::Ok().json(Removed { message: "Setting deleted" }))
}
