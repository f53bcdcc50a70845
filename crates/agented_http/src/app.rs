//! Builds the actix application and runs the server.

use crate::error::{json_error, path_error, query_error};
use crate::middleware::audit::audit_trail;
use crate::middleware::auth_gate::auth_gate;
use crate::middleware::body_deadline::{BodyReadTimeout, body_deadline};
use crate::middleware::body_limit::webhook_body_limit;
use crate::middleware::canonical_path::canonical_path;
use crate::middleware::error_envelope::error_envelope;
use crate::middleware::finish::finish;
use crate::middleware::request_span::AgentedRootSpan;
use crate::openapi::ApiDoc;
use crate::rate_limit::{self, AuthFailures, RateConfig, RateLimitOptions};
use crate::route_table::{documented, served};
use crate::stream_slots::StreamSlots;
use crate::{AppState, static_files};
use actix_cors::Cors;
use actix_governor::Governor;
use actix_web::body::MessageBody;
pub use actix_web::dev::{Server, ServerHandle};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, from_fn};
/// The actix configuration handed to extra (test) routes.
pub use actix_web::web::ServiceConfig as ActixServiceConfig;
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::time::Duration;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

/// Largest JSON body accepted by default (webhook routes set their own, larger limit).
pub const JSON_LIMIT_BYTES: usize = 1024 * 1024;

/// Server settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// How long in-flight requests get to finish on SIGTERM/SIGINT.
    pub shutdown_timeout: Duration,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Extra routes mounted before the fallback (tests use it for probe routes).
    pub extra_routes: Option<fn(&mut ActixServiceConfig)>,
    /// Browser origins allowed cross-origin (empty: none).
    pub cors_allowed_origins: Vec<String>,
    /// Rate limits.
    pub rate_limits: RateLimitOptions,
    /// How long a request body may take to arrive.
    pub body_read_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            shutdown_timeout: Duration::from_secs(10),
            workers: 0,
            extra_routes: None,
            cors_allowed_origins: Vec::new(),
            rate_limits: RateLimitOptions::default(),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

/// The API routes on `app`, with the spec being collected alongside.
pub(crate) fn register_routes<T>(app: App<T>) -> utoipa_actix_web::UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.into_utoipa_app().openapi(ApiDoc::openapi()).configure(documented::api_routes)
}

/// The spec as served at `/openapi.json`: built and serialised on the first request (a server
/// nobody reads the docs of never runs that code), then shared by every worker.
#[derive(Default)]
struct SpecJson(std::sync::OnceLock<web::Bytes>);

async fn openapi_json(spec: web::Data<SpecJson>) -> HttpResponse {
    let json = spec.0.get_or_init(|| {
        // Serialising a spec of plain maps and strings cannot fail.
        web::Bytes::from(serde_json::to_vec(&crate::openapi::spec()).unwrap_or_default())
    });
    HttpResponse::Ok().content_type("application/json").body(json.clone())
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::HeaderName::from_static("x-api-key"),
            header::HeaderName::from_static("last-event-id"),
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
        ])
        .expose_headers([header::HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// What every worker shares: built once, so limits are not multiplied by the worker count.
#[derive(Clone)]
pub struct Shared {
    state: AppState,
    extra_routes: Option<fn(&mut ActixServiceConfig)>,
    cors_allowed_origins: Vec<String>,
    rate_limits_enabled: bool,
    webhook_limit: RateConfig,
    api_limit: RateConfig,
    auth_failures: web::Data<AuthFailures>,
    stream_slots: web::Data<StreamSlots>,
    body_read_timeout: web::Data<BodyReadTimeout>,
    spec: web::Data<SpecJson>,
}

impl Shared {
    /// Prepares the shared parts.
    ///
    /// # Errors
    /// When a rate is zero (settings validation prevents it).
    pub fn new(state: AppState, options: &HttpOptions) -> std::io::Result<Self> {
        let (webhook, api) = rate_limit::configs(&options.rate_limits);
        let invalid = || std::io::Error::other("invalid rate limit");
        Ok(Self {
            state,
            extra_routes: options.extra_routes,
            cors_allowed_origins: options.cors_allowed_origins.clone(),
            rate_limits_enabled: options.rate_limits.enabled,
            webhook_limit: webhook.ok_or_else(invalid)?,
            api_limit: api.ok_or_else(invalid)?,
            auth_failures: web::Data::new(AuthFailures::new(options.rate_limits.auth_failures, &options.rate_limits)),
            stream_slots: web::Data::new(StreamSlots::new(
                options.rate_limits.streams,
                options.rate_limits.trusted_proxies.clone(),
            )),
            body_read_timeout: web::Data::new(BodyReadTimeout(options.body_read_timeout)),
            spec: web::Data::new(SpecJson::default()),
        })
    }
}

/// The complete application: routes, docs, dashboard and middleware.
pub fn build_app(
    shared: Shared,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let mut app = App::new()
        .configure(served::api_routes)
        .app_data(web::Data::new(shared.state))
        .app_data(shared.auth_failures)
        .app_data(shared.stream_slots)
        .app_data(shared.body_read_timeout)
        .app_data(web::JsonConfig::default().limit(JSON_LIMIT_BYTES).error_handler(json_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        // Documentation routes: not API operations, so not in the spec themselves.
        .service(web::resource("/docs").get(docs_redirect))
        .app_data(shared.spec)
        .service(web::resource("/openapi.json").get(openapi_json))
        .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::new(["/openapi.json"])));
    if let Some(extra) = shared.extra_routes {
        app = app.configure(extra);
    }
    // actix runs the last `.wrap()` first, so a request meets these bottom-up:
    //   Sentry               a hub per request (transactions when traces are sampled)
    //   TracingLogger        the request span carrying request_id
    //   finish               X-Request-Id, security headers, JSON envelope, log line, 5xx report
    //   canonical_path       400 for ambiguous paths; API paths lose trailing slashes. Every
    //                        decision by path below uses the decoded path the router matches
    //   Cors                 preflights and CORS headers, also on refusals below
    //   webhook limit        per client on POST / and POST /api/webhooks/github
    //   api limit            per API key (or client) on every non-public route
    //   webhook_body_limit   413 for webhook deliveries declaring more than 10 MB
    //   body_deadline        408 for a body that does not arrive in time
    //   auth_gate            401/403 unless public; the caller's Principal for handlers
    //   audit_trail          records admin mutations with their outcome
    //   error_envelope       catches panics (JSON 500)
    // Inside the router, the /admin and /api scopes check the Principal once more.
    app.default_service(web::to(static_files::fallback))
        .wrap(from_fn(error_envelope))
        .wrap(from_fn(audit_trail))
        .wrap(from_fn(auth_gate))
        .wrap(from_fn(body_deadline))
        .wrap(from_fn(webhook_body_limit))
        .wrap(Condition::new(shared.rate_limits_enabled, Governor::new(&shared.api_limit)))
        .wrap(Condition::new(shared.rate_limits_enabled, Governor::new(&shared.webhook_limit)))
        .wrap(cors(&shared.cors_allowed_origins))
        .wrap(from_fn(canonical_path))
        .wrap(from_fn(finish))
        .wrap(TracingLogger::<AgentedRootSpan>::new())
        .wrap(sentry_actix::Sentry::builder().capture_server_errors(false).start_transaction(true).finish())
}

/// Starts serving on `listener`; the returned server stops gracefully on
/// SIGTERM/SIGINT within `options.shutdown_timeout`.
///
/// # Errors
/// When the listener cannot be used.
pub fn serve(listener: TcpListener, state: AppState, options: &HttpOptions) -> std::io::Result<Server> {
    let shared = Shared::new(state, options)?;
    let mut server = HttpServer::new(move || build_app(shared.clone()))
        .shutdown_timeout(options.shutdown_timeout.as_secs())
        .listen(listener)?;
    if options.workers > 0 {
        server = server.workers(options.workers);
    }
    Ok(server.run())
}
