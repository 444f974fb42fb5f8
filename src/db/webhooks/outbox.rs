//! The outbox: the events a change causes and one pending delivery per subscription that wants each,
//! written in the change's own transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{content_version, webhook_deliveries, webhook_events, webhooks};
use crate::db::DbConnection;
use crate::domain::webhook::{Event, EventType};

use super::PENDING;

/// Writes `events` to the outbox with one pending delivery per active subscription that wants each. Call
/// inside the transaction of the change that caused them (see [`super::content_write`]): the events exist
/// if and only if the change committed. A public event is stored for the event stream (`GET /events`)
/// whether or not a subscription wants it; a comment awaiting moderation that no subscription wants is not
/// stored. Each stored event takes the next place of the stream (migration 22). The deliveries are due at
/// `now`, on the real clock (see `Clocks`), whatever clock the change was made at.
pub fn emit(conn: &mut DbConnection, events: &[Event], now: NaiveDateTime) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    for event in events {
        let subscribers: Vec<i64> = webhooks::table
            .filter(webhooks::active.eq(true))
            .filter(webhooks::events.like(format!("%,{},%", event.event_type.as_str())))
            .select(webhooks::id)
            .load(conn)?;
        if subscribers.is_empty() && !event.event_type.is_public() {
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
        if subscribers.is_empty() {
            continue;
        }
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

/// An event as the stream sends it: its place, type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedEvent {
    pub seq: i64,
    pub event_type: String,
    pub payload: String,
}

/// Up to `limit` public events after place `after`, in order: one statement.
pub fn public_after(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<StreamedEvent>> {
    let public: Vec<&str> = EventType::ALL
        .into_iter()
        .filter(|kind| kind.is_public())
        .map(EventType::as_str)
        .collect();
    let rows: Vec<(i64, String, String)> = webhook_events::table
        .filter(webhook_events::seq.gt(after))
        .filter(webhook_events::event_type.eq_any(public))
        .order(webhook_events::seq.asc())
        .limit(limit)
        .select((
            webhook_events::seq,
            webhook_events::event_type,
            webhook_events::payload,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(seq, event_type, payload)| StreamedEvent {
            seq,
            event_type,
            payload,
        })
        .collect())
}

/// The stream's last place given so far, and the last place pruned (a client resuming before it may have
/// missed events): one statement.
pub fn stream_places(conn: &mut DbConnection) -> QueryResult<(i64, i64)> {
    content_version::table
        .select((
            content_version::event_seq,
            content_version::events_pruned_through,
        ))
        .first(conn)
}
