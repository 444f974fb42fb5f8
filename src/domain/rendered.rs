//! A post as reads share it: the post, and its JSON made once per version and split where its click count
//! goes, so a read splices the fresh count into bytes it already has instead of serializing the post again,
//! and names the representation it sends from a digest made once too.

use std::sync::OnceLock;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{PostDetail, PostSummary};

/// What a post's count is serialized as while its JSON is made: found once in the bytes, it is where the
/// fresh count goes. No real count is ever negative.
const COUNT_MARK: i64 = i64::MIN;

/// A post kept for reads (by the content cache, or for one request), with its JSON made on first use.
#[derive(Debug)]
pub struct RenderedPost {
    post: PostDetail,
    json: OnceLock<Option<SplicedJson>>,
}

impl RenderedPost {
    pub fn new(post: PostDetail) -> Self {
        RenderedPost {
            post,
            json: OnceLock::new(),
        }
    }

    pub fn post(&self) -> &PostDetail {
        &self.post
    }

    /// The post's whole JSON around its count, made the first time it is asked for (`None` if the count's
    /// place could not be told apart: then a read serializes the post itself).
    pub fn json(&self) -> Option<&SplicedJson> {
        self.json
            .get_or_init(|| {
                let mut marked = self.post.clone();
                marked.summary.clicks = COUNT_MARK;
                SplicedJson::of_marked(&marked)
            })
            .as_ref()
    }
}

/// Each post of a list as JSON around its count (`None` if one count's place could not be told apart).
pub fn summaries_json(posts: &[PostSummary]) -> Option<Vec<SplicedJson>> {
    posts
        .iter()
        .map(|post| {
            let mut marked = post.clone();
            marked.clicks = COUNT_MARK;
            SplicedJson::of_marked(&marked)
        })
        .collect()
}

impl std::ops::Deref for RenderedPost {
    type Target = PostDetail;

    fn deref(&self) -> &PostDetail {
        &self.post
    }
}

/// JSON in two parts, with a count to go between them.
#[derive(Debug, Clone)]
pub struct SplicedJson {
    before: Bytes,
    after: Bytes,
    /// SHA-256 of both parts (and where one ends), for validators.
    digest: [u8; 32],
}

impl SplicedJson {
    /// `marked` (whose count is [`COUNT_MARK`]) serialized and split at its count.
    fn of_marked(marked: &impl serde::Serialize) -> Option<SplicedJson> {
        SplicedJson::around_mark(serde_json::to_vec(marked).ok()?)
    }

    /// Splits `json` at the one place the count mark stands as the `clicks` member; `None` unless there is
    /// exactly one.
    fn around_mark(json: Vec<u8>) -> Option<SplicedJson> {
        let mark = format!("\"clicks\":{COUNT_MARK}");
        let mark = mark.as_bytes();
        let mut places = json
            .windows(mark.len())
            .enumerate()
            .filter(|(_, window)| *window == mark)
            .map(|(at, _)| at);
        let at = places.next()?;
        if places.next().is_some() {
            return None;
        }
        let json = Bytes::from(json);
        let value_at = at + "\"clicks\":".len();
        let before = json.slice(..value_at);
        let after = json.slice(at + mark.len()..);
        let digest = Sha256::new()
            .chain_update((before.len() as u64).to_be_bytes())
            .chain_update(&before)
            .chain_update(&after)
            .finalize()
            .into();
        Some(SplicedJson {
            before,
            after,
            digest,
        })
    }

    /// The three pieces of the JSON with `count` in its place (shared bytes: nothing is copied).
    pub fn with_count(&self, count: i64) -> [Bytes; 3] {
        [
            self.before.clone(),
            Bytes::from(count.to_string()),
            self.after.clone(),
        ]
    }

    /// Appends the JSON with `count` in its place to `out`.
    pub fn write_with(&self, count: i64, out: &mut bytes::BytesMut) {
        out.extend_from_slice(&self.before);
        out.extend_from_slice(count.to_string().as_bytes());
        out.extend_from_slice(&self.after);
    }

    /// How many bytes the JSON takes, but for its count.
    pub fn len_without_count(&self) -> usize {
        self.before.len() + self.after.len()
    }

    /// The digest of both parts (see [`SplicedJson::digest_with`]).
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// A digest of the JSON with `count` in its place: equal for equal bytes, different (but for a SHA-256
    /// collision) for different ones, without reading the bytes again.
    pub fn digest_with(&self, count: i64) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.digest)
            .chain_update(count.to_be_bytes())
            .finalize()
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(parts: &[Bytes; 3]) -> Vec<u8> {
        parts.iter().flat_map(|part| part.iter().copied()).collect()
    }

    #[test]
    fn the_count_is_spliced_where_serde_would_write_it() {
        let mut post = PostDetail::sample(7);
        post.summary.title = String::from("A \"clicks\":-9223372036854775808 title");
        let rendered = RenderedPost::new(post.clone());
        let json = rendered.json().expect("one mark");
        for count in [0, 1, 42, 9_000_000_000] {
            post.summary.clicks = count;
            assert_eq!(
                joined(&json.with_count(count)),
                serde_json::to_vec(&post).expect("JSON"),
                "{count}"
            );
        }
        assert_ne!(json.digest_with(1), json.digest_with(2));
        assert_eq!(json.digest_with(3), json.digest_with(3));
    }

    #[test]
    fn a_mark_found_twice_is_refused() {
        let twice = br#"{"clicks":-9223372036854775808,"x":{"clicks":-9223372036854775808}}"#;
        assert!(SplicedJson::around_mark(twice.to_vec()).is_none());
        assert!(SplicedJson::around_mark(b"{}".to_vec()).is_none());
    }
}
