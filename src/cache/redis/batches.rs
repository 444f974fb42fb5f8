//! Decoding what the scripts return about batches: a drained batch's fields, the batches set aside, and the
//! record script's reply, and a post's total or what seeding it needs.

use std::collections::HashMap;

use deadpool_redis::redis::Value;

use super::reply::{array, int, protocol, text};
use super::BATCH_FIELD;
use crate::cache::{CacheError, PendingClicks, Recorded, SeedTicket, Total};

/// A batch's clicks as drained: (post id, delta) pairs and (post id, hour, delta) triples, sorted.
#[derive(Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Deltas {
    pub(super) posts: Vec<(i64, i64)>,
    pub(super) hours: Vec<(i64, i64, i64)>,
}

impl Deltas {
    /// Adds a field of a batch hash: `<post id>` or `<post id>@<hour>`. `None` for anything else.
    fn add(&mut self, field: &str, delta: i64) -> Option<()> {
        match field.split_once('@') {
            None => {
                let post = field.parse::<i64>().ok()?;
                if delta > 0 {
                    self.posts.push((post, delta));
                }
            }
            Some((post, hour)) => {
                let (post, hour) = (post.parse::<i64>().ok()?, hour.parse::<i64>().ok()?);
                if delta > 0 {
                    self.hours.push((post, hour, delta));
                }
            }
        }
        Some(())
    }

    fn sorted(mut self) -> Self {
        self.posts.sort_unstable();
        self.hours.sort_unstable();
        self
    }
}

/// A batch hash as a flat field/value list: its id and its positive deltas. Fields that start with `__` are
/// labels (`__batch`, `__run`).
pub(super) fn decode_batch(fields: &[Value]) -> Option<(String, Deltas)> {
    let mut batch_id = None;
    let mut deltas = Deltas::default();
    for pair in fields.chunks(2) {
        let [field, value] = pair else {
            return None;
        };
        let field = text(field)?;
        if field == BATCH_FIELD {
            batch_id = text(value);
        } else if !field.starts_with("__") {
            deltas.add(&field, int(value)?)?;
        }
    }
    Some((batch_id?, deltas.sorted()))
}

/// The set-aside hash (`<batch id>|<post id>` and `<batch id>|<post id>@<hour>` -> delta) as batches.
pub(super) fn decode_aside(fields: &[Value]) -> Option<Vec<(String, Deltas)>> {
    let mut batches: HashMap<String, Deltas> = HashMap::new();
    for pair in fields.chunks(2) {
        let [field, value] = pair else {
            return None;
        };
        let field = text(field)?;
        let (batch_id, post_field) = field.split_once('|')?;
        batches
            .entry(batch_id.to_owned())
            .or_default()
            .add(post_field, int(value)?)?;
    }
    let mut batches: Vec<(String, Deltas)> = batches
        .into_iter()
        .map(|(id, deltas)| (id, deltas.sorted()))
        .collect();
    batches.sort_unstable();
    Some(batches)
}

/// A post's entry as the prelude's `total_of` gives it: `{total}`, or what seeding it needs.
pub(super) fn decode_total(reply: &Value) -> Result<Total, CacheError> {
    match array(reply)? {
        [total] => int(total)
            .map(Total::Held)
            .ok_or_else(|| protocol("a total", reply)),
        [_, pending_batch, pending_delta, in_flight_batch, in_flight_delta, aside, generation] => {
            let mut deltas = Vec::new();
            for (batch, delta) in [
                (pending_batch, pending_delta),
                (in_flight_batch, in_flight_delta),
            ] {
                if let (Some(batch), Some(delta)) = (text(batch), int(delta)) {
                    deltas.push((batch, delta));
                }
            }
            for pair in array(aside)?.chunks(2) {
                match pair {
                    [batch, delta] => match (text(batch), int(delta)) {
                        (Some(batch), Some(delta)) => deltas.push((batch, delta)),
                        _ => return Err(protocol("a total (set-aside deltas)", reply)),
                    },
                    _ => return Err(protocol("a total (set-aside deltas)", reply)),
                }
            }
            let generation = text(generation).ok_or_else(|| protocol("a total", reply))?;
            let pending_batch = text(pending_batch);
            let pending_delta = if pending_batch.is_some() {
                int(pending_delta).unwrap_or(0)
            } else {
                0
            };
            Ok(Total::Missing(
                PendingClicks { deltas },
                SeedTicket {
                    generation,
                    pending_batch,
                    pending_delta,
                },
            ))
        }
        _ => Err(protocol("a total", reply)),
    }
}

/// A record script's reply: `{counted, total}`.
pub(super) fn decode_record(reply: &Value) -> Result<Recorded, CacheError> {
    let [counted, total, wait] = array(reply)? else {
        return Err(protocol("record", reply));
    };
    let counted = match int(counted) {
        Some(1) => true,
        Some(0) => false,
        _ => return Err(protocol("record", reply)),
    };
    let limited = match int(wait) {
        Some(0) => None,
        Some(ms) if ms > 0 => Some(std::time::Duration::from_millis(ms.unsigned_abs())),
        _ => return Err(protocol("record", reply)),
    };
    Ok(Recorded {
        total: decode_total(total)?,
        counted,
        limited,
    })
}
