//! Webhooks in the database: subscriptions, the outbox (events and their deliveries, written in the
//! transaction of the change that caused them), claiming due deliveries, recording attempts, and
//! announcing scheduled posts whose time has come.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::schema::{posts, webhook_attempts, webhook_deliveries, webhook_events, webhooks};
use super::{write_transaction, DbConnection};
use crate::domain::webhook::{
    events_of, stored_events, AttemptRecord, Backlog, ClaimedDelivery, Delivery, DeliveryStatus,
    Event, EventType, NextStep, PostEventData, Subscription,
};
use crate::domain::PageRequest;

const PENDING: &str = "pending";

type SubscriptionRow = (i64, String, String, bool, NaiveDateTime, NaiveDateTime);

fn subscription_columns() -> (
    webhooks::id,
    webhooks::url,
    webhooks::events,
    webhooks::active,
    webhooks::created_at,
    webhooks::updated_at,
) {
    (
        webhooks::id,
        webhooks::url,
        webhooks::events,
        webhooks::active,
        webhooks::created_at,
        webhooks::updated_at,
    )
}

fn subscription(
    (id, url, events, active, created_at, updated_at): SubscriptionRow,
    secret: Option<String>,
) -> Subscription {
    Subscription {
        id,
        url,
        events: events_of(&events),
        active,
        secret,
        created_at: created_at.and_utc(),
        updated_at: updated_at.and_utc(),
    }
}

/// Stores a subscription; returns it with its secret (the one answer that shows it).
pub fn create(
    conn: &mut DbConnection,
    url: &str,
    events: &[EventType],
    active: bool,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Subscription> {
    let id: i64 = diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(url),
            webhooks::events.eq(stored_events(events)),
            webhooks::active.eq(active),
            webhooks::secret.eq(secret),
            webhooks::created_at.eq(now),
            webhooks::updated_at.eq(now),
        ))
        .returning(webhooks::id)
        .get_result(conn)?;
    let found = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    Ok(Subscription {
        secret: Some(secret.to_owned()),
        ..found
    })
}

/// Every subscription, oldest first (without secrets).
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Subscription>> {
    let rows: Vec<SubscriptionRow> = webhooks::table
        .select(subscription_columns())
        .order(webhooks::id.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| subscription(row, None))
        .collect())
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Subscription>> {
    let row: Option<SubscriptionRow> = webhooks::table
        .find(id)
        .select(subscription_columns())
        .first(conn)
        .optional()?;
    Ok(row.map(|row| subscription(row, None)))
}

/// Changes what is sent; `None` when there is no such subscription.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    url: Option<&str>,
    events: Option<&[EventType]>,
    active: Option<bool>,
    now: NaiveDateTime,
) -> QueryResult<Option<Subscription>> {
    // One statement: the fields left `None` are not set.
    #[derive(AsChangeset)]
    #[diesel(table_name = webhooks)]
    struct Changes<'a> {
        url: Option<&'a str>,
        events: Option<String>,
        active: Option<bool>,
        updated_at: NaiveDateTime,
    }
    let changes = Changes {
        url,
        events: events.map(stored_events),
        active,
        updated_at: now,
    };
    if diesel::update(webhooks::table.find(id))
        .set(changes)
        .execute(conn)?
        == 0
    {
        return Ok(None);
    }
    find(conn, id)
}

/// Replaces the signing secret; the subscription with the new one, or `None`.
pub fn rotate_secret(
    conn: &mut DbConnection,
    id: i64,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Subscription>> {
    let changed = diesel::update(webhooks::table.find(id))
        .set((webhooks::secret.eq(secret), webhooks::updated_at.eq(now)))
        .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    Ok(find(conn, id)?.map(|found| Subscription {
        secret: Some(secret.to_owned()),
        ..found
    }))
}

/// Deletes a subscription with its deliveries; whether it existed.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn)? > 0)
}

/// Writes `events` to the outbox with one pending delivery per active subscription that wants each. Call
/// inside the transaction of the change that caused them (see [`super::content_write`]): the events exist
/// if and only if the change committed. An event no subscription wants is not stored.
pub fn emit(conn: &mut DbConnection, events: &[Event]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    // The delivery schedule runs on real time, whatever clock the change was made at.
    let now = crate::domain::clock::now();
    for event in events {
        let subscribers: Vec<i64> = webhooks::table
            .filter(webhooks::active.eq(true))
            .filter(webhooks::events.like(format!("%,{},%", event.event_type.as_str())))
            .select(webhooks::id)
            .load(conn)?;
        if subscribers.is_empty() {
            continue;
        }
        diesel::insert_into(webhook_events::table)
            .values((
                webhook_events::id.eq(&event.id),
                webhook_events::event_type.eq(event.event_type.as_str()),
                webhook_events::payload.eq(&event.payload),
                webhook_events::created_at.eq(event.created_at),
            ))
            .execute(conn)?;
        let rows: Vec<_> = subscribers
            .iter()
            .map(|webhook| {
                (
                    webhook_deliveries::webhook_id.eq(*webhook),
                    webhook_deliveries::event_id.eq(&event.id),
                    webhook_deliveries::status.eq(PENDING),
                    webhook_deliveries::attempts.eq(0_i64),
                    webhook_deliveries::next_attempt_at.eq(now),
                    webhook_deliveries::retry_from.eq(now),
                    webhook_deliveries::created_at.eq(now),
                )
            })
            .collect();
        crate::on_backend!(conn, c => diesel::insert_into(webhook_deliveries::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// Marks every post whose publication time has passed by `now` and that was not announced yet as
/// announced, and emits `post.published` for each, in one write transaction. Two instances doing this at
/// once announce each post once: PostgreSQL's row locks make the second skip rows the first changed, and
/// SQLite runs one write transaction at a time. Returns how many were announced.
pub fn announce_due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    // Looked for first (the partial index answers): an UPDATE of no row would still fire the statement
    // trigger that bumps the content version, and every instance would drop its content cache each poll.
    let unannounced = posts::table
        .filter(posts::announced.eq(false))
        .filter(super::posts::public_at(now));
    if !diesel::select(diesel::dsl::exists(unannounced)).get_result::<bool>(conn)? {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        let due: Vec<(i64, String, String, Option<NaiveDateTime>, NaiveDateTime)> = diesel::update(
            posts::table
                .filter(posts::announced.eq(false))
                .filter(super::posts::public_at(now)),
        )
        .set(posts::announced.eq(true))
        .returning((
            posts::id,
            posts::slug,
            posts::title,
            posts::published_at,
            posts::updated_at,
        ))
        .get_results(conn)?;
        let events: Vec<Event> = due
            .iter()
            .map(|(id, slug, title, published_at, updated_at)| {
                let data = PostEventData {
                    id: *id,
                    slug: slug.clone(),
                    title: title.clone(),
                    published_at: published_at.map(|at| at.and_utc()),
                    updated_at: updated_at.and_utc(),
                    previous_slug: None,
                };
                Event::new(EventType::PostPublished, &data, published_at.unwrap_or(now))
            })
            .collect();
        emit(conn, &events)?;
        Ok(due.len())
    })
}

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
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let pending = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(PENDING))
        .select(webhook_deliveries::event_id);
    diesel::delete(
        webhook_events::table
            .filter(webhook_events::created_at.lt(before))
            .filter(webhook_events::id.ne_all(pending)),
    )
    .execute(conn)
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
