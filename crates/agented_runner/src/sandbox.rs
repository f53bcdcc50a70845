//! `runner.sandbox = "bubblewrap"`: each CLI runs under `bwrap` and sees its
//! working folders (read-write), its own configuration (the account's folder
//! or the CLI's folders in `HOME`, read-write), the CLI's installation and the
//! system (read-only), and a private `/tmp` — no other path of the host, so
//! not the data folder, other runs' workspaces or the rest of `HOME`. It keeps
//! the network: the CLIs need their APIs. No PID namespace, so the run's
//! process group, and with it the stop and kill logic, stays as it is.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// System folders every run sees, read-only (missing ones are skipped).
const SYSTEM: [&str; 7] = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/run/systemd/resolve"];

/// The configuration each CLI keeps in `HOME` (account folders are given by variable instead).
const CLI_HOME_ENTRIES: [&str; 7] =
    [".claude", ".claude.json", ".codex", ".gemini", ".config/opencode", ".local/share/opencode", ".npm"];

/// The variables naming an account's configuration folder.
const CONFIG_VARS: [&str; 5] =
    ["CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "XDG_DATA_HOME", "AGENTED_ACCOUNT_CONFIG_DIR"];

/// The sandbox of every run of this worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    /// The `bwrap` program.
    pub bwrap: PathBuf,
    /// Folders a CLI's installation lives in besides the system's (`runner.extra_path`), read-only.
    pub installations: Vec<PathBuf>,
}

impl Sandbox {
    /// `bwrap`'s arguments, up to and including `--`, to run `program` in `cwd` with `env`,
    /// writing only in `cwd` and `writable`.
    #[must_use]
    pub fn args(
        &self,
        program: &Path,
        cwd: &Path,
        writable: &[PathBuf],
        env: &BTreeMap<String, String>,
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        for dir in SYSTEM {
            bind(&mut args, "--ro-bind-try", Path::new(dir));
        }
        args.extend(["--proc".into(), "/proc".into(), "--dev".into(), "/dev".into(), "--tmpfs".into(), "/tmp".into()]);
        let home = env.get("HOME").map(PathBuf::from).filter(|h| h.is_absolute() && !is_system(h));
        if let Some(home) = &home {
            args.extend(["--tmpfs".into(), home.into()]);
        }
        // The CLI's installation: the folder it is linked from and the one the link points into.
        let canonical = std::fs::canonicalize(program).unwrap_or_else(|_| program.to_owned());
        let installs = self
            .installations
            .iter()
            .cloned()
            .chain([program, &canonical].into_iter().filter_map(|p| p.parent().map(Path::to_path_buf)));
        for dir in installs.filter(|d| !is_system(d)) {
            bind(&mut args, "--ro-bind-try", &dir);
        }
        // Its own configuration: the account's folder, else the CLI's entries in HOME.
        let account: Vec<PathBuf> = CONFIG_VARS.iter().filter_map(|v| env.get(*v)).map(PathBuf::from).collect();
        let config: Vec<PathBuf> = if account.is_empty() {
            home.iter().flat_map(|h| CLI_HOME_ENTRIES.iter().map(move |e| h.join(e))).collect()
        } else {
            account
        };
        for path in config.iter().chain(std::iter::once(&cwd.to_path_buf())).chain(writable) {
            bind(&mut args, "--bind-try", path);
        }
        args.extend(["--chdir".into(), cwd.into(), "--die-with-parent".into(), "--".into(), program.into()]);
        args
    }
}

/// `FLAG path path`: the host's `path` at the same place inside.
fn bind(args: &mut Vec<OsString>, flag: &str, path: &Path) {
    args.extend([flag.into(), path.into(), path.into()]);
}

fn is_system(path: &Path) -> bool {
    path == Path::new("/") || SYSTEM.iter().any(|s| path.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(args: &[OsString]) -> String {
        args.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_run_sees_its_folders_and_config_and_a_private_tmp_and_home() {
        let sandbox = Sandbox { bwrap: "/usr/bin/bwrap".into(), installations: vec!["/opt/clis/bin".into()] };
        let env = BTreeMap::from([("HOME".to_owned(), "/home/ann".to_owned())]);
        let args = text(&sandbox.args(
            Path::new("/opt/clis/bin/claude"),
            Path::new("/w/exec-1/api"),
            &["/w/exec-1/web".into()],
            &env,
        ));
        assert!(args.contains("--tmpfs /tmp --tmpfs /home/ann"), "{args}");
        assert!(args.contains("--ro-bind-try /opt/clis/bin /opt/clis/bin"), "{args}");
        assert!(args.contains("--bind-try /home/ann/.claude /home/ann/.claude"), "{args}");
        assert!(
            args.contains("--bind-try /w/exec-1/api /w/exec-1/api --bind-try /w/exec-1/web /w/exec-1/web"),
            "{args}"
        );
        assert!(args.ends_with("--chdir /w/exec-1/api --die-with-parent -- /opt/clis/bin/claude"), "{args}");
        assert!(!args.contains("--unshare-net"), "the CLIs keep the network");
    }

    #[test]
    fn an_accounts_folder_replaces_the_clis_home_entries() {
        let sandbox = Sandbox { bwrap: "/usr/bin/bwrap".into(), installations: Vec::new() };
        let env = BTreeMap::from([
            ("HOME".to_owned(), "/home/ann".to_owned()),
            ("CLAUDE_CONFIG_DIR".to_owned(), "/srv/accounts/team".to_owned()),
        ]);
        let args = text(&sandbox.args(Path::new("/usr/bin/claude"), Path::new("/w/x"), &[], &env));
        assert!(args.contains("--bind-try /srv/accounts/team /srv/accounts/team"), "{args}");
        assert!(!args.contains("/home/ann/.claude"), "{args}");
        assert!(!args.contains("--ro-bind-try /usr/bin /usr/bin"), "system folders are bound once: {args}");
    }
}
