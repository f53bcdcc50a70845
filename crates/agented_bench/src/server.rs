//! The binary under measurement: `agented serve` on a free port with its own
//! data folder, the fake bot installed under the CLI names, a known API key and
//! request limits raised out of the way. Stopped (SIGTERM, then SIGKILL) on drop.

use crate::http::Api;
use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The admin key every measured server accepts (`AGENTED_API_KEY`).
pub const KEY: &str = "agd_be0c4e5a11fe0000000000000000000000000000000000be";

/// What a measured server is made of.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// The `agented` binary.
    pub agented: PathBuf,
    /// The fake CLI, linked as claude, codex, gemini and opencode.
    pub fake_bot: PathBuf,
    /// The repository's `config/` folder.
    pub config_dir: PathBuf,
}

/// A running server.
pub struct Server {
    child: Child,
    /// Its API, with [`KEY`].
    pub api: Api,
    /// Milliseconds from spawning the process to `/health/readiness` answering 200.
    pub ready_ms: f64,
}

/// `agented <subcommand>` on `data_dir` (created if missing), with the fake bot installed
/// under the CLI names, the known key and the request limits raised out of the way.
fn command(bins: &Binaries, data_dir: &Path, subcommand: &str) -> Result<Command> {
    std::fs::create_dir_all(data_dir)?;
    let fake_bin = data_dir.join("fake-bin");
    std::fs::create_dir_all(&fake_bin)?;
    for name in ["claude", "codex", "gemini", "opencode"] {
        let link = fake_bin.join(name);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(&bins.fake_bot, link)?;
        }
    }
    // The server's own log (JSON, warnings and errors), kept when asked for.
    let stdout = match std::env::var_os("AGENTED_BENCH_SERVER_LOG") {
        Some(path) => Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(path)?),
        None => Stdio::null(),
    };
    let mut cmd = Command::new(&bins.agented);
    cmd.arg(subcommand)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AGENTED_ENV", "production")
        .env("AGENTED__LOG__LEVEL", "warn")
        .env("AGENTED_CONFIG_DIR", &bins.config_dir)
        .env("AGENTED__DATA_DIR", data_dir)
        .env("AGENTED__SERVER__BIND", "127.0.0.1:0")
        .env("AGENTED__RUNNER__EXTRA_PATH", &fake_bin)
        // Ten flooding bots and the one whose stream is timed run at once.
        .env("AGENTED__RUNNER__MAX_PARALLEL_RUNS", "11")
        .env("AGENTED_API_KEY", KEY)
        // Raised, not switched off: the limiter stays on the measured path.
        .env("AGENTED__RATE_LIMITS__WEBHOOK", "1000000/1s")
        .env("AGENTED__RATE_LIMITS__API", "1000000/1s")
        // The 10,000-stream figure opens every stream with one key from one address.
        .env("AGENTED__RATE_LIMITS__MAX_STREAMS_PER_KEY", "1000000")
        .env("AGENTED__RATE_LIMITS__MAX_STREAMS_PER_CLIENT", "1000000")
        .current_dir(data_dir)
        .stdout(stdout);
    Ok(cmd)
}

/// A running `agented worker` on a server's data folder. Stopped (SIGTERM, then wait) on drop.
pub struct Worker {
    child: Child,
}

impl Worker {
    /// Starts a worker with `parallel` run slots and `extra` environment on top; returns
    /// once it has registered.
    ///
    /// # Errors
    /// When it cannot start or exits first.
    pub fn start(bins: &Binaries, data_dir: &Path, parallel: usize, extra: &[(&str, &str)]) -> Result<Self> {
        let mut child = command(bins, data_dir, "worker")?
            .args(["--max-parallel-runs", &parallel.to_string()])
            .envs(extra.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting a worker of {}", bins.agented.display()))?;
        let mut lines = BufReader::new(child.stderr.take().context("stderr")?).lines();
        loop {
            let Some(line) = lines.next() else { bail!("the worker exited before it registered") };
            if line?.starts_with("agented worker ") {
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self { child })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server on `data_dir` (created if missing) with `extra` environment on top.
    ///
    /// # Errors
    /// When it cannot start, exits, or is not ready within 60 s.
    pub fn start(bins: &Binaries, data_dir: &Path, extra: &[(&str, &str)]) -> Result<Self> {
        Self::start_with(bins, data_dir, extra, &[])
    }

    /// [`Server::start`] with arguments after `serve` (`--no-worker`).
    ///
    /// # Errors
    /// As [`Server::start`].
    pub fn start_with(bins: &Binaries, data_dir: &Path, extra: &[(&str, &str)], args: &[&str]) -> Result<Self> {
        let started = Instant::now();
        let mut child = command(bins, data_dir, "serve")?
            .args(args)
            .envs(extra.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bins.agented.display()))?;
        let stderr = child.stderr.take().context("stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let Some(line) = lines.next() else { bail!("the server exited before printing its address") };
            if let Some(rest) = line?.strip_prefix("agented listening on http://") {
                break rest.split('/').next().unwrap_or_default().to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let api = Api { addr, key: KEY.to_owned() };
        let mut server = Self { child, api, ready_ms: 0.0 };
        let deadline = started + Duration::from_secs(60);
        while !server.api.ready() {
            if Instant::now() > deadline {
                bail!("not ready within 60 s");
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited with {status}");
            }
            // Readiness has no push signal: poll every millisecond, the measurement's resolution.
            std::thread::sleep(Duration::from_millis(1));
        }
        server.ready_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(server)
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or(i32::MAX)
    }

    /// Resident memory, in MiB.
    ///
    /// # Errors
    /// When `/proc/<pid>/status` cannot be read.
    pub fn rss_mib(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("VmRSS in /proc/<pid>/status")?;
        let kib: f64 = line.split_whitespace().nth(1).unwrap_or("0").parse()?;
        Ok(kib / 1024.0)
    }

    /// Open file descriptors (sockets, database files, pipes).
    ///
    /// # Errors
    /// When `/proc/<pid>/fd` cannot be read.
    pub fn open_fds(&self) -> Result<usize> {
        Ok(std::fs::read_dir(format!("/proc/{}/fd", self.pid()))?.count())
    }

    /// SIGTERM, and waits for the graceful exit.
    ///
    /// # Errors
    /// When the signal cannot be sent or the wait fails.
    pub fn stop(mut self) -> Result<()> {
        kill(Pid::from_raw(self.pid()), Signal::SIGTERM)?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
