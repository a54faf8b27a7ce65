//! Realistic DHCPv4 messages for the benchmarks: what a relayed Windows/Linux client
//! sends (client-id, parameter request list, hostname, vendor class, maximum message
//! size, relay agent information with circuit-id and remote-id) and what a server
//! answers. Written into caller buffers without allocating, so a build benchmark measures
//! the builder alone.

use std::net::Ipv4Addr;
use xdhcp_wire::dhcpv4::{BOOTREPLY, BOOTREQUEST, BuildError, Builder, MessageType, code};

/// A typical client parameter request list (Windows 10 asks for about this).
pub const PRL: [u8; 14] = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252];

/// The MAC of simulated client `i` (locally administered, unique per `i`).
pub fn mac(i: u32) -> [u8; 6] {
    let b = i.to_be_bytes();
    [0x02, 0x42, b[0], b[1], b[2], b[3]]
}

/// Option 61 for a MAC: hardware type 1 + the MAC.
pub fn client_id(mac: &[u8; 6]) -> [u8; 7] {
    let mut c = [1u8; 7];
    c[1..].copy_from_slice(mac);
    c
}

/// Writes `host-NNNNNNNN` (hex of `i`) into `buf` and returns it.
pub fn hostname(i: u32, buf: &mut [u8; 13]) -> &[u8] {
    buf[..5].copy_from_slice(b"host-");
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for k in 0..8 {
        buf[5 + k] = HEX[((i >> (28 - 4 * k)) & 0xf) as usize];
    }
    &buf[..]
}

/// Option 82 as a typical access switch adds it: circuit-id (sub-option 1) naming the
/// port and VLAN, remote-id (sub-option 2) the switch's MAC.
pub const RELAY_INFO: [u8; 28] = [
    1, 18, b'G', b'i', b'1', b'/', b'0', b'/', b'2', b'4', b':', b'v', b'l', b'a', b'n', b'1',
    b'0', b'0', b'.', b'x', //
    2, 6, 0x00, 0x1b, 0x54, 0xaa, 0xbb, 0xcc,
];

/// One client message to build.
#[derive(Clone, Copy, Debug)]
pub struct ClientMsg<'a> {
    pub kind: MessageType,
    pub mac: [u8; 6],
    pub xid: u32,
    pub ciaddr: Ipv4Addr,
    /// Relay address; UNSPECIFIED for a message straight from the client.
    pub giaddr: Ipv4Addr,
    pub requested: Option<Ipv4Addr>,
    pub server_id: Option<Ipv4Addr>,
    pub hostname: &'a [u8],
    /// Option 82 (added by the relay), if any.
    pub relay_info: Option<&'a [u8]>,
}

impl<'a> ClientMsg<'a> {
    /// A relayed DISCOVER.
    pub fn discover(mac: [u8; 6], xid: u32, giaddr: Ipv4Addr, hostname: &'a [u8]) -> Self {
        ClientMsg {
            kind: MessageType::Discover,
            mac,
            xid,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            giaddr,
            requested: None,
            server_id: None,
            hostname,
            relay_info: Some(&RELAY_INFO),
        }
    }

    /// A relayed REQUEST in SELECTING state (answers an OFFER of `addr` from `server`).
    pub fn selecting(
        mac: [u8; 6],
        xid: u32,
        giaddr: Ipv4Addr,
        addr: Ipv4Addr,
        server: Ipv4Addr,
        hostname: &'a [u8],
    ) -> Self {
        ClientMsg {
            kind: MessageType::Request,
            requested: Some(addr),
            server_id: Some(server),
            ..ClientMsg::discover(mac, xid, giaddr, hostname)
        }
    }

    /// A unicast REQUEST in RENEWING state, straight from the client holding `addr`.
    pub fn renewing(mac: [u8; 6], xid: u32, addr: Ipv4Addr, hostname: &'a [u8]) -> Self {
        ClientMsg {
            kind: MessageType::Request,
            ciaddr: addr,
            giaddr: Ipv4Addr::UNSPECIFIED,
            relay_info: None,
            ..ClientMsg::discover(mac, xid, Ipv4Addr::UNSPECIFIED, hostname)
        }
    }

    /// A RELEASE of `addr`, straight from the client.
    pub fn release(mac: [u8; 6], xid: u32, addr: Ipv4Addr, server: Ipv4Addr) -> Self {
        ClientMsg {
            kind: MessageType::Release,
            ciaddr: addr,
            server_id: Some(server),
            hostname: b"",
            relay_info: None,
            ..ClientMsg::discover(mac, xid, Ipv4Addr::UNSPECIFIED, b"")
        }
    }

    /// Writes the message into `buf`; returns its length.
    pub fn build(&self, buf: &mut [u8]) -> Result<usize, BuildError> {
        let mut b = Builder::new(buf)?;
        b.op(BOOTREQUEST);
        b.htype(1);
        b.hlen(6);
        b.xid(self.xid);
        b.secs(3);
        b.ciaddr(self.ciaddr);
        if !self.giaddr.is_unspecified() {
            b.hops(1);
            b.giaddr(self.giaddr);
        }
        b.chaddr(&self.mac)?;
        b.message_type(self.kind)?;
        b.option(code::DHCP_CLIENT_IDENTIFIER, &client_id(&self.mac))?;
        if let Some(a) = self.requested {
            b.option_ipv4(code::DHCP_REQUESTED_ADDRESS, a)?;
        }
        if let Some(s) = self.server_id {
            b.server_id(s)?;
        }
        if self.kind != MessageType::Release {
            b.option_u16(code::DHCP_MAX_MESSAGE_SIZE, 1500)?;
            if !self.hostname.is_empty() {
                b.option(code::HOST_NAME, self.hostname)?;
            }
            b.option(code::VENDOR_CLASS_IDENTIFIER, b"MSFT 5.0")?;
            b.option(code::DHCP_PARAMETER_REQUEST_LIST, &PRL)?;
        }
        if let Some(r) = self.relay_info {
            b.option(code::DHCP_AGENT_OPTIONS, r)?;
        }
        b.finish()
    }
}

/// What a server answers to a relayed REQUEST: an ACK with the usual options.
#[derive(Clone, Copy, Debug)]
pub struct ServerAck<'a> {
    pub mac: [u8; 6],
    pub xid: u32,
    pub yiaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub server_id: Ipv4Addr,
    pub hostname: &'a [u8],
    pub relay_info: Option<&'a [u8]>,
}

impl ServerAck<'_> {
    pub fn build(&self, buf: &mut [u8]) -> Result<usize, BuildError> {
        let mut b = Builder::new(buf)?;
        b.op(BOOTREPLY);
        b.htype(1);
        b.hlen(6);
        b.hops(1);
        b.xid(self.xid);
        b.yiaddr(self.yiaddr);
        b.giaddr(self.giaddr);
        b.chaddr(&self.mac)?;
        b.message_type(MessageType::Ack)?;
        b.server_id(self.server_id)?;
        b.option_u32(code::DHCP_LEASE_TIME, 3600)?;
        b.option_u32(code::DHCP_RENEWAL_TIME, 900)?;
        b.option_u32(code::DHCP_REBINDING_TIME, 1800)?;
        b.option_ipv4(code::SUBNET_MASK, Ipv4Addr::new(255, 254, 0, 0))?;
        b.option_ipv4(code::ROUTERS, Ipv4Addr::new(198, 18, 0, 1))?;
        b.option(
            code::DOMAIN_NAME_SERVERS,
            &[192, 0, 2, 53, 192, 0, 2, 54], // two servers
        )?;
        b.option(code::DOMAIN_NAME, b"example.org")?;
        if !self.hostname.is_empty() {
            b.option(code::HOST_NAME, self.hostname)?;
        }
        if let Some(r) = self.relay_info {
            b.option(code::DHCP_AGENT_OPTIONS, r)?;
        }
        b.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xdhcp_wire::dhcpv4::{Packet, relay_agent};

    #[test]
    fn messages_parse_back() {
        let mut h = [0u8; 13];
        let host = hostname(0xab, &mut h);
        assert_eq!(host, b"host-000000ab");
        let mut buf = [0u8; 1500];
        let g = Ipv4Addr::new(198, 18, 0, 2);
        let n = ClientMsg::discover(mac(5), 1, g, host)
            .build(&mut buf)
            .unwrap();
        let p = Packet::new_checked(&buf[..n]).unwrap();
        let o = p.options();
        assert_eq!(o.message_type(), Some(MessageType::Discover));
        assert!(o.client_id().unwrap().eq_bytes(&client_id(&mac(5))));
        assert!(o.host_name().unwrap().eq_bytes(b"host-000000ab"));
        let ri = o.relay_agent_info().unwrap().contiguous().unwrap();
        assert!(relay_agent::is_well_formed(ri));
        assert_eq!(
            relay_agent::sub_option(ri, 1),
            Some(&b"Gi1/0/24:vlan100.x"[..])
        );
        let a = Ipv4Addr::new(198, 18, 1, 1);
        let n = ClientMsg::selecting(mac(5), 2, g, a, g, host)
            .build(&mut buf)
            .unwrap();
        let p = Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(p.options().requested_ip(), Some(a));
        let n = ServerAck {
            mac: mac(5),
            xid: 2,
            yiaddr: a,
            giaddr: g,
            server_id: g,
            hostname: host,
            relay_info: Some(&RELAY_INFO),
        }
        .build(&mut buf)
        .unwrap();
        let p = Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(p.options().message_type(), Some(MessageType::Ack));
        assert_eq!(p.yiaddr(), a);
    }
}
