//! Subnet selection for a received message (Kea 1.4's `selectSubnet6` order).
//! Relayed: the interface-id of the relay closest to the client against the subnets'
//! `interface-id`; then the link-address of the innermost relay that sent a global one
//! (against the subnets' `relay` addresses, then their prefixes); then the address of the
//! relay that sent the message against the `relay` addresses.
//! Direct: the receiving interface (`interface`), the client's source address, or a
//! subnet holding one of the interface's addresses.

use super::Context6;
use super::runtime::RuntimeV6;
use std::net::Ipv6Addr;
use xdhcp_wire::dhcpv6::RelayChain;

pub fn select_subnet(rt: &RuntimeV6, chain: &RelayChain<'_>, ctx: &Context6<'_>) -> Option<usize> {
    if !chain.is_empty() {
        if let Some(id) = chain.iter().rev().find_map(|l| l.interface_id)
            && let Some(i) = rt
                .subnets
                .iter()
                .position(|s| s.cfg.interface_id.as_deref() == Some(id))
        {
            return Some(i);
        }
        if let Some(link) = chain
            .iter()
            .rev()
            .map(|l| l.link)
            .find(|a| !a.is_unspecified() && !is_link_local(*a))
        {
            if let Some(i) = by_relay_address(rt, link) {
                return Some(i);
            }
            return rt.subnet_containing(link);
        }
        return by_relay_address(rt, ctx.src);
    }
    if let Some(i) = rt
        .subnets
        .iter()
        .position(|s| s.cfg.interface.as_deref() == Some(ctx.iface_name))
    {
        return Some(i);
    }
    if !is_link_local(ctx.src)
        && !ctx.src.is_unspecified()
        && let Some(i) = rt.subnet_containing(ctx.src)
    {
        return Some(i);
    }
    ctx.iface_addrs
        .iter()
        .filter(|(a, _)| !is_link_local(*a))
        .find_map(|(a, _)| {
            rt.subnets
                .iter()
                .position(|s| s.contains(*a) && s.cfg.interface.is_none())
        })
}

fn by_relay_address(rt: &RuntimeV6, addr: Ipv6Addr) -> Option<usize> {
    rt.subnets
        .iter()
        .position(|s| s.cfg.relay_addresses.contains(&addr))
}

pub fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}
