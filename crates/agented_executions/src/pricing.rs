//! What a run cost when its CLI reports tokens but no dollars (codex, gemini):
//! a price per model, in US dollars per million tokens, from configuration.

use crate::Usage;
use agented_kernel::BackendType;
use std::collections::BTreeMap;

/// Where a run's cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CostSource {
    /// The CLI printed it (claude's `total_cost_usd`, opencode's step costs).
    Reported,
    /// Computed from the tokens it reported and the price table.
    Estimated,
}

impl CostSource {
    /// `reported` or `estimated`, as stored and shown.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Estimated => "estimated",
        }
    }
}

impl std::str::FromStr for CostSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "reported" => Ok(Self::Reported),
            "estimated" => Ok(Self::Estimated),
            other => Err(format!("unknown cost source '{other}'")),
        }
    }
}

/// One model's list prices, US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// Input tokens not served from the cache.
    pub input: f64,
    /// Input tokens served from the prompt cache.
    pub cached_input: f64,
    /// Output tokens (reasoning included).
    pub output: f64,
}

impl ModelPrice {
    /// The cost of `usage`, when it reports any tokens. Cached tokens are a
    /// part of the input tokens, as codex and gemini count them.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "token counts are far below 2^52")]
    pub fn cost(&self, usage: &Usage) -> Option<f64> {
        if usage.input_tokens.is_none() && usage.output_tokens.is_none() {
            return None;
        }
        let input = usage.input_tokens.unwrap_or(0).max(0);
        let cached = usage.cached_input_tokens.unwrap_or(0).clamp(0, input);
        let output = usage.output_tokens.unwrap_or(0).max(0);
        let dollars =
            (input - cached) as f64 * self.input + cached as f64 * self.cached_input + output as f64 * self.output;
        Some(dollars / 1_000_000.0)
    }
}

/// Prices by model, and the model assumed for a CLI when neither the trigger
/// nor the CLI's output names one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    models: BTreeMap<String, ModelPrice>,
    assumed: BTreeMap<BackendType, String>,
}

impl PriceTable {
    /// A table of `models` (names compared without case) and the model `assumed` per CLI.
    #[must_use]
    pub fn new(
        models: impl IntoIterator<Item = (String, ModelPrice)>,
        assumed: impl IntoIterator<Item = (BackendType, String)>,
    ) -> Self {
        Self {
            models: models.into_iter().map(|(name, price)| (name.to_ascii_lowercase(), price)).collect(),
            assumed: assumed.into_iter().map(|(backend, name)| (backend, name.to_ascii_lowercase())).collect(),
        }
    }

    /// The price of `model` run by `backend`: the exact name, else the longest
    /// listed name it starts with (`gemini-2.5-pro-preview-06-05` is priced as
    /// `gemini-2.5-pro`), else the model assumed for `backend`.
    #[must_use]
    pub fn price(&self, backend: BackendType, model: Option<&str>) -> Option<&ModelPrice> {
        let name = model.map(str::to_ascii_lowercase).or_else(|| self.assumed.get(&backend).cloned())?;
        self.models.get(&name).or_else(|| {
            self.models
                .iter()
                .filter(|(listed, _)| name.starts_with(listed.as_str()))
                .max_by_key(|(l, _)| l.len())
                .map(|(_, p)| p)
        })
    }

    /// Whether the table lists no model.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PriceTable {
        PriceTable::new(
            [
                ("gpt-5-codex".to_owned(), ModelPrice { input: 1.25, cached_input: 0.125, output: 10.0 }),
                ("gemini-2.5-pro".to_owned(), ModelPrice { input: 1.25, cached_input: 0.31, output: 10.0 }),
                ("gemini-2.5".to_owned(), ModelPrice { input: 9.0, cached_input: 9.0, output: 9.0 }),
            ],
            [(BackendType::Codex, "gpt-5-codex".to_owned())],
        )
    }

    #[test]
    fn cached_input_is_priced_apart_from_the_rest_of_the_input() {
        let usage = Usage {
            input_tokens: Some(1_000_000),
            cached_input_tokens: Some(400_000),
            output_tokens: Some(100_000),
            ..Usage::default()
        };
        let price = table().price(BackendType::Codex, Some("GPT-5-Codex")).copied().unwrap_or_else(|| unreachable!());
        // 600k × 1.25 + 400k × 0.125 + 100k × 10, per million.
        assert_eq!(price.cost(&usage), Some(0.75 + 0.05 + 1.0));
        assert_eq!(price.cost(&Usage::default()), None, "no tokens, no estimate");
    }

    #[test]
    fn a_model_is_found_by_name_by_longest_prefix_or_as_the_backends_assumed_model() {
        let table = table();
        let price_of = |backend, model| table.price(backend, model).map(|p| p.cached_input);
        assert_eq!(price_of(BackendType::Gemini, Some("gemini-2.5-pro")), Some(0.31));
        assert_eq!(price_of(BackendType::Gemini, Some("gemini-2.5-pro-preview-06-05")), Some(0.31));
        assert_eq!(price_of(BackendType::Gemini, Some("gemini-2.5-flash")), Some(9.0));
        assert_eq!(price_of(BackendType::Codex, None), Some(0.125));
        assert_eq!(price_of(BackendType::Gemini, None), None, "no model assumed for gemini here");
        assert_eq!(price_of(BackendType::Codex, Some("o9-unknown")), None);
    }
}
