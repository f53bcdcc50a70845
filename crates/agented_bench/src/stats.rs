//! Figures from samples: percentiles within one round, and the median, min and
//! max over rounds that every published figure is.

use serde_json::{Value, json};

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The `q` quantile (0..=1) of `samples`, nearest rank.
#[must_use]
pub fn quantile(samples: &[f64], q: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// One published figure: the median of the rounds, with their min and max and every round's value.
#[must_use]
pub fn figure(rounds: &[f64], unit: &str) -> Value {
    json!({
        "median": round1(quantile(rounds, 0.5)),
        "min": round1(quantile(rounds, 0.0)),
        "max": round1(quantile(rounds, 1.0)),
        "rounds": rounds.iter().map(|v| round1(*v)).collect::<Vec<_>>(),
        "unit": unit,
    })
}
