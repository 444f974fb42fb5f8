//! The count a reader sees (README "Click counting", read step): the synced count in the database plus the
//! deltas of every batch the ledger does not hold yet. The cache is read first, then counters and ledger in
//! one statement: the other order could miss a batch applied and acknowledged in between.
#![expect(
    clippy::implicit_hasher,
    reason = "the counts and the ledger come from db::counters, always with the default hasher"
)]

use std::collections::{HashMap, HashSet};

use crate::cache::PendingClicks;

/// The clicks of the batches the ledger does not hold yet.
pub fn unapplied(pending: &PendingClicks, applied: &HashSet<String>) -> i64 {
    pending
        .deltas
        .iter()
        .filter(|(batch, _)| !applied.contains(batch))
        .map(|(_, delta)| delta)
        .sum()
}

/// Displayed counts of `post_ids`: `synced` (posts without a counter row count 0) plus each post's unapplied
/// pending deltas.
pub fn displayed(
    post_ids: &[i64],
    mut synced: HashMap<i64, i64>,
    pending: Vec<(i64, PendingClicks)>,
    applied: &HashSet<String>,
) -> HashMap<i64, i64> {
    for id in post_ids {
        synced.entry(*id).or_insert(0);
    }
    for (post_id, clicks) in pending {
        *synced.entry(post_id).or_insert(0) += unapplied(&clicks, applied);
    }
    synced
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(deltas: &[(&str, i64)]) -> PendingClicks {
        PendingClicks {
            deltas: deltas
                .iter()
                .map(|(batch, delta)| ((*batch).to_owned(), *delta))
                .collect(),
        }
    }

    #[test]
    fn an_applied_batch_is_counted_once_through_the_database() {
        let applied = HashSet::from([String::from("b1")]);
        let counts = displayed(
            &[1, 2],
            HashMap::from([(1, 100)]),
            vec![(1, pending(&[("b1", 5), ("b2", 3)]))],
            &applied,
        );
        assert_eq!(counts, HashMap::from([(1, 103), (2, 0)]));
    }
}
