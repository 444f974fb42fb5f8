//! Revisions of a post: every create and update (through the API, an import or a restore) keeps the post's
//! editable fields as they became, in the shape a `PATCH` takes, so that any of them can be read back and
//! restored.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::input::Field;
use super::post_input::PostChanges;
use super::{InvalidValue, Slug};

/// What `token_name` says of a revision an import made.
pub const IMPORT: &str = "import";

/// `POST_REVISIONS_KEEP`'s default: the newest revisions a post keeps.
pub const DEFAULT_KEEP: i64 = 50;

/// Who makes a revision, and how many a post keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionStamp {
    /// The token's name; `None` for an import.
    pub token_name: Option<String>,
    /// `POST_REVISIONS_KEEP`.
    pub keep: i64,
}

/// A post's editable fields as a revision keeps them: the body of a `PATCH` that would bring them back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RevisionPost)]
pub struct RevisionPost {
    pub title: String,
    pub slug: String,
    pub body_markdown: String,
    /// `null` when it was derived from the body (a restore derives it again).
    pub excerpt: Option<String>,
    pub author: String,
    /// Author slugs in order (the first is the primary author).
    #[serde(default)]
    pub authors: Vec<String>,
    /// A category slug, or null.
    pub category: Option<String>,
    /// Tag slugs, by slug.
    pub tags: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
}

impl RevisionPost {
    /// The names of the fields that differ from `before` (every field set, for the first revision).
    pub fn changed_from(&self, before: Option<&RevisionPost>) -> Vec<String> {
        let now = self.fields();
        match before {
            None => now
                .filter(|(_, value)| !value.is_null())
                .map(|(name, _)| name.to_owned())
                .collect(),
            Some(before) => now
                .zip(before.fields())
                .filter(|((_, now), (_, then))| now != then)
                .map(|((name, _), _)| name.to_owned())
                .collect(),
        }
    }

    /// Each field by name, as comparable JSON.
    fn fields(&self) -> impl Iterator<Item = (&'static str, serde_json::Value)> {
        let value = serde_json::to_value(self).unwrap_or_default();
        FIELD_NAMES
            .into_iter()
            .map(move |name| (name, value.get(name).cloned().unwrap_or_default()))
    }

    /// The patch that brings every field back.
    pub fn as_changes(&self) -> Result<PostChanges, InvalidValue> {
        let optional = |value: &Option<String>| match value {
            Some(text) => Field::Value(text.clone()),
            None => Field::Null,
        };
        Ok(PostChanges {
            title: Some(self.title.clone()),
            slug: Some(Slug::parse("slug", &self.slug)?),
            body_markdown: Some(self.body_markdown.clone()),
            excerpt: optional(&self.excerpt),
            author: Some(self.author.clone()),
            authors: if self.authors.is_empty() {
                None
            } else {
                Some(
                    self.authors
                        .iter()
                        .map(|slug| Slug::parse("authors", slug))
                        .collect::<Result<_, _>>()?,
                )
            },
            category: match &self.category {
                Some(slug) => Field::Value(Slug::parse("category", slug)?),
                None => Field::Null,
            },
            tags: Some(
                self.tags
                    .iter()
                    .map(|slug| Slug::parse("tags", slug))
                    .collect::<Result<_, _>>()?,
            ),
            published_at: match self.published_at {
                Some(at) => Field::Value(at.naive_utc()),
                None => Field::Null,
            },
            meta_title: optional(&self.meta_title),
            meta_description: optional(&self.meta_description),
            canonical_url: optional(&self.canonical_url),
            // Not kept in revisions: a restore leaves the feature image as it is.
            feature_image_id: Field::Absent,
        })
    }
}

/// Every field of a [`RevisionPost`], in order.
const FIELD_NAMES: [&str; 12] = [
    "title",
    "slug",
    "body_markdown",
    "excerpt",
    "author",
    "authors",
    "category",
    "tags",
    "published_at",
    "meta_title",
    "meta_description",
    "canonical_url",
];

/// A revision in a post's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"number": 3, "created_at": "2026-12-07T09:00:00Z", "token_name": "editor", "changed": ["title"]}))]
pub struct RevisionSummary {
    /// 1 for the post's first revision, then one more for each.
    pub number: i64,
    pub created_at: DateTime<Utc>,
    /// The name of the token that made it, or `import`.
    pub token_name: String,
    /// The fields that differ from the revision before (every field set, for the first).
    pub changed: Vec<String>,
}

impl RevisionSummary {
    pub fn new(
        number: i64,
        created_at: NaiveDateTime,
        token_name: Option<String>,
        changed: &str,
    ) -> Self {
        RevisionSummary {
            number,
            created_at: created_at.and_utc(),
            token_name: token_name.unwrap_or_else(|| IMPORT.to_owned()),
            changed: changed
                .split(',')
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// One revision with the fields it kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Revision {
    #[serde(flatten)]
    pub summary: RevisionSummary,
    /// The post's editable fields as they were, in the shape a `PATCH` takes.
    pub post: RevisionPost,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> RevisionPost {
        RevisionPost {
            title: String::from("Hello"),
            slug: String::from("hello"),
            body_markdown: String::from("Body."),
            excerpt: None,
            author: String::from("Ann"),
            authors: vec![String::from("ann")],
            category: Some(String::from("news")),
            tags: vec![String::from("rust")],
            published_at: None,
            meta_title: None,
            meta_description: None,
            canonical_url: None,
        }
    }

    #[test]
    fn changed_names_the_fields_that_differ() {
        let first = post();
        assert_eq!(
            first.changed_from(None),
            [
                "title",
                "slug",
                "body_markdown",
                "author",
                "authors",
                "category",
                "tags"
            ]
        );
        let second = RevisionPost {
            title: String::from("Hello again"),
            meta_title: Some(String::from("Hi")),
            ..post()
        };
        assert_eq!(second.changed_from(Some(&first)), ["title", "meta_title"]);
        assert!(first.changed_from(Some(&first)).is_empty());
    }

    #[test]
    fn a_revision_becomes_the_patch_that_restores_it() {
        let changes = post().as_changes().expect("valid slugs");
        assert_eq!(changes.title.as_deref(), Some("Hello"));
        assert_eq!(changes.excerpt, Field::Null);
        assert_eq!(changes.published_at, Field::Null);
        assert_eq!(changes.tags.map(|tags| tags.len()), Some(1));
    }
}
