//! What the server needs to know about the client behind a message: its DUID (borrowed
//! from the packet) and its hardware address, found like Kea's `mac-sources` "any": the
//! relay's client link-layer address option (RFC 6939), the DUID (LLT or LL), or the
//! EUI-64 of a link-local source address.

use super::Context6;
use std::net::Ipv6Addr;
use xdhcp_wire::dhcpv6::{Message, RelayChain, code};

/// Kea's `hwaddr_source` flags.
pub const HWADDR_SOURCE_DUID: u32 = 0x0002;
pub const HWADDR_SOURCE_IPV6_LINK_LOCAL: u32 = 0x0004;
pub const HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION: u32 = 0x0008;

/// A hardware address stored inline.
#[derive(Clone, Copy, Debug)]
pub struct HwAddr {
    pub htype: u16,
    pub source: u32,
    buf: [u8; 20],
    len: u8,
}

impl HwAddr {
    fn new(htype: u16, addr: &[u8], source: u32) -> Option<HwAddr> {
        if addr.is_empty() || addr.len() > 20 {
            return None;
        }
        let mut buf = [0u8; 20];
        buf[..addr.len()].copy_from_slice(addr);
        Some(HwAddr {
            htype,
            source,
            buf,
            len: addr.len() as u8,
        })
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// The identity of the client that sent one message.
pub struct ClientV6<'a> {
    /// The Client Identifier option's data (empty when absent: Information-request).
    pub duid: &'a [u8],
    pub hwaddr: Option<HwAddr>,
}

impl<'a> ClientV6<'a> {
    pub fn read(msg: &Message<'a>, chain: &RelayChain<'a>, ctx: &Context6<'_>) -> ClientV6<'a> {
        let duid = msg.options().client_id().unwrap_or(&[]);
        let hwaddr = relay_hwaddr(chain)
            .or_else(|| duid_hwaddr(duid))
            .or_else(|| {
                // The client's own address: the innermost relay's peer, or the source.
                let src = chain.innermost().map_or(ctx.src, |l| l.peer);
                link_local_hwaddr(src)
            });
        ClientV6 { duid, hwaddr }
    }
}

/// RFC 6939 Client Link-Layer Address option of the relay closest to the client.
fn relay_hwaddr(chain: &RelayChain<'_>) -> Option<HwAddr> {
    let data = chain
        .iter()
        .rev()
        .find_map(|l| l.options.get(code::CLIENT_LINKLAYER_ADDR))?;
    let (t, addr) = (data.get(..2)?, data.get(2..)?);
    HwAddr::new(
        u16::from_be_bytes([t[0], t[1]]),
        addr,
        HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION,
    )
}

/// The link-layer address inside a DUID-LLT (type 1) or DUID-LL (type 3).
fn duid_hwaddr(duid: &[u8]) -> Option<HwAddr> {
    let kind = u16::from_be_bytes([*duid.first()?, *duid.get(1)?]);
    let htype = u16::from_be_bytes([*duid.get(2)?, *duid.get(3)?]);
    let addr = match kind {
        1 => duid.get(8..)?,
        3 => duid.get(4..)?,
        _ => return None,
    };
    HwAddr::new(htype, addr, HWADDR_SOURCE_DUID)
}

/// The MAC address inside a modified EUI-64 link-local address (fe80::xxff:fexx:xxxx).
fn link_local_hwaddr(a: Ipv6Addr) -> Option<HwAddr> {
    let o = a.octets();
    if o[0] != 0xfe || o[1] & 0xc0 != 0x80 || o[11] != 0xff || o[12] != 0xfe {
        return None;
    }
    let mac = [o[8] ^ 0x02, o[9], o[10], o[13], o[14], o[15]];
    HwAddr::new(1, &mac, HWADDR_SOURCE_IPV6_LINK_LOCAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_addresses() {
        let llt = [0, 1, 0, 1, 1, 2, 3, 4, 2, 0, 0, 0, 0, 9];
        let h = duid_hwaddr(&llt).unwrap();
        assert_eq!((h.htype, h.as_slice()), (1, &[2, 0, 0, 0, 0, 9][..]));
        let ll = [0, 3, 0, 1, 2, 0, 0, 0, 0, 8];
        assert_eq!(duid_hwaddr(&ll).unwrap().as_slice(), &[2, 0, 0, 0, 0, 8]);
        assert!(duid_hwaddr(&[0, 2, 0, 0, 9, 9]).is_none());
        let ll: Ipv6Addr = "fe80::ff:fe00:7".parse().unwrap();
        assert_eq!(
            link_local_hwaddr(ll).unwrap().as_slice(),
            &[2, 0, 0, 0, 0, 7]
        );
        assert!(link_local_hwaddr("2001:db8::1".parse().unwrap()).is_none());
    }
}
