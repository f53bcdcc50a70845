//! The auth domain: the server's secret key and API key scopes.
//!
//! Architecture invariant: pure Rust over `agented_kernel`. No Diesel, actix,
//! apalis or adapter crate; where keys are stored and how requests carry them
//! is the adapters' business.

pub mod scope;
pub mod secret_key;

pub use scope::{ApiScope, UnknownScope};
pub use secret_key::{SecretKey, SecretKeyError};
