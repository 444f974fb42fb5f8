//! The event types subscribers choose from, the events a write puts in the outbox, and which post event a
//! write causes.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::json;

/// What a subscription can ask to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum EventType {
    /// A post became public: written public, or a scheduled post whose time has come.
    #[serde(rename = "post.published")]
    PostPublished,
    /// A public post changed (and stays public).
    #[serde(rename = "post.updated")]
    PostUpdated,
    /// A public post became a draft or was scheduled again.
    #[serde(rename = "post.unpublished")]
    PostUnpublished,
    /// A public post was deleted.
    #[serde(rename = "post.deleted")]
    PostDeleted,
    /// A reader posted a comment (pending moderation).
    #[serde(rename = "comment.created")]
    CommentCreated,
    /// A comment became visible to readers.
    #[serde(rename = "comment.approved")]
    CommentApproved,
    /// A category or tag was created, renamed, re-slugged or deleted.
    #[serde(rename = "taxonomy.changed")]
    TaxonomyChanged,
    /// An author was created.
    #[serde(rename = "author.created")]
    AuthorCreated,
    /// An author's name, slug, bio, website or avatar changed.
    #[serde(rename = "author.updated")]
    AuthorUpdated,
    /// An author was deleted.
    #[serde(rename = "author.deleted")]
    AuthorDeleted,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::PostPublished,
        EventType::PostUpdated,
        EventType::PostUnpublished,
        EventType::PostDeleted,
        EventType::CommentCreated,
        EventType::CommentApproved,
        EventType::TaxonomyChanged,
        EventType::AuthorCreated,
        EventType::AuthorUpdated,
        EventType::AuthorDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PostPublished => "post.published",
            EventType::PostUpdated => "post.updated",
            EventType::PostUnpublished => "post.unpublished",
            EventType::PostDeleted => "post.deleted",
            EventType::CommentCreated => "comment.created",
            EventType::CommentApproved => "comment.approved",
            EventType::TaxonomyChanged => "taxonomy.changed",
            EventType::AuthorCreated => "author.created",
            EventType::AuthorUpdated => "author.updated",
            EventType::AuthorDeleted => "author.deleted",
        }
    }

    /// Whether readers may hear of it (`GET /events`): everything but a comment still awaiting moderation.
    pub fn is_public(self) -> bool {
        self != EventType::CommentCreated
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == name)
    }

    /// Every name, comma-separated, for messages.
    pub fn names() -> String {
        Self::ALL.map(EventType::as_str).join(", ")
    }
}

/// One event as the outbox stores it: its id (the `webhook-id` header, the same on every attempt) and the
/// exact body every subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub event_type: EventType,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

impl Event {
    /// An event of `event_type` about `data`, happening at `at`: the body is `{"type", "timestamp", "data"}`.
    pub fn new(event_type: EventType, data: &impl Serialize, at: NaiveDateTime) -> Self {
        let body = json!({
            "type": event_type.as_str(),
            "timestamp": at.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": data,
        });
        Event {
            id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            event_type,
            payload: body.to_string(),
            created_at: at,
        }
    }
}

/// What a post event says about the post: enough to rebuild or purge its page.
#[derive(Debug, Clone, Serialize)]
pub struct PostEventData {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// On `post.updated` when the slug changed: the old page to purge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_slug: Option<String>,
}

/// What a comment event says.
#[derive(Debug, Clone, Serialize)]
pub struct CommentEventData {
    pub id: i64,
    pub post_id: i64,
    pub author_name: String,
    pub body: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// What `taxonomy.changed` says: which term, and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct TaxonomyEventData {
    /// `category` or `tag`.
    pub taxonomy: &'static str,
    /// `created`, `updated` or `deleted`.
    pub action: &'static str,
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// Which post event a write causes, from whether the post was announced public before it and whether it is
/// public after it; `None` for changes readers cannot see (drafts and scheduled posts).
pub fn post_write_event(announced_before: bool, public_after: bool) -> Option<EventType> {
    match (announced_before, public_after) {
        (false, true) => Some(EventType::PostPublished),
        (true, true) => Some(EventType::PostUpdated),
        (true, false) => Some(EventType::PostUnpublished),
        (false, false) => None,
    }
}

/// The stored form of an event list: names between commas, so that `LIKE '%,name,%'` finds subscribers.
pub fn stored_events(events: &[EventType]) -> String {
    format!(
        ",{},",
        events
            .iter()
            .map(|event| event.as_str())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// The event list of a stored form (unknown names, which no version wrote, are skipped).
pub fn events_of(stored: &str) -> Vec<EventType> {
    stored.split(',').filter_map(EventType::parse).collect()
}
