//! One DHCPv6 shard: the lease table, the pools' allocation cursors and the counters,
//! owned by one thread. Every lease change goes through `store`/`delete`, which keep Kea's
//! subnet counters true and queue the change for the lease log.

use super::leases::{Lease6Key, LeaseTable6};
use super::pools::Cursor;
use super::runtime::RuntimeV6;
use super::stats::{Counter6, Stats6, SubnetCounters6, stat_size};
use std::sync::Arc;
use xdhcp_storage::{Lease6, Lease6Type, LeaseState};

/// A lease change the I/O layer must make durable before the reply leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseChange6 {
    Upsert(Lease6Key),
    /// The lease was removed at this time (Unix seconds).
    Delete(Lease6Key, u64),
}

pub struct ShardV6 {
    pub(super) rt: Arc<RuntimeV6>,
    pub(super) leases: LeaseTable6,
    /// Per subnet index, one cursor per address pool and per pd-pool.
    pub(super) na_cursors: Vec<Vec<Cursor>>,
    pub(super) pd_cursors: Vec<Vec<Cursor>>,
    pub stats: Stats6,
    pub(super) changes: Vec<LeaseChange6>,
    /// `dhcp-disable` turns this off; packets are then dropped.
    pub enabled: bool,
    /// Per subnet: when "no address left" was last logged (Unix seconds).
    pub(super) exhausted_warned: Vec<u64>,
}

impl ShardV6 {
    /// A shard serving `rt`, starting from the leases recovered from storage.
    pub fn new(rt: Arc<RuntimeV6>, recovered: Vec<Lease6>) -> ShardV6 {
        let mut shard = ShardV6 {
            rt: rt.clone(),
            leases: LeaseTable6::with_capacity(recovered.len().max(1024)),
            na_cursors: Vec::new(),
            pd_cursors: Vec::new(),
            stats: Stats6::default(),
            changes: Vec::with_capacity(64),
            enabled: true,
            exhausted_warned: Vec::new(),
        };
        for lease in recovered {
            shard.leases.upsert(lease);
        }
        shard.reconfigure(rt);
        shard
    }

    /// Switches to a new configuration, keeping every lease; cursors and subnet counters
    /// are rebuilt (Kea recounts at reconfiguration too).
    pub fn reconfigure(&mut self, rt: Arc<RuntimeV6>) {
        self.na_cursors = rt
            .subnets
            .iter()
            .map(|s| s.pools.iter().map(|(a, b)| Cursor::new(b - a)).collect())
            .collect();
        self.pd_cursors = rt
            .subnets
            .iter()
            .map(|s| {
                s.pd_pools
                    .iter()
                    .map(|p| Cursor::new(p.count.saturating_sub(1)))
                    .collect()
            })
            .collect();
        self.stats.subnets = rt
            .subnets
            .iter()
            .map(|s| {
                (
                    s.cfg.id,
                    SubnetCounters6 {
                        total_nas: stat_size(s.total_nas()),
                        total_pds: stat_size(s.total_pds()),
                        ..SubnetCounters6::default()
                    },
                )
            })
            .collect();
        self.exhausted_warned = vec![0; rt.subnets.len()];
        self.rt = rt;
        self.stats.set(Counter6::DeclinedAddresses, 0);
        self.stats.set(Counter6::ReclaimedDeclinedAddresses, 0);
        self.stats.set(Counter6::ReclaimedLeases, 0);
        let held: Vec<(u32, Lease6Type, LeaseState)> = self
            .leases
            .iter()
            .map(|l| (l.subnet_id, l.lease_type, l.state))
            .collect();
        for (sid, t, state) in held {
            self.account(sid, t, state, 1);
        }
        self.resume_cursors();
    }

    /// Puts each pool's cursor behind the highest lease it holds, so allocation after a
    /// restart does not spend its bounded attempts on a run of leased addresses.
    fn resume_cursors(&mut self) {
        let mut furthest: Vec<(usize, bool, usize, u128)> = Vec::new();
        for l in self.leases.iter() {
            let Some(si) = self.rt.subnet_index_by_id(l.subnet_id) else {
                continue;
            };
            let s = &self.rt.subnets[si];
            let a = u128::from(l.address);
            let hit = match l.lease_type {
                Lease6Type::Pd => s
                    .pd_pool_of(a, l.prefix_len)
                    .map(|pi| (true, pi, (a - s.pd_pools[pi].base) >> s.pd_pools[pi].shift)),
                _ => s.pool_of(a).map(|pi| (false, pi, a - s.pools[pi].0)),
            };
            if let Some((pd, pi, off)) = hit {
                furthest.push((si, pd, pi, off));
            }
        }
        furthest.sort_unstable_by_key(|f| f.3);
        for (si, pd, pi, off) in furthest {
            let c = if pd {
                &mut self.pd_cursors[si][pi]
            } else {
                &mut self.na_cursors[si][pi]
            };
            c.skip_past(off);
        }
    }

    pub fn runtime(&self) -> &Arc<RuntimeV6> {
        &self.rt
    }

    pub fn lease(&self, key: Lease6Key) -> Option<&Lease6> {
        self.leases.get(key)
    }

    pub fn leases(&self) -> impl Iterator<Item = &Lease6> {
        self.leases.iter()
    }

    pub fn lease_count(&self) -> usize {
        self.leases.len()
    }

    /// Lease changes made since the last call, to be persisted; the vector is reused.
    pub fn take_changes(&mut self, out: &mut Vec<LeaseChange6>) {
        out.clear();
        out.append(&mut self.changes);
    }

    /// Puts back changes whose write failed, ahead of newer ones.
    pub fn requeue_changes(&mut self, failed: &[LeaseChange6]) {
        self.changes.splice(0..0, failed.iter().copied());
    }

    pub fn pending_changes(&self) -> &[LeaseChange6] {
        &self.changes
    }

    pub fn clear_changes(&mut self) {
        self.changes.clear();
    }

    /// Inserts or replaces a lease and keeps the counters true.
    pub(super) fn store(&mut self, lease: Lease6) {
        let key = Lease6Key::of(&lease);
        if let Some(old) = self.leases.get(key) {
            let (sid, t, state) = (old.subnet_id, old.lease_type, old.state);
            self.account(sid, t, state, -1);
        }
        self.account(lease.subnet_id, lease.lease_type, lease.state, 1);
        self.changes.push(LeaseChange6::Upsert(key));
        self.leases.upsert(lease);
    }

    /// Removes a lease (release, flush of a reclaimed lease).
    pub(super) fn delete(&mut self, now: u64, key: Lease6Key) {
        if let Some(old) = self.leases.remove(key) {
            self.account(old.subnet_id, old.lease_type, old.state, -1);
            self.changes.push(LeaseChange6::Delete(key, now));
        }
    }

    /// Adjusts Kea's `assigned-nas`/`assigned-pds`/`declined-addresses` by `sign` for a
    /// lease in `state` entering (+1) or leaving (-1) the table.
    fn account(&mut self, subnet_id: u32, t: Lease6Type, state: LeaseState, sign: i64) {
        let Some(si) = self.rt.subnet_index_by_id(subnet_id) else {
            return;
        };
        let sc = self.stats.subnet_mut(si);
        match t {
            // Kea counts a declined address as assigned too, until it is reclaimed.
            Lease6Type::Na if matches!(state, LeaseState::Default | LeaseState::Declined) => {
                sc.assigned_nas = sc.assigned_nas.saturating_add_signed(sign);
            }
            Lease6Type::Pd if state == LeaseState::Default => {
                sc.assigned_pds = sc.assigned_pds.saturating_add_signed(sign);
            }
            _ => {}
        }
        if state == LeaseState::Declined {
            sc.declined_addresses = sc.declined_addresses.saturating_add_signed(sign);
            self.stats.add(Counter6::DeclinedAddresses, sign);
        }
    }
}
