//! Where the database is: a `database.url` parsed and checked.

use std::fmt;
use std::path::PathBuf;

/// A SQLite file or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// `sqlite://PATH` (a relative `PATH` is relative to the working folder).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, handed to libpq as is.
    Postgres(String),
}

/// A `database.url` this build cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("database.url must start with sqlite:// or postgres:// (got {0:?})")]
pub struct LocationError(pub String);

impl Location {
    /// Parses `sqlite://PATH`, `postgres://…` or `postgresql://…`.
    ///
    /// # Errors
    /// [`LocationError`] for another scheme or an empty address (the answer
    /// never repeats a password).
    pub fn parse(url: &str) -> Result<Self, LocationError> {
        let refuse = || LocationError(redact(url));
        if let Some(path) = url.strip_prefix("sqlite://") {
            return if path.is_empty() { Err(refuse()) } else { Ok(Self::Sqlite(PathBuf::from(path))) };
        }
        let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://"));
        match rest {
            Some(rest) if !rest.is_empty() => Ok(Self::Postgres(url.to_owned())),
            _ => Err(refuse()),
        }
    }

    /// `true` for PostgreSQL.
    #[must_use]
    pub const fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

/// `url` with the password between `:` and `@` of its authority replaced.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    tail.map_or_else(|| format!("{scheme}://{authority}"), |t| format!("{scheme}://{authority}/{t}"))
}

/// The address for logs and errors, password hidden.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_schemes_and_refuses_others_without_echoing_a_password() {
        assert_eq!(Location::parse("sqlite://data/a.db").unwrap(), Location::Sqlite("data/a.db".into()));
        assert_eq!(Location::parse("sqlite:///abs/a.db").unwrap(), Location::Sqlite("/abs/a.db".into()));
        assert!(Location::parse("postgres://u:p@h:5432/db").unwrap().is_postgres());
        assert!(Location::parse("postgresql://h/db").unwrap().is_postgres());
        for bad in ["", "sqlite://", "postgres://", "mysql://u:secret@h/db", "data/a.db"] {
            let err = Location::parse(bad).unwrap_err();
            assert!(!err.to_string().contains("secret"), "{err}");
        }
        let shown = Location::parse("postgres://agented:hunter2@db:5432/agented?sslmode=disable").unwrap().to_string();
        assert_eq!(shown, "postgres://agented:***@db:5432/agented?sslmode=disable");
        assert_eq!(Location::Sqlite("/d/a.db".into()).to_string(), "sqlite:///d/a.db");
    }
}
