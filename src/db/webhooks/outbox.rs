//! The outbox: the events a change causes and one pending delivery per subscription that wants each,
//! written in the change's own transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhook_events, webhooks};
use crate::db::DbConnection;
use crate::domain::webhook::Event;

use super::PENDING;

/// Writes `events` to the outbox with one pending delivery per active subscription that wants each. Call
/// inside the transaction of the change that caused them (see [`super::content_write`]): the events exist
/// if and only if the change committed. An event no subscription wants is not stored. The deliveries are
/// due at `now`, on the real clock (see `Clocks`), whatever clock the change was made at.
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
