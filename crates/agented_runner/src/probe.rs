//! `BackendProbe`: finds CLIs on the runner's `PATH` and asks their `--version`.

use crate::process::which;
use agented_executions::{BackendProbe, Detection};
use agented_kernel::Clock;
use async_trait::async_trait;
use std::collections::HashMap;
use std::ffi::OsString;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long `--version` may take (some CLIs start a Node runtime).
const VERSION_TIMEOUT: Duration = Duration::from_secs(15);

/// Detects CLIs, caching each result until asked to re-detect.
#[derive(Clone)]
pub struct PathProbe {
    path_env: OsString,
    clock: Arc<dyn Clock>,
    cache: Arc<Mutex<HashMap<String, Detection>>>,
}

impl std::fmt::Debug for PathProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathProbe").field("path_env", &self.path_env).finish_non_exhaustive()
    }
}

impl PathProbe {
    /// A probe searching `path_env`.
    #[must_use]
    pub fn new(path_env: OsString, clock: Arc<dyn Clock>) -> Self {
        Self { path_env, clock, cache: Arc::default() }
    }

    async fn probe(&self, command: &str) -> Detection {
        let checked_at = self.clock.now();
        let Some(path) = which(command, &self.path_env) else {
            return Detection { is_installed: false, path: None, version: None, checked_at };
        };
        let mut cmd = tokio::process::Command::new(&path);
        cmd.arg("--version")
            .env("PATH", &self.path_env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let version = match cmd.spawn() {
            Ok(child) => match tokio::time::timeout(VERSION_TIMEOUT, child.wait_with_output()).await {
                Ok(Ok(out)) => {
                    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
                    String::from_utf8_lossy(&text).lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_owned)
                }
                _ => None,
            },
            Err(_) => None,
        };
        Detection { is_installed: true, path: Some(path.display().to_string()), version, checked_at }
    }
}

#[async_trait]
impl BackendProbe for PathProbe {
    async fn detection(&self, command: &str) -> Detection {
        let cached = self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(command).cloned();
        match cached {
            Some(d) => d,
            None => self.redetect(command).await,
        }
    }

    async fn redetect(&self, command: &str) -> Detection {
        let detection = self.probe(command).await;
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).insert(command.to_owned(), detection.clone());
        detection
    }
}
