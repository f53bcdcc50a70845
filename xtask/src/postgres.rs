//! A throwaway PostgreSQL cluster for the tests: `initdb` under `target/`, a
//! free loopback port, trust authentication, stopped and deleted on drop.
//! Debian's `postgresql` package provides the binaries (`.ci/run` installs it).

use anyhow::{Context, Result, bail};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running cluster.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    as_postgres: bool,
}

/// The folder of `initdb` and `pg_ctl`: on PATH, else Debian's newest
/// `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).context(
        "PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does), or put initdb and pg_ctl on PATH",
    )
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl Cluster {
    /// Creates and starts a cluster in a fresh folder under `target/`.
    ///
    /// # Errors
    /// When the binaries are missing or initdb or the server fails (its log is in the error).
    pub fn start(target: &Path) -> Result<Self> {
        let bin = bin_dir()?;
        // initdb refuses to run as root: then the cluster belongs to the `postgres` user.
        let as_postgres = is_root();
        // A cluster left by an interrupted run (its xtask killed before it could stop it) goes first.
        for stale in std::fs::read_dir(target).into_iter().flatten().filter_map(Result::ok) {
            if stale.file_name().to_string_lossy().starts_with("pg-test-") {
                drop(Self { bin: bin.clone(), dir: stale.path(), url: String::new(), as_postgres });
            }
        }
        let dir = target.join(format!("pg-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut cluster = Self { bin, dir, url: String::new(), as_postgres };
        if as_postgres {
            cluster.run_checked(
                "chown",
                &["-R".into(), "postgres:postgres".into(), cluster.dir.display().to_string()],
                false,
            )?;
        }
        let data = cluster.dir.join("data").display().to_string();
        let initdb = cluster.bin.join("initdb").display().to_string();
        cluster.run_checked(
            &initdb,
            &["-D".into(), data.clone(), "-U".into(), "postgres".into(), "--auth=trust".into(), "--no-sync".into()],
            true,
        )?;
        let port = free_port()?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            cluster.dir.display()
        );
        let log = cluster.dir.join("server.log").display().to_string();
        let pg_ctl = cluster.bin.join("pg_ctl").display().to_string();
        cluster
            .run_checked(
                &pg_ctl,
                &["-D".into(), data, "-o".into(), options, "-l".into(), log.clone(), "-w".into(), "start".into()],
                true,
            )
            .with_context(|| format!("the server log says:\n{}", std::fs::read_to_string(&log).unwrap_or_default()))?;
        cluster.url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Ok(cluster)
    }

    fn run_checked(&self, program: &str, args: &[String], as_owner: bool) -> Result<()> {
        let mut command = if as_owner && self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        };
        // The cluster's own folder, readable by its owner whatever the caller's folder is.
        let out = command.args(args).current_dir(&self.dir).output().with_context(|| format!("starting {program}"))?;
        if !out.status.success() {
            bail!("{program} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let data = self.dir.join("data").display().to_string();
        let args = ["-D".to_owned(), data, "-m".into(), "immediate".into(), "-w".into(), "stop".into()];
        if let Err(e) = self.run_checked(&pg_ctl, &args, true) {
            eprintln!("warning: stopping the test PostgreSQL cluster: {e:#}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
