//! Realistic DHCPv6 messages for the benchmarks: a SOLICIT asking for an address and a
//! prefix (IA_NA + IA_PD), relayed once (Relay-forward with interface-id and remote-id),
//! and the server's REPLY carrying both leases. Built into caller buffers.

use std::net::Ipv6Addr;
use xdhcp_wire::dhcpv6::{BuildError, Builder, MessageType, RelayBuilder, code};

/// DUID-LLT (type 1, Ethernet, a fixed time) for simulated client `i`.
pub fn duid_llt(i: u32) -> [u8; 14] {
    let m = crate::fixtures::mac(i);
    let mut d = [0u8; 14];
    d[..8].copy_from_slice(&[0, 1, 0, 1, 0x2d, 0x5e, 0x10, 0x00]);
    d[8..].copy_from_slice(&m);
    d
}

/// The server's DUID-LL.
pub const SERVER_DUID: [u8; 10] = [0, 3, 0, 1, 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01];

/// What a CPE asks for: DNS servers, domain list, SOL_MAX_RT.
pub const ORO: [u16; 3] = [code::DNS_SERVERS, code::DOMAIN_SEARCH, code::SOLMAX_RT];

/// A client message asking for one address and one prefix.
#[derive(Clone, Copy, Debug)]
pub struct ClientMsg6<'a> {
    pub kind: MessageType,
    pub xid: u32,
    pub duid: &'a [u8],
    pub iaid: u32,
    /// For REQUEST/RENEW: the server's DUID and the leases being asked for.
    pub server_duid: Option<&'a [u8]>,
    pub addr: Option<Ipv6Addr>,
    pub prefix: Option<(Ipv6Addr, u8)>,
}

impl ClientMsg6<'_> {
    pub fn build(&self, buf: &mut [u8]) -> Result<usize, BuildError> {
        let mut b = Builder::new(buf, self.kind, self.xid)?;
        b.client_id(self.duid)?;
        if let Some(s) = self.server_duid {
            b.server_id(s)?;
        }
        b.elapsed_time(0)?;
        b.oro(&ORO)?;
        let na = b.ia_na(self.iaid, 0, 0)?;
        if let Some(a) = self.addr {
            let n = b.iaaddr(a, 0, 0)?;
            b.end(n)?;
        }
        b.end(na)?;
        let pd = b.ia_pd(self.iaid, 0, 0)?;
        if let Some((p, len)) = self.prefix {
            let n = b.iaprefix(0, 0, len, p)?;
            b.end(n)?;
        }
        b.end(pd)?;
        b.finish()
    }
}

/// Wraps `inner` (built by `f`) in one Relay-forward as an access relay sends it.
pub fn relay_forw(
    buf: &mut [u8],
    link: Ipv6Addr,
    peer: Ipv6Addr,
    f: impl FnOnce(&mut [u8]) -> Result<usize, BuildError>,
) -> Result<usize, BuildError> {
    let mut r = RelayBuilder::new(buf, MessageType::RelayForw, 0, link, peer)?;
    r.interface_id(b"Gi1/0/24:vlan100")?;
    r.option(
        code::REMOTE_ID,
        &[0, 0, 0x0d, 0xe9, 0x00, 0x1b, 0x54, 0xaa, 0xbb, 0xcc],
    )?;
    r.relay_msg_with(f)?;
    r.finish()
}

/// The server's REPLY (or ADVERTISE) with an address and a prefix.
#[derive(Clone, Copy, Debug)]
pub struct ServerReply6<'a> {
    pub kind: MessageType,
    pub xid: u32,
    pub client_duid: &'a [u8],
    pub iaid: u32,
    pub addr: Ipv6Addr,
    pub prefix: Ipv6Addr,
    pub prefix_len: u8,
}

impl ServerReply6<'_> {
    pub fn build(&self, buf: &mut [u8]) -> Result<usize, BuildError> {
        let mut b = Builder::new(buf, self.kind, self.xid)?;
        b.server_id(&SERVER_DUID)?;
        b.client_id(self.client_duid)?;
        let na = b.ia_na(self.iaid, 900, 1800)?;
        let a = b.iaaddr(self.addr, 3000, 3600)?;
        b.end(a)?;
        b.end(na)?;
        let pd = b.ia_pd(self.iaid, 900, 1800)?;
        let p = b.iaprefix(3000, 3600, self.prefix_len, self.prefix)?;
        b.end(p)?;
        b.end(pd)?;
        b.option_parts(
            code::DNS_SERVERS,
            &[
                &Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x53).octets(),
                &Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x54).octets(),
            ],
        )?;
        b.finish()
    }
}
