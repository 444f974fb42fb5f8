//! Reading a post's clicks by hour and by rolled-up day.

use diesel::prelude::*;

use super::schema::{post_click_days, post_click_hours};
use super::DbConnection;

/// (hour or day, clicks) pairs.
pub type Buckets = Vec<(i64, i64)>;

/// (hour, clicks) of `post_id` for the UTC hours in `hours`, and (day, clicks) for the rolled-up UTC days in
/// `days` (each a half-open range): two statements, each one primary-key range.
pub fn clicks_of(
    conn: &mut DbConnection,
    post_id: i64,
    hours: (i64, i64),
    days: (i64, i64),
) -> QueryResult<(Buckets, Buckets)> {
    let by_hour = post_click_hours::table
        .filter(post_click_hours::post_id.eq(post_id))
        .filter(post_click_hours::hour.ge(hours.0))
        .filter(post_click_hours::hour.lt(hours.1))
        .select((post_click_hours::hour, post_click_hours::clicks))
        .load(conn)?;
    let by_day = post_click_days::table
        .filter(post_click_days::post_id.eq(post_id))
        .filter(post_click_days::day.ge(days.0))
        .filter(post_click_days::day.lt(days.1))
        .select((post_click_days::day, post_click_days::clicks))
        .load(conn)?;
    Ok((by_hour, by_day))
}
