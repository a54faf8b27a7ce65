//! The lease types the log stores.

use crate::Ident;
use std::net::Ipv4Addr;

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

/// One entry of the lease log. Non-exhaustive: DHCPv6 kinds will be added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// Insert or replace the lease for `address`.
    Lease4(Lease4),
    /// The lease for `address` no longer exists. `at` (Unix seconds) orders the delete
    /// against records of other shards' logs for the same address (0 = unknown, from a
    /// log written before the field existed).
    Delete4 { address: Ipv4Addr, at: u64 },
}
