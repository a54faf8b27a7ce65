//! The shard's DHCPv6 lease table: leases by (type, address), plus an index from the
//! identity association (subnet, type, DUID, IAID) to its lease. Owned by one thread.

use hashbrown::HashMap;
use std::net::Ipv6Addr;
use xdhcp_storage::{Ident, Lease6, Lease6Type, LeaseState};

/// What a lease is stored under: its type and address (the prefix for IA_PD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lease6Key {
    pub lease_type: Lease6Type,
    pub address: Ipv6Addr,
}

impl Lease6Key {
    pub fn new(lease_type: Lease6Type, address: Ipv6Addr) -> Lease6Key {
        Lease6Key {
            lease_type,
            address,
        }
    }

    pub fn of(lease: &Lease6) -> Lease6Key {
        Lease6Key::new(lease.lease_type, lease.address)
    }
}

/// An identity association: the DUID is stored inline (see `Ident`), so lookups and
/// inserts for ordinary clients do not allocate.
#[derive(Clone, PartialEq, Eq, Hash)]
struct IaKey {
    subnet_id: u32,
    lease_type: Lease6Type,
    iaid: u32,
    duid: Ident,
}

impl IaKey {
    fn new(subnet_id: u32, lease_type: Lease6Type, duid: &[u8], iaid: u32) -> IaKey {
        IaKey {
            subnet_id,
            lease_type,
            iaid,
            duid: Ident::new(duid),
        }
    }

    /// The index entry for a lease; declined leases (placeholder DUID) have none.
    fn of(lease: &Lease6) -> Option<IaKey> {
        (lease.state != LeaseState::Declined && !lease.duid.is_empty())
            .then(|| IaKey::new(lease.subnet_id, lease.lease_type, &lease.duid, lease.iaid))
    }
}

#[derive(Default)]
pub struct LeaseTable6 {
    by_key: HashMap<Lease6Key, Lease6>,
    by_ia: HashMap<IaKey, Lease6Key>,
}

impl LeaseTable6 {
    pub fn with_capacity(n: usize) -> LeaseTable6 {
        LeaseTable6 {
            by_key: HashMap::with_capacity(n),
            by_ia: HashMap::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn get(&self, key: Lease6Key) -> Option<&Lease6> {
        self.by_key.get(&key)
    }

    /// The lease of an identity association (the latest stored when it has several).
    pub fn find_ia(
        &self,
        subnet_id: u32,
        lease_type: Lease6Type,
        duid: &[u8],
        iaid: u32,
    ) -> Option<&Lease6> {
        if duid.is_empty() {
            return None;
        }
        let key = self
            .by_ia
            .get(&IaKey::new(subnet_id, lease_type, duid, iaid))?;
        self.by_key.get(key)
    }

    pub fn upsert(&mut self, lease: Lease6) {
        let key = Lease6Key::of(&lease);
        match self.by_key.get_mut(&key) {
            Some(old) if same_identity(old, &lease) => *old = lease,
            _ => {
                if let Some(old) = self.by_key.remove(&key) {
                    self.unindex(&old);
                }
                if let Some(ia) = IaKey::of(&lease) {
                    self.by_ia.insert(ia, key);
                }
                self.by_key.insert(key, lease);
            }
        }
    }

    pub fn remove(&mut self, key: Lease6Key) -> Option<Lease6> {
        let old = self.by_key.remove(&key)?;
        self.unindex(&old);
        Some(old)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lease6> {
        self.by_key.values()
    }

    /// Leases that expired before `now` and are not yet reclaimed, or reclaimed leases
    /// whose hold time (`hold` seconds after expiry) is over.
    pub fn collect_expired(&self, now: u64, hold: u64, out: &mut Vec<Lease6Key>, max: usize) {
        for lease in self.by_key.values() {
            if out.len() >= max {
                break;
            }
            let due = match lease.state {
                LeaseState::ExpiredReclaimed => lease.expire().saturating_add(hold) <= now,
                _ => lease.expire() <= now,
            };
            if due {
                out.push(Lease6Key::of(lease));
            }
        }
    }

    fn unindex(&mut self, lease: &Lease6) {
        if let Some(ia) = IaKey::of(lease)
            && self.by_ia.get(&ia) == Some(&Lease6Key::of(lease))
        {
            self.by_ia.remove(&ia);
        }
    }
}

fn same_identity(a: &Lease6, b: &Lease6) -> bool {
    a.subnet_id == b.subnet_id
        && a.iaid == b.iaid
        && a.duid == b.duid
        && (a.state == LeaseState::Declined) == (b.state == LeaseState::Declined)
}
