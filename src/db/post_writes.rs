//! Writing posts: create, partial update and delete, each in one write transaction. Category and tags are
//! named by slug and resolved here; slugs stay unique.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{categories, post_counters, post_tags, posts, tags};
use super::{write_transaction, DbConnection};
use crate::domain::etag::{if_match_allows, post_etag};
use crate::domain::input::{Field, FieldErrors};
use crate::domain::markdown::{derive_excerpt, render_html};
use crate::domain::post_input::PostChanges;
use crate::domain::Slug;
use crate::on_backend;

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Fields that name things that do not exist (an unknown category or tag).
    #[error("invalid fields: {0:?}")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// `If-Match` did not name the current version, or the row changed under the write.
    #[error("stale")]
    Stale,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The id of the post using `slug`, if any.
fn slug_owner(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<i64>> {
    posts::table
        .filter(posts::slug.eq(slug))
        .select(posts::id)
        .first(conn)
        .optional()
}

/// `base`, or `base-2`, `base-3`... whichever no other post uses.
fn free_slug(conn: &mut DbConnection, base: &Slug) -> QueryResult<Slug> {
    let taken: Vec<String> = posts::table
        .filter(
            posts::slug
                .eq(base.as_str())
                .or(posts::slug.like(format!("{}-%", base.as_str()))),
        )
        .select(posts::slug)
        .load(conn)?;
    let mut candidate = base.clone();
    let mut n = 1;
    while taken.iter().any(|slug| slug == candidate.as_str()) {
        n += 1;
        candidate = base.numbered(n);
    }
    Ok(candidate)
}

fn resolve_category(
    conn: &mut DbConnection,
    category: &Field<Slug>,
    errors: &mut FieldErrors,
) -> QueryResult<Field<i64>> {
    Ok(match category {
        Field::Absent => Field::Absent,
        Field::Null => Field::Null,
        Field::Value(slug) => {
            let id: Option<i64> = categories::table
                .filter(categories::slug.eq(slug.as_str()))
                .select(categories::id)
                .first(conn)
                .optional()?;
            match id {
                Some(id) => Field::Value(id),
                None => {
                    errors
                        .entry(String::from("category"))
                        .or_default()
                        .push(format!("no category has the slug `{slug}`"));
                    Field::Absent
                }
            }
        }
    })
}

fn resolve_tags(
    conn: &mut DbConnection,
    wanted: &Option<Vec<Slug>>,
    errors: &mut FieldErrors,
) -> QueryResult<Option<Vec<i64>>> {
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let names: Vec<&str> = wanted.iter().map(Slug::as_str).collect();
    let found: Vec<(i64, String)> = tags::table
        .filter(tags::slug.eq_any(&names))
        .select((tags::id, tags::slug))
        .load(conn)?;
    for slug in &names {
        if !found.iter().any(|(_, found)| found == slug) {
            errors
                .entry(String::from("tags"))
                .or_default()
                .push(format!("no tag has the slug `{slug}`"));
        }
    }
    Ok(Some(found.into_iter().map(|(id, _)| id).collect()))
}

fn replace_tags(conn: &mut DbConnection, post_id: i64, tag_ids: &[i64]) -> QueryResult<()> {
    diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post_id))).execute(conn)?;
    if !tag_ids.is_empty() {
        let rows: Vec<_> = tag_ids
            .iter()
            .map(|tag| (post_tags::post_id.eq(post_id), post_tags::tag_id.eq(*tag)))
            .collect();
        on_backend!(conn, c => diesel::insert_into(post_tags::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// Creates a post; returns its id.
pub fn create(
    conn: &mut DbConnection,
    changes: &PostChanges,
    now: NaiveDateTime,
) -> Result<i64, WriteError> {
    write_transaction(conn, |conn| {
        let mut errors = FieldErrors::new();
        let category = resolve_category(conn, &changes.category, &mut errors)?;
        let tag_ids = resolve_tags(conn, &changes.tags, &mut errors)?;
        if !errors.is_empty() {
            return Err(WriteError::Invalid(errors));
        }
        let (Some(title), Some(author), Some(body)) =
            (&changes.title, &changes.author, &changes.body_markdown)
        else {
            return Err(WriteError::Invalid(FieldErrors::from([(
                String::from("title"),
                vec![String::from("is required")],
            )])));
        };
        let slug = match &changes.slug {
            Some(slug) => {
                if let Some(owner) = slug_owner(conn, slug.as_str())? {
                    return Err(WriteError::Conflict(format!(
                        "the slug `{slug}` is taken by post {owner}"
                    )));
                }
                slug.clone()
            }
            None => free_slug(conn, &Slug::from_text(title, "post"))?,
        };
        let excerpt = match &changes.excerpt {
            Field::Value(excerpt) => excerpt.clone(),
            Field::Absent | Field::Null => derive_excerpt(body),
        };
        let id: i64 = diesel::insert_into(posts::table)
            .values((
                posts::slug.eq(slug.as_str()),
                posts::title.eq(title),
                posts::excerpt.eq(&excerpt),
                posts::body_markdown.eq(body),
                posts::body_html.eq(render_html(body)),
                posts::author.eq(author),
                posts::category_id.eq(category.value()),
                posts::published_at.eq(changes.published_at.clone().value()),
                posts::created_at.eq(now),
                posts::updated_at.eq(now),
            ))
            .returning(posts::id)
            .get_result(conn)?;
        replace_tags(conn, id, &tag_ids.unwrap_or_default())?;
        diesel::insert_into(post_counters::table)
            .values((
                post_counters::post_id.eq(id),
                post_counters::clicks.eq(0_i64),
            ))
            .execute(conn)?;
        Ok(id)
    })
}

#[derive(Queryable)]
struct Current {
    slug: String,
    title: String,
    excerpt: String,
    body_markdown: String,
    author: String,
    category_id: Option<i64>,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

fn current(conn: &mut DbConnection, id: i64) -> Result<Current, WriteError> {
    posts::table
        .find(id)
        .select((
            posts::slug,
            posts::title,
            posts::excerpt,
            posts::body_markdown,
            posts::author,
            posts::category_id,
            posts::published_at,
            posts::updated_at,
        ))
        .first(conn)
        .optional()?
        .ok_or(WriteError::NotFound)
}

fn check_if_match(id: i64, current: &Current, if_match: Option<&str>) -> Result<(), WriteError> {
    match if_match {
        Some(header) if !if_match_allows(header, &post_etag(id, current.updated_at.and_utc())) => {
            Err(WriteError::Stale)
        }
        _ => Ok(()),
    }
}

/// Applies the fields `changes` sends; the others stay. Honours `If-Match`.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &PostChanges,
    if_match: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    write_transaction(conn, |conn| {
        let current = current(conn, id)?;
        check_if_match(id, &current, if_match)?;
        let mut errors = FieldErrors::new();
        let category = resolve_category(conn, &changes.category, &mut errors)?;
        let tag_ids = resolve_tags(conn, &changes.tags, &mut errors)?;
        if !errors.is_empty() {
            return Err(WriteError::Invalid(errors));
        }
        if let Some(slug) = &changes.slug {
            match slug_owner(conn, slug.as_str())? {
                Some(owner) if owner != id => {
                    return Err(WriteError::Conflict(format!(
                        "the slug `{slug}` is taken by post {owner}"
                    )));
                }
                _ => {}
            }
        }
        let body = changes
            .body_markdown
            .clone()
            .unwrap_or_else(|| current.body_markdown.clone());
        let excerpt = match &changes.excerpt {
            Field::Value(excerpt) => excerpt.clone(),
            Field::Null => derive_excerpt(&body),
            // A derived excerpt follows the body; one that was written by hand stays.
            Field::Absent if current.excerpt == derive_excerpt(&current.body_markdown) => {
                derive_excerpt(&body)
            }
            Field::Absent => current.excerpt.clone(),
        };
        // Strictly later than the version it replaces, so the ETag always changes.
        let updated_at = now.max(current.updated_at + chrono::Duration::microseconds(1));
        let updated = diesel::update(
            posts::table
                .find(id)
                .filter(posts::updated_at.eq(current.updated_at)),
        )
        .set((
            posts::slug.eq(changes
                .slug
                .as_ref()
                .map_or(current.slug.as_str(), Slug::as_str)),
            posts::title.eq(changes.title.as_ref().unwrap_or(&current.title)),
            posts::excerpt.eq(&excerpt),
            posts::body_markdown.eq(&body),
            posts::body_html.eq(render_html(&body)),
            posts::author.eq(changes.author.as_ref().unwrap_or(&current.author)),
            posts::category_id.eq(match category {
                Field::Absent => current.category_id,
                Field::Null => None,
                Field::Value(id) => Some(id),
            }),
            posts::published_at.eq(match &changes.published_at {
                Field::Absent => current.published_at,
                Field::Null => None,
                Field::Value(at) => Some(*at),
            }),
            posts::updated_at.eq(updated_at),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(WriteError::Stale);
        }
        if let Some(tag_ids) = tag_ids {
            replace_tags(conn, id, &tag_ids)?;
        }
        Ok(())
    })
}

/// Deletes a post with its counter, comments and tag links (cascades). Honours `If-Match`.
pub fn delete(conn: &mut DbConnection, id: i64, if_match: Option<&str>) -> Result<(), WriteError> {
    write_transaction(conn, |conn| {
        let current = current(conn, id)?;
        check_if_match(id, &current, if_match)?;
        diesel::delete(posts::table.find(id)).execute(conn)?;
        Ok(())
    })
}
