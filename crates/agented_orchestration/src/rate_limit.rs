//! Rate limits: spotting one in a CLI's output, how long it lasts, and when a
//! run whose whole chain was limited tries again.

use chrono::Duration;

/// Patterns used when a backend has none of its own: HTTP 429 and the words
/// Anthropic, Google and OpenAI use.
pub const DEFAULT_PATTERNS: [&str; 4] = ["429", "rate_limit_error", "RESOURCE_EXHAUSTED", "too many requests"];

/// Longest wait a `retry-after` may ask for; longer values are capped.
const MAX_RETRY_AFTER: Duration = Duration::hours(24);

/// What marks a rate limit in one backend's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitRules {
    /// Case-insensitive substrings of a stdout or stderr line.
    patterns: Vec<String>,
    /// How long an account stays limited when the output does not say.
    default_retry_after: Duration,
}

/// A line that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitHit {
    /// The pattern found.
    pub pattern: String,
    /// The wait the line asked for, if it named one.
    pub retry_after: Option<Duration>,
    /// The line (at most 300 characters), for the account's reason.
    pub line: String,
    /// Later lines read for a `retry-after` so far.
    looked_after: u8,
}

/// Lines after a hit searched for its `retry-after`: CLIs print it right
/// after the error, and a flood of output must not be lower-cased line by line.
const RETRY_AFTER_LOOKAHEAD: u8 = 20;

impl RateLimitHit {
    /// Reads a `retry-after` from a later line when the hit's own line had
    /// none (CLIs print the error and its headers on separate lines).
    pub fn complete(&mut self, later_line: &str) {
        if self.retry_after.is_none() && self.looked_after < RETRY_AFTER_LOOKAHEAD {
            self.looked_after += 1;
            self.retry_after = retry_after(&later_line.to_lowercase());
        }
    }
}

impl RateLimitRules {
    /// Rules from `patterns` (blank ones ignored).
    #[must_use]
    pub fn new(patterns: &[String], default_retry_after: Duration) -> Self {
        let patterns = patterns.iter().map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()).collect();
        Self { patterns, default_retry_after }
    }

    /// The default patterns, 60 s unless told.
    #[must_use]
    pub fn defaults() -> Self {
        let patterns: Vec<String> = DEFAULT_PATTERNS.iter().map(|p| (*p).to_owned()).collect();
        Self::new(&patterns, Duration::seconds(60))
    }

    /// How long a limit lasts when the output does not say.
    #[must_use]
    pub const fn default_retry_after(&self) -> Duration {
        self.default_retry_after
    }

    /// The hit in `line`, if any. `429` must stand alone, not inside a longer number.
    #[must_use]
    pub fn scan(&self, line: &str) -> Option<RateLimitHit> {
        let lower = line.to_lowercase();
        let pattern = self.patterns.iter().find(|p| contains_word(&lower, p))?;
        Some(RateLimitHit {
            pattern: pattern.clone(),
            retry_after: retry_after(&lower),
            line: line.chars().take(300).collect(),
            looked_after: 0,
        })
    }

    /// How long the account of `hit` stays limited.
    #[must_use]
    pub fn limit_for(&self, hit: &RateLimitHit) -> Duration {
        hit.retry_after.unwrap_or(self.default_retry_after)
    }
}

/// `needle` in `haystack` with no digit or letter glued to either end when
/// the needle starts or ends with one (so `429` does not match `14290`).
fn contains_word(haystack: &str, needle: &str) -> bool {
    let glued = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    haystack.match_indices(needle).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + needle.len()..].chars().next();
        let edge_start = needle.chars().next().is_some_and(char::is_alphanumeric);
        let edge_end = needle.chars().next_back().is_some_and(char::is_alphanumeric);
        !(edge_start && glued(before) || edge_end && glued(after))
    })
}

/// The wait a (lower-cased) line asks for: `retry-after: 30`, `"retry_after": 12`,
/// `"retryDelay": "41s"`, `try again in 2m`, `retry after 1.5 seconds`.
#[must_use]
pub fn retry_after(lower: &str) -> Option<Duration> {
    const MARKERS: [&str; 6] =
        ["retry-after", "retry_after", "retryafter", "retrydelay", "retry after", "try again in"];
    MARKERS.iter().find_map(|marker| {
        let start = lower.find(marker)? + marker.len();
        let rest = lower[start..].trim_start_matches([' ', ':', '=', '"', '\'', '\\']);
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        let value: f64 = digits.parse().ok()?;
        let unit = rest[digits.len()..].trim_start();
        let seconds = if unit.starts_with("ms") || unit.starts_with("millisecond") {
            value / 1000.0
        } else if unit.starts_with('h') {
            value * 3600.0
        } else if unit.starts_with("m") && !unit.starts_with("ms") {
            value * 60.0
        } else {
            value
        };
        #[allow(clippy::cast_possible_truncation, reason = "capped at a day just below")]
        let millis = (seconds * 1000.0).ceil().clamp(0.0, 86_400_000.0) as i64;
        Some(Duration::milliseconds(millis).min(MAX_RETRY_AFTER))
    })
}

/// When a run whose every chain entry was rate-limited tries again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first limited attempt; it doubles each time.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// Attempts (the first run included) before the run fails.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: Duration::seconds(60), cap: Duration::hours(1), max_attempts: 5 }
    }
}

impl Backoff {
    /// The wait after limited attempt number `attempt` (1 = the first run):
    /// `base · 2^(attempt−1)`, capped, plus up to a quarter more by `jitter`
    /// (0 ≤ jitter < 1) so runs limited together do not return together.
    /// `None` once `attempt` reaches `max_attempts`: the run fails.
    #[must_use]
    pub fn delay(&self, attempt: u32, jitter: f64) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let doubled = self.base.checked_mul(1 << attempt.saturating_sub(1).min(20)).unwrap_or(self.cap).min(self.cap);
        #[allow(clippy::cast_possible_truncation, reason = "a quarter of a capped wait")]
        let extra = (doubled.num_milliseconds() as f64 * 0.25 * jitter.clamp(0.0, 1.0)) as i64;
        Some(doubled + Duration::milliseconds(extra))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_patterns_spot_each_providers_wording() {
        let rules = RateLimitRules::defaults();
        for line in [
            r#"API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#,
            r#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}"#,
            "stream error: Too Many Requests",
            "HTTP/1.1 429",
        ] {
            assert!(rules.scan(line).is_some(), "{line}");
        }
        for line in ["processed 14290 files", "line 4291", "all good", "rate limits are documented"] {
            assert_eq!(rules.scan(line), None, "{line}");
        }
    }

    #[test]
    fn configured_patterns_replace_the_defaults() {
        let rules = RateLimitRules::new(&["quota exceeded".into(), " ".into()], Duration::seconds(5));
        assert!(rules.scan("Error: Quota Exceeded for model").is_some());
        assert_eq!(rules.scan("429"), None);
        assert_eq!(rules.default_retry_after(), Duration::seconds(5));
    }

    #[test]
    fn retry_after_is_read_in_each_spelling_and_unit() {
        let cases = [
            ("retry-after: 30", 30_000),
            (r#"{"retry_after": 12}"#, 12_000),
            (r#""retryDelay": "41s""#, 41_000),
            ("please try again in 2m", 120_000),
            ("retry after 1.5 seconds", 1_500),
            ("retry-after: 250ms", 250),
            ("retry-after: 1h", 3_600_000),
            ("retry-after: 99999999", 86_400_000),
        ];
        for (line, millis) in cases {
            assert_eq!(retry_after(&line.to_lowercase()), Some(Duration::milliseconds(millis)), "{line}");
        }
        assert_eq!(retry_after("retry-after: soon"), None);
        let mut hit = RateLimitRules::defaults().scan("API Error: 429 rate_limit_error").expect("a hit");
        hit.complete("retry-after: 120");
        hit.complete("retry-after: 5");
        assert_eq!(hit.retry_after, Some(Duration::seconds(120)), "the first value found is kept");
        let mut far = RateLimitRules::defaults().scan("429").expect("a hit");
        for _ in 0..20 {
            far.complete("more output");
        }
        far.complete("retry-after: 9");
        assert_eq!(far.retry_after, None, "only the lines right after the error are searched");
        let rules = RateLimitRules::defaults();
        let hit = rules.scan("429 Too Many Requests").expect("a hit");
        assert_eq!(rules.limit_for(&hit), Duration::seconds(60), "60 s when the line does not say");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_adds_jitter_and_ends_after_five_attempts() {
        let b = Backoff { base: Duration::seconds(60), cap: Duration::seconds(300), max_attempts: 5 };
        let waits: Vec<_> = (1..=5).map(|n| b.delay(n, 0.0)).collect();
        assert_eq!(
            waits,
            [
                Some(Duration::seconds(60)),
                Some(Duration::seconds(120)),
                Some(Duration::seconds(240)),
                Some(Duration::seconds(300)),
                None
            ]
        );
        assert_eq!(b.delay(1, 1.0), Some(Duration::seconds(75)));
        assert_eq!(b.delay(2, 0.5), Some(Duration::seconds(135)));
    }
}
