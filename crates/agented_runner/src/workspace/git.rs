//! git as workspaces run it: the runs' base environment (never the server's),
//! no prompts, a time limit, and git's own message on failure.

use agented_executions::RunEnvironment;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// How long one git command may take (a first mirror of a large repository is the longest).
const GIT_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs `git [--git-dir DIR] ARGS…`; its trimmed stdout.
///
/// # Errors
/// git's stderr, or why it could not run.
pub async fn git(git_dir: Option<&Path>, args: &[&str], env: &RunEnvironment) -> Result<String, String> {
    let mut cmd = Command::new("git");
    if let Some(dir) = git_dir {
        cmd.arg("--git-dir").arg(dir);
    }
    cmd.args(args)
        .env_clear()
        .envs(env.vars())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("git could not be started: {e}"))?;
    let output = tokio::time::timeout(GIT_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("git {} took longer than {} s", args.first().unwrap_or(&""), GIT_TIMEOUT.as_secs()))?
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}
