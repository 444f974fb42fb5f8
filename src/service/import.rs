//! `blog-api import FILE.json`: reads a whole blog in the format of `shared/data/README.md`, validates every
//! record before anything is written, then applies it in one transaction (see [`crate::db::import`]).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

pub use crate::domain::import_plan::{
    ImportAuthor, ImportComment, ImportMedia, ImportPlan, ImportPost, ImportReport, ImportTerm,
    SectionReport,
};
use crate::domain::input::Field;
use crate::domain::markdown::{derive_excerpt, render_comment_html, render_html};
use crate::domain::{InvalidValue, Slug};

/// Why an import stopped. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    /// A record is malformed or refers to something the file does not contain.
    #[error("{record}: {message}")]
    InvalidRecord { record: String, message: String },
    #[error("the database refused the import")]
    Database(#[from] crate::db::DbError),
}

/// The sections of an import file, records kept raw so that each is decoded and named on its own.
#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    categories: Vec<serde_json::Value>,
    #[serde(default)]
    tags: Vec<serde_json::Value>,
    #[serde(default)]
    authors: Vec<serde_json::Value>,
    #[serde(default)]
    media: Vec<serde_json::Value>,
    #[serde(default)]
    posts: Vec<serde_json::Value>,
    #[serde(default)]
    comments: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawTerm {
    id: i64,
    slug: String,
    name: String,
}

#[derive(Deserialize)]
struct RawAuthor {
    id: i64,
    slug: String,
    name: String,
    /// Absent: a stored author keeps its own; null: none.
    #[serde(default)]
    bio: Field<String>,
    #[serde(default)]
    website: Field<String>,
    #[serde(default)]
    avatar_url: Field<String>,
}

#[derive(Deserialize)]
struct RawMedia {
    id: i64,
    path: String,
    #[serde(default)]
    alt: Option<String>,
}

#[derive(Deserialize)]
struct RawPost {
    id: i64,
    slug: String,
    title: String,
    /// Required unless `author_ids` names the authors.
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    author_ids: Vec<i64>,
    body_markdown: String,
    #[serde(default)]
    excerpt: Option<String>,
    #[serde(default)]
    category_id: Option<i64>,
    #[serde(default)]
    tag_ids: Vec<i64>,
    /// Present in every record: `null` is a draft, so a forgotten field must not silently mean one.
    #[serde(deserialize_with = "present_but_nullable")]
    published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    clicks: i64,
    #[serde(default)]
    feature_image_id: Option<i64>,
}

#[derive(Deserialize)]
struct RawComment {
    id: i64,
    post_id: i64,
    author_name: String,
    body: String,
    #[serde(default)]
    status: Option<String>,
    created_at: DateTime<Utc>,
}

fn present_but_nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// Reads and validates a file.
pub fn read_plan(path: &Path) -> Result<ImportPlan, ImportError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: shown.clone(),
        source,
    })?;
    let raw: RawFile = serde_json::from_slice(&bytes).map_err(|source| ImportError::Json {
        path: shown,
        source,
    })?;
    plan(raw, path.parent().unwrap_or_else(|| Path::new(".")))
}

/// Validates a file already in memory (the import tests use this).
pub fn plan_from_json(json: &str) -> Result<ImportPlan, ImportError> {
    let raw: RawFile = serde_json::from_str(json).map_err(|source| ImportError::Json {
        path: String::from("input"),
        source,
    })?;
    plan(raw, Path::new("."))
}

#[expect(
    clippy::too_many_lines,
    reason = "one section after another, each a few lines; splitting them would scatter one reading"
)]
fn plan(raw: RawFile, directory: &Path) -> Result<ImportPlan, ImportError> {
    let categories = terms("categories", raw.categories)?;
    let tags = terms("tags", raw.tags)?;
    let category_ids: HashSet<i64> = categories.iter().map(|c| c.id).collect();
    let tag_ids: HashSet<i64> = tags.iter().map(|t| t.id).collect();
    let authors = authors(raw.authors)?;
    let media = media(raw.media, directory)?;
    let media_ids: HashSet<i64> = media.iter().map(|m| m.id).collect();
    let author_names: HashMap<i64, &str> =
        authors.iter().map(|a| (a.id, a.name.as_str())).collect();

    let mut posts = Vec::with_capacity(raw.posts.len());
    let mut post_ids = HashSet::new();
    let mut post_slugs = HashMap::new();
    for (index, value) in raw.posts.into_iter().enumerate() {
        let post: RawPost = decode("posts", index, value)?;
        let record = format!("posts[{index}] (id {}, slug {:?})", post.id, post.slug);
        let invalid = |message: String| ImportError::InvalidRecord {
            record: record.clone(),
            message,
        };
        let bad_field = |error: InvalidValue| invalid(error.to_string());
        positive(post.id).map_err(|m| invalid(format!("`id` {m}")))?;
        let slug = Slug::parse("slug", &post.slug).map_err(bad_field)?;
        let title = text("title", &post.title, 300).map_err(bad_field)?;
        let mut author_ids: Vec<i64> = Vec::with_capacity(post.author_ids.len());
        for author in post.author_ids {
            if !author_names.contains_key(&author) {
                return Err(invalid(format!(
                    "`author_ids` has {author}, which is not in `authors`"
                )));
            }
            if !author_ids.contains(&author) {
                author_ids.push(author);
            }
        }
        if author_ids.len() > crate::domain::post_input::AUTHORS_MAX {
            return Err(invalid(format!(
                "`author_ids` names more than {} authors",
                crate::domain::post_input::AUTHORS_MAX
            )));
        }
        let author = match (author_ids.first(), &post.author) {
            (Some(first), _) => author_names
                .get(first)
                .copied()
                .unwrap_or_default()
                .to_owned(),
            (None, Some(name)) => text("author", name, 100).map_err(bad_field)?,
            (None, None) => {
                return Err(invalid(String::from(
                    "names no author: give `author` (a name) or `author_ids`",
                )))
            }
        };
        if !post_ids.insert(post.id) {
            return Err(invalid(String::from("another post has the same id")));
        }
        if let Some(first) = post_slugs.insert(slug.clone(), index) {
            return Err(invalid(format!("posts[{first}] has the same slug")));
        }
        if let Some(category) = post.category_id {
            if !category_ids.contains(&category) {
                return Err(invalid(format!(
                    "`category_id` {category} is not in `categories`"
                )));
            }
        }
        let mut post_tags = Vec::with_capacity(post.tag_ids.len());
        for tag in post.tag_ids {
            if !tag_ids.contains(&tag) {
                return Err(invalid(format!(
                    "`tag_ids` has {tag}, which is not in `tags`"
                )));
            }
            if !post_tags.contains(&tag) {
                post_tags.push(tag);
            }
        }
        if post
            .body_markdown
            .chars()
            .any(|c| crate::domain::input::is_forbidden_control(c, true))
        {
            return Err(invalid(String::from(
                "`body_markdown` must not contain control characters",
            )));
        }
        if post.clicks < 0 {
            return Err(invalid(String::from("`clicks` must not be negative")));
        }
        if let Some(image) = post.feature_image_id.filter(|id| !media_ids.contains(id)) {
            return Err(invalid(format!(
                "`feature_image_id` {image} is not in `media`"
            )));
        }
        let excerpt = match post.excerpt {
            Some(excerpt) if !excerpt.trim().is_empty() => excerpt.trim().to_owned(),
            _ => derive_excerpt(&post.body_markdown),
        };
        posts.push(ImportPost {
            id: post.id,
            slug,
            title,
            author,
            author_ids,
            body_html: render_html(&post.body_markdown),
            body_markdown: post.body_markdown,
            excerpt,
            category_id: post.category_id,
            tag_ids: post_tags,
            published_at: post.published_at.map(|at| at.naive_utc()),
            clicks: post.clicks,
            feature_image_id: post.feature_image_id,
        });
    }

    let mut comments = Vec::with_capacity(raw.comments.len());
    let mut comment_ids = HashSet::new();
    for (index, value) in raw.comments.into_iter().enumerate() {
        let comment: RawComment = decode("comments", index, value)?;
        let record = format!("comments[{index}] (id {})", comment.id);
        let invalid = |message: String| ImportError::InvalidRecord {
            record: record.clone(),
            message,
        };
        let bad_field = |error: InvalidValue| invalid(error.to_string());
        positive(comment.id).map_err(|m| invalid(format!("`id` {m}")))?;
        if !comment_ids.insert(comment.id) {
            return Err(invalid(String::from("another comment has the same id")));
        }
        if !post_ids.contains(&comment.post_id) {
            return Err(invalid(format!(
                "`post_id` {} is not in `posts`",
                comment.post_id
            )));
        }
        let status = comment.status.unwrap_or_else(|| String::from("approved"));
        if crate::domain::comment_input::status(&status).is_none() {
            return Err(invalid(format!(
                "`status` must be pending, approved or rejected, got {status:?}"
            )));
        }
        let body = checked_text("body", &comment.body, 10_000, true).map_err(bad_field)?;
        comments.push(ImportComment {
            id: comment.id,
            post_id: comment.post_id,
            author_name: text("author_name", &comment.author_name, 100).map_err(bad_field)?,
            body_html: render_comment_html(&body),
            body,
            status,
            created_at: comment.created_at.naive_utc(),
        });
    }

    Ok(ImportPlan {
        categories,
        tags,
        authors,
        media,
        posts,
        comments,
    })
}

fn terms(section: &str, values: Vec<serde_json::Value>) -> Result<Vec<ImportTerm>, ImportError> {
    let mut terms: Vec<ImportTerm> = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        let term: RawTerm = decode(section, index, value)?;
        let record = format!("{section}[{index}] (id {}, slug {:?})", term.id, term.slug);
        let invalid = |message: String| ImportError::InvalidRecord {
            record: record.clone(),
            message,
        };
        positive(term.id).map_err(|m| invalid(format!("`id` {m}")))?;
        let slug = Slug::parse("slug", &term.slug).map_err(|e| invalid(e.to_string()))?;
        let name = text("name", &term.name, 100).map_err(|e| invalid(e.to_string()))?;
        if let Some(other) = terms.iter().position(|t| t.id == term.id || t.slug == slug) {
            return Err(invalid(format!(
                "{section}[{other}] has the same id or slug"
            )));
        }
        terms.push(ImportTerm {
            id: term.id,
            slug,
            name,
        });
    }
    Ok(terms)
}

fn authors(values: Vec<serde_json::Value>) -> Result<Vec<ImportAuthor>, ImportError> {
    use crate::domain::author::{BIO_MAX, NAME_MAX, URL_MAX};
    let mut authors: Vec<ImportAuthor> = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        let author: RawAuthor = decode("authors", index, value)?;
        let record = format!(
            "authors[{index}] (id {}, slug {:?})",
            author.id, author.slug
        );
        let invalid = |message: String| ImportError::InvalidRecord {
            record: record.clone(),
            message,
        };
        let bad_field = |error: InvalidValue| invalid(error.to_string());
        positive(author.id).map_err(|m| invalid(format!("`id` {m}")))?;
        let slug = Slug::parse("slug", &author.slug).map_err(bad_field)?;
        let name = text("name", &author.name, NAME_MAX).map_err(bad_field)?;
        if let Some(other) = authors
            .iter()
            .position(|a| a.id == author.id || a.slug == slug)
        {
            return Err(invalid(format!("authors[{other}] has the same id or slug")));
        }
        let bio = match author.bio {
            Field::Value(bio) if !bio.trim().is_empty() => {
                Field::Value(checked_text("bio", &bio, BIO_MAX, true).map_err(bad_field)?)
            }
            Field::Value(_) | Field::Null => Field::Null,
            Field::Absent => Field::Absent,
        };
        let url = |name: &str, sent: Field<String>| match sent {
            Field::Value(url) => web_url(name, &url, URL_MAX).map(Field::Value),
            other => Ok(other),
        };
        authors.push(ImportAuthor {
            id: author.id,
            slug,
            name,
            bio,
            website: url("website", author.website).map_err(bad_field)?,
            avatar_url: url("avatar_url", author.avatar_url).map_err(bad_field)?,
        });
    }
    Ok(authors)
}

fn media(
    values: Vec<serde_json::Value>,
    directory: &Path,
) -> Result<Vec<ImportMedia>, ImportError> {
    let mut media: Vec<ImportMedia> = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        let raw: RawMedia = decode("media", index, value)?;
        let record = format!("media[{index}] (id {})", raw.id);
        let invalid = |message: String| ImportError::InvalidRecord {
            record: record.clone(),
            message,
        };
        positive(raw.id).map_err(|m| invalid(format!("`id` {m}")))?;
        if let Some(other) = media.iter().position(|m| m.id == raw.id) {
            return Err(invalid(format!("media[{other}] has the same id")));
        }
        if raw.path.trim().is_empty() {
            return Err(invalid(String::from("`path` must name the image file")));
        }
        let alt = crate::domain::media::MediaChanges::from_part(raw.alt.as_deref().unwrap_or(""))
            .map_err(|_| {
                invalid(String::from(
                    "`alt` must be one line of at most 1000 characters",
                ))
            })?
            .alt;
        media.push(ImportMedia {
            id: raw.id,
            path: directory.join(raw.path.trim()),
            alt,
        });
    }
    Ok(media)
}

/// Makes the images of `plan` the database does not hold yet (`known`: file id -> media id) into stored
/// files, one after another; returns each with its file id. On any failure what was stored is removed and
/// the error names the record.
pub async fn prepare_media(
    plan: &ImportPlan,
    library: &crate::service::media::MediaLibrary,
    known: &HashMap<i64, i64, impl std::hash::BuildHasher>,
) -> Result<Vec<(i64, crate::domain::media::StoredMedia)>, ImportError> {
    let mut prepared = Vec::new();
    for (index, media) in plan.media.iter().enumerate() {
        if known.contains_key(&media.id) {
            continue;
        }
        let record = format!(
            "media[{index}] (id {}, path {})",
            media.id,
            media.path.display()
        );
        let outcome = match std::fs::read(&media.path) {
            Err(error) => Err(format!("cannot read the file: {error}")),
            Ok(bytes) => library
                .store_upload(bytes.into(), media.alt.clone())
                .await
                .map_err(|error| refusal(&error)),
        };
        match outcome {
            Ok(stored) => prepared.push((media.id, stored)),
            Err(message) => {
                for (_, stored) in &prepared {
                    library.discard(stored).await;
                }
                return Err(ImportError::InvalidRecord { record, message });
            }
        }
    }
    Ok(prepared)
}

/// What an upload's refusal says, as one line.
fn refusal(error: &crate::error::ApiError) -> String {
    match error {
        crate::error::ApiError::Validation(errors) => errors
            .values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("; "),
        crate::error::ApiError::UnsupportedMediaType(why) => why.clone(),
        other => other.to_string(),
    }
}

/// An absolute http or https URL of at most `max` characters, as the API's URL fields take.
fn web_url(name: &str, raw: &str, max: usize) -> Result<String, InvalidValue> {
    if raw.chars().count() > max || !crate::domain::input::is_web_url(raw) {
        return Err(InvalidValue::new(
            name,
            format!("must be an absolute http:// or https:// URL of at most {max} characters"),
        ));
    }
    Ok(raw.to_owned())
}

fn decode<T: DeserializeOwned>(
    section: &str,
    index: usize,
    value: serde_json::Value,
) -> Result<T, ImportError> {
    let id = value.get("id").map(ToString::to_string);
    serde_json::from_value(value).map_err(|error| ImportError::InvalidRecord {
        record: match id {
            Some(id) => format!("{section}[{index}] (id {id})"),
            None => format!("{section}[{index}]"),
        },
        message: error.to_string(),
    })
}

fn positive(id: i64) -> Result<(), String> {
    if id >= 1 {
        Ok(())
    } else {
        Err(format!("must be a positive integer, got {id}"))
    }
}

/// Trimmed text of 1 to `max` characters.
fn text(name: &str, raw: &str, max: usize) -> Result<String, InvalidValue> {
    checked_text(name, raw, max, false)
}

fn checked_text(
    name: &str,
    raw: &str,
    max: usize,
    multiline: bool,
) -> Result<String, InvalidValue> {
    let trimmed = raw.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > max {
        return Err(InvalidValue::new(
            name,
            format!("must be 1 to {max} characters long"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| crate::domain::input::is_forbidden_control(c, multiline))
    {
        return Err(InvalidValue::new(
            name,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(json: &str) -> String {
        plan_from_json(json)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    const POST: &str = r#"{"id": 1, "slug": "a", "title": "A", "author": "Ann", "body_markdown": "Hi",
        "category_id": 1, "tag_ids": [2, 2], "published_at": "2024-01-01T00:00:00Z", "clicks": 3}"#;

    #[test]
    fn a_valid_file_becomes_a_plan_with_derived_fields() {
        let json = format!(
            r#"{{"categories": [{{"id": 1, "slug": "c", "name": "C"}}],
                "tags": [{{"id": 2, "slug": "t", "name": "T"}}], "posts": [{POST}],
                "comments": [{{"id": 5, "post_id": 1, "author_name": "x", "body": "y",
                               "created_at": "2024-01-02T00:00:00+02:00"}}]}}"#
        );
        let plan = plan_from_json(&json).expect("valid");
        assert_eq!(plan.posts[0].tag_ids, vec![2]);
        assert_eq!(plan.posts[0].excerpt, "Hi");
        assert_eq!(plan.posts[0].body_html, "<p>Hi</p>\n");
        assert_eq!(plan.comments[0].status, "approved");
        assert_eq!(
            plan.comments[0].created_at.to_string(),
            "2024-01-01 22:00:00"
        );
    }

    #[test]
    fn a_dangling_category_names_the_post() {
        let json =
            format!(r#"{{"tags": [{{"id": 2, "slug": "t", "name": "T"}}], "posts": [{POST}]}}"#);
        let error = error_of(&json);
        assert!(
            error.starts_with(r#"posts[0] (id 1, slug "a"): `category_id` 1"#),
            "{error}"
        );
    }

    #[test]
    fn a_missing_field_names_the_record_and_the_field() {
        let error = error_of(r#"{"posts": [{"id": 7, "slug": "a"}]}"#);
        assert!(
            error.starts_with("posts[0] (id 7): missing field"),
            "{error}"
        );
        let error = error_of(
            r#"{"posts": [{"id": 7, "slug": "a", "title": "A", "author": "B", "body_markdown": ""}]}"#,
        );
        assert!(error.contains("missing field `published_at`"), "{error}");
    }

    #[test]
    fn duplicate_slugs_bad_statuses_and_bad_json_are_refused() {
        let json = format!(
            r#"{{"categories": [{{"id": 1, "slug": "c", "name": "C"}}],
                "tags": [{{"id": 2, "slug": "t", "name": "T"}}],
                "posts": [{POST}, {}]}}"#,
            POST.replace(r#""id": 1"#, r#""id": 9"#)
        );
        assert!(
            error_of(&json).contains("posts[0] has the same slug"),
            "{}",
            error_of(&json)
        );
        let json = format!(
            r#"{{"categories": [{{"id": 1, "slug": "c", "name": "C"}}],
                "tags": [{{"id": 2, "slug": "t", "name": "T"}}], "posts": [{POST}],
                "comments": [{{"id": 5, "post_id": 1, "author_name": "x", "body": "y", "status": "spam",
                               "created_at": "2024-01-02T00:00:00Z"}}]}}"#
        );
        assert!(
            error_of(&json).starts_with("comments[0] (id 5): `status`"),
            "{}",
            error_of(&json)
        );
        assert!(error_of("{").contains("not valid JSON"));
    }

    #[test]
    fn bad_author_records_are_refused_by_name() {
        let file = serde_json::json!({
            "authors": [
                {"id": 7, "slug": "ann", "name": "Ann"},
                {"id": 8, "slug": "bob", "name": "Bob", "website": "https://bob.example.com"}
            ],
            "posts": [{"id": 1, "slug": "pair", "title": "Pair", "author_ids": [8, 7],
                       "body_markdown": "Hi.", "published_at": null}]
        });
        let error = |file: &serde_json::Value| error_of(&file.to_string());
        assert_eq!(error(&file), "");
        let mut dangling = file.clone();
        dangling["posts"][0]["author_ids"] = serde_json::json!([7, 9]);
        assert_eq!(
            error(&dangling),
            "posts[0] (id 1, slug \"pair\"): `author_ids` has 9, which is not in `authors`"
        );
        let mut nameless = file.clone();
        nameless["posts"][0]["author_ids"] = serde_json::json!([]);
        assert!(error(&nameless).starts_with("posts[0] (id 1, slug \"pair\"): names no author"));
        let mut script = file.clone();
        script["authors"][1]["website"] = "javascript:alert(1)".into();
        assert!(
            error(&script).starts_with("authors[1] (id 8, slug \"bob\"): `website`"),
            "{}",
            error(&script)
        );
        let mut twins = file.clone();
        twins["authors"][1]["slug"] = "ann".into();
        assert!(error(&twins).contains("authors[0] has the same id or slug"));
        let mut crowd = file;
        crowd["authors"] = (1..=11)
            .map(|id| serde_json::json!({"id": id, "slug": format!("a{id}"), "name": "A"}))
            .collect();
        crowd["posts"][0]["author_ids"] = (1..=11).collect();
        assert!(error(&crowd).contains("more than 10 authors"));
    }
}
