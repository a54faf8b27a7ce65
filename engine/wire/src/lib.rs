//! Zero-copy views and builders for the packets xdhcp handles: Ethernet
//! (+VLAN), IPv4, IPv6, UDP, DHCPv4 and DHCPv6, plus Kea's DHCPv4 and DHCPv6
//! option definitions.
//!
//! Parsers are "checked views": `new_checked` validates everything once, after
//! which accessors are infallible and cannot panic. Builders write into a
//! caller-provided buffer and never allocate, so a reply can be assembled in
//! place right behind its link/IP/UDP headers.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checksum;
pub mod defs;
pub mod defs6;
pub mod dhcpv4;
pub mod dhcpv6;
pub mod error;
pub mod ethernet;
pub mod frame;
pub mod ipv4;
pub mod ipv6;
pub mod udp;

mod bytes;
