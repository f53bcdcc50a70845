//! `PtyTerminals`: each session's program in its own pseudo-terminal, as the
//! leader of a new session and process group, in a folder under the sessions'
//! workspace, with the environment runs get (never the server's secrets).
//! Every process carries `AGENTED_SESSION_ID`, and the leader dies with the
//! server (`setpriv --pdeathsig`), so nothing outlives a session: on stop the
//! group gets SIGHUP, then SIGKILL after the grace; when the leader exits, the
//! rest of the group and every marked process are killed.

use crate::process::{signal_group, which};
use crate::recovery::kill_marked_by;
use agented_kernel::SessionId;
use agented_sessions::{LaunchSpec, TerminalError, TerminalSink, TerminalSize, Terminals};
use async_trait::async_trait;
use nix::sys::signal::Signal;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex as AsyncMutex;

/// The environment variable that marks every process of a session.
pub const MARKER: &str = "AGENTED_SESSION_ID";

/// Bytes read from the terminal at once.
const READ_BYTES: usize = 16 * 1024;
/// Output arriving within this long of a read joins its chunk (fewer, larger rows).
const COALESCE: Duration = Duration::from_millis(15);
/// The largest chunk.
const CHUNK_MAX: usize = 64 * 1024;
/// After the leader exits, what is left in the terminal is read for this long at most.
const DRAIN: Duration = Duration::from_secs(2);

/// Where and how sessions' programs run.
#[derive(Debug, Clone)]
pub struct PtyOptions {
    /// The sessions' workspace; each session's folder is inside it.
    pub root: PathBuf,
    /// `PATH` for the programs (and to find them).
    pub path_env: OsString,
    /// Their environment besides `PATH`, `TERM` and the marker (as runs get it).
    pub env: BTreeMap<String, String>,
    /// util-linux's `setpriv`, when found: the leader then dies with the server.
    pub parent_death: Option<PathBuf>,
    /// Between SIGHUP and SIGKILL on stop.
    pub grace: Duration,
}

struct Live {
    writer: Arc<AsyncMutex<pty_process::OwnedWritePty>>,
    pgid: i32,
}

/// The pseudo-terminals of this server's sessions.
pub struct PtyTerminals {
    options: PtyOptions,
    host: String,
    live: Arc<Mutex<HashMap<SessionId, Live>>>,
}

impl std::fmt::Debug for PtyTerminals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtyTerminals").field("host", &self.host).finish_non_exhaustive()
    }
}

impl PtyTerminals {
    /// Terminals under `options.root`, recorded as run by `host_name` and this process.
    #[must_use]
    pub fn new(options: PtyOptions, host_name: &str) -> Self {
        Self { options, host: format!("{host_name}/{}", std::process::id()), live: Arc::default() }
    }

    /// Whether a session recorded with `host` belongs to a server that is gone: one of
    /// this host (`host_name`) whose process is not alive, or this very process (at
    /// start-up it runs no session yet).
    #[must_use]
    pub fn is_orphan(host: &str, host_name: &str) -> bool {
        let Some((name, pid)) = host.rsplit_once('/') else { return false };
        let Ok(pid) = pid.parse::<i32>() else { return false };
        name == host_name
            && (pid == i32::try_from(std::process::id()).unwrap_or(0)
                || nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) == Err(nix::errno::Errno::ESRCH))
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pgid(&self, id: &SessionId) -> Result<i32, TerminalError> {
        self.live().get(id).map(|l| l.pgid).ok_or(TerminalError::NotHere)
    }

    fn command(&self, program: &Path, spec: &LaunchSpec, folder: &Path) -> pty_process::Command {
        let mut argv: Vec<OsString> = Vec::new();
        if let Some(setpriv) = &self.options.parent_death {
            argv.extend([setpriv.into(), "--pdeathsig".into(), "KILL".into(), "--".into()]);
        }
        argv.push(program.into());
        pty_process::Command::new(&argv[0])
            .args(&argv[1..])
            .args(&spec.launch.args)
            .current_dir(folder)
            .env_clear()
            .env("PATH", &self.options.path_env)
            .envs(&self.options.env)
            .env("TERM", "xterm-256color")
            .env(MARKER, spec.id.as_str())
            .kill_on_drop(false)
    }
}

/// Makes the session's folder (0700) and writes the files it lacks.
fn prepare(root: &Path, spec: &LaunchSpec) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let folder = root.join(&spec.folder);
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&folder)?;
    for (relative, content) in &spec.files {
        let relative = Path::new(relative);
        // The files come from a project's roadmap; a name that climbs out is skipped.
        if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            continue;
        }
        let path = folder.join(relative);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, content)?;
    }
    Ok(folder)
}

#[async_trait]
impl Terminals for PtyTerminals {
    fn host(&self) -> String {
        self.host.clone()
    }

    async fn start(&self, spec: LaunchSpec, sink: Arc<dyn TerminalSink>) -> Result<(), TerminalError> {
        let program = which(&spec.launch.program, &self.options.path_env)
            .ok_or_else(|| TerminalError::ProgramMissing(spec.launch.program.clone()))?;
        let failed = |what: &str, e: &dyn std::fmt::Display| TerminalError::Failed(format!("{what}: {e}"));
        let folder = prepare(&self.options.root, &spec).map_err(|e| failed("the session's folder", &e))?;
        let (pty, pts) = pty_process::open().map_err(|e| failed("no pseudo-terminal", &e))?;
        pty.resize(pty_process::Size::new(spec.size.rows, spec.size.cols))
            .map_err(|e| failed("the terminal's size", &e))?;
        let mut child =
            self.command(&program, &spec, &folder).spawn(pts).map_err(|e| failed("the program did not start", &e))?;
        let pgid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or(0);
        let (reader, writer) = pty.into_split();
        self.live().insert(spec.id.clone(), Live { writer: Arc::new(AsyncMutex::new(writer)), pgid });
        let reading = tokio::spawn(read_output(reader, spec.id.clone(), sink.clone()));
        let live = self.live.clone();
        tokio::spawn(async move {
            let code = child.wait().await.ok().and_then(|s| s.code());
            // The leader is gone: so is the session. Whatever it left behind goes too.
            signal_group(pgid, Signal::SIGKILL);
            kill_marked_by(MARKER, spec.id.as_str());
            let _ = tokio::time::timeout(DRAIN, reading).await;
            live.lock().unwrap_or_else(PoisonError::into_inner).remove(&spec.id);
            sink.ended(&spec.id, code).await;
        });
        Ok(())
    }

    async fn write(&self, id: &SessionId, bytes: &[u8]) -> Result<(), TerminalError> {
        let writer = self.live().get(id).map(|l| l.writer.clone()).ok_or(TerminalError::NotHere)?;
        let mut writer = writer.lock().await;
        writer.write_all(bytes).await.map_err(|e| TerminalError::Failed(format!("the terminal refused input: {e}")))
    }

    async fn resize(&self, id: &SessionId, size: TerminalSize) -> Result<(), TerminalError> {
        let writer = self.live().get(id).map(|l| l.writer.clone()).ok_or(TerminalError::NotHere)?;
        let writer = writer.lock().await;
        writer
            .resize(pty_process::Size::new(size.rows, size.cols))
            .map_err(|e| TerminalError::Failed(format!("the terminal could not be resized: {e}")))
    }

    fn pause(&self, id: &SessionId, paused: bool) -> Result<(), TerminalError> {
        signal_group(self.pgid(id)?, if paused { Signal::SIGSTOP } else { Signal::SIGCONT });
        Ok(())
    }

    fn stop(&self, id: &SessionId) -> Result<(), TerminalError> {
        let pgid = self.pgid(id)?;
        // A hang-up is what a closed terminal sends; a paused group must run to hear it.
        signal_group(pgid, Signal::SIGHUP);
        signal_group(pgid, Signal::SIGCONT);
        let (live, id, grace) = (self.live.clone(), id.clone(), self.options.grace);
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let still = live.lock().unwrap_or_else(PoisonError::into_inner).get(&id).map(|l| l.pgid);
            if still == Some(pgid) {
                signal_group(pgid, Signal::SIGKILL);
            }
        });
        Ok(())
    }

    fn kill_leftovers(&self, ids: &[SessionId]) -> usize {
        ids.iter().map(|id| kill_marked_by(MARKER, id.as_str())).sum()
    }
}

/// Reads the terminal until it closes, handing the sink chunks that never split a character.
async fn read_output(mut reader: pty_process::OwnedReadPty, id: SessionId, sink: Arc<dyn TerminalSink>) {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0_u8; READ_BYTES];
    let mut open = true;
    while open {
        // Linux answers EIO once every holder of the terminal's other side is gone: the end.
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => open = false,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
        while open && pending.len() < CHUNK_MAX {
            match tokio::time::timeout(COALESCE, reader.read(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(0) | Err(_)) => open = false,
                Ok(Ok(n)) => pending.extend_from_slice(&buf[..n]),
            }
        }
        let complete = if open { utf8_prefix(&pending) } else { pending.len() };
        if complete > 0 {
            let text = String::from_utf8_lossy(&pending[..complete]).into_owned();
            pending.drain(..complete);
            sink.output(&id, text).await;
        }
    }
}

/// How much of `bytes` ends on a character boundary (an incomplete last character waits).
fn utf8_prefix(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        // `error_len() == None`: the input ended inside a character.
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_never_ends_inside_a_character() {
        let e_acute = "é".as_bytes();
        assert_eq!(utf8_prefix(b"abc"), 3);
        assert_eq!(utf8_prefix(&[b'a', e_acute[0]]), 1);
        assert_eq!(utf8_prefix(&[b'a', 0xff, b'b']), 3);
    }

    #[test]
    fn only_sessions_of_a_dead_server_on_this_host_are_orphans() {
        let me = format!("here/{}", std::process::id());
        assert!(PtyTerminals::is_orphan(&me, "here"));
        assert!(!PtyTerminals::is_orphan(&me, "elsewhere"));
        assert!(!PtyTerminals::is_orphan("here/1", "here"), "pid 1 lives");
        assert!(PtyTerminals::is_orphan(&format!("here/{}", i32::MAX), "here"));
        assert!(!PtyTerminals::is_orphan("garbage", "here"));
    }
}
