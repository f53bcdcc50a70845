//! Caps on open live streams, per credential (an API key or one stream token)
//! and per client, so one token or one address cannot hold unlimited sockets.
//! A slot is held by the stream's task and given back when it ends.

use crate::error::ApiError;
use crate::rate_limit::client_subject;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, web};
use agented_auth::Principal;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// How many streams may be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamCaps {
    /// Per API key or stream token.
    pub per_credential: usize,
    /// Per client (IPv4 address or IPv6 /64).
    pub per_client: usize,
}

impl Default for StreamCaps {
    fn default() -> Self {
        Self { per_credential: 50, per_client: 200 }
    }
}

#[derive(Debug, Default)]
struct Counts {
    credentials: HashMap<String, usize>,
    clients: HashMap<IpAddr, usize>,
}

/// The open streams, counted.
#[derive(Debug, Default)]
pub struct StreamSlots {
    caps: StreamCaps,
    trusted_proxies: Vec<IpAddr>,
    counts: Arc<Mutex<Counts>>,
}

/// Which cap a refused stream hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamCapReached {
    /// The credential has its cap of streams open.
    #[error("this credential already has {0} live streams open; close one first")]
    Credential(usize),
    /// The client has its cap of streams open.
    #[error("this address already has {0} live streams open; close one first")]
    Client(usize),
}

/// One open stream; dropping it frees the slot.
#[derive(Debug)]
pub struct StreamSlot {
    credential: String,
    client: Option<IpAddr>,
    counts: Arc<Mutex<Counts>>,
}

impl StreamSlots {
    /// Slots under `caps`; clients behind `trusted_proxies` are told apart by `X-Forwarded-For`.
    #[must_use]
    pub fn new(caps: StreamCaps, trusted_proxies: Vec<IpAddr>) -> Self {
        Self { caps, trusted_proxies, counts: Arc::default() }
    }

    /// Takes a slot for the stream `req` opens, as the caller the gate admitted.
    ///
    /// # Errors
    /// 429 `too_many_streams` when the credential or the client has its cap open already.
    pub fn open(req: &HttpRequest) -> Result<StreamSlot, ApiError> {
        let principal =
            req.extensions().get::<Principal>().cloned().ok_or_else(|| ApiError::unauthorized("no caller"))?;
        let slots = req.app_data::<web::Data<Self>>().ok_or_else(|| ApiError::internal(&"stream slots missing"))?;
        slots.acquire(principal.credential_key(), client_subject(req, &slots.trusted_proxies)).map_err(|e| {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_streams", e.to_string()).with_retry_after(5)
        })
    }

    /// How many streams are open now.
    #[must_use]
    pub fn open_streams(&self) -> usize {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).credentials.values().sum()
    }

    /// Takes a slot for a stream opened by `credential` from `client`.
    ///
    /// # Errors
    /// [`StreamCapReached`] when either has its cap open already.
    pub fn acquire(&self, credential: String, client: Option<IpAddr>) -> Result<StreamSlot, StreamCapReached> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.credentials.get(&credential).copied().unwrap_or(0) >= self.caps.per_credential {
            return Err(StreamCapReached::Credential(self.caps.per_credential));
        }
        if let Some(ip) = client
            && counts.clients.get(&ip).copied().unwrap_or(0) >= self.caps.per_client
        {
            return Err(StreamCapReached::Client(self.caps.per_client));
        }
        *counts.credentials.entry(credential.clone()).or_default() += 1;
        if let Some(ip) = client {
            *counts.clients.entry(ip).or_default() += 1;
        }
        Ok(StreamSlot { credential, client, counts: self.counts.clone() })
    }
}

fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        release(&mut counts.credentials, &self.credential);
        if let Some(ip) = self.client {
            release(&mut counts.clients, &ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_credential_and_client_has_its_cap_and_closed_streams_free_their_slot() {
        let slots = StreamSlots::new(StreamCaps { per_credential: 2, per_client: 3 }, Vec::new());
        let here: Option<IpAddr> = "10.0.0.1".parse().ok();
        let a1 = slots.acquire("key:a".into(), here).unwrap();
        let _a2 = slots.acquire("key:a".into(), here).unwrap();
        assert_eq!(slots.acquire("key:a".into(), here).unwrap_err(), StreamCapReached::Credential(2));
        let _b1 = slots.acquire("key:b".into(), here).unwrap();
        assert_eq!(slots.acquire("key:b".into(), here).unwrap_err(), StreamCapReached::Client(3));
        assert!(slots.acquire("key:b".into(), "10.0.0.2".parse().ok()).is_ok(), "another client has its own");
        drop(a1);
        assert!(slots.acquire("key:a".into(), here).is_ok(), "a closed stream gives its slot back");
    }
}
