//! What reaches Sentry about a request: its method, its URL without the query
//! string (stream tokens travel there) and only its known-harmless headers
//! (never keys, signatures, tokens or cookies). sentry-actix attaches the full
//! request to events and transactions; events are scrubbed by the client's
//! `before_send` hook, and transactions, which have no such hook, get their
//! request replaced while the request is handled.

use actix_web::dev::ServiceRequest;
use agented_triggers::is_harmless_header;
use sentry::protocol::{Event, Request};

/// Strips a request description of everything that could hold a secret.
pub fn scrub_request(request: &mut Request) {
    if let Some(url) = request.url.as_mut() {
        url.set_query(None);
        url.set_fragment(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    request.query_string = None;
    request.cookies = None;
    request.data = None;
    request.env.clear();
    request.headers.retain(|name, _| is_harmless_header(name));
}

/// The `before_send` hook: every event leaves with a scrubbed request.
#[must_use]
pub fn scrub_event(mut event: Event<'static>) -> Option<Event<'static>> {
    if let Some(request) = event.request.as_mut() {
        scrub_request(request);
    }
    Some(event)
}

/// Replaces the request on the transaction sentry-actix started for `req` (if
/// traces are sampled) with a scrubbed description.
pub fn scrub_transaction(req: &ServiceRequest) {
    let Some(span) = sentry::configure_scope(|scope| scope.get_span()) else { return };
    let info = req.connection_info();
    let mut request = Request {
        url: format!("{}://{}{}", info.scheme(), info.host(), req.path()).parse().ok(),
        method: Some(req.method().to_string()),
        headers: req
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
            .collect(),
        ..Request::default()
    };
    scrub_request(&mut request);
    span.set_request(request);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_and_every_secret_header_are_gone() {
        let mut request = Request {
            url: "https://user:pw@agented.example/admin/executions/x/stream?token=123.abc#f".parse().ok(),
            query_string: Some("token=123.abc".into()),
            cookies: Some("session=1".into()),
            data: Some("{\"secret\":1}".into()),
            headers: [
                ("X-Hub-Signature-256", "sha256=abc"),
                ("X-API-Key", "agd_x"),
                ("Authorization", "Bearer x"),
                ("X-Gitlab-Token", "t"),
                ("Content-Type", "application/json"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..Request::default()
        };
        scrub_request(&mut request);
        assert_eq!(
            request.url.as_ref().map(ToString::to_string).as_deref(),
            Some("https://agented.example/admin/executions/x/stream")
        );
        assert_eq!((request.query_string, request.cookies, request.data), (None, None, None));
        assert_eq!(request.headers.keys().collect::<Vec<_>>(), ["Content-Type"]);
    }
}
