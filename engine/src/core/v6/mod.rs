//! The sans-I/O DHCPv6 server core (RFC 8415, Kea 1.4 behaviour). Like the DHCPv4 core it
//! takes `(now, packet, context)` and returns a reply plus the lease changes to persist; it
//! never reads a clock, a socket or a file. Relayed messages are unwrapped, answered, and
//! wrapped back in Relay-reply messages nested exactly like the request.

mod client;
mod leases;
mod pools;
mod process;
mod reclaim;
mod reply;
mod runtime;
mod select;
mod shard;
mod stats;

pub use leases::Lease6Key;
pub use runtime::{PdPoolRt, RuntimeV6, SubnetRt6};
pub use shard::{LeaseChange6, ShardV6};
pub use stats::{Counter6, Stats6, SubnetCounters6};

use std::net::{Ipv6Addr, SocketAddrV6};

/// Where and how a message arrived.
#[derive(Clone, Copy, Debug)]
pub struct Context6<'a> {
    pub iface_index: u32,
    pub iface_name: &'a str,
    /// Every IPv6 address and prefix length on the receiving interface.
    pub iface_addrs: &'a [(Ipv6Addr, u8)],
    /// Source and destination address of the received datagram.
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
}

/// The kind of message a reply is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind6 {
    Advertise,
    Reply,
}

/// A reply written into the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply6 {
    pub len: usize,
    /// The client/server message type inside any Relay-reply wrapping.
    pub kind: ReplyKind6,
    /// The client (its source address, port 546) for a direct message; the relay that
    /// sent the outermost Relay-forward (its source address, port 547) for a relayed one.
    /// The scope id is the receiving interface's index (needed for link-local addresses).
    pub dest: SocketAddrV6,
}
