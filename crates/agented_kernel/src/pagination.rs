//! `limit`/`offset` paging with the API's bounds (default 100, at most 500).

use serde::Serialize;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Page {
    /// How many items at most.
    pub limit: u32,
    /// How many items to skip.
    pub offset: u32,
}

/// A paging parameter out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `limit` was 0 or above [`Page::MAX_LIMIT`].
    #[error("limit must be between 1 and {max}, got {got}", max = Page::MAX_LIMIT)]
    Limit {
        /// The rejected limit.
        got: u32,
    },
}

impl Page {
    /// The limit used when the client gives none.
    pub const DEFAULT_LIMIT: u32 = 100;
    /// The largest limit a client may ask for.
    pub const MAX_LIMIT: u32 = 500;

    /// Builds a page from optional query parameters.
    ///
    /// # Errors
    /// [`PageError::Limit`] when `limit` is 0 or above [`Page::MAX_LIMIT`].
    pub fn new(limit: Option<u32>, offset: Option<u32>) -> Result<Self, PageError> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if limit == 0 || limit > Self::MAX_LIMIT {
            return Err(PageError::Limit { got: limit });
        }
        Ok(Self { limit, offset: offset.unwrap_or(0) })
    }

    /// The first item only.
    #[must_use]
    pub const fn first() -> Self {
        Self { limit: 1, offset: 0 }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self { limit: Self::DEFAULT_LIMIT, offset: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_parameters_give_the_default_page() {
        assert_eq!(Page::new(None, None), Ok(Page { limit: 100, offset: 0 }));
    }

    #[test]
    fn limits_outside_one_to_five_hundred_are_refused() {
        assert_eq!(Page::new(Some(0), None), Err(PageError::Limit { got: 0 }));
        assert_eq!(Page::new(Some(501), None), Err(PageError::Limit { got: 501 }));
        assert_eq!(Page::new(Some(500), Some(7)), Ok(Page { limit: 500, offset: 7 }));
    }
}
