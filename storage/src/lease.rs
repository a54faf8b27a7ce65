//! The lease types the log stores.

use crate::Ident;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One IPv4 lease, field for field what Kea's memfile keeps, so CSV
/// import/export can map columns 1:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease4 {
    pub address: Ipv4Addr,
    /// May be empty (declined leases have no owner).
    pub hwaddr: Ident,
    /// ARP hardware type; 1 = Ethernet.
    pub htype: u8,
    pub client_id: Option<Ident>,
    pub subnet_id: u32,
    pub valid_lifetime: u32,
    /// Client last transaction time, Unix seconds.
    pub cltt: u64,
    pub fqdn_fwd: bool,
    pub fqdn_rev: bool,
    pub hostname: String,
    pub state: LeaseState,
    /// Compact JSON text, stored verbatim.
    pub user_context: Option<String>,
}

impl Lease4 {
    /// Expiry in Unix seconds (`cltt + valid_lifetime`). Saturates so an
    /// "infinite" lifetime can never wrap around into the past.
    pub fn expire(&self) -> u64 {
        self.cltt.saturating_add(u64::from(self.valid_lifetime))
    }
}

/// Lease state; the numeric codes are Kea's, so they are also the on-disk and
/// CSV values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum LeaseState {
    #[default]
    Default = 0,
    Declined = 1,
    ExpiredReclaimed = 2,
    Released = 3,
}

impl LeaseState {
    /// The Kea / on-disk code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Inverse of [`code`](Self::code); `None` for codes this build does not know.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Default),
            1 => Some(Self::Declined),
            2 => Some(Self::ExpiredReclaimed),
            3 => Some(Self::Released),
            _ => None,
        }
    }
}

/// One entry of the lease log. Non-exhaustive: match with a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// Insert or replace the lease for `address`.
    Lease4(Lease4),
    /// The lease for `address` no longer exists. `at` (Unix seconds) orders the delete
    /// against records of other shards' logs for the same address (0 = unknown, from a
    /// log written before the field existed).
    Delete4 { address: Ipv4Addr, at: u64 },
    /// Insert or replace the DHCPv6 lease for `address` (format version 2).
    Lease6(Lease6),
    /// The DHCPv6 lease for `address` no longer exists; `at` as for `Delete4`.
    /// `prefix_len` and `lease_type` describe what was deleted; replay keys by address.
    Delete6 {
        address: Ipv6Addr,
        prefix_len: u8,
        lease_type: Lease6Type,
        at: u64,
    },
}

/// DHCPv6 lease type; the codes are Kea's (`lease_type` CSV column) and the on-disk ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Lease6Type {
    /// IA_NA: a non-temporary address.
    #[default]
    Na = 0,
    /// IA_TA: a temporary address.
    Ta = 1,
    /// IA_PD: a delegated prefix.
    Pd = 2,
}

impl Lease6Type {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Na),
            1 => Some(Self::Ta),
            2 => Some(Self::Pd),
            _ => None,
        }
    }
}

/// One DHCPv6 lease (address or delegated prefix), field for field what Kea's memfile
/// keeps for v6, so CSV import/export maps columns 1:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease6 {
    /// The address, or for IA_PD the prefix address. Leases are keyed by it (as Kea's
    /// memfile does), whatever the type.
    pub address: Ipv6Addr,
    /// Prefix length for IA_PD; 128 for addresses written by the server (a Kea 1.4
    /// file may carry another value for non-PD leases; it is kept as read there).
    pub prefix_len: u8,
    pub lease_type: Lease6Type,
    /// Client DUID; declined leases carry Kea's placeholder DUID `00`.
    pub duid: Ident,
    pub iaid: u32,
    pub subnet_id: u32,
    pub preferred_lifetime: u32,
    pub valid_lifetime: u32,
    /// Client last transaction time, Unix seconds.
    pub cltt: u64,
    pub fqdn_fwd: bool,
    pub fqdn_rev: bool,
    pub hostname: String,
    /// Client hardware address when known.
    pub hwaddr: Option<Ident>,
    /// Hardware type of `hwaddr` (1 = Ethernet); 0 when there is none.
    pub htype: u16,
    /// Kea's `hwaddr_source` bit flag (where the MAC came from; 0 unknown).
    pub hwaddr_source: u32,
    pub state: LeaseState,
    /// Compact JSON text, stored verbatim.
    pub user_context: Option<String>,
}

impl Lease6 {
    /// Expiry in Unix seconds (`cltt + valid_lifetime`), saturating.
    pub fn expire(&self) -> u64 {
        self.cltt.saturating_add(u64::from(self.valid_lifetime))
    }
}

/// A record to append, borrowing its lease (the shard's table), so persisting a batch
/// copies nothing but the encoded bytes. Non-exhaustive: match with a `_` arm.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum RecordRef<'a> {
    Lease4(&'a Lease4),
    Delete4 {
        address: Ipv4Addr,
        at: u64,
    },
    Lease6(&'a Lease6),
    Delete6 {
        address: Ipv6Addr,
        prefix_len: u8,
        lease_type: Lease6Type,
        at: u64,
    },
}

impl<'a> From<&'a Record> for RecordRef<'a> {
    fn from(r: &'a Record) -> RecordRef<'a> {
        match r {
            Record::Lease4(l) => RecordRef::Lease4(l),
            Record::Delete4 { address, at } => RecordRef::Delete4 {
                address: *address,
                at: *at,
            },
            Record::Lease6(l) => RecordRef::Lease6(l),
            Record::Delete6 {
                address,
                prefix_len,
                lease_type,
                at,
            } => RecordRef::Delete6 {
                address: *address,
                prefix_len: *prefix_len,
                lease_type: *lease_type,
                at: *at,
            },
        }
    }
}
