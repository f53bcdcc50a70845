//! Phase numbers (`3`, `2.1`) and requirement ids (`AUTH-01`).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A phase number or requirement id that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoadmapIdError {
    /// Not `N` or `N.M` with decimal digits.
    #[error("invalid phase number '{0}': expected a number such as 3 or 2.1")]
    Phase(String),
    /// Not `CAT-NN`.
    #[error("invalid requirement id '{0}': expected CATEGORY-NN such as AUTH-01")]
    Requirement(String),
}

/// A phase number; decimals insert a phase between two others (`2.1` sits after `2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhaseNumber {
    parts: Vec<u32>,
}

impl PhaseNumber {
    /// Phase 1.
    #[must_use]
    pub fn first() -> Self {
        Self { parts: vec![1] }
    }

    /// Phase `n` (a whole number).
    #[must_use]
    pub fn whole(n: u32) -> Self {
        Self { parts: vec![n] }
    }

    /// The whole-number part (`2` of `2.1`).
    #[must_use]
    pub fn major(&self) -> u32 {
        self.parts.first().copied().unwrap_or(0)
    }

    /// Parses `3`, `2.1`, `2.1.1`.
    ///
    /// # Errors
    /// [`RoadmapIdError::Phase`] for anything else.
    pub fn parse(text: &str) -> Result<Self, RoadmapIdError> {
        let parts: Option<Vec<u32>> = text
            .split('.')
            .map(|p| {
                (!p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse().ok())
                    .flatten()
            })
            .collect();
        match parts {
            Some(parts) if !parts.is_empty() && parts.len() <= 4 => Ok(Self { parts }),
            _ => Err(RoadmapIdError::Phase(text.to_owned())),
        }
    }
}

impl Ord for PhaseNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts)
    }
}

impl PartialOrd for PhaseNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PhaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.parts.iter().map(u32::to_string).collect();
        f.write_str(&text.join("."))
    }
}

impl std::str::FromStr for PhaseNumber {
    type Err = RoadmapIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PhaseNumber {
    type Error = RoadmapIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhaseNumber> for String {
    fn from(value: PhaseNumber) -> Self {
        value.to_string()
    }
}

/// A requirement id `CATEGORY-NN`: upper-case letters, a dash, two or more digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequirementId(String);

impl RequirementId {
    /// Parses `AUTH-01`.
    ///
    /// # Errors
    /// [`RoadmapIdError::Requirement`] for anything else.
    pub fn parse(text: &str) -> Result<Self, RoadmapIdError> {
        let err = || RoadmapIdError::Requirement(text.to_owned());
        let (category, number) = text.split_once('-').ok_or_else(err)?;
        let category_ok = !category.is_empty()
            && category.len() <= 16
            && category.starts_with(|c: char| c.is_ascii_uppercase())
            && category.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let number_ok = (2..=4).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit());
        if category_ok && number_ok { Ok(Self(text.to_owned())) } else { Err(err()) }
    }

    /// The id of number `n` in this id's category (`AUTH-07` for 7), at least two digits.
    #[must_use]
    pub fn numbered(&self, n: u32) -> Self {
        Self(format!("{}-{n:02}", self.category()))
    }

    /// The category part (`AUTH` of `AUTH-01`).
    #[must_use]
    pub fn category(&self) -> &str {
        self.0.split_once('-').map_or(self.0.as_str(), |(c, _)| c)
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for RequirementId {
    type Err = RoadmapIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for RequirementId {
    type Error = RoadmapIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RequirementId> for String {
    fn from(value: RequirementId) -> Self {
        value.0
    }
}

impl fmt::Display for RequirementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(s: &str) -> PhaseNumber {
        PhaseNumber::parse(s).unwrap()
    }

    #[test]
    fn decimal_phases_sort_between_their_neighbours() {
        let mut phases = [phase("10"), phase("2.1"), phase("3"), phase("2"), phase("2.10"), phase("2.2")];
        phases.sort();
        let text: Vec<String> = phases.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["2", "2.1", "2.2", "2.10", "3", "10"]);
    }

    #[test]
    fn malformed_phase_numbers_are_refused() {
        for bad in ["", "a", "1.", ".1", "1..2", "-1", "1.2.3.4.5"] {
            assert!(PhaseNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn requirement_ids_are_category_dash_number() {
        let id = RequirementId::parse("AUTH-01").unwrap();
        assert_eq!(id.category(), "AUTH");
        assert!(RequirementId::parse("UI2-105").is_ok());
        for bad in ["auth-01", "AUTH01", "AUTH-1", "-01", "AUTH-0a", "AUTH-01-2"] {
            assert!(RequirementId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
