//! Subnet selection for a received message (Kea 1.4 order): relayed traffic by the relay
//! addresses a subnet lists, then by the subnet containing giaddr; direct traffic from a
//! client that already has an address by ciaddr; otherwise by the receiving interface.

use super::runtime::RuntimeV4;
use super::{Context, Destination};
use std::net::Ipv4Addr;
use xdhcp_wire::dhcpv4::Packet;

/// Index of the subnet that serves `pkt`, if any.
pub fn select_subnet(rt: &RuntimeV4, pkt: &Packet<'_>, ctx: &Context<'_>) -> Option<usize> {
    let giaddr = pkt.giaddr();
    if !giaddr.is_unspecified() {
        if let Some(i) = rt
            .subnets
            .iter()
            .position(|s| s.cfg.relay_addresses.contains(&giaddr))
        {
            return Some(i);
        }
        return rt
            .subnets
            .iter()
            .position(|s| s.contains(giaddr) && s.cfg.interface.is_none());
    }
    let ciaddr = pkt.ciaddr();
    // A unicast from a configured client (RFC 2131 RENEWING) names its network by ciaddr.
    if !ciaddr.is_unspecified()
        && ctx.src == ciaddr
        && !is_broadcast(ctx.dst)
        && let Some(i) = rt.subnet_containing(ciaddr)
    {
        return Some(i);
    }
    if let Some(i) = rt
        .subnets
        .iter()
        .position(|s| s.cfg.interface.as_deref() == Some(ctx.iface_name))
    {
        return Some(i);
    }
    ctx.iface_addrs.iter().find_map(|(addr, _)| {
        rt.subnets
            .iter()
            .position(|s| s.contains(*addr) && s.cfg.interface.is_none())
    })
}

pub fn is_broadcast(dst: Ipv4Addr) -> bool {
    dst == Ipv4Addr::BROADCAST
}

/// Where a reply goes, per RFC 2131 section 4.1.
pub fn reply_destination(pkt: &Packet<'_>, nak: bool, yiaddr: Ipv4Addr) -> Destination {
    let giaddr = pkt.giaddr();
    if !giaddr.is_unspecified() {
        return Destination::Relay(giaddr);
    }
    // "In all cases, when 'giaddr' is zero, the server broadcasts any DHCPNAK messages."
    if nak {
        return Destination::Broadcast;
    }
    let ciaddr = pkt.ciaddr();
    if !ciaddr.is_unspecified() {
        return Destination::Unicast(ciaddr);
    }
    if pkt.broadcast() || yiaddr.is_unspecified() {
        return Destination::Broadcast;
    }
    let mut mac = [0u8; 6];
    let ch = pkt.chaddr();
    if pkt.htype() != 1 || ch.len() != 6 {
        return Destination::Broadcast;
    }
    mac.copy_from_slice(ch);
    Destination::Layer2 { mac, ip: yiaddr }
}
