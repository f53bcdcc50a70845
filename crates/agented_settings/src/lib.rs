//! Settings: named text values clients keep on the server (the Python
//! Agented's `/api/settings`: a theme, a chosen plugin, a working folder). They
//! are the clients' own; the server's configuration stays in its config file
//! and environment and is never read or changed here.
//!
//! Architecture invariant: a domain crate. It knows no framework or database:
//! storage is the [`SettingsRepository`] port, and every key and value is
//! checked by [`SettingKey`] and [`SettingValue`] before it is stored.

#[cfg(feature = "fakes")]
pub mod fakes;
pub mod model;
pub mod ports;
pub mod service;

pub use model::{MAX_KEY_CHARS, MAX_VALUE_BYTES, Setting, SettingKey, SettingValue};
pub use ports::{SettingsRepository, SettingsStoreError};
pub use service::{SettingsError, SettingsService};
