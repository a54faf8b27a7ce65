//! Expired-lease reclamation (Kea's `expired-leases-processing`), one policy for both
//! families: expired leases become expired-reclaimed (identity kept, so a returning
//! client gets its address back) or are removed, declined addresses come back after their
//! probation, and reclaimed leases are flushed once the hold time is over.

use xdhcp_storage::LeaseState;

/// What a shard offers the reclamation policy.
pub(crate) trait Reclaimable {
    type Key: Copy;
    /// `hold-reclaimed-time` in seconds.
    fn hold_time(&self) -> u64;
    /// Up to `max` keys of leases due at `now` (see `LeaseTable::collect_expired`).
    fn collect_due(&self, now: u64, hold: u64, out: &mut Vec<Self::Key>, max: usize);
    fn state_of(&self, key: Self::Key) -> Option<LeaseState>;
    fn delete_lease(&mut self, now: u64, key: Self::Key);
    /// Marks the lease expired-reclaimed, clearing its hostname and FQDN flags.
    fn keep_reclaimed(&mut self, key: Self::Key);
    /// Counts one reclaimed lease (`declined`: a declined address back from probation)
    /// globally and in its subnet, while the lease still exists.
    fn count_reclaimed(&mut self, key: Self::Key, declined: bool);
}

/// Reclaims at most `max` leases that expired before `now`; returns how many. `remove`
/// drops reclaimed leases at once instead of keeping them for affinity.
pub(crate) fn reclaim<S: Reclaimable>(shard: &mut S, now: u64, max: usize, remove: bool) -> usize {
    let hold = shard.hold_time();
    let mut due = Vec::new();
    shard.collect_due(now, hold, &mut due, max);
    let mut n = 0;
    for key in due {
        match shard.state_of(key) {
            None => continue,
            // Hold time over: flush.
            Some(LeaseState::ExpiredReclaimed) => {
                shard.delete_lease(now, key);
                continue;
            }
            Some(LeaseState::Declined) => {
                shard.count_reclaimed(key, true);
                shard.delete_lease(now, key);
            }
            Some(_) => {
                shard.count_reclaimed(key, false);
                if remove || hold == 0 {
                    shard.delete_lease(now, key);
                } else {
                    shard.keep_reclaimed(key);
                }
            }
        }
        n += 1;
    }
    n
}

/// Implements [`Reclaimable`] for a shard whose lease table (`leases`), configuration
/// (`rt`), counters (`stats`) and `store`/`delete` have the same shape in both families;
/// only the key and counter types differ.
macro_rules! impl_reclaimable {
    ($shard:ty, $key:ty, $counter:ident) => {
        impl $crate::core::reclaim::Reclaimable for $shard {
            type Key = $key;

            fn hold_time(&self) -> u64 {
                u64::from(self.rt.cfg.expired_leases_processing.hold_reclaimed_time)
            }

            fn collect_due(&self, now: u64, hold: u64, out: &mut Vec<$key>, max: usize) {
                self.leases.collect_expired(now, hold, out, max);
            }

            fn state_of(&self, key: $key) -> Option<xdhcp_storage::LeaseState> {
                self.leases.get(key).map(|l| l.state)
            }

            fn delete_lease(&mut self, now: u64, key: $key) {
                self.delete(now, key);
            }

            fn keep_reclaimed(&mut self, key: $key) {
                if let Some(mut kept) = self.leases.get(key).cloned() {
                    kept.state = xdhcp_storage::LeaseState::ExpiredReclaimed;
                    kept.hostname.clear();
                    kept.fqdn_fwd = false;
                    kept.fqdn_rev = false;
                    self.store(kept);
                }
            }

            fn count_reclaimed(&mut self, key: $key, declined: bool) {
                let si = self
                    .leases
                    .get(key)
                    .and_then(|l| self.rt.subnet_index_by_id(l.subnet_id));
                // Kea counts a declined address back from probation as a reclaimed
                // lease too.
                self.stats.bump($counter::ReclaimedLeases);
                if declined {
                    self.stats.bump($counter::ReclaimedDeclinedAddresses);
                }
                if let Some(si) = si {
                    let sc = self.stats.subnet_mut(si);
                    sc.reclaimed_leases += 1;
                    if declined {
                        sc.reclaimed_declined_addresses += 1;
                    }
                }
            }
        }
    };
}

pub(crate) use impl_reclaimable;
