//! The shard's DHCPv4 lease table: leases by address, plus the client-identity indexes
//! that DISCOVER and REQUEST processing need. Owned by one thread; no locks.

use hashbrown::HashMap;
use std::net::Ipv4Addr;
use xdhcp_storage::{Ident, Lease4, LeaseState};

/// Which identity an index key was built from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum IdKind {
    HwAddr = 1,
    ClientId = 2,
}

/// An index key: subnet, identity kind and the identity, stored inline (see `Ident`), so
/// neither lookups nor inserts of ordinary clients allocate.
#[derive(Clone, PartialEq, Eq, Hash)]
struct IdKey {
    subnet_id: u32,
    kind: IdKind,
    id: Ident,
}

impl IdKey {
    fn new(subnet_id: u32, kind: IdKind, id: &[u8]) -> IdKey {
        IdKey {
            subnet_id,
            kind,
            id: Ident::new(id),
        }
    }
}

/// Leases of one shard, keyed by address, with identity indexes by subnet.
#[derive(Default)]
pub struct LeaseTable {
    by_addr: HashMap<u32, Lease4>,
    by_id: HashMap<IdKey, u32>,
}

impl LeaseTable {
    pub fn with_capacity(n: usize) -> LeaseTable {
        LeaseTable {
            by_addr: HashMap::with_capacity(n),
            by_id: HashMap::with_capacity(n * 2),
        }
    }

    /// Makes room for `total` leases, so the table does not grow (reallocate) while
    /// clients arrive.
    pub fn reserve_total(&mut self, total: usize) {
        self.by_addr
            .reserve(total.saturating_sub(self.by_addr.len()));
        self.by_id
            .reserve((2 * total).saturating_sub(self.by_id.len()));
    }

    pub fn len(&self) -> usize {
        self.by_addr.len()
    }

    pub fn get(&self, addr: Ipv4Addr) -> Option<&Lease4> {
        self.by_addr.get(&u32::from(addr))
    }

    /// The address leased in `subnet_id` to the client known by `kind`/`id`.
    pub fn find_by_id(&self, subnet_id: u32, kind: IdKind, id: &[u8]) -> Option<&Lease4> {
        if id.is_empty() {
            return None;
        }
        let key = IdKey::new(subnet_id, kind, id);
        let addr = *self.by_id.get(&key)?;
        self.by_addr.get(&addr)
    }

    /// Inserts or replaces the lease at its address, keeping the indexes true.
    /// A renewal keeps the client's identity, so its index entries stay as they are.
    pub fn upsert(&mut self, lease: Lease4) {
        let addr = u32::from(lease.address);
        match self.by_addr.get_mut(&addr) {
            Some(old) if same_identity(old, &lease) => *old = lease,
            _ => {
                if let Some(old) = self.by_addr.remove(&addr) {
                    self.unindex(&old);
                }
                self.index(&lease);
                self.by_addr.insert(addr, lease);
            }
        }
    }

    pub fn remove(&mut self, addr: Ipv4Addr) -> Option<Lease4> {
        let old = self.by_addr.remove(&u32::from(addr))?;
        self.unindex(&old);
        Some(old)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lease4> {
        self.by_addr.values()
    }

    /// Addresses whose lease expired before `now` and that are not yet reclaimed, or
    /// reclaimed leases whose hold time is over (`hold` seconds after expiry).
    pub fn collect_expired(&self, now: u64, hold: u64, out: &mut Vec<Ipv4Addr>, max: usize) {
        for lease in self.by_addr.values() {
            if out.len() >= max {
                break;
            }
            let due = match lease.state {
                LeaseState::ExpiredReclaimed => lease.expire().saturating_add(hold) <= now,
                _ => lease.expire() <= now,
            };
            if due {
                out.push(lease.address);
            }
        }
    }

    fn index(&mut self, lease: &Lease4) {
        let addr = u32::from(lease.address);
        if !lease.hwaddr.is_empty() {
            let key = IdKey::new(lease.subnet_id, IdKind::HwAddr, &lease.hwaddr);
            self.by_id.insert(key, addr);
        }
        if let Some(cid) = lease.client_id.as_deref().filter(|c| !c.is_empty()) {
            let key = IdKey::new(lease.subnet_id, IdKind::ClientId, cid);
            self.by_id.insert(key, addr);
        }
    }

    fn unindex(&mut self, lease: &Lease4) {
        let addr = u32::from(lease.address);
        if !lease.hwaddr.is_empty() {
            let key = IdKey::new(lease.subnet_id, IdKind::HwAddr, &lease.hwaddr);
            if self.by_id.get(&key) == Some(&addr) {
                self.by_id.remove(&key);
            }
        }
        if let Some(cid) = lease.client_id.as_deref().filter(|c| !c.is_empty()) {
            let key = IdKey::new(lease.subnet_id, IdKind::ClientId, cid);
            if self.by_id.get(&key) == Some(&addr) {
                self.by_id.remove(&key);
            }
        }
    }
}

fn same_identity(a: &Lease4, b: &Lease4) -> bool {
    a.subnet_id == b.subnet_id && a.hwaddr == b.hwaddr && a.client_id == b.client_id
}
