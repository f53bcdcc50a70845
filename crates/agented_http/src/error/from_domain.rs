//! Every domain error translated into the envelope, once: handlers use `?`.
//! Storage failures become 503 with their cause chain logged and kept private.

use super::ApiError;
use agented_executions::{
    BackendError, BackendWriteError, CancelError, ExecStoreError, FindError, Refusal, StartError, TryNowError,
};
use agented_orchestration::OrchestrationError;
use agented_roadmaps::planning::PlanningError;
use agented_roadmaps::{ChangeError, RuleError};
use agented_triggers::{TriggerError, TriggerStoreError};
use agented_workflows::WorkflowError;
use std::collections::BTreeMap;

fn field(name: &str, message: String) -> ApiError {
    ApiError::invalid_fields(BTreeMap::from([(name.to_owned(), message)]))
}

impl From<agented_executions::pr_reviews::PrReviewError> for ApiError {
    fn from(err: agented_executions::pr_reviews::PrReviewError) -> Self {
        use agented_executions::pr_reviews::PrReviewError as E;
        match err {
            E::NotFound => Self::not_found(err.to_string()),
            E::Duplicate(_) => Self::conflict(err.to_string()),
            E::Invalid(fields) => Self::invalid_fields(fields),
            E::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<agented_tooling::ToolingError> for ApiError {
    fn from(err: agented_tooling::ToolingError) -> Self {
        use agented_tooling::ToolingError as E;
        match err {
            E::NotFound(_) => Self::not_found(err.to_string()),
            E::Duplicate(_) | E::Conflict(_) => Self::conflict(err.to_string()),
            E::Invalid(fields) => Self::invalid_fields(fields),
            E::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<agented_notifications::NotifyError> for ApiError {
    fn from(err: agented_notifications::NotifyError) -> Self {
        use agented_notifications::NotifyError as E;
        match err {
            E::NotFound(_) => Self::not_found(err.to_string()),
            E::Invalid(fields) => Self::invalid_fields(fields),
            E::Store(e) => Self::unavailable_error(&e),
            E::Triggers(e) => Self::unavailable_error(&e),
            E::Random(_) => Self::internal(&err),
        }
    }
}

impl From<agented_settings::SettingsError> for ApiError {
    fn from(err: agented_settings::SettingsError) -> Self {
        use agented_settings::SettingsError as E;
        match err {
            E::Invalid(field, message) => Self::invalid_fields([(field.to_owned(), message)].into()),
            E::NotFound => Self::not_found(err.to_string()),
            E::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<agented_migration::ImportError> for ApiError {
    fn from(err: agented_migration::ImportError) -> Self {
        use agented_migration::ImportError as E;
        match err {
            E::Busy(_) => Self::conflict(err.to_string()),
            E::NotFound => Self::not_found(err.to_string()),
        }
    }
}

impl From<agented_sessions::SessionError> for ApiError {
    fn from(err: agented_sessions::SessionError) -> Self {
        use agented_sessions::{SessionError as E, TerminalError};
        match err {
            E::Invalid { field, message } => Self::invalid_fields([(field.to_owned(), message)].into()),
            E::Start(TerminalError::ProgramMissing(_)) => {
                Self::invalid_fields([("program".to_owned(), err.to_string())].into())
            }
            E::NotFound | E::ProjectNotFound(_) => Self::not_found(err.to_string()),
            E::TooMany(_) => {
                Self::new(actix_web::http::StatusCode::TOO_MANY_REQUESTS, "too_many_sessions", err.to_string())
            }
            E::PlanningBusy(ref id) => {
                Self::conflict(err.to_string()).with_details([("session_id".to_owned(), id.as_str().to_owned())].into())
            }
            E::Ended(_) | E::Paused | E::Elsewhere(_) => Self::conflict(err.to_string()),
            E::Start(_) => Self::unavailable(&err),
            E::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<agented_super_agents::SuperAgentError> for ApiError {
    fn from(err: agented_super_agents::SuperAgentError) -> Self {
        use agented_super_agents::SuperAgentError as E;
        match err {
            E::Invalid { field, message } => Self::invalid_fields([(field.to_owned(), message)].into()),
            E::NotFound(_) => Self::not_found(err.to_string()),
            E::Busy(_) | E::Ended | E::Refused(_) => Self::conflict(err.to_string()),
            E::Unavailable(cause) => Self::unavailable_error(&cause),
        }
    }
}

impl From<agented_auth::AuthError> for ApiError {
    fn from(err: agented_auth::AuthError) -> Self {
        use agented_auth::AuthError as E;
        match err {
            E::Missing | E::Invalid => Self::unauthorized(err.to_string()),
            E::Forbidden { .. } => Self::forbidden(err.to_string()),
            E::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<agented_auth::RepoError> for ApiError {
    fn from(e: agented_auth::RepoError) -> Self {
        Self::unavailable_error(&e)
    }
}

impl From<agented_auth::KeyError> for ApiError {
    fn from(err: agented_auth::KeyError) -> Self {
        use agented_auth::KeyError as E;
        match err {
            E::InvalidName(message) => field("name", message),
            E::DuplicateName(_) | E::AlreadyRevoked(_) => Self::conflict(err.to_string()),
            E::NotFound(_) => Self::not_found(err.to_string()),
            E::Random(_) => Self::internal(&err),
            E::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<TriggerStoreError> for ApiError {
    fn from(e: TriggerStoreError) -> Self {
        Self::unavailable_error(&e)
    }
}

impl From<ExecStoreError> for ApiError {
    fn from(e: ExecStoreError) -> Self {
        Self::unavailable_error(&e)
    }
}

impl From<TriggerError> for ApiError {
    fn from(e: TriggerError) -> Self {
        match e {
            TriggerError::NotFound | TriggerError::NoSuchPath => Self::not_found(e.to_string()),
            TriggerError::Invalid(details) => Self::invalid_fields(details),
            TriggerError::DuplicateName(_) => Self::conflict(e.to_string()),
            TriggerError::Predefined => Self::forbidden(e.to_string()),
            TriggerError::Store(e) => e.into(),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StartError::Disabled(name) => {
                Self::bad_request("trigger_disabled", format!("trigger '{name}' is disabled; enable it to run it"))
            }
            StartError::Busy(running) => Self::conflict(format!("already running (execution {running})"))
                .with_details(BTreeMap::from([("execution_id".to_owned(), running.to_string())])),
            // Only a webhook delivery's run claims dedup keys, and its intake reports it as a duplicate.
            StartError::Duplicate => Self::conflict("an earlier run already took this request"),
            StartError::Refused(why) => Self::conflict(why),
            StartError::Store(ref cause) => Self::unavailable_error(cause),
            StartError::Queue(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<CancelError> for ApiError {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::NotFound => Self::not_found("execution not found"),
            CancelError::NotRunning(status) => Self::conflict(format!("execution is not running (status {status})")),
            CancelError::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<TryNowError> for ApiError {
    fn from(e: TryNowError) -> Self {
        match e {
            TryNowError::NotFound => Self::not_found("execution not found"),
            TryNowError::NotWaiting(_) => Self::conflict(e.to_string()),
            TryNowError::Store(ref cause) => Self::unavailable_error(cause),
        }
    }
}

impl From<FindError> for ApiError {
    fn from(e: FindError) -> Self {
        match e {
            FindError::NotFound => Self::not_found(e.to_string()),
            FindError::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<BackendWriteError> for ApiError {
    fn from(e: BackendWriteError) -> Self {
        match e {
            BackendWriteError::DuplicateName(name) => {
                Self::conflict(format!("a backend named '{name}' already exists"))
            }
            BackendWriteError::NotFound => Self::not_found("backend not found"),
            BackendWriteError::Builtin => Self::forbidden(e.to_string()),
            BackendWriteError::Store(e) => Self::unavailable_error(&e),
        }
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Invalid(details) => Self::invalid_fields(details),
            BackendError::Write(e) => e.into(),
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::NotFound(what) => Self::not_found(format!("{what} not found")),
            WorkflowError::Invalid(details) => Self::invalid_fields(details),
            WorkflowError::InvalidFile(problems) => Self::file_problems(problems),
            WorkflowError::Store(ref cause) => Self::unavailable_error(cause),
        }
    }
}

impl From<agented_workflows::RunError> for ApiError {
    fn from(e: agented_workflows::RunError) -> Self {
        use agented_workflows::RunError as E;
        match e {
            E::NotFound(what) => Self::not_found(format!("{what} not found")),
            E::Conflict(message) => Self::conflict(message),
            E::Duplicate => Self::conflict(e.to_string()),
            E::Invalid(details) => Self::invalid_fields(details),
            E::Store(ref cause) => Self::unavailable_error(cause),
        }
    }
}

impl From<agented_workflows::AgentError> for ApiError {
    fn from(e: agented_workflows::AgentError) -> Self {
        use agented_workflows::AgentError as E;
        match e {
            E::NotFound => Self::not_found("agent not found"),
            E::Invalid(details) => Self::invalid_fields(details),
            E::Conflict(message) => Self::conflict(message),
            E::Store(ref cause) => Self::unavailable_error(cause),
        }
    }
}

impl From<agented_workflows::TeamError> for ApiError {
    fn from(e: agented_workflows::TeamError) -> Self {
        use agented_workflows::TeamError as E;
        match e {
            E::NotFound(what) => Self::not_found(format!("{what} not found")),
            E::Invalid(details) => Self::invalid_fields(details),
            E::InvalidFile(problems) => Self::file_problems(problems),
            E::Conflict(message) => Self::conflict(message),
            E::Duplicate => Self::conflict(e.to_string()),
            E::Store(ref cause) => Self::unavailable_error(cause),
        }
    }
}

impl ApiError {
    /// A 422 whose details name each problem of a file: field → "line N: what is wrong".
    fn file_problems(problems: Vec<agented_workflows::YamlProblem>) -> Self {
        let mut details = BTreeMap::new();
        for p in problems {
            let key = if p.field.is_empty() { format!("line {}", p.line) } else { p.field };
            details.insert(key, format!("line {}: {}", p.line, p.message));
        }
        Self::invalid_fields(details)
    }
}

impl From<OrchestrationError> for ApiError {
    fn from(e: OrchestrationError) -> Self {
        match e {
            OrchestrationError::NotFound(what) => Self::not_found(format!("{what} not found")),
            OrchestrationError::Invalid(details) => Self::invalid_fields(details),
            OrchestrationError::Duplicate(message) => Self::conflict(message),
            OrchestrationError::Store(ref cause) => Self::unavailable_error(cause),
        }
    }
}

impl From<RuleError> for ApiError {
    fn from(rule: RuleError) -> Self {
        match rule {
            RuleError::NoPhase(_) | RuleError::NoMilestone(_) | RuleError::NoRequirement(_) | RuleError::NoEntry(_) => {
                Self::not_found(rule.to_string())
            }
            RuleError::HasDependents(_) | RuleError::Duplicate(_) => Self::conflict(rule.to_string()),
            RuleError::Unconfirmed(_) => {
                Self::new(actix_web::http::StatusCode::CONFLICT, "confirmation_required", rule.to_string())
            }
            RuleError::Cycle(_) | RuleError::UnknownDependency { .. } | RuleError::SelfDependency(_) => {
                field("depends_on", rule.to_string())
            }
        }
    }
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::DuplicateName(_) => Self::conflict(e.to_string()),
            ChangeError::NotFound => Self::not_found(e.to_string()),
            ChangeError::Invalid(details) => Self::invalid_fields(details),
            ChangeError::Store(ref cause) => Self::unavailable_error(cause),
            ChangeError::Rule(rule) => rule.into(),
        }
    }
}

impl From<PlanningError> for ApiError {
    fn from(e: PlanningError) -> Self {
        match e {
            PlanningError::NotFound(what) => Self::not_found(format!("{what} not found")),
            PlanningError::Stage(why) | PlanningError::Refused(why) => Self::conflict(why),
            PlanningError::Invalid(fields) => Self::invalid_fields(fields),
            PlanningError::Rule(rule @ RuleError::Unconfirmed(_)) => rule.into(),
            PlanningError::Rule(rule) => field("proposal", rule.to_string()),
            PlanningError::Unavailable(ref cause) => Self::unavailable_error(cause),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(e: Refusal) -> Self {
        match e {
            Refusal::Malformed { code, message } => Self::bad_request(code, message),
            Refusal::Unsigned(message) => Self::unauthorized(message),
            Refusal::Retry(e) => Self::unavailable_error(&e).with_retry_after(5),
            Refusal::Store(e) => Self::unavailable_error(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agented_kernel::Cause;

    #[derive(Debug, thiserror::Error)]
    #[error("database is locked")]
    struct Locked;

    #[derive(Debug, thiserror::Error)]
    #[error("database query failed: {0}")]
    struct Query(#[source] Locked);

    #[test]
    fn a_storage_failure_keeps_its_cause_chain_private_and_whole() {
        let port = ExecStoreError(Cause::of(Query(Locked)));
        let api = ApiError::from(StartError::from(port));
        assert_eq!(api.status().as_u16(), 503);
        assert_eq!(api.body().error, "service temporarily unavailable, try again");
        assert_eq!(
            api.cause(),
            Some("execution storage failed: database query failed: database is locked"),
            "each message once, down to the root"
        );
    }

    #[test]
    fn causes_that_add_words_are_all_kept() {
        #[derive(Debug, thiserror::Error)]
        #[error("could not save the roadmap")]
        struct Save(#[source] Query);
        let api = ApiError::from(ChangeError::Store(Cause::of(Save(Query(Locked)))));
        assert_eq!(api.cause(), Some("could not save the roadmap: database query failed: database is locked"));
    }
}
