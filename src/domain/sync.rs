//! Delta sync (`GET /sync`): where a client is in the blog's history, as a sealed token.
//!
//! A round of pages reads every row changed since the client's position (all rows, for a first sync), kind
//! by kind, by id; the token between two pages says where the round is, and the last page's token is the
//! position the round started from, so that the next sync reads what changed during the round again
//! (twice is harmless: applying a page is idempotent) and nothing is missed. A position is a content version
//! (see migration 21): every change to a row the sync serves gives it a position above every version a
//! reader could see before the change committed.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// The kinds of rows a sync serves, in the order a round reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncKind {
    Category,
    Tag,
    Author,
    Post,
}

impl SyncKind {
    pub const ALL: [SyncKind; 4] = [
        SyncKind::Category,
        SyncKind::Tag,
        SyncKind::Author,
        SyncKind::Post,
    ];

    /// The kind's name in the tombstones table.
    pub fn tombstone(self) -> &'static str {
        match self {
            SyncKind::Category => "category",
            SyncKind::Tag => "tag",
            SyncKind::Author => "author",
            SyncKind::Post => "post",
        }
    }

    /// The kind read after this one in a round.
    pub fn next(self) -> Option<SyncKind> {
        match self {
            SyncKind::Category => Some(SyncKind::Tag),
            SyncKind::Tag => Some(SyncKind::Author),
            SyncKind::Author => Some(SyncKind::Post),
            SyncKind::Post => None,
        }
    }
}

/// A point of the blog's history: a content version, and the instant it was read (posts whose publication
/// time passed since then changed without a write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPoint {
    pub version: i64,
    pub at: NaiveDateTime,
}

/// What a sync token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncToken {
    /// Start a round from this point (`None`: from nothing, a first sync).
    Start(Option<SyncPoint>),
    /// A round under way: from `since`, begun at `round`, next reading `kind` after the id `after`.
    Within {
        since: Option<SyncPoint>,
        round: SyncPoint,
        kind: SyncKind,
        after: i64,
    },
}

/// How far before a round's own start the publications it looks for begin: the clocks of two instances
/// may differ by this much without a post published by its schedule being missed (read twice instead).
pub const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// How many rows one page holds at most (all kinds together).
pub const PAGE_ROWS: usize = 100;

/// Rows a page serves, each as the API shows it.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct SyncData {
    /// Published posts, as `GET /posts/{id}` shows them (their `clicks` as of this page).
    pub posts: Vec<super::PostDetail>,
    /// Categories, as `GET /categories/{id}` shows them.
    pub categories: Vec<super::TaxonomyItem>,
    /// Tags, as `GET /tags/{id}` shows them.
    pub tags: Vec<super::TaxonomyItem>,
    /// Authors, as `GET /authors/{slug}` shows them.
    pub authors: Vec<super::author::Author>,
}

/// Ids of rows a client must drop: deleted, or (posts) no longer public (a draft again, scheduled again).
/// An id may be one the client never held.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct SyncDeleted {
    pub posts: Vec<i64>,
    pub categories: Vec<i64>,
    pub tags: Vec<i64>,
    pub authors: Vec<i64>,
}

/// Where the client goes next.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SyncMeta {
    /// Send it back as `since`: for the next page while `has_more`, else the next time the client syncs.
    pub next_sync_token: String,
    /// More pages of this sync follow (ask for them at once).
    pub has_more: bool,
}

/// One page of `GET /sync`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SyncPage {
    pub data: SyncData,
    pub deleted: SyncDeleted,
    pub meta: SyncMeta,
}
