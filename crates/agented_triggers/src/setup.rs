//! A trigger's setup step: a shell script run in the run's working folder
//! before its CLI (`npm ci`, or writing a file from a named secret), with the
//! run's environment plus the secrets it names from the server's environment.

use crate::trigger::FieldErrors;
use serde::{Deserialize, Serialize};

/// The longest script accepted, in characters.
pub const MAX_SETUP_CHARS: usize = 10_000;

/// What runs before the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupStep {
    /// Run with `/bin/sh -c` in the run's working folder.
    pub script: String,
    /// Variables of the server's environment the script gets (never the server's own secrets).
    #[serde(default)]
    pub secrets: Vec<String>,
}

/// Whether `name` is an environment variable name.
fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The setup step from a patch's `setup_script` (`""` removes it) and `setup_secrets`
/// over `current`; errors are keyed by field.
pub fn apply_setup(
    errors: &mut FieldErrors,
    current: Option<SetupStep>,
    script: Option<String>,
    secrets: Option<Vec<String>>,
) -> Option<SetupStep> {
    let script = match script {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s),
        None => current.as_ref().map(|c| c.script.clone()),
    };
    let secrets = secrets.unwrap_or_else(|| current.map(|c| c.secrets).unwrap_or_default());
    if script.as_ref().is_some_and(|s| s.chars().count() > MAX_SETUP_CHARS) {
        errors.insert("setup_script".into(), format!("must be at most {MAX_SETUP_CHARS} characters"));
    }
    if secrets.len() > 20 {
        errors.insert("setup_secrets".into(), "at most 20 names".into());
    } else if let Some(bad) = secrets.iter().find(|n| !is_env_name(n)) {
        errors.insert("setup_secrets".into(), format!("'{bad}' is not an environment variable name"));
    } else if script.is_none() && !secrets.is_empty() {
        errors.insert("setup_secrets".into(), "needs a setup_script to give them to".into());
    }
    script.map(|script| SetupStep { script, secrets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_step_is_set_kept_and_removed() {
        let mut errors = FieldErrors::new();
        let set = apply_setup(&mut errors, None, Some("npm ci".into()), Some(vec!["NPM_TOKEN".into()]));
        assert_eq!(set, Some(SetupStep { script: "npm ci".into(), secrets: vec!["NPM_TOKEN".into()] }));
        assert_eq!(apply_setup(&mut errors, set.clone(), None, None), set, "an update without it keeps it");
        assert_eq!(apply_setup(&mut errors, set, Some(String::new()), Some(Vec::new())), None);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn bad_names_long_scripts_and_secrets_without_a_script_are_refused() {
        for (script, secrets, field) in [
            (Some("x".repeat(MAX_SETUP_CHARS + 1)), None, "setup_script"),
            (Some("true".into()), Some(vec!["NOT-A-NAME".into()]), "setup_secrets"),
            (None, Some(vec!["TOKEN".into()]), "setup_secrets"),
        ] {
            let mut errors = FieldErrors::new();
            apply_setup(&mut errors, None, script, secrets);
            assert!(errors.contains_key(field), "{errors:?}");
        }
    }
}
