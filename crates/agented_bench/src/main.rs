//! `agented-bench`: the evidence behind Agented's claims of speed and
//! robustness, measured on the real binary with the fake bot standing in for
//! the CLIs. `cargo xtask bench`, `cargo xtask soak` and `cargo xtask ci`
//! (the fuzzing pass) build the binaries and call it.
//!
//! Architecture invariant: it depends on no Agented crate and speaks to the
//! server only as a client would (processes, HTTP, `/proc`), so what it
//! measures is the shipped binary.

#![allow(clippy::print_stdout, reason = "a command-line tool reports on stdout")]

mod api;
mod bench;
mod fuzz;
mod http;
mod load;
mod runs;
mod scale;
mod server;
mod soak;
mod sse_clients;
mod startup;
mod stats;
mod webhooks;

use anyhow::Result;
use clap::{Parser, Subcommand};
use server::Binaries;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "agented-bench", about = "Benchmarks, soak and API fuzzing against the agented binary")]
struct Cli {
    /// The workspace root (config/, web/dist).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The folder holding `agented` and `fake-bot`.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every figure; writes results.json and results.md to --out.
    Bench {
        /// Rounds per figure (each figure is their median, with min and max).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[arg(long, default_value = "target/bench")]
        out: PathBuf,
    },
    /// R runs of a one-second bot on 1, 2 and 4 workers beside one API server; writes scale.json and scale.md.
    Scale {
        /// Runs per measurement.
        #[arg(long, default_value_t = 48)]
        runs: usize,
        /// Run slots per worker.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
        /// Worker counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
        workers: Vec<usize>,
        #[arg(long, default_value = "target/bench")]
        out: PathBuf,
    },
    /// Mixed traffic for --seconds; fails when memory or open descriptors grow.
    Soak {
        #[arg(long, default_value_t = 300)]
        seconds: u64,
        #[arg(long, default_value = "target/bench")]
        out: PathBuf,
    },
    /// Schemathesis against /openapi.json; fails on a 5xx or a response the spec does not allow.
    Fuzz {
        /// The schemathesis executable.
        #[arg(long)]
        schemathesis: PathBuf,
        /// Examples per operation and pass.
        #[arg(long, default_value_t = 20)]
        examples: u32,
    },
}

/// Each figure needs many sockets at once (10,000 streams): use every descriptor allowed.
fn raise_open_files_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    raise_open_files_limit();
    let root = cli.root.canonicalize()?;
    let bin_dir = root.join(&cli.bin_dir);
    let bins = Binaries {
        agented: bin_dir.join("agented"),
        fake_bot: bin_dir.join("fake-bot"),
        config_dir: root.join("config"),
    };
    match cli.command {
        Command::Bench { rounds, out } => {
            let results = bench::run(&bins, rounds.max(1), &root.join(out))?;
            println!("{}", serde_json::to_string_pretty(&results)?);
        }
        Command::Scale { runs, parallel, workers, out } => {
            let plan = scale::Plan { runs: runs.max(1), parallel: parallel.max(1), workers };
            let results = scale::run(&bins, &plan, &root.join(out))?;
            println!("{}", serde_json::to_string_pretty(&results)?);
        }
        Command::Soak { seconds, out } => {
            let report = soak::run(&bins, Duration::from_secs(seconds), &root.join(out))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Fuzz { schemathesis, examples } => fuzz::run(&bins, &schemathesis, examples)?,
    }
    Ok(())
}
