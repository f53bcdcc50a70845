//! Stream tokens: `EventSource` cannot send headers, so a stream URL carries
//! `?token=`, an HMAC over (path, expiry) with the server's secret key. A token
//! opens one path, for 60 seconds, and cannot be forged without the key.

use crate::SecretKey;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// How long a token stays valid.
pub const TTL_SECONDS: i64 = 60;

/// A token for one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamToken {
    /// `{expiry unix seconds}.{hex HMAC-SHA256}`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not `{expiry}.{signature}`.
    #[error("malformed stream token")]
    Malformed,
    /// Not signed by this server for this path.
    #[error("invalid stream token for this path")]
    BadSignature,
    /// Past its expiry.
    #[error("expired stream token")]
    Expired,
}

fn mac(secret: &SecretKey, path: &str, expiry: i64) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(b"agented-stream\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(expiry.to_string().as_bytes());
    mac
}

impl StreamToken {
    /// Issues a token for `path`, valid [`TTL_SECONDS`] from `now`.
    #[must_use]
    pub fn issue(secret: &SecretKey, path: &str, now: DateTime<Utc>) -> Self {
        let expires_at = now + Duration::seconds(TTL_SECONDS);
        let expiry = expires_at.timestamp();
        let signature = hex::encode(mac(secret, path, expiry).finalize().into_bytes());
        Self {
            token: format!("{expiry}.{signature}"),
            expires_at: Utc.timestamp_opt(expiry, 0).single().unwrap_or(expires_at),
        }
    }

    /// A short name for a verified token (its signature's first 16 hex digits), for counting its uses.
    #[must_use]
    pub fn id_of(token: &str) -> String {
        token.split_once('.').map_or("", |(_, signature)| signature).chars().take(16).collect()
    }

    /// Checks `token` for `path` at `now`; the signature is compared in constant time.
    ///
    /// # Errors
    /// [`TokenError`] saying why it is refused.
    pub fn verify(secret: &SecretKey, path: &str, token: &str, now: DateTime<Utc>) -> Result<(), TokenError> {
        let (expiry, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let expiry: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        let signature = hex::decode(signature).map_err(|_| TokenError::Malformed)?;
        mac(secret, path, expiry).verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
        if now.timestamp() >= expiry {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::parse(&"k".repeat(64)).unwrap()
    }

    const PATH: &str = "/admin/executions/exec-trig-abc123-20261121T000000-abcd/stream";

    #[test]
    fn a_token_opens_its_path_until_it_expires() {
        let now = Utc::now();
        let token = StreamToken::issue(&key(), PATH, now);
        assert_eq!(StreamToken::verify(&key(), PATH, &token.token, now), Ok(()));
        assert_eq!(StreamToken::verify(&key(), PATH, &token.token, now + Duration::seconds(59)), Ok(()));
        assert_eq!(
            StreamToken::verify(&key(), PATH, &token.token, now + Duration::seconds(61)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_does_not_open_another_path() {
        let now = Utc::now();
        let token = StreamToken::issue(&key(), PATH, now);
        let other = PATH.replace("abcd", "wxyz");
        assert_eq!(StreamToken::verify(&key(), &other, &token.token, now), Err(TokenError::BadSignature));
    }

    #[test]
    fn forged_and_malformed_tokens_are_refused() {
        let now = Utc::now();
        let token = StreamToken::issue(&key(), PATH, now);
        let other_key = SecretKey::parse(&"z".repeat(64)).unwrap();
        assert_eq!(StreamToken::verify(&other_key, PATH, &token.token, now), Err(TokenError::BadSignature));
        // Moving the expiry forward breaks the signature.
        let (expiry, sig) = token.token.split_once('.').unwrap();
        let extended = format!("{}.{sig}", expiry.parse::<i64>().unwrap() + 3600);
        assert_eq!(StreamToken::verify(&key(), PATH, &extended, now), Err(TokenError::BadSignature));
        for bad in ["", "abc", "123", "123.zz", ".00"] {
            assert_eq!(StreamToken::verify(&key(), PATH, bad, now), Err(TokenError::Malformed), "{bad:?}");
        }
    }
}
