//! Writing categories and tags (the same shape, two tables). Deleting a category leaves its posts without
//! one; deleting a tag removes it from its posts.

use crate::domain::clock::WriteTime;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::error::WriteError;
use super::schema::{categories, tags};
use super::{content_write, DbConnection};
use crate::domain::post_rules::{free_slug, SlugTaken};
use crate::domain::term_input::TermChanges;
use crate::domain::webhook::{Event, EventType, TaxonomyEventData};
use crate::domain::{Slug, Taxonomy};

/// Expands `$body` with `$table` bound to the taxonomy's table module.
macro_rules! on_table {
    ($taxonomy:expr, $table:ident => $body:expr) => {
        match $taxonomy {
            Taxonomy::Categories => {
                use categories as $table;
                $body
            }
            Taxonomy::Tags => {
                use tags as $table;
                $body
            }
        }
    };
}

fn slug_owner(conn: &mut DbConnection, taxonomy: Taxonomy, slug: &str) -> QueryResult<Option<i64>> {
    on_table!(taxonomy, table => table::table
        .filter(table::slug.eq(slug))
        .select(table::id)
        .first(conn)
        .optional())
}

/// The slugs that `base` could collide with: `base` itself and `base-*`.
fn slugs_like(
    conn: &mut DbConnection,
    taxonomy: Taxonomy,
    base: &Slug,
) -> QueryResult<Vec<String>> {
    let pattern = format!("{}-%", base.as_str());
    on_table!(taxonomy, table => table::table
        .filter(table::slug.eq(base.as_str()).or(table::slug.like(pattern)))
        .select(table::slug)
        .load(conn))
}

/// The term's slug and name as stored now.
fn stored(
    conn: &mut DbConnection,
    taxonomy: Taxonomy,
    id: i64,
) -> QueryResult<Option<(String, String)>> {
    on_table!(taxonomy, table => table::table
        .find(id)
        .select((table::slug, table::name))
        .first(conn)
        .optional())
}

/// `taxonomy.changed` for term `id`, as it is (or was, when deleted).
fn changed(
    taxonomy: Taxonomy,
    action: &'static str,
    id: i64,
    (slug, name): (String, String),
    at: NaiveDateTime,
) -> Event {
    let data = TaxonomyEventData {
        taxonomy: taxonomy.noun(),
        action,
        id,
        slug,
        name,
    };
    Event::new(EventType::TaxonomyChanged, &data, at)
}

fn conflict(taxonomy: Taxonomy, slug: &Slug, owner: i64) -> WriteError {
    WriteError::SlugTaken(SlugTaken {
        noun: taxonomy.noun(),
        slug: slug.as_str().to_owned(),
        owner,
    })
}

/// Creates a category or tag; returns its id.
pub fn create(
    conn: &mut DbConnection,
    taxonomy: Taxonomy,
    changes: &TermChanges,
    time: WriteTime,
) -> Result<i64, WriteError> {
    let name = changes.name.clone().unwrap_or_default();
    content_write(conn, time.real, |conn, events| {
        let slug = if let Some(slug) = &changes.slug {
            if let Some(owner) = slug_owner(conn, taxonomy, slug.as_str())? {
                return Err(conflict(taxonomy, slug, owner));
            }
            slug.clone()
        } else {
            let base = Slug::from_text(&name, taxonomy.noun());
            free_slug(&base, &slugs_like(conn, taxonomy, &base)?)
        };
        let id: i64 = on_table!(taxonomy, table => diesel::insert_into(table::table)
            .values((table::slug.eq(slug.as_str()), table::name.eq(&name)))
            .returning(table::id)
            .get_result(conn))?;
        events.push(changed(
            taxonomy,
            "created",
            id,
            (slug.as_str().to_owned(), name.clone()),
            time.at,
        ));
        Ok(id)
    })
}

/// Renames or re-slugs one.
pub fn update(
    conn: &mut DbConnection,
    taxonomy: Taxonomy,
    id: i64,
    changes: &TermChanges,
    time: WriteTime,
) -> Result<(), WriteError> {
    content_write(conn, time.real, |conn, events| {
        let exists: bool = on_table!(taxonomy, table =>
            diesel::select(diesel::dsl::exists(table::table.find(id))).get_result(conn))?;
        if !exists {
            return Err(WriteError::NotFound(taxonomy.noun()));
        }
        if let Some(slug) = &changes.slug {
            match slug_owner(conn, taxonomy, slug.as_str())? {
                Some(owner) if owner != id => return Err(conflict(taxonomy, slug, owner)),
                _ => {}
            }
            on_table!(taxonomy, table => diesel::update(table::table.find(id))
                .set(table::slug.eq(slug.as_str()))
                .execute(conn))?;
        }
        if let Some(name) = &changes.name {
            on_table!(taxonomy, table => diesel::update(table::table.find(id))
                .set(table::name.eq(name))
                .execute(conn))?;
        }
        if let Some(now) = stored(conn, taxonomy, id)? {
            events.push(changed(taxonomy, "updated", id, now, time.at));
        }
        Ok(())
    })
}

pub fn delete(
    conn: &mut DbConnection,
    taxonomy: Taxonomy,
    id: i64,
    time: WriteTime,
) -> Result<(), WriteError> {
    content_write(conn, time.real, |conn, events| {
        let Some(was) = stored(conn, taxonomy, id)? else {
            return Err(WriteError::NotFound(taxonomy.noun()));
        };
        on_table!(taxonomy, table => diesel::delete(table::table.find(id)).execute(conn))?;
        events.push(changed(taxonomy, "deleted", id, was, time.at));
        Ok(())
    })
}
