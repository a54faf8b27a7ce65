//! One DHCPv4 allocation shard: the lease table, the pools' free-address state and the
//! counters, owned by one thread. Every lease change goes through `store`/`delete`, which
//! keep the pool bitmaps and Kea's subnet counters true and queue the change for the log.

use super::leases::{IdKind, LeaseTable};
use super::pools::PoolState;
use super::runtime::RuntimeV4;
use super::stats::{Counter, Stats4, SubnetCounters};
use std::net::Ipv4Addr;
use std::sync::Arc;
use xdhcp_storage::{Lease4, LeaseState};

/// A lease change the I/O layer must make durable before the reply leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseChange {
    Upsert(Ipv4Addr),
    /// The lease was removed at this time (Unix seconds).
    Delete(Ipv4Addr, u64),
}

pub struct ShardV4 {
    pub(super) rt: Arc<RuntimeV4>,
    pub(super) leases: LeaseTable,
    /// Per subnet index, that subnet's pools.
    pub(super) pools: Vec<Vec<PoolState>>,
    pub stats: Stats4,
    pub(super) changes: Vec<LeaseChange>,
    /// `dhcp-disable` turns this off; packets are then dropped.
    pub enabled: bool,
    /// Per subnet: when "no address left" was last logged, and when the pool-exhausted
    /// scan for expired leases last ran (Unix seconds).
    pub(super) exhausted_warned: Vec<u64>,
    pub(super) expired_scan_at: Vec<u64>,
}

impl ShardV4 {
    /// A shard serving `rt`, starting from the leases recovered from storage.
    pub fn new(rt: Arc<RuntimeV4>, recovered: Vec<Lease4>) -> ShardV4 {
        let mut shard = ShardV4 {
            rt: rt.clone(),
            leases: LeaseTable::with_capacity(recovered.len().max(1024)),
            pools: Vec::new(),
            stats: Stats4::default(),
            changes: Vec::with_capacity(64),
            enabled: true,
            exhausted_warned: Vec::new(),
            expired_scan_at: Vec::new(),
        };
        for lease in recovered {
            shard.leases.upsert(lease);
        }
        shard.reconfigure(rt);
        shard
    }

    /// Switches to a new configuration, keeping every lease; pool state and subnet
    /// counters are rebuilt from the lease table (Kea recounts at reconfiguration too).
    pub fn reconfigure(&mut self, rt: Arc<RuntimeV4>) {
        self.pools = rt
            .subnets
            .iter()
            .map(|s| {
                s.cfg
                    .pools
                    .iter()
                    .map(|p| PoolState::new(p.start, p.end))
                    .collect()
            })
            .collect();
        self.stats.subnets = rt
            .subnets
            .iter()
            .map(|s| {
                let total = s.cfg.pools.iter().map(|p| pool_size(p.start, p.end)).sum();
                (
                    s.cfg.id,
                    SubnetCounters {
                        total_addresses: total,
                        ..SubnetCounters::default()
                    },
                )
            })
            .collect();
        self.exhausted_warned = vec![0; rt.subnets.len()];
        self.expired_scan_at = vec![u64::MAX; rt.subnets.len()];
        self.rt = rt;
        self.stats.set(Counter::DeclinedAddresses, 0);
        self.stats.set(Counter::ReclaimedDeclinedAddresses, 0);
        self.stats.set(Counter::ReclaimedLeases, 0);
        let held: Vec<(u32, Ipv4Addr, LeaseState)> = self
            .leases
            .iter()
            .map(|l| (l.subnet_id, l.address, l.state))
            .collect();
        for (sid, addr, state) in held {
            self.mark_pool(sid, addr, true);
            self.account(sid, state, 1);
        }
    }

    pub fn runtime(&self) -> &Arc<RuntimeV4> {
        &self.rt
    }

    pub fn lease(&self, addr: Ipv4Addr) -> Option<&Lease4> {
        self.leases.get(addr)
    }

    pub fn leases(&self) -> impl Iterator<Item = &Lease4> {
        self.leases.iter()
    }

    pub fn lease_count(&self) -> usize {
        self.leases.len()
    }

    /// Lease changes made since the last call, to be persisted; the vector is reused.
    pub fn take_changes(&mut self, out: &mut Vec<LeaseChange>) {
        out.clear();
        out.append(&mut self.changes);
    }

    /// Puts back changes whose write failed, ahead of newer ones.
    pub fn requeue_changes(&mut self, failed: &[LeaseChange]) {
        self.changes.splice(0..0, failed.iter().copied());
    }

    pub fn pending_changes(&self) -> &[LeaseChange] {
        &self.changes
    }

    pub fn clear_changes(&mut self) {
        self.changes.clear();
    }

    /// Inserts or replaces a lease and keeps indexes, pools and counters true.
    pub(super) fn store(&mut self, lease: Lease4) {
        if let Some(old) = self.leases.get(lease.address) {
            let (sid, addr, state) = (old.subnet_id, old.address, old.state);
            self.mark_pool(sid, addr, false);
            self.account(sid, state, -1);
        }
        self.mark_pool(lease.subnet_id, lease.address, true);
        self.account(lease.subnet_id, lease.state, 1);
        self.changes.push(LeaseChange::Upsert(lease.address));
        self.leases.upsert(lease);
    }

    /// Removes a lease (release, flush of a reclaimed lease).
    pub(super) fn delete(&mut self, now: u64, addr: Ipv4Addr) {
        if let Some(old) = self.leases.remove(addr) {
            self.mark_pool(old.subnet_id, addr, false);
            self.account(old.subnet_id, old.state, -1);
            self.changes.push(LeaseChange::Delete(addr, now));
        }
    }

    pub(super) fn find_client_lease(
        &self,
        subnet_id: u32,
        hwaddr: &[u8],
        client_id: Option<&[u8]>,
        match_client_id: bool,
    ) -> Option<&Lease4> {
        if match_client_id
            && let Some(cid) = client_id
            && let Some(l) = self.leases.find_by_id(subnet_id, IdKind::ClientId, cid)
        {
            return Some(l);
        }
        let l = self.leases.find_by_id(subnet_id, IdKind::HwAddr, hwaddr)?;
        // A lease made for another client-id on the same hardware is not this client's.
        match (match_client_id, client_id, l.client_id.as_deref()) {
            (true, Some(a), Some(b)) if a != b => None,
            _ => Some(l),
        }
    }

    fn mark_pool(&mut self, subnet_id: u32, addr: Ipv4Addr, set: bool) {
        let Some(si) = self.rt.subnet_index_by_id(subnet_id) else {
            return;
        };
        for pool in &mut self.pools[si] {
            if pool.contains(addr) {
                if set {
                    pool.set(addr);
                } else {
                    pool.clear(addr);
                }
            }
        }
    }

    /// Adjusts Kea's `assigned-addresses` / `declined-addresses` by `sign` for a lease
    /// in `state` entering (+1) or leaving (-1) the table.
    fn account(&mut self, subnet_id: u32, state: LeaseState, sign: i64) {
        let Some(si) = self.rt.subnet_index_by_id(subnet_id) else {
            return;
        };
        let sc = self.stats.subnet_mut(si);
        // Kea counts a declined address as assigned too, until it is reclaimed.
        if matches!(state, LeaseState::Default | LeaseState::Declined) {
            sc.assigned_addresses = sc.assigned_addresses.saturating_add_signed(sign);
        }
        if state == LeaseState::Declined {
            sc.declined_addresses = sc.declined_addresses.saturating_add_signed(sign);
            self.stats.add(Counter::DeclinedAddresses, sign);
        }
    }
}

fn pool_size(start: Ipv4Addr, end: Ipv4Addr) -> u64 {
    u64::from(u32::from(end).saturating_sub(u32::from(start))) + 1
}
