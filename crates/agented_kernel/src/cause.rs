//! `Cause`: why something outside the domain failed (a query, a pool, a file),
//! carried by the ports' catch-all errors with the original error kept as its
//! source, so the one log line of a 5xx shows the whole chain.

use std::error::Error;
use std::sync::Arc;

/// A failure's message and, when there is one, the error that caused it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Cause {
    message: String,
    #[source]
    source: Option<Arc<dyn Error + Send + Sync + 'static>>,
}

impl Cause {
    /// A cause known only by its message.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// `error` as the cause: its message, and itself as the source.
    pub fn of(error: impl Error + Send + Sync + 'static) -> Self {
        Self { message: error.to_string(), source: Some(Arc::new(error)) }
    }
}

/// A value the store cannot hold as text: PostgreSQL's text has no NUL
/// character. Found in a [`Cause`]'s chain, it makes the answer a 422 rather
/// than a 503, because the request, not the database, is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("text may not contain the NUL character (\\u0000)")]
pub struct UnstorableText;

/// Causes are equal when they say the same (their sources cannot be compared).
impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

impl Eq for Cause {}

#[cfg(test)]
mod tests {
    use super::Cause;
    use std::error::Error as _;

    #[derive(Debug, thiserror::Error)]
    #[error("no such table: triggers")]
    struct Query;

    #[test]
    fn a_cause_keeps_the_original_error_as_its_source() {
        let cause = Cause::of(Query);
        assert_eq!(cause.to_string(), "no such table: triggers");
        assert_eq!(cause.source().map(ToString::to_string).as_deref(), Some("no such table: triggers"));
        assert!(Cause::new("pool timed out").source().is_none());
        assert_eq!(Cause::of(Query), Cause::new("no such table: triggers"));
    }
}
