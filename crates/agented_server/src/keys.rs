//! `agented keys create|list|revoke`: API key management from the terminal,
//! audited with the actor `cli`.

use crate::Settings;
use crate::startup::{key_service, prepare_database};
use agented_auth::{ApiKey, ApiScope, AuditEntry, AuditLog, Outcome};
use agented_kernel::{Clock, SystemClock};
use agented_store::SqlAudit;
use clap::Subcommand;
use std::fmt::Write as _;
use std::sync::Arc;

/// Key subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (once: only its hash is stored).
    Create {
        /// A unique name, 1–64 characters.
        #[arg(long)]
        name: String,
        /// admin (everything) or read (GET/HEAD only).
        #[arg(long, default_value = "read")]
        scope: String,
    },
    /// List every key.
    List,
    /// Revoke a key by id; it is refused from the next request on.
    Revoke {
        /// The key's id (`key_…`, see `agented keys list`).
        id: String,
    },
}

fn describe(key: &ApiKey) -> String {
    let status =
        key.revoked_at.map_or_else(|| "active".to_owned(), |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M")));
    let used = key.last_used_at.map_or_else(|| "never".to_owned(), |at| at.format("%Y-%m-%d %H:%M").to_string());
    format!(
        "{:<16} {:<32} {:<6} {:<13} {:<17} {:<17} {}",
        key.id,
        key.name.as_str(),
        key.scope.as_str(),
        format!("{}…", key.prefix),
        key.created_at.format("%Y-%m-%d %H:%M"),
        used,
        status
    )
}

async fn audit(log: &SqlAudit, action: &str, id: Option<&str>, ok: bool, changes: Option<serde_json::Value>) {
    let entry = AuditEntry {
        at: SystemClock.now(),
        actor: "cli".into(),
        action: action.into(),
        entity_type: "api_key".into(),
        entity_id: id.map(str::to_owned),
        outcome: if ok { Outcome::Success } else { Outcome::Failure },
        status: 0,
        changes,
        request_id: None,
    };
    if let Err(e) = log.record(entry).await {
        tracing::error!(error = %e, "could not write the audit record");
    }
}

/// Runs a key subcommand and returns what to print.
///
/// # Errors
/// A message for the operator.
pub async fn run(settings: &Settings, command: KeysCommand) -> Result<String, String> {
    let database = prepare_database(settings).await.map_err(|e| e.to_string())?;
    let keys = key_service(settings, &database, Arc::new(SystemClock));
    let log = SqlAudit::new(database);
    match command {
        KeysCommand::Create { name, scope } => {
            let scope: ApiScope = scope.parse().map_err(|e: agented_auth::UnknownScope| e.to_string())?;
            let result = keys.create(&name, scope).await;
            let changes = Some(serde_json::json!({ "name": name, "scope": scope.as_str() }));
            audit(&log, "api_key.create", result.as_ref().ok().map(|(k, _)| k.id.as_str()), result.is_ok(), changes)
                .await;
            let (key, secret) = result.map_err(|e| e.to_string())?;
            Ok(format!(
                "Created {} key '{}' ({}).\n\n    {}\n\nStore it now: it is shown only once. Send it as the X-API-Key header.\n",
                key.scope.as_str(),
                key.name.as_str(),
                key.id,
                secret.expose()
            ))
        }
        KeysCommand::List => {
            let all = keys.list().await.map_err(|e| e.to_string())?;
            let mut out = format!(
                "{:<16} {:<32} {:<6} {:<13} {:<17} {:<17} {}\n",
                "ID", "NAME", "SCOPE", "PREFIX", "CREATED", "LAST USED", "STATUS"
            );
            for key in &all {
                let _ = writeln!(out, "{}", describe(key));
            }
            if all.is_empty() {
                out.push_str("(no keys: one is created when the server starts)\n");
            }
            Ok(out)
        }
        KeysCommand::Revoke { id } => {
            let result = keys.revoke(&id).await;
            audit(&log, "api_key.revoke", Some(&id), result.is_ok(), None).await;
            let key = result.map_err(|e| e.to_string())?;
            Ok(format!("Revoked '{}' ({}). It is refused from now on.\n", key.name.as_str(), key.id))
        }
    }
}
