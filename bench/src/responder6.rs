//! The trivial responder's DHCPv6 relay mode: every Relay-forward carrying a SOLICIT is
//! answered with a Relay-reply wrapping an ADVERTISE (a REPLY when the client asked for
//! rapid commit), and one carrying a REQUEST, RENEW or REBIND with a Relay-reply wrapping
//! a REPLY. Each IA_NA gets one address and each IA_PD one prefix, derived from the
//! client's DUID. Stateless and allocation-free, like the DHCPv4 side.

use std::net::Ipv6Addr;
use xdhcp_wire::dhcpv6::{
    BuildError, Builder, MessageType, RelayBuilder, RelayLevel, unwrap_relays,
};

pub use crate::responder::Ignored;

/// Counters printed at exit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters6 {
    pub received: u64,
    pub advertises: u64,
    pub replies: u64,
    pub ignored: u64,
    pub send_errors: u64,
}

impl std::fmt::Display for Counters6 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "received={} advertises={} replies={} ignored={} send_errors={}",
            self.received, self.advertises, self.replies, self.ignored, self.send_errors
        )
    }
}

/// A Relay-reply written to the output buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer6 {
    pub len: usize,
    /// ADVERTISE or REPLY (the message inside the relay wrapping).
    pub kind: MessageType,
}

#[derive(Clone, Debug)]
pub struct ResponderV6 {
    pub server_duid: [u8; 10],
    /// Addresses are `addr_net` (a /64) plus a host number from the DUID.
    pub addr_net: Ipv6Addr,
    /// Prefixes of `pd_len` are carved from `pd_net` (a /32 .. /48) by the DUID.
    pub pd_net: Ipv6Addr,
    pub pd_net_len: u8,
    pub pd_len: u8,
    pub preferred: u32,
    pub valid: u32,
    pub counters: Counters6,
}

impl Default for ResponderV6 {
    fn default() -> Self {
        ResponderV6 {
            server_duid: crate::fixtures6::SERVER_DUID,
            addr_net: Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0),
            pd_net: Ipv6Addr::new(0x2001, 0xdb8, 0x8000, 0, 0, 0, 0, 0),
            pd_net_len: 33,
            pd_len: 56,
            preferred: 3000,
            valid: 3600,
            counters: Counters6::default(),
        }
    }
}

/// The DUID's last four bytes as a number: consecutive for perfdhcp's and perfgen's
/// generated DUIDs (which end in an incrementing MAC).
fn duid_number(duid: &[u8]) -> u32 {
    duid.iter()
        .rev()
        .take(4)
        .rev()
        .fold(0u32, |v, &b| (v << 8) | u32::from(b))
}

impl ResponderV6 {
    pub fn address_for(&self, duid: &[u8]) -> Ipv6Addr {
        let n = u128::from(duid_number(duid));
        Ipv6Addr::from(u128::from(self.addr_net) | (1u128 << 32) | n)
    }

    pub fn prefix_for(&self, duid: &[u8]) -> Ipv6Addr {
        let bits = u32::from(self.pd_len - self.pd_net_len);
        let n = u128::from(duid_number(duid)) & ((1u128 << bits) - 1);
        Ipv6Addr::from(u128::from(self.pd_net) | (n << (128 - u32::from(self.pd_len))))
    }

    pub fn handle(&mut self, req: &[u8], out: &mut [u8]) -> Result<Answer6, Ignored> {
        let r = self.reply(req, out);
        self.counters.received += 1;
        match &r {
            Ok(a) if a.kind == MessageType::Advertise => self.counters.advertises += 1,
            Ok(_) => self.counters.replies += 1,
            Err(_) => self.counters.ignored += 1,
        }
        r
    }

    pub fn reply(&self, req: &[u8], out: &mut [u8]) -> Result<Answer6, Ignored> {
        let (msg, chain) = unwrap_relays(req).map_err(|_| Ignored::Malformed)?;
        if chain.is_empty() {
            return Err(Ignored::NotRelayed);
        }
        if chain.iter().any(|l| l.msg_type != MessageType::RelayForw) {
            return Err(Ignored::NotRequest);
        }
        let opts = msg.options();
        let kind = match msg.msg_type() {
            MessageType::Solicit if opts.rapid_commit() => MessageType::Reply,
            MessageType::Solicit => MessageType::Advertise,
            MessageType::Request | MessageType::Renew | MessageType::Rebind => MessageType::Reply,
            _ => return Err(Ignored::OtherType),
        };
        let duid = opts.client_id().ok_or(Ignored::Malformed)?;
        let xid = msg.transaction_id();
        let rapid = kind == MessageType::Reply && msg.msg_type() == MessageType::Solicit;
        let inner = |buf: &mut [u8]| -> Result<usize, BuildError> {
            let mut b = Builder::new(buf, kind, xid)?;
            b.server_id(&self.server_duid)?;
            b.client_id(duid)?;
            if rapid {
                b.rapid_commit()?;
            }
            for ia in opts.ia_nas() {
                let n = b.ia_na(ia.iaid, self.preferred / 2, self.preferred * 4 / 5)?;
                let a = b.iaaddr(self.address_for(duid), self.preferred, self.valid)?;
                b.end(a)?;
                b.end(n)?;
            }
            for ia in opts.ia_pds() {
                let n = b.ia_pd(ia.iaid, self.preferred / 2, self.preferred * 4 / 5)?;
                let p = b.iaprefix(
                    self.preferred,
                    self.valid,
                    self.pd_len,
                    self.prefix_for(duid),
                )?;
                b.end(p)?;
                b.end(n)?;
            }
            b.finish()
        };
        let len = wrap(&chain, out, &inner).map_err(|_| Ignored::NoSpace)?;
        Ok(Answer6 { len, kind })
    }
}

/// Builds the Relay-reply chain mirroring `levels` (outermost first; RFC 8415 §19.3:
/// hop count, link and peer address and interface-id echoed) around `inner`.
fn wrap(
    levels: &[RelayLevel<'_>],
    out: &mut [u8],
    inner: &dyn Fn(&mut [u8]) -> Result<usize, BuildError>,
) -> Result<usize, BuildError> {
    let Some((l, rest)) = levels.split_first() else {
        return inner(out);
    };
    let mut r = RelayBuilder::new(out, MessageType::RelayRepl, l.hop_count, l.link, l.peer)?;
    if let Some(id) = l.interface_id {
        r.interface_id(id)?;
    }
    r.relay_msg_with(|buf| wrap(rest, buf, inner))?;
    r.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures6::{ClientMsg6, duid_llt, relay_forw};
    use xdhcp_wire::dhcpv6::RelayMessage;

    const LINK: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
    const PEER: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x42);

    fn relayed(kind: MessageType, i: u32) -> Vec<u8> {
        let duid = duid_llt(i);
        let m = ClientMsg6 {
            kind,
            xid: 0x12_3456,
            duid: &duid,
            iaid: 7,
            server_duid: None,
            addr: None,
            prefix: None,
        };
        let mut buf = vec![0u8; 1500];
        let n = relay_forw(&mut buf, LINK, PEER, |b| m.build(b)).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn solicit_gets_advertise_in_relay_reply() {
        let mut r = ResponderV6::default();
        let mut out = [0u8; 1500];
        let a = r
            .handle(&relayed(MessageType::Solicit, 5), &mut out)
            .unwrap();
        assert_eq!(a.kind, MessageType::Advertise);
        let rr = RelayMessage::new_checked(&out[..a.len]).unwrap();
        assert_eq!(rr.msg_type(), MessageType::RelayRepl);
        assert_eq!(rr.link_address(), LINK);
        assert_eq!(rr.peer_address(), PEER);
        assert_eq!(rr.interface_id(), Some(&b"Gi1/0/24:vlan100"[..]));
        let (msg, chain) = unwrap_relays(&out[..a.len]).unwrap();
        assert_eq!(chain.len(), 1);
        assert_eq!(msg.msg_type(), MessageType::Advertise);
        assert_eq!(msg.transaction_id(), 0x12_3456);
        let o = msg.options();
        assert_eq!(o.client_id(), Some(&duid_llt(5)[..]));
        assert_eq!(o.server_id(), Some(&r.server_duid[..]));
        let na = o.ia_nas().next().unwrap();
        assert_eq!(na.iaid, 7);
        let addr = na.addresses().next().unwrap();
        assert_eq!(addr.addr, "2001:db8:1::1:0:5".parse::<Ipv6Addr>().unwrap());
        assert_eq!(addr.valid, 3600);
        let pd = o.ia_pds().next().unwrap();
        let p = pd.prefixes().next().unwrap();
        assert_eq!(p.prefix_len, 56);
        assert_eq!(p.prefix, "2001:db8:8000:500::".parse::<Ipv6Addr>().unwrap());
        assert_eq!(r.counters.advertises, 1);
    }

    #[test]
    fn request_renew_rebind_get_reply() {
        let mut r = ResponderV6::default();
        let mut out = [0u8; 1500];
        for k in [
            MessageType::Request,
            MessageType::Renew,
            MessageType::Rebind,
        ] {
            let a = r.handle(&relayed(k, 9), &mut out).unwrap();
            assert_eq!(a.kind, MessageType::Reply);
            let (msg, _) = unwrap_relays(&out[..a.len]).unwrap();
            assert_eq!(msg.msg_type(), MessageType::Reply);
        }
        assert_eq!(r.counters.replies, 3);
    }

    #[test]
    fn ignores_direct_and_other_messages() {
        let mut r = ResponderV6::default();
        let mut out = [0u8; 1500];
        let duid = duid_llt(1);
        let m = ClientMsg6 {
            kind: MessageType::Solicit,
            xid: 1,
            duid: &duid,
            iaid: 1,
            server_duid: None,
            addr: None,
            prefix: None,
        };
        let mut buf = [0u8; 500];
        let n = m.build(&mut buf).unwrap();
        assert_eq!(r.handle(&buf[..n], &mut out), Err(Ignored::NotRelayed));
        assert_eq!(
            r.handle(&relayed(MessageType::Release, 1), &mut out),
            Err(Ignored::OtherType)
        );
        assert_eq!(r.handle(&[12, 0], &mut out), Err(Ignored::Malformed));
        assert_eq!(r.counters.ignored, 3);
    }

    #[test]
    fn prefixes_are_distinct_for_consecutive_duids() {
        let r = ResponderV6::default();
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000 {
            let d = duid_llt(i);
            assert!(seen.insert(r.prefix_for(&d)));
            assert!(seen.insert(r.address_for(&d)));
        }
    }
}
