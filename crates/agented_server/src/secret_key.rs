//! The secret key: `SECRET_KEY` when set, otherwise generated once into
//! `<data_dir>/secret_key` (mode 0600) and read back on every later start.

use agented_auth::SecretKey;
use std::fs::{self, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The key file's name inside the data folder.
pub const FILE_NAME: &str = "secret_key";

/// The key could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyFileError {
    /// Reading, writing or creating the file failed.
    #[error("secret key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file (or `SECRET_KEY`) does not hold a usable key.
    #[error("secret key from {origin}: {source}")]
    Invalid {
        /// Where the key came from.
        origin: String,
        /// What is wrong with it.
        source: agented_auth::SecretKeyError,
    },
    /// No randomness was available.
    #[error("cannot generate a secret key: {0}")]
    Random(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SecretKeyFileError + '_ {
    move |source| SecretKeyFileError::Io { path: path.to_owned(), source }
}

/// Returns the configured key, or the one stored in `data_dir`, creating it on first use.
///
/// # Errors
/// [`SecretKeyFileError`] when the configured or stored key is invalid or the file cannot be written.
pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<SecretKey, SecretKeyFileError> {
    if let Some(key) = configured {
        return SecretKey::parse(key)
            .map_err(|source| SecretKeyFileError::Invalid { origin: "SECRET_KEY".into(), source });
    }
    let path = data_dir.join(FILE_NAME);
    if !path.exists() {
        create(&path)?;
    }
    read(&path)
}

fn read(path: &Path) -> Result<SecretKey, SecretKeyFileError> {
    let mode = fs::metadata(path).map_err(io_err(path))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "secret key file was readable by others; setting mode 0600");
        fs::set_permissions(path, Permissions::from_mode(0o600)).map_err(io_err(path))?;
    }
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    SecretKey::parse(&text).map_err(|source| SecretKeyFileError::Invalid { origin: path.display().to_string(), source })
}

/// Writes a fresh key to a private temporary file, then links it into place:
/// the key file appears whole or not at all, and if two processes race, the
/// first link wins and both read the same key.
fn create(path: &Path) -> Result<(), SecretKeyFileError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SecretKeyFileError::Random(e.to_string()))?;
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let mut file =
        OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(io_err(&tmp))?;
    file.write_all(hex::encode(bytes).as_bytes()).and_then(|()| file.sync_all()).map_err(io_err(&tmp))?;
    drop(file);
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a new secret key");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_private_and_the_same_on_every_start() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = load_or_create(None, &data).unwrap();
        let path = data.join(FILE_NAME);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap().len(), 64);
        let second = load_or_create(None, &data).unwrap();
        assert_eq!(first, second);
        let leftovers: Vec<_> = fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, [FILE_NAME], "no temporary file may be left behind");
    }

    #[test]
    fn a_configured_key_is_used_and_no_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let key = "s".repeat(40);
        let loaded = load_or_create(Some(&key), dir.path()).unwrap();
        assert_eq!(loaded.expose(), key.as_bytes());
        assert!(!dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn a_key_file_readable_by_others_is_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "k".repeat(64)).unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        load_or_create(None, dir.path()).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_damaged_key_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "short").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        let err = load_or_create(None, dir.path()).unwrap_err();
        assert!(err.to_string().contains("too short"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "short");
    }
}
