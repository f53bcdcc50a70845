//! One CLI process in its own process group: stdin closed, stdout and stderr
//! read concurrently line by line, stopped (timeout, silence, or a request)
//! with SIGTERM → grace → SIGKILL to the whole group, and the group killed
//! after the leader exits, as is every process still carrying the run's
//! marker, so grandchildren never outlive a run. The leader dies with the
//! server (parent-death signal through `setpriv`).

use agented_executions::LogStream;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Notify, mpsc, watch};

/// Longest line kept; the rest of a longer line is replaced by a marker.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// After the process group is gone, output keeps draining while lines keep
/// arriving; the pipes are given up after this long without a line (a process
/// that escaped the group may hold them open) …
pub const DRAIN_IDLE: Duration = Duration::from_secs(2);

/// … or after this long in all, so a chatty escaped process cannot keep a run open.
pub const DRAIN_CAP: Duration = Duration::from_secs(60);

/// Why a run is being stopped from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A user cancelled it.
    Cancelled,
    /// The server is shutting down.
    Shutdown,
    /// Its live cost reached a hard budget limit.
    Budget,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// Absolute path of the program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// The whole environment besides `PATH` and the run marker (see `agented_executions::run_env`).
    pub env: BTreeMap<String, String>,
    /// `PATH` for the process.
    pub path_env: OsString,
    /// Working directory.
    pub cwd: PathBuf,
    /// Run time limit.
    pub timeout: Duration,
    /// Stopped when neither pipe gave a line for this long (`None`: never).
    pub stall: Option<Duration>,
    /// Time between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Marks every process of the run (`AGENTED_EXECUTION_ID`) so leftovers can be found after a crash.
    pub execution_id: String,
    /// util-linux's `setpriv`, when found: the leader then gets SIGKILL when the server dies.
    pub parent_death: Option<PathBuf>,
    /// Runs the program under `bwrap`, writing only in `cwd` and these folders.
    pub sandbox: Option<(crate::sandbox::Sandbox, Vec<PathBuf>)>,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited on its own.
    Exited(ExitStatus),
    /// It ran past its timeout and was stopped.
    TimedOut,
    /// It printed nothing for this long and was stopped.
    Stalled(Duration),
    /// It was stopped for `StopReason`.
    Stopped(StopReason),
}

impl Ending {
    /// The exit code, when the process exited with one.
    #[must_use]
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Self::Exited(status) => status.code(),
            _ => None,
        }
    }

    /// The signal that ended a process that exited on its own.
    #[must_use]
    pub fn signal(&self) -> Option<i32> {
        match self {
            Self::Exited(status) => status.signal(),
            _ => None,
        }
    }
}

/// A started process: its group id and the way to wait for it.
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// Pinged by the pipe readers on every line, for the stall watchdog.
    activity: Arc<Notify>,
    /// The process group id (= the leader's pid).
    pub pgid: i32,
    execution_id: String,
}

/// Sends `signal` to the group, ignoring a group that is already gone.
pub fn signal_group(pgid: i32, signal: Signal) {
    if pgid > 1
        && let Err(e) = killpg(Pid::from_raw(pgid), signal)
        && e != nix::errno::Errno::ESRCH
    {
        tracing::warn!(pgid, %signal, error = %e, "could not signal a process group");
    }
}

/// Starts the process and its pipe readers, which send each line to `lines`.
///
/// # Errors
/// The spawn error (e.g. `NotFound`, `PermissionDenied`).
pub fn spawn(spec: &ProcessSpec, lines: &mpsc::Sender<(LogStream, String)>) -> std::io::Result<Running> {
    // `[setpriv --pdeathsig KILL --] [bwrap … --] program args…`
    let mut argv: Vec<OsString> = Vec::new();
    if let Some(setpriv) = &spec.parent_death {
        // setpriv arms the signal and execs the rest in the same process: the leader dies with
        // the server. Arming it ourselves between fork and exec would cost a full fork of the
        // server (5 ms a run, measured) instead of a spawn.
        argv.extend([setpriv.into(), "--pdeathsig".into(), "KILL".into(), "--".into()]);
    }
    match &spec.sandbox {
        Some((sandbox, writable)) => {
            argv.push(sandbox.bwrap.clone().into());
            argv.extend(sandbox.args(&spec.program, &spec.cwd, writable, &spec.env));
        }
        None => argv.push(spec.program.clone().into()),
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        // Nothing of the server's own environment: only what the spec names.
        .env_clear()
        .env("PATH", &spec.path_env)
        .envs(&spec.env)
        .env(crate::recovery::MARKER, &spec.execution_id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let mut child = cmd.spawn()?;
    let pgid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or(0);
    let activity = Arc::new(Notify::new());
    if let Some(out) = child.stdout.take() {
        tokio::spawn(read_lines(out, LogStream::Stdout, lines.clone(), activity.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(read_lines(err, LogStream::Stderr, lines.clone(), activity.clone()));
    }
    Ok(Running { child, activity, pgid, execution_id: spec.execution_id.clone() })
}

impl Running {
    /// Waits for the process to end on its own, by timeout, by silence, or by
    /// a stop request; then kills whatever is left of its group.
    pub async fn supervise(mut self, spec: &ProcessSpec, mut stop: watch::Receiver<Option<StopReason>>) -> Ending {
        let (timeout, grace) = (spec.timeout, spec.grace);
        let activity = self.activity.clone();
        let stalled = async {
            let Some(limit) = spec.stall else { return std::future::pending().await };
            // Each line leaves a permit, so a line never goes unnoticed between two waits.
            while tokio::time::timeout(limit, activity.notified()).await.is_ok() {}
            limit
        };
        let stop_requested = async {
            loop {
                if let Some(reason) = *stop.borrow_and_update() {
                    return reason;
                }
                if stop.changed().await.is_err() {
                    // The sender is gone: nobody can stop this run any more.
                    std::future::pending::<()>().await;
                }
            }
        };
        let ending = tokio::select! {
            status = self.child.wait() => match status {
                Ok(status) => Ending::Exited(status),
                Err(e) => {
                    tracing::error!(error = %e, "waiting for the process failed");
                    Ending::Exited(ExitStatus::from_raw(1 << 8))
                }
            },
            () = tokio::time::sleep(timeout) => Ending::TimedOut,
            limit = stalled => Ending::Stalled(limit),
            reason = stop_requested => Ending::Stopped(reason),
        };
        if !matches!(ending, Ending::Exited(_)) {
            self.terminate(grace).await;
        }
        // Grandchildren may still hold the pipes open: the group goes with its leader,
        // and so does any process of the run that left the group.
        signal_group(self.pgid, Signal::SIGKILL);
        let id = self.execution_id.clone();
        let escaped = tokio::task::spawn_blocking(move || crate::recovery::kill_marked(&id)).await.unwrap_or(0);
        if escaped > 0 {
            tracing::warn!(execution_id = %self.execution_id, killed = escaped, "killed processes of a run that had left its process group");
        }
        ending
    }

    async fn terminate(&mut self, grace: Duration) {
        signal_group(self.pgid, Signal::SIGTERM);
        if tokio::time::timeout(grace, self.child.wait()).await.is_err() {
            signal_group(self.pgid, Signal::SIGKILL);
            if let Err(e) = self.child.wait().await {
                tracing::warn!(error = %e, "waiting for a killed process failed");
            }
        }
    }
}

async fn read_lines<R: AsyncRead + Unpin>(
    pipe: R,
    stream: LogStream,
    lines: mpsc::Sender<(LogStream, String)>,
    activity: Arc<Notify>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, pipe);
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match read_capped_line(&mut reader, &mut buf).await {
            Ok(0) => return,
            Ok(_) => {
                activity.notify_one();
                let mut text = String::from_utf8_lossy(&buf).into_owned();
                while text.ends_with('\n') || text.ends_with('\r') {
                    text.pop();
                }
                if lines.send((stream, text)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, stream = stream.as_str(), "reading the process output failed");
                return;
            }
        }
    }
}

/// Reads one line into `buf`, keeping at most [`MAX_LINE_BYTES`] of it.
async fn read_capped_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let len = chunk.len();
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..len.min(room)]);
        total += len;
        reader.consume(len);
        if done {
            if total > MAX_LINE_BYTES {
                buf.extend_from_slice(format!(" … [line truncated: {total} bytes]").as_bytes());
            }
            return Ok(total);
        }
    }
}

/// Finds `program` on `path_env` (or checks it when it is a path).
#[must_use]
pub fn which(program: &str, path_env: &OsString) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    std::env::split_paths(path_env).map(|dir| dir.join(program)).find(|p| executable(p))
}
