//! Accounts: the credentials a backend's runs use, named by the environment
//! variable that holds the key (never the key itself) and an optional config
//! directory, with the rate-limit state rotation reads.

use agented_executions::run_env;
use agented_kernel::{AccountId, BackendType};
use agented_triggers::FieldErrors;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `acct-…`.
    pub id: AccountId,
    /// The backend it belongs to (`backend-claude`, a custom `backend-…`).
    pub backend_id: String,
    /// Unique within its backend.
    pub name: String,
    /// The name of the server's environment variable that holds its API key.
    pub api_key_env: Option<String>,
    /// The CLI's config directory for this account.
    pub config_dir: Option<String>,
    /// Used when a chain entry (or a trigger without a chain) names no account.
    pub is_default: bool,
    /// Free text: the subscription or tier.
    pub plan: Option<String>,
    /// Rate-limited until then.
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// The output line that limited it.
    pub rate_limit_reason: Option<String>,
    /// Rate limits hit so far.
    pub rate_limit_hits: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Account {
    /// Whether it is rate-limited at `now`.
    #[must_use]
    pub fn is_limited(&self, now: DateTime<Utc>) -> bool {
        self.rate_limited_until.is_some_and(|until| until > now)
    }
}

/// What runs under an account have used, from their executions.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AccountUsage {
    /// Runs that used it.
    pub runs: i64,
    /// Tokens in.
    pub input_tokens: i64,
    /// Tokens out.
    pub output_tokens: i64,
    /// US dollars.
    pub total_cost_usd: f64,
    /// The last run's queue time.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An account's settings, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountDraft {
    /// See [`Account`].
    pub name: String,
    /// See [`Account`].
    pub api_key_env: Option<String>,
    /// See [`Account`].
    pub config_dir: Option<String>,
    /// See [`Account`].
    pub is_default: bool,
    /// See [`Account`].
    pub plan: Option<String>,
}

impl From<&Account> for AccountDraft {
    fn from(a: &Account) -> Self {
        Self {
            name: a.name.clone(),
            api_key_env: a.api_key_env.clone(),
            config_dir: a.config_dir.clone(),
            is_default: a.is_default,
            plan: a.plan.clone(),
        }
    }
}

/// A requested change; absent fields stay, `""` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountPatch {
    /// See [`Account`].
    pub name: Option<String>,
    /// See [`Account`].
    pub api_key_env: Option<String>,
    /// See [`Account`].
    pub config_dir: Option<String>,
    /// See [`Account`].
    pub is_default: Option<bool>,
    /// See [`Account`].
    pub plan: Option<String>,
}

fn optional(value: Option<String>, current: Option<String>) -> Option<String> {
    match value {
        None => current,
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_owned()),
    }
}

/// The id the Python Agented's account `n` has here once imported: `acct-py{n}`.
#[must_use]
pub fn imported_account_text(n: u64) -> String {
    format!("acct-py{n}")
}

/// [`imported_account_text`] as an id.
///
/// # Errors
/// None in practice: `acct-py` and digits always form an id.
pub fn imported_account_id(n: u64) -> Result<AccountId, agented_kernel::IdError> {
    AccountId::parse(&imported_account_text(n))
}

/// An account id as a client gives it: Agented's `acct-…`, or the Python
/// Agented's integer id, naming the account imported from it.
///
/// # Errors
/// When it is neither.
pub fn account_ref(raw: &str) -> Result<AccountId, agented_kernel::IdError> {
    match raw.parse::<u64>() {
        Ok(n) => imported_account_id(n),
        Err(_) => AccountId::parse(raw),
    }
}

/// A portable environment variable name: letters, digits and `_`, not starting with a digit.
#[must_use]
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

impl AccountPatch {
    /// `base` with this change, or every problem keyed by field.
    ///
    /// # Errors
    /// Field → message for each invalid value.
    pub fn apply(self, base: AccountDraft) -> Result<AccountDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = base;
        if let Some(name) = self.name {
            next.name = name.trim().to_owned();
        }
        if next.name.is_empty() || next.name.chars().count() > 100 {
            errors.insert("name".into(), "must be 1 to 100 characters".into());
        }
        next.api_key_env = optional(self.api_key_env, next.api_key_env);
        if let Some(env) = &next.api_key_env {
            if !is_env_name(env) {
                errors.insert(
                    "api_key_env".into(),
                    "must be the name of an environment variable (letters, digits and _), not the key itself".into(),
                );
            } else if let Some(refused) = run_env::refusal(env) {
                errors.insert("api_key_env".into(), refused);
            }
        }
        next.config_dir = optional(self.config_dir, next.config_dir);
        if let Some(dir) = &next.config_dir
            && (!dir.starts_with('/') || dir.len() > 4096 || dir.contains('\0'))
        {
            errors.insert("config_dir".into(), "must be an absolute path".into());
        }
        if let Some(default) = self.is_default {
            next.is_default = default;
        }
        next.plan = optional(self.plan, next.plan);
        if next.plan.as_ref().is_some_and(|p| p.chars().count() > 100) {
            errors.insert("plan".into(), "must be at most 100 characters".into());
        }
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}

/// The variable a CLI reads its config directory from.
#[must_use]
pub const fn config_dir_variable(backend: Option<BackendType>) -> &'static str {
    match backend {
        Some(BackendType::Claude) => "CLAUDE_CONFIG_DIR",
        Some(BackendType::Codex) => "CODEX_HOME",
        Some(BackendType::Gemini) => "GEMINI_CLI_HOME",
        // opencode reads no home variable: its login is `$XDG_DATA_HOME/opencode/auth.json`.
        Some(BackendType::Opencode) => "XDG_DATA_HOME",
        None => "AGENTED_ACCOUNT_CONFIG_DIR",
    }
}

/// The variable a CLI reads its API key from; `None`: the account's own
/// variable name is passed on as it is (OpenCode reads each provider's own).
#[must_use]
pub const fn api_key_variable(backend: Option<BackendType>) -> Option<&'static str> {
    match backend {
        Some(BackendType::Claude) => Some("ANTHROPIC_API_KEY"),
        Some(BackendType::Codex) => Some("OPENAI_API_KEY"),
        Some(BackendType::Gemini) => Some("GEMINI_API_KEY"),
        Some(BackendType::Opencode) | None => None,
    }
}

/// The environment a run under `account` gets, reading key values through
/// `lookup` (the server's environment).
///
/// # Errors
/// A message naming the account and the variable when the key is not set.
pub fn run_env(
    backend: Option<BackendType>,
    account: &Account,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, String> {
    let mut env = vec![("AGENTED_ACCOUNT_ID".to_owned(), account.id.as_str().to_owned())];
    if let Some(var) = &account.api_key_env {
        if let Some(refused) = run_env::refusal(var) {
            // Stored before the rule existed: refused at run time too.
            return Err(format!("account '{}' names {var}: {refused}", account.name));
        }
        let value = lookup(var).filter(|v| !v.is_empty()).ok_or_else(|| {
            format!(
                "account '{}' reads its API key from {var}, which is not set in the server's environment",
                account.name
            )
        })?;
        env.push((api_key_variable(backend).unwrap_or(var).to_owned(), value));
    }
    if let Some(dir) = &account.config_dir {
        env.push((config_dir_variable(backend).to_owned(), dir.clone()));
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_originals_integer_account_ids_name_their_imported_accounts() {
        assert_eq!(account_ref("3").unwrap().as_str(), "acct-py3");
        assert_eq!(account_ref("acct-ab12cd").unwrap().as_str(), "acct-ab12cd");
        assert!(account_ref("-3").is_err());
        assert!(account_ref("3a").is_err());
    }

    fn account(key: Option<&str>, dir: Option<&str>) -> Account {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        Account {
            id: AccountId::parse("acct-team").expect("id"),
            backend_id: "backend-claude".into(),
            name: "team".into(),
            api_key_env: key.map(str::to_owned),
            config_dir: dir.map(str::to_owned),
            is_default: true,
            plan: None,
            rate_limited_until: Some(at + chrono::Duration::seconds(60)),
            rate_limit_reason: None,
            rate_limit_hits: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_key_is_named_never_given() {
        let patch = AccountPatch {
            name: Some(" team ".into()),
            api_key_env: Some("TEAM_KEY".into()),
            ..AccountPatch::default()
        };
        assert_eq!(patch.apply(AccountDraft::default()).map(|d| d.name), Ok("team".into()));
        let pasted = AccountPatch {
            name: Some("x".into()),
            api_key_env: Some("sk-ant-api03-abc".into()),
            ..AccountPatch::default()
        };
        let errors = pasted.apply(AccountDraft::default()).expect_err("a key is refused");
        assert!(errors["api_key_env"].contains("not the key itself"));
        for server_variable in ["AGENTED_API_KEY", "SECRET_KEY", "GITHUB_WEBHOOK_SECRET", "agented__auth__api_key"] {
            let named = AccountPatch {
                name: Some("x".into()),
                api_key_env: Some(server_variable.into()),
                ..AccountPatch::default()
            };
            let errors = named.apply(AccountDraft::default()).expect_err("a server variable is refused");
            assert!(errors["api_key_env"].contains("runs never get it"), "{server_variable}: {errors:?}");
        }
        let bad = AccountPatch {
            name: Some(String::new()),
            config_dir: Some("relative/dir".into()),
            plan: Some("p".repeat(101)),
            ..AccountPatch::default()
        };
        let errors = bad.apply(AccountDraft::default()).expect_err("invalid");
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["config_dir", "name", "plan"]);
    }

    #[test]
    fn an_empty_value_clears_and_an_absent_one_stays() {
        let base = AccountDraft {
            name: "a".into(),
            api_key_env: Some("K".into()),
            plan: Some("pro".into()),
            ..AccountDraft::default()
        };
        let next = AccountPatch { plan: Some(String::new()), ..AccountPatch::default() }.apply(base).expect("valid");
        assert_eq!((next.api_key_env.as_deref(), next.plan), (Some("K"), None));
    }

    #[test]
    fn each_cli_gets_the_key_and_config_directory_under_its_own_names() {
        let lookup = |name: &str| (name == "TEAM_KEY").then(|| "secret".to_owned());
        let a = account(Some("TEAM_KEY"), Some("/srv/claude-team"));
        let env = run_env(Some(BackendType::Claude), &a, &lookup).expect("env");
        assert!(env.contains(&("ANTHROPIC_API_KEY".into(), "secret".into())));
        assert!(env.contains(&("CLAUDE_CONFIG_DIR".into(), "/srv/claude-team".into())));
        let env = run_env(Some(BackendType::Codex), &a, &lookup).expect("env");
        assert!(
            env.contains(&("OPENAI_API_KEY".into(), "secret".into()))
                && env.contains(&("CODEX_HOME".into(), "/srv/claude-team".into()))
        );
        let env = run_env(Some(BackendType::Gemini), &a, &lookup).expect("env");
        assert!(
            env.contains(&("GEMINI_API_KEY".into(), "secret".into()))
                && env.contains(&("GEMINI_CLI_HOME".into(), "/srv/claude-team".into()))
        );
        let env = run_env(Some(BackendType::Opencode), &a, &lookup).expect("env");
        assert!(
            env.contains(&("TEAM_KEY".into(), "secret".into()))
                && env.contains(&("XDG_DATA_HOME".into(), "/srv/claude-team".into()))
        );
        let missing = run_env(Some(BackendType::Claude), &account(Some("NOPE"), None), &lookup).expect_err("unset");
        assert!(missing.contains("NOPE") && missing.contains("team"), "{missing}");
        // An account stored before server variables were refused still never reads one.
        let server = |_: &str| Some("the server's secret".to_owned());
        let refused =
            run_env(Some(BackendType::Claude), &account(Some("SECRET_KEY"), None), &server).expect_err("refused");
        assert!(refused.contains("runs never get it"), "{refused}");
    }

    #[test]
    fn a_limit_lasts_until_its_time() {
        let a = account(None, None);
        let until = a.rate_limited_until.expect("limited");
        assert!(a.is_limited(until - chrono::Duration::seconds(1)));
        assert!(!a.is_limited(until));
    }
}
