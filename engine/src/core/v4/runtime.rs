//! The loaded configuration compiled for lookups: per-subnet masks and reservation
//! indexes. Built once per (re)configuration, never edited in place; the shard holds it
//! in an `Arc` and a reload swaps the whole thing.

use hashbrown::HashMap;
use std::net::Ipv4Addr;
use xdhcp_config::{Dhcp4Config, HostIdentifier, IdentifierType, Reservation4, Subnet4};

/// One subnet with what packet processing needs precomputed.
pub struct SubnetRt {
    pub cfg: Subnet4,
    pub net: u32,
    pub mask: u32,
    /// Reservations by identifier kind, value = index into `cfg.reservations`.
    by_hw: HashMap<Box<[u8]>, usize>,
    by_client_id: HashMap<Box<[u8]>, usize>,
    by_circuit_id: HashMap<Box<[u8]>, usize>,
    by_duid: HashMap<Box<[u8]>, usize>,
    /// Reserved address → reservation index, so the allocator skips other clients.
    by_addr: HashMap<u32, usize>,
}

impl SubnetRt {
    fn new(cfg: Subnet4) -> SubnetRt {
        let mask = if cfg.prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(cfg.prefix_len))
        };
        let net = u32::from(cfg.prefix) & mask;
        let mut rt = SubnetRt {
            cfg,
            net,
            mask,
            by_hw: HashMap::new(),
            by_client_id: HashMap::new(),
            by_circuit_id: HashMap::new(),
            by_duid: HashMap::new(),
            by_addr: HashMap::new(),
        };
        for (i, r) in rt.cfg.reservations.iter().enumerate() {
            let id = match &r.identifier {
                HostIdentifier::HwAddress(v) => Some((&mut rt.by_hw, v)),
                HostIdentifier::ClientId(v) => Some((&mut rt.by_client_id, v)),
                HostIdentifier::CircuitId(v) => Some((&mut rt.by_circuit_id, v)),
                HostIdentifier::Duid(v) => Some((&mut rt.by_duid, v)),
                // flex-id reservations match only through Kea's flex_id hook, which
                // xdhcp does not have yet; they are kept but never match.
                HostIdentifier::FlexId(_) => None,
            };
            if let Some((map, v)) = id {
                map.insert(v.clone().into_boxed_slice(), i);
            }
            if let Some(a) = r.ip_address {
                rt.by_addr.insert(u32::from(a), i);
            }
        }
        rt
    }

    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask == self.net
    }

    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask)
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.net | !self.mask)
    }

    pub fn reservation(&self, i: usize) -> &Reservation4 {
        &self.cfg.reservations[i]
    }

    /// The reservation holding `addr`, if any.
    pub fn reserved_for(&self, addr: Ipv4Addr) -> Option<usize> {
        self.by_addr.get(&u32::from(addr)).copied()
    }

    pub fn lookup(&self, kind: IdentifierType, id: &[u8]) -> Option<usize> {
        if id.is_empty() {
            return None;
        }
        let map = match kind {
            IdentifierType::HwAddress => &self.by_hw,
            IdentifierType::ClientId => &self.by_client_id,
            IdentifierType::CircuitId => &self.by_circuit_id,
            IdentifierType::Duid => &self.by_duid,
            IdentifierType::FlexId => return None,
        };
        map.get(id).copied()
    }

    pub fn has_reservations(&self) -> bool {
        !self.cfg.reservations.is_empty()
    }
}

/// The whole DHCPv4 configuration, compiled.
pub struct RuntimeV4 {
    pub cfg: Dhcp4Config,
    pub subnets: Vec<SubnetRt>,
}

impl RuntimeV4 {
    pub fn new(mut cfg: Dhcp4Config) -> RuntimeV4 {
        let subnets = std::mem::take(&mut cfg.subnets)
            .into_iter()
            .map(SubnetRt::new)
            .collect();
        RuntimeV4 { cfg, subnets }
    }

    pub fn subnet_index_by_id(&self, id: u32) -> Option<usize> {
        self.subnets.iter().position(|s| s.cfg.id == id)
    }

    pub fn subnet_containing(&self, addr: Ipv4Addr) -> Option<usize> {
        self.subnets.iter().position(|s| s.contains(addr))
    }
}
