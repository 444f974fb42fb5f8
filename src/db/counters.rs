//! Click counts in the database: applying a drained batch exactly once (totals and hours together), reading
//! counts together with the ledger in one snapshot, the direct increment used while the cache is down, and
//! rolling old hours up into days.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::{counter_batches, post_counters};
use super::{write_transaction, DbConnection};
use crate::on_backend;

/// Deltas per multi-row upsert on SQLite, whose statements are better kept small. PostgreSQL takes all of a
/// pass's deltas in one statement, as two arrays.
const SQLITE_CHUNK: usize = 500;

/// A drained batch, as the database sees it.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub id: &'a str,
    /// (post id, clicks to add)
    pub deltas: &'a [(i64, i64)],
    /// (post id, hour, clicks to add): the same clicks by the hour they were made in.
    pub hours: &'a [(i64, i64, i64)],
}

/// What applying one batch came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// New to the ledger: its deltas were added.
    Applied,
    /// In the ledger with the same content: applied before (by an earlier pass that died before
    /// acknowledging, or by another instance). Nothing changes.
    AlreadyApplied,
    /// In the ledger with other content: it came back from the past (a Redis restart from an older state,
    /// a promoted replica). Nothing changes: the clicks added to it since were recorded again elsewhere by
    /// the requests that saw it (see `ClickCounter::record`).
    Resurrected,
}

/// Applies batches in one transaction. For each: records its id with its content (fields, total) in the
/// ledger; then the deltas of the batches new to it are added (`clicks = clicks + d`, never an absolute
/// value) in one statement; a batch whose id the ledger already holds changes nothing, and is told apart by
/// its content. Returns one outcome per batch.
/// Deltas for posts that no longer exist are dropped with them. `before_commit` runs last inside the
/// transaction: an error from it rolls everything back (the crash tests use it).
pub fn apply_batches(
    conn: &mut DbConnection,
    batches: &[Batch<'_>],
    now: NaiveDateTime,
    before_commit: impl FnOnce() -> Result<(), diesel::result::Error>,
) -> QueryResult<Vec<BatchOutcome>> {
    write_transaction(conn, |conn| {
        let mut applied = Vec::with_capacity(batches.len());
        let mut deltas: BTreeMap<i64, i64> = BTreeMap::new();
        let mut hours: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        for batch in batches {
            let total: i64 = batch.deltas.iter().map(|(_, delta)| delta).sum();
            let fields = i64::try_from(batch.deltas.len()).unwrap_or(i64::MAX);
            let inserted = on_backend!(conn, c => diesel::insert_into(counter_batches::table)
                .values((
                    counter_batches::batch_id.eq(batch.id),
                    counter_batches::applied_at.eq(now),
                    counter_batches::fields.eq(fields),
                    counter_batches::total.eq(total),
                ))
                .on_conflict_do_nothing()
                .execute(c))?;
            if inserted > 0 {
                for &(post_id, delta) in batch.deltas {
                    *deltas.entry(post_id).or_insert(0) += delta;
                }
                for &(post_id, hour, delta) in batch.hours {
                    *hours.entry((post_id, hour)).or_insert(0) += delta;
                }
                applied.push(BatchOutcome::Applied);
            } else {
                let recorded: (i64, i64) = counter_batches::table
                    .find(batch.id)
                    .select((counter_batches::fields, counter_batches::total))
                    .first(conn)?;
                applied.push(if recorded == (fields, total) {
                    BatchOutcome::AlreadyApplied
                } else {
                    BatchOutcome::Resurrected
                });
            }
        }
        // Every new batch's deltas in one upsert, summed per post and in post order (an index walked in
        // order; two passes touching the same rows take their locks in the same order).
        let deltas: Vec<(i64, i64)> = deltas.into_iter().collect();
        if !deltas.is_empty() {
            match conn {
                DbConnection::Pg(pg) => add_deltas_pg(pg, &deltas)?,
                DbConnection::Sqlite(_) => {
                    for chunk in deltas.chunks(SQLITE_CHUNK) {
                        conn.batch_execute(&add_deltas_sql(chunk))?;
                    }
                }
            }
        }
        // The same clicks by hour, in the same transaction: the hours never disagree with the totals.
        let hours: Vec<(i64, i64, i64)> = hours
            .into_iter()
            .map(|((post_id, hour), delta)| (post_id, hour, delta))
            .collect();
        if !hours.is_empty() {
            match conn {
                DbConnection::Pg(pg) => add_hours_pg(pg, &hours)?,
                DbConnection::Sqlite(_) => {
                    for chunk in hours.chunks(SQLITE_CHUNK) {
                        conn.batch_execute(&add_hours_sql(chunk))?;
                    }
                }
            }
        }
        before_commit()?;
        Ok(applied)
    })
}

/// One upsert for all of a pass's deltas on PostgreSQL: they travel as two bound arrays, so the statement's
/// text stays the same whatever the batch's size (a `VALUES` list of 100,000 rows costs more to parse and
/// plan than to run).
fn add_deltas_pg(conn: &mut diesel::PgConnection, deltas: &[(i64, i64)]) -> QueryResult<()> {
    let (post_ids, clicks): (Vec<i64>, Vec<i64>) = deltas.iter().copied().unzip();
    diesel::sql_query(
        "INSERT INTO post_counters (post_id, clicks) \
         SELECT deltas.post_id, deltas.delta FROM unnest($1, $2) AS deltas (post_id, delta) \
         WHERE EXISTS (SELECT 1 FROM posts WHERE posts.id = deltas.post_id) \
         ON CONFLICT (post_id) DO UPDATE SET clicks = post_counters.clicks + excluded.clicks",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(post_ids)
    .bind::<diesel::sql_types::Array<BigInt>, _>(clicks)
    .execute(conn)?;
    Ok(())
}

/// One upsert for many posts (SQLite). Only integers are written into the text, never client input.
fn add_deltas_sql(deltas: &[(i64, i64)]) -> String {
    let mut sql = String::from("WITH deltas (post_id, delta) AS (VALUES ");
    for (index, (post_id, delta)) in deltas.iter().enumerate() {
        let separator = if index == 0 { "" } else { ", " };
        let _ = write!(
            sql,
            "{separator}(CAST({post_id} AS BIGINT), CAST({delta} AS BIGINT))"
        );
    }
    sql.push_str(
        ") INSERT INTO post_counters (post_id, clicks) \
         SELECT deltas.post_id, deltas.delta FROM deltas \
         WHERE EXISTS (SELECT 1 FROM posts WHERE posts.id = deltas.post_id) \
         ON CONFLICT (post_id) DO UPDATE SET clicks = post_counters.clicks + excluded.clicks",
    );
    sql
}

/// [`add_deltas_pg`] for hours: three bound arrays.
fn add_hours_pg(conn: &mut diesel::PgConnection, hours: &[(i64, i64, i64)]) -> QueryResult<()> {
    let mut columns = (Vec::new(), Vec::new(), Vec::new());
    for &(post_id, hour, delta) in hours {
        columns.0.push(post_id);
        columns.1.push(hour);
        columns.2.push(delta);
    }
    diesel::sql_query(
        "INSERT INTO post_click_hours (post_id, hour, clicks) \
         SELECT deltas.post_id, deltas.hour, deltas.delta \
         FROM unnest($1, $2, $3) AS deltas (post_id, hour, delta) \
         WHERE EXISTS (SELECT 1 FROM posts WHERE posts.id = deltas.post_id) \
         ON CONFLICT (post_id, hour) DO UPDATE SET clicks = post_click_hours.clicks + excluded.clicks",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(columns.0)
    .bind::<diesel::sql_types::Array<BigInt>, _>(columns.1)
    .bind::<diesel::sql_types::Array<BigInt>, _>(columns.2)
    .execute(conn)?;
    Ok(())
}

/// [`add_deltas_sql`] for hours (SQLite). Only integers are written into the text.
fn add_hours_sql(hours: &[(i64, i64, i64)]) -> String {
    let mut sql = String::from("WITH deltas (post_id, hour, delta) AS (VALUES ");
    for (index, (post_id, hour, delta)) in hours.iter().enumerate() {
        let separator = if index == 0 { "" } else { ", " };
        let _ = write!(
            sql,
            "{separator}(CAST({post_id} AS BIGINT), CAST({hour} AS BIGINT), CAST({delta} AS BIGINT))"
        );
    }
    sql.push_str(
        ") INSERT INTO post_click_hours (post_id, hour, clicks) \
         SELECT deltas.post_id, deltas.hour, deltas.delta FROM deltas \
         WHERE EXISTS (SELECT 1 FROM posts WHERE posts.id = deltas.post_id) \
         ON CONFLICT (post_id, hour) DO UPDATE SET clicks = post_click_hours.clicks + excluded.clicks",
    );
    sql
}

/// Rolls the hours before `before_hour` (a multiple of 24: whole UTC days) up into days, in one transaction:
/// each day's clicks are added to its row, then its hours go. Returns how many hour rows went.
pub fn roll_up_hours(conn: &mut DbConnection, before_hour: i64) -> QueryResult<usize> {
    use super::schema::post_click_hours;
    write_transaction(conn, |conn| {
        // Only an integer is written into the text.
        conn.batch_execute(&format!(
            "INSERT INTO post_click_days (post_id, day, clicks) \
             SELECT post_id, hour / 24, SUM(clicks) FROM post_click_hours WHERE hour < {before_hour} \
             GROUP BY post_id, hour / 24 \
             ON CONFLICT (post_id, day) DO UPDATE SET clicks = post_click_days.clicks + excluded.clicks"
        ))?;
        diesel::delete(post_click_hours::table.filter(post_click_hours::hour.lt(before_hour)))
            .execute(conn)
    })
}

/// Clicks the cache held when a read began, as (batch id, post id, hour, clicks), for a statement that adds
/// those whose batch the ledger does not hold. They travel as **one bound parameter** (a JSON array, see
/// [`unsynced_parameter`]) whatever their number, read as a table by [`unsynced_rows`]: the statement's text
/// and plan stay the same whether one post or ten thousand were clicked since the last sync.
pub fn unsynced_parameter(pending: &[(String, i64, i64, i64)]) -> String {
    let rows: Vec<serde_json::Value> = pending
        .iter()
        .map(|(batch, post, hour, clicks)| {
            serde_json::json!({"batch_id": batch, "post_id": post, "hour": hour, "clicks": clicks})
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// The rows of [`unsynced_parameter`] (bound as parameter `number`) as a table `unsynced (batch_id, post_id,
/// hour, clicks)`, for a `FROM` clause, without the rows of batches the ledger already holds.
pub fn unsynced_rows(backend: super::Backend, number: u8) -> String {
    let table = match backend {
        super::Backend::Postgres => format!(
            "jsonb_to_recordset(CAST(${number} AS jsonb)) \
             AS unsynced (batch_id TEXT, post_id BIGINT, hour BIGINT, clicks BIGINT)"
        ),
        super::Backend::Sqlite => format!(
            "(SELECT json_extract(value, '$.batch_id') AS batch_id, \
                     CAST(json_extract(value, '$.post_id') AS BIGINT) AS post_id, \
                     CAST(json_extract(value, '$.hour') AS BIGINT) AS hour, \
                     CAST(json_extract(value, '$.clicks') AS BIGINT) AS clicks \
               FROM json_each(?{number})) AS unsynced"
        ),
    };
    format!(
        "(SELECT unsynced.post_id, unsynced.hour, unsynced.clicks FROM {table} \
           WHERE NOT EXISTS (SELECT 1 FROM counter_batches \
                              WHERE counter_batches.batch_id = unsynced.batch_id))"
    )
}

/// Placeholder `number` of a statement written for `backend`.
pub fn placeholder(backend: super::Backend, number: u8) -> String {
    match backend {
        super::Backend::Postgres => format!("${number}"),
        super::Backend::Sqlite => format!("?{number}"),
    }
}

/// What [`counts_and_applied_batches`] read, in one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Synced clicks; posts without a counter row are absent (zero).
    pub counts: HashMap<i64, i64>,
    /// Which of the batch ids asked about the ledger holds.
    pub applied: HashSet<String>,
    /// The click epoch (migration 19) at that instant.
    pub click_epoch: i64,
}

/// In **one** statement (one snapshot): the synced clicks of `post_ids`, which of `batch_ids` the ledger
/// holds, and the click epoch. Batch ids that are not UUIDs are ignored.
///
/// Built with the query builder, so that on PostgreSQL the ids travel as two bound arrays (`= ANY($1)`) and
/// the statement is prepared once per connection: every counted view and list page runs it, and a statement
/// prepared anew each time costs a second round trip and a fresh plan.
pub fn counts_and_applied_batches(
    conn: &mut DbConnection,
    post_ids: &[i64],
    batch_ids: &[&str],
) -> QueryResult<Snapshot> {
    use super::schema::content_version;
    let batches: Vec<String> = batch_ids
        .iter()
        .filter_map(|id| uuid::Uuid::parse_str(id).ok())
        .map(|id| id.hyphenated().to_string())
        .collect();
    let counters = post_counters::table
        .filter(post_counters::post_id.eq_any(post_ids))
        .select((
            post_counters::post_id.nullable(),
            post_counters::clicks.nullable(),
            None::<String>.into_sql::<Nullable<Text>>(),
        ));
    let ledger = counter_batches::table
        .filter(counter_batches::batch_id.eq_any(&batches))
        .select((
            None::<i64>.into_sql::<Nullable<BigInt>>(),
            None::<i64>.into_sql::<Nullable<BigInt>>(),
            counter_batches::batch_id.nullable(),
        ));
    // The epoch as the one row with neither a post nor a batch.
    let epoch = content_version::table.select((
        None::<i64>.into_sql::<Nullable<BigInt>>(),
        content_version::click_epoch.nullable(),
        None::<String>.into_sql::<Nullable<Text>>(),
    ));
    let rows: Vec<(Option<i64>, Option<i64>, Option<String>)> =
        on_backend!(conn, c => counters.union_all(ledger).union_all(epoch).load(c))?;
    let mut snapshot = Snapshot::default();
    for row in rows {
        match row {
            (Some(post_id), Some(clicks), _) => {
                snapshot.counts.insert(post_id, clicks);
            }
            (None, Some(epoch), None) => snapshot.click_epoch = epoch,
            (_, _, Some(batch_id)) => {
                snapshot.applied.insert(batch_id);
            }
            _ => {}
        }
    }
    Ok(snapshot)
}

/// Adds one click made in `hour` straight to the database (the fallback while the cache is down), to the
/// post's total and its hour in one transaction, and bumps the click epoch in it (the click cache's totals
/// do not hold this click: every instance that learns the new epoch makes the cache drop them). Returns the
/// new synced count and the new epoch; `None` if the post does not exist.
pub fn increment(
    conn: &mut DbConnection,
    post_id: i64,
    hour: i64,
) -> QueryResult<Option<(i64, i64)>> {
    use super::schema::{content_version, post_click_hours, posts};
    write_transaction(conn, |conn| {
        let exists: bool =
            diesel::select(diesel::dsl::exists(posts::table.find(post_id))).get_result(conn)?;
        if !exists {
            return Ok(None);
        }
        let clicks = on_backend!(conn, c => diesel::insert_into(post_counters::table)
            .values((post_counters::post_id.eq(post_id), post_counters::clicks.eq(1_i64)))
            .on_conflict(post_counters::post_id)
            .do_update()
            .set(post_counters::clicks.eq(post_counters::clicks + 1_i64))
            .returning(post_counters::clicks)
            .get_result::<i64>(c))?;
        on_backend!(conn, c => diesel::insert_into(post_click_hours::table)
            .values((
                post_click_hours::post_id.eq(post_id),
                post_click_hours::hour.eq(hour),
                post_click_hours::clicks.eq(1_i64),
            ))
            .on_conflict((post_click_hours::post_id, post_click_hours::hour))
            .do_update()
            .set(post_click_hours::clicks.eq(post_click_hours::clicks + 1_i64))
            .execute(c))?;
        let epoch = on_backend!(conn, c => diesel::update(content_version::table)
            .set(content_version::click_epoch.eq(content_version::click_epoch + 1_i64))
            .returning(content_version::click_epoch)
            .get_result::<i64>(c))?;
        if let DbConnection::Pg(pg) = conn {
            // Announced at commit, like the content version's bumps: other instances learn it at once.
            pg.batch_execute("SELECT pg_notify('blog_api_content', '')")?;
        }
        Ok(Some((clicks, epoch)))
    })
}

/// The synced clicks of a post that is published at `now` (0 without a counter row); `None` for drafts,
/// scheduled posts and unknown ids.
pub fn published_clicks(
    conn: &mut DbConnection,
    post_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    use super::schema::posts;
    let found: Option<Option<i64>> = posts::table
        .left_join(post_counters::table)
        .filter(posts::id.eq(post_id))
        .filter(super::posts::public_at(now))
        .select(post_counters::clicks.nullable())
        .first(conn)
        .optional()?;
    Ok(found.map(|clicks| clicks.unwrap_or(0)))
}

/// Deletes ledger rows applied before `cutoff`; returns how many.
pub fn prune_ledger(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(counter_batches::table.filter(counter_batches::applied_at.lt(cutoff)))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upsert_adds_deltas_and_skips_missing_posts() {
        let sql = add_deltas_sql(&[(1, 5), (9, 2)]);
        assert!(sql.contains(
            "(CAST(1 AS BIGINT), CAST(5 AS BIGINT)), (CAST(9 AS BIGINT), CAST(2 AS BIGINT))"
        ));
        assert!(sql.contains("clicks = post_counters.clicks + excluded.clicks"));
        assert!(sql.contains("WHERE EXISTS (SELECT 1 FROM posts"));
    }
}
