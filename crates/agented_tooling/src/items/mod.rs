//! Skills, commands, hooks and rules: stored, versioned, given to runs.

pub mod model;
pub mod service;
