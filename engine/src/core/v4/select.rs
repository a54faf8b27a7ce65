//! Subnet selection for a received message (Kea 1.4 order): relayed traffic by the relay
//! addresses a subnet lists, then by the subnet containing giaddr; direct traffic from a
//! client that already has an address by ciaddr; otherwise by the receiving interface.

use super::client::ClientView;
use super::runtime::RuntimeV4;
use super::{Context, Destination};
use std::net::Ipv4Addr;
use xdhcp_wire::dhcpv4::{Packet, code, relay_agent};

/// Index of the subnet that serves `pkt`, if any.
pub fn select_subnet(
    rt: &RuntimeV4,
    pkt: &Packet<'_>,
    client: &ClientView,
    ctx: &Context<'_>,
) -> Option<usize> {
    // RFC 3011 subnet selection option, then RFC 3527 link selection sub-option: a
    // relay or client names the link explicitly.
    if let Some(addr) = subnet_selection(pkt, client) {
        return rt.subnet_containing(addr);
    }
    let giaddr = pkt.giaddr();
    if !giaddr.is_unspecified() {
        if let Some(i) = rt
            .subnets
            .iter()
            .position(|s| s.cfg.relay_addresses.contains(&giaddr))
        {
            return Some(i);
        }
        return rt.subnet_containing(giaddr);
    }
    let ciaddr = pkt.ciaddr();
    // A unicast from a configured client (RFC 2131 RENEWING) names its network by ciaddr.
    if !ciaddr.is_unspecified()
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

/// The address of option 118 or of option 82 sub-option 5, when present and 4 bytes.
fn subnet_selection(pkt: &Packet<'_>, client: &ClientView) -> Option<Ipv4Addr> {
    let mut buf = [0u8; 4];
    if let Some(v) = pkt.options().get(code::SUBNET_SELECTION)
        && v.len() == 4
        && let Some(b) = v.copy_into(&mut buf)
    {
        return Some(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
    }
    let info = client.relay_info.as_ref()?;
    let link = relay_agent::sub_option(info.as_slice(), LINK_SELECTION)?;
    let b: [u8; 4] = link.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}

/// RFC 3527 link selection sub-option of the relay agent information option.
const LINK_SELECTION: u8 = 5;

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
