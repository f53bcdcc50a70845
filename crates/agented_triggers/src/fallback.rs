//! A trigger's fallback chain: the backends and accounts a run tries, in order.

use crate::trigger::FieldErrors;
use agented_kernel::AccountId;
use serde::{Deserialize, Serialize};

/// Longest chain accepted.
pub const MAX_CHAIN_ENTRIES: usize = 10;

/// One step of a fallback chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FallbackEntry {
    /// A backend id as `/admin/backends` lists it (`backend-claude`, a custom `backend-…`).
    pub backend_id: String,
    /// The account to run under; the backend's default account when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
}

/// Checks the shape of a chain (existence of backends and accounts is checked
/// where they are stored); errors are keyed `fallback_chain.<i>`.
pub fn check_chain(errors: &mut FieldErrors, chain: &[FallbackEntry]) {
    if chain.len() > MAX_CHAIN_ENTRIES {
        errors.insert("fallback_chain".into(), format!("at most {MAX_CHAIN_ENTRIES} entries"));
    }
    for (i, entry) in chain.iter().enumerate() {
        if !entry.backend_id.starts_with("backend-") || entry.backend_id.len() > 80 {
            errors
                .insert(format!("fallback_chain.{i}.backend_id"), "must be a backend id such as backend-claude".into());
        } else if chain[..i].contains(entry) {
            errors.insert(format!("fallback_chain.{i}"), "repeats an earlier entry".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(backend: &str, account: Option<&str>) -> FallbackEntry {
        FallbackEntry {
            backend_id: backend.into(),
            account_id: account.map(|a| AccountId::parse(a).expect("account id")),
        }
    }

    #[test]
    fn a_chain_names_backends_once_each_and_stays_short() {
        let mut errors = FieldErrors::new();
        check_chain(&mut errors, &[entry("backend-claude", Some("acct-a")), entry("backend-claude", None)]);
        assert!(errors.is_empty(), "{errors:?}");
        check_chain(&mut errors, &[entry("claude", None), entry("backend-codex", None), entry("backend-codex", None)]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.contains_key("fallback_chain.0.backend_id"));
        assert_eq!(errors["fallback_chain.2"], "repeats an earlier entry");
        let mut errors = FieldErrors::new();
        check_chain(&mut errors, &vec![entry("backend-claude", None); 11]);
        assert_eq!(errors["fallback_chain"], "at most 10 entries");
    }

    #[test]
    fn unknown_members_are_refused() {
        let parsed: Result<FallbackEntry, _> =
            serde_json::from_str(r#"{"backend_id":"backend-claude","acount_id":"x"}"#);
        assert!(parsed.is_err());
    }
}
