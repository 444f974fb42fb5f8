//! The reading time of posts written before it was derived at write time (migration 8): filled in once, at
//! start-up, by parsing each such post's Markdown (SQL cannot).

use diesel::prelude::*;

use super::schema::posts;
use super::{write_transaction, DbConnection};
use crate::domain::markdown::Reading;

/// Fills in `word_count` and `reading_time_minutes` where they are missing, in one transaction; returns how
/// many posts were filled in. A post rewritten meanwhile (another instance) is left as its write set it.
pub fn backfill(conn: &mut DbConnection) -> QueryResult<usize> {
    let missing: Vec<(i64, String)> = posts::table
        .filter(
            posts::word_count
                .is_null()
                .or(posts::reading_time_minutes.is_null()),
        )
        .select((posts::id, posts::body_markdown))
        .load(conn)?;
    if missing.is_empty() {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        let mut filled = 0;
        for (id, body) in &missing {
            let reading = Reading::of(body);
            filled += diesel::update(
                posts::table
                    .find(id)
                    .filter(posts::body_markdown.eq(body))
                    .filter(
                        posts::word_count
                            .is_null()
                            .or(posts::reading_time_minutes.is_null()),
                    ),
            )
            .set((
                posts::word_count.eq(reading.words),
                posts::reading_time_minutes.eq(reading.minutes),
            ))
            .execute(conn)?;
        }
        Ok(filled)
    })
}
