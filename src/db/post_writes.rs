//! Writing posts: create, partial update and delete, each in one write transaction. This file reads the
//! current row, resolves category and tag slugs to ids and writes; what the row becomes is decided by
//! [`crate::domain::post_rules`].

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::error::WriteError;
use super::schema::{
    authors, categories, media, post_counters, post_feature_images, post_seo, post_tags, posts,
    tags,
};
use super::{content_write, DbConnection};
use crate::domain::clock::WriteTime;
use crate::domain::input::Field;
use crate::domain::markdown::Reading;
use crate::domain::post_input::{NewPost, PostChanges, References};
use crate::domain::post_rules::{self, PostRow, SlugTaken, UnknownReference};
use crate::domain::revision::RevisionStamp;
use crate::domain::webhook::{post_write_event, Event, EventType, PostEventData};
use crate::domain::Slug;
use crate::on_backend;

/// The id of the post using `slug`, if any.
fn slug_owner(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<i64>> {
    posts::table
        .filter(posts::slug.eq(slug))
        .select(posts::id)
        .first(conn)
        .optional()
}

/// The slugs that `base` could collide with: `base` itself and `base-*`.
fn slugs_like(conn: &mut DbConnection, base: &Slug) -> QueryResult<Vec<String>> {
    posts::table
        .filter(
            posts::slug
                .eq(base.as_str())
                .or(posts::slug.like(format!("{}-%", base.as_str()))),
        )
        .select(posts::slug)
        .load(conn)
}

fn slug_taken(slug: &Slug, owner: i64) -> WriteError {
    WriteError::SlugTaken(SlugTaken {
        noun: "post",
        slug: slug.as_str().to_owned(),
        owner,
    })
}

fn resolve_category(
    conn: &mut DbConnection,
    category: &Field<Slug>,
    unknown: &mut Vec<UnknownReference>,
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
            if let Some(id) = id {
                Field::Value(id)
            } else {
                unknown.push(UnknownReference::category(slug));
                Field::Absent
            }
        }
    })
}

fn resolve_tags(
    conn: &mut DbConnection,
    wanted: Option<&Vec<Slug>>,
    unknown: &mut Vec<UnknownReference>,
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
            unknown.push(UnknownReference::tag(slug));
        }
    }
    Ok(Some(found.into_iter().map(|(id, _)| id).collect()))
}

/// The authors `wanted` names, in that order, as (id, name).
fn resolve_authors(
    conn: &mut DbConnection,
    wanted: Option<&Vec<Slug>>,
    unknown: &mut Vec<UnknownReference>,
) -> QueryResult<Option<Vec<(i64, String)>>> {
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let slugs: Vec<&str> = wanted.iter().map(Slug::as_str).collect();
    let found: Vec<(i64, String, String)> = authors::table
        .filter(authors::slug.eq_any(&slugs))
        .select((authors::id, authors::slug, authors::name))
        .load(conn)?;
    let mut ordered = Vec::new();
    for slug in &slugs {
        match found.iter().find(|(_, found, _)| found == slug) {
            Some((id, _, name)) => ordered.push((*id, name.clone())),
            None => unknown.push(UnknownReference::author(slug)),
        }
    }
    Ok(Some(ordered))
}

/// The category, tag and author slugs that name no row.
pub fn unknown_references(
    conn: &mut DbConnection,
    references: &References,
) -> QueryResult<Vec<UnknownReference>> {
    let mut unknown = Vec::new();
    resolve_category(conn, &references.category, &mut unknown)?;
    resolve_tags(conn, references.tags.as_ref(), &mut unknown)?;
    resolve_authors(conn, references.authors.as_ref(), &mut unknown)?;
    check_feature_image(conn, &references.feature_image_id, &mut unknown)?;
    Ok(unknown)
}

/// Whether the media a write names as its feature image exists.
fn check_feature_image(
    conn: &mut DbConnection,
    feature_image: &Field<i64>,
    unknown: &mut Vec<UnknownReference>,
) -> QueryResult<()> {
    if let Field::Value(id) = feature_image {
        let exists: bool =
            diesel::select(diesel::dsl::exists(media::table.find(*id))).get_result(conn)?;
        if !exists {
            unknown.push(UnknownReference::feature_image(*id));
        }
    }
    Ok(())
}

/// Sets (or with `null` clears) post `post_id`'s feature image; absent leaves it.
fn write_feature_image(
    conn: &mut DbConnection,
    post_id: i64,
    feature_image: &Field<i64>,
) -> QueryResult<()> {
    if feature_image == &Field::Absent {
        return Ok(());
    }
    diesel::delete(post_feature_images::table.find(post_id)).execute(conn)?;
    if let Field::Value(media_id) = feature_image {
        diesel::insert_into(post_feature_images::table)
            .values((
                post_feature_images::post_id.eq(post_id),
                post_feature_images::media_id.eq(*media_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What a write names, by id: its category, tags and authors (in order, with their names).
struct Resolved {
    category: Field<i64>,
    tag_ids: Option<Vec<i64>>,
    authors: Option<Vec<(i64, String)>>,
}

/// Category, tags and authors of a write, by id; every slug that names nothing is refused at once.
fn resolve(
    conn: &mut DbConnection,
    category: &Field<Slug>,
    tags: Option<&Vec<Slug>>,
    (authors, feature_image): (Option<&Vec<Slug>>, &Field<i64>),
) -> Result<Resolved, WriteError> {
    let mut unknown = Vec::new();
    let category = resolve_category(conn, category, &mut unknown)?;
    let tag_ids = resolve_tags(conn, tags, &mut unknown)?;
    let authors = resolve_authors(conn, authors, &mut unknown)?;
    check_feature_image(conn, feature_image, &mut unknown)?;
    if unknown.is_empty() {
        Ok(Resolved {
            category,
            tag_ids,
            authors,
        })
    } else {
        Err(WriteError::UnknownReferences(unknown))
    }
}

/// Makes `authors` (in order) post `post_id`'s authors.
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

/// What a post event says about post `id` as `row` has it.
fn event_data(id: i64, row: &PostRow, previous_slug: Option<String>) -> PostEventData {
    PostEventData {
        id,
        slug: row.slug.clone(),
        title: row.title.clone(),
        published_at: row.published_at.map(|at| at.and_utc()),
        updated_at: row.updated_at.and_utc(),
        previous_slug,
    }
}

fn is_public(row: &PostRow, now: NaiveDateTime) -> bool {
    crate::domain::is_public_at(row.published_at, now)
}

/// Whether `post.published` was sent for the post's current publication.
fn announced(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    posts::table.find(id).select(posts::announced).first(conn)
}

/// Creates a post with a zero counter; returns its id. A post public at once is announced
/// (`post.published`); a scheduled one is when its time comes.
pub fn create(
    conn: &mut DbConnection,
    post: &NewPost,
    time: WriteTime,
    stamp: &RevisionStamp,
) -> Result<i64, WriteError> {
    let now = time.at;
    content_write(conn, time.real, |conn, events| {
        let Resolved {
            category,
            tag_ids,
            authors,
        } = resolve(
            conn,
            &post.category,
            post.tags.as_ref(),
            (post.authors.as_ref(), &post.feature_image_id),
        )?;
        let slug = if let Some(slug) = &post.slug {
            if let Some(owner) = slug_owner(conn, slug.as_str())? {
                return Err(slug_taken(slug, owner));
            }
            slug.clone()
        } else {
            let base = post_rules::base_slug(post);
            post_rules::free_slug(&base, &slugs_like(conn, &base)?)
        };
        let mut row = post_rules::new_row(post, &slug, category.value(), now);
        if let Some((_, primary)) = authors.as_ref().and_then(|authors| authors.first()) {
            row.author.clone_from(primary);
        }
        let public = is_public(&row, now);
        let id: i64 = diesel::insert_into(posts::table)
            .values((
                PostColumns::of(&row),
                posts::created_at.eq(now),
                posts::announced.eq(public),
            ))
            .returning(posts::id)
            .get_result(conn)?;
        write_seo(conn, id, &row)?;
        write_feature_image(conn, id, &post.feature_image_id)?;
        if public {
            events.push(Event::new(
                EventType::PostPublished,
                &event_data(id, &row, None),
                now,
            ));
        }
        replace_tags(conn, id, &tag_ids.unwrap_or_default())?;
        match &authors {
            Some(authors) => {
                super::authors::set_links(conn, id, authors.iter().map(|(author, _)| *author))?;
            }
            None => {
                super::authors::link_by_name(conn, &[id], Some(now))?;
            }
        }
        super::revisions::record(conn, &[id], stamp, now, true)?;
        diesel::insert_into(post_counters::table)
            .values((
                post_counters::post_id.eq(id),
                post_counters::clicks.eq(0_i64),
            ))
            .execute(conn)?;
        Ok(id)
    })
}

/// A post's content as the columns it is written to, by the API's writes and by imports (a `None` writes
/// NULL: a patch or a re-import can clear a category).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = posts, treat_none_as_null = true)]
pub(super) struct PostColumns<'a> {
    pub(super) slug: &'a str,
    pub(super) title: &'a str,
    pub(super) excerpt: &'a str,
    pub(super) body_markdown: &'a str,
    pub(super) body_html: &'a str,
    pub(super) author: &'a str,
    pub(super) category_id: Option<i64>,
    pub(super) published_at: Option<NaiveDateTime>,
    pub(super) updated_at: NaiveDateTime,
    pub(super) word_count: Option<i64>,
    pub(super) reading_time_minutes: Option<i64>,
}

impl<'a> PostColumns<'a> {
    fn of(row: &'a PostRow) -> Self {
        let reading = Reading::of(&row.body_markdown);
        PostColumns {
            word_count: Some(reading.words),
            reading_time_minutes: Some(reading.minutes),
            slug: &row.slug,
            title: &row.title,
            excerpt: &row.excerpt,
            body_markdown: &row.body_markdown,
            body_html: &row.body_html,
            author: &row.author,
            category_id: row.category_id,
            published_at: row.published_at,
            updated_at: row.updated_at,
        }
    }
}

/// Writes post `id`'s SEO fields as `row` has them: one `post_seo` row when any is set, none otherwise.
fn write_seo(conn: &mut DbConnection, id: i64, row: &PostRow) -> QueryResult<()> {
    diesel::delete(post_seo::table.find(id)).execute(conn)?;
    if row.meta_title.is_some() || row.meta_description.is_some() || row.canonical_url.is_some() {
        diesel::insert_into(post_seo::table)
            .values((
                post_seo::post_id.eq(id),
                post_seo::meta_title.eq(row.meta_title.as_deref()),
                post_seo::meta_description.eq(row.meta_description.as_deref()),
                post_seo::canonical_url.eq(row.canonical_url.as_deref()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A post's content columns as selected; becomes the domain's [`PostRow`].
#[derive(Queryable)]
struct StoredPost {
    slug: String,
    title: String,
    excerpt: String,
    body_markdown: String,
    body_html: String,
    author: String,
    category_id: Option<i64>,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    meta_title: Option<String>,
    meta_description: Option<String>,
    canonical_url: Option<String>,
}

/// The stored row of post `id`.
fn current(conn: &mut DbConnection, id: i64) -> Result<PostRow, WriteError> {
    let stored: StoredPost = posts::table
        .left_join(post_seo::table)
        .filter(posts::id.eq(id))
        .select((
            posts::slug,
            posts::title,
            posts::excerpt,
            posts::body_markdown,
            posts::body_html,
            posts::author,
            posts::category_id,
            posts::published_at,
            posts::updated_at,
            post_seo::meta_title.nullable(),
            post_seo::meta_description.nullable(),
            post_seo::canonical_url.nullable(),
        ))
        .first(conn)
        .optional()?
        .ok_or(WriteError::NotFound("post"))?;
    Ok(PostRow {
        slug: stored.slug,
        title: stored.title,
        excerpt: stored.excerpt,
        body_markdown: stored.body_markdown,
        body_html: stored.body_html,
        author: stored.author,
        category_id: stored.category_id,
        published_at: stored.published_at,
        updated_at: stored.updated_at,
        meta_title: stored.meta_title,
        meta_description: stored.meta_description,
        canonical_url: stored.canonical_url,
    })
}

/// Applies the fields `changes` sends; the others stay. Honours `If-Match`. Emits `post.published`,
/// `post.updated` or `post.unpublished` when what readers see changes.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &PostChanges,
    if_match: Option<&str>,
    time: WriteTime,
    stamp: &RevisionStamp,
) -> Result<(), WriteError> {
    let now = time.at;
    content_write(conn, time.real, |conn, events| {
        let current = current(conn, id)?;
        if !post_rules::version_matches(id, current.updated_at, if_match) {
            return Err(WriteError::Stale);
        }
        let Resolved {
            category,
            tag_ids,
            authors,
        } = resolve(
            conn,
            &changes.category,
            changes.tags.as_ref(),
            (changes.authors.as_ref(), &changes.feature_image_id),
        )?;
        if let Some(slug) = &changes.slug {
            match slug_owner(conn, slug.as_str())? {
                Some(owner) if owner != id => return Err(slug_taken(slug, owner)),
                _ => {}
            }
        }
        let mut row = post_rules::apply(changes, &category, &current, now);
        if let Some((_, primary)) = authors.as_ref().and_then(|authors| authors.first()) {
            row.author.clone_from(primary);
        }
        let updated = diesel::update(
            posts::table
                .find(id)
                .filter(posts::updated_at.eq(current.updated_at)),
        )
        .set(PostColumns::of(&row))
        .execute(conn)?;
        if updated == 0 {
            return Err(WriteError::Stale);
        }
        write_seo(conn, id, &row)?;
        write_feature_image(conn, id, &changes.feature_image_id)?;
        if let Some(tag_ids) = tag_ids {
            replace_tags(conn, id, &tag_ids)?;
        }
        match &authors {
            Some(authors) => {
                super::authors::set_links(conn, id, authors.iter().map(|(author, _)| *author))?;
            }
            None if changes.author.is_some() => {
                super::authors::link_by_name(conn, &[id], Some(now))?;
            }
            None => {}
        }
        super::revisions::record(conn, &[id], stamp, now, true)?;
        let was_announced = announced(conn, id)?;
        let public = is_public(&row, now);
        if let Some(event) = post_write_event(was_announced, public) {
            let previous_slug = (current.slug != row.slug).then(|| current.slug.clone());
            events.push(Event::new(event, &event_data(id, &row, previous_slug), now));
        }
        if was_announced != public {
            diesel::update(posts::table.find(id))
                .set(posts::announced.eq(public))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Deletes a post with its counter, comments and tag links (cascades). Honours `If-Match`. Emits
/// `post.deleted` when readers could see it.
pub fn delete(
    conn: &mut DbConnection,
    id: i64,
    if_match: Option<&str>,
    time: WriteTime,
) -> Result<(), WriteError> {
    let now = time.at;
    content_write(conn, time.real, |conn, events| {
        let current = current(conn, id)?;
        if !post_rules::version_matches(id, current.updated_at, if_match) {
            return Err(WriteError::Stale);
        }
        if announced(conn, id)? {
            events.push(Event::new(
                EventType::PostDeleted,
                &event_data(id, &current, None),
                now,
            ));
        }
        diesel::delete(posts::table.find(id)).execute(conn)?;
        Ok(())
    })
}

/// Marks every post whose publication time has passed by `now` and that was not announced yet as
/// announced, and emits `post.published` for each, in one write transaction. Two instances doing this at
/// once announce each post once: PostgreSQL's row locks make the second skip rows the first changed, and
/// SQLite runs one write transaction at a time. Returns how many were announced. `time.at` decides what is
/// public; the deliveries are due at `time.real`.
pub fn announce_due(conn: &mut DbConnection, time: WriteTime) -> QueryResult<usize> {
    let now = time.at;
    // Looked for first (the partial index answers): an UPDATE of no row would still fire the statement
    // trigger that bumps the content version, and every instance would drop its content cache each poll.
    let unannounced = posts::table
        .filter(posts::announced.eq(false))
        .filter(super::posts::public_at(now));
    if !diesel::select(diesel::dsl::exists(unannounced)).get_result::<bool>(conn)? {
        return Ok(0);
    }
    super::write_transaction(conn, |conn| {
        let due: Vec<(i64, String, String, Option<NaiveDateTime>, NaiveDateTime)> = diesel::update(
            posts::table
                .filter(posts::announced.eq(false))
                .filter(super::posts::public_at(now)),
        )
        .set(posts::announced.eq(true))
        .returning((
            posts::id,
            posts::slug,
            posts::title,
            posts::published_at,
            posts::updated_at,
        ))
        .get_results(conn)?;
        let events: Vec<Event> = due
            .iter()
            .map(|(id, slug, title, published_at, updated_at)| {
                let data = PostEventData {
                    id: *id,
                    slug: slug.clone(),
                    title: title.clone(),
                    published_at: published_at.map(|at| at.and_utc()),
                    updated_at: updated_at.and_utc(),
                    previous_slug: None,
                };
                Event::new(EventType::PostPublished, &data, published_at.unwrap_or(now))
            })
            .collect();
        super::webhooks::emit(conn, &events, time.real)?;
        Ok(due.len())
    })
}
