//! Reading a post's clicks by hour and by rolled-up day.

use diesel::prelude::*;

use super::schema::{post_click_days, post_click_hours};
use super::DbConnection;

#[derive(QueryableByName)]
struct HourRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    hour: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    clicks: i64,
}

/// (hour or day, clicks) pairs.
pub type Buckets = Vec<(i64, i64)>;

/// (hour, clicks) of `post_id` for the UTC hours in `hours`, and (day, clicks) for the rolled-up UTC days in
/// `days` (each a half-open range): two statements, each one primary-key range. The hours include
/// `pending`, the post's clicks the cache held when the request began (see
/// [`super::counters::unsynced_values`]), except those of batches the ledger holds by then, read in the same
/// statement (one snapshot decides).
pub fn clicks_of(
    conn: &mut DbConnection,
    post_id: i64,
    hours: (i64, i64),
    days: (i64, i64),
    pending: &[(String, i64, i64, i64)],
) -> QueryResult<(Buckets, Buckets)> {
    let by_hour = if let Some(values) = super::counters::unsynced_values(pending) {
        let (first, last) = hours;
        let rows: Vec<HourRow> = diesel::sql_query(format!(
            "SELECT hour, CAST(SUM(clicks) AS BIGINT) AS clicks FROM ( \
               SELECT hour, clicks FROM post_click_hours \
                WHERE post_id = {post_id} AND hour >= {first} AND hour < {last} \
               UNION ALL \
               SELECT unsynced.column3, unsynced.column4 FROM ({values}) AS unsynced \
                WHERE unsynced.column2 = {post_id} \
                  AND unsynced.column3 >= {first} AND unsynced.column3 < {last} AND {} \
             ) AS hours GROUP BY hour",
            super::counters::NOT_APPLIED
        ))
        .load(conn)?;
        rows.into_iter().map(|row| (row.hour, row.clicks)).collect()
    } else {
        post_click_hours::table
            .filter(post_click_hours::post_id.eq(post_id))
            .filter(post_click_hours::hour.ge(hours.0))
            .filter(post_click_hours::hour.lt(hours.1))
            .select((post_click_hours::hour, post_click_hours::clicks))
            .load(conn)?
    };
    let by_day = post_click_days::table
        .filter(post_click_days::post_id.eq(post_id))
        .filter(post_click_days::day.ge(days.0))
        .filter(post_click_days::day.lt(days.1))
        .select((post_click_days::day, post_click_days::clicks))
        .load(conn)?;
    Ok((by_hour, by_day))
}
