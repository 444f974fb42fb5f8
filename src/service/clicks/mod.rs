//! The click counter in one place: what counts as a view ([`ViewPolicy`], a pure rule over the request's
//! [`ViewSignals`]), how a view is recorded and counts are read fresh ([`ClickCounter`], through the
//! `CacheBackend` and the database), and the rule that turns synced counts plus pending deltas into the
//! count a reader sees ([`displayed`]). README "Click counting" states the guarantees.

mod counter;
pub mod displayed;
mod policy;
mod visitor;

pub use counter::ClickCounter;
pub use policy::{ViewPolicy, ViewSignals, ViewSource};
pub use visitor::Visitors;

/// Whether a read of a post records a click or only looks at the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    /// The read is a view: record it, and show the count including it. With the reader's daily hash
    /// (see [`Visitors`]), the reader joins the post's unique readers.
    Record(Option<String>),
    /// Show the fresh count without adding to it.
    Peek,
}
