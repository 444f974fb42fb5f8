//! Webhooks in the database: subscriptions (here), the outbox of events and their deliveries, written in
//! the transaction of the change that caused them (`outbox`), and the deliveries' claims, attempts and log
//! (`deliveries`). Scheduled posts are announced by `super::post_writes::announce_due`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::webhooks;
use super::DbConnection;
use crate::domain::webhook::{events_of, stored_events, EventType, Subscription};

mod deliveries;
mod outbox;

pub use deliveries::*;
pub use outbox::{emit, public_after, stream_places, StreamedEvent};

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
