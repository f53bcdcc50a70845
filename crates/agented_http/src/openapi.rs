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
    tags((name = "health", description = "Liveness and readiness probes"))
)]
pub struct ApiDoc;

/// The complete spec, as served at `/openapi.json`.
#[must_use]
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = crate::app::register_routes(actix_web::App::new()).split_for_parts();
    spec
}
