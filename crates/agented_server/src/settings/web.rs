//! `[web]`: the built dashboard the server serves at `/`.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    dist_dir: PathBuf,
}

/// The folder holding the built dashboard (`web/dist`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebDist(pub PathBuf);

impl From<RawWeb> for WebDist {
    fn from(raw: RawWeb) -> Self {
        Self(raw.dist_dir)
    }
}
