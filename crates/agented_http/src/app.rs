//! Builds the actix application and runs the server.

use crate::error::{json_error, path_error, query_error};
use crate::middleware::error_envelope::error_envelope;
use crate::middleware::request_span::{AgentedRootSpan, request_id_header};
use crate::middleware::trailing_slash::trim_trailing_slash;
use crate::openapi::ApiDoc;
use crate::routes::health;
use crate::{AppState, static_files};
use actix_web::body::MessageBody;
pub use actix_web::dev::{Server, ServerHandle};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
/// The actix configuration handed to extra (test) routes.
pub use actix_web::web::ServiceConfig as ActixServiceConfig;
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::time::Duration;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

/// Largest JSON body accepted by default (routes that need more set their own limit).
pub const JSON_LIMIT_BYTES: usize = 1024 * 1024;

/// Server settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// How long in-flight requests get to finish on SIGTERM/SIGINT.
    pub shutdown_timeout: Duration,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Extra routes mounted before the fallback (tests use it for probe routes).
    pub extra_routes: Option<fn(&mut web::ServiceConfig)>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self { shutdown_timeout: Duration::from_secs(10), workers: 0, extra_routes: None }
    }
}

/// Every API route. Registering through utoipa's config puts each one in the spec.
pub fn api_routes(cfg: &mut ServiceConfig) {
    cfg.service(health::liveness).service(health::readiness);
}

/// The API routes on `app`, with the spec being collected alongside.
pub(crate) fn register_routes<T>(app: App<T>) -> utoipa_actix_web::UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.into_utoipa_app().openapi(ApiDoc::openapi()).configure(api_routes)
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
}

/// The complete application: routes, docs, dashboard and middleware.
pub fn build_app(
    state: AppState,
    extra_routes: Option<fn(&mut web::ServiceConfig)>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, spec) = register_routes(App::new()).split_for_parts();
    let mut app = app
        .app_data(web::Data::new(state))
        .app_data(web::JsonConfig::default().limit(JSON_LIMIT_BYTES).error_handler(json_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        // Documentation routes: not API operations, so not in the spec themselves.
        .service(web::resource("/docs").get(docs_redirect))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec));
    if let Some(extra) = extra_routes {
        app = app.configure(extra);
    }
    // actix runs the last `.wrap()` first, so the order of a request is bottom-up:
    //   trim_trailing_slash  normalise API paths before routing
    //   TracingLogger        open the request span carrying request_id
    //   request_id_header    X-Request-Id on every response, one "request finished" line
    //   error_envelope       catch panics; every error body becomes the JSON envelope
    app.default_service(web::to(static_files::fallback))
        .wrap(from_fn(error_envelope))
        .wrap(from_fn(request_id_header))
        .wrap(TracingLogger::<AgentedRootSpan>::new())
        .wrap(from_fn(trim_trailing_slash))
}

/// Starts serving on `listener`; the returned server stops gracefully on
/// SIGTERM/SIGINT within `options.shutdown_timeout`.
///
/// # Errors
/// When the listener cannot be used.
pub fn serve(listener: TcpListener, state: AppState, options: &HttpOptions) -> std::io::Result<Server> {
    let extra = options.extra_routes;
    let mut server = HttpServer::new(move || build_app(state.clone(), extra))
        .shutdown_timeout(options.shutdown_timeout.as_secs())
        .listen(listener)?;
    if options.workers > 0 {
        server = server.workers(options.workers);
    }
    Ok(server.run())
}
