//! The sans-I/O DHCPv4 server core. It takes `(now, packet, context)` and returns a reply
//! plus the lease changes to persist; it never reads a clock, a socket or a file, so the
//! same code runs under every I/O backend and in deterministic in-memory tests.

mod client;
mod leases;
mod partition;
mod pools;
mod process;
mod reclaim;
mod reply;
mod runtime;
mod select;
mod shard;
mod stats;

pub use partition::{Partition, owner_of_identity, owner_of_lease, owner_of_packet};
pub use reply::ReplyKind;
pub use runtime::{RuntimeV4, SubnetRt};
pub use shard::{LeaseChange, ShardNote, ShardV4};
pub use stats::{Counter, Stats4, SubnetCounters};

use std::net::Ipv4Addr;

/// Where and how a message arrived.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub iface_index: u32,
    pub iface_name: &'a str,
    /// The server identifier for this interface (its configured or first IPv4 address);
    /// `None` when the interface has no IPv4 address, and then nothing can be answered.
    pub server_addr: Option<Ipv4Addr>,
    /// Every IPv4 address and prefix length on the receiving interface.
    pub iface_addrs: &'a [(Ipv4Addr, u8)],
    /// Source and destination address of the received datagram.
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
}

/// Where a reply must be sent (RFC 2131 section 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// To the relay agent at giaddr, server port 67.
    Relay(Ipv4Addr),
    /// To a configured client at ciaddr, client port 68.
    Unicast(Ipv4Addr),
    /// To 255.255.255.255:68 on the receiving link.
    Broadcast,
    /// To a client without an address: a frame to its hardware address carrying yiaddr.
    Layer2 { mac: [u8; 6], ip: Ipv4Addr },
}

/// A reply written into the caller's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    pub len: usize,
    pub kind: ReplyKind,
    pub dest: Destination,
}
