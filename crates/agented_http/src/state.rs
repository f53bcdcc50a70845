//! What handlers share: ports and settings, built once by the server.

use agented_kernel::DatabaseHealth;
use std::path::PathBuf;
use std::sync::Arc;

/// Shared handler state.
#[derive(Clone)]
pub struct AppState {
    /// Readiness probe of the database.
    pub database: Arc<dyn DatabaseHealth>,
    /// Folder holding the built dashboard (`web/dist`).
    pub web_dist: PathBuf,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("web_dist", &self.web_dist).finish_non_exhaustive()
    }
}
