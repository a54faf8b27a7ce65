//! Writes OFFER, ACK and NAK messages into the caller's buffer: the header fields RFC 2131
//! table 3 prescribes, then the options, chosen from reservation > pool > subnet > global
//! (Kea's precedence) and sent when basic, requested, or marked `always-send`.

use super::client::ClientView;
use super::runtime::RuntimeV4;
use super::{Destination, Reply};
use std::net::Ipv4Addr;
use xdhcp_config::OptionData;
use xdhcp_wire::dhcpv4::{Builder, MessageType, Packet, code};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind {
    Offer,
    Ack,
    Nak,
}

/// What to put in a reply.
pub struct ReplySpec {
    pub kind: ReplyKind,
    pub subnet: Option<usize>,
    pub reservation: Option<usize>,
    pub yiaddr: Ipv4Addr,
    pub server_id: Ipv4Addr,
    /// `None` for NAK and for the ACK to an INFORM.
    pub lease_time: Option<u32>,
}

/// Options Kea sends whenever they are configured, requested or not.
const BASIC: [u8; 3] = [code::ROUTERS, code::DOMAIN_NAME_SERVERS, code::DOMAIN_NAME];

/// Options the server writes itself; configured values for them are ignored.
const SERVER_OWNED: [u8; 8] = [
    code::DHCP_MESSAGE_TYPE,
    code::DHCP_SERVER_IDENTIFIER,
    code::DHCP_LEASE_TIME,
    code::DHCP_RENEWAL_TIME,
    code::DHCP_REBINDING_TIME,
    code::DHCP_CLIENT_IDENTIFIER,
    code::DHCP_AGENT_OPTIONS,
    code::DHCP_OPTION_OVERLOAD,
];

/// Builds the reply for `dest`; `None` only if `out` is too small (never for 1500 bytes).
pub fn build_reply(
    rt: &RuntimeV4,
    req: &Packet<'_>,
    client: &ClientView,
    spec: &ReplySpec,
    dest: Destination,
    out: &mut [u8],
) -> Option<Reply> {
    let len = write_reply(rt, req, client, spec, out)?;
    Some(Reply {
        len,
        kind: spec.kind,
        dest,
    })
}

fn write_reply(
    rt: &RuntimeV4,
    req: &Packet<'_>,
    client: &ClientView,
    spec: &ReplySpec,
    out: &mut [u8],
) -> Option<usize> {
    let mut b = Builder::new(out).ok()?;
    let relayed = !req.giaddr().is_unspecified();
    b.op(2);
    b.htype(req.htype());
    b.hlen(req.hlen());
    b.xid(req.xid());
    let mut flags = req.flags();
    // RFC 2131 4.3.2: a NAK through a relay carries the broadcast bit, so the relay
    // broadcasts it; likewise the ACK to a relayed INFORM without ciaddr.
    if relayed
        && (spec.kind == ReplyKind::Nak
            || (spec.lease_time.is_none() && req.ciaddr().is_unspecified()))
    {
        flags |= BROADCAST_FLAG;
    }
    b.flags(flags);
    b.giaddr(req.giaddr());
    b.chaddr(req.chaddr()).ok()?;
    // RFC 2131 section 2: without option 57 a client need not take more than 576 bytes.
    match client.max_message_size {
        Some(max) => b.set_max_message_size(max),
        None => b.set_max_len(MIN_MAX_LEN),
    }
    let msg_type = match spec.kind {
        ReplyKind::Offer => MessageType::Offer,
        ReplyKind::Ack => MessageType::Ack,
        ReplyKind::Nak => MessageType::Nak,
    };
    b.message_type(msg_type).ok()?;
    b.server_id(spec.server_id).ok()?;
    if rt.cfg.echo_client_id
        && let Some(cid) = client.client_id()
    {
        b.option(code::DHCP_CLIENT_IDENTIFIER, cid).ok()?;
    }
    // RFC 3046 section 2.2: the server echoes the relay agent information option in
    // every reply (also when a snooping switch inserted it with giaddr 0).
    if let Some(info) = client.relay_info.as_ref().filter(|i| !i.is_empty()) {
        b.option(code::DHCP_AGENT_OPTIONS, info.as_slice()).ok()?;
    }
    if spec.kind != ReplyKind::Nak {
        // Table 3: ciaddr is 0 in an OFFER, the request's ciaddr in an ACK.
        if spec.kind == ReplyKind::Ack {
            b.ciaddr(req.ciaddr());
        }
        b.yiaddr(spec.yiaddr);
        write_config_fields(rt, &mut b, spec).ok()?;
        if let Some(valid) = spec.lease_time {
            b.option_u32(code::DHCP_LEASE_TIME, valid).ok()?;
            if let Some(si) = spec.subnet {
                let s = &rt.subnets[si].cfg;
                if let Some(t1) = s.renew_timer.filter(|t| *t < valid) {
                    b.option_u32(code::DHCP_RENEWAL_TIME, t1).ok()?;
                }
                if let Some(t2) = s.rebind_timer.filter(|t| *t < valid) {
                    b.option_u32(code::DHCP_REBINDING_TIME, t2).ok()?;
                }
            }
        }
        write_options(rt, req, spec, &mut b);
    }
    b.finish().ok()
}

/// The smallest reply size limit a client can ask for, and the default (RFC 2131 section 2).
const MIN_MAX_LEN: usize = 576;
const BROADCAST_FLAG: u16 = 0x8000;

/// Adds one configured option; one that does not fit the client's size limit is left
/// out (and logged) rather than losing the whole reply.
fn add_optional(b: &mut Builder<'_>, code: u8, parts: &[&[u8]]) {
    if let Err(e) = b.option_parts(code, parts) {
        log::debug!("option {code} left out of a reply: {e}");
    }
}

/// siaddr, sname and file from the reservation, subnet (which inherits the globals).
fn write_config_fields(
    rt: &RuntimeV4,
    b: &mut Builder<'_>,
    spec: &ReplySpec,
) -> Result<(), xdhcp_wire::dhcpv4::BuildError> {
    let Some(si) = spec.subnet else {
        b.siaddr(rt.cfg.next_server);
        return Ok(());
    };
    let s = &rt.subnets[si];
    let r = spec.reservation.map(|r| s.reservation(r));
    let next_server = r.and_then(|r| r.next_server).unwrap_or(s.cfg.next_server);
    b.siaddr(next_server);
    let sname = r
        .and_then(|r| r.server_hostname.as_deref())
        .unwrap_or(&s.cfg.server_hostname);
    if !sname.is_empty() {
        b.sname(sname.as_bytes())?;
    }
    let file = r
        .and_then(|r| r.boot_file_name.as_deref())
        .unwrap_or(&s.cfg.boot_file_name);
    if !file.is_empty() {
        b.file(file.as_bytes())?;
    }
    Ok(())
}

/// The configured options this reply carries.
fn write_options(rt: &RuntimeV4, req: &Packet<'_>, spec: &ReplySpec, b: &mut Builder<'_>) {
    let prl = req.options().parameter_request_list();
    let requested = |c: u8| prl.is_some_and(|p| p.contains(c));
    let subnet = spec.subnet.map(|si| &rt.subnets[si]);
    let reservation = match (subnet, spec.reservation) {
        (Some(s), Some(r)) => Some(s.reservation(r)),
        _ => None,
    };
    let pool = subnet.and_then(|s| {
        s.cfg
            .pools
            .iter()
            .find(|p| spec.yiaddr >= p.start && spec.yiaddr <= p.end)
    });
    let layers: [&[OptionData]; 4] = [
        reservation.map_or(&[][..], |r| &r.option_data[..]),
        pool.map_or(&[][..], |p| &p.option_data[..]),
        subnet.map_or(&[][..], |s| &s.cfg.option_data[..]),
        &rt.cfg.option_data[..],
    ];
    let mut done = [false; 256];
    for c in SERVER_OWNED {
        done[usize::from(c)] = true;
    }
    // Subnet mask: always sent for a lease, from the subnet's prefix unless configured.
    if let Some(s) = subnet
        && !layers.iter().any(|l| find(l, code::SUBNET_MASK).is_some())
    {
        add_optional(b, code::SUBNET_MASK, &[&s.netmask().octets()]);
        done[usize::from(code::SUBNET_MASK)] = true;
    }
    if let Some(name) = reservation.and_then(|r| r.hostname.as_deref())
        && !name.is_empty()
    {
        add_optional(b, code::HOST_NAME, &[name.as_bytes()]);
        done[usize::from(code::HOST_NAME)] = true;
    }
    for layer in layers {
        for opt in layer.iter().filter(|o| o.space == "dhcp4") {
            let c = usize::from(opt.code);
            if done[c] {
                continue;
            }
            // The first layer that defines a code decides for it.
            let chosen = layers.iter().find_map(|l| find(l, opt.code)).unwrap_or(opt);
            done[c] = true;
            if chosen.always_send
                || requested(opt.code)
                || BASIC.contains(&opt.code)
                || opt.code == code::SUBNET_MASK
            {
                if opt.code == code::VIVSO_SUBOPTIONS {
                    write_vivso(&layers, chosen, b);
                } else {
                    add_optional(b, chosen.code, &[&chosen.data]);
                }
            }
        }
    }
}

fn find(layer: &[OptionData], c: u8) -> Option<&OptionData> {
    layer.iter().find(|o| o.code == c && o.space == "dhcp4")
}

/// Option 125 (RFC 3925): the enterprise number from `vivso-suboptions`, then the
/// options configured in that enterprise's space (`vendor-<number>`).
fn write_vivso(layers: &[&[OptionData]; 4], vivso: &OptionData, b: &mut Builder<'_>) {
    let Some(enterprise) = vivso.data.get(..4) else {
        return;
    };
    let enterprise_id =
        u32::from_be_bytes([enterprise[0], enterprise[1], enterprise[2], enterprise[3]]);
    let in_space = |o: &OptionData| {
        o.space
            .strip_prefix("vendor-")
            .and_then(|n| n.parse::<u32>().ok())
            == Some(enterprise_id)
    };
    let mut subs = [0u8; 255];
    let mut n = 0;
    let mut seen = [false; 256];
    for layer in layers {
        for o in layer.iter().filter(|o| in_space(o)) {
            if seen[usize::from(o.code)] || n + 2 + o.data.len() > subs.len() || o.data.len() > 255
            {
                continue;
            }
            seen[usize::from(o.code)] = true;
            subs[n] = o.code;
            subs[n + 1] = o.data.len() as u8;
            subs[n + 2..n + 2 + o.data.len()].copy_from_slice(&o.data);
            n += 2 + o.data.len();
        }
    }
    if n + 5 > 255 {
        return;
    }
    add_optional(
        b,
        code::VIVSO_SUBOPTIONS,
        &[enterprise, &[n as u8], &subs[..n]],
    );
}
