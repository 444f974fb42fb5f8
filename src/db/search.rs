//! What the search index is built from (README "Search"): every post's stamp (three statements whatever
//! the number of posts: the posts, their tags and authors, every category, tag and author) and the words
//! of the posts that changed.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::{authors, categories, post_authors, post_counters, post_tags, posts, tags};
use super::DbConnection;
use crate::domain::markdown::plain_text;
use crate::domain::search::index::{Catalog, PostText, Stamp, Term};
use crate::on_backend;

/// The most posts whose words are read in one statement.
const TEXTS_PER_STATEMENT: usize = 2_000;

/// A post's id, `updated_at`, `published_at`, category and clicks.
type StampRow = (
    i64,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<i64>,
    Option<i64>,
);

/// Every post's stamp, and every category, tag and author.
pub fn stamps(conn: &mut DbConnection) -> QueryResult<(Vec<Stamp>, Catalog)> {
    let rows: Vec<StampRow> = posts::table
        .left_join(post_counters::table)
        .select((
            posts::id,
            posts::updated_at,
            posts::published_at,
            posts::category_id,
            post_counters::clicks.nullable(),
        ))
        .load(conn)?;
    // (post, -1 for a tag or an author's position, its id)
    let tag_links = post_tags::table.select((
        post_tags::post_id,
        diesel::dsl::sql::<BigInt>("CAST(-1 AS BIGINT)"),
        post_tags::tag_id,
    ));
    let author_links = post_authors::table.select((
        post_authors::post_id,
        post_authors::position,
        post_authors::author_id,
    ));
    let links: Vec<(i64, i64, i64)> =
        on_backend!(conn, c => tag_links.union_all(author_links).load(c))?;
    let mut tags_of: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut authors_of: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (post, kind, id) in links {
        if kind < 0 {
            tags_of.entry(post).or_default().push(id);
        } else {
            authors_of.entry(post).or_default().push((kind, id));
        }
    }
    let stamps = rows
        .into_iter()
        .map(|(id, updated_at, published_at, category, clicks)| {
            let mut tags = tags_of.remove(&id).unwrap_or_default();
            tags.sort_unstable();
            let mut authors = authors_of.remove(&id).unwrap_or_default();
            authors.sort_unstable();
            Stamp {
                id,
                updated_at,
                published_at,
                category,
                clicks: clicks.unwrap_or(0),
                tags,
                authors: authors.into_iter().map(|(_, author)| author).collect(),
            }
        })
        .collect();
    Ok((stamps, catalog(conn)?))
}

/// Every category, tag and author (one statement).
fn catalog(conn: &mut DbConnection) -> QueryResult<Catalog> {
    let kind = |n: i64| diesel::dsl::sql::<BigInt>(&format!("CAST({n} AS BIGINT)"));
    let all = categories::table
        .select((kind(0), categories::id, categories::slug, categories::name))
        .union_all(tags::table.select((kind(1), tags::id, tags::slug, tags::name)))
        .union_all(authors::table.select((kind(2), authors::id, authors::slug, authors::name)));
    let rows: Vec<(i64, i64, String, String)> = on_backend!(conn, c => all.load(c))?;
    let mut catalog = Catalog::default();
    for (kind, id, slug, name) in rows {
        let term = Term { id, slug, name };
        match kind {
            0 => catalog.categories.push(term),
            1 => catalog.tags.push(term),
            _ => catalog.authors.push(term),
        }
    }
    for list in [
        &mut catalog.categories,
        &mut catalog.tags,
        &mut catalog.authors,
    ] {
        list.sort_by_key(|term| term.id);
    }
    Ok(catalog)
}

/// The words of the posts `ids` (those that exist): title and the plain text of the body.
pub fn texts(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<PostText>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(TEXTS_PER_STATEMENT) {
        let rows: Vec<(i64, String, String, String)> = posts::table
            .filter(posts::id.eq_any(chunk))
            .select((posts::id, posts::slug, posts::title, posts::body_markdown))
            .load(conn)?;
        found.extend(rows.into_iter().map(|(id, slug, title, body)| PostText {
            id,
            slug,
            title,
            body: plain_text(&body),
        }));
    }
    Ok(found)
}
