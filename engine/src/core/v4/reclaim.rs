//! Reclamation for DHCPv4 leases: the shared policy in `core::reclaim`.

use super::shard::ShardV4;
use super::stats::Counter;
use crate::core::reclaim::{impl_reclaimable, reclaim};
use std::net::Ipv4Addr;

impl ShardV4 {
    /// Reclaims at most `max` leases that expired before `now`; returns how many.
    /// `remove` drops reclaimed leases at once instead of keeping them for affinity.
    pub fn reclaim(&mut self, now: u64, max: usize, remove: bool) -> usize {
        reclaim(self, now, max, remove)
    }
}

impl_reclaimable!(ShardV4, Ipv4Addr, Counter);
