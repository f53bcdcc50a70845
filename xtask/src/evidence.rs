//! `cargo xtask bench`, `soak` and `fuzz`: build the binaries, then hand over
//! to `agented-bench` (crates/agented_bench), which does the measuring.

use crate::{root, step};
use anyhow::{Context, Result};
use std::path::PathBuf;
use xshell::{Shell, cmd};

/// The schemathesis release the fuzzing pass is pinned to.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

fn build_release(sh: &Shell) -> Result<()> {
    step("release build", "cargo build --release -p agented_server -p agented_test_support -p agented_bench", || {
        Ok(cmd!(
            sh,
            "cargo build --release --quiet -p agented_server --bin agented -p agented_test_support --bin fake-bot -p agented_bench --bin agented-bench"
        )
        .run()?)
    })
}

/// `cargo xtask bench`: every figure into target/bench/results.{json,md}.
pub fn bench(sh: &Shell) -> Result<()> {
    // First the dashboard: the release binary carries it.
    crate::web::build(sh, false)?;
    build_release(sh)?;
    step("benchmarks", "cargo xtask bench", || {
        Ok(cmd!(sh, "target/release/agented-bench --root . --bin-dir target/release bench --out target/bench").run()?)
    })?;
    eprintln!("figures written to {}", root().join("target/bench/results.md").display());
    Ok(())
}

/// `cargo xtask bench --scale`: runs spread over 1, 2 and 4 worker processes.
pub fn scale(sh: &Shell) -> Result<()> {
    crate::web::build(sh, false)?;
    build_release(sh)?;
    step("scaling", "cargo xtask bench --scale", || {
        // On SQLite, then again on a throwaway PostgreSQL cluster.
        let cluster = crate::postgres::Cluster::start(&root().join("target"))?;
        let _cluster = sh.push_env("AGENTED_TEST_POSTGRES_URL", &cluster.url);
        Ok(cmd!(sh, "target/release/agented-bench --root . --bin-dir target/release scale --out target/bench").run()?)
    })?;
    eprintln!("figures written to {}", root().join("target/bench/scale.md").display());
    Ok(())
}

/// `cargo xtask soak [SECONDS]`: mixed traffic, memory and descriptors sampled.
pub fn soak(sh: &Shell, seconds: u64) -> Result<()> {
    build_release(sh)?;
    let seconds = seconds.to_string();
    step("soak", "cargo xtask soak", || {
        Ok(cmd!(
            sh,
            "target/release/agented-bench --root . --bin-dir target/release soak --seconds {seconds} --out target/bench"
        )
        .run()?)
    })
}

/// Installs schemathesis in a virtual environment under target/ (once) and returns its executable.
fn schemathesis(sh: &Shell) -> Result<PathBuf> {
    let venv = root().join("target/schemathesis");
    let tool = venv.join("bin/schemathesis");
    let marker = venv.join(format!("{SCHEMATHESIS}.installed"));
    if !marker.exists() {
        step(
            "install schemathesis (PyPI)",
            "python3 -m venv target/schemathesis && target/schemathesis/bin/pip install schemathesis",
            || {
                cmd!(sh, "python3 -m venv {venv}").run().context("python3 with venv is needed")?;
                let pip = venv.join("bin/pip");
                cmd!(sh, "{pip} install --quiet --disable-pip-version-check {SCHEMATHESIS}").run()?;
                sh.write_file(&marker, "")?;
                Ok(())
            },
        )?;
    }
    Ok(tool)
}

/// `cargo xtask fuzz`: schemathesis against the debug server (built by the caller or here).
pub fn fuzz(sh: &Shell) -> Result<()> {
    let tool = schemathesis(sh)?;
    step(
        "build agented, fake-bot and agented-bench",
        "cargo build -p agented_server -p agented_test_support -p agented_bench",
        || {
            Ok(cmd!(sh, "cargo build --quiet -p agented_server --bin agented -p agented_test_support --bin fake-bot -p agented_bench --bin agented-bench").run()?)
        },
    )?;
    step("API fuzzing (schemathesis)", "cargo xtask fuzz", || {
        Ok(cmd!(
            sh,
            "target/debug/agented-bench --root . --bin-dir target/debug fuzz --schemathesis {tool} --examples 20"
        )
        .run()?)
    })
}
