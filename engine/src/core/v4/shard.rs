//! One DHCPv4 allocation shard: the lease table, the pools' free-address state and the
//! counters, owned by one thread. Every lease change goes through `store`/`delete`, which
//! keep the pool bitmaps and Kea's subnet counters true and queue the change for the log.

use super::leases::{IdKind, LeaseTable};
use super::partition::Partition;
use super::pools::PoolState;
use super::runtime::RuntimeV4;
use super::stats::{Counter, Stats4, SubnetCounters};
use hashbrown::HashSet;
use std::net::Ipv4Addr;
use std::sync::Arc;
use xdhcp_storage::{Lease4, LeaseState};

/// Something another shard must hear about, routed by the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardNote {
    /// A lease in shard `to`'s slice was removed here: the address is free again.
    Freed { addr: Ipv4Addr, to: usize },
    /// This shard's slices of subnet `subnet_id` are full: ask a peer to lend a range.
    Borrow { subnet_id: u32 },
}

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
    /// This shard's place among its peers.
    pub(super) part: Partition,
    /// Addresses in this shard's slices whose lease another shard holds.
    pub(super) foreign: HashSet<u32>,
    /// Ranges of this shard's slices lent to peers, and ranges borrowed from them:
    /// `(subnet id, first, last)`.
    pub(super) lent: Vec<(u32, Ipv4Addr, Ipv4Addr)>,
    pub(super) borrowed: Vec<(u32, Ipv4Addr, Ipv4Addr)>,
    /// Per subnet: when a borrow was last asked for (Unix seconds).
    pub(super) borrow_asked: Vec<u64>,
    pub(super) notes: Vec<ShardNote>,
    /// Set by `handle` when the message belongs to another shard (the lease it names
    /// lives there); the worker hands the frame over.
    pub(super) reroute: Option<usize>,
}

impl ShardV4 {
    /// A shard serving `rt`, starting from the leases recovered from storage.
    pub fn new(rt: Arc<RuntimeV4>, recovered: Vec<Lease4>) -> ShardV4 {
        ShardV4::partitioned(rt, Partition::WHOLE, recovered, std::iter::empty())
    }

    /// Shard `part.index` of `part.count`: it holds the leases of its own clients (`own`)
    /// and allocates from its slices of the pools, where `foreign` lists the addresses
    /// other shards hold.
    pub fn partitioned(
        rt: Arc<RuntimeV4>,
        part: Partition,
        own: Vec<Lease4>,
        foreign: impl IntoIterator<Item = Ipv4Addr>,
    ) -> ShardV4 {
        let recovered = own;
        let mut shard = ShardV4 {
            rt: rt.clone(),
            leases: LeaseTable::with_capacity(recovered.len().max(1024)),
            pools: Vec::new(),
            stats: Stats4::default(),
            changes: Vec::with_capacity(64),
            enabled: true,
            exhausted_warned: Vec::new(),
            expired_scan_at: Vec::new(),
            part,
            foreign: foreign.into_iter().map(u32::from).collect(),
            lent: Vec::new(),
            borrowed: Vec::new(),
            borrow_asked: Vec::new(),
            notes: Vec::new(),
            reroute: None,
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
        let part = self.part;
        let borrowed = &self.borrowed;
        self.pools = rt
            .subnets
            .iter()
            .map(|s| {
                let mine = s
                    .cfg
                    .pools
                    .iter()
                    .filter_map(|p| part.slice_of(p.start, p.end));
                // Borrowed ranges stay this shard's while they still lie in a pool.
                let lent_to_me = borrowed.iter().filter(|(sid, a, b)| {
                    *sid == s.cfg.id && s.cfg.pools.iter().any(|p| p.contains(*a) && p.contains(*b))
                });
                mine.chain(lent_to_me.map(|(_, a, b)| (*a, *b)))
                    .map(|(a, b)| PoolState::new(a, b))
                    .collect()
            })
            .collect();
        let pools = &self.pools;
        let lent = &self.lent;
        self.stats.subnets = rt
            .subnets
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let total = pools[si].iter().map(|p| p.size()).sum::<u64>()
                    - lent
                        .iter()
                        .filter(|(sid, _, _)| *sid == s.cfg.id)
                        .map(|(_, a, b)| pool_size(*a, *b))
                        .sum::<u64>();
                (
                    s.cfg.id,
                    SubnetCounters {
                        total_addresses: total,
                        ..SubnetCounters::default()
                    },
                )
            })
            .collect();
        // Room for a lease per address of this shard's slices (bounded: a /8 pool
        // would otherwise reserve more than it will ever use).
        let addresses: u64 = self.pools.iter().flatten().map(|p| p.size()).sum();
        self.leases
            .reserve_total(addresses.min(MAX_PRESIZED_LEASES) as usize);
        self.exhausted_warned = vec![0; rt.subnets.len()];
        self.expired_scan_at = vec![u64::MAX; rt.subnets.len()];
        self.borrow_asked = vec![0; rt.subnets.len()];
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
        // Addresses held elsewhere and ranges lent away are not this shard's to give.
        for addr in self.foreign.iter().copied().collect::<Vec<u32>>() {
            self.mark_any_pool(Ipv4Addr::from(addr), true);
        }
        for (_, a, b) in self.lent.clone() {
            for x in u32::from(a)..=u32::from(b) {
                self.mark_any_pool(Ipv4Addr::from(x), true);
            }
        }
    }

    pub fn partition(&self) -> Partition {
        self.part
    }

    /// Notes for other shards produced since the last call; the vector is reused.
    pub fn take_notes(&mut self, out: &mut Vec<ShardNote>) {
        out.clear();
        out.append(&mut self.notes);
    }

    /// After `handle` returned `None`: the shard that must process that message instead.
    pub fn take_reroute(&mut self) -> Option<usize> {
        self.reroute.take()
    }

    /// A peer removed its lease for `addr`, which lies in this shard's slice.
    pub fn on_freed(&mut self, addr: Ipv4Addr) {
        if self.foreign.remove(&u32::from(addr)) && self.leases.get(addr).is_none() {
            self.mark_any_pool(addr, false);
        }
    }

    /// A peer ran dry in subnet `subnet_id`: lend it a run of free addresses (up to 64,
    /// at most half of a pool's free ones) from this shard's slices, if there are any.
    pub fn on_borrow(&mut self, subnet_id: u32) -> Option<(Ipv4Addr, Ipv4Addr)> {
        let si = self.rt.subnet_index_by_id(subnet_id)?;
        let range = self.pools[si]
            .iter_mut()
            .find_map(|p| p.take_free_run(LEND_MAX))?;
        self.lent.push((subnet_id, range.0, range.1));
        self.stats.subnet_mut(si).total_addresses -= pool_size(range.0, range.1);
        Some(range)
    }

    /// A peer lent this shard `first..=last` of subnet `subnet_id`.
    pub fn on_lend(&mut self, subnet_id: u32, first: Ipv4Addr, last: Ipv4Addr) {
        let Some(si) = self.rt.subnet_index_by_id(subnet_id) else {
            return;
        };
        self.borrowed.push((subnet_id, first, last));
        let mut pool = PoolState::new(first, last);
        for x in u32::from(first)..=u32::from(last) {
            let a = Ipv4Addr::from(x);
            if self.leases.get(a).is_some() || self.foreign.contains(&x) {
                pool.set(a);
            }
        }
        self.stats.subnet_mut(si).total_addresses += pool.size();
        self.pools[si].push(pool);
        self.borrow_asked[si] = 0;
    }

    /// Whether `addr` lies in one of this shard's slices (or borrowed ranges).
    pub(super) fn in_my_slices(&self, si: usize, addr: Ipv4Addr) -> bool {
        self.pools[si].iter().any(|p| p.contains(addr))
    }

    /// The shard whose slice of subnet `si`'s pools holds `addr`.
    pub(super) fn slice_owner(&self, si: usize, addr: Ipv4Addr) -> Option<usize> {
        let p = self.rt.subnets[si]
            .cfg
            .pools
            .iter()
            .find(|p| p.contains(addr))?;
        Some(Partition::slice_owner(
            self.part.count,
            p.start,
            p.end,
            addr,
        ))
    }

    fn mark_any_pool(&mut self, addr: Ipv4Addr, set: bool) {
        for pools in &mut self.pools {
            for pool in pools.iter_mut().filter(|p| p.contains(addr)) {
                if set {
                    pool.set(addr);
                } else {
                    pool.clear(addr);
                }
            }
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

    /// Removes a lease (release, flush of a reclaimed lease). An address from another
    /// shard's slice goes back to that shard.
    pub(super) fn delete(&mut self, now: u64, addr: Ipv4Addr) {
        if let Some(old) = self.leases.remove(addr) {
            self.mark_pool(old.subnet_id, addr, false);
            self.account(old.subnet_id, old.state, -1);
            self.changes.push(LeaseChange::Delete(addr, now));
            if let Some(si) = self.rt.subnet_index_by_id(old.subnet_id)
                && !self.in_my_slices(si, addr)
                && let Some(to) = self.slice_owner(si, addr)
                && to != self.part.index
            {
                self.notes.push(ShardNote::Freed { addr, to });
            }
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

/// The most leases the table makes room for in advance.
const MAX_PRESIZED_LEASES: u64 = 1 << 22;

/// The most addresses lent to a dry peer at once.
const LEND_MAX: u32 = 64;

fn pool_size(start: Ipv4Addr, end: Ipv4Addr) -> u64 {
    u64::from(u32::from(end).saturating_sub(u32::from(start))) + 1
}
