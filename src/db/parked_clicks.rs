//! Clicks parked while their Redis call was ambiguous (README "Click counting", degraded modes): stored
//! durably with their click id until the sync has sent them to the cache again.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{parked_clicks, post_counters, posts};
use super::{write_transaction, DbConnection};

/// Parks one click of `post_id` made at `now` (the time its hour is taken from when it is sent again) and
/// returns the count to show for the post meanwhile: its synced clicks plus
/// its parked ones. `None` if the post does not exist (nothing is parked then).
pub fn park(
    conn: &mut DbConnection,
    click_id: &str,
    post_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    write_transaction(conn, |conn| {
        let exists: bool =
            diesel::select(diesel::dsl::exists(posts::table.find(post_id))).get_result(conn)?;
        if !exists {
            return Ok(None);
        }
        diesel::insert_into(parked_clicks::table)
            .values((
                parked_clicks::click_id.eq(click_id),
                parked_clicks::post_id.eq(post_id),
                parked_clicks::parked_at.eq(now),
            ))
            .execute(conn)?;
        let synced: Option<i64> = post_counters::table
            .find(post_id)
            .select(post_counters::clicks)
            .first(conn)
            .optional()?;
        let parked: i64 = parked_clicks::table
            .filter(parked_clicks::post_id.eq(post_id))
            .count()
            .get_result(conn)?;
        Ok(Some(synced.unwrap_or(0) + parked))
    })
}

/// The oldest parked clicks, at most `limit`, as (click id, post id, when it was made: its hour's bucket).
pub fn oldest(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(String, i64, NaiveDateTime)>> {
    parked_clicks::table
        .select((
            parked_clicks::click_id,
            parked_clicks::post_id,
            parked_clicks::parked_at,
        ))
        .order((
            parked_clicks::parked_at.asc(),
            parked_clicks::click_id.asc(),
        ))
        .limit(limit)
        .load(conn)
}

/// Removes parked clicks the cache has taken; returns how many rows went.
pub fn remove(conn: &mut DbConnection, click_ids: &[String]) -> QueryResult<usize> {
    diesel::delete(parked_clicks::table.filter(parked_clicks::click_id.eq_any(click_ids)))
        .execute(conn)
}
