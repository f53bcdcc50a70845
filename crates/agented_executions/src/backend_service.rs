//! `BackendService`: the CLIs Agented can run, with what probing found of each,
//! and the custom command backends a team adds (ids made from their names).

use crate::backends::BUILTIN_BACKENDS;
use crate::command::CustomBackend;
use crate::ports::{BackendDirectory, BackendEntry, BackendProbe, BackendWriteError, Detection, ExecStoreError};
use agented_kernel::Clock;
use agented_triggers::FieldErrors;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A custom backend as asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomBackendRequest {
    /// Display name; the id is made from it.
    pub name: String,
    /// The program.
    pub command: String,
    /// Its arguments (`{prompt}` marks where the prompt goes).
    pub args: Vec<String>,
    /// Variables it gets.
    pub env: BTreeMap<String, String>,
    /// Where it runs when the trigger has no project path.
    pub working_dir: Option<String>,
}

/// Why a custom backend was not created.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Field → message.
    #[error("invalid custom backend")]
    Invalid(FieldErrors),
    /// See [`BackendWriteError`].
    #[error(transparent)]
    Write(#[from] BackendWriteError),
}

/// A backend with its last detection and the models it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendStatus {
    /// The backend.
    pub entry: BackendEntry,
    /// What probing its program found.
    pub detection: Detection,
    /// Models of a built-in CLI.
    pub models: Vec<String>,
}

/// Lists, probes, adds and removes backends.
#[derive(Clone)]
pub struct BackendService {
    directory: Arc<dyn BackendDirectory>,
    probe: Arc<dyn BackendProbe>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for BackendService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendService").finish_non_exhaustive()
    }
}

/// `backend-custom-<slug of the name>`: lower-case letters and digits joined by `-`, at most 40.
#[must_use]
pub fn custom_backend_id(name: &str) -> String {
    let slug = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("backend-custom-{}", if slug.is_empty() { "x".to_owned() } else { slug.chars().take(40).collect() })
}

fn status(entry: BackendEntry, detection: Detection) -> BackendStatus {
    let models = BUILTIN_BACKENDS
        .iter()
        .find(|b| b.id == entry.id)
        .map(|b| b.models.iter().map(|m| (*m).to_owned()).collect())
        .unwrap_or_default();
    BackendStatus { entry, detection, models }
}

impl BackendService {
    /// The service over its ports.
    #[must_use]
    pub fn new(directory: Arc<dyn BackendDirectory>, probe: Arc<dyn BackendProbe>, clock: Arc<dyn Clock>) -> Self {
        Self { directory, probe, clock }
    }

    /// Every backend, built-in first, with its last detection.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn list(&self) -> Result<Vec<BackendStatus>, ExecStoreError> {
        let mut all = Vec::new();
        for entry in self.directory.list().await? {
            let detection = self.probe.detection(&entry.command).await;
            all.push(status(entry, detection));
        }
        Ok(all)
    }

    /// Backend `id` with what is known of its program (probed once, then remembered).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &str) -> Result<BackendStatus, BackendWriteError> {
        let entry = self.directory.get(id).await?.ok_or(BackendWriteError::NotFound)?;
        let detection = self.probe.detection(&entry.command).await;
        Ok(status(entry, detection))
    }

    /// Probes backend `id`'s program again now.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn check(&self, id: &str) -> Result<BackendStatus, BackendWriteError> {
        let entry = self.directory.get(id).await?.ok_or(BackendWriteError::NotFound)?;
        let detection = self.probe.redetect(&entry.command).await;
        Ok(status(entry, detection))
    }

    /// Adds a custom command backend and probes its program.
    ///
    /// # Errors
    /// `Invalid`, a taken name, storage.
    pub async fn create(&self, request: CustomBackendRequest) -> Result<BackendStatus, BackendError> {
        let custom = CustomBackend {
            id: custom_backend_id(&request.name),
            name: request.name.trim().to_owned(),
            command: request.command.trim().to_owned(),
            args: request.args,
            env: request.env,
            working_dir: request.working_dir.filter(|d| !d.trim().is_empty()),
        };
        custom.validate().map_err(BackendError::Invalid)?;
        let entry = self.directory.insert_custom(&custom, self.clock.now()).await?;
        let detection = self.probe.redetect(&entry.command).await;
        Ok(status(entry, detection))
    }

    /// Deletes a custom backend.
    ///
    /// # Errors
    /// `Builtin`, `NotFound`, storage.
    pub async fn delete(&self, id: &str) -> Result<(), BackendWriteError> {
        self.directory.delete_custom(id).await
    }
}
