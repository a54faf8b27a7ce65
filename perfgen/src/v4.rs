//! DHCPv4 DORA: packet templates built once with the wire builder and
//! patched in place (xid, chaddr, server id, requested address, ciaddr).

use std::fmt::Write;
use std::net::Ipv4Addr;

use xdhcp_wire::dhcpv4::{
    BOOTREPLY, BOOTREQUEST, Builder, CHADDR, CIADDR, FLAG_BROADCAST, MessageType, OPTIONS, Packet,
    XID, code,
};

use crate::core::{Proto, Reply, ReplyKind};

/// What a v4 client remembers of its lease.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lease4 {
    /// Offered / acknowledged address.
    pub addr: [u8; 4],
    /// Server identifier.
    pub server: [u8; 4],
}

/// Settings of the v4 flavour.
#[derive(Debug, Clone)]
pub struct V4Options {
    /// Base MAC; client i uses base + i.
    pub base_mac: [u8; 6],
    /// Relay address (giaddr), None in layer-2 mode.
    pub giaddr: Option<Ipv4Addr>,
    /// Set the broadcast flag (layer-2 mode).
    pub broadcast: bool,
    /// Number of clients (for reply validation).
    pub clients: u32,
}

struct Template {
    bytes: Vec<u8>,
    server_at: Option<usize>,
    reqip_at: Option<usize>,
}

/// DHCPv4 protocol layer.
pub struct V4 {
    base: u64,
    clients: u32,
    discover: Template,
    request: Template,
    renew: Template,
    release: Template,
}

const PRL: [u8; 6] = [
    code::SUBNET_MASK,
    code::ROUTERS,
    code::DOMAIN_NAME_SERVERS,
    code::DOMAIN_NAME,
    code::DHCP_LEASE_TIME,
    code::DHCP_SERVER_IDENTIFIER,
];

fn mac_u64(m: &[u8]) -> u64 {
    m.iter().take(6).fold(0u64, |a, &b| a << 8 | u64::from(b))
}

/// The MAC `base + i` (48-bit wrap).
pub fn mac_add(base: &[u8; 6], i: u64) -> [u8; 6] {
    let v = (mac_u64(base).wrapping_add(i)) & 0xffff_ffff_ffff;
    let b = v.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// Offset of the data of option `code` in a template we built (no overload).
fn opt_data_at(msg: &[u8], want: u8) -> Option<usize> {
    let mut i = OPTIONS;
    while i + 1 < msg.len() {
        let c = msg[i];
        if c == code::END {
            return None;
        }
        if c == code::PAD {
            i += 1;
            continue;
        }
        if c == want {
            return Some(i + 2);
        }
        i += 2 + usize::from(msg[i + 1]);
    }
    None
}

fn build(o: &V4Options, t: MessageType, server: bool, reqip: bool) -> Template {
    let mut buf = vec![0u8; 576];
    let mut b = Builder::new(&mut buf).expect("576-byte buffer");
    b.op(BOOTREQUEST);
    b.htype(1);
    b.hlen(6);
    if let Some(g) = o.giaddr {
        b.hops(1);
        b.giaddr(g);
    }
    if o.broadcast {
        b.flags(FLAG_BROADCAST);
    }
    b.chaddr(&o.base_mac).expect("6 bytes");
    b.message_type(t).expect("room");
    if server {
        b.server_id(Ipv4Addr::UNSPECIFIED).expect("room");
    }
    if reqip {
        b.option_ipv4(code::DHCP_REQUESTED_ADDRESS, Ipv4Addr::UNSPECIFIED)
            .expect("room");
    }
    if t != MessageType::Release {
        b.option(code::DHCP_PARAMETER_REQUEST_LIST, &PRL)
            .expect("room");
    }
    let n = b.finish().expect("fits");
    buf.truncate(n);
    let server_at = server.then(|| opt_data_at(&buf, code::DHCP_SERVER_IDENTIFIER).expect("54"));
    let reqip_at = reqip.then(|| opt_data_at(&buf, code::DHCP_REQUESTED_ADDRESS).expect("50"));
    Template {
        bytes: buf,
        server_at,
        reqip_at,
    }
}

impl V4 {
    /// Builds the templates.
    pub fn new(o: &V4Options) -> V4 {
        V4 {
            base: mac_u64(&o.base_mac),
            clients: o.clients.max(1),
            discover: build(o, MessageType::Discover, false, false),
            request: build(o, MessageType::Request, true, true),
            renew: build(o, MessageType::Request, false, false),
            release: build(o, MessageType::Release, true, false),
        }
    }

    #[inline]
    fn write(&self, t: &Template, buf: &mut [u8], xid: u32, client: u32) -> usize {
        let n = t.bytes.len();
        buf[..n].copy_from_slice(&t.bytes);
        buf[XID..XID + 4].copy_from_slice(&xid.to_be_bytes());
        let mac = self.mac(client);
        buf[CHADDR..CHADDR + 6].copy_from_slice(&mac);
        n
    }
}

impl Proto for V4 {
    type Lease = Lease4;
    const XID_BITS: u32 = 32;
    const SLOT_BITS: u32 = 20;

    fn phase_names(&self) -> [&'static str; 4] {
        [
            "DISCOVER-OFFER",
            "REQUEST-ACK",
            "REQUEST-ACK (renewal)",
            "RELEASE",
        ]
    }

    fn first(&self, buf: &mut [u8], xid: u32, client: u32) -> usize {
        self.write(&self.discover, buf, xid, client)
    }

    fn second(&self, buf: &mut [u8], xid: u32, client: u32, l: &Lease4) -> usize {
        let t = &self.request;
        let n = self.write(t, buf, xid, client);
        if let Some(at) = t.server_at {
            buf[at..at + 4].copy_from_slice(&l.server);
        }
        if let Some(at) = t.reqip_at {
            buf[at..at + 4].copy_from_slice(&l.addr);
        }
        n
    }

    fn renew(&self, buf: &mut [u8], xid: u32, client: u32, l: &Lease4) -> usize {
        let n = self.write(&self.renew, buf, xid, client);
        buf[CIADDR..CIADDR + 4].copy_from_slice(&l.addr);
        n
    }

    fn release(&self, buf: &mut [u8], xid: u32, client: u32, l: &Lease4) -> usize {
        let t = &self.release;
        let n = self.write(t, buf, xid, client);
        buf[CIADDR..CIADDR + 4].copy_from_slice(&l.addr);
        if let Some(at) = t.server_at {
            buf[at..at + 4].copy_from_slice(&l.server);
        }
        n
    }

    fn release_answered(&self) -> bool {
        false
    }

    fn parse(&self, payload: &[u8]) -> Option<Reply<Lease4>> {
        let p = Packet::new_checked(payload).ok()?;
        if p.op() != BOOTREPLY {
            return None;
        }
        let opts = p.options();
        let (kind, ok) = match opts.message_type()? {
            MessageType::Offer => (ReplyKind::First, true),
            MessageType::Ack => (ReplyKind::Second, true),
            MessageType::Nak => (ReplyKind::Second, false),
            _ => return None,
        };
        let ch = p.chaddr();
        let client = if p.htype() == 1 && ch.len() == 6 {
            let idx = mac_u64(ch).wrapping_sub(self.base) & 0xffff_ffff_ffff;
            (idx < u64::from(self.clients)).then_some(idx as u32)
        } else {
            None
        };
        Some(Reply {
            xid: p.xid(),
            kind,
            ok,
            client,
            lease: Lease4 {
                addr: p.yiaddr().octets(),
                server: opts.server_id().map(|a| a.octets()).unwrap_or_default(),
            },
        })
    }

    fn mac(&self, client: u32) -> [u8; 6] {
        let v = self.base.wrapping_add(u64::from(client)) & 0xffff_ffff_ffff;
        let b = v.to_be_bytes();
        [b[2], b[3], b[4], b[5], b[6], b[7]]
    }

    fn ack_line(&self, out: &mut String, client: u32, l: &Lease4) {
        let m = self.mac(client);
        let _ = write!(
            out,
            "{},{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            Ipv4Addr::from(l.addr),
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5]
        );
    }
}

/// A toy DHCPv4 server for tests and `--self-test`: answers DISCOVER with
/// an OFFER of `pool_base + client index` and REQUEST with ACK (NAK when the
/// requested address or server id is wrong). Returns the reply length.
pub fn toy_server(
    req: &[u8],
    out: &mut [u8],
    pool_base: Ipv4Addr,
    server: Ipv4Addr,
) -> Option<usize> {
    let p = Packet::new_checked(req).ok()?;
    let opts = p.options();
    let mt = opts.message_type()?;
    let ch = p.chaddr();
    let idx = (ch.last().copied().unwrap_or(0) as u32)
        | (u32::from(ch.get(4).copied().unwrap_or(0)) << 8);
    let addr = Ipv4Addr::from(u32::from(pool_base).wrapping_add(idx));
    let (reply, yi) = match mt {
        MessageType::Discover => (MessageType::Offer, addr),
        MessageType::Request => {
            let want = opts.requested_ip().unwrap_or(p.ciaddr());
            let sid_ok = opts.server_id().is_none_or(|s| s == server);
            if want == addr && sid_ok {
                (MessageType::Ack, addr)
            } else {
                (MessageType::Nak, Ipv4Addr::UNSPECIFIED)
            }
        }
        _ => return None,
    };
    let mut b = Builder::new(out).ok()?;
    b.op(BOOTREPLY);
    b.htype(p.htype());
    b.hlen(p.hlen());
    b.xid(p.xid());
    b.flags(p.flags());
    b.giaddr(p.giaddr());
    b.yiaddr(yi);
    b.chaddr(ch).ok()?;
    b.message_type(reply).ok()?;
    b.server_id(server).ok()?;
    if reply != MessageType::Nak {
        b.option_u32(code::DHCP_LEASE_TIME, 3600).ok()?;
    }
    b.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto() -> V4 {
        V4::new(&V4Options {
            base_mac: [0, 0x0c, 1, 2, 3, 4],
            giaddr: Some(Ipv4Addr::new(198, 18, 0, 1)),
            broadcast: false,
            clients: 1000,
        })
    }

    #[test]
    fn templates_parse_back() {
        let v = proto();
        let mut buf = [0u8; 2048];
        let n = v.first(&mut buf, 0xdead_beef, 7);
        let p = Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(p.xid(), 0xdead_beef);
        assert_eq!(p.chaddr(), &[0, 0x0c, 1, 2, 3, 11]);
        assert_eq!(p.giaddr(), Ipv4Addr::new(198, 18, 0, 1));
        assert_eq!(p.hops(), 1);
        assert_eq!(p.options().message_type(), Some(MessageType::Discover));
        let l = Lease4 {
            addr: [198, 18, 1, 7],
            server: [192, 0, 2, 1],
        };
        let n = v.second(&mut buf, 5, 7, &l);
        let p = Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(p.options().message_type(), Some(MessageType::Request));
        assert_eq!(
            p.options().requested_ip(),
            Some(Ipv4Addr::new(198, 18, 1, 7))
        );
        assert_eq!(p.options().server_id(), Some(Ipv4Addr::new(192, 0, 2, 1)));
        let n = v.renew(&mut buf, 6, 7, &l);
        let p = Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(p.ciaddr(), Ipv4Addr::new(198, 18, 1, 7));
        assert_eq!(p.options().server_id(), None);
        let n = v.release(&mut buf, 6, 7, &l);
        let p = Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(p.options().message_type(), Some(MessageType::Release));
    }

    #[test]
    fn parses_replies_and_client_index() {
        let v = proto();
        let mut req = [0u8; 2048];
        let mut rep = [0u8; 2048];
        let n = v.first(&mut req, 42, 300);
        let m = toy_server(
            &req[..n],
            &mut rep,
            Ipv4Addr::new(198, 18, 1, 0),
            Ipv4Addr::new(192, 0, 2, 1),
        )
        .unwrap();
        let r = v.parse(&rep[..m]).unwrap();
        assert_eq!(r.xid, 42);
        assert_eq!(r.kind, ReplyKind::First);
        assert_eq!(r.client, Some(300));
        assert!(r.ok);
        assert_eq!(r.lease.server, [192, 0, 2, 1]);
        // a client index beyond -R is not ours
        let n = v.first(&mut req, 43, 5000);
        let m = toy_server(
            &req[..n],
            &mut rep,
            Ipv4Addr::new(198, 18, 1, 0),
            Ipv4Addr::new(192, 0, 2, 1),
        )
        .unwrap();
        assert_eq!(v.parse(&rep[..m]).unwrap().client, None);
        // requests are not replies
        assert!(v.parse(&req[..n]).is_none());
    }

    #[test]
    fn ack_line_format() {
        let v = proto();
        let mut s = String::new();
        v.ack_line(
            &mut s,
            2,
            &Lease4 {
                addr: [192, 0, 2, 10],
                server: [0; 4],
            },
        );
        assert_eq!(s, "192.0.2.10,00:0c:01:02:03:06");
    }

    #[test]
    fn mac_wraps_across_bytes() {
        assert_eq!(mac_add(&[0, 0, 0, 0, 0, 0xff], 1), [0, 0, 0, 0, 1, 0]);
        assert_eq!(mac_add(&[0xff; 6], 1), [0; 6]);
    }
}
