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
        (name = "health", description = "Liveness and readiness probes (public)"),
        (name = "api keys", description = "API keys: admin scope"),
        (name = "audit", description = "The audit trail of admin mutations"),
        (name = "executions", description = "Bot runs"),
        (name = "triggers", description = "What runs a bot, and when"),
        (name = "backends", description = "The CLIs and custom command backends"),
        (name = "webhooks", description = "Deliveries that start runs (public, signed per trigger)"),
        (name = "projects", description = "Projects and their roadmaps (GRD .planning/ formats)"),
        (name = "accounts", description = "Accounts of each backend (API key variable names, config directories, rate-limit state) and fallback chains"),
        (name = "budgets", description = "Soft and hard spending limits per period, the pre-run check, and usage reports"),
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
    spec
}
