//! Expired-lease reclamation (Kea's `expired-leases-processing`): expired leases become
//! expired-reclaimed (identity kept for affinity) or are removed, declined addresses come
//! back after their probation, and reclaimed leases are flushed after the hold time.

use super::leases::Lease6Key;
use super::shard::ShardV6;
use super::stats::Counter6;
use xdhcp_storage::LeaseState;

impl ShardV6 {
    /// Reclaims at most `max` leases that expired before `now`; returns how many.
    /// `remove` drops reclaimed leases at once instead of keeping them for affinity.
    pub fn reclaim(&mut self, now: u64, max: usize, remove: bool) -> usize {
        let hold = u64::from(self.rt.cfg.expired_leases_processing.hold_reclaimed_time);
        let mut due: Vec<Lease6Key> = Vec::new();
        self.leases.collect_expired(now, hold, &mut due, max);
        let mut n = 0;
        for key in due {
            let Some(lease) = self.leases.get(key).cloned() else {
                continue;
            };
            let si = self.rt.subnet_index_by_id(lease.subnet_id);
            match lease.state {
                LeaseState::ExpiredReclaimed => {
                    // Hold time over: flush.
                    self.delete(now, key);
                    continue;
                }
                LeaseState::Declined => {
                    self.stats.bump(Counter6::ReclaimedDeclinedAddresses);
                    if let Some(si) = si {
                        self.stats.subnet_mut(si).reclaimed_declined_addresses += 1;
                    }
                    self.delete(now, key);
                }
                _ => {
                    if remove || hold == 0 {
                        self.delete(now, key);
                    } else {
                        let mut kept = lease;
                        kept.state = LeaseState::ExpiredReclaimed;
                        kept.hostname.clear();
                        kept.fqdn_fwd = false;
                        kept.fqdn_rev = false;
                        self.store(kept);
                    }
                }
            }
            self.stats.bump(Counter6::ReclaimedLeases);
            if let Some(si) = si {
                self.stats.subnet_mut(si).reclaimed_leases += 1;
            }
            n += 1;
        }
        n
    }
}
