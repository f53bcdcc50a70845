//! `TriggerService`: the trigger use cases (create, change, delete, project
//! paths). It owns ids, `next_run_at`, the predefined rule, and asks the
//! other domains about backends and chains through [`SettingsCheck`].

use crate::fallback::FallbackEntry;
use crate::patch::TriggerPatch;
use crate::ports::{TriggerRepository, TriggerStoreError, TriggerWriteError};
use crate::schedule::{next_run_after_change, next_run_at};
use crate::trigger::{FieldErrors, ProjectPath, Trigger, TriggerPath, TriggerSettings};
use crate::verdict::{MatchVerdict, verdict};
use agented_kernel::{Clock, TriggerId};
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;

/// What the other domains say of a trigger's settings: whether its custom backend
/// exists and its fallback chain names existing backends and accounts.
#[async_trait]
pub trait SettingsCheck: Send + Sync {
    /// Field → message for each problem; empty when the settings may be stored.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn problems(&self, settings: &TriggerSettings) -> Result<FieldErrors, TriggerStoreError>;

    /// Field → message for each problem of a fallback chain alone.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn chain_problems(&self, chain: &[FallbackEntry]) -> Result<FieldErrors, TriggerStoreError>;
}

/// Why a trigger use case failed.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// No trigger has this id.
    #[error("trigger not found")]
    NotFound,
    /// The trigger does not have that project path.
    #[error("the trigger has no such path")]
    NoSuchPath,
    /// Field → message.
    #[error("invalid trigger settings")]
    Invalid(FieldErrors),
    /// Another trigger has this name.
    #[error("a trigger named '{0}' already exists")]
    DuplicateName(String),
    /// Predefined triggers stay.
    #[error("predefined triggers cannot be deleted; disable it instead")]
    Predefined,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] TriggerStoreError),
}

impl From<TriggerWriteError> for TriggerError {
    fn from(e: TriggerWriteError) -> Self {
        match e {
            TriggerWriteError::DuplicateName(name) => Self::DuplicateName(name),
            TriggerWriteError::NotFound => Self::NotFound,
            TriggerWriteError::Store(e) => Self::Store(e),
        }
    }
}

/// A requested project path: exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathRequest {
    /// An existing absolute directory.
    pub local_project_path: Option<String>,
    /// A repository URL.
    pub github_repo_url: Option<String>,
}

impl PathRequest {
    /// The path or URL given, as stored paths spell it (trimmed, no trailing `/`).
    #[must_use]
    pub fn raw(&self) -> Option<&str> {
        self.local_project_path.as_deref().or(self.github_repo_url.as_deref()).map(|p| p.trim().trim_end_matches('/'))
    }

    /// The path it names.
    ///
    /// # Errors
    /// Field → message.
    pub fn parse(&self) -> Result<ProjectPath, FieldErrors> {
        let one =
            |field: &str, r: Result<ProjectPath, String>| r.map_err(|e| FieldErrors::from([(field.to_owned(), e)]));
        match (&self.local_project_path, &self.github_repo_url) {
            (Some(local), None) => one("local_project_path", ProjectPath::local(local)),
            (None, Some(url)) => one("github_repo_url", ProjectPath::repository(url)),
            _ => Err(FieldErrors::from([(
                "path".to_owned(),
                "give exactly one of local_project_path or github_repo_url".to_owned(),
            )])),
        }
    }
}

/// A change asked of a trigger: its patch, project paths (new triggers only), and the
/// problems already found while reading the request, reported with the others.
#[derive(Debug, Default)]
pub struct TriggerChange {
    /// The settings to set.
    pub patch: TriggerPatch,
    /// Paths to add with a new trigger.
    pub paths: Vec<PathRequest>,
    /// Field → message found before.
    pub invalid: FieldErrors,
}

/// The trigger use cases.
#[derive(Clone)]
pub struct TriggerService {
    triggers: Arc<dyn TriggerRepository>,
    checks: Arc<dyn SettingsCheck>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TriggerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerService").finish_non_exhaustive()
    }
}

impl TriggerService {
    /// The service over its ports.
    #[must_use]
    pub fn new(triggers: Arc<dyn TriggerRepository>, checks: Arc<dyn SettingsCheck>, clock: Arc<dyn Clock>) -> Self {
        Self { triggers, checks, clock }
    }

    /// Every trigger, predefined first, then by name.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<Trigger>, TriggerError> {
        Ok(self.triggers.list().await?)
    }

    /// The trigger with id `id` (any spelling that is not an id is simply not found).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &str) -> Result<Trigger, TriggerError> {
        let id = TriggerId::parse(id).map_err(|_| TriggerError::NotFound)?;
        self.triggers.get(&id).await?.ok_or(TriggerError::NotFound)
    }

    /// A trigger's project paths, oldest first.
    ///
    /// # Errors
    /// `Store`.
    pub async fn paths(&self, id: &TriggerId) -> Result<Vec<TriggerPath>, TriggerError> {
        Ok(self.triggers.paths(id).await?)
    }

    /// Creates a trigger with its first project paths.
    ///
    /// # Errors
    /// `Invalid` (every problem at once), `DuplicateName`, `Store`.
    pub async fn create(&self, change: TriggerChange) -> Result<Trigger, TriggerError> {
        let TriggerChange { patch, paths, mut invalid } = change;
        let settings = patch.apply(&TriggerSettings::default()).unwrap_or_else(|e| {
            invalid.extend(e);
            TriggerSettings::default()
        });
        let mut parsed = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            match path.parse() {
                Ok(p) => parsed.push(p),
                Err(e) => invalid.extend(e.into_iter().map(|(k, v)| (format!("paths.{i}.{k}"), v))),
            }
        }
        self.check(&settings, invalid).await?;
        let now = self.clock.now();
        let next_run_at = next_run_at(&settings, now);
        Ok(self.triggers.insert(&TriggerId::generate(), &settings, next_run_at, &parsed, now).await?)
    }

    /// Changes some of a trigger's settings (paths change through their own calls).
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `DuplicateName`, `Store`.
    pub async fn update(&self, id: &str, change: TriggerChange) -> Result<Trigger, TriggerError> {
        let trigger = self.get(id).await?;
        let TriggerChange { patch, paths, mut invalid } = change;
        // A fetched trigger sent back carries its paths: those are welcome, any change is not.
        if !paths.is_empty() {
            let current: Vec<String> =
                self.triggers.paths(&trigger.id).await?.iter().map(|p| p.path.as_str().to_owned()).collect();
            if !paths.iter().all(|p| p.raw().is_some_and(|raw| current.iter().any(|c| c == raw))) {
                return Err(TriggerError::Invalid(FieldErrors::from([(
                    "paths".to_owned(),
                    "change paths with /admin/triggers/{id}/paths".to_owned(),
                )])));
            }
        }
        let settings = patch.apply(&trigger.settings).unwrap_or_else(|e| {
            invalid.extend(e);
            trigger.settings.clone()
        });
        self.check(&settings, invalid).await?;
        let next_run_at = next_run_after_change(Some(&trigger), &settings, self.clock.now());
        Ok(self.triggers.update(&trigger.id, &settings, next_run_at).await?)
    }

    /// Reports `invalid` and, when the settings are otherwise valid, what the other domains find.
    async fn check(&self, settings: &TriggerSettings, mut invalid: FieldErrors) -> Result<(), TriggerError> {
        if invalid.is_empty() {
            invalid = self.checks.problems(settings).await?;
        }
        if invalid.is_empty() { Ok(()) } else { Err(TriggerError::Invalid(invalid)) }
    }

    /// Deletes a trigger (its executions stay as history).
    ///
    /// # Errors
    /// `NotFound`, `Predefined`, `Store`.
    pub async fn delete(&self, id: &str) -> Result<Trigger, TriggerError> {
        let trigger = self.get(id).await?;
        if trigger.is_predefined {
            return Err(TriggerError::Predefined);
        }
        self.triggers.delete(&trigger.id).await?;
        Ok(trigger)
    }

    /// Replaces a trigger's fallback chain; runs queued from then on use it.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Store`.
    pub async fn set_chain(&self, id: &str, chain: Vec<FallbackEntry>) -> Result<Trigger, TriggerError> {
        let trigger = self.get(id).await?;
        let problems = self.checks.chain_problems(&chain).await?;
        if !problems.is_empty() {
            return Err(TriggerError::Invalid(problems));
        }
        let mut settings = trigger.settings;
        settings.fallback_chain = chain;
        Ok(self.triggers.update(&trigger.id, &settings, trigger.next_run_at).await?)
    }

    /// Whether `payload` (with GitHub's `event`) would run trigger `id`; starts nothing.
    ///
    /// # Errors
    /// `NotFound`, `Invalid` (not an object, no event for a GitHub trigger), `Store`.
    pub async fn test_match(
        &self,
        id: &str,
        payload: &Value,
        event: Option<&str>,
    ) -> Result<MatchVerdict, TriggerError> {
        let trigger = self.get(id).await?;
        verdict(&trigger.settings, payload, event).map_err(TriggerError::Invalid)
    }

    /// Adds a project path to a trigger.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Store`.
    pub async fn add_path(&self, id: &str, path: &PathRequest) -> Result<TriggerPath, TriggerError> {
        let trigger = self.get(id).await?;
        let path = path.parse().map_err(TriggerError::Invalid)?;
        Ok(self.triggers.add_path(&trigger.id, &path, self.clock.now()).await?)
    }

    /// Removes a project path, named as when it was added.
    ///
    /// # Errors
    /// `NotFound`, `NoSuchPath`, `Store`.
    pub async fn remove_path(&self, id: &str, path: &PathRequest) -> Result<(), TriggerError> {
        let trigger = self.get(id).await?;
        let value = path.local_project_path.as_deref().or(path.github_repo_url.as_deref()).unwrap_or_default();
        if self.triggers.remove_path(&trigger.id, value).await? { Ok(()) } else { Err(TriggerError::NoSuchPath) }
    }
}
