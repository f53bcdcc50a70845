//! `agented-bench fuzz`: schemathesis against the served `/openapi.json` with
//! the admin key, a bounded number of examples per operation. Two passes: one
//! with generated identifiers (mostly 404s, and every malformed input), one
//! with the identifiers of stored records, so handlers get past the lookup.
//! Checks: no 5xx, status codes, content types and bodies as the spec says.

use crate::http::Api;
use crate::server::{Binaries, Server};
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::path::Path;
use std::process::Command;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// The ids of stored records, for the second pass.
struct Seeded {
    trigger: String,
    execution: String,
    account: String,
    budget: String,
    project: String,
}

fn id(value: &serde_json::Value, field: &str) -> Result<String> {
    Ok(value[field].as_str().with_context(|| format!("{field} in {value}"))?.to_owned())
}

fn seed(api: &Api) -> Result<Seeded> {
    let trigger = id(
        &api.expect("POST", "/admin/triggers", Some(&json!({ "name": "fuzz", "prompt_template": "{message}" })), 201)?,
        "trigger_id",
    )?;
    let run =
        api.expect("POST", &format!("/admin/triggers/{trigger}/run"), Some(&json!({ "message": "lines=2" })), 202)?;
    let execution = id(&run, "execution_id")?;
    let mut events = api.events(&execution)?;
    while let Some(event) = events.next_event()? {
        if event.name == "complete" {
            break;
        }
    }
    let account = id(
        &api.expect(
            "POST",
            "/admin/backends/backend-claude/accounts",
            Some(&json!({ "name": "fuzz", "api_key_env": "FUZZ_KEY" })),
            201,
        )?,
        "id",
    )?;
    let budget = id(
        &api.expect(
            "POST",
            "/admin/budgets",
            Some(&json!({ "scope": "trigger", "entity_id": trigger, "period": "monthly", "soft_limit_usd": 1 })),
            201,
        )?,
        "id",
    )?;
    let project = id(&api.expect("POST", "/api/projects", Some(&json!({ "name": "fuzz" })), 201)?, "project_id")?;
    Ok(Seeded { trigger, execution, account, budget, project })
}

fn config_for(seeded: &Seeded) -> String {
    let op = |regex: &str, params: &str| {
        format!("[[operations]]\ninclude-path-regex = '{regex}'\nparameters = {{ {params} }}\n\n")
    };
    [
        op("^/admin/triggers/\\{id\\}", &format!("\"path.id\" = \"{}\"", seeded.trigger)),
        op("^/admin/executions/\\{id\\}", &format!("\"path.id\" = \"{}\"", seeded.execution)),
        op(
            "^/admin/backends/\\{id\\}/accounts/\\{account_id\\}",
            &format!("\"path.id\" = \"backend-claude\", \"path.account_id\" = \"{}\"", seeded.account),
        ),
        op("^/admin/backends/\\{id\\}", "\"path.id\" = \"backend-claude\""),
        op("^/admin/budgets/\\{id\\}", &format!("\"path.id\" = \"{}\"", seeded.budget)),
        op("^/api/projects/\\{id\\}", &format!("\"path.id\" = \"{}\"", seeded.project)),
    ]
    .concat()
}

fn schemathesis(tool: &Path, api: &Api, examples: u32, extra: &[&str], config: Option<&Path>) -> Result<()> {
    let mut cmd = Command::new(tool);
    if let Some(config) = config {
        cmd.arg("--config-file").arg(config);
    }
    cmd.arg("run")
        .arg(api.url("/openapi.json"))
        .args(["--header", &format!("X-API-Key: {}", api.key)])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &examples.to_string()])
        .args(["--phases", "examples,coverage,fuzzing"])
        // Fixed, so a CI failure reproduces with the same inputs.
        .args(["--seed", "20261122", "--generation-database", "none", "--no-color"])
        .args(extra);
    let status = cmd.status().with_context(|| format!("running {}", tool.display()))?;
    if !status.success() {
        bail!("schemathesis found failures (above); rerun with: cargo xtask fuzz");
    }
    Ok(())
}

/// Starts a server from `bins`, seeds it, and runs both passes.
///
/// # Errors
/// When the server cannot start or schemathesis reports a failure.
pub fn run(bins: &Binaries, tool: &Path, examples: u32) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(bins, dir.path(), &[])?;
    let seeded = seed(&server.api)?;
    eprintln!("  pass 1: generated identifiers");
    schemathesis(tool, &server.api, examples, &[], None)?;
    eprintln!("  pass 2: stored records (deletes left to pass 1, so the records stay)");
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, config_for(&seeded))?;
    schemathesis(tool, &server.api, examples, &["--exclude-method", "DELETE"], Some(&config))?;
    server.stop()
}
