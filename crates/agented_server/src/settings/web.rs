//! `[web]`: where the dashboard served at `/` comes from.

use agented_http::static_files::Dashboard;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    dist_dir: Option<PathBuf>,
}

/// The files built into the binary, unless `dist_dir` names a folder (empty: built in).
impl From<RawWeb> for Dashboard {
    fn from(raw: RawWeb) -> Self {
        match raw.dist_dir {
            Some(dir) if !dir.as_os_str().is_empty() => Self::Folder(dir),
            _ => Self::Embedded,
        }
    }
}
