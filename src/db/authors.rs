//! Authors (README "Authors") and which posts name them: one author per distinct `posts.author` name until
//! a post names others.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::error::WriteError;
use super::schema::{authors, post_authors, posts};
use super::{content_write, DbConnection};
use crate::domain::author::{Author, AuthorChanges, AuthorEventData};
use crate::domain::clock::WriteTime;
use crate::domain::input::Field;
use crate::domain::markdown::render_html;
use crate::domain::post_rules::{free_slug, SlugTaken};
use crate::domain::webhook::{Event, EventType};
use crate::domain::{PageRequest, Slug};
use crate::on_backend;

/// Posts per statement when many are linked at once.
const CHUNK: usize = 200;

type AuthorRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

const COLUMNS: (
    authors::id,
    authors::slug,
    authors::name,
    authors::bio,
    authors::bio_html,
    authors::website,
    authors::avatar_url,
    authors::updated_at,
) = (
    authors::id,
    authors::slug,
    authors::name,
    authors::bio,
    authors::bio_html,
    authors::website,
    authors::avatar_url,
    authors::updated_at,
);

fn author(row: AuthorRow, counts: &HashMap<i64, i64>) -> Author {
    let (id, slug, name, bio, bio_html, website, avatar_url, updated_at) = row;
    Author {
        post_count: counts.get(&id).copied().unwrap_or(0),
        id,
        slug,
        name,
        bio,
        bio_html,
        website,
        avatar_url,
        updated_at: updated_at.and_utc(),
    }
}

/// How many posts public at `now` name each of the authors `ids`.
fn counts(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<HashMap<i64, i64>> {
    Ok(post_authors::table
        .inner_join(posts::table)
        .filter(post_authors::author_id.eq_any(ids))
        .filter(super::posts::public_at(now))
        .group_by(post_authors::author_id)
        .select((post_authors::author_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// A page of authors by name, each with its published post count, and how many there are.
pub fn list(
    conn: &mut DbConnection,
    page: PageRequest,
    now: NaiveDateTime,
) -> QueryResult<(Vec<Author>, u64)> {
    let rows: Vec<AuthorRow> = authors::table
        .select(COLUMNS)
        .order((authors::name, authors::id))
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)?;
    let total: i64 = authors::table.count().get_result(conn)?;
    let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
    let counts = counts(conn, &ids, now)?;
    Ok((
        rows.into_iter().map(|row| author(row, &counts)).collect(),
        u64::try_from(total).unwrap_or(0),
    ))
}

/// The authors `ids` (those that exist) with their published post counts, by id.
pub fn authors_of(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<Vec<Author>> {
    let rows: Vec<AuthorRow> = authors::table
        .filter(authors::id.eq_any(ids))
        .select(COLUMNS)
        .order(authors::id)
        .load(conn)?;
    let counts = counts(conn, ids, now)?;
    Ok(rows.into_iter().map(|row| author(row, &counts)).collect())
}

/// The author with this slug, with its published post count.
pub fn find(
    conn: &mut DbConnection,
    slug: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Author>> {
    let Some(row) = authors::table
        .filter(authors::slug.eq(slug))
        .select(COLUMNS)
        .first::<AuthorRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let counts = counts(conn, &[row.0], now)?;
    Ok(Some(author(row, &counts)))
}

fn slug_owner(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<i64>> {
    authors::table
        .filter(authors::slug.eq(slug))
        .select(authors::id)
        .first(conn)
        .optional()
}

/// A free slug made from `name`.
fn slug_for(conn: &mut DbConnection, name: &str) -> QueryResult<Slug> {
    let base = Slug::from_text(name, "author");
    let taken: Vec<String> = authors::table
        .filter(
            authors::slug
                .eq(base.as_str())
                .or(authors::slug.like(format!("{}-%", base.as_str()))),
        )
        .select(authors::slug)
        .load(conn)?;
    Ok(free_slug(&base, &taken))
}

fn taken(slug: &Slug, owner: i64) -> WriteError {
    WriteError::SlugTaken(SlugTaken {
        noun: "author",
        slug: slug.as_str().to_owned(),
        owner,
    })
}

pub(super) fn bio_html(bio: &str) -> String {
    if bio.is_empty() {
        String::new()
    } else {
        render_html(bio)
    }
}

fn event(event_type: EventType, id: i64, slug: &str, name: &str, at: NaiveDateTime) -> Event {
    let data = AuthorEventData {
        id,
        slug: slug.to_owned(),
        name: name.to_owned(),
    };
    Event::new(event_type, &data, at)
}

/// Creates an author; returns its slug.
pub fn create(
    conn: &mut DbConnection,
    changes: &AuthorChanges,
    time: WriteTime,
) -> Result<String, WriteError> {
    content_write(conn, time.real, |conn, events| {
        let name = changes.name.clone().unwrap_or_default();
        let slug = match &changes.slug {
            Some(slug) => {
                if let Some(owner) = slug_owner(conn, slug.as_str())? {
                    return Err(taken(slug, owner));
                }
                slug.clone()
            }
            None => slug_for(conn, &name)?,
        };
        let bio = changes.bio.clone().value().unwrap_or_default();
        let id: i64 = diesel::insert_into(authors::table)
            .values((
                authors::slug.eq(slug.as_str()),
                authors::name.eq(&name),
                authors::bio_html.eq(bio_html(&bio)),
                authors::bio.eq(&bio),
                authors::website.eq(changes.website.clone().value()),
                authors::avatar_url.eq(changes.avatar_url.clone().value()),
                authors::created_at.eq(time.at),
                authors::updated_at.eq(time.at),
            ))
            .returning(authors::id)
            .get_result(conn)?;
        events.push(event(
            EventType::AuthorCreated,
            id,
            slug.as_str(),
            &name,
            time.at,
        ));
        Ok(slug.as_str().to_owned())
    })
}

/// Changes the fields `changes` sends of the author with this slug; a new name becomes the `author` of the
/// posts whose primary author it is. Returns its slug (a new one when it changed).
pub fn update(
    conn: &mut DbConnection,
    slug: &str,
    changes: &AuthorChanges,
    time: WriteTime,
) -> Result<String, WriteError> {
    content_write(conn, time.real, |conn, events| {
        let (id, current_slug, name, bio, website, avatar_url): (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        ) = authors::table
            .filter(authors::slug.eq(slug))
            .select((
                authors::id,
                authors::slug,
                authors::name,
                authors::bio,
                authors::website,
                authors::avatar_url,
            ))
            .first(conn)
            .optional()?
            .ok_or(WriteError::NotFound("author"))?;
        if let Some(new) = &changes.slug {
            match slug_owner(conn, new.as_str())? {
                Some(owner) if owner != id => return Err(taken(new, owner)),
                _ => {}
            }
        }
        let keep = |sent: &Field<String>, current: Option<String>| sent.clone().or_keep(current);
        let new_slug = changes
            .slug
            .as_ref()
            .map_or(current_slug, |slug| slug.as_str().to_owned());
        let new_name = changes.name.clone().unwrap_or_else(|| name.clone());
        let new_bio = keep(&changes.bio, Some(bio)).unwrap_or_default();
        diesel::update(authors::table.find(id))
            .set((
                authors::slug.eq(&new_slug),
                authors::name.eq(&new_name),
                authors::bio_html.eq(bio_html(&new_bio)),
                authors::bio.eq(&new_bio),
                authors::website.eq(keep(&changes.website, website)),
                authors::avatar_url.eq(keep(&changes.avatar_url, avatar_url)),
                authors::updated_at.eq(time.at),
            ))
            .execute(conn)?;
        if new_name != name {
            rename_in_posts(conn, id, &new_name, time.at)?;
        }
        events.push(event(
            EventType::AuthorUpdated,
            id,
            &new_slug,
            &new_name,
            time.at,
        ));
        Ok(new_slug)
    })
}

/// Makes `name` the `author` of the posts whose primary author is `id`.
pub(super) fn rename_in_posts(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let primary_of = post_authors::table
        .filter(post_authors::author_id.eq(id))
        .filter(post_authors::position.eq(0))
        .select(post_authors::post_id);
    diesel::update(posts::table.filter(posts::id.eq_any(primary_of)))
        .set((posts::author.eq(name), posts::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// Makes `author_ids`, in order, the authors of the post `post_id` (the first is its primary author).
pub(super) fn set_links(
    conn: &mut DbConnection,
    post_id: i64,
    author_ids: impl IntoIterator<Item = i64>,
) -> QueryResult<()> {
    diesel::delete(post_authors::table.filter(post_authors::post_id.eq(post_id))).execute(conn)?;
    let rows: Vec<_> = author_ids
        .into_iter()
        .zip(0_i64..)
        .map(|(author, position)| {
            (
                post_authors::post_id.eq(post_id),
                post_authors::author_id.eq(author),
                post_authors::position.eq(position),
            )
        })
        .collect();
    if !rows.is_empty() {
        on_backend!(conn, c => diesel::insert_into(post_authors::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// Deletes the author with this slug; `InUse` while a post names it.
pub fn delete(conn: &mut DbConnection, slug: &str, time: WriteTime) -> Result<(), WriteError> {
    content_write(conn, time.real, |conn, events| {
        let (id, name): (i64, String) = authors::table
            .filter(authors::slug.eq(slug))
            .select((authors::id, authors::name))
            .first(conn)
            .optional()?
            .ok_or(WriteError::NotFound("author"))?;
        let named_by: i64 = post_authors::table
            .filter(post_authors::author_id.eq(id))
            .count()
            .get_result(conn)?;
        if named_by > 0 {
            return Err(WriteError::InUse(format!(
                "author `{slug}` is named by {named_by} post(s): give them another author first"
            )));
        }
        diesel::delete(authors::table.find(id)).execute(conn)?;
        events.push(event(EventType::AuthorDeleted, id, slug, &name, time.at));
        Ok(())
    })
}

/// Makes the author named by each post of `post_ids` (its `author`) the post's one author: found by that
/// exact name, or made (slug from the name, created at `at`, else at the first such post's creation).
/// Returns how many authors it made.
pub fn link_by_name(
    conn: &mut DbConnection,
    post_ids: &[i64],
    at: Option<NaiveDateTime>,
) -> QueryResult<u64> {
    let mut made = 0;
    for chunk in post_ids.chunks(CHUNK) {
        let posts_named: Vec<(i64, String, NaiveDateTime)> = posts::table
            .filter(posts::id.eq_any(chunk))
            .select((posts::id, posts::author, posts::created_at))
            .order(posts::id)
            .load(conn)?;
        let names: Vec<&str> = posts_named
            .iter()
            .map(|(_, name, _)| name.as_str())
            .collect();
        let mut by_name: HashMap<String, i64> = HashMap::new();
        for (name, id) in authors::table
            .filter(authors::name.eq_any(&names))
            .select((authors::name, authors::id))
            .order(authors::id.desc())
            .load::<(String, i64)>(conn)?
        {
            by_name.insert(name, id);
        }
        let mut links = Vec::new();
        for (post, name, created_at) in &posts_named {
            let author_id = if let Some(id) = by_name.get(name) {
                *id
            } else {
                let stamp = at.unwrap_or(*created_at);
                let slug = slug_for(conn, name)?;
                let id: i64 = diesel::insert_into(authors::table)
                    .values((
                        authors::slug.eq(slug.as_str()),
                        authors::name.eq(name),
                        authors::created_at.eq(stamp),
                        authors::updated_at.eq(stamp),
                    ))
                    .returning(authors::id)
                    .get_result(conn)?;
                by_name.insert(name.clone(), id);
                made += 1;
                id
            };
            links.push((
                post_authors::post_id.eq(*post),
                post_authors::author_id.eq(author_id),
                post_authors::position.eq(0_i64),
            ));
        }
        diesel::delete(post_authors::table.filter(post_authors::post_id.eq_any(chunk)))
            .execute(conn)?;
        if !links.is_empty() {
            on_backend!(conn, c => diesel::insert_into(post_authors::table).values(&links).execute(c))?;
        }
    }
    Ok(made)
}

/// Links every post that names no author yet (posts written before authors existed, or by SQL); returns
/// how many.
pub fn link_unlinked(conn: &mut DbConnection) -> QueryResult<usize> {
    // Every start asks; only a database with unlinked posts takes the write lock.
    let linked = post_authors::table.select(post_authors::post_id);
    let any: bool = diesel::select(diesel::dsl::exists(
        posts::table.filter(diesel::dsl::not(posts::id.eq_any(linked))),
    ))
    .get_result(conn)?;
    if !any {
        return Ok(0);
    }
    super::write_transaction(conn, |conn| {
        // Instances starting together on an older database: one links, the others then find nothing to do.
        if let DbConnection::Pg(pg) = conn {
            diesel::sql_query("SELECT pg_advisory_xact_lock(7001)").execute(pg)?;
        }
        let linked = post_authors::table.select(post_authors::post_id);
        let ids: Vec<i64> = posts::table
            .filter(diesel::dsl::not(posts::id.eq_any(linked)))
            .select(posts::id)
            .load(conn)?;
        link_by_name(conn, &ids, None)?;
        Ok(ids.len())
    })
}
