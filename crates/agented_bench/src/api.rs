//! `GET /admin/triggers` under load: the dashboard's most frequent request,
//! against a server holding 50 triggers.

use crate::http::Api;
use crate::load::{Round, closed_loop};
use anyhow::{Result, bail};
use serde_json::json;
use std::time::Duration;

/// Triggers stored before measuring.
pub const TRIGGERS: usize = 50;
/// Clients sending at once.
pub const CLIENTS: usize = 8;
/// Length of each round.
pub const ROUND: Duration = Duration::from_secs(3);

/// Stores the triggers the list returns.
///
/// # Errors
/// When one cannot be created.
pub fn seed(api: &Api) -> Result<()> {
    for n in 0..TRIGGERS {
        let body = json!({ "name": format!("bench list {n}"), "prompt_template": "Review {message} for trigger {n}" });
        api.expect("POST", "/admin/triggers", Some(&body), 201)?;
    }
    Ok(())
}

/// One round of listing.
///
/// # Errors
/// A failed request.
pub async fn round(api: &Api) -> Result<Round> {
    let url = api.url("/admin/triggers");
    let key = api.key.clone();
    closed_loop(CLIENTS, ROUND, move |client, _| {
        let request = client.get(&url).header("x-api-key", &key);
        async move {
            let res = request.send().await?;
            if res.status() != 200 {
                bail!("GET /admin/triggers: {}", res.status());
            }
            res.bytes().await?;
            Ok(())
        }
    })
    .await
}
