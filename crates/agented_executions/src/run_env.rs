//! The environment a CLI run starts with. Runs see text from outside (webhook
//! bodies, PR titles) and may run shell commands, so a run never inherits the
//! server's environment: it starts empty and gets an allowlist of harmless
//! variables, the variables its backend and account define, and the ones an
//! operator adds by name. The server's own secrets and every `AGENTED…`
//! variable are refused from every source.

use std::collections::BTreeMap;

/// Variables passed on from the server's environment to every run, when set.
pub const BASE_VARIABLES: [&str; 10] =
    ["HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TMPDIR", "TERM", "TZ", "USER", "LOGNAME"];

/// Variables that hold the server's secrets (in the names the server reads them by).
pub const SERVER_SECRETS: [&str; 6] =
    ["SECRET_KEY", "GITHUB_WEBHOOK_SECRET", "SENTRY_DSN", "AGENTED_API_KEY", "AGENTED_DB_PATH", "DATABASE_URL"];

/// Variables the runner sets itself to mark a run; they carry no secret.
pub const RUN_MARKERS: [&str; 3] = ["AGENTED_EXECUTION_ID", "AGENTED_ACCOUNT_ID", "AGENTED_ACCOUNT_CONFIG_DIR"];

/// Whether `name` may never reach a run from the server's environment or from
/// stored settings: a server secret, or any `AGENTED…` variable (configuration).
#[must_use]
pub fn is_server_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("AGENTED") || SERVER_SECRETS.contains(&upper.as_str())
}

/// Why a variable is refused, for validation messages.
#[must_use]
pub fn refusal(name: &str) -> Option<String> {
    is_server_variable(name)
        .then(|| format!("{name} is one of the server's own variables (its secrets or AGENTED_*); runs never get it"))
}

/// The environment of one run, built from its sources in order; later sources
/// win. Server variables are dropped from every source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunEnvironment(BTreeMap<String, String>);

impl RunEnvironment {
    /// The allowlisted variables (and the operator's `extra` names) that `lookup` finds set.
    #[must_use]
    pub fn base(extra: &[String], lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let names = BASE_VARIABLES.iter().copied().chain(extra.iter().map(String::as_str));
        Self(names.filter_map(|name| lookup(name).map(|value| (name.to_owned(), value))).collect()).without_server()
    }

    /// Adds `vars` (a backend's or an account's), dropping server variables.
    #[must_use]
    pub fn with(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.0.extend(vars);
        self.without_server()
    }

    /// Sets one of the runner's own [`RUN_MARKERS`].
    #[must_use]
    pub fn marked(mut self, marker: &str, value: &str) -> Self {
        if RUN_MARKERS.contains(&marker) {
            self.0.insert(marker.to_owned(), value.to_owned());
        }
        self
    }

    fn without_server(mut self) -> Self {
        self.0.retain(|name, _| RUN_MARKERS.contains(&name.as_str()) || !is_server_variable(name));
        self
    }

    /// The variables, by name.
    #[must_use]
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The variables, by name, taken out.
    #[must_use]
    pub fn into_vars(self) -> BTreeMap<String, String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/agented".into()),
            "LANG" => Some("C.UTF-8".into()),
            "HTTPS_PROXY" => Some("http://proxy:3128".into()),
            "SECRET_KEY" | "AGENTED_API_KEY" | "AGENTED__AUTH__API_KEY" => Some("server-secret".into()),
            "CARGO" => Some("/usr/bin/cargo".into()),
            _ => None,
        }
    }

    #[test]
    fn a_run_gets_the_allowlist_and_named_additions_only() {
        let env = RunEnvironment::base(&["HTTPS_PROXY".into(), "SECRET_KEY".into()], &server_env);
        let names: Vec<&str> = env.vars().keys().map(String::as_str).collect();
        assert_eq!(names, ["HOME", "HTTPS_PROXY", "LANG"]);
    }

    #[test]
    fn server_variables_are_dropped_from_every_source_but_markers_stay() {
        let env = RunEnvironment::base(&[], &server_env)
            .with([
                ("ANTHROPIC_API_KEY".to_owned(), "account-key".to_owned()),
                ("agented_api_key".to_owned(), "x".to_owned()),
                ("GITHUB_WEBHOOK_SECRET".to_owned(), "x".to_owned()),
                ("AGENTED__SECRET_KEY".to_owned(), "x".to_owned()),
            ])
            .marked("AGENTED_EXECUTION_ID", "exec-1")
            .marked("AGENTED_API_KEY", "x");
        let names: Vec<&str> = env.vars().keys().map(String::as_str).collect();
        assert_eq!(names, ["AGENTED_EXECUTION_ID", "ANTHROPIC_API_KEY", "HOME", "LANG"]);
    }

    #[test]
    fn server_variables_are_named_in_refusals() {
        for name in ["AGENTED_API_KEY", "agented__secret_key", "SECRET_KEY", "GITHUB_WEBHOOK_SECRET", "SENTRY_DSN"] {
            assert!(refusal(name).is_some(), "{name}");
        }
        for name in ["ANTHROPIC_API_KEY", "TEAM_KEY", "HOME"] {
            assert!(refusal(name).is_none(), "{name}");
        }
    }
}
