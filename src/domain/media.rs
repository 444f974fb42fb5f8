//! Media (README "Media"): an uploaded image as stored (its files under one unguessable name) and as the API
//! shows it (with the URL of every file, ready for a `srcset`).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::input::{BodyField, Field, FieldRule, JsonObject};
use super::post_input::InputError;

/// The longest `alt` text.
pub const ALT_MAX: usize = 1000;

/// `alt`: one line of up to 1,000 characters; empty (or null) for a decorative image.
pub const ALT: BodyField = BodyField {
    name: "alt",
    rule: FieldRule::Text {
        min: 0,
        max: ALT_MAX,
    },
};

/// Body of `PATCH /media/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(example = json!({"alt": "A red bicycle against a white wall"}))]
pub struct MediaChanges {
    /// Text for readers who cannot see the image, one line of up to 1,000 characters; empty or null for
    /// none.
    #[schema(nullable = true)]
    pub alt: String,
}

impl MediaChanges {
    /// A `PATCH` body: `alt` is required.
    pub fn read(body: &[u8]) -> Result<Self, InputError> {
        let mut object = JsonObject::parse(body, &[ALT.name]).map_err(InputError::Malformed)?;
        let alt = object.text_field(&ALT);
        if alt == Field::Absent && !object.has_error(ALT.name) {
            object.error(ALT.name, "is required (null or empty for none)");
        }
        object.finish().map_err(InputError::Invalid)?;
        Ok(MediaChanges {
            alt: alt.value().unwrap_or_default(),
        })
    }

    /// The `alt` part of an upload, checked like the field.
    pub fn from_part(alt: &str) -> Result<Self, InputError> {
        let body = serde_json::json!({ "alt": alt }).to_string();
        Self::read(body.as_bytes())
    }
}

/// One stored file of a media: a variant of some width in some format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVariant {
    pub width: u32,
    pub height: u32,
    /// `jpeg`, `png`, `webp` or `gif`.
    pub format: String,
    /// The file's name within the media's folder (`640.webp`).
    pub file: String,
}

/// A media row: where its files are and what they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub id: i64,
    /// The folder of its files in the media store: 32 random hex digits, so no file can be guessed.
    pub name: String,
    /// The original's file name within the folder (`original.jpg`).
    pub original: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub alt: String,
    pub blurhash: String,
    pub variants: Vec<StoredVariant>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A ready-made size of an image, for a `srcset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"width": 640, "height": 427, "format": "webp",
    "url": "/media/files/3f1c0e4b9a7d4c2e8b6f0a1d2c3e4f5a/640.webp"}))]
pub struct MediaVariant {
    pub width: u32,
    pub height: u32,
    /// `webp`, or the original's format: `jpeg`, `png` or `gif` (a still of an animation's first frame).
    pub format: String,
    pub url: String,
}

/// An uploaded image as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 12, "url": "/media/files/3f1c0e4b9a7d4c2e8b6f0a1d2c3e4f5a/original.jpg",
    "content_type": "image/jpeg", "width": 1920, "height": 1280, "bytes": 348_211, "alt": "A red bicycle",
    "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "variants": [{"width": 640, "height": 427, "format": "webp",
    "url": "/media/files/3f1c0e4b9a7d4c2e8b6f0a1d2c3e4f5a/640.webp"}],
    "created_at": "2026-12-07T10:00:00Z", "updated_at": "2026-12-07T10:00:00Z"}))]
pub struct Media {
    pub id: i64,
    /// The original, as uploaded (orientation applied, location and other metadata removed).
    pub url: String,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`, read from the bytes.
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    /// The original's size in bytes.
    pub bytes: u64,
    /// Text for readers who cannot see the image; empty when none was given.
    pub alt: String,
    /// A short placeholder a client paints before the image arrives (<https://blurha.sh>).
    pub blurhash: String,
    /// Every width of `MEDIA_WIDTHS` narrower than the original, narrowest first: a WebP and one in the
    /// original's format each.
    pub variants: Vec<MediaVariant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where media files are served from: this API's `/media/files` or `MEDIA_PUBLIC_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUrls {
    base: String,
}

impl Default for MediaUrls {
    fn default() -> Self {
        MediaUrls {
            base: String::from(MediaUrls::API_BASE),
        }
    }
}

impl MediaUrls {
    /// The path this API serves media files under.
    pub const API_BASE: &'static str = "/media/files";

    /// Files served from `public_url` (a CDN, or the bucket itself) when set, else by this API.
    pub fn new(public_url: Option<&str>) -> Self {
        MediaUrls {
            base: public_url.map_or_else(
                || String::from(Self::API_BASE),
                |url| url.trim_end_matches('/').to_owned(),
            ),
        }
    }

    pub fn file(&self, name: &str, file: &str) -> String {
        format!("{}/{name}/{file}", self.base)
    }

    /// `media` as read with the API's own paths ([`MediaUrls::default`]), moved under this base.
    pub fn rebase(&self, media: &mut Media) {
        if self.base == Self::API_BASE {
            return;
        }
        let moved = |url: &mut String| {
            if let Some(rest) = url.strip_prefix(Self::API_BASE) {
                *url = format!("{}{rest}", self.base);
            }
        };
        moved(&mut media.url);
        for variant in &mut media.variants {
            moved(&mut variant.url);
        }
    }

    /// A stored media as the API shows it.
    pub fn media(&self, stored: &StoredMedia) -> Media {
        Media {
            id: stored.id,
            url: self.file(&stored.name, &stored.original),
            content_type: stored.content_type.clone(),
            width: stored.width,
            height: stored.height,
            bytes: stored.bytes,
            alt: stored.alt.clone(),
            blurhash: stored.blurhash.clone(),
            variants: stored
                .variants
                .iter()
                .map(|variant| MediaVariant {
                    width: variant.width,
                    height: variant.height,
                    format: variant.format.clone(),
                    url: self.file(&stored.name, &variant.file),
                })
                .collect(),
            created_at: stored.created_at.and_utc(),
            updated_at: stored.updated_at.and_utc(),
        }
    }
}

/// Whether `name` can be a media folder: 32 lowercase hex digits.
pub fn is_media_name(name: &str) -> bool {
    name.len() == 32
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `file` can be a media file's name: `original.jpg`, `640.webp` and the like.
pub fn is_media_file(file: &str) -> bool {
    let Some((stem, extension)) = file.split_once('.') else {
        return false;
    };
    (stem == "original"
        || (!stem.is_empty() && stem.len() <= 5 && stem.bytes().all(|b| b.is_ascii_digit())))
        && content_type_of(extension).is_some()
}

/// The content type of a media file by its extension.
pub fn content_type_of(extension: &str) -> Option<&'static str> {
    match extension {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        "gif" => Some("image/gif"),
        _ => None,
    }
}

/// A single byte range of a `Range: bytes=...` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=A-B` (both included) or `bytes=A-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-N`: the last N bytes.
    Last(u64),
}

impl ByteRange {
    /// The range of a `Range` header: `None` for anything but one range in bytes (several ranges, another
    /// unit, a malformed header), which is answered with the whole file as RFC 9110 allows.
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let (start, end) = (start.trim(), end.trim());
        if start.is_empty() {
            return end.parse().ok().map(ByteRange::Last);
        }
        let start: u64 = start.parse().ok()?;
        let end = if end.is_empty() {
            None
        } else {
            let end: u64 = end.parse().ok()?;
            if end < start {
                return None;
            }
            Some(end)
        };
        Some(ByteRange::From { start, end })
    }

    /// The bytes this range names in a file of `size` bytes (end excluded), `None` when it names none
    /// (a 416).
    pub fn within(self, size: u64) -> Option<std::ops::Range<u64>> {
        match self {
            ByteRange::From { start, .. } if start >= size => None,
            ByteRange::From { start, end } => {
                Some(start..end.map_or(size, |end| end.saturating_add(1).min(size)))
            }
            ByteRange::Last(0) => None,
            ByteRange::Last(count) => Some(size.saturating_sub(count)..size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_range_is_read_and_fitted_to_the_file() {
        let range = |header: &str| ByteRange::parse(header);
        assert_eq!(
            range("bytes=0-99").and_then(|r| r.within(1000)),
            Some(0..100)
        );
        assert_eq!(
            range("bytes=900-").and_then(|r| r.within(1000)),
            Some(900..1000)
        );
        assert_eq!(
            range("bytes=-100").and_then(|r| r.within(1000)),
            Some(900..1000)
        );
        assert_eq!(
            range("bytes=-5000").and_then(|r| r.within(1000)),
            Some(0..1000)
        );
        assert_eq!(
            range("bytes=990-2000").and_then(|r| r.within(1000)),
            Some(990..1000)
        );
        assert_eq!(range("bytes=1000-").map(|r| r.within(1000)), Some(None));
        assert_eq!(range("bytes=-0").map(|r| r.within(1000)), Some(None));
        assert_eq!(range("bytes=5-1"), None);
        assert_eq!(range("bytes=0-1,5-6"), None);
        assert_eq!(range("items=0-1"), None);
    }

    #[test]
    fn only_names_the_store_could_hold_are_served() {
        assert!(is_media_name("3f1c0e4b9a7d4c2e8b6f0a1d2c3e4f5a"));
        assert!(!is_media_name("3F1C0E4B9A7D4C2E8B6F0A1D2C3E4F5A"));
        assert!(!is_media_name("../etc/passwd"));
        assert!(is_media_file("original.gif"));
        assert!(is_media_file("1600.webp"));
        assert!(!is_media_file("original.svg"));
        assert!(!is_media_file("..webp"));
        assert!(!is_media_file("a.b.jpg"));
    }
}
