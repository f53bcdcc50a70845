//! `cargo xtask dist`: the release binary with the dashboard inside it, then proof that
//! the one file runs a node: copied alone into an empty folder, started there with no
//! configuration folder and no `web/dist`, it serves the dashboard's page and assets
//! byte for byte as built.

use crate::{root, step};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use xshell::{Shell, cmd};

/// Kills the started binary however the check ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds `target/release/agented` with the current dashboard, then checks it on its own.
pub fn dist(sh: &Shell) -> Result<()> {
    crate::web::build(sh, false)?;
    step("release build of agented", "cargo build --release -p agented_server --bin agented", || {
        Ok(cmd!(sh, "cargo build --release --quiet -p agented_server --bin agented").run()?)
    })?;
    step("the binary alone serves the dashboard", "cargo xtask dist", || check_alone(sh))?;
    eprintln!(
        "{} carries the dashboard: copy it with a data folder to run a node",
        root().join("target/release/agented").display()
    );
    Ok(())
}

fn check_alone(sh: &Shell) -> Result<()> {
    let dir = sh.create_temp_dir()?;
    let bin = dir.path().join("agented");
    std::fs::copy(root().join("target/release/agented"), &bin)?;
    let mut child = Command::new(&bin)
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AGENTED__DATA_DIR", dir.path().join("data"))
        .env("AGENTED__SERVER__BIND", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the copied binary")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let running = Running(child);
    let address = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("agented listening on ").map(|rest| rest.split('/').nth(2).unwrap_or_default().to_owned())
        })
        .context("the binary stopped before it listened")?;
    let dist = root().join("web/dist");
    let index = std::fs::read(dist.join("index.html")).context("web/dist/index.html")?;
    for page in ["/", "/triggers/some-trigger"] {
        same(sh, &address, page, &index)?;
    }
    let assets = std::fs::read_dir(dist.join("assets"))?.filter_map(Result::ok).map(|e| e.path());
    let mut checked = 0;
    for asset in assets {
        let name = asset.file_name().and_then(|n| n.to_str()).context("asset name")?.to_owned();
        same(sh, &address, &format!("/assets/{name}"), &std::fs::read(&asset)?)?;
        checked += 1;
    }
    if checked == 0 {
        bail!("web/dist/assets is empty");
    }
    drop(running);
    eprintln!("served index.html for 2 page paths and {checked} assets from the binary alone");
    Ok(())
}

/// `GET path` answers exactly `expected`.
fn same(sh: &Shell, address: &str, path: &str, expected: &[u8]) -> Result<()> {
    let url = format!("http://{address}{path}");
    let out = cmd!(sh, "curl -fsS {url}").quiet().output().with_context(|| format!("GET {url}"))?;
    if out.stdout != expected {
        bail!("GET {path} did not answer the built file ({} bytes, expected {})", out.stdout.len(), expected.len());
    }
    Ok(())
}
