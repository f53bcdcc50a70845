//! Where runs work, and the privacy of the data directory. Runs execute
//! commands chosen by a model that reads text from outside, so their working
//! directories are kept apart from the data directory (the database with its
//! webhook secrets, the secret key), and those files are readable by the
//! server's user alone.

use sha2::{Digest, Sha256};
use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `path` made absolute against the working directory, without touching the disk.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// The private folder of this user under the temp folder (`agented-<uid>`).
fn user_root() -> PathBuf {
    std::env::temp_dir().join(format!("agented-{}", nix::unistd::getuid()))
}

/// The default run workspace: under the temp folder, private to this user, one per data directory.
#[must_use]
pub fn default_dir(data_dir: &Path) -> PathBuf {
    let digest = hex::encode(Sha256::digest(absolute(data_dir).as_os_str().as_encoded_bytes()));
    user_root().join(&digest[..12]).join("workspace")
}

/// Refuses a workspace inside the data directory, or a data directory inside the workspace.
///
/// # Errors
/// A message saying which contains which.
pub fn check_apart(workspace: &Path, data_dir: &Path) -> Result<(), String> {
    let (workspace, data) = (absolute(workspace), absolute(data_dir));
    if workspace.starts_with(&data) {
        return Err(format!(
            "{} is inside data_dir ({}): runs must not reach the database and secret key",
            workspace.display(),
            data.display()
        ));
    }
    if data.starts_with(&workspace) {
        return Err(format!("{} contains data_dir ({})", workspace.display(), data.display()));
    }
    Ok(())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// Creates the workspace. The default one's `agented-<uid>` folder must be a real
/// folder of this user that nobody else may enter (another user of a shared
/// temp folder could otherwise have made it first).
///
/// # Errors
/// A message naming the folder and the problem.
pub fn prepare(workspace: &Path, is_default: bool) -> Result<(), String> {
    if is_default {
        let root = user_root();
        match DirBuilder::new().mode(0o700).create(&root) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let meta = fs::symlink_metadata(&root).map_err(io(&root))?;
                let ours = meta.is_dir() && meta.uid() == nix::unistd::getuid().as_raw();
                if !ours || meta.mode() & 0o077 != 0 {
                    return Err(format!(
                        "{} is not a folder private to this user; remove it or set runner.workspace_dir",
                        root.display()
                    ));
                }
            }
            Err(e) => return Err(io(&root)(e)),
        }
    }
    DirBuilder::new().recursive(true).mode(0o700).create(workspace).map_err(io(workspace))
}

/// Creates the data directory (mode 0700) or takes group and other access away from it.
///
/// # Errors
/// A message naming the folder.
pub fn private_data_dir(data_dir: &Path) -> Result<PathBuf, String> {
    DirBuilder::new().recursive(true).mode(0o700).create(data_dir).map_err(io(data_dir))?;
    restrict(data_dir, 0o700)?;
    fs::canonicalize(data_dir).map_err(io(data_dir))
}

/// Makes an SQLite file (and its journal files, when present) readable by this user alone,
/// creating it empty when missing so it is never world-readable, even for an instant.
///
/// # Errors
/// A message naming the file.
pub fn private_database(path: &Path) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    OpenOptions::new().create(true).append(true).mode(0o600).open(path).map_err(io(path))?;
    restrict(path, 0o600)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let companion = PathBuf::from(name);
        match restrict(&companion, 0o600) {
            Ok(()) => {}
            // Not there, or removed just now by a closing connection (SQLite deletes them): nothing to restrict.
            Err(_) if !companion.exists() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn restrict(path: &Path, mode: u32) -> Result<(), String> {
    let current = fs::metadata(path).map_err(io(path))?.mode() & 0o777;
    if current & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{current:o}"), "was open to other users; made private");
        fs::set_permissions(path, Permissions::from_mode(mode)).map_err(io(path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_workspace_is_outside_the_data_directory_and_one_per_data_directory() {
        let a = default_dir(Path::new("/srv/agented/data"));
        let b = default_dir(Path::new("/srv/other/data"));
        assert_ne!(a, b);
        assert!(a.starts_with(std::env::temp_dir()));
        assert_eq!(check_apart(&a, Path::new("/srv/agented/data")), Ok(()));
    }

    #[test]
    fn a_workspace_inside_the_data_directory_is_refused_and_so_is_the_reverse() {
        let inside = check_apart(Path::new("/srv/data/workspace"), Path::new("/srv/data")).unwrap_err();
        assert!(inside.contains("inside data_dir"), "{inside}");
        assert!(check_apart(Path::new("/srv"), Path::new("/srv/data")).is_err());
        assert!(check_apart(Path::new("/srv/data"), Path::new("/srv/data")).is_err());
        assert_eq!(check_apart(Path::new("/srv/work"), Path::new("/srv/data")), Ok(()));
    }

    #[test]
    fn database_files_are_created_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub/agented.db");
        private_database(&db).unwrap();
        assert_eq!(fs::metadata(&db).unwrap().mode() & 0o777, 0o600);
        let wal = dir.path().join("sub/agented.db-wal");
        fs::write(&wal, b"").unwrap();
        fs::set_permissions(&wal, Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        private_database(&db).unwrap();
        assert_eq!(fs::metadata(&db).unwrap().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&wal).unwrap().mode() & 0o777, 0o600);
        let data = private_data_dir(&dir.path().join("data")).unwrap();
        assert_eq!(fs::metadata(data).unwrap().mode() & 0o777, 0o700);
    }
}
