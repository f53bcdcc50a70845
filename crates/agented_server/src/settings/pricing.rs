//! `[pricing]`: list prices per model, for runs whose CLI reports tokens but no
//! dollars (codex, gemini), and the model assumed per CLI when none is named.

use super::fields::{ConfigError, invalid};
use agented_executions::{ModelPrice, PriceTable};
use agented_kernel::BackendType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A price above this many dollars per million tokens is a typo, not a price.
const MAX_PRICE: f64 = 10_000.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPricing {
    taken_on: String,
    assumed_models: BTreeMap<String, String>,
    models: Vec<PriceEntry>,
}

/// One model's prices, US dollars per million tokens.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEntry {
    /// The model's name as the CLI is given it (`gpt-5-codex`).
    pub model: String,
    /// Input tokens not read from the cache.
    pub input: f64,
    /// Input tokens read from the prompt cache.
    pub cached_input: f64,
    /// Output tokens.
    pub output: f64,
}

/// The price table, as configured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PricingSettings {
    /// When the prices were taken (shown beside estimated costs).
    pub taken_on: String,
    /// The model each CLI is assumed to use when neither the trigger nor its output names one.
    pub assumed_models: BTreeMap<String, String>,
    /// The prices.
    pub models: Vec<PriceEntry>,
}

impl PricingSettings {
    /// The table runs are priced by.
    #[must_use]
    pub fn table(&self) -> PriceTable {
        PriceTable::new(
            self.models.iter().map(|m| {
                (m.model.clone(), ModelPrice { input: m.input, cached_input: m.cached_input, output: m.output })
            }),
            self.assumed_models
                .iter()
                .filter_map(|(cli, model)| Some((cli.parse::<BackendType>().ok()?, model.clone()))),
        )
    }
}

impl TryFrom<RawPricing> for PricingSettings {
    type Error = ConfigError;

    fn try_from(raw: RawPricing) -> Result<Self, ConfigError> {
        let mut seen = std::collections::BTreeSet::new();
        for entry in &raw.models {
            let name = entry.model.trim();
            if name.is_empty() {
                return Err(invalid("pricing.models", "every entry needs a model name"));
            }
            if !seen.insert(name.to_ascii_lowercase()) {
                return Err(invalid("pricing.models", format!("'{name}' is listed twice")));
            }
            for (what, price) in
                [("input", entry.input), ("cached_input", entry.cached_input), ("output", entry.output)]
            {
                if !(0.0..=MAX_PRICE).contains(&price) {
                    return Err(invalid(
                        "pricing.models",
                        format!(
                            "{name}: {what} = {price} is not a price between 0 and {MAX_PRICE} dollars per million tokens"
                        ),
                    ));
                }
            }
        }
        for (cli, model) in &raw.assumed_models {
            if cli.parse::<BackendType>().is_err() {
                return Err(invalid(
                    "pricing.assumed_models",
                    format!("'{cli}' is not claude, codex, gemini or opencode"),
                ));
            }
            if !seen.contains(&model.trim().to_ascii_lowercase()) {
                return Err(invalid(
                    "pricing.assumed_models",
                    format!("{cli}: '{model}' has no price in pricing.models"),
                ));
            }
        }
        Ok(Self { taken_on: raw.taken_on.trim().to_owned(), assumed_models: raw.assumed_models, models: raw.models })
    }
}
