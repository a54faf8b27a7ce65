//! Reclamation for DHCPv6 leases: the shared policy in `core::reclaim`.

use super::leases::Lease6Key;
use super::shard::ShardV6;
use super::stats::Counter6;
use crate::core::reclaim::{impl_reclaimable, reclaim};

impl ShardV6 {
    /// Reclaims at most `max` leases that expired before `now`; returns how many.
    /// `remove` drops reclaimed leases at once instead of keeping them for affinity.
    pub fn reclaim(&mut self, now: u64, max: usize, remove: bool) -> usize {
        reclaim(self, now, max, remove)
    }
}

impl_reclaimable!(ShardV6, Lease6Key, Counter6);
