//! Deliveries: claiming the due ones, recording each attempt and what comes next, the backlog, pruning, the
//! log an editor reads, and a manual retry.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::schema::{
    content_version, webhook_attempts, webhook_deliveries, webhook_events, webhooks,
};
use crate::db::{write_transaction, DbConnection};
use crate::domain::webhook::{
    AttemptRecord, Backlog, ClaimedDelivery, Delivery, DeliveryStatus, NextStep,
};
use crate::domain::PageRequest;

use super::PENDING;

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    webhook_id: i64,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    secret: String,
    #[diesel(sql_type = Text)]
    event_id: String,
    #[diesel(sql_type = Text)]
    payload: String,
    #[diesel(sql_type = BigInt)]
    attempts: i64,
    #[diesel(sql_type = Timestamp)]
    retry_from: NaiveDateTime,
}

/// How many deliveries to claim and for how long.
#[derive(Debug, Clone, Copy)]
pub struct ClaimLimits {
    /// The most deliveries this claim takes.
    pub batch: i64,
    /// The most deliveries of one subscription being attempted at once, by all workers together: a slow
    /// receiver holds at most this many, and the rest of the batch goes to the others.
    pub per_webhook: i64,
    /// Until when the claim holds: a worker that dies loses its deliveries then.
    pub until: NaiveDateTime,
}

/// Claims due deliveries for one worker (its `claim` token), counting the attempt: on PostgreSQL with
/// `FOR UPDATE SKIP LOCKED` (instances claiming at once take different rows), on SQLite in an immediate
/// transaction. A delivery whose claim ran out (its worker died) is due again.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limits: ClaimLimits,
    claim: &str,
) -> QueryResult<Vec<ClaimedDelivery>> {
    let lock = match conn {
        DbConnection::Pg(_) => " FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    let mut claim_sql = format!(
        "WITH busy AS ( \
           SELECT webhook_id, COUNT(*) AS n FROM webhook_deliveries \
           WHERE status = 'pending' AND claimed_until > $1 GROUP BY webhook_id \
         ), ranked AS ( \
           SELECT d.id, d.next_attempt_at, \
             ROW_NUMBER() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id) \
               + COALESCE(busy.n, 0) AS place \
           FROM webhook_deliveries d LEFT JOIN busy ON busy.webhook_id = d.webhook_id \
           WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             AND (d.claimed_until IS NULL OR d.claimed_until <= $1) \
         ), chosen AS ( \
           SELECT id FROM ranked WHERE place <= $2 ORDER BY next_attempt_at, id LIMIT $3 \
         ) \
         UPDATE webhook_deliveries SET claimed_until = $4, claim = $5, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE id IN (SELECT id FROM chosen){lock}) \
           AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $1)"
    );
    if let DbConnection::Sqlite(_) = conn {
        claim_sql = claim_sql.replace('$', "?");
    }
    let placeholder = match conn {
        DbConnection::Pg(_) => "$1",
        DbConnection::Sqlite(_) => "?1",
    };
    write_transaction(conn, |conn| {
        diesel::sql_query(claim_sql.as_str())
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limits.per_webhook)
            .bind::<BigInt, _>(limits.batch)
            .bind::<Timestamp, _>(limits.until)
            .bind::<Text, _>(claim)
            .execute(conn)?;
        let rows: Vec<ClaimedRow> = diesel::sql_query(format!(
            "SELECT d.id, d.webhook_id, w.url, w.secret, d.event_id, e.payload, d.attempts, d.retry_from \
             FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id \
             JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.claim = {placeholder} AND d.status = 'pending' ORDER BY d.id"
        ))
        .bind::<Text, _>(claim)
        .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|row| ClaimedDelivery {
                id: row.id,
                webhook_id: row.webhook_id,
                url: row.url,
                secret: row.secret,
                event_id: row.event_id,
                payload: row.payload,
                attempt: row.attempts,
                retry_from: row.retry_from,
                claim: claim.to_owned(),
            })
            .collect())
    })
}

/// Records an attempt and what becomes of the delivery. The delivery changes only while this worker's
/// claim holds it (a worker whose claim ran out and was taken over records its attempt, and nothing else);
/// whether it did is returned.
pub fn finish_attempt(
    conn: &mut DbConnection,
    delivery: &ClaimedDelivery,
    attempt: &AttemptRecord,
    next: NextStep,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(delivery.id),
                webhook_attempts::number.eq(attempt.number),
                webhook_attempts::started_at.eq(attempt.started_at.naive_utc()),
                webhook_attempts::duration_ms.eq(attempt.duration_ms),
                webhook_attempts::response_status.eq(attempt.response_status),
                webhook_attempts::error.eq(attempt.error.as_deref()),
                webhook_attempts::response_body.eq(attempt.response_body.as_deref()),
            ))
            .execute(conn)?;
        let mine = webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(delivery.id))
            .filter(webhook_deliveries::claim.eq(&delivery.claim));
        let no_claim = (
            webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::claim.eq(None::<String>),
        );
        let changed = match next {
            NextStep::Delivered | NextStep::GiveUp => {
                let status = if next == NextStep::Delivered {
                    DeliveryStatus::Delivered
                } else {
                    DeliveryStatus::Failed
                };
                diesel::update(mine)
                    .set((
                        webhook_deliveries::status.eq(status.as_str()),
                        webhook_deliveries::finished_at.eq(Some(now)),
                        no_claim,
                    ))
                    .execute(conn)?
            }
            NextStep::RetryAt(at) => diesel::update(mine)
                .set((webhook_deliveries::next_attempt_at.eq(at), no_claim))
                .execute(conn)?,
        };
        Ok(changed > 0)
    })
}

/// How the outbox stands: pending deliveries and the creation time of the oldest.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<Backlog> {
    let (pending, oldest): (i64, Option<NaiveDateTime>) = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(PENDING))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(webhook_deliveries::created_at),
        ))
        .first(conn)?;
    Ok(Backlog { pending, oldest })
}

/// Deletes events (with their deliveries and attempts) made before `before` that have nothing pending.
/// The event stream's `events_pruned_through` moves to the last place deleted.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    super::super::write_transaction(conn, |conn| {
        let pending = || {
            webhook_deliveries::table
                .filter(webhook_deliveries::status.eq(PENDING))
                .select(webhook_deliveries::event_id)
        };
        let last: Option<i64> = webhook_events::table
            .filter(webhook_events::created_at.lt(before))
            .filter(webhook_events::id.ne_all(pending()))
            .select(diesel::dsl::max(webhook_events::seq))
            .first(conn)?;
        if let Some(last) = last {
            diesel::update(content_version::table)
                .filter(content_version::events_pruned_through.lt(last))
                .set(content_version::events_pruned_through.eq(last))
                .execute(conn)?;
        }
        diesel::delete(
            webhook_events::table
                .filter(webhook_events::created_at.lt(before))
                .filter(webhook_events::id.ne_all(pending())),
        )
        .execute(conn)
    })
}

type DeliveryRow = (
    i64,
    String,
    String,
    String,
    i64,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

type AttemptRow = (
    i64,
    i64,
    NaiveDateTime,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn delivery_columns() -> (
    webhook_deliveries::id,
    webhook_deliveries::event_id,
    webhook_events::event_type,
    webhook_deliveries::status,
    webhook_deliveries::attempts,
    webhook_deliveries::next_attempt_at,
    webhook_deliveries::created_at,
    webhook_deliveries::finished_at,
) {
    (
        webhook_deliveries::id,
        webhook_deliveries::event_id,
        webhook_events::event_type,
        webhook_deliveries::status,
        webhook_deliveries::attempts,
        webhook_deliveries::next_attempt_at,
        webhook_deliveries::created_at,
        webhook_deliveries::finished_at,
    )
}

fn attempt_columns() -> (
    webhook_attempts::delivery_id,
    webhook_attempts::number,
    webhook_attempts::started_at,
    webhook_attempts::duration_ms,
    webhook_attempts::response_status,
    webhook_attempts::error,
    webhook_attempts::response_body,
) {
    (
        webhook_attempts::delivery_id,
        webhook_attempts::number,
        webhook_attempts::started_at,
        webhook_attempts::duration_ms,
        webhook_attempts::response_status,
        webhook_attempts::error,
        webhook_attempts::response_body,
    )
}

/// One page of a subscription's deliveries, newest first, with every attempt, and how many there are;
/// `None` when there is no such subscription.
pub fn deliveries(
    conn: &mut DbConnection,
    webhook_id: i64,
    page: PageRequest,
) -> QueryResult<Option<(Vec<Delivery>, u64)>> {
    if !diesel::select(diesel::dsl::exists(webhooks::table.find(webhook_id))).get_result(conn)? {
        return Ok(None);
    }
    let total: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .count()
        .get_result(conn)?;
    let rows: Vec<DeliveryRow> = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .limit(page.limit())
        .offset(page.offset())
        .select(delivery_columns())
        .load(conn)?;
    let deliveries = with_attempts(conn, rows)?;
    Ok(Some((deliveries, u64::try_from(total).unwrap_or(0))))
}

/// The deliveries of `rows`, each with its attempts (one statement for all of them).
fn with_attempts(conn: &mut DbConnection, rows: Vec<DeliveryRow>) -> QueryResult<Vec<Delivery>> {
    let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
    let attempts: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order((
            webhook_attempts::delivery_id,
            webhook_attempts::number,
            webhook_attempts::id,
        ))
        .select(attempt_columns())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| delivery(row, &attempts))
        .collect())
}

fn delivery(
    (id, event_id, event_type, status, attempts, next_attempt_at, created_at, finished_at): DeliveryRow,
    all_attempts: &[AttemptRow],
) -> Delivery {
    let status = DeliveryStatus::parse(&status);
    let utc = |at: NaiveDateTime| -> DateTime<Utc> { at.and_utc() };
    Delivery {
        id,
        event_id,
        event_type,
        status,
        attempts,
        next_attempt_at: (status == DeliveryStatus::Pending).then(|| utc(next_attempt_at)),
        created_at: utc(created_at),
        finished_at: finished_at.map(utc),
        attempt_log: all_attempts
            .iter()
            .filter(|attempt| attempt.0 == id)
            .map(|attempt| AttemptRecord {
                number: attempt.1,
                started_at: utc(attempt.2),
                duration_ms: attempt.3,
                response_status: attempt.4,
                error: attempt.5.clone(),
                response_body: attempt.6.clone(),
            })
            .collect(),
    }
}

/// Why a delivery cannot be retried by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryRefused {
    NotFound,
    /// A worker is attempting it right now.
    InFlight,
}

/// Makes a delivery due now, with a fresh `WEBHOOK_MAX_AGE`, whatever its status (a delivered one is sent
/// again, with the same event id).
pub fn retry(
    conn: &mut DbConnection,
    webhook_id: i64,
    delivery_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Result<Delivery, RetryRefused>> {
    write_transaction(conn, |conn| {
        let target = webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(delivery_id))
            .filter(webhook_deliveries::webhook_id.eq(webhook_id));
        let found: Option<(String, Option<NaiveDateTime>)> = target
            .select((
                webhook_deliveries::status,
                webhook_deliveries::claimed_until,
            ))
            .first(conn)
            .optional()?;
        let Some((status, claimed_until)) = found else {
            return Ok(Err(RetryRefused::NotFound));
        };
        if status == PENDING && claimed_until.is_some_and(|until| until > now) {
            return Ok(Err(RetryRefused::InFlight));
        }
        diesel::update(target)
            .set((
                webhook_deliveries::status.eq(PENDING),
                webhook_deliveries::next_attempt_at.eq(now),
                webhook_deliveries::retry_from.eq(now),
                webhook_deliveries::finished_at.eq(None::<NaiveDateTime>),
                webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::claim.eq(None::<String>),
            ))
            .execute(conn)?;
        let row: DeliveryRow = webhook_deliveries::table
            .inner_join(webhook_events::table)
            .filter(webhook_deliveries::id.eq(delivery_id))
            .select(delivery_columns())
            .first(conn)?;
        let retried = with_attempts(conn, vec![row])?.pop();
        Ok(retried.ok_or(RetryRefused::NotFound))
    })
}
