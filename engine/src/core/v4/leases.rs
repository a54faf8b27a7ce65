//! The shard's DHCPv4 lease table: leases by address, plus the client-identity indexes
//! that DISCOVER and REQUEST processing need. Owned by one thread; no locks.

use hashbrown::HashMap;
use std::net::Ipv4Addr;
use xdhcp_storage::{Lease4, LeaseState};

/// The longest identity key: subnet id (4 bytes), a kind byte, and a 255-byte identifier.
const KEY_CAP: usize = 4 + 1 + 255;

/// Which identity an index key was built from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IdKind {
    HwAddr = 1,
    ClientId = 2,
}

/// A stack-built index key `subnet-id | kind | identifier`, so lookups never allocate.
pub struct IdKey {
    buf: [u8; KEY_CAP],
    len: usize,
}

impl IdKey {
    pub fn new(subnet_id: u32, kind: IdKind, id: &[u8]) -> IdKey {
        let mut buf = [0u8; KEY_CAP];
        buf[..4].copy_from_slice(&subnet_id.to_be_bytes());
        buf[4] = kind as u8;
        let n = id.len().min(255);
        buf[5..5 + n].copy_from_slice(&id[..n]);
        IdKey { buf, len: 5 + n }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Leases of one shard, keyed by address, with identity indexes by subnet.
#[derive(Default)]
pub struct LeaseTable {
    by_addr: HashMap<u32, Lease4>,
    by_id: HashMap<Box<[u8]>, u32>,
}

impl LeaseTable {
    pub fn with_capacity(n: usize) -> LeaseTable {
        LeaseTable {
            by_addr: HashMap::with_capacity(n),
            by_id: HashMap::with_capacity(n * 2),
        }
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
        let addr = *self.by_id.get(key.as_slice())?;
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
            self.by_id.insert(key.as_slice().into(), addr);
        }
        if let Some(cid) = lease.client_id.as_deref().filter(|c| !c.is_empty()) {
            let key = IdKey::new(lease.subnet_id, IdKind::ClientId, cid);
            self.by_id.insert(key.as_slice().into(), addr);
        }
    }

    fn unindex(&mut self, lease: &Lease4) {
        let addr = u32::from(lease.address);
        if !lease.hwaddr.is_empty() {
            let key = IdKey::new(lease.subnet_id, IdKind::HwAddr, &lease.hwaddr);
            if self.by_id.get(key.as_slice()) == Some(&addr) {
                self.by_id.remove(key.as_slice());
            }
        }
        if let Some(cid) = lease.client_id.as_deref().filter(|c| !c.is_empty()) {
            let key = IdKey::new(lease.subnet_id, IdKind::ClientId, cid);
            if self.by_id.get(key.as_slice()) == Some(&addr) {
                self.by_id.remove(key.as_slice());
            }
        }
    }
}

fn same_identity(a: &Lease4, b: &Lease4) -> bool {
    a.subnet_id == b.subnet_id && a.hwaddr == b.hwaddr && a.client_id == b.client_id
}
