//! The trivial DHCPv4 responder's reply logic: stateless, allocation-free.
//!
//! It exists only to measure load generators' ceilings (how fast perfgen or perfdhcp can
//! drive a server that costs almost nothing), so it does the least a relay-facing server
//! must: every relayed DISCOVER gets an OFFER and every relayed REQUEST an ACK, at once,
//! for an address derived from the client's hardware address. No lease is kept, nothing
//! is checked against a pool, nothing is persisted.

use std::net::Ipv4Addr;
use xdhcp_wire::dhcpv4::{BOOTREPLY, BOOTREQUEST, Builder, MessageType, Packet, code};

/// Why a datagram got no reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// Not a well-formed DHCPv4 message.
    Malformed,
    /// `op` is not BOOTREQUEST.
    NotRequest,
    /// `giaddr` is 0: the responder answers relays only.
    NotRelayed,
    /// A message type it does not answer (RELEASE, INFORM, ...), or none.
    OtherType,
    /// The reply did not fit the output buffer (cannot happen with 576+ bytes).
    NoSpace,
}

/// Counters printed at exit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub received: u64,
    pub offers: u64,
    pub acks: u64,
    pub malformed: u64,
    pub not_request: u64,
    pub not_relayed: u64,
    pub other_type: u64,
    pub send_errors: u64,
}

impl Counters {
    pub fn ignored(&self) -> u64 {
        self.malformed + self.not_request + self.not_relayed + self.other_type
    }

    fn count(&mut self, r: &Result<Answer, Ignored>) {
        self.received += 1;
        match r {
            Ok(a) if a.kind == MessageType::Offer => self.offers += 1,
            Ok(_) => self.acks += 1,
            Err(Ignored::Malformed) => self.malformed += 1,
            Err(Ignored::NotRequest) => self.not_request += 1,
            Err(Ignored::NotRelayed) => self.not_relayed += 1,
            Err(Ignored::OtherType) | Err(Ignored::NoSpace) => self.other_type += 1,
        }
    }
}

impl std::fmt::Display for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "received={} offers={} acks={} ignored={} (malformed={} not_request={} \
             not_relayed={} other_type={}) send_errors={}",
            self.received,
            self.offers,
            self.acks,
            self.ignored(),
            self.malformed,
            self.not_request,
            self.not_relayed,
            self.other_type,
            self.send_errors
        )
    }
}

/// The broadcast bit of the DHCPv4 flags field.
const BROADCAST_FLAG: u16 = 0x8000;

/// A reply written to the output buffer, to be sent to the relay at `giaddr` (or, when
/// that is 0, broadcast on the link to port 68).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub len: usize,
    pub kind: MessageType,
    pub giaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
}

/// The reply logic and its configuration.
#[derive(Clone, Debug)]
pub struct ResponderV4 {
    /// Option 54 of every reply.
    pub server_id: Ipv4Addr,
    /// The network addresses are handed out of (host bits derived from chaddr).
    pub net: Ipv4Addr,
    pub prefix_len: u8,
    pub lease_time: u32,
    pub counters: Counters,
}

impl ResponderV4 {
    pub fn new(server_id: Ipv4Addr, net: Ipv4Addr, prefix_len: u8) -> ResponderV4 {
        assert!(
            (8..=30).contains(&prefix_len),
            "prefix length must be 8..=30"
        );
        ResponderV4 {
            server_id,
            net,
            prefix_len,
            lease_time: 3600,
            counters: Counters::default(),
        }
    }

    fn mask(&self) -> u32 {
        u32::MAX << (32 - u32::from(self.prefix_len))
    }

    /// The address for a hardware address: the last four bytes as a number, folded into
    /// the host part (never the network or broadcast address). Consecutive MACs, as
    /// perfdhcp and perfgen generate them, get consecutive, distinct addresses.
    pub fn address_for(&self, chaddr: &[u8]) -> Ipv4Addr {
        let mut v: u32 = 0;
        for &b in chaddr.iter().rev().take(4).rev() {
            v = (v << 8) | u32::from(b);
        }
        let hosts = !self.mask() - 1; // usable host numbers: 1 ..= hosts
        let host = v % hosts + 1;
        Ipv4Addr::from((u32::from(self.net) & self.mask()) | host)
    }

    /// Answers one datagram into `out`, counting the outcome.
    pub fn handle(&mut self, req: &[u8], out: &mut [u8]) -> Result<Answer, Ignored> {
        let r = self.reply(req, out);
        self.counters.count(&r);
        r
    }

    /// Answers one datagram into `out` without counting.
    pub fn reply(&self, req: &[u8], out: &mut [u8]) -> Result<Answer, Ignored> {
        let pkt = Packet::new_checked(req).map_err(|_| Ignored::Malformed)?;
        if pkt.op() != BOOTREQUEST {
            return Err(Ignored::NotRequest);
        }
        // A message from a client on the link (giaddr 0), as layer-2 load generators
        // send, is answered by broadcast: the responder never learns their addresses.
        let giaddr = pkt.giaddr();
        let opts = pkt.options();
        let kind = match opts.message_type() {
            Some(MessageType::Discover) => MessageType::Offer,
            Some(MessageType::Request) => MessageType::Ack,
            _ => return Err(Ignored::OtherType),
        };
        let chaddr = pkt.chaddr();
        let yiaddr = self.address_for(chaddr);
        let nospace = |_| Ignored::NoSpace;
        let mut b = Builder::new(out).map_err(nospace)?;
        b.op(BOOTREPLY);
        b.htype(pkt.htype());
        b.hlen(pkt.hlen());
        b.xid(pkt.xid());
        b.flags(if giaddr.is_unspecified() {
            pkt.flags() | BROADCAST_FLAG
        } else {
            pkt.flags()
        });
        if kind == MessageType::Ack {
            b.ciaddr(pkt.ciaddr());
        }
        b.yiaddr(yiaddr);
        b.giaddr(giaddr);
        b.chaddr(chaddr).map_err(nospace)?;
        b.message_type(kind).map_err(nospace)?;
        b.server_id(self.server_id).map_err(nospace)?;
        b.option_u32(code::DHCP_LEASE_TIME, self.lease_time)
            .map_err(nospace)?;
        b.option_ipv4(code::SUBNET_MASK, Ipv4Addr::from(self.mask()))
            .map_err(nospace)?;
        // RFC 3046: option 82 goes back to the relay unchanged.
        if let Some(ri) = opts.relay_agent_info() {
            let mut tmp = [0u8; 1024];
            if let Some(v) = ri.copy_into(&mut tmp) {
                b.option(code::DHCP_AGENT_OPTIONS, v).map_err(nospace)?;
            }
        }
        let len = b.finish().map_err(nospace)?;
        Ok(Answer {
            len,
            kind,
            giaddr,
            yiaddr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
    const RELAY: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

    fn request(t: MessageType, mac: [u8; 6], giaddr: Ipv4Addr, op82: Option<&[u8]>) -> Vec<u8> {
        let mut buf = vec![0u8; 600];
        let mut b = Builder::new(&mut buf).unwrap();
        b.op(BOOTREQUEST);
        b.htype(1);
        b.hlen(6);
        b.xid(0xdead_beef);
        b.flags(0x8000);
        b.giaddr(giaddr);
        b.chaddr(&mac).unwrap();
        b.message_type(t).unwrap();
        b.option(code::DHCP_PARAMETER_REQUEST_LIST, &[1, 3, 6])
            .unwrap();
        if let Some(v) = op82 {
            b.option(code::DHCP_AGENT_OPTIONS, v).unwrap();
        }
        let n = b.finish().unwrap();
        buf.truncate(n);
        buf
    }

    fn responder() -> ResponderV4 {
        ResponderV4::new(SERVER, Ipv4Addr::new(198, 18, 0, 0), 15)
    }

    #[test]
    fn discover_gets_offer_to_relay() {
        let mut r = responder();
        let mac = [2, 0, 0, 0, 0x12, 0x34];
        let op82 = [1, 4, b'e', b't', b'h', b'0', 2, 2, 0xab, 0xcd];
        let req = request(MessageType::Discover, mac, RELAY, Some(&op82));
        let mut out = [0u8; 1500];
        let a = r.handle(&req, &mut out).unwrap();
        assert_eq!(a.kind, MessageType::Offer);
        assert_eq!(a.giaddr, RELAY);
        let p = Packet::new_checked(&out[..a.len]).unwrap();
        assert_eq!(p.op(), BOOTREPLY);
        assert_eq!(p.xid(), 0xdead_beef);
        assert_eq!(p.flags(), 0x8000);
        assert_eq!(p.giaddr(), RELAY);
        assert_eq!(p.chaddr(), &mac);
        assert_eq!(p.yiaddr(), a.yiaddr);
        assert_eq!(p.yiaddr(), Ipv4Addr::new(198, 18, 0x12, 0x35));
        let o = p.options();
        assert_eq!(o.message_type(), Some(MessageType::Offer));
        assert_eq!(o.server_id(), Some(SERVER));
        assert_eq!(o.lease_time(), Some(3600));
        assert!(o.relay_agent_info().unwrap().eq_bytes(&op82));
        assert_eq!(r.counters.offers, 1);
        assert_eq!(r.counters.received, 1);
    }

    #[test]
    fn request_gets_ack_with_same_address() {
        let mut r = responder();
        let mac = [2, 0, 0, 1, 2, 3];
        let mut out = [0u8; 1500];
        let offer = r
            .handle(&request(MessageType::Discover, mac, RELAY, None), &mut out)
            .unwrap();
        let ack = r
            .handle(&request(MessageType::Request, mac, RELAY, None), &mut out)
            .unwrap();
        assert_eq!(ack.kind, MessageType::Ack);
        assert_eq!(ack.yiaddr, offer.yiaddr);
        let p = Packet::new_checked(&out[..ack.len]).unwrap();
        assert_eq!(p.options().message_type(), Some(MessageType::Ack));
        assert!(p.options().relay_agent_info().is_none());
        assert_eq!(r.counters.acks, 1);
        assert_eq!(r.counters.offers, 1);
    }

    #[test]
    fn answers_link_clients_by_broadcast_and_ignores_the_rest() {
        let mut r = responder();
        let mut out = [0u8; 1500];
        let mac = [2, 0, 0, 0, 0, 1];
        let direct = r
            .handle(
                &request(MessageType::Discover, mac, Ipv4Addr::UNSPECIFIED, None),
                &mut out,
            )
            .unwrap();
        assert_eq!(direct.giaddr, Ipv4Addr::UNSPECIFIED);
        assert!(Packet::new_checked(&out[..direct.len]).unwrap().broadcast());
        assert_eq!(
            r.handle(&request(MessageType::Release, mac, RELAY, None), &mut out),
            Err(Ignored::OtherType)
        );
        assert_eq!(r.handle(&[1, 2, 3], &mut out), Err(Ignored::Malformed));
        let mut reply = request(MessageType::Discover, mac, RELAY, None);
        reply[0] = BOOTREPLY;
        assert_eq!(r.handle(&reply, &mut out), Err(Ignored::NotRequest));
        assert_eq!(r.counters.received, 4);
        assert_eq!(r.counters.ignored(), 3);
        assert_eq!(r.counters.offers + r.counters.acks, 1);
    }

    #[test]
    fn addresses_are_distinct_for_consecutive_macs_and_in_the_network() {
        let r = responder();
        let mut seen = std::collections::HashSet::new();
        for i in 0u32..131_000 {
            let b = i.to_be_bytes();
            let a = r.address_for(&[2, 0, b[0], b[1], b[2], b[3]]);
            let v = u32::from(a);
            assert_eq!(v & 0xfffe_0000, u32::from(Ipv4Addr::new(198, 18, 0, 0)));
            assert_ne!(v & 0x1_ffff, 0, "network address handed out");
            assert_ne!(v & 0x1_ffff, 0x1_ffff, "broadcast address handed out");
            assert!(seen.insert(a), "duplicate for client {i}");
        }
    }
}
