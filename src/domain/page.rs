//! Pagination: the request (`page`, `per_page`) and the page of results it yields.

use serde::Serialize;
use utoipa::ToSchema;

use super::InvalidValue;

/// A validated page request: `page` >= 1, `per_page` in 1..=100 (default 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    per_page: u32,
}

impl PageRequest {
    pub const DEFAULT_PER_PAGE: u32 = 20;
    pub const MAX_PER_PAGE: u32 = 100;
    /// Far past any real blog; keeps `(page - 1) * per_page` well inside an i64 offset.
    pub const MAX_PAGE: u32 = 1_000_000;

    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, InvalidValue> {
        let page = match page {
            None => 1,
            Some(raw) => parse_in_range("page", raw, 1, Self::MAX_PAGE)?,
        };
        let per_page = match per_page {
            None => Self::DEFAULT_PER_PAGE,
            Some(raw) => parse_in_range("per_page", raw, 1, Self::MAX_PER_PAGE)?,
        };
        Ok(PageRequest { page, per_page })
    }

    pub fn page(self) -> u32 {
        self.page
    }

    pub fn per_page(self) -> u32 {
        self.per_page
    }

    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

/// How many related posts to return: `limit` in 1..=20 (default 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelatedLimit(u32);

impl RelatedLimit {
    pub const DEFAULT: u32 = 5;
    pub const MAX: u32 = 20;

    pub fn parse(raw: Option<&str>) -> Result<Self, InvalidValue> {
        Ok(RelatedLimit(match raw {
            None => Self::DEFAULT,
            Some(raw) => parse_in_range("limit", raw, 1, Self::MAX)?,
        }))
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

pub(super) fn parse_in_range(
    name: &str,
    raw: &str,
    min: u32,
    max: u32,
) -> Result<u32, InvalidValue> {
    let message = || {
        format!(
            "must be an integer from {min} to {max}, got `{}`",
            super::id::truncate(raw)
        )
    };
    let value: i64 = raw
        .parse()
        .map_err(|_| InvalidValue::new(name, message()))?;
    u32::try_from(value)
        .ok()
        .filter(|value| (min..=max).contains(value))
        .ok_or_else(|| InvalidValue::new(name, message()))
}

/// The `meta` object of a list response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"page": 1, "per_page": 20, "total": 1816, "total_pages": 91,
    "next_cursor": "eyJQdWJsaXNoZWQiOlsiMjAyNi0xMS0yOFQxMDowMDowMCIsMTgxNV19hL1p0cgV6m4mHDxTFrQ0x1g"}))]
pub struct PageMeta {
    /// The page number; null for a page reached by `cursor`.
    pub page: Option<u32>,
    pub per_page: u32,
    /// Every item that matches.
    pub total: u64,
    pub total_pages: u64,
    /// Where the next page starts: pass it as `cursor` (with the same sort and filters) to go on. Absent
    /// on the last page, and on lists without cursors (categories, tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub next_cursor: Option<String>,
    /// A search's facets (with `q` only): how many matches each category and tag has, counted with the
    /// other filters applied but not its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub facets: Option<super::search::index::Facets>,
}

/// One page of a list, with what a client needs to walk the rest.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

impl<T> Page<T> {
    pub fn new(data: Vec<T>, request: PageRequest, total: u64) -> Self {
        let per_page = u64::from(request.per_page);
        Page {
            data,
            meta: PageMeta {
                page: Some(request.page),
                per_page: request.per_page,
                total,
                total_pages: total.div_ceil(per_page),
                next_cursor: None,
                facets: None,
            },
        }
    }

    /// This page as one reached by a cursor (it has no number), or not.
    pub fn by_cursor(mut self, by_cursor: bool) -> Self {
        if by_cursor {
            self.meta.page = None;
        }
        self
    }

    /// This page with a search's facets.
    pub fn with_facets(mut self, facets: Option<super::search::index::Facets>) -> Self {
        self.meta.facets = facets;
        self
    }

    /// This page, saying where the next one starts.
    pub fn with_next_cursor(mut self, next: Option<String>) -> Self {
        self.meta.next_cursor = next;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_first_page_of_twenty() {
        assert_eq!(PageRequest::parse(None, None), Ok(PageRequest::default()));
        assert_eq!(PageRequest::default().offset(), 0);
    }

    #[test]
    fn accepts_the_edges_of_the_ranges() {
        let request = PageRequest::parse(Some("3"), Some("100"));
        assert_eq!(request.map(|r| (r.limit(), r.offset())), Ok((100, 200)));
        assert!(PageRequest::parse(Some("1"), Some("1")).is_ok());
    }

    #[test]
    fn rejects_out_of_range_and_malformed_values_naming_the_parameter() {
        let cases = [
            (Some("0"), None, "page"),
            (Some("-1"), None, "page"),
            (Some("x"), None, "page"),
            (Some("1000001"), None, "page"),
            (None, Some("0"), "per_page"),
            (None, Some("101"), "per_page"),
            (None, Some("20.5"), "per_page"),
            (None, Some(""), "per_page"),
        ];
        for (page, per_page, name) in cases {
            let error = PageRequest::parse(page, per_page).err();
            assert_eq!(
                error.map(|e| e.name),
                Some(name.to_owned()),
                "{page:?} {per_page:?}"
            );
        }
    }

    #[test]
    fn total_pages_rounds_up_and_is_zero_for_an_empty_list() {
        let request = PageRequest::parse(None, Some("20")).unwrap_or_default();
        assert_eq!(Page::<()>::new(vec![], request, 41).meta.total_pages, 3);
        assert_eq!(Page::<()>::new(vec![], request, 40).meta.total_pages, 2);
        assert_eq!(Page::<()>::new(vec![], request, 0).meta.total_pages, 0);
    }
}
