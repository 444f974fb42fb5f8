//! A whole blog to import, every record validated and every reference resolved within the file (the reader
//! is `service::import`, the writer `db::import`), and what an import did.

use chrono::NaiveDateTime;

use super::input::Field;
use super::Slug;

/// A category or tag to import.
#[derive(Debug, Clone)]
pub struct ImportTerm {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
}

/// An author to import. A field the file leaves out keeps what a stored author has; one sent as null clears it.
#[derive(Debug, Clone)]
pub struct ImportAuthor {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
    /// Markdown; null or blank is no bio.
    pub bio: Field<String>,
    pub website: Field<String>,
    pub avatar_url: Field<String>,
}

/// An image to import: the file's id, where its bytes are, and its alt text.
#[derive(Debug, Clone)]
pub struct ImportMedia {
    pub id: i64,
    /// Resolved against the import file's directory.
    pub path: std::path::PathBuf,
    pub alt: String,
}

/// A post to import, its body already rendered and its excerpt derived.
#[derive(Debug, Clone)]
pub struct ImportPost {
    pub id: i64,
    pub slug: Slug,
    pub title: String,
    /// The primary author's name: the first of `author_ids`, or the file's `author` string.
    pub author: String,
    /// The file's author ids, in order, without repeats; empty when the post names only an `author` string
    /// (then that name finds or makes its author).
    pub author_ids: Vec<i64>,
    pub body_markdown: String,
    pub body_html: String,
    pub excerpt: String,
    /// The file's category id (mapped to the database's when applied).
    pub category_id: Option<i64>,
    /// The file's tag ids, without repeats.
    pub tag_ids: Vec<i64>,
    pub published_at: Option<NaiveDateTime>,
    /// The starting click count, used only when the post is new.
    pub clicks: i64,
    /// The file's media id of its feature image; `None` leaves a stored post's as it is.
    pub feature_image_id: Option<i64>,
}

/// A comment to import.
#[derive(Debug, Clone)]
pub struct ImportComment {
    pub id: i64,
    /// The file's post id.
    pub post_id: i64,
    pub author_name: String,
    pub body: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub body_html: String,
}

/// A whole file, every record valid and every reference resolved within the file.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    pub categories: Vec<ImportTerm>,
    pub tags: Vec<ImportTerm>,
    pub authors: Vec<ImportAuthor>,
    pub media: Vec<ImportMedia>,
    pub posts: Vec<ImportPost>,
    pub comments: Vec<ImportComment>,
}

/// What an import did, section by section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub categories: SectionReport,
    pub tags: SectionReport,
    pub authors: SectionReport,
    pub media: SectionReport,
    pub posts: SectionReport,
    pub comments: SectionReport,
    /// File comments stored under another id (theirs was taken by a comment no import made from them), as
    /// (file id, stored id).
    pub renumbered_comments: Vec<(i64, i64)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SectionReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sections = [
            ("categories", self.categories),
            ("tags", self.tags),
            ("authors", self.authors),
            ("media", self.media),
            ("posts", self.posts),
            ("comments", self.comments),
        ];
        for (index, (name, section)) in sections.iter().enumerate() {
            let separator = if index == 0 { "" } else { "; " };
            write!(
                f,
                "{separator}{name}: {} created, {} updated, {} unchanged",
                section.created, section.updated, section.unchanged
            )?;
        }
        if !self.renumbered_comments.is_empty() {
            let moves: Vec<String> = self
                .renumbered_comments
                .iter()
                .map(|(file, stored)| format!("{file} -> {stored}"))
                .collect();
            write!(
                f,
                "; comment ids taken by comments no import made, stored under new ids: {}",
                moves.join(", ")
            )?;
        }
        Ok(())
    }
}
