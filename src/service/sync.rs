//! Delta sync for offline apps (`GET /sync`, README "Delta sync"): pages of what changed since a client's
//! token, every kind by id (see `domain::sync` for the rounds, migration 21 for the positions).

use std::collections::{HashMap, HashSet};

use crate::db::{self, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::cursor::CursorKey;
use crate::domain::is_public_at;
use crate::domain::seo::PostPages;
use crate::domain::sync::{
    SyncData, SyncDeleted, SyncKind, SyncMeta, SyncPage, SyncPoint, SyncToken, CLOCK_SLACK,
    PAGE_ROWS,
};
use crate::error::ApiError;
use crate::service::clicks::ClickCounter;

/// What sync tokens are sealed for (a list's cursor cannot pass for one).
const PURPOSE: &str = "sync-token";

/// The delta sync service.
pub struct DeltaSync {
    pool: DbPool,
    counter: ClickCounter,
    clock: Clock,
    key: CursorKey,
    pages: PostPages,
}

impl DeltaSync {
    pub fn new(
        pool: DbPool,
        counter: ClickCounter,
        clock: Clock,
        key: CursorKey,
        pages: PostPages,
    ) -> Self {
        DeltaSync {
            pool,
            counter,
            clock,
            key,
            pages,
        }
    }

    /// The page `since` names (the first page of a first sync without it). `SyncRestart` (410) for a token
    /// this deployment did not seal, one older than the tombstones kept, or one from a newer database than
    /// this one (restored from a backup).
    pub async fn page(&self, since: Option<&str>) -> Result<SyncPage, ApiError> {
        let token = match since {
            None => SyncToken::Start(None),
            Some(raw) => self.key.open_value(PURPOSE, raw).ok_or(ApiError::SyncRestart(
                "this is not a sync token this API made (it was changed, cut short or made elsewhere)",
            ))?,
        };
        let now = self.clock.now();
        let (version, horizon) = run_query(&self.pool, db::sync::positions).await?;
        let (since, round, mut kind, mut after) = match token {
            SyncToken::Start(since) => {
                (since, SyncPoint { version, at: now }, SyncKind::Category, 0)
            }
            SyncToken::Within {
                since,
                round,
                kind,
                after,
            } => (since, round, kind, after),
        };
        if let Some(since) = since {
            if since.version < horizon {
                return Err(ApiError::SyncRestart(
                    "this token is older than the deletions this API keeps (30 days)",
                ));
            }
            if since.version > version {
                return Err(ApiError::SyncRestart(
                    "this token is newer than this database (it was restored from an older copy)",
                ));
            }
        }
        let mut data = SyncData::default();
        let mut deleted = SyncDeleted::default();
        let mut room = PAGE_ROWS;
        let more = loop {
            let ids = run_query(&self.pool, move |conn| {
                db::sync::changed(conn, kind, since, round, CLOCK_SLACK, after, room)
            })
            .await?;
            let full = ids.len() == room;
            room -= ids.len();
            if let Some(last) = ids.last() {
                after = *last;
            }
            self.fill(kind, ids, now, &mut data, &mut deleted).await?;
            if full {
                break true;
            }
            match kind.next() {
                Some(next) => {
                    kind = next;
                    after = 0;
                }
                None => break false,
            }
        };
        let next = if more {
            SyncToken::Within {
                since,
                round,
                kind,
                after,
            }
        } else {
            SyncToken::Start(Some(round))
        };
        Ok(SyncPage {
            data,
            deleted,
            meta: SyncMeta {
                next_sync_token: self.key.seal_value(PURPOSE, &next),
                has_more: more,
            },
        })
    }

    /// The rows `ids` of `kind` as the API shows them now, into `data`; those gone (or, posts, not public
    /// at `now`) into `deleted`.
    async fn fill(
        &self,
        kind: SyncKind,
        ids: Vec<i64>,
        now: chrono::NaiveDateTime,
        data: &mut SyncData,
        deleted: &mut SyncDeleted,
    ) -> Result<(), ApiError> {
        if ids.is_empty() {
            return Ok(());
        }
        let wanted = ids.clone();
        let found: HashSet<i64> = match kind {
            SyncKind::Category | SyncKind::Tag => {
                let items = run_query(&self.pool, move |conn| {
                    if kind == SyncKind::Category {
                        db::taxonomy::categories_of(conn, &wanted, now)
                    } else {
                        db::taxonomy::tags_of(conn, &wanted, now)
                    }
                })
                .await?;
                let found = items.iter().map(|item| item.id).collect();
                if kind == SyncKind::Category {
                    data.categories.extend(items);
                } else {
                    data.tags.extend(items);
                }
                found
            }
            SyncKind::Author => {
                let authors = run_query(&self.pool, move |conn| {
                    db::authors::authors_of(conn, &wanted, now)
                })
                .await?;
                let found = authors.iter().map(|author| author.id).collect();
                data.authors.extend(authors);
                found
            }
            SyncKind::Post => {
                let mut posts =
                    run_query(&self.pool, move |conn| db::posts::details_of(conn, &wanted)).await?;
                posts.retain(|post| {
                    is_public_at(post.summary.published_at.map(|at| at.naive_utc()), now)
                });
                let synced: HashMap<i64, i64> = posts
                    .iter()
                    .map(|post| (post.summary.id, post.summary.clicks))
                    .collect();
                let counts = self.counter.counts(&synced).await?;
                for post in &mut posts {
                    if let Some(count) = counts.get(&post.summary.id) {
                        post.summary.clicks = *count;
                    }
                    self.pages.place_images(&mut post.summary);
                    post.json_ld = self.pages.json_ld(post);
                }
                let found = posts.iter().map(|post| post.summary.id).collect();
                data.posts.extend(posts);
                found
            }
        };
        let gone = ids.into_iter().filter(|id| !found.contains(id));
        match kind {
            SyncKind::Category => deleted.categories.extend(gone),
            SyncKind::Tag => deleted.tags.extend(gone),
            SyncKind::Author => deleted.authors.extend(gone),
            SyncKind::Post => deleted.posts.extend(gone),
        }
        Ok(())
    }
}
