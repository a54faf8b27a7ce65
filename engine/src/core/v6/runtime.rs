//! The loaded DHCPv6 configuration compiled for lookups: subnet prefixes and pools as
//! integer ranges, reservation indexes. Built once per (re)configuration and shared in an
//! `Arc`; a reload swaps the whole thing.

use hashbrown::HashMap;
use std::net::Ipv6Addr;
use xdhcp_config::{Dhcp6Config, HostIdentifier, IdentifierType, Reservation6, Subnet6};
use xdhcp_wire::dhcpv6::code;

/// The netmask of a `/len` prefix as an integer.
pub(super) fn mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    }
}

/// A prefix delegation pool: delegated prefix `i` is `base + (i << shift)`.
#[derive(Clone, Debug)]
pub struct PdPoolRt {
    pub base: u128,
    pub shift: u32,
    pub count: u128,
    pub delegated_len: u8,
    /// RFC 6603: the excluded prefix, announced with every prefix of this pool.
    pub exclude: Option<(Ipv6Addr, u8)>,
}

impl PdPoolRt {
    pub fn prefix(&self, i: u128) -> u128 {
        self.base | (i << self.shift)
    }

    /// Whether `p/len` is one of the prefixes this pool delegates.
    pub fn contains(&self, p: u128, len: u8) -> bool {
        len == self.delegated_len
            && p & !mask(len) == 0
            && p >= self.base
            && (p - self.base) >> self.shift < self.count
    }
}

/// One subnet with what packet processing needs precomputed.
pub struct SubnetRt6 {
    pub cfg: Subnet6,
    pub net: u128,
    pub mask: u128,
    /// Address pools as inclusive ranges, in configuration order.
    pub pools: Vec<(u128, u128)>,
    pub pd_pools: Vec<PdPoolRt>,
    by_duid: HashMap<Box<[u8]>, usize>,
    by_hw: HashMap<Box<[u8]>, usize>,
    /// Reserved address / prefix → reservation index, so the allocator skips them for
    /// other clients.
    by_addr: HashMap<u128, usize>,
    by_prefix: HashMap<(u128, u8), usize>,
}

impl SubnetRt6 {
    fn new(cfg: Subnet6) -> SubnetRt6 {
        let m = mask(cfg.prefix_len);
        let pools = cfg
            .pools
            .iter()
            .map(|p| (u128::from(p.start), u128::from(p.end)))
            .collect();
        let pd_pools = cfg
            .pd_pools
            .iter()
            .map(|p| {
                let dlen = p.delegated_len.max(p.prefix_len);
                let bits = u32::from(dlen - p.prefix_len);
                PdPoolRt {
                    base: u128::from(p.prefix) & mask(p.prefix_len),
                    shift: 128 - u32::from(dlen),
                    count: 1u128.checked_shl(bits).unwrap_or(u128::MAX),
                    delegated_len: dlen,
                    exclude: p.excluded_prefix,
                }
            })
            .collect();
        let mut rt = SubnetRt6 {
            net: u128::from(cfg.prefix) & m,
            mask: m,
            pools,
            pd_pools,
            by_duid: HashMap::new(),
            by_hw: HashMap::new(),
            by_addr: HashMap::new(),
            by_prefix: HashMap::new(),
            cfg,
        };
        for (i, r) in rt.cfg.reservations.iter().enumerate() {
            match &r.identifier {
                HostIdentifier::Duid(v) => {
                    rt.by_duid.insert(v.clone().into_boxed_slice(), i);
                }
                HostIdentifier::HwAddress(v) => {
                    rt.by_hw.insert(v.clone().into_boxed_slice(), i);
                }
                // flex-id needs Kea's hook; client-id and circuit-id are DHCPv4 only.
                _ => {}
            }
            for a in &r.ip_addresses {
                rt.by_addr.insert(u128::from(*a), i);
            }
            for (p, l) in &r.prefixes {
                rt.by_prefix.insert((u128::from(*p), *l), i);
            }
        }
        rt
    }

    pub fn contains(&self, addr: Ipv6Addr) -> bool {
        u128::from(addr) & self.mask == self.net
    }

    pub fn reservation(&self, i: usize) -> &Reservation6 {
        &self.cfg.reservations[i]
    }

    pub fn has_reservations(&self) -> bool {
        !self.cfg.reservations.is_empty()
    }

    /// The reservation holding this address (`len` 128) or prefix, if any.
    pub fn reserved_for(&self, addr: u128, len: u8, pd: bool) -> Option<usize> {
        if pd {
            self.by_prefix.get(&(addr, len)).copied()
        } else {
            self.by_addr.get(&addr).copied()
        }
    }

    pub fn lookup(&self, kind: IdentifierType, id: &[u8]) -> Option<usize> {
        if id.is_empty() {
            return None;
        }
        match kind {
            IdentifierType::Duid => self.by_duid.get(id).copied(),
            IdentifierType::HwAddress => self.by_hw.get(id).copied(),
            _ => None,
        }
    }

    /// The address pool holding `addr`.
    pub fn pool_of(&self, addr: u128) -> Option<usize> {
        self.pools
            .iter()
            .position(|(a, b)| *a <= addr && addr <= *b)
    }

    /// The pd-pool delegating `p/len`.
    pub fn pd_pool_of(&self, p: u128, len: u8) -> Option<usize> {
        self.pd_pools.iter().position(|pp| pp.contains(p, len))
    }

    /// Addresses in the pools (saturating).
    pub fn total_nas(&self) -> u128 {
        self.pools.iter().fold(0u128, |n, (a, b)| {
            n.saturating_add((b - a).saturating_add(1))
        })
    }

    pub fn total_pds(&self) -> u128 {
        self.pd_pools
            .iter()
            .fold(0u128, |n, p| n.saturating_add(p.count))
    }
}

/// The whole DHCPv6 configuration, compiled, with the server's DUID.
pub struct RuntimeV6 {
    pub cfg: Dhcp6Config,
    pub subnets: Vec<SubnetRt6>,
    /// The server DUID (the daemon generates and persists it; the core only sends it).
    pub server_duid: Vec<u8>,
}

impl RuntimeV6 {
    pub fn new(mut cfg: Dhcp6Config, server_duid: Vec<u8>) -> RuntimeV6 {
        let subnets = std::mem::take(&mut cfg.subnets)
            .into_iter()
            .map(SubnetRt6::new)
            .collect();
        RuntimeV6 {
            cfg,
            subnets,
            server_duid,
        }
    }

    pub fn subnet_index_by_id(&self, id: u32) -> Option<usize> {
        self.subnets.iter().position(|s| s.cfg.id == id)
    }

    pub fn subnet_containing(&self, addr: Ipv6Addr) -> Option<usize> {
        self.subnets.iter().position(|s| s.contains(addr))
    }

    /// Whether clients may send Request, Renew, Release and Decline straight to `dst`
    /// (RFC 8415 §18.4): the interface is configured with that unicast address
    /// (`"eth0/2001:db8::1"`), or a Server Unicast option is configured.
    pub fn unicast_allowed(&self, dst: Ipv6Addr, subnet: Option<usize>) -> bool {
        self.cfg.interfaces.iter().any(|i| i.address == Some(dst))
            || self
                .cfg
                .option_data
                .iter()
                .chain(
                    subnet
                        .into_iter()
                        .flat_map(|si| &self.subnets[si].cfg.option_data),
                )
                .any(|o| o.code == code::UNICAST && o.space == "dhcp6")
    }
}
