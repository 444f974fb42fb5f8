//! Keyset pagination: a cursor names the last item a client was shown, in the order of its list, so the next
//! page starts just after it whatever was published or deleted meanwhile. It is opaque to clients (URL-safe
//! base64 of a small JSON payload) and sealed with an HMAC over the payload and the list it belongs to (its
//! sort and filters): a forged, truncated or edited cursor, or one used on another sort or filter, is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::InvalidValue;

/// The last item shown, by the values its list is ordered on (ties broken by id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum After {
    /// `-published_at` and `published_at`: the post's publication date (`None` for a draft) and id.
    Published(Option<NaiveDateTime>, i64),
    /// `-clicks`: the post's synced click count and id.
    Clicks(i64, i64),
    /// `title`: the post's title and id.
    Title(String, i64),
    /// `relevance`: the post's rank for the search (its numbers, the id last).
    Relevance([i64; 6]),
    /// Comments: when the comment was written, and its id.
    Created(NaiveDateTime, i64),
}

/// Bytes of HMAC-SHA256 kept in a cursor: 128 bits, far past guessing.
const TAG_BYTES: usize = 16;

/// The longest cursor accepted (a title of 300 characters fits many times over).
const MAX_CURSOR_CHARS: usize = 4096;

/// Seals and opens cursors with this deployment's key (every instance on one database shares it).
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    pub fn new(secret: &[u8]) -> Self {
        CursorKey(secret.to_vec())
    }

    fn tag(&self, list: &str, payload: &[u8]) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(list.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// The cursor a client sends back to continue `list` (its sort and filters, as [`ListBinding`] writes
    /// them) after `after`.
    pub fn seal(&self, list: &str, after: &After) -> String {
        self.seal_value(list, after)
    }

    /// Any value sealed for `purpose` (a list's cursor, a sync token): URL-safe base64 of its JSON and a
    /// truncated HMAC over both.
    pub fn seal_value(&self, purpose: &str, value: &impl Serialize) -> String {
        let mut bytes = serde_json::to_vec(value).unwrap_or_default();
        let tag = self.tag(purpose, &bytes).finalize().into_bytes();
        bytes.extend_from_slice(tag.get(..TAG_BYTES).unwrap_or_default());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What [`CursorKey::seal_value`] sealed for `purpose`; `None` for anything else (forged, cut, edited,
    /// sealed for another purpose or by another deployment).
    pub fn open_value<T: serde::de::DeserializeOwned>(
        &self,
        purpose: &str,
        raw: &str,
    ) -> Option<T> {
        if raw.is_empty() || raw.len() > MAX_CURSOR_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let split = bytes.len().checked_sub(TAG_BYTES)?;
        let (payload, tag) = bytes.split_at(split);
        self.tag(purpose, payload).verify_truncated_left(tag).ok()?;
        serde_json::from_slice(payload).ok()
    }

    /// What a cursor says, if this deployment sealed it for `list`; else a 400 naming `cursor`.
    pub fn open(&self, list: &str, raw: &str) -> Result<After, InvalidValue> {
        let invalid = || {
            InvalidValue::new(
                "cursor",
                "not a cursor of this list: use `meta.next_cursor` as given, with the same sort and \
                 filters (a cursor that was changed, cut short, or made for another sort or filter is \
                 refused)",
            )
        };
        self.open_value(list, raw).ok_or_else(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::new(b"a test key")
    }

    #[test]
    fn a_sealed_cursor_opens_to_what_it_sealed() {
        let after = After::Title(String::from("Zebra & co / ünïcode"), 42);
        let cursor = key().seal("posts title", &after);
        assert!(cursor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(key().open("posts title", &cursor), Ok(after));
    }

    #[test]
    fn forged_cut_edited_and_foreign_cursors_are_refused() {
        let cursor = key().seal("posts -clicks", &After::Clicks(10, 7));
        let forged = URL_SAFE_NO_PAD.encode(br#"{"Clicks":[0,1]}0123456789abcdef"#);
        let cut = &cursor[..cursor.len() - 3];
        let mut edited = cursor.clone().into_bytes();
        edited[2] = if edited[2] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8(edited).expect("ASCII");
        for raw in [
            forged.as_str(),
            cut,
            edited.as_str(),
            "",
            "not base64!",
            &"A".repeat(5000),
        ] {
            let error = key().open("posts -clicks", raw).err();
            assert_eq!(error.map(|e| e.name), Some(String::from("cursor")), "{raw}");
        }
        // Another list, another deployment.
        assert!(key().open("posts title", &cursor).is_err());
        assert!(CursorKey::new(b"another key")
            .open("posts -clicks", &cursor)
            .is_err());
    }
}
