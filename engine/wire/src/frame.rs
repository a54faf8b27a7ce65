//! Whole Ethernet(+VLAN)/IPv4/UDP frames: parsing for raw-socket and XDP
//! receive, and in-place header writing so a DHCP reply built directly in
//! the send buffer needs no copy.

use std::net::Ipv4Addr;

pub use crate::error::{BuildError, Error};
use crate::ethernet::{self, ETHERTYPE_IPV4, MAX_VLANS, VlanStack, VlanTag};
use crate::{ipv4, udp};

/// The addressing of a received UDP/IPv4 frame plus its payload.
#[derive(Debug, Clone, Copy)]
pub struct Udp4Frame<'a> {
    /// Destination MAC.
    pub eth_dst: [u8; 6],
    /// Source MAC.
    pub eth_src: [u8; 6],
    /// VLAN tags, outermost first (derefs to `&[VlanTag]`).
    pub vlans: VlanStack,
    /// IP source.
    pub ip_src: Ipv4Addr,
    /// IP destination.
    pub ip_dst: Ipv4Addr,
    /// IP TTL.
    pub ip_ttl: u8,
    /// UDP source port.
    pub src_port: u16,
    /// UDP destination port.
    pub dst_port: u16,
    /// UDP payload (cut at the UDP length).
    pub payload: &'a [u8],
}

/// Parses Ethernet(+up to two VLAN tags) + IPv4 + UDP, verifying the IP
/// header checksum and the UDP checksum (when present).
pub fn parse_udp4(buf: &[u8]) -> Result<Udp4Frame<'_>, Error> {
    let eth = ethernet::Frame::new_checked(buf)?;
    if eth.ethertype() != ETHERTYPE_IPV4 {
        return Err(Error::NotIpv4 {
            ethertype: eth.ethertype(),
        });
    }
    let ip = ipv4::Packet::new_checked(eth.payload())?;
    if ip.protocol() != ipv4::PROTO_UDP {
        return Err(Error::NotUdp {
            protocol: ip.protocol(),
        });
    }
    let u = udp::Datagram::new_checked(ip.payload())?;
    if !u.verify_checksum_v4(ip.src(), ip.dst()) {
        return Err(Error::BadUdpChecksum);
    }
    Ok(Udp4Frame {
        eth_dst: eth.dst(),
        eth_src: eth.src(),
        vlans: eth.vlan_stack(),
        ip_src: ip.src(),
        ip_dst: ip.dst(),
        ip_ttl: ip.ttl(),
        src_port: u.src_port(),
        dst_port: u.dst_port(),
        payload: u.payload(),
    })
}

/// Bytes of Ethernet + tags + IPv4 (no options) + UDP headers: the offset at
/// which the caller should build the payload.
pub const fn udp4_header_len(vlan_count: usize) -> usize {
    ethernet::HEADER_LEN + ethernet::VLAN_TAG_LEN * vlan_count + ipv4::HEADER_LEN + udp::HEADER_LEN
}

/// Fills all headers in front of a payload that ALREADY sits in `buf` at
/// `udp4_header_len(vlans.len())`; returns the total frame length. Uses
/// TTL [`ipv4::DEFAULT_TTL`].
#[allow(clippy::too_many_arguments)] // mirrors the header fields one to one
pub fn write_udp4(
    buf: &mut [u8],
    eth_dst: [u8; 6],
    eth_src: [u8; 6],
    vlans: &[VlanTag],
    ip_src: Ipv4Addr,
    ip_dst: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    payload_len: usize,
) -> Result<usize, BuildError> {
    if vlans.len() > MAX_VLANS {
        return Err(BuildError::TooManyVlans);
    }
    let eth_len = ethernet::HEADER_LEN + ethernet::VLAN_TAG_LEN * vlans.len();
    let total = udp4_header_len(vlans.len())
        .checked_add(payload_len)
        .ok_or(BuildError::PayloadTooLarge)?;
    if u16::try_from(ipv4::HEADER_LEN + udp::HEADER_LEN + payload_len).is_err() {
        return Err(BuildError::PayloadTooLarge);
    }
    if buf.len() < total {
        return Err(BuildError::NoSpace);
    }
    let (eth_buf, rest) = buf.split_at_mut(eth_len);
    ethernet::write_header(eth_buf, eth_dst, eth_src, vlans, ETHERTYPE_IPV4)?;
    let (ip_buf, udp_buf) = rest.split_at_mut(ipv4::HEADER_LEN);
    let udp_total =
        udp::write_header_v4_in_place(udp_buf, ip_src, ip_dst, src_port, dst_port, payload_len)?;
    ipv4::write_header(
        ip_buf,
        ip_src,
        ip_dst,
        ipv4::PROTO_UDP,
        ipv4::DEFAULT_TTL,
        udp_total,
    )?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent RFC 1071 sum written the textbook way (u16 words, u64 acc).
    fn textbook_checksum(data: &[u8]) -> u16 {
        let mut acc: u64 = 0;
        let mut i = 0;
        while i < data.len() {
            let hi = u64::from(data[i]) << 8;
            let lo = if i + 1 < data.len() {
                u64::from(data[i + 1])
            } else {
                0
            };
            acc += hi | lo;
            i += 2;
        }
        while acc >> 16 != 0 {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        !(acc as u16)
    }

    fn build(vlans: &[VlanTag], payload: &[u8]) -> Vec<u8> {
        let h = udp4_header_len(vlans.len());
        let mut buf = vec![0u8; h + payload.len() + 7];
        buf[h..h + payload.len()].copy_from_slice(payload);
        let n = write_udp4(
            &mut buf,
            [0xff; 6],
            [2, 0, 0, 0, 0, 1],
            vlans,
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv4Addr::BROADCAST,
            67,
            68,
            payload.len(),
        )
        .unwrap();
        assert_eq!(n, h + payload.len());
        buf.truncate(n);
        buf
    }

    #[test]
    fn checksums_match_independent_computation() {
        for vlans in [
            &[][..],
            &[VlanTag {
                tpid: 0x8100,
                tci: 5,
            }][..],
        ] {
            for payload in [&b"odd"[..], &b"even"[..], &[0u8; 300][..]] {
                let f = build(vlans, payload);
                let eth = 14 + 4 * vlans.len();
                let ip = &f[eth..eth + 20];
                assert_eq!(textbook_checksum(ip), 0, "IP header sums to zero");
                let udp = &f[eth + 20..];
                let mut pseudo = Vec::new();
                pseudo.extend_from_slice(&ip[12..20]);
                pseudo.extend_from_slice(&[0, 17]);
                pseudo.extend_from_slice(&(udp.len() as u16).to_be_bytes());
                pseudo.extend_from_slice(udp);
                assert_eq!(textbook_checksum(&pseudo), 0, "UDP sums to zero");
                assert_ne!(u16::from_be_bytes([udp[6], udp[7]]), 0);
                let p = parse_udp4(&f).unwrap();
                assert_eq!(p.payload, payload);
                assert_eq!(&p.vlans[..], vlans);
                assert_eq!((p.src_port, p.dst_port), (67, 68));
                assert_eq!(p.ip_dst, Ipv4Addr::BROADCAST);
                assert_eq!(p.ip_ttl, ipv4::DEFAULT_TTL);
            }
        }
    }

    /// Corrupting any byte covered by a checksum must be detected.
    #[test]
    fn corruption_detected() {
        let mut f = build(&[], b"payload!");
        let last = f.len() - 1;
        f[last] ^= 0x40;
        assert_eq!(parse_udp4(&f).unwrap_err(), Error::BadUdpChecksum);
        let mut f = build(&[], b"payload!");
        f[14 + 8] ^= 1; // TTL
        assert_eq!(parse_udp4(&f).unwrap_err(), Error::BadIpChecksum);
    }

    #[test]
    fn known_good_frame() {
        // Ethernet + IPv4 + UDP 10.0.0.1:1234 -> 10.0.0.2:5678 "hi",
        // checksums computed independently with a Python RFC 1071 script.
        let f: [u8; 44] = [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, // eth
            0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0x66, 0xcd, 10, 0, 0, 1, 10, 0, 0, 2, // ip
            0x04, 0xd2, 0x16, 0x2e, 0, 10, 0x68, 0x6e, b'h', b'i', // udp
        ];
        let ip_sum = textbook_checksum(&f[14..34]);
        assert_eq!(ip_sum, 0, "reference IP header checksum");
        let p = parse_udp4(&f).unwrap();
        assert_eq!(p.payload, b"hi");
        let mut mine = [0u8; 44];
        mine[42..].copy_from_slice(b"hi");
        write_udp4(
            &mut mine,
            [0, 1, 2, 3, 4, 5],
            [6, 7, 8, 9, 10, 11],
            &[],
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            1234,
            5678,
            2,
        )
        .unwrap();
        assert_eq!(mine, f);
    }

    #[test]
    fn not_udp_or_ipv4() {
        let mut f = build(&[], b"x");
        f[12] = 0x86;
        f[13] = 0xdd;
        assert_eq!(
            parse_udp4(&f).unwrap_err(),
            Error::NotIpv4 { ethertype: 0x86dd }
        );
        assert_eq!(
            write_udp4(
                &mut [0u8; 10],
                [0; 6],
                [0; 6],
                &[],
                Ipv4Addr::LOCALHOST,
                Ipv4Addr::LOCALHOST,
                1,
                2,
                0
            ),
            Err(BuildError::NoSpace)
        );
    }
}
