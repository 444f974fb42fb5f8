//! What the API does, free of HTTP: one service value per area (`Posts`, `Clicks`, `Comments`, `Terms`,
//! `Webhooks`, `Feeds`, `Stats`, `Tokens`, `Health`), built once at start-up. A handler calls one method
//! here, which calls `db` and `cache` and applies the rules of `domain`. Errors are `ApiError`s in the service's terms; `crate::error` alone maps
//! them to HTTP.

pub mod authors;
pub mod clicks;
pub mod comments;
pub mod content;
pub mod feeds;
pub mod health;
pub mod import;
pub mod live;
pub mod media;
pub mod post_writes;
pub mod posts;
pub mod previews;
pub mod rate_limits;
pub mod revisions;
pub mod search;
pub mod slots;
pub mod stats;
pub mod sync;
pub mod taxonomy;
pub mod tokens;
pub mod webhooks;
