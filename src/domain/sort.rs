//! The orders a post list can be asked for.

use super::cursor::After;
use super::{InvalidValue, PostSummary};

/// `window` of `GET /posts?sort=-clicks`: rank by the clicks of the last 24 hours, 7, 30 or 365 days
/// (whole UTC hours: the current one and those before it), or of all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Day,
    Week,
    Month,
    Year,
    All,
}

impl Window {
    pub const ALL: [(&'static str, Window); 5] = [
        ("24h", Window::Day),
        ("7d", Window::Week),
        ("30d", Window::Month),
        ("365d", Window::Year),
        ("all", Window::All),
    ];

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        one_of("window", raw, &Self::ALL)
    }

    /// The first hour inside the window ending in `hour` (`None`: all time).
    pub fn first_hour(self, hour: i64) -> Option<i64> {
        let hours = match self {
            Window::Day => 24,
            Window::Week => 7 * 24,
            Window::Month => 30 * 24,
            Window::Year => 365 * 24,
            Window::All => return None,
        };
        Some(hour - hours + 1)
    }
}

/// `sort` of `GET /posts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostSort {
    /// `-published_at`: newest first (the default).
    #[default]
    NewestFirst,
    /// `published_at`: oldest first.
    OldestFirst,
    /// `-clicks`: most clicked first, by the count last synced to the database (then the highest id).
    MostClicked,
    /// `title`: by title, A to Z, ignoring ASCII case.
    Title,
    /// `relevance`: how well each post matches `q` (the rules of [`super::search::index::Rank`]); the
    /// default order of a search.
    Relevance,
    /// `trending`: by growth: 7 x the last 24 hours' clicks minus the 7 days' clicks before them (the last
    /// day against the daily mean of the week before, times 7), then the highest id.
    Trending,
}

impl PostSort {
    pub const ALL: [(&'static str, PostSort); 6] = [
        ("-published_at", PostSort::NewestFirst),
        ("published_at", PostSort::OldestFirst),
        ("-clicks", PostSort::MostClicked),
        ("title", PostSort::Title),
        ("trending", PostSort::Trending),
        ("relevance", PostSort::Relevance),
    ];

    /// Where a page in this order that ends with `post` (as the database gave it: its synced click count)
    /// leaves off.
    pub fn after(self, post: &PostSummary) -> After {
        match self {
            PostSort::NewestFirst | PostSort::OldestFirst => {
                After::Published(post.published_at.map(|at| at.naive_utc()), post.id)
            }
            // Trending lists page by number only (see the route); the position is never sealed. A
            // ranking by relevance is continued from its rank, which the search index gives (see the
            // service), not from the post.
            PostSort::MostClicked | PostSort::Trending | PostSort::Relevance => {
                After::Clicks(post.clicks, post.id)
            }
            PostSort::Title => After::Title(post.title.clone(), post.id),
        }
    }

    /// Whether a cursor's position belongs to this order.
    pub fn orders_by(self, after: &After) -> bool {
        matches!(
            (self, after),
            (
                PostSort::NewestFirst | PostSort::OldestFirst,
                After::Published(..)
            ) | (PostSort::MostClicked, After::Clicks(..))
                | (PostSort::Title, After::Title(..))
                | (PostSort::Relevance, After::Relevance(..))
        )
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        one_of("sort", raw, &Self::ALL)
    }
}

/// The value named `raw` in `table`, else a 400 on `parameter` listing the names.
fn one_of<T: Copy>(parameter: &str, raw: &str, table: &[(&str, T)]) -> Result<T, InvalidValue> {
    table
        .iter()
        .find(|(name, _)| *name == raw)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
            InvalidValue::new(
                parameter,
                format!(
                    "must be one of {}, got `{}`",
                    names.join(", "),
                    super::id::truncate(raw)
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_order() {
        for (name, sort) in PostSort::ALL {
            assert_eq!(PostSort::parse(name), Ok(sort));
        }
    }

    #[test]
    fn rejects_unknown_orders_listing_the_valid_ones() {
        let error = PostSort::parse("bogus")
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(
            error.contains("-published_at") && error.contains("bogus"),
            "{error}"
        );
    }
}
