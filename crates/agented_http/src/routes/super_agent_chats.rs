//! `/admin/super-agents/{id}/sessions`: chats with a persistent agent. A message
//! (`POST …/chat`) starts a turn, an ordinary execution resuming the chat's CLI
//! session; `GET …/chat/stream` follows the chat with the original's
//! `state_delta` events (see docs/sessions.md).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::super_agent_views::{ChatDetail, ChatList, ChatMessageView, ChatView, SayBody, agent_id, chat_id};
use crate::stream_slots::StreamSlots;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use actix_web_lab::sse;
use agented_super_agents::ChatEvent;
use std::time::Duration;

type Ids = web::Path<(String, String)>;

/// The agent's chats, newest first.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    responses((status = 200, body = ChatList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}/sessions")]
pub async fn list_chats(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let sessions = state.super_agents.chats(&agent_id(&id)?).await?.into_iter().map(ChatView::from).collect();
    Ok(HttpResponse::Ok().json(ChatList { sessions }))
}

/// Opens a chat.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id")),
    responses((status = 201, body = ChatView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/sessions")]
pub async fn open_chat(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(ChatView::from(state.super_agents.open_chat(&agent_id(&id)?).await?)))
}

/// A chat with its messages.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("sid" = String, Path, description = "Chat id")),
    responses((status = 200, body = ChatDetail), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/super-agents/{id}/sessions/{sid}")]
pub async fn get_chat(state: web::Data<AppState>, ids: Ids) -> Result<HttpResponse, ApiError> {
    let (agent, chat) = (agent_id(&ids.0)?, chat_id(&ids.1)?);
    let session = state.super_agents.chat(&agent, &chat).await?;
    let messages = state.super_agents.messages(&agent, &chat, 0).await?;
    let messages = messages.into_iter().map(ChatMessageView::from).collect();
    Ok(HttpResponse::Ok().json(ChatDetail { chat: session.into(), messages }))
}

/// Ends a chat.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("sid" = String, Path, description = "Chat id")),
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/sessions/{sid}/end")]
pub async fn end_chat(state: web::Data<AppState>, ids: Ids) -> Result<HttpResponse, ApiError> {
    let chat = state.super_agents.end_chat(&agent_id(&ids.0)?, &chat_id(&ids.1)?).await?;
    Ok(HttpResponse::Ok().json(ChatView::from(chat)))
}

async fn say(state: &AppState, ids: &(String, String), body: SayBody) -> Result<HttpResponse, ApiError> {
    let said = state.super_agents.say(&agent_id(&ids.0)?, &chat_id(&ids.1)?, &body.text()?).await?;
    Ok(HttpResponse::Accepted().json(ChatMessageView::from(said)))
}

/// Says something to the agent: 202 with the stored message; the reply comes on the stream
/// (and in `GET …/sessions/{sid}`) when the turn's run ends.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("sid" = String, Path, description = "Chat id")),
    request_body = SayBody,
    responses(
        (status = 202, body = ChatMessageView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The chat ended, the agent is still answering, or its trigger refused the run", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/sessions/{sid}/chat")]
pub async fn send_chat(
    state: web::Data<AppState>,
    ids: Ids,
    body: web::Json<SayBody>,
) -> Result<HttpResponse, ApiError> {
    say(&state, &ids, body.into_inner()).await
}

/// The original's other path for a message (`{message}`): as `…/chat`.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("sid" = String, Path, description = "Chat id")),
    request_body = SayBody,
    responses((status = 202, body = ChatMessageView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/sessions/{sid}/message")]
pub async fn send_chat_message(
    state: web::Data<AppState>,
    ids: Ids,
    body: web::Json<SayBody>,
) -> Result<HttpResponse, ApiError> {
    say(&state, &ids, body.into_inner()).await
}

/// Issues a 60-second token for the chat's stream, valid for that path only.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("sid" = String, Path, description = "Chat id")),
    responses((status = 200, body = crate::routes::streams::StreamTokenView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/super-agents/{id}/sessions/{sid}/chat/stream-token")]
pub async fn chat_stream_token(state: web::Data<AppState>, ids: Ids) -> Result<HttpResponse, ApiError> {
    let chat = state.super_agents.chat(&agent_id(&ids.0)?, &chat_id(&ids.1)?).await?;
    let path = format!("/admin/super-agents/{}/sessions/{}/chat/stream", chat.agent_id, chat.id);
    Ok(HttpResponse::Ok().json(crate::routes::streams::token_for(&state, path)))
}

/// Resume point and token of the chat stream.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ChatStreamQuery {
    /// Resume after this message `id:` (as `Last-Event-ID`).
    pub last_event_id: Option<i64>,
    /// Alias of `last_event_id`.
    pub after: Option<i64>,
    /// A stream token.
    pub token: Option<String>,
}

/// The chat live: `state_delta` events, `{seq, type: "message", message}` (with `id: seq`) for
/// each message and `{type: "status_change", status, turn, turn_execution_id}` when the chat's
/// state changes. Resumes after `Last-Event-ID` or `?after=`.
#[utoipa::path(
    tag = "super agents",
    params(("id" = String, Path, description = "Super agent id"), ("sid" = String, Path, description = "Chat id"), ChatStreamQuery),
    responses(
        (status = 200, description = "text/event-stream of `state_delta` events"),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many open streams", body = ErrorBody),
    ),
    security(("api_key" = []), ())
)]
#[get("/super-agents/{id}/sessions/{sid}/chat/stream")]
pub async fn chat_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    ids: Ids,
    query: web::Query<ChatStreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let header = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let after: i64 = header.or(query.last_event_id).or(query.after).unwrap_or(0).max(0);
    let slot = StreamSlots::open(&req)?;
    let events = state.super_agents.follow(&agent_id(&ids.0)?, &chat_id(&ids.1)?, after).await?;
    let stream = futures_util::stream::unfold((events, slot), |(mut events, slot)| async move {
        let event = events.recv().await?;
        Some((delta(event), (events, slot)))
    });
    let response = sse::Sse::from_infallible_stream(stream)
        .with_retry_duration(Duration::from_secs(2))
        .with_keep_alive(Duration::from_secs(15))
        .respond_to(&req);
    Ok(response.map_into_boxed_body())
}

fn delta(event: ChatEvent) -> sse::Event {
    match event {
        ChatEvent::Message(m) => {
            let seq = m.seq;
            let body = serde_json::json!({ "seq": seq, "type": "message", "message": ChatMessageView::from(m) });
            sse::Data::new(body.to_string()).event("state_delta").id(seq.to_string()).into()
        }
        ChatEvent::State(chat) => {
            let view = ChatView::from(chat);
            let body = serde_json::json!({
                "type": "status_change",
                "status": view.status,
                "turn": view.turn,
                "turn_execution_id": view.turn_execution_id,
            });
            sse::Data::new(body.to_string()).event("state_delta").into()
        }
    }
}
