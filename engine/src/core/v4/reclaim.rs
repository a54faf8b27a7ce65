//! Reclamation for DHCPv4 leases: the shared policy in `core::reclaim`.

use super::shard::ShardV4;
use super::stats::Counter;
use crate::core::reclaim::{Reclaimable, reclaim};
use std::net::Ipv4Addr;
use xdhcp_storage::LeaseState;

impl ShardV4 {
    /// Reclaims at most `max` leases that expired before `now`; returns how many.
    /// `remove` drops reclaimed leases at once instead of keeping them for affinity.
    pub fn reclaim(&mut self, now: u64, max: usize, remove: bool) -> usize {
        reclaim(self, now, max, remove)
    }
}

impl Reclaimable for ShardV4 {
    type Key = Ipv4Addr;

    fn hold_time(&self) -> u64 {
        u64::from(self.rt.cfg.expired_leases_processing.hold_reclaimed_time)
    }

    fn collect_due(&self, now: u64, hold: u64, out: &mut Vec<Ipv4Addr>, max: usize) {
        self.leases.collect_expired(now, hold, out, max);
    }

    fn state_of(&self, key: Ipv4Addr) -> Option<LeaseState> {
        self.leases.get(key).map(|l| l.state)
    }

    fn delete_lease(&mut self, now: u64, key: Ipv4Addr) {
        self.delete(now, key);
    }

    fn keep_reclaimed(&mut self, key: Ipv4Addr) {
        if let Some(mut kept) = self.leases.get(key).cloned() {
            kept.state = LeaseState::ExpiredReclaimed;
            kept.hostname.clear();
            kept.fqdn_fwd = false;
            kept.fqdn_rev = false;
            self.store(kept);
        }
    }

    fn count_reclaimed(&mut self, key: Ipv4Addr, declined: bool) {
        let si = self
            .leases
            .get(key)
            .and_then(|l| self.rt.subnet_index_by_id(l.subnet_id));
        self.stats.bump(if declined {
            Counter::ReclaimedDeclinedAddresses
        } else {
            Counter::ReclaimedLeases
        });
        if declined {
            // Kea counts a declined address back from probation as a reclaimed lease too.
            self.stats.bump(Counter::ReclaimedLeases);
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
