//! MCP servers: the model, the presets and the handshake.

pub mod handshake;
pub mod model;
pub mod presets;
