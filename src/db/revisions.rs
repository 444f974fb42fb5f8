//! Revisions of posts (README "Revisions"): written in the transaction of the change that makes them, read
//! back newest first.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

use super::schema::{
    authors, categories, post_authors, post_revisions, post_seo, post_tags, posts, tags,
};
use super::DbConnection;
use crate::domain::markdown::derive_excerpt;
use crate::domain::revision::{Revision, RevisionPost, RevisionStamp, RevisionSummary};
use crate::on_backend;

/// Posts per statement when many are recorded at once (an import).
const CHUNK: usize = 200;

/// Records a revision of each post of `ids` as it is now, in the caller's transaction, and keeps the newest
/// `stamp.keep` of each. With `always` false (an import) a post the same as its latest revision gets none.
pub fn record(
    conn: &mut DbConnection,
    ids: &[i64],
    stamp: &RevisionStamp,
    now: NaiveDateTime,
    always: bool,
) -> QueryResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let current = snapshots(conn, chunk)?;
        let latest = latest(conn, chunk)?;
        let mut rows = Vec::new();
        let mut prune = Vec::new();
        for id in chunk {
            let Some(post) = current.get(id) else {
                continue;
            };
            let before = latest.get(id);
            let changed = post.changed_from(before.map(|(_, post)| post));
            if !always && before.is_some() && changed.is_empty() {
                continue;
            }
            let number = before.map_or(1, |(number, _)| number + 1);
            rows.push((
                post_revisions::post_id.eq(*id),
                post_revisions::number.eq(number),
                post_revisions::created_at.eq(now),
                post_revisions::token_name.eq(stamp.token_name.clone()),
                post_revisions::changed.eq(changed.join(",")),
                post_revisions::snapshot.eq(serde_json::to_string(post).unwrap_or_default()),
            ));
            if number > stamp.keep {
                prune.push((*id, number - stamp.keep));
            }
        }
        if !rows.is_empty() {
            on_backend!(conn, c => diesel::insert_into(post_revisions::table)
                .values(&rows)
                .execute(c))?;
        }
        for (id, oldest_gone) in prune {
            diesel::delete(
                post_revisions::table
                    .filter(post_revisions::post_id.eq(id))
                    .filter(post_revisions::number.le(oldest_gone)),
            )
            .execute(conn)?;
        }
    }
    Ok(())
}

type SnapshotRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The editable fields of the posts `ids` as they are now.
fn snapshots(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, RevisionPost>> {
    let rows: Vec<SnapshotRow> = posts::table
        .left_join(categories::table)
        .left_join(post_seo::table)
        .filter(posts::id.eq_any(ids))
        .select((
            posts::id,
            posts::title,
            posts::slug,
            posts::body_markdown,
            posts::excerpt,
            posts::author,
            categories::slug.nullable(),
            posts::published_at,
            post_seo::meta_title.nullable(),
            post_seo::meta_description.nullable(),
            post_seo::canonical_url.nullable(),
        ))
        .load(conn)?;
    let mut authors_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (post, slug) in post_authors::table
        .inner_join(authors::table)
        .filter(post_authors::post_id.eq_any(ids))
        .select((post_authors::post_id, authors::slug))
        .order((post_authors::post_id, post_authors::position))
        .load::<(i64, String)>(conn)?
    {
        authors_of.entry(post).or_default().push(slug);
    }
    let mut tags_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (post, slug) in post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq_any(ids))
        .select((post_tags::post_id, tags::slug))
        .order((post_tags::post_id, tags::slug))
        .load::<(i64, String)>(conn)?
    {
        tags_of.entry(post).or_default().push(slug);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let (id, title, slug, body_markdown, excerpt, author, category, published_at, ..) =
                row.clone();
            let (.., meta_title, meta_description, canonical_url) = row;
            let derived = excerpt == derive_excerpt(&body_markdown);
            let post = RevisionPost {
                title,
                slug,
                excerpt: (!derived).then_some(excerpt),
                body_markdown,
                author,
                authors: authors_of.remove(&id).unwrap_or_default(),
                category,
                tags: tags_of.remove(&id).unwrap_or_default(),
                published_at: published_at.map(|at| at.and_utc()),
                meta_title,
                meta_description,
                canonical_url,
            };
            (id, post)
        })
        .collect())
}

/// The latest revision of each of the posts `ids` that has one: its number and fields.
fn latest(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, (i64, RevisionPost)>> {
    let newest: HashMap<i64, i64> = post_revisions::table
        .filter(post_revisions::post_id.eq_any(ids))
        .group_by(post_revisions::post_id)
        .select((post_revisions::post_id, max(post_revisions::number)))
        .load::<(i64, Option<i64>)>(conn)?
        .into_iter()
        .filter_map(|(post, number)| number.map(|number| (post, number)))
        .collect();
    let numbers: Vec<i64> = newest.values().copied().collect();
    let rows: Vec<(i64, i64, String)> = post_revisions::table
        .filter(post_revisions::post_id.eq_any(ids))
        .filter(post_revisions::number.eq_any(&numbers))
        .select((
            post_revisions::post_id,
            post_revisions::number,
            post_revisions::snapshot,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(post, number, _)| newest.get(post) == Some(number))
        .filter_map(|(post, number, snapshot)| {
            serde_json::from_str(&snapshot)
                .ok()
                .map(|kept| (post, (number, kept)))
        })
        .collect())
}

/// A page of post `post_id`'s revisions, newest first, starting below number `before` when given, past the
/// first `skip`: the page, whether more follow, and how many the post keeps. `None` when no such post exists.
pub fn list(
    conn: &mut DbConnection,
    post_id: i64,
    before: Option<i64>,
    limit: i64,
    skip: Option<i64>,
) -> QueryResult<Option<(Vec<RevisionSummary>, bool, u64)>> {
    let exists: bool =
        diesel::select(diesel::dsl::exists(posts::table.find(post_id))).get_result(conn)?;
    if !exists {
        return Ok(None);
    }
    let mut query = post_revisions::table
        .filter(post_revisions::post_id.eq(post_id))
        .select((
            post_revisions::number,
            post_revisions::created_at,
            post_revisions::token_name,
            post_revisions::changed,
        ))
        .order(post_revisions::number.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(post_revisions::number.lt(before));
    }
    if let Some(skip) = skip.filter(|skip| *skip > 0) {
        query = query.offset(skip);
    }
    let mut rows: Vec<(i64, NaiveDateTime, Option<String>, String)> = query.load(conn)?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let total: i64 = post_revisions::table
        .filter(post_revisions::post_id.eq(post_id))
        .count()
        .get_result(conn)?;
    let page = rows
        .into_iter()
        .map(|(number, created_at, token_name, changed)| {
            RevisionSummary::new(number, created_at, token_name, &changed)
        })
        .collect();
    Ok(Some((page, more, u64::try_from(total).unwrap_or(0))))
}

/// Revision `number` of post `post_id`.
pub fn find(conn: &mut DbConnection, post_id: i64, number: i64) -> QueryResult<Option<Revision>> {
    let row: Option<(NaiveDateTime, Option<String>, String, String)> = post_revisions::table
        .filter(post_revisions::post_id.eq(post_id))
        .filter(post_revisions::number.eq(number))
        .select((
            post_revisions::created_at,
            post_revisions::token_name,
            post_revisions::changed,
            post_revisions::snapshot,
        ))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(created_at, token_name, changed, snapshot)| {
        let post = serde_json::from_str(&snapshot).ok()?;
        Some(Revision {
            summary: RevisionSummary::new(number, created_at, token_name, &changed),
            post,
        })
    }))
}
