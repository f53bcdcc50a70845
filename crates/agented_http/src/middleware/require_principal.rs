//! Defence in depth for the `/admin` and `/api` scopes: whatever the outer
//! middleware decided by path, a handler the router placed in these scopes
//! never runs without an authenticated caller allowed to use the method.

use crate::error::ApiError;
use crate::middleware::canonical_path::routed_path;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};
use agented_auth::{ApiKeyService, AuthError, Principal};

/// Refuses a request that reached a protected scope without a [`Principal`] that may make it.
///
/// # Errors
/// Passes on the inner service's error; a refusal is a 401/403 response.
pub async fn require_principal<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let allowed = match req.extensions().get::<Principal>() {
        Some(principal) => ApiKeyService::authorize(principal, req.method().as_str(), routed_path(&req)),
        None => Err(AuthError::Missing),
    };
    if let Err(refusal) = allowed {
        tracing::warn!(path = routed_path(&req), "a protected route was reached without a permitted caller");
        let refusal = ApiError::from(refusal);
        return Ok(req.into_response(refusal.error_response()).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};
    use agented_auth::{ApiScope, Credential};

    fn caller(scope: ApiScope) -> Principal {
        Principal { name: "someone".into(), scope, credential: Credential::ConfiguredKey }
    }

    /// No gate in front: the scope's own guard is all that stands before the handler.
    #[actix_web::test]
    async fn a_handler_in_a_guarded_scope_never_runs_without_a_permitted_caller() {
        let app = test::init_service(
            App::new().service(
                web::scope("/admin")
                    .wrap(from_fn(require_principal))
                    .default_service(web::to(|| async { HttpResponse::Ok().body("ran") })),
            ),
        )
        .await;
        let call = |method: actix_web::http::Method, who: Option<Principal>| {
            let req = test::TestRequest::default().method(method).uri("/admin/x").to_request();
            if let Some(who) = who {
                req.extensions_mut().insert(who);
            }
            test::call_service(&app, req)
        };
        assert_eq!(call(actix_web::http::Method::GET, None).await.status(), 401);
        assert_eq!(call(actix_web::http::Method::POST, None).await.status(), 401);
        assert_eq!(call(actix_web::http::Method::GET, Some(caller(ApiScope::Read))).await.status(), 200);
        assert_eq!(call(actix_web::http::Method::POST, Some(caller(ApiScope::Read))).await.status(), 403);
        let ran = call(actix_web::http::Method::POST, Some(caller(ApiScope::Admin))).await;
        assert_eq!(test::read_body(ran).await, "ran");
    }
}
