//! Applies a validated [`ImportPlan`] in one write transaction. Records are matched on slug (categories, tags,
//! posts) or on the source record a comment was imported from (`import_sources`); a matched record is updated only where it differs, so importing the same file
//! twice changes nothing. Live click counts are never overwritten: a file's `clicks` seeds new posts only.

use crate::domain::revision::{RevisionStamp, DEFAULT_KEEP};
use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::error::DbError;
use super::post_writes::PostColumns;
use super::schema::{
    authors, categories, comments, import_sources, media, post_authors, post_counters,
    post_feature_images, post_tags, posts, tags,
};
use super::{write_transaction, DbConnection};
use crate::domain::import_plan::{
    ImportAuthor, ImportPlan, ImportPost, ImportReport, ImportTerm, SectionReport,
};
use crate::domain::markdown::Reading;
use crate::domain::media::StoredMedia;
use crate::on_backend;

/// Rows per multi-row `INSERT`: well under SQLite's bound-variable limit for the widest table.
const CHUNK: usize = 200;

/// File id -> database id, per section.
type IdMap = HashMap<i64, i64>;

pub fn apply(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    now: NaiveDateTime,
) -> Result<ImportReport, DbError> {
    apply_keeping(conn, plan, now, DEFAULT_KEEP)
}

/// [`apply`], each post created or changed getting a revision (`token_name` null: shown as `import`), of
/// which the newest `keep` are kept.
pub fn apply_keeping(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    now: NaiveDateTime,
    keep: i64,
) -> Result<ImportReport, DbError> {
    apply_with_media(conn, plan, &[], now, keep)
}

/// The `import_sources` kind of the file's media.
const MEDIA_SOURCE: &str = "media";

/// The file's media already imported, and still there: file id -> media id.
pub fn known_media(conn: &mut DbConnection) -> QueryResult<HashMap<i64, i64>> {
    Ok(import_sources::table
        .inner_join(media::table.on(media::id.eq(import_sources::row_id)))
        .filter(import_sources::kind.eq(MEDIA_SOURCE))
        .select((import_sources::source_id, import_sources::row_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// [`apply_keeping`] with the file's new media, whose files are stored (`prepared`: file id and row): their
/// rows are written with the rest, media already imported get the file's `alt`, and posts that name a
/// feature image get it.
pub fn apply_with_media(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    prepared: &[(i64, StoredMedia)],
    now: NaiveDateTime,
    keep: i64,
) -> Result<ImportReport, DbError> {
    write_transaction(conn, |conn| {
        let mut report = ImportReport::default();
        let media_ids = import_media(conn, plan, prepared, now, &mut report.media)?;
        let category_ids = import_categories(conn, &plan.categories, &mut report.categories)?;
        let tag_ids = import_tags(conn, &plan.tags, &mut report.tags)?;
        let author_ids = import_authors(conn, &plan.authors, now, &mut report.authors)?;
        let mut touched = Vec::new();
        let mut named = Vec::new();
        let post_ids = import_posts(
            conn,
            plan,
            (&category_ids, &tag_ids, &author_ids),
            now,
            &mut report.posts,
            (&mut touched, &mut named),
        )?;
        report.renumbered_comments = import_comments(conn, plan, &post_ids, &mut report.comments)?;
        link_feature_images(
            conn,
            plan,
            &post_ids,
            &media_ids,
            &mut report.posts,
            &mut touched,
        )?;
        let stamp = RevisionStamp {
            token_name: None,
            keep,
        };
        // Posts that name their authors by id were linked above; the others find or make theirs by name.
        let by_id: HashSet<i64> = named.iter().copied().collect();
        let by_name: Vec<i64> = touched
            .iter()
            .copied()
            .filter(|id| !by_id.contains(id))
            .collect();
        report.authors.created += super::authors::link_by_name(conn, &by_name, Some(now))?;
        super::revisions::record(conn, &touched, &stamp, now, false)?;
        if let DbConnection::Pg(pg) = conn {
            // Rows went in with explicit ids: move each sequence past them, or the next insert collides.
            pg.batch_execute(
                "SELECT setval(pg_get_serial_sequence('categories', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM categories;
                 SELECT setval(pg_get_serial_sequence('tags', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM tags;
                 SELECT setval(pg_get_serial_sequence('authors', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM authors;
                 SELECT setval(pg_get_serial_sequence('media', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM media;
                 SELECT setval(pg_get_serial_sequence('posts', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM posts;
                 SELECT setval(pg_get_serial_sequence('comments', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM comments;",
            )?;
        }
        Ok(report)
    })
}

/// Categories and tags have the same shape; this imports either table.
macro_rules! import_terms {
    ($table:ident, $conn:expr, $terms:expr, $report:expr) => {{
        let conn: &mut DbConnection = $conn;
        let existing: Vec<(i64, String, String)> = $table::table
            .select(($table::id, $table::slug, $table::name))
            .load(conn)?;
        let mut taken: HashSet<i64> = existing.iter().map(|(id, _, _)| *id).collect();
        let by_slug: HashMap<String, (i64, String)> = existing
            .into_iter()
            .map(|(id, slug, name)| (slug, (id, name)))
            .collect();
        let mut ids = IdMap::new();
        let terms: &[ImportTerm] = $terms;
        let report: &mut SectionReport = $report;
        for term in terms {
            let id = if let Some((id, name)) = by_slug.get(term.slug.as_str()) {
                if *name == term.name {
                    report.unchanged += 1;
                } else {
                    diesel::update($table::table.find(*id))
                        .set($table::name.eq(&term.name))
                        .execute(conn)?;
                    report.updated += 1;
                }
                *id
            } else {
                report.created += 1;
                let values = (
                    $table::slug.eq(term.slug.as_str()),
                    $table::name.eq(&term.name),
                );
                if taken.insert(term.id) {
                    diesel::insert_into($table::table)
                        .values(($table::id.eq(term.id), values))
                        .execute(conn)?;
                    term.id
                } else {
                    diesel::insert_into($table::table)
                        .values(values)
                        .returning($table::id)
                        .get_result(conn)?
                }
            };
            ids.insert(term.id, id);
        }
        Ok::<IdMap, DbError>(ids)
    }};
}

fn import_categories(
    conn: &mut DbConnection,
    terms: &[ImportTerm],
    report: &mut SectionReport,
) -> Result<IdMap, DbError> {
    import_terms!(categories, conn, terms, report)
}

fn import_tags(
    conn: &mut DbConnection,
    terms: &[ImportTerm],
    report: &mut SectionReport,
) -> Result<IdMap, DbError> {
    import_terms!(tags, conn, terms, report)
}

type AuthorRow = (i64, String, String, String, Option<String>, Option<String>);

/// Authors, matched on slug like categories and tags; a field the file leaves out keeps what is stored. A
/// renamed author's name becomes the `author` of the posts it is the primary author of.
fn import_authors(
    conn: &mut DbConnection,
    wanted: &[ImportAuthor],
    now: NaiveDateTime,
    report: &mut SectionReport,
) -> Result<IdMap, DbError> {
    let existing: Vec<AuthorRow> = authors::table
        .select((
            authors::id,
            authors::slug,
            authors::name,
            authors::bio,
            authors::website,
            authors::avatar_url,
        ))
        .load(conn)?;
    let mut taken: HashSet<i64> = existing.iter().map(|row| row.0).collect();
    let by_slug: HashMap<&str, &AuthorRow> =
        existing.iter().map(|row| (row.1.as_str(), row)).collect();
    let mut ids = IdMap::new();
    for author in wanted {
        let id = if let Some((id, _, name, bio, website, avatar_url)) =
            by_slug.get(author.slug.as_str()).copied()
        {
            let new_bio = author
                .bio
                .clone()
                .or_keep(Some(bio.clone()))
                .unwrap_or_default();
            let new_website = author.website.clone().or_keep(website.clone());
            let new_avatar = author.avatar_url.clone().or_keep(avatar_url.clone());
            if author.name == *name
                && new_bio == *bio
                && new_website == *website
                && new_avatar == *avatar_url
            {
                report.unchanged += 1;
            } else {
                diesel::update(authors::table.find(*id))
                    .set((
                        authors::name.eq(&author.name),
                        authors::bio_html.eq(super::authors::bio_html(&new_bio)),
                        authors::bio.eq(&new_bio),
                        authors::website.eq(new_website),
                        authors::avatar_url.eq(new_avatar),
                        authors::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                if author.name != *name {
                    super::authors::rename_in_posts(conn, *id, &author.name, now)?;
                }
                report.updated += 1;
            }
            *id
        } else {
            report.created += 1;
            let bio = author.bio.clone().value().unwrap_or_default();
            let values = (
                authors::slug.eq(author.slug.as_str()),
                authors::name.eq(&author.name),
                authors::bio_html.eq(super::authors::bio_html(&bio)),
                authors::bio.eq(bio.clone()),
                authors::website.eq(author.website.clone().value()),
                authors::avatar_url.eq(author.avatar_url.clone().value()),
                authors::created_at.eq(now),
                authors::updated_at.eq(now),
            );
            if taken.insert(author.id) {
                diesel::insert_into(authors::table)
                    .values((authors::id.eq(author.id), values))
                    .execute(conn)?;
                author.id
            } else {
                diesel::insert_into(authors::table)
                    .values(values)
                    .returning(authors::id)
                    .get_result(conn)?
            }
        };
        ids.insert(author.id, id);
    }
    Ok(ids)
}

/// A post's columns as an import writes them: the content every write shares, and whether it was announced.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = posts)]
struct PostContent<'a> {
    #[diesel(embed)]
    columns: PostColumns<'a>,
    /// Imported posts already public are not announced to webhooks; those scheduled are, when due.
    announced: bool,
}

#[derive(Insertable)]
#[diesel(table_name = posts)]
struct NewPost<'a> {
    id: i64,
    #[diesel(embed)]
    content: PostContent<'a>,
    created_at: NaiveDateTime,
}

#[derive(Queryable)]
struct ExistingPost {
    id: i64,
    slug: String,
    title: String,
    excerpt: String,
    body_markdown: String,
    author: String,
    category_id: Option<i64>,
    published_at: Option<NaiveDateTime>,
}

impl ExistingPost {
    fn matches(&self, post: &ImportPost, category_id: Option<i64>) -> bool {
        self.title == post.title
            && self.excerpt == post.excerpt
            && self.body_markdown == post.body_markdown
            && self.author == post.author
            && self.category_id == category_id
            && self.published_at == post.published_at
    }
}

/// A post's columns as imported at `now`, with `updated_at` set to `stamp`.
fn content(
    post: &ImportPost,
    category_id: Option<i64>,
    stamp: NaiveDateTime,
    now: NaiveDateTime,
) -> PostContent<'_> {
    let reading = Reading::of(&post.body_markdown);
    PostContent {
        announced: crate::domain::is_public_at(post.published_at, now),
        columns: PostColumns {
            word_count: Some(reading.words),
            reading_time_minutes: Some(reading.minutes),
            slug: post.slug.as_str(),
            title: &post.title,
            excerpt: &post.excerpt,
            body_markdown: &post.body_markdown,
            body_html: &post.body_html,
            author: &post.author,
            category_id,
            published_at: post.published_at,
            updated_at: stamp,
        },
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one section after another, each a few lines; splitting them would scatter one reading"
)]
/// Posts, matched on slug. Every post created or changed goes into `touched`; those whose file names their
/// authors by id are linked to them here and go into `named` too.
fn import_posts(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    (category_ids, tag_ids, author_ids): (&IdMap, &IdMap, &IdMap),
    now: NaiveDateTime,
    report: &mut SectionReport,
    (touched, named): (&mut Vec<i64>, &mut Vec<i64>),
) -> Result<IdMap, DbError> {
    let existing: Vec<ExistingPost> = posts::table
        .select((
            posts::id,
            posts::slug,
            posts::title,
            posts::excerpt,
            posts::body_markdown,
            posts::author,
            posts::category_id,
            posts::published_at,
        ))
        .load(conn)?;
    let mut taken: HashSet<i64> = existing.iter().map(|post| post.id).collect();
    let by_slug: HashMap<&str, &ExistingPost> = existing
        .iter()
        .map(|post| (post.slug.as_str(), post))
        .collect();
    let mut links: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (post_id, tag_id) in post_tags::table
        .select((post_tags::post_id, post_tags::tag_id))
        .load::<(i64, i64)>(conn)?
    {
        links.entry(post_id).or_default().insert(tag_id);
    }
    let mut bylines: HashMap<i64, Vec<i64>> = HashMap::new();
    for (post_id, author_id) in post_authors::table
        .select((post_authors::post_id, post_authors::author_id))
        .order((post_authors::post_id, post_authors::position))
        .load::<(i64, i64)>(conn)?
    {
        bylines.entry(post_id).or_default().push(author_id);
    }

    let mut next_spare = plan
        .posts
        .iter()
        .map(|post| post.id)
        .chain(taken.iter().copied())
        .max()
        .unwrap_or(0)
        + 1;
    let mut ids = IdMap::new();
    let mut new_posts = Vec::new();
    let mut new_links = Vec::new();
    let mut new_counters = Vec::new();
    for post in &plan.posts {
        let category_id = post
            .category_id
            .and_then(|id| category_ids.get(&id).copied());
        let wanted_tags: HashSet<i64> = post
            .tag_ids
            .iter()
            .filter_map(|id| tag_ids.get(id).copied())
            .collect();
        let wanted_authors: Vec<i64> = post
            .author_ids
            .iter()
            .filter_map(|id| author_ids.get(id).copied())
            .collect();
        let id = if let Some(current) = by_slug.get(post.slug.as_str()) {
            let same_content = current.matches(post, category_id);
            let same_tags = links.get(&current.id).cloned().unwrap_or_default() == wanted_tags;
            let same_authors = wanted_authors.is_empty()
                || bylines
                    .get(&current.id)
                    .is_some_and(|ids| *ids == wanted_authors);
            if !same_content {
                diesel::update(posts::table.find(current.id))
                    .set(content(post, category_id, now, now))
                    .execute(conn)?;
            }
            if !same_tags {
                diesel::delete(post_tags::table.filter(post_tags::post_id.eq(current.id)))
                    .execute(conn)?;
                new_links.extend(wanted_tags.iter().map(|tag| (current.id, *tag)));
            }
            if same_content && same_tags && same_authors {
                report.unchanged += 1;
            } else {
                report.updated += 1;
                touched.push(current.id);
                if !wanted_authors.is_empty() {
                    named.push(current.id);
                    bylines.insert(current.id, wanted_authors);
                }
            }
            current.id
        } else {
            report.created += 1;
            let created_at = post.published_at.unwrap_or(now);
            // A file id another post holds (one made through the API, say) gets the next id no row and no
            // file post has: the rows go in together below, and an id the database picked here could be
            // one a later file post names.
            let id = if taken.insert(post.id) {
                post.id
            } else {
                let spare = next_spare;
                next_spare += 1;
                taken.insert(spare);
                spare
            };
            new_posts.push(NewPost {
                id,
                content: content(post, category_id, created_at, now),
                created_at,
            });
            new_links.extend(wanted_tags.iter().map(|tag| (id, *tag)));
            new_counters.push((id, post.clicks));
            touched.push(id);
            if !wanted_authors.is_empty() {
                named.push(id);
                bylines.insert(id, wanted_authors);
            }
            id
        };
        ids.insert(post.id, id);
    }

    for chunk in new_posts.chunks(CHUNK) {
        on_backend!(conn, c => diesel::insert_into(posts::table).values(chunk).execute(c))?;
    }
    for chunk in new_links.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(post, tag)| (post_tags::post_id.eq(*post), post_tags::tag_id.eq(*tag)))
            .collect();
        on_backend!(conn, c => diesel::insert_into(post_tags::table).values(&rows).execute(c))?;
    }
    for chunk in new_counters.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(post, clicks)| {
                (
                    post_counters::post_id.eq(*post),
                    post_counters::clicks.eq(*clicks),
                )
            })
            .collect();
        on_backend!(conn, c => diesel::insert_into(post_counters::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    for post in named.iter() {
        if let Some(authors) = bylines.get(post) {
            super::authors::set_links(conn, *post, authors.iter().copied())?;
        }
    }
    Ok(ids)
}

#[derive(Insertable, AsChangeset, Queryable, PartialEq, Clone)]
#[diesel(table_name = comments)]
struct CommentRow {
    id: i64,
    post_id: i64,
    author_name: String,
    body: String,
    status: String,
    created_at: NaiveDateTime,
    body_html: String,
}

impl CommentRow {
    /// Whether `self`, found under a file comment's id with no provenance, is that comment written by an
    /// import older than provenance: the same post, author and instant.
    fn is_earlier_import_of(&self, wanted: &CommentRow) -> bool {
        self.post_id == wanted.post_id
            && self.author_name == wanted.author_name
            && self.created_at == wanted.created_at
    }
}

/// Media: those already imported (by their source record) get the file's `alt`; the new ones, whose files
/// are stored, get their rows (the file's id when free) and their source records.
fn import_media(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    prepared: &[(i64, StoredMedia)],
    now: NaiveDateTime,
    report: &mut SectionReport,
) -> Result<IdMap, DbError> {
    let known = known_media(conn)?;
    let mut ids = IdMap::new();
    for media in &plan.media {
        let Some(id) = known.get(&media.id).copied() else {
            continue;
        };
        let alt: String = media::table.find(id).select(media::alt).first(conn)?;
        if alt == media.alt {
            report.unchanged += 1;
        } else {
            diesel::update(media::table.find(id))
                .set((media::alt.eq(&media.alt), media::updated_at.eq(now)))
                .execute(conn)?;
            report.updated += 1;
        }
        ids.insert(media.id, id);
    }
    for (file_id, stored) in prepared {
        let taken: bool =
            diesel::select(diesel::dsl::exists(media::table.find(*file_id))).get_result(conn)?;
        let row = StoredMedia {
            id: if taken { 0 } else { *file_id },
            ..stored.clone()
        };
        let inserted = super::media::insert(conn, &row)?;
        diesel::delete(
            import_sources::table
                .filter(import_sources::kind.eq(MEDIA_SOURCE))
                .filter(import_sources::source_id.eq(*file_id)),
        )
        .execute(conn)?;
        diesel::insert_into(import_sources::table)
            .values((
                import_sources::kind.eq(MEDIA_SOURCE),
                import_sources::source_id.eq(*file_id),
                import_sources::row_id.eq(inserted.id),
            ))
            .execute(conn)?;
        report.created += 1;
        ids.insert(*file_id, inserted.id);
    }
    Ok(ids)
}

/// Gives each file post that names a feature image that image (a post that names none keeps its own); a
/// post whose image changed counts as updated (once) and gets a revision.
fn link_feature_images(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    post_ids: &IdMap,
    media_ids: &IdMap,
    report: &mut SectionReport,
    touched: &mut Vec<i64>,
) -> Result<(), DbError> {
    for post in &plan.posts {
        let (Some(file_image), Some(post_id)) = (post.feature_image_id, post_ids.get(&post.id))
        else {
            continue;
        };
        let Some(media_id) = media_ids.get(&file_image).copied() else {
            continue;
        };
        let current: Option<i64> = post_feature_images::table
            .find(*post_id)
            .select(post_feature_images::media_id)
            .first(conn)
            .optional()?;
        if current == Some(media_id) {
            continue;
        }
        diesel::delete(post_feature_images::table.find(*post_id)).execute(conn)?;
        diesel::insert_into(post_feature_images::table)
            .values((
                post_feature_images::post_id.eq(*post_id),
                post_feature_images::media_id.eq(media_id),
            ))
            .execute(conn)?;
        if !touched.contains(post_id) {
            touched.push(*post_id);
            report.updated += 1;
            report.unchanged = report.unchanged.saturating_sub(1);
        }
    }
    Ok(())
}

/// The `import_sources` kind of the file's comments.
const COMMENT_SOURCE: &str = "comment";

/// Comments are matched on the source record they came from (`import_sources`), never on a bare id: an
/// id the file names may belong to a comment made through the API, which an import never touches. A file
/// comment whose id is taken by such a row gets a free id, and the report says so.
fn import_comments(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    post_ids: &IdMap,
    report: &mut SectionReport,
) -> Result<Vec<(i64, i64)>, DbError> {
    let sources: HashMap<i64, i64> = import_sources::table
        .filter(import_sources::kind.eq(COMMENT_SOURCE))
        .select((import_sources::source_id, import_sources::row_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let claimed: HashSet<i64> = sources.values().copied().collect();
    let existing: HashMap<i64, CommentRow> = comments::table
        .select((
            comments::id,
            comments::post_id,
            comments::author_name,
            comments::body,
            comments::status,
            comments::created_at,
            comments::body_html,
        ))
        .load::<CommentRow>(conn)?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut taken: HashSet<i64> = existing.keys().chain(claimed.iter()).copied().collect();
    let mut new_rows = Vec::new();
    let mut new_sources = Vec::new();
    let mut renumbered = Vec::new();
    for comment in &plan.comments {
        let Some(post_id) = post_ids.get(&comment.post_id).copied() else {
            continue; // unreachable: the plan checked every reference
        };
        let mut row = CommentRow {
            id: comment.id,
            post_id,
            author_name: comment.author_name.clone(),
            body: comment.body.clone(),
            status: comment.status.clone(),
            created_at: comment.created_at,
            body_html: comment.body_html.clone(),
        };
        let current = match sources.get(&comment.id) {
            Some(row_id) => existing.get(row_id),
            None => existing
                .get(&comment.id)
                .filter(|found| !claimed.contains(&found.id) && found.is_earlier_import_of(&row)),
        };
        if let Some(current) = current {
            row.id = current.id;
            if !sources.contains_key(&comment.id) {
                new_sources.push((comment.id, current.id));
            }
            if *current == row {
                report.unchanged += 1;
            } else {
                diesel::update(comments::table.find(current.id))
                    .set(&row)
                    .execute(conn)?;
                report.updated += 1;
            }
            continue;
        }
        report.created += 1;
        if taken.insert(comment.id) {
            new_sources.push((comment.id, comment.id));
            new_rows.push(row);
        } else {
            let id: i64 = diesel::insert_into(comments::table)
                .values((
                    comments::post_id.eq(row.post_id),
                    comments::author_name.eq(&row.author_name),
                    comments::body.eq(&row.body),
                    comments::status.eq(&row.status),
                    comments::created_at.eq(row.created_at),
                    comments::body_html.eq(&row.body_html),
                ))
                .returning(comments::id)
                .get_result(conn)?;
            renumbered.push((comment.id, id));
            new_sources.push((comment.id, id));
        }
    }
    for chunk in new_rows.chunks(CHUNK) {
        on_backend!(conn, c => diesel::insert_into(comments::table).values(chunk).execute(c))?;
    }
    remember_comment_sources(conn, &sources, &new_sources)?;
    Ok(renumbered)
}

/// Records which file comment each of `new_sources` (file id, row id) came from; a source whose row was
/// deleted since it was imported (in `known`) is pointed at its new row.
fn remember_comment_sources(
    conn: &mut DbConnection,
    known: &HashMap<i64, i64>,
    new_sources: &[(i64, i64)],
) -> Result<(), DbError> {
    let sources_gone: Vec<i64> = new_sources
        .iter()
        .map(|(source, _)| *source)
        .filter(|source| known.contains_key(source))
        .collect();
    diesel::delete(
        import_sources::table
            .filter(import_sources::kind.eq(COMMENT_SOURCE))
            .filter(import_sources::source_id.eq_any(sources_gone)),
    )
    .execute(conn)?;
    for chunk in new_sources.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(source, row)| {
                (
                    import_sources::kind.eq(COMMENT_SOURCE),
                    import_sources::source_id.eq(*source),
                    import_sources::row_id.eq(*row),
                )
            })
            .collect();
        on_backend!(conn, c => diesel::insert_into(import_sources::table).values(&rows).execute(c))?;
    }
    Ok(())
}
