//! Worker labels: what a worker says it has (`claude`, `region=eu`) and what a
//! trigger requires of the worker that runs it.

/// A label is a word (`claude`) or one `key=value` pair (`region=eu`): 1 to 64
/// of letters, digits, `-`, `_`, `.`, `:` and at most one inner `=`.
#[must_use]
pub fn valid_label(label: &str) -> bool {
    (1..=64).contains(&label.len())
        && label.matches('=').count() <= 1
        && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '='))
        && !label.starts_with('=')
        && !label.ends_with('=')
}

/// Whether a worker with `have` may run what requires `need`: every required
/// label is among the worker's, compared without regard to case.
#[must_use]
pub fn satisfies(have: &[String], need: &[String]) -> bool {
    need.iter().all(|n| have.iter().any(|h| h.eq_ignore_ascii_case(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_words_or_one_pair_and_a_worker_needs_every_required_one() {
        for good in ["claude", "region=eu", "gpu:a100", "a.b-c_d"] {
            assert!(valid_label(good), "{good}");
        }
        for bad in ["", "=eu", "region=", "a=b=c", "has space", &"x".repeat(65)] {
            assert!(!valid_label(bad), "{bad}");
        }
        let have = vec!["claude".to_owned(), "Region=EU".to_owned()];
        assert!(satisfies(&have, &[]));
        assert!(satisfies(&have, &["region=eu".to_owned(), "claude".to_owned()]));
        assert!(!satisfies(&have, &["gpu".to_owned()]));
        assert!(!satisfies(&[], &["claude".to_owned()]));
    }
}
