//! The dashboard's npm steps.

use crate::{root, step};
use anyhow::Result;
use std::path::Path;
use std::time::SystemTime;
use xshell::{Shell, cmd};

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of any file under `path`.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path).ok()?.filter_map(|e| e.ok()).filter_map(|e| newest(&e.path())).max()
}

/// Runs npm in `web/` with `args`.
pub fn npm(sh: &Shell, args: &[&str]) -> Result<()> {
    let _dir = sh.push_dir(root().join("web"));
    cmd!(sh, "npm {args...}").run()?;
    Ok(())
}

/// `npm ci` when node_modules is missing or older than the lock file.
pub fn install(sh: &Shell) -> Result<()> {
    let web = root().join("web");
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    let locked = modified(&web.join("package-lock.json"));
    if installed.is_some() && installed >= locked {
        return Ok(());
    }
    step("web dependencies", "cd web && npm ci", || npm(sh, &["ci", "--no-audit", "--no-fund"]))
}

/// Builds web/dist when any source is newer than it (or always with `force`).
pub fn build(sh: &Shell, force: bool) -> Result<()> {
    install(sh)?;
    let web = root().join("web");
    let built = modified(&web.join("dist/index.html"));
    let sources =
        ["src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"];
    let newest_source = sources.iter().filter_map(|s| newest(&web.join(s))).max();
    if !force && built.is_some() && built >= newest_source {
        return Ok(());
    }
    step("web build", "cd web && npm run build", || npm(sh, &["run", "build"]))
}
