//! `cargo xtask <command>`: how Agented is built, checked, tested and measured.
//! Every check says, when it fails, the command that fixes or reruns it.

mod dist;
mod evidence;
mod postgres;
mod web;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Instant;
use xshell::{Shell, cmd};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, check, test and measure Agented")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the dashboard when stale, then run the server (dashboard + API on the embedded SQLite).
    Run {
        /// Arguments for `agented` (default: serve).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Every check and test CI runs: formatting, lints, Rust tests (on SQLite, then on a throwaway
    /// PostgreSQL cluster), web checks and browser tests.
    Ci,
    /// The store's port suite and the API tests against a throwaway PostgreSQL cluster.
    TestPostgres,
    /// Formatting check, clippy -D warnings, web type check and lint.
    Lint,
    /// Format Rust and web sources in place.
    Fmt,
    /// Install web dependencies when missing and build web/dist.
    Web,
    /// Browser tests: the real server and dashboard in Chromium.
    E2e,
    /// The release binary with the dashboard built in, checked to run alone in an empty folder.
    Dist,
    /// Every performance figure (release build), written to target/bench/results.{json,md}.
    Bench {
        /// Instead: the scaling figure (runs on 1, 2 and 4 workers) → target/bench/scale.{json,md}.
        #[arg(long)]
        scale: bool,
    },
    /// Minutes of mixed traffic (release build); fails when memory or open descriptors grow.
    Soak {
        /// How long, in seconds.
        #[arg(default_value_t = 300)]
        seconds: u64,
    },
    /// Schemathesis against /openapi.json (installed from PyPI under target/ on first use).
    Fuzz,
    /// Check compat/python-routes.tsv against the served routes and write docs/compatibility.md from it.
    Compat,
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Runs one named step, timing it; on failure says how to rerun it.
pub fn step(name: &str, rerun: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("\n==> {name}");
    let started = Instant::now();
    f().with_context(|| format!("step '{name}' failed; rerun it with: {rerun}"))?;
    eprintln!("<== {name} ({:.1}s)", started.elapsed().as_secs_f64());
    Ok(())
}

fn shell() -> Result<Shell> {
    let sh = Shell::new()?;
    sh.change_dir(root());
    Ok(sh)
}

fn lint(sh: &Shell) -> Result<()> {
    step("rustfmt", "cargo fmt --all (or cargo xtask fmt)", || Ok(cmd!(sh, "cargo fmt --all -- --check").run()?))?;
    step("clippy", "cargo clippy --workspace --all-targets -- -D warnings", || {
        Ok(cmd!(sh, "cargo clippy --workspace --all-targets --quiet -- -D warnings").run()?)
    })?;
    web::install(sh)?;
    step("web type check", "cd web && npm run typecheck", || web::npm(sh, &["run", "typecheck"]))?;
    step("web lint", "cd web && npm run lint (npx eslint . --fix fixes most)", || web::npm(sh, &["run", "lint"]))
}

fn e2e(sh: &Shell) -> Result<()> {
    step("build agented, fake-bot and fake-mcp", "cargo build -p agented_server -p agented_test_support", || {
        Ok(cmd!(
            sh,
            "cargo build --quiet -p agented_server --bin agented -p agented_test_support --bin fake-bot --bin fake-mcp"
        )
        .run()?)
    })?;
    web::build(sh, false)?;
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        bail!(
            "{chromium} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH"
        );
    }
    let bin = root().join("target/debug/agented");
    step("browser tests", "cargo xtask e2e", || {
        let _env = sh.push_env("AGENTED_BIN", &bin);
        let _bot = sh.push_env("FAKE_BOT", root().join("target/debug/fake-bot"));
        let _mcp = sh.push_env("FAKE_MCP", root().join("target/debug/fake-mcp"));
        web::npm(sh, &["run", "e2e"])
    })
}

fn systemd_verify(sh: &Shell) -> Result<()> {
    if cmd!(sh, "systemd-analyze --version").quiet().ignore_stdout().ignore_stderr().run().is_err() {
        eprintln!("\n==> systemd unit: systemd-analyze is not available here, skipping this check");
        return Ok(());
    }
    step("systemd unit", "systemd-analyze verify deploy/agented.service", || {
        // Verify a copy whose ExecStart points at the binary just built: the
        // installed path (/usr/local/bin/agented) does not exist on a build machine.
        let unit = sh.read_file(root().join("deploy/agented.service"))?;
        let bin = root().join("target/debug/agented");
        let dir = sh.create_temp_dir()?;
        let copy = dir.path().join("agented.service");
        sh.write_file(&copy, unit.replace("/usr/local/bin/agented", &bin.display().to_string()))?;
        let out = cmd!(sh, "systemd-analyze verify --man=no {copy}").ignore_status().output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Only complaints about the unit itself count; the machine's other units are not ours.
        let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("agented.service")).collect();
        if !ours.is_empty() {
            bail!("systemd-analyze verify:\n{}", ours.join("\n"));
        }
        Ok(())
    })
}

/// The Rust tests, with a throwaway PostgreSQL cluster named to them
/// (`AGENTED_TEST_POSTGRES_URL`): once on SQLite (the cluster serves the tests
/// that need both stores, such as `migrate-store`), then the store's port suite
/// and the API tests again on PostgreSQL (`AGENTED_TEST_STORE=postgres`). The
/// other tests do not depend on the store, or are tied to SQLite's files
/// (docs/architecture.md names them).
fn rust_tests(sh: &Shell, sqlite: bool) -> Result<()> {
    let cluster = postgres::Cluster::start(&root().join("target"))?;
    eprintln!("throwaway PostgreSQL cluster at {}", cluster.url);
    let _cluster = sh.push_env("AGENTED_TEST_POSTGRES_URL", &cluster.url);
    // Most tests wait on servers, processes and the cluster, not on a core: two test
    // threads per core halve the API suites' time. RUST_TEST_THREADS, when set, wins.
    let threads = std::env::var("RUST_TEST_THREADS")
        .unwrap_or_else(|_| (2 * std::thread::available_parallelism().map_or(1, usize::from)).to_string());
    let _threads = sh.push_env("RUST_TEST_THREADS", threads);
    if sqlite {
        step("rust tests", "cargo xtask ci (it starts the PostgreSQL cluster some tests need)", || {
            Ok(cmd!(sh, "cargo test --workspace").run()?)
        })?;
    }
    step("rust tests on PostgreSQL", "cargo xtask test-postgres", || {
        let _store = sh.push_env("AGENTED_TEST_STORE", "postgres");
        // Every test file of the store's port suite, the API tests, and the worker processes
        // (which on PostgreSQL each get a data folder of their own, as on separate hosts).
        let mut targets: Vec<String> = std::fs::read_dir(root().join("crates/agented_store/tests"))?
            .filter_map(|e| {
                let path = e.ok()?.path();
                (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        targets.extend(["api".to_owned(), "workers".to_owned()]);
        targets.sort();
        targets.dedup();
        let args: Vec<String> = targets.iter().flat_map(|t| ["--test".to_owned(), t.clone()]).collect();
        // `--workspace`, not `-p agented_store -p agented_server`: the same package set
        // resolves the same features, so the first step's build is reused instead of a
        // second copy of every dependency and test binary (which once filled CI's disk).
        // Domain crates' test files of the same names (their fakes) run again, quickly.
        Ok(cmd!(sh, "cargo test --workspace {args...}").run()?)
    })
}

/// The compatibility table: checked against the served routes, then written (`write`) or
/// compared with docs/compatibility.md (`check`).
fn compat(sh: &Shell, mode: &str) -> Result<()> {
    step("compatibility table", "cargo xtask compat", || {
        // From the workspace root, without `-p`: the workspace's features, so the
        // dependencies built here are the ones the tests reuse.
        cmd!(sh, "cargo run --quiet --example compat -- {mode} compat/python-routes.tsv docs/compatibility.md")
            .run()
            .map_err(Into::into)
    })
}

fn ci(sh: &Shell) -> Result<()> {
    let started = Instant::now();
    lint(sh)?;
    compat(sh, "check")?;
    rust_tests(sh, true)?;
    step("web unit tests", "cd web && npm test", || web::npm(sh, &["test"]))?;
    web::build(sh, true)?;
    e2e(sh)?;
    evidence::fuzz(sh)?;
    systemd_verify(sh)?;
    eprintln!("\nAll checks passed in {:.0}s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// The variables `cargo run` sets for one package (here xtask), not for cargo itself.
/// agented_test_support's `is_package_variable` is the same list, for the tests' builds.
fn is_package_variable(key: &str) -> bool {
    ["CARGO_PKG_", "CARGO_BIN_EXE_", "CARGO_MANIFEST_"].iter().any(|prefix| key.starts_with(prefix))
        || matches!(
            key,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR" | "OUT_DIR"
        )
}

/// Runs xtask again without its package variables when it has them, and returns its exit code.
/// Build scripts such as ring's track those variables, so every cargo call under them would
/// make the next plain `cargo test` rebuild all that depends on ring, and the other way round.
fn without_package_variables() -> Result<Option<i32>> {
    let package: Vec<String> = std::env::vars().map(|(key, _)| key).filter(|key| is_package_variable(key)).collect();
    if package.is_empty() {
        return Ok(None);
    }
    let mut again = std::process::Command::new(std::env::current_exe()?);
    again.args(std::env::args_os().skip(1));
    for key in package {
        again.env_remove(key);
    }
    Ok(Some(again.status()?.code().unwrap_or(1)))
}

fn main() -> Result<()> {
    if let Some(code) = without_package_variables()? {
        std::process::exit(code);
    }
    let cli = Cli::parse();
    let sh = shell()?;
    match cli.command {
        Command::Run { args } => {
            web::build(&sh, false)?;
            let args = if args.is_empty() { vec!["serve".to_owned()] } else { args };
            cmd!(sh, "cargo run --quiet -p agented_server --bin agented -- {args...}").run()?;
            Ok(())
        }
        Command::Ci => ci(&sh),
        Command::TestPostgres => rust_tests(&sh, false),
        Command::Lint => lint(&sh),
        Command::Fmt => {
            cmd!(sh, "cargo fmt --all").run()?;
            web::install(&sh)?;
            web::npm(&sh, &["exec", "--", "eslint", ".", "--fix"])
        }
        Command::Web => web::build(&sh, true),
        Command::E2e => e2e(&sh),
        Command::Dist => dist::dist(&sh),
        Command::Bench { scale: false } => evidence::bench(&sh),
        Command::Bench { scale: true } => evidence::scale(&sh),
        Command::Soak { seconds } => evidence::soak(&sh, seconds),
        Command::Fuzz => evidence::fuzz(&sh),
        Command::Compat => compat(&sh, "write"),
    }
}
