//! Reading a post's clicks by hour and by rolled-up day.

use diesel::prelude::*;

use super::schema::post_click_days;
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
/// `pending`, the post's clicks the cache held when the request began (bound as one parameter, see
/// [`super::counters::unsynced_parameter`]), except those of batches the ledger holds by then, read in the
/// same statement (one snapshot decides).
pub fn clicks_of(
    conn: &mut DbConnection,
    post_id: i64,
    hours: (i64, i64),
    days: (i64, i64),
    pending: &[(String, i64, i64, i64)],
) -> QueryResult<(Buckets, Buckets)> {
    use diesel::sql_types::{BigInt, Text};
    let backend = conn.backend();
    let at = |number| super::counters::placeholder(backend, number);
    let rows: Vec<HourRow> = diesel::sql_query(format!(
        "SELECT hour, CAST(SUM(clicks) AS BIGINT) AS clicks FROM ( \
           SELECT hour, clicks FROM post_click_hours \
            WHERE post_id = {post} AND hour >= {first} AND hour < {last} \
           UNION ALL \
           SELECT unsynced.hour, unsynced.clicks FROM {unsynced} AS unsynced \
            WHERE unsynced.post_id = {post} AND unsynced.hour >= {first} AND unsynced.hour < {last} \
         ) AS hours GROUP BY hour",
        post = at(1),
        first = at(2),
        last = at(3),
        unsynced = super::counters::unsynced_rows(backend, 4),
    ))
    .bind::<BigInt, _>(post_id)
    .bind::<BigInt, _>(hours.0)
    .bind::<BigInt, _>(hours.1)
    .bind::<Text, _>(super::counters::unsynced_parameter(pending))
    .load(conn)?;
    let by_hour = rows.into_iter().map(|row| (row.hour, row.clicks)).collect();
    let by_day = post_click_days::table
        .filter(post_click_days::post_id.eq(post_id))
        .filter(post_click_days::day.ge(days.0))
        .filter(post_click_days::day.lt(days.1))
        .select((post_click_days::day, post_click_days::clicks))
        .load(conn)?;
    Ok((by_hour, by_day))
}
