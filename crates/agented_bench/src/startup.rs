//! Start-up to readiness and idle memory, each round on a new data folder:
//! the first start (creates the database, migrates, seeds) and a restart on
//! the folder it left, after which the idle server's memory is read.

use crate::server::{Binaries, Server};
use anyhow::Result;
use std::time::Duration;

/// Per round: first start (ms), restart (ms), idle RSS after the restart (MiB).
pub struct Startup {
    pub fresh_ms: Vec<f64>,
    pub restart_ms: Vec<f64>,
    pub idle_rss_mib: Vec<f64>,
}

/// Measures `rounds` first starts and restarts.
///
/// # Errors
/// When a server does not start.
pub fn measure(bins: &Binaries, rounds: usize) -> Result<Startup> {
    let mut out = Startup { fresh_ms: Vec::new(), restart_ms: Vec::new(), idle_rss_mib: Vec::new() };
    for _ in 0..rounds {
        let dir = tempfile::tempdir()?;
        let server = Server::start(bins, dir.path(), &[])?;
        out.fresh_ms.push(server.ready_ms);
        server.stop()?;
        let server = Server::start(bins, dir.path(), &[])?;
        out.restart_ms.push(server.ready_ms);
        // Idle means after start-up has settled: a second with no requests
        // (a deliberate wait, since there is no event for "nothing is happening").
        std::thread::sleep(Duration::from_secs(1));
        out.idle_rss_mib.push(server.rss_mib()?);
        server.stop()?;
    }
    Ok(out)
}
