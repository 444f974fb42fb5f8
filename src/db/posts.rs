//! Reading posts: lists in a fixed number of statements whatever the page size, and single posts.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::schema::{
    authors, categories, post_authors, post_counters, post_seo, post_tags, posts, tags,
};
use super::{Backend, DbBackend, DbConnection};
use crate::domain::cursor::After;
use crate::domain::fields::{FieldSet, POST_FIELDS};
use crate::domain::{
    AuthorRef, CategoryRef, PostDetail, PostFilter, PostKey, PostListQuery, PostSort, PostStatus,
    PostSummary, TagRef,
};
use crate::on_backend;

/// The columns of a post in a list, with its category, its synced click count and its approved comments.
/// Each is the column, or an empty constant when the read's fieldset leaves it out (so a sparse list reads
/// no column it does not return, and skips the comment count's subquery); the row's shape stays the same.
pub(super) type SummaryColumns = (
    SqlLiteral<BigInt>,
    SqlLiteral<Text>,
    SqlLiteral<Text>,
    SqlLiteral<Text>,
    SqlLiteral<Text>,
    SqlLiteral<Nullable<Timestamp>>,
    SqlLiteral<Timestamp>,
    SqlLiteral<Nullable<BigInt>>,
    SqlLiteral<Nullable<Text>>,
    SqlLiteral<Nullable<Text>>,
    SqlLiteral<Nullable<BigInt>>,
    SqlLiteral<Nullable<BigInt>>,
    SqlLiteral<Nullable<BigInt>>,
    SqlLiteral<BigInt>,
    SqlLiteral<Nullable<BigInt>>,
    SqlLiteral<Nullable<BigInt>>,
);

/// `column` when `wanted`, else `absent` (a constant of the column's type).
fn column<T: diesel::expression::TypedExpressionType>(
    wanted: bool,
    column: &str,
    absent: &str,
) -> SqlLiteral<T> {
    sql::<T>(if wanted { column } else { absent })
}

/// The summary columns `fields` needs. Always read: the id, the publication date (whether a reader may see
/// the post, and the keyset of date orders) and the synced click count (the base of the fresh count, and
/// the keyset of `-clicks`); the rest only when asked for.
pub(super) fn summary_columns(fields: &FieldSet) -> SummaryColumns {
    let category = fields.has("category");
    (
        sql::<BigInt>("posts.id"),
        column(fields.has("slug"), "posts.slug", "''"),
        column(fields.has("title"), "posts.title", "''"),
        column(fields.has("excerpt"), "posts.excerpt", "''"),
        column(fields.has("author"), "posts.author", "''"),
        sql::<Nullable<Timestamp>>("posts.published_at"),
        sql::<Timestamp>("posts.updated_at"),
        column(category, "categories.id", "NULL"),
        column(category, "categories.slug", "NULL"),
        column(category, "categories.name", "NULL"),
        sql::<Nullable<BigInt>>("post_counters.clicks"),
        column(fields.has("word_count"), "posts.word_count", "NULL"),
        column(
            fields.has("reading_time_minutes"),
            "posts.reading_time_minutes",
            "NULL",
        ),
        column(
            fields.has("comment_count"),
            "(SELECT COUNT(*) FROM comments \
              WHERE comments.post_id = posts.id AND comments.status = 'approved')",
            "CAST(0 AS BIGINT)",
        ),
        // Set by a ranking by window (see `super::rankings`).
        sql::<Nullable<BigInt>>("NULL"),
        column(
            fields.has("feature_image"),
            "(SELECT post_feature_images.media_id FROM post_feature_images \
              WHERE post_feature_images.post_id = posts.id)",
            "NULL",
        ),
    )
}

#[derive(Queryable)]
pub(super) struct SummaryRow {
    pub(super) id: i64,
    slug: String,
    title: String,
    excerpt: String,
    author: String,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    category_id: Option<i64>,
    category_slug: Option<String>,
    category_name: Option<String>,
    clicks: Option<i64>,
    word_count: Option<i64>,
    reading_time_minutes: Option<i64>,
    comment_count: i64,
    window_clicks: Option<i64>,
    pub(super) feature_image_id: Option<i64>,
}

impl SummaryRow {
    pub(super) fn into_summary(self, refs: PostRefs) -> PostSummary {
        let category = match (self.category_id, self.category_slug, self.category_name) {
            (Some(id), Some(slug), Some(name)) => Some(CategoryRef { id, slug, name }),
            _ => None,
        };
        PostSummary {
            id: self.id,
            slug: self.slug,
            title: self.title,
            excerpt: self.excerpt,
            author: self.author,
            authors: refs.authors,
            category,
            tags: refs.tags,
            published_at: self.published_at.map(|at| at.and_utc()),
            updated_at: self.updated_at.and_utc(),
            clicks: self.clicks.unwrap_or(0),
            comment_count: self.comment_count,
            // Filled in at start-up for posts older than the columns; 0 only for a row written by SQL since.
            word_count: self.word_count.unwrap_or(0),
            reading_time_minutes: self.reading_time_minutes.unwrap_or(0),
            window_clicks: self.window_clicks,
            highlights: None,
            // Filled by `with_feature_images`.
            feature_image: None,
        }
    }
}

/// The feature images of `rows`' posts, by media id: one statement, none when no post has one.
pub(super) fn feature_images(
    conn: &mut DbConnection,
    rows: &[SummaryRow],
) -> QueryResult<HashMap<i64, crate::domain::media::Media>> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|row| row.feature_image_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort_unstable();
    ids.dedup();
    // Paths on this API; the service moves them under MEDIA_PUBLIC_URL when it is set.
    let urls = crate::domain::media::MediaUrls::default();
    Ok(super::media::find_many(conn, &ids)?
        .iter()
        .map(|media| (media.id, urls.media(media)))
        .collect())
}

/// The summary of `row`, with its refs and feature image.
pub(super) fn summary(
    row: SummaryRow,
    refs: &mut HashMap<i64, PostRefs>,
    images: &HashMap<i64, crate::domain::media::Media>,
) -> PostSummary {
    let image = row.feature_image_id.and_then(|id| images.get(&id).cloned());
    let post_refs = refs.remove(&row.id).unwrap_or_default();
    let mut summary = row.into_summary(post_refs);
    summary.feature_image = image;
    summary
}

/// The posts public at `now` ([`crate::domain::is_public_at`] in a query).
pub fn public_at(now: NaiveDateTime) -> diesel::dsl::LtEq<posts::published_at, NaiveDateTime> {
    posts::published_at.le(now)
}

/// [`public_at`] for statements written as text: `now` is bound right after it.
pub const PUBLIC_AT_SQL: &str = "posts.published_at <= ";

/// Narrows a boxed query over `posts` (alone or joined) to the posts matching `filter`.
/// A macro because the query types differ per join; the conditions only name `posts` columns.
macro_rules! matching {
    ($query:expr, $filter:expr, $now:expr, $backend:expr) => {{
        let filter: &PostFilter = $filter;
        let mut query = match filter.status {
            PostStatus::Published => $query.filter($crate::db::posts::public_at($now)),
            PostStatus::Scheduled => $query.filter(posts::published_at.gt($now)),
            PostStatus::Draft => $query.filter(posts::published_at.is_null()),
            PostStatus::All => $query,
        };
        if let Some(category) = &filter.category {
            // An alias: the page query joins `categories` already.
            let wanted = diesel::alias!(categories as wanted_category);
            query = query.filter(
                posts::category_id.eq_any(
                    wanted
                        .filter(
                            wanted
                                .field(categories::slug)
                                .eq(category.as_str().to_owned()),
                        )
                        .select(wanted.field(categories::id).nullable()),
                ),
            );
        }
        if let Some(tag) = &filter.tag {
            query = query.filter(
                posts::id.eq_any(
                    post_tags::table
                        .inner_join(tags::table)
                        .filter(tags::slug.eq(tag.as_str().to_owned()))
                        .select(post_tags::post_id),
                ),
            );
        }
        if let Some(author) = &filter.author {
            query = query.filter(
                posts::id.eq_any(
                    $crate::db::schema::post_authors::table
                        .inner_join($crate::db::schema::authors::table)
                        .filter($crate::db::schema::authors::slug.eq(author.as_str().to_owned()))
                        .select($crate::db::schema::post_authors::post_id),
                ),
            );
        }
        if let Some(matched) = &filter.matched {
            query = query.filter(search_condition($backend, matched));
        }
        query
    }};
}
pub(super) use matching;

/// The posts a search matched (README "Search": the index finds them, in memory), as one bound JSON
/// array: the statement is the same whatever the number of matches.
pub(super) fn search_condition(
    backend: Backend,
    matched: &[i64],
) -> diesel::expression::SqlLiteral<Bool, impl diesel::query_builder::QueryFragment<DbBackend>> {
    let ids = serde_json::to_string(matched).unwrap_or_else(|_| String::from("[]"));
    match backend {
        Backend::Postgres => {
            sql::<Bool>("posts.id IN (SELECT CAST(jsonb_array_elements_text(CAST(")
                .bind::<Text, _>(ids)
                .sql(" AS jsonb)) AS BIGINT))")
        }
        Backend::Sqlite => sql::<Bool>("posts.id IN (SELECT value FROM json_each(")
            .bind::<Text, _>(ids)
            .sql("))"),
    }
}

/// Narrows a boxed post list query to the posts after `after` in `sort`'s order (keyset pagination): one
/// row-value comparison, served by the index of that order (migration 9). Drafts (no date) come first among
/// the newest and last among the oldest, as in the order itself.
macro_rules! after {
    ($query:expr, $sort:expr, $after:expr) => {{
        let query = $query;
        match ($sort, $after) {
            (_, None) => query,
            (PostSort::NewestFirst, Some(After::Published(Some(at), id))) => query.filter(
                sql::<Bool>("(posts.published_at, posts.id) < (")
                    .bind::<Timestamp, _>(*at)
                    .sql(", ")
                    .bind::<BigInt, _>(*id)
                    .sql(")"),
            ),
            (PostSort::NewestFirst, Some(After::Published(None, id))) => query.filter(
                sql::<Bool>("((posts.published_at IS NULL AND posts.id < ")
                    .bind::<BigInt, _>(*id)
                    .sql(") OR posts.published_at IS NOT NULL)"),
            ),
            (PostSort::OldestFirst, Some(After::Published(Some(at), id))) => query.filter(
                sql::<Bool>("((posts.published_at, posts.id) > (")
                    .bind::<Timestamp, _>(*at)
                    .sql(", ")
                    .bind::<BigInt, _>(*id)
                    .sql(") OR posts.published_at IS NULL)"),
            ),
            (PostSort::OldestFirst, Some(After::Published(None, id))) => query.filter(
                sql::<Bool>("(posts.published_at IS NULL AND posts.id > ")
                    .bind::<BigInt, _>(*id)
                    .sql(")"),
            ),
            (PostSort::MostClicked, Some(After::Clicks(clicks, id))) => query.filter(
                sql::<Bool>("(post_counters.clicks, post_counters.post_id) < (")
                    .bind::<BigInt, _>(*clicks)
                    .sql(", ")
                    .bind::<BigInt, _>(*id)
                    .sql(")"),
            ),
            (PostSort::Title, Some(After::Title(title, id))) => query.filter(
                sql::<Bool>("(LOWER(posts.title), posts.id) > (LOWER(")
                    .bind::<Text, _>(title.clone())
                    .sql("), ")
                    .bind::<BigInt, _>(*id)
                    .sql(")"),
            ),
            // A cursor is sealed with its order; the route refuses one of another order before this.
            (_, Some(_)) => query.filter(sql::<Bool>("1 = 0")),
        }
    }};
}

/// A page of posts: the posts, how many match in all, and whether more follow the page.
#[derive(Debug)]
pub struct PostsPage {
    pub posts: Vec<PostSummary>,
    pub total: u64,
    pub more: bool,
}

/// One page of the posts matching the request and the number of all that match: three statements
/// (count, page, tags), whatever the page size. With a cursor the page starts after its post.
pub fn list(
    conn: &mut DbConnection,
    request: &PostListQuery,
    now: NaiveDateTime,
) -> QueryResult<PostsPage> {
    let backend = conn.backend();
    let total: i64 = matching!(posts::table.into_boxed(), &request.filter, now, backend)
        .count()
        .get_result(conn)?;

    // The title is the keyset of `sort=title`: read even when not shown.
    let fields = match request.sort {
        PostSort::Title => request.fields.with("title"),
        _ => request.fields,
    };
    let columns = summary_columns(&fields);
    let query = posts::table
        .left_join(categories::table)
        .left_join(post_counters::table)
        .select(columns)
        .into_boxed();
    let query = matching!(query, &request.filter, now, backend);
    let query = after!(query, request.sort, &request.after);
    // Drafts (no date) come first among the newest and last among the oldest, on both backends.
    let query = match (request.sort, request.filter.status) {
        (_, PostStatus::Published | PostStatus::Scheduled) => query,
        (PostSort::NewestFirst, _) => query.order(sql::<Bool>("posts.published_at IS NULL").desc()),
        (PostSort::OldestFirst, _) => query.order(sql::<Bool>("posts.published_at IS NULL").asc()),
        _ => query,
    };
    let query = match request.sort {
        // Trending is ranked by `super::rankings`, relevance by the search index; asked of this list, the
        // newest first.
        PostSort::Trending | PostSort::Relevance => query.then_order_by(posts::id.desc()),
        PostSort::NewestFirst => {
            query.then_order_by((posts::published_at.desc(), posts::id.desc()))
        }
        PostSort::OldestFirst => query.then_order_by((posts::published_at.asc(), posts::id.asc())),
        // Every post has a counter row (made with it; migration 9 filled any gap): asking for it lets
        // PostgreSQL read the posts in the order of post_counters_keyset_idx instead of sorting them all.
        PostSort::MostClicked => query
            .filter(post_counters::clicks.is_not_null())
            .then_order_by((post_counters::clicks.desc(), post_counters::post_id.desc())),
        PostSort::Title => {
            query.then_order_by((sql::<Text>("LOWER(posts.title)").asc(), posts::id.asc()))
        }
    };
    // One row past the page says whether another follows.
    let offset = if request.after.is_some() {
        0
    } else {
        request.page.offset()
    };
    let mut rows: Vec<SummaryRow> = query
        .limit(request.page.limit() + 1)
        .offset(offset)
        .load(conn)?;
    let more = rows.len() > usize::try_from(request.page.limit()).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(request.page.limit()).unwrap_or(usize::MAX));

    let mut refs = refs_of(
        conn,
        rows.iter().map(|row| row.id).collect(),
        Refs::of(&request.fields),
    )?;
    let images = feature_images(conn, &rows)?;
    let posts = rows
        .into_iter()
        .map(|row| summary(row, &mut refs, &images))
        .collect();
    Ok(PostsPage {
        posts,
        total: u64::try_from(total).unwrap_or(0),
        more,
    })
}

/// A post's `meta_title` and `meta_description` (over `posts` left-joined to `post_seo`): the editor's, else
/// the title and the excerpt.
const META_TITLE_SQL: &str = "COALESCE(post_seo.meta_title, posts.title)";
const META_DESCRIPTION_SQL: &str = "COALESCE(post_seo.meta_description, posts.excerpt)";

/// A post by id or slug, with its body: two statements (post, tags). `None` when it does not exist, or
/// with `published_only` when it is a draft or scheduled.
pub fn find(
    conn: &mut DbConnection,
    key: &PostKey,
    published_only: bool,
    now: NaiveDateTime,
) -> QueryResult<Option<PostDetail>> {
    find_fields(conn, key, published_only, now, &FieldSet::all(POST_FIELDS))
}

/// [`find`] reading only what `fields` (of [`POST_FIELDS`]) needs: no body column unless asked for, no
/// tags statement without `tags`. The fields left out hold empty values.
pub fn find_fields(
    conn: &mut DbConnection,
    key: &PostKey,
    published_only: bool,
    now: NaiveDateTime,
    fields: &FieldSet,
) -> QueryResult<Option<PostDetail>> {
    let mut query = posts::table
        .left_join(categories::table)
        .left_join(post_counters::table)
        .left_join(post_seo::table)
        .select((
            summary_columns(fields),
            column::<Text>(fields.has("body_markdown"), "posts.body_markdown", "''"),
            column::<Text>(fields.has("body_html"), "posts.body_html", "''"),
            column::<Text>(fields.has("meta_title"), META_TITLE_SQL, "''"),
            column::<Text>(fields.has("meta_description"), META_DESCRIPTION_SQL, "''"),
            column::<Nullable<Text>>(
                fields.has("canonical_url"),
                "post_seo.canonical_url",
                "NULL",
            ),
        ))
        .into_boxed();
    if published_only {
        query = query.filter(public_at(now));
    }
    let query = match key {
        PostKey::Id(id) => query.filter(posts::id.eq(id.get())),
        PostKey::Slug(slug) => query.filter(posts::slug.eq(slug.as_str().to_owned())),
    };
    let Some((row, body_markdown, body_html, meta_title, meta_description, canonical_url)) = query
        .first::<(SummaryRow, String, String, String, String, Option<String>)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let mut refs = refs_of(conn, vec![row.id], Refs::of(fields))?;
    let images = feature_images(conn, std::slice::from_ref(&row))?;
    Ok(Some(PostDetail {
        summary: summary(row, &mut refs, &images),
        body_markdown,
        body_html,
        meta_title,
        meta_description,
        canonical_url,
        // Made by the service, which knows where the post's page is.
        json_ld: serde_json::Value::Null,
    }))
}

/// The summaries of the posts `ids` (those that exist), in that order, with what `fields` needs: two
/// statements (rows; tags and authors).
pub fn summaries_of(
    conn: &mut DbConnection,
    ids: &[i64],
    fields: &FieldSet,
) -> QueryResult<Vec<PostSummary>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<SummaryRow> = posts::table
        .left_join(categories::table)
        .left_join(post_counters::table)
        .select(summary_columns(fields))
        .filter(posts::id.eq_any(ids))
        .load(conn)?;
    let mut refs = refs_of(conn, ids.to_vec(), Refs::of(fields))?;
    let images = feature_images(conn, &rows)?;
    let mut by_id: HashMap<i64, SummaryRow> = rows.into_iter().map(|row| (row.id, row)).collect();
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|row| summary(row, &mut refs, &images))
        .collect())
}

/// The posts `ids` (those that exist) with every field, in that order: three statements (rows; tags and
/// authors; bodies and SEO fields). For delta sync; the service places images and makes the JSON-LD.
pub fn details_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<PostDetail>> {
    let summaries = summaries_of(conn, ids, &FieldSet::all(POST_FIELDS))?;
    if summaries.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, String, String, String, Option<String>)> = posts::table
        .left_join(post_seo::table)
        .filter(posts::id.eq_any(ids))
        .select((
            posts::id,
            posts::body_markdown,
            posts::body_html,
            sql::<Text>(META_TITLE_SQL),
            sql::<Text>(META_DESCRIPTION_SQL),
            post_seo::canonical_url.nullable(),
        ))
        .load(conn)?;
    let mut rest: HashMap<i64, _> = rows
        .into_iter()
        .map(|(id, markdown, html, title, description, canonical)| {
            (id, (markdown, html, title, description, canonical))
        })
        .collect();
    Ok(summaries
        .into_iter()
        .filter_map(|summary| {
            let (body_markdown, body_html, meta_title, meta_description, canonical_url) =
                rest.remove(&summary.id)?;
            Some(PostDetail {
                summary,
                body_markdown,
                body_html,
                meta_title,
                meta_description,
                canonical_url,
                json_ld: serde_json::Value::Null,
            })
        })
        .collect())
}

/// What `read` reads, and the earliest publication still to come after `now` (until when it holds without
/// a write), on one connection.
pub fn until_next_publication<T>(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    read: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<(T, Option<NaiveDateTime>)> {
    let value = read(conn)?;
    Ok((value, next_publication(conn, now)?))
}

/// The earliest publication still to come after `now`, if any: until then, which posts are published
/// does not change by itself.
pub fn next_publication(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    posts::table
        .filter(posts::published_at.gt(now))
        .select(diesel::dsl::min(posts::published_at))
        .get_result(conn)
}

/// Whether the post exists and is published.
pub fn is_published(
    conn: &mut DbConnection,
    post_id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        posts::table
            .filter(posts::id.eq(post_id))
            .filter(public_at(now)),
    ))
    .get_result(conn)
}

/// The tags of many posts in one statement, each post's tags ordered by name.
/// The tags and authors a post embeds.
#[derive(Debug, Default)]
pub(super) struct PostRefs {
    pub(super) tags: Vec<TagRef>,
    pub(super) authors: Vec<AuthorRef>,
}

/// Which of a post's tags and authors a read returns.
#[derive(Debug, Clone, Copy)]
pub(super) struct Refs {
    pub(super) tags: bool,
    pub(super) authors: bool,
}

impl Refs {
    pub(super) const ALL: Refs = Refs {
        tags: true,
        authors: true,
    };

    pub(super) fn of(fields: &FieldSet) -> Self {
        Refs {
            tags: fields.has("tags"),
            authors: fields.has("authors"),
        }
    }
}

/// A post's tags, and its authors with their positions, as the rows come.
type Gathered = (Vec<TagRef>, Vec<(i64, AuthorRef)>);

/// The tags (by name) and authors (in order) of the posts `post_ids`, as `wanted` says: one statement, none
/// when neither is wanted.
pub(super) fn refs_of(
    conn: &mut DbConnection,
    post_ids: Vec<i64>,
    wanted: Refs,
) -> QueryResult<HashMap<i64, PostRefs>> {
    if post_ids.is_empty() || !(wanted.tags || wanted.authors) {
        return Ok(HashMap::new());
    }
    // (post, -1 for a tag or the author's position, id, slug, name)
    let tag_rows = post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq_any(post_ids.clone()))
        .select((
            post_tags::post_id,
            sql::<BigInt>("CAST(-1 AS BIGINT)"),
            tags::id,
            tags::slug,
            tags::name,
        ));
    let author_rows = post_authors::table
        .inner_join(authors::table)
        .filter(post_authors::post_id.eq_any(post_ids))
        .select((
            post_authors::post_id,
            post_authors::position,
            authors::id,
            authors::slug,
            authors::name,
        ));
    let rows: Vec<(i64, i64, i64, String, String)> = match (wanted.tags, wanted.authors) {
        (true, true) => on_backend!(conn, c => tag_rows.union_all(author_rows).load(c))?,
        (true, false) => tag_rows.load(conn)?,
        _ => author_rows.load(conn)?,
    };
    let mut by_post: HashMap<i64, Gathered> = HashMap::new();
    for (post_id, kind, id, slug, name) in rows {
        let refs = by_post.entry(post_id).or_default();
        let embedded = CategoryRef { id, slug, name };
        if kind < 0 {
            refs.0.push(embedded);
        } else {
            refs.1.push((kind, embedded));
        }
    }
    Ok(by_post
        .into_iter()
        .map(|(post, (mut tags, mut authors))| {
            tags.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            authors.sort_by_key(|(position, author)| (*position, author.id));
            let authors = authors.into_iter().map(|(_, author)| author).collect();
            (post, PostRefs { tags, authors })
        })
        .collect())
}
