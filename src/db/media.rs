//! Media rows (README "Media"): written once every file of an upload is stored; a media a post uses as its
//! feature image cannot be deleted.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::error::WriteError;
use super::schema::{media, post_feature_images};
use super::DbConnection;
use crate::domain::media::{StoredMedia, StoredVariant};

type MediaRow = (
    i64,
    String,
    String,
    String,
    (i64, i64, i64),
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
);

type Columns = (
    media::id,
    media::name,
    media::original,
    media::content_type,
    (media::width, media::height, media::bytes),
    media::alt,
    media::blurhash,
    media::variants,
    media::created_at,
    media::updated_at,
);

const COLUMNS: Columns = (
    media::id,
    media::name,
    media::original,
    media::content_type,
    (media::width, media::height, media::bytes),
    media::alt,
    media::blurhash,
    media::variants,
    media::created_at,
    media::updated_at,
);

fn stored(row: MediaRow) -> StoredMedia {
    let (
        id,
        name,
        original,
        content_type,
        (width, height, bytes),
        alt,
        blurhash,
        variants,
        created_at,
        updated_at,
    ) = row;
    StoredMedia {
        id,
        name,
        original,
        content_type,
        width: u32::try_from(width).unwrap_or(0),
        height: u32::try_from(height).unwrap_or(0),
        bytes: u64::try_from(bytes).unwrap_or(0),
        alt,
        blurhash,
        // Written by `insert` from the same type: a row that does not parse shows no variants.
        variants: serde_json::from_str::<Vec<StoredVariant>>(&variants).unwrap_or_default(),
        created_at,
        updated_at,
    }
}

/// Adds a media whose files are all stored; returns it with its id.
pub fn insert(conn: &mut DbConnection, new: &StoredMedia) -> QueryResult<StoredMedia> {
    let variants = serde_json::to_string(&new.variants).unwrap_or_else(|_| String::from("[]"));
    let values = (
        media::name.eq(&new.name),
        media::original.eq(&new.original),
        media::content_type.eq(&new.content_type),
        media::width.eq(i64::from(new.width)),
        media::height.eq(i64::from(new.height)),
        media::bytes.eq(i64::try_from(new.bytes).unwrap_or(i64::MAX)),
        media::alt.eq(&new.alt),
        media::blurhash.eq(&new.blurhash),
        media::variants.eq(&variants),
        media::created_at.eq(new.created_at),
        media::updated_at.eq(new.updated_at),
    );
    let id: i64 = if new.id > 0 {
        diesel::insert_into(media::table)
            .values((media::id.eq(new.id), values))
            .returning(media::id)
            .get_result(conn)?
    } else {
        diesel::insert_into(media::table)
            .values(values)
            .returning(media::id)
            .get_result(conn)?
    };
    Ok(StoredMedia { id, ..new.clone() })
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<StoredMedia>> {
    Ok(media::table
        .find(id)
        .select(COLUMNS)
        .first::<MediaRow>(conn)
        .optional()?
        .map(stored))
}

/// The media of `ids` (those that exist).
pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<StoredMedia>> {
    Ok(media::table
        .filter(media::id.eq_any(ids))
        .select(COLUMNS)
        .load::<MediaRow>(conn)?
        .into_iter()
        .map(stored)
        .collect())
}

/// A page of media, newest first: after the media `before` (an id) when given, else skipping `skip`; whether
/// there are more, and how many there are in all.
pub fn list(
    conn: &mut DbConnection,
    before: Option<i64>,
    limit: i64,
    skip: i64,
) -> QueryResult<(Vec<StoredMedia>, bool, u64)> {
    let mut query = media::table
        .select(COLUMNS)
        .order(media::id.desc())
        .limit(limit + 1)
        .into_boxed();
    match before {
        Some(before) => query = query.filter(media::id.lt(before)),
        None if skip > 0 => query = query.offset(skip),
        None => {}
    }
    let mut rows: Vec<MediaRow> = query.load(conn)?;
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > wanted;
    rows.truncate(wanted);
    let total: i64 = media::table.count().get_result(conn)?;
    Ok((
        rows.into_iter().map(stored).collect(),
        more,
        u64::try_from(total).unwrap_or(0),
    ))
}

/// Sets a media's `alt`; `None` when there is no such media.
pub fn set_alt(
    conn: &mut DbConnection,
    id: i64,
    alt: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<StoredMedia>> {
    let changed = diesel::update(media::table.find(id))
        .set((media::alt.eq(alt), media::updated_at.eq(at)))
        .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// Deletes a media no post uses (`InUse` otherwise); returns what it was, so its files can go.
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<StoredMedia, WriteError> {
    super::write_transaction(conn, |conn| {
        let found = find(conn, id)?.ok_or(WriteError::NotFound("media"))?;
        let used_by: Vec<i64> = post_feature_images::table
            .filter(post_feature_images::media_id.eq(id))
            .select(post_feature_images::post_id)
            .order(post_feature_images::post_id)
            .limit(5)
            .load(conn)?;
        if !used_by.is_empty() {
            let posts: Vec<String> = used_by.iter().map(ToString::to_string).collect();
            return Err(WriteError::InUse(format!(
                "media {id} is the feature image of post(s) {}: give them another first",
                posts.join(", ")
            )));
        }
        diesel::delete(media::table.find(id)).execute(conn)?;
        Ok(found)
    })
}
