//! Webhook signatures: `sha256=<hex HMAC-SHA256 of the raw body>`, the form
//! GitHub (`X-Hub-Signature-256`) and Agented's generic webhooks
//! (`X-Webhook-Signature-256`) both use. Compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `header` is the signature of `body` under `secret`. A missing,
/// malformed or wrong header is `false`.
#[must_use]
pub fn signature_matches(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else { return false };
    let Ok(expected) = hex::decode(hex_sig) else { return false };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The hex SHA-256 of a body: what a signature covers, so a signed body's identity.
#[must_use]
pub fn body_digest(body: &[u8]) -> String {
    hex::encode(<Sha256 as sha2::Digest>::digest(body))
}

/// The header value for `body` under `secret` (for senders and tests).
#[must_use]
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_github_documentation_example_verifies() {
        // From GitHub's "Validating webhook deliveries".
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(signature_matches(b"It's a Secret to Everybody", b"Hello, World!", Some(header)));
        assert_eq!(sign(b"It's a Secret to Everybody", b"Hello, World!"), header);
    }

    #[test]
    fn wrong_missing_or_malformed_signatures_fail() {
        let good = sign(b"s3cret", b"{}");
        assert!(signature_matches(b"s3cret", b"{}", Some(&good)));
        assert!(!signature_matches(b"other", b"{}", Some(&good)));
        assert!(!signature_matches(b"s3cret", b"{ }", Some(&good)));
        assert!(!signature_matches(b"s3cret", b"{}", None));
        assert!(!signature_matches(b"s3cret", b"{}", Some("sha1=abc")));
        assert!(!signature_matches(b"s3cret", b"{}", Some("sha256=zz")));
        assert!(!signature_matches(b"s3cret", b"{}", Some(&good[..good.len() - 2])));
    }
}
