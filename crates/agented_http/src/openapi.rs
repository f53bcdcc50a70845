//! The OpenAPI document. Paths are collected from the handlers as they are
//! registered (utoipa-actix-web); this holds what is not tied to a handler.

use utoipa::OpenApi;

/// Document-level information and shared schemas.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agented API",
        description = "Run AI coding CLIs from webhooks, GitHub events, schedules and manual runs; \
                       watch them live; plan projects. Errors share one body: `{\"error\", \"code\", \"details\"?}`.",
        license(name = "GPL-3.0-or-later", identifier = "GPL-3.0-or-later"),
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&ApiKeySecurity),
    tags(
        (name = "health", description = "Liveness and readiness probes (public), and Prometheus metrics (a read key)"),
        (name = "workers", description = "Worker processes that run jobs: heartbeats, capacity, lost workers"),
        (name = "api keys", description = "API keys: admin scope"),
        (name = "audit", description = "The audit trail of admin mutations"),
        (name = "executions", description = "Bot runs"),
        (name = "triggers", description = "What runs a bot, and when"),
        (name = "backends", description = "The CLIs and custom command backends"),
        (name = "webhooks", description = "Deliveries that start runs (public, signed per trigger)"),
        (name = "projects", description = "Projects and their roadmaps (GRD .planning/ formats)"),
        (name = "accounts", description = "Accounts of each backend (API key variable names, config directories, rate-limit state) and fallback chains"),
        (name = "budgets", description = "Soft and hard spending limits per period, the pre-run check, and usage reports"),
        (name = "workflows", description = "Workflows: versioned DAGs of agent, command, conditional, transform, approval, wait and sub-workflow nodes, and their runs"),
        (name = "agents", description = "Agents: reusable definitions (role, goals, prompt, backend, model, tools) run as ordinary executions"),
        (name = "teams", description = "Teams of agents in seven topologies, each compiled to a workflow and run as a workflow run"),
        (name = "notifications", description = "Notifiers: outgoing webhooks (signed the Standard Webhooks way) and Slack messages on run ends, budget warnings, approvals and lost workers, with a delivery log"),
        (name = "tooling", description = "Agent tooling given to runs: MCP servers (stdio, http, sse; secrets only as ${NAME} of server variables), presets, a handshake test, and the preview of what a trigger's runs get in their CLI's own format"),
        (name = "sessions", description = "Interactive terminal sessions: a CLI or an allowed command in a pseudo-terminal, its output streamed and replayed, input, resize, pause, stop; GRD planning commands on a project (admin keys only)"),
        (name = "super agents", description = "Persistent agents: documents (SOUL, IDENTITY, MEMORY, ROLE) with every version, chats whose turns resume one CLI session as ordinary executions, state_delta streams, and messages between agents (admin keys only)"),
        (name = "planning", description = "Planning sessions and research runs: a bot asked through ordinary executions of bot-planner"),
    )
)]
pub struct ApiDoc;

/// Declares the `X-API-Key` header (also accepted: `Authorization: Bearer`).
struct ApiKeySecurity;

impl utoipa::Modify for ApiKeySecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
    }
}

/// The complete spec, as served at `/openapi.json`.
#[must_use]
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = crate::app::register_routes(actix_web::App::new()).split_for_parts();
    with_shared_responses(spec)
}

/// Adds the answers every operation of a kind can give, whatever its handler
/// says: the gate's 401/403 on keyed routes, the JSON extractor's 400/415/422
/// on bodies, the query extractor's 400, and the rate limiter's 429. Declaring
/// them once keeps the spec true for clients (and for the fuzzer, which checks
/// every status against it) without repeating them on ninety handlers.
#[must_use]
pub fn with_shared_responses(mut spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build(),
        )
    };
    let add = |operation: &mut Operation, status: &str, description: &str| {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
    };
    for (path, item) in &mut spec.paths.paths {
        let methods = [
            (&mut item.get, "GET"),
            (&mut item.put, "PUT"),
            (&mut item.post, "POST"),
            (&mut item.delete, "DELETE"),
            (&mut item.patch, "PATCH"),
        ];
        for (operation, method) in methods {
            let Some(operation) = operation.as_mut() else { continue };
            let keyed = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let webhook = crate::rate_limit::is_webhook(method, path);
            if keyed || !webhook {
                // A presented key is checked everywhere but on the webhooks.
                add(operation, "401", "No API key, or an unknown, expired or revoked one");
            }
            if keyed && !agented_auth::is_read_operation(method, path) {
                add(operation, "403", "The key's scope (read) does not allow this");
            }
            let mut malformed = vec!["an ambiguous path (percent-encoded letters, ';', '.' or '..' segments, '//')"];
            if operation.request_body.is_some() {
                malformed.push("a body that is not valid JSON");
                add(operation, "408", "The body did not arrive within server.body_read_timeout_seconds");
                add(operation, "415", "The body is not sent as application/json");
                add(operation, "422", "The JSON does not have the expected shape or values");
            }
            let queried = operation.parameters.iter().flatten().any(|p| match p {
                RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Query),
                RefOr::Ref(_) => false,
            });
            if queried {
                malformed.push("an unknown or malformed query parameter");
            }
            add(operation, "400", &format!("Malformed: {}", malformed.join("; ")));
            if keyed || operation.request_body.is_some() {
                add(operation, "429", "Too many requests; Retry-After says when to try again");
            }
        }
    }
    spec
}
