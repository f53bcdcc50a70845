//! `/admin/super-agents`: persistent agents, their documents with every version,
//! and the messages they leave each other (admin keys only). Chats are in
//! `super_agent_chats.rs`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::super_agent_views::{
    DocumentBody, DocumentList, DocumentVersionList, DocumentVersionView, DocumentView, MailBody, MailList, MailView,
    SuperAgentBody, SuperAgentList, SuperAgentView, agent_id, doc_kind, field,
};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_auth::Principal;

/// Every persistent agent, by name.
#[utoipa::path(tag = "super agents", responses((status = 200, body = SuperAgentList)), security(("api_key" = [])))]
#[get("/super-agents")]
pub async fn list_super_agents(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let super_agents = state.super_agents.list().await?.into_iter().map(SuperAgentView::from).collect();
    Ok(HttpResponse::Ok().json(SuperAgentList { super_agents }))
}

/// Creates a persistent agent.
#[utoipa::path(
    tag = "super agents",
    request_body = SuperAgentBody,
    responses((status = 201, body = SuperAgentView), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents")]
pub async fn create_super_agent(
    state: web::Data<AppState>,
    body: web::Json<SuperAgentBody>,
) -> Result<HttpResponse, ApiError> {
    let agent = state.super_agents.create(body.into_inner().input()?).await?;
    Ok(HttpResponse::Created().json(SuperAgentView::from(agent)))
}

/// One persistent agent.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    responses((status = 200, body = SuperAgentView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}")]
pub async fn get_super_agent(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(SuperAgentView::from(state.super_agents.get(&agent_id(&id)?).await?)))
}

/// Replaces a persistent agent's fields.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    request_body = SuperAgentBody,
    responses((status = 200, body = SuperAgentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/super-agents/{id}")]
pub async fn update_super_agent(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<SuperAgentBody>,
) -> Result<HttpResponse, ApiError> {
    let agent = state.super_agents.update(&agent_id(&id)?, body.into_inner().input()?).await?;
    Ok(HttpResponse::Ok().json(SuperAgentView::from(agent)))
}

/// Removes a persistent agent with its documents, chats and messages.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/super-agents/{id}")]
pub async fn delete_super_agent(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.super_agents.delete(&agent_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The agent's documents.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    responses((status = 200, body = DocumentList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}/documents")]
pub async fn list_documents(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let documents = state.super_agents.documents(&agent_id(&id)?).await?.into_iter().map(DocumentView::from).collect();
    Ok(HttpResponse::Ok().json(DocumentList { documents }))
}

async fn put_document(
    state: &AppState,
    principal: &Principal,
    id: &str,
    kind: &str,
    content: &str,
) -> Result<DocumentView, ApiError> {
    let kind = agented_super_agents::DocKind::parse(kind)
        .ok_or_else(|| field("doc_type", format!("'{kind}': SOUL, IDENTITY, MEMORY or ROLE")))?;
    Ok(state.super_agents.put_document(&agent_id(id)?, kind, content, &principal.name).await?.into())
}

/// Sets a document (`doc_type`) to `content`: a new version of it.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    request_body = DocumentBody,
    responses((status = 201, body = DocumentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/documents")]
pub async fn create_document(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<DocumentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let kind = body.doc_type.ok_or_else(|| field("doc_type", "is required"))?;
    Ok(HttpResponse::Created().json(put_document(&state, &principal, &id, &kind, &body.content).await?))
}

/// One document (its id is its kind: `SOUL`, `IDENTITY`, `MEMORY` or `ROLE`).
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("kind" = String, Path, description = "SOUL, IDENTITY, MEMORY or ROLE")),
    responses((status = 200, body = DocumentView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}/documents/{kind}")]
pub async fn get_document(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let kind = doc_kind(&path.1)?;
    let documents = state.super_agents.documents(&agent_id(&path.0)?).await?;
    let document =
        documents.into_iter().find(|d| d.kind == kind).ok_or_else(|| ApiError::not_found("document not found"))?;
    Ok(HttpResponse::Ok().json(DocumentView::from(document)))
}

/// Sets a document's text: a new version of it.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("kind" = String, Path, description = "SOUL, IDENTITY, MEMORY or ROLE")),
    request_body = DocumentBody,
    responses((status = 200, body = DocumentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/super-agents/{id}/documents/{kind}")]
pub async fn update_document(
    state: web::Data<AppState>,
    principal: web::ReqData<Principal>,
    path: web::Path<(String, String)>,
    body: web::Json<DocumentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.doc_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case(&path.1)) {
        return Err(field("doc_type", "differs from the document in the path"));
    }
    doc_kind(&path.1)?;
    Ok(HttpResponse::Ok().json(put_document(&state, &principal, &path.0, &path.1, &body.content).await?))
}

/// Removes a document with its versions.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("kind" = String, Path, description = "SOUL, IDENTITY, MEMORY or ROLE")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/super-agents/{id}/documents/{kind}")]
pub async fn delete_document(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state.super_agents.delete_document(&agent_id(&path.0)?, doc_kind(&path.1)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every kept text of a document, newest first (MEMORY's history).
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("kind" = String, Path, description = "SOUL, IDENTITY, MEMORY or ROLE")),
    responses((status = 200, body = DocumentVersionList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}/documents/{kind}/versions")]
pub async fn document_versions(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let versions = state.super_agents.versions(&agent_id(&path.0)?, doc_kind(&path.1)?).await?;
    Ok(HttpResponse::Ok()
        .json(DocumentVersionList { versions: versions.into_iter().map(DocumentVersionView::from).collect() }))
}

/// Sends a message from this agent to another.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "The sending agent")),
    request_body = MailBody,
    responses((status = 201, body = MailView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/messages")]
pub async fn send_message(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<MailBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let to = agented_kernel::SuperAgentId::parse(&body.to_agent_id).map_err(|e| field("to_agent_id", e.to_string()))?;
    let subject = body.subject.unwrap_or_default();
    let sent = state.super_agents.send(&agent_id(&id)?, &to, (&subject, &body.content)).await?;
    Ok(HttpResponse::Created().json(MailView::from(sent)))
}

async fn mail(state: &AppState, id: &str, to_it: bool) -> Result<HttpResponse, ApiError> {
    let messages = state.super_agents.mail(&agent_id(id)?, to_it).await?;
    Ok(HttpResponse::Ok().json(MailList { messages: messages.into_iter().map(MailView::from).collect() }))
}

/// Messages to this agent, newest first.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    responses((status = 200, body = MailList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}/messages/inbox")]
pub async fn inbox(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    mail(&state, &id, true).await
}

/// Messages from this agent, newest first.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    responses((status = 200, body = MailList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}/messages/outbox")]
pub async fn outbox(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    mail(&state, &id, false).await
}

/// Marks a message to this agent read.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("mid" = i64, Path, description = "Message id")),
    responses((status = 200, body = MailView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/messages/{mid}/read")]
pub async fn read_message(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let mid = path.1.parse::<i64>().map_err(|_| ApiError::not_found("message not found"))?;
    Ok(HttpResponse::Ok().json(MailView::from(state.super_agents.mark_read(&agent_id(&path.0)?, mid).await?)))
}
