//! Which request paths are acceptable at all. The router matches the
//! percent-decoded path; every decision taken by path (the gate, the audit,
//! the limits) must see the same thing. Spellings that make a path look like
//! something else before decoding (`/%61dmin`), that a proxy or a file
//! system may read differently (`;x`, `.`/`..`, `//`, `\`), or that decode to
//! a separator are refused outright, so a path has one meaning everywhere.

/// Why a request path is refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    /// `;` starts path parameters that some servers strip and others keep.
    #[error("';' parameters are not accepted in paths")]
    Parameters,
    /// `.` or `..` as a segment (also when percent-encoded).
    #[error("'.' and '..' segments are not accepted in paths")]
    DotSegment,
    /// `//` inside the path.
    #[error("empty segments ('//') are not accepted in paths")]
    EmptySegment,
    /// `%41` for `A`: letters, digits and `-._~` are never encoded by honest clients.
    #[error("'{0}' must not be percent-encoded")]
    NeedlessEscape(char),
    /// An escape of `/`, `\`, `%` or a control character.
    #[error("percent-encoded separators and control characters are not accepted in paths")]
    ForbiddenEscape,
    /// `%` not followed by two hexadecimal digits.
    #[error("malformed percent-encoding in the path")]
    MalformedEscape,
    /// A backslash or a control character.
    #[error("backslashes and control characters are not accepted in paths")]
    ForbiddenCharacter,
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Checks a raw request path (as sent, before decoding).
///
/// # Errors
/// The first [`PathProblem`] found.
pub fn check(raw: &str) -> Result<(), PathProblem> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b';' => return Err(PathProblem::Parameters),
            b'\\' => return Err(PathProblem::ForbiddenCharacter),
            b if b.is_ascii_control() => return Err(PathProblem::ForbiddenCharacter),
            b'%' => {
                let (Some(hi), Some(lo)) =
                    (bytes.get(i + 1).copied().and_then(hex_value), bytes.get(i + 2).copied().and_then(hex_value))
                else {
                    return Err(PathProblem::MalformedEscape);
                };
                let decoded = hi << 4 | lo;
                if is_unreserved(decoded) {
                    return Err(PathProblem::NeedlessEscape(char::from(decoded)));
                }
                if matches!(decoded, b'/' | b'\\' | b'%' | b';') || decoded.is_ascii_control() {
                    return Err(PathProblem::ForbiddenEscape);
                }
                i += 3;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Segments between the leading slash and any trailing slashes.
    let inner = raw.strip_prefix('/').unwrap_or(raw).trim_end_matches('/');
    if inner.is_empty() {
        return if raw.starts_with("//") { Err(PathProblem::EmptySegment) } else { Ok(()) };
    }
    for segment in inner.split('/') {
        match segment {
            "" => return Err(PathProblem::EmptySegment),
            "." | ".." => return Err(PathProblem::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_pass() {
        for path in [
            "/",
            "/admin/triggers",
            "/admin/triggers/",
            "/health/liveness//",
            "/docs/",
            "/assets/index-abc.js",
            "/projects/my%20project",
            "/admin/triggers/trig-abc123/paths",
            "/caf%C3%A9",
            "/a%2Bb",
        ] {
            assert_eq!(check(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn spellings_with_another_meaning_are_refused() {
        for (path, problem) in [
            ("/%61dmin/triggers", PathProblem::NeedlessEscape('a')),
            ("/%41DMIN", PathProblem::NeedlessEscape('A')),
            ("/admin/%74riggers", PathProblem::NeedlessEscape('t')),
            ("/admin%2Ftriggers", PathProblem::ForbiddenEscape),
            ("/admin%2ftriggers", PathProblem::ForbiddenEscape),
            ("/admin/%2e%2e/x", PathProblem::NeedlessEscape('.')),
            ("/%2561dmin", PathProblem::ForbiddenEscape),
            ("/admin/x%00", PathProblem::ForbiddenEscape),
            ("/admin/x%3bjsessionid", PathProblem::ForbiddenEscape),
            ("/admin;x/triggers", PathProblem::Parameters),
            ("/admin/triggers;x", PathProblem::Parameters),
            ("/admin/./triggers", PathProblem::DotSegment),
            ("/x/../admin/triggers", PathProblem::DotSegment),
            ("/admin/..", PathProblem::DotSegment),
            ("//admin/triggers", PathProblem::EmptySegment),
            ("/admin//triggers", PathProblem::EmptySegment),
            ("//", PathProblem::EmptySegment),
            ("/admin\\triggers", PathProblem::ForbiddenCharacter),
            ("/admin/%zz", PathProblem::MalformedEscape),
            ("/admin/%4", PathProblem::MalformedEscape),
        ] {
            assert_eq!(check(path), Err(problem), "{path}");
        }
    }
}
