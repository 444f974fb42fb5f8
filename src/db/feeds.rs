//! What feeds and the sitemap read: the bodies of a page of posts, a category or tag by slug, and every
//! published post and taxonomy page with its last change.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{authors, categories, post_authors, post_tags, posts, tags};
use super::DbConnection;
use crate::domain::Taxonomy;

/// The rendered bodies of `post_ids`, in one statement.
pub fn bodies(conn: &mut DbConnection, post_ids: &[i64]) -> QueryResult<HashMap<i64, String>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(posts::table
        .filter(posts::id.eq_any(post_ids))
        .select((posts::id, posts::body_html))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// The name of the category or tag with this slug, if there is one.
pub fn term_name(
    conn: &mut DbConnection,
    taxonomy: Taxonomy,
    slug: &str,
) -> QueryResult<Option<String>> {
    match taxonomy {
        Taxonomy::Categories => categories::table
            .filter(categories::slug.eq(slug))
            .select(categories::name)
            .first(conn)
            .optional(),
        Taxonomy::Tags => tags::table
            .filter(tags::slug.eq(slug))
            .select(tags::name)
            .first(conn)
            .optional(),
    }
}

/// The name of the author with this slug, if there is one.
pub fn author_name(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<String>> {
    authors::table
        .filter(authors::slug.eq(slug))
        .select(authors::name)
        .first(conn)
        .optional()
}

/// A page the sitemap lists: its slug (and id, for posts) and when what it shows last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub slug: String,
    pub last_change: NaiveDateTime,
}

/// Everything a sitemap lists, in three statements (four `with_authors`): every published post (oldest
/// first), and every category, tag (and author) holding a published post, with the latest change of those
/// posts.
pub struct SitemapSource {
    pub posts: Vec<Listed>,
    pub categories: Vec<Listed>,
    pub tags: Vec<Listed>,
    /// Empty unless asked for (`AUTHOR_URL_PATTERN` set).
    pub authors: Vec<Listed>,
}

pub fn sitemap_source(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    with_authors: bool,
) -> QueryResult<SitemapSource> {
    let listed = |(id, slug, last_change): (i64, String, Option<NaiveDateTime>)| {
        last_change.map(|last_change| Listed {
            id,
            slug,
            last_change,
        })
    };
    let posts = posts::table
        .filter(super::posts::public_at(now))
        .select((posts::id, posts::slug, posts::updated_at.nullable()))
        .order((posts::published_at.asc(), posts::id.asc()))
        .load(conn)?
        .into_iter()
        .filter_map(listed)
        .collect();
    let categories = categories::table
        .inner_join(posts::table)
        .filter(super::posts::public_at(now))
        .group_by((categories::id, categories::slug))
        .select((
            categories::id,
            categories::slug,
            diesel::dsl::max(posts::updated_at),
        ))
        .order(categories::slug.asc())
        .load(conn)?
        .into_iter()
        .filter_map(listed)
        .collect();
    let tags = tags::table
        .inner_join(post_tags::table.inner_join(posts::table))
        .filter(super::posts::public_at(now))
        .group_by((tags::id, tags::slug))
        .select((tags::id, tags::slug, diesel::dsl::max(posts::updated_at)))
        .order(tags::slug.asc())
        .load(conn)?
        .into_iter()
        .filter_map(listed)
        .collect();
    let authors = if with_authors {
        authors::table
            .inner_join(post_authors::table.inner_join(posts::table))
            .filter(super::posts::public_at(now))
            .group_by((authors::id, authors::slug))
            .select((
                authors::id,
                authors::slug,
                diesel::dsl::max(posts::updated_at),
            ))
            .order(authors::slug.asc())
            .load(conn)?
            .into_iter()
            .filter_map(listed)
            .collect()
    } else {
        Vec::new()
    };
    Ok(SitemapSource {
        posts,
        categories,
        tags,
        authors,
    })
}
