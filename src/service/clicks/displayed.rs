//! The count a reader sees (README "Click counting", read step): the synced count in the database plus the
//! deltas of every batch the ledger does not hold yet. The cache is read first, then counters and ledger in
//! one statement: the other order could miss a batch applied and acknowledged in between. The click cache
//! keeps the result as the post's total (seeded from this rule, raised by every click after).
#![expect(
    clippy::implicit_hasher,
    reason = "the ledger comes from db::counters, always with the default hasher"
)]

use std::collections::HashSet;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applied_batch_is_counted_once_through_the_database() {
        let applied = HashSet::from([String::from("b1")]);
        let pending = PendingClicks {
            deltas: vec![(String::from("b1"), 5), (String::from("b2"), 3)],
        };
        assert_eq!(100 + unapplied(&pending, &applied), 103);
    }
}
