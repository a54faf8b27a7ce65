//! DHCPv6 SARR: SOLICIT (IA_NA and/or IA_PD) -> ADVERTISE, REQUEST with
//! the server id and the offered IAs -> REPLY, optionally wrapped in a
//! Relay-forward (relay mode). SOLICITs are templates patched in place
//! (xid, DUID, peer address); the later messages carry a variable-length
//! server DUID and are written with the allocation-free wire builder.

use std::fmt::Write;
use std::net::Ipv6Addr;

use xdhcp_wire::dhcpv6::{
    Builder, IaNa, IaPd, MessageType, OptionWriter, RELAY_HEADER_LEN, RelayBuilder, code,
    unwrap_relays,
};

use crate::core::{Proto, Reply, ReplyKind};
use crate::transport::packet::link_local;

/// Longest server DUID kept (RFC 8415 allows 130; real ones are ~14-18).
pub const MAX_DUID: usize = 64;

/// What a v6 client remembers.
#[derive(Debug, Clone, Copy)]
pub struct Lease6 {
    /// IA_NA address (when asked for).
    pub addr: [u8; 16],
    /// IA_PD prefix (when asked for).
    pub prefix: [u8; 16],
    /// Prefix length.
    pub plen: u8,
    /// Server DUID.
    pub server: [u8; MAX_DUID],
    /// Its length.
    pub server_len: u8,
}

impl Default for Lease6 {
    fn default() -> Self {
        Lease6 {
            addr: [0; 16],
            prefix: [0; 16],
            plen: 0,
            server: [0; MAX_DUID],
            server_len: 0,
        }
    }
}

/// Settings of the v6 flavour.
#[derive(Debug, Clone)]
pub struct V6Options {
    /// Base DUID; client i adds i to its last 6 bytes.
    pub base_duid: Vec<u8>,
    /// Base MAC (frame source / peer link-local in relay mode).
    pub base_mac: [u8; 6],
    /// Ask for an address.
    pub na: bool,
    /// Ask for a prefix.
    pub pd: bool,
    /// Relay link-address (relay mode), None in layer-2 mode.
    pub relay: Option<Ipv6Addr>,
    /// Number of clients.
    pub clients: u32,
}

/// DHCPv6 protocol layer.
pub struct V6 {
    o: V6Options,
    base_tail: u64,
    solicit: Vec<u8>,
    inner_at: usize,
}

const ORO: [u16; 1] = [code::DNS_SERVERS];
const IAID_NA: u32 = 1;
const IAID_PD: u32 = 2;

fn tail48(d: &[u8]) -> u64 {
    let n = d.len();
    d[n.saturating_sub(6)..]
        .iter()
        .fold(0u64, |a, &b| a << 8 | u64::from(b))
}

/// DUID-LL (type 3, hardware type 1) for a MAC.
pub fn duid_ll(mac: [u8; 6]) -> Vec<u8> {
    let mut d = vec![0, 3, 0, 1];
    d.extend_from_slice(&mac);
    d
}

impl V6 {
    /// Builds the SOLICIT template.
    pub fn new(o: V6Options) -> V6 {
        assert!(o.base_duid.len() >= 6 && o.base_duid.len() <= MAX_DUID);
        let mut v = V6 {
            base_tail: tail48(&o.base_duid),
            o,
            solicit: Vec::new(),
            inner_at: 0,
        };
        let mut buf = vec![0u8; 1024];
        let n = v.build(&mut buf, MessageType::Solicit, 0, 0, None);
        buf.truncate(n);
        v.inner_at = if v.o.relay.is_some() {
            RELAY_HEADER_LEN + 4
        } else {
            0
        };
        v.solicit = buf;
        v
    }

    /// Client `i`'s DUID into `out`; returns its length.
    fn duid(&self, client: u32, out: &mut [u8; MAX_DUID]) -> usize {
        let d = &self.o.base_duid;
        let n = d.len();
        out[..n].copy_from_slice(d);
        let t = (self.base_tail.wrapping_add(u64::from(client)) & 0xffff_ffff_ffff).to_be_bytes();
        out[n - 6..n].copy_from_slice(&t[2..]);
        n
    }

    fn inner(
        &self,
        w: &mut [u8],
        mt: MessageType,
        xid: u32,
        client: u32,
        lease: Option<&Lease6>,
    ) -> usize {
        let mut duid = [0u8; MAX_DUID];
        let dl = self.duid(client, &mut duid);
        let mut b = Builder::new(w, mt, xid).expect("room");
        b.client_id(&duid[..dl]).expect("room");
        if let Some(l) = lease {
            b.server_id(&l.server[..usize::from(l.server_len)])
                .expect("room");
        }
        b.elapsed_time(0).expect("room");
        if mt != MessageType::Release {
            b.oro(&ORO).expect("room");
        }
        ias(&mut b, self.o.na, self.o.pd, lease);
        b.finish().expect("closed")
    }

    fn build(
        &self,
        buf: &mut [u8],
        mt: MessageType,
        xid: u32,
        client: u32,
        lease: Option<&Lease6>,
    ) -> usize {
        match self.o.relay {
            None => self.inner(buf, mt, xid, client, lease),
            Some(link) => {
                let peer = link_local(self.mac(client));
                let mut r =
                    RelayBuilder::new(buf, MessageType::RelayForw, 0, link, peer).expect("room");
                r.relay_msg_with(|w| Ok(self.inner(w, mt, xid, client, lease)))
                    .expect("room");
                r.finish().expect("closed")
            }
        }
    }
}

fn ias(b: &mut OptionWriter<'_>, na: bool, pd: bool, lease: Option<&Lease6>) {
    if na {
        let n = b.ia_na(IAID_NA, 0, 0).expect("room");
        if let Some(l) = lease {
            let a = b.iaaddr(Ipv6Addr::from(l.addr), 0, 0).expect("room");
            b.end(a).expect("nest");
        }
        b.end(n).expect("nest");
    }
    if pd {
        let n = b.ia_pd(IAID_PD, 0, 0).expect("room");
        if let Some(l) = lease {
            let a = b
                .iaprefix(0, 0, l.plen, Ipv6Addr::from(l.prefix))
                .expect("room");
            b.end(a).expect("nest");
        }
        b.end(n).expect("nest");
    }
}

impl Proto for V6 {
    type Lease = Lease6;
    const XID_BITS: u32 = 24;
    const SLOT_BITS: u32 = 18;

    fn phase_names(&self) -> [&'static str; 4] {
        [
            "SOLICIT-ADVERTISE",
            "REQUEST-REPLY",
            "RENEW-REPLY",
            "RELEASE-REPLY",
        ]
    }

    fn first(&self, buf: &mut [u8], xid: u32, client: u32) -> usize {
        let n = self.solicit.len();
        buf[..n].copy_from_slice(&self.solicit);
        let i = self.inner_at;
        buf[i + 1..i + 4].copy_from_slice(&xid.to_be_bytes()[1..]);
        // client id is the first option: code(2) len(2) duid
        let mut duid = [0u8; MAX_DUID];
        let dl = self.duid(client, &mut duid);
        buf[i + 8..i + 8 + dl].copy_from_slice(&duid[..dl]);
        if self.o.relay.is_some() {
            buf[18..34].copy_from_slice(&link_local(self.mac(client)).octets());
        }
        n
    }

    fn second(&self, buf: &mut [u8], xid: u32, client: u32, l: &Lease6) -> usize {
        self.build(buf, MessageType::Request, xid, client, Some(l))
    }

    fn renew(&self, buf: &mut [u8], xid: u32, client: u32, l: &Lease6) -> usize {
        self.build(buf, MessageType::Renew, xid, client, Some(l))
    }

    fn release(&self, buf: &mut [u8], xid: u32, client: u32, l: &Lease6) -> usize {
        self.build(buf, MessageType::Release, xid, client, Some(l))
    }

    fn release_answered(&self) -> bool {
        true
    }

    fn parse(&self, payload: &[u8]) -> Option<Reply<Lease6>> {
        let (m, _) = unwrap_relays(payload).ok()?;
        let kind = match m.msg_type() {
            MessageType::Advertise => ReplyKind::First,
            MessageType::Reply => ReplyKind::Second,
            _ => return None,
        };
        let opts = m.options();
        let mut lease = Lease6::default();
        if let Some(s) = opts.server_id()
            && s.len() <= MAX_DUID
        {
            lease.server[..s.len()].copy_from_slice(s);
            lease.server_len = s.len() as u8;
        }
        let mut ok = opts.status_code().is_none_or(|(c, _)| c == 0);
        let (mut got_na, mut got_pd) = (false, false);
        for ia in opts.typed::<IaNa>() {
            if ia.options.status_code().is_some_and(|(c, _)| c != 0) {
                ok = false;
            }
            if let Some(a) = ia.addresses().find(|a| a.valid > 0) {
                lease.addr = a.addr.octets();
                got_na = true;
            }
        }
        for ia in opts.typed::<IaPd>() {
            if ia.options.status_code().is_some_and(|(c, _)| c != 0) {
                ok = false;
            }
            if let Some(p) = ia.prefixes().find(|p| p.valid > 0) {
                lease.prefix = p.prefix.octets();
                lease.plen = p.prefix_len;
                got_pd = true;
            }
        }
        if kind == ReplyKind::First && ((self.o.na && !got_na) || (self.o.pd && !got_pd)) {
            ok = false;
        }
        if kind == ReplyKind::First && lease.server_len == 0 {
            ok = false;
        }
        let client = opts.client_id().and_then(|d| {
            let b = &self.o.base_duid;
            if d.len() != b.len() || d[..d.len() - 6] != b[..b.len() - 6] {
                return None;
            }
            let idx = tail48(d).wrapping_sub(self.base_tail) & 0xffff_ffff_ffff;
            (idx < u64::from(self.o.clients.max(1))).then_some(idx as u32)
        });
        Some(Reply {
            xid: m.transaction_id(),
            kind,
            ok,
            client,
            lease,
        })
    }

    fn mac(&self, client: u32) -> [u8; 6] {
        crate::v4::mac_add(&self.o.base_mac, u64::from(client))
    }

    fn ack_line(&self, out: &mut String, client: u32, l: &Lease6) {
        let mut duid = [0u8; MAX_DUID];
        let dl = self.duid(client, &mut duid);
        let mut hex = String::with_capacity(dl * 2);
        for b in &duid[..dl] {
            let _ = write!(hex, "{b:02x}");
        }
        if self.o.na {
            let _ = write!(out, "{},{hex}", Ipv6Addr::from(l.addr));
        }
        if self.o.pd {
            if self.o.na {
                out.push('\n');
            }
            let _ = write!(out, "{}/{},{hex}", Ipv6Addr::from(l.prefix), l.plen);
        }
    }
}

/// A toy DHCPv6 server for tests: ADVERTISE/REPLY with address
/// 2001:db8::<client tail> and prefix 2001:db8:<tail>::/56, relayed back
/// in a Relay-reply when the request came in a Relay-forward.
pub fn toy_server6(req: &[u8], out: &mut [u8], server_duid: &[u8]) -> Option<usize> {
    let (m, chain) = unwrap_relays(req).ok()?;
    let mt = match m.msg_type() {
        MessageType::Solicit => MessageType::Advertise,
        MessageType::Request | MessageType::Renew | MessageType::Release => MessageType::Reply,
        _ => return None,
    };
    let opts = m.options();
    let cid = opts.client_id()?;
    let tail = (tail48(cid) & 0xffff) as u16;
    let write_inner = |w: &mut [u8]| -> Option<usize> {
        let mut b = Builder::new(w, mt, m.transaction_id()).ok()?;
        b.client_id(cid).ok()?;
        b.server_id(server_duid).ok()?;
        if m.msg_type() != MessageType::Release {
            for ia in opts.typed::<IaNa>() {
                let n = b.ia_na(ia.iaid, 1000, 2000).ok()?;
                let a = b
                    .iaaddr(
                        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, tail),
                        3000,
                        4000,
                    )
                    .ok()?;
                b.end(a).ok()?;
                b.end(n).ok()?;
            }
            for ia in opts.typed::<IaPd>() {
                let n = b.ia_pd(ia.iaid, 1000, 2000).ok()?;
                let a = b
                    .iaprefix(
                        3000,
                        4000,
                        56,
                        Ipv6Addr::new(0x2001, 0xdb8, tail, 0, 0, 0, 0, 0),
                    )
                    .ok()?;
                b.end(a).ok()?;
                b.end(n).ok()?;
            }
        }
        b.finish().ok()
    };
    match chain.innermost() {
        None => write_inner(out),
        Some(l) => {
            let mut r =
                RelayBuilder::new(out, MessageType::RelayRepl, l.hop_count, l.link, l.peer).ok()?;
            let mut inner = [0u8; 1024];
            let n = write_inner(&mut inner)?;
            r.relay_msg(&inner[..n]).ok()?;
            r.finish().ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xdhcp_wire::dhcpv6::{Message, RelayMessage};

    fn proto(relay: bool, na: bool, pd: bool) -> V6 {
        V6::new(V6Options {
            base_duid: duid_ll([0, 0x0c, 1, 2, 3, 4]),
            base_mac: [0, 0x0c, 1, 2, 3, 4],
            na,
            pd,
            relay: relay.then(|| "2001:db8:1::2".parse().unwrap()),
            clients: 1000,
        })
    }

    #[test]
    fn solicit_template_is_patched() {
        for relay in [false, true] {
            let v = proto(relay, true, true);
            let mut buf = [0u8; 2048];
            let n = v.first(&mut buf, 0xabcdef, 9);
            let (m, chain) = unwrap_relays(&buf[..n]).unwrap();
            assert_eq!(m.msg_type(), MessageType::Solicit);
            assert_eq!(m.transaction_id(), 0xabcdef);
            assert_eq!(
                m.options().client_id().unwrap(),
                &[0, 3, 0, 1, 0, 0x0c, 1, 2, 3, 13]
            );
            assert_eq!(m.options().typed::<IaNa>().count(), 1);
            assert_eq!(m.options().typed::<IaPd>().count(), 1);
            if relay {
                let r = RelayMessage::new_checked(&buf[..n]).unwrap();
                assert_eq!(r.peer_address(), link_local([0, 0x0c, 1, 2, 3, 13]));
                assert_eq!(chain.len(), 1);
            } else {
                assert!(Message::new_checked(&buf[..n]).is_ok());
            }
        }
    }

    #[test]
    fn full_exchange_through_toy_server() {
        for relay in [false, true] {
            let v = proto(relay, true, true);
            let (mut req, mut rep) = ([0u8; 2048], [0u8; 2048]);
            let n = v.first(&mut req, 77, 5);
            let m = toy_server6(&req[..n], &mut rep, &[0, 1, 0, 1, 9, 9, 9, 9]).unwrap();
            let r = v.parse(&rep[..m]).unwrap();
            assert_eq!(
                (r.xid, r.kind, r.ok, r.client),
                (77, ReplyKind::First, true, Some(5))
            );
            assert_eq!(r.lease.plen, 56);
            let n = v.second(&mut req, 78, 5, &r.lease);
            let (msg, _) = unwrap_relays(&req[..n]).unwrap();
            assert_eq!(msg.msg_type(), MessageType::Request);
            assert_eq!(
                msg.options().server_id().unwrap(),
                &[0, 1, 0, 1, 9, 9, 9, 9]
            );
            let ia = msg.options().typed::<IaNa>().next().unwrap();
            assert_eq!(
                ia.addresses().next().unwrap().addr,
                Ipv6Addr::from(r.lease.addr)
            );
            let m = toy_server6(&req[..n], &mut rep, &[0, 1, 0, 1, 9, 9, 9, 9]).unwrap();
            let r2 = v.parse(&rep[..m]).unwrap();
            assert_eq!((r2.kind, r2.ok), (ReplyKind::Second, true));
            let mut s = String::new();
            v.ack_line(&mut s, 5, &r2.lease);
            assert_eq!(
                s,
                "2001:db8::309,00030001000c01020309\n2001:db8:309::/56,00030001000c01020309"
            );
        }
    }

    #[test]
    fn no_address_advertise_is_rejected() {
        let v = proto(false, true, false);
        let mut out = [0u8; 512];
        let mut b = Builder::new(&mut out, MessageType::Advertise, 5).unwrap();
        b.client_id(&duid_ll([0, 0x0c, 1, 2, 3, 4])).unwrap();
        b.server_id(&[0, 1]).unwrap();
        let n = b.ia_na(1, 0, 0).unwrap();
        b.status_code(2, b"no addresses").unwrap();
        b.end(n).unwrap();
        let len = b.finish().unwrap();
        let r = v.parse(&out[..len]).unwrap();
        assert!(!r.ok);
        assert_eq!(r.client, Some(0));
    }
}
