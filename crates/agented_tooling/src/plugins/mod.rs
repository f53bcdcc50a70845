//! Plugins: Claude Code's bundles of skills, commands and hooks, imported from a
//! folder, a git repository or a marketplace, and exported to the same layout.

pub mod layout;
pub mod model;
pub mod service;
