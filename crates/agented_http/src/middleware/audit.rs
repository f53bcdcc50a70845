//! Records every admin mutation (any non-GET request an authenticated caller
//! makes under `/admin` or `/api`, webhooks aside) once its outcome is known.
//! Handlers name the action and the change with an [`AuditNote`]; without one
//! the method and route pattern are recorded.

use crate::AppState;
use crate::middleware::canonical_path::routed_path;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, web};
use agented_auth::audit::redact;
use agented_auth::{AuditEntry, Outcome, Principal};
use serde_json::Value;
use tracing_actix_web::RequestId;

/// What a handler says about the change it made.
#[derive(Debug, Clone, Default)]
pub struct AuditNote {
    /// e.g. `api_key.create`.
    pub action: String,
    /// e.g. `api_key`.
    pub entity_type: String,
    /// Which one.
    pub entity_id: Option<String>,
    /// What changed (redacted before it is stored).
    pub changes: Option<Value>,
}

impl AuditNote {
    /// Attaches the note to the request being handled.
    pub fn attach(self, req: &HttpRequest) {
        req.extensions_mut().insert(self);
    }
}

/// POST routes that change nothing (a token, a preview, a dry run): the trail records changes only.
const READS_BY_POST: [&str; 4] = ["/stream-token", "/preview-prompt", "/test-match", "/budgets/check"];

fn audited(method: &str, path: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
        && (path.starts_with("/admin/") || (path.starts_with("/api/") && !path.starts_with("/api/webhooks/")))
        && !READS_BY_POST.iter().any(|read| path.ends_with(read))
}

/// The entity type of a path without a note: its first segment after the prefix.
fn entity_of(path: &str) -> String {
    path.split('/').filter(|s| !s.is_empty()).nth(1).unwrap_or("unknown").replace('-', "_")
}

/// Records the outcome of an audited request.
///
/// # Errors
/// Passes on the inner service's error untouched (it is recorded as a failure first).
pub async fn audit_trail(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let method = req.method().to_string();
    let path = routed_path(&req).to_owned();
    let principal = req.extensions().get::<Principal>().cloned();
    let (Some(principal), true) = (principal, audited(&method, &path)) else { return next.call(req).await };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);

    let result = next.call(req).await;
    let (status, note, pattern, id_param) = match &result {
        Ok(res) => {
            let request = res.request();
            (
                res.status().as_u16(),
                request.extensions().get::<AuditNote>().cloned(),
                request.match_pattern(),
                request.match_info().get("id").map(str::to_owned),
            )
        }
        Err(e) => (e.as_response_error().status_code().as_u16(), None, None, None),
    };
    let note = note.unwrap_or_else(|| AuditNote {
        action: format!("{method} {}", pattern.as_deref().unwrap_or(&path)),
        entity_type: entity_of(&path),
        entity_id: id_param,
        changes: None,
    });
    let entry = AuditEntry {
        at: chrono::Utc::now(),
        actor: principal.name,
        action: note.action,
        entity_type: note.entity_type,
        entity_id: note.entity_id,
        outcome: Outcome::of_status(status),
        status,
        changes: note.changes.map(redact),
        request_id,
    };
    if let Some(state) = state
        && let Err(e) = state.audit.record(entry).await
    {
        tracing::error!(error = %e, "could not write the audit record");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_authenticated_mutations_under_the_api_are_audited() {
        assert!(audited("POST", "/admin/api-keys"));
        assert!(audited("DELETE", "/admin/api-keys/key_1"));
        assert!(audited("PATCH", "/api/projects/1/phases/2"));
        assert!(!audited("GET", "/admin/api-keys"));
        assert!(!audited("POST", "/api/webhooks/github"));
        assert!(!audited("POST", "/"));
    }

    #[test]
    fn posts_that_change_nothing_are_not_audited() {
        assert!(!audited("POST", "/admin/executions/exec-1/stream-token"));
        assert!(!audited("POST", "/admin/events/stream-token"));
        assert!(!audited("POST", "/admin/triggers/trig-1/preview-prompt"));
        assert!(!audited("POST", "/admin/triggers/trig-1/test-match"));
        assert!(!audited("POST", "/admin/budgets/check"));
        assert!(audited("POST", "/admin/triggers/trig-1/run"));
    }

    #[test]
    fn the_entity_defaults_to_the_first_segment() {
        assert_eq!(entity_of("/admin/api-keys/key_1"), "api_keys");
        assert_eq!(entity_of("/api/projects/3"), "projects");
    }
}
