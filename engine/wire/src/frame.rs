//! Whole Ethernet(+VLAN)/IPv4/UDP and IPv6/UDP frames: parsing for
//! raw-socket and XDP receive, and in-place header writing so a DHCP reply
//! built directly in the send buffer needs no copy.

use std::net::{Ipv4Addr, Ipv6Addr};

pub use crate::error::{BuildError, Error};
use crate::ethernet::{self, ETHERTYPE_IPV4, ETHERTYPE_IPV6, MAX_VLANS, VlanStack, VlanTag};
use crate::{ipv4, ipv6, udp};

/// DHCPv6 server/relay UDP port (RFC 8415 §7.2).
pub const SERVER_PORT_V6: u16 = 547;
/// DHCPv6 client UDP port (RFC 8415 §7.2).
pub const CLIENT_PORT_V6: u16 = 546;
/// All_DHCP_Relay_Agents_and_Servers, ff02::1:2 (RFC 8415 §7.1).
pub const ALL_DHCP_RELAY_AGENTS_AND_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
/// All_DHCP_Servers, ff05::1:3 (RFC 8415 §7.1).
pub const ALL_DHCP_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff05, 0, 0, 0, 0, 0, 1, 3);

/// Ethernet address of an IPv6 multicast group: 33:33 then the low 32
/// bits of the group (RFC 2464 §7).
pub fn multicast_mac(group: Ipv6Addr) -> [u8; 6] {
    let o = group.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

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

/// Whether to verify the UDP checksum of a received frame.
///
/// Frames taken at layer 2 on the receive side (XDP, AF_XDP, packet sockets) from a
/// sender on the same host, or from a NIC that offloads checksums, may carry a UDP
/// checksum that is not filled in yet (the kernel's CHECKSUM_PARTIAL): the kernel would
/// trust it, so such readers must too. The IP header checksum is always verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpChecksum {
    /// Reject a frame whose UDP checksum is wrong.
    Verify,
    /// Accept the UDP checksum as it is (receive paths that may see it unfinished).
    Trust,
}

/// Parses Ethernet(+up to two VLAN tags) + IPv4 + UDP, verifying the IP
/// header checksum and the UDP checksum (when present).
pub fn parse_udp4(buf: &[u8]) -> Result<Udp4Frame<'_>, Error> {
    parse_udp4_with(buf, UdpChecksum::Verify)
}

/// [`parse_udp4`] with a choice about the UDP checksum (see [`UdpChecksum`]).
pub fn parse_udp4_with(buf: &[u8], csum: UdpChecksum) -> Result<Udp4Frame<'_>, Error> {
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
    if csum == UdpChecksum::Verify && !u.verify_checksum_v4(ip.src(), ip.dst()) {
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

/// The addressing of a received UDP/IPv6 frame plus its payload.
#[derive(Debug, Clone, Copy)]
pub struct Udp6Frame<'a> {
    /// Destination MAC.
    pub eth_dst: [u8; 6],
    /// Source MAC.
    pub eth_src: [u8; 6],
    /// VLAN tags, outermost first (derefs to `&[VlanTag]`).
    pub vlans: VlanStack,
    /// IP source.
    pub ip_src: Ipv6Addr,
    /// IP destination.
    pub ip_dst: Ipv6Addr,
    /// IP hop limit.
    pub hop_limit: u8,
    /// UDP source port.
    pub src_port: u16,
    /// UDP destination port.
    pub dst_port: u16,
    /// UDP payload (cut at the UDP length).
    pub payload: &'a [u8],
}

/// Parses Ethernet(+up to two VLAN tags) + IPv6 (+hop-by-hop, routing and
/// destination options headers) + UDP, verifying the mandatory UDP checksum.
pub fn parse_udp6(buf: &[u8]) -> Result<Udp6Frame<'_>, Error> {
    parse_udp6_with(buf, UdpChecksum::Verify)
}

/// [`parse_udp6`] with a choice about the UDP checksum (see [`UdpChecksum`]).
pub fn parse_udp6_with(buf: &[u8], csum: UdpChecksum) -> Result<Udp6Frame<'_>, Error> {
    let eth = ethernet::Frame::new_checked(buf)?;
    if eth.ethertype() != ETHERTYPE_IPV6 {
        return Err(Error::NotIpv6 {
            ethertype: eth.ethertype(),
        });
    }
    let ip = ipv6::Packet::new_checked(eth.payload())?;
    let (protocol, upper) = ip.upper_layer().ok_or(Error::NotUdp {
        protocol: ipv6::NO_NEXT_HEADER,
    })?;
    if protocol != ipv6::PROTO_UDP {
        return Err(Error::NotUdp { protocol });
    }
    let u = udp::Datagram::new_checked(upper)?;
    if csum == UdpChecksum::Verify && !u.verify_checksum_v6(ip.src(), ip.dst()) {
        return Err(Error::BadUdpChecksum);
    }
    Ok(Udp6Frame {
        eth_dst: eth.dst(),
        eth_src: eth.src(),
        vlans: eth.vlan_stack(),
        ip_src: ip.src(),
        ip_dst: ip.dst(),
        hop_limit: ip.hop_limit(),
        src_port: u.src_port(),
        dst_port: u.dst_port(),
        payload: u.payload(),
    })
}

/// Bytes of Ethernet + tags + IPv6 (no extension headers) + UDP headers:
/// the offset at which the caller should build the payload.
pub const fn udp6_header_len(vlan_count: usize) -> usize {
    ethernet::HEADER_LEN + ethernet::VLAN_TAG_LEN * vlan_count + ipv6::HEADER_LEN + udp::HEADER_LEN
}

/// Fills all headers in front of a payload that ALREADY sits in `buf` at
/// `udp6_header_len(vlans.len())`; returns the total frame length. Uses
/// hop limit [`ipv6::DEFAULT_HOP_LIMIT`]; for a multicast `ip_dst` pass
/// `multicast_mac(ip_dst)` as `eth_dst`.
#[allow(clippy::too_many_arguments)] // mirrors the header fields one to one
pub fn write_udp6(
    buf: &mut [u8],
    eth_dst: [u8; 6],
    eth_src: [u8; 6],
    vlans: &[VlanTag],
    ip_src: Ipv6Addr,
    ip_dst: Ipv6Addr,
    src_port: u16,
    dst_port: u16,
    payload_len: usize,
) -> Result<usize, BuildError> {
    if vlans.len() > MAX_VLANS {
        return Err(BuildError::TooManyVlans);
    }
    let eth_len = ethernet::HEADER_LEN + ethernet::VLAN_TAG_LEN * vlans.len();
    let total = udp6_header_len(vlans.len())
        .checked_add(payload_len)
        .ok_or(BuildError::PayloadTooLarge)?;
    if u16::try_from(udp::HEADER_LEN + payload_len).is_err() {
        return Err(BuildError::PayloadTooLarge);
    }
    if buf.len() < total {
        return Err(BuildError::NoSpace);
    }
    let (eth_buf, rest) = buf.split_at_mut(eth_len);
    ethernet::write_header(eth_buf, eth_dst, eth_src, vlans, ETHERTYPE_IPV6)?;
    let (ip_buf, udp_buf) = rest.split_at_mut(ipv6::HEADER_LEN);
    let udp_total =
        udp::write_header_v6_in_place(udp_buf, ip_src, ip_dst, src_port, dst_port, payload_len)?;
    ipv6::write_header(
        ip_buf,
        ip_src,
        ip_dst,
        ipv6::PROTO_UDP,
        ipv6::DEFAULT_HOP_LIMIT,
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

    fn build6(vlans: &[VlanTag], payload: &[u8]) -> Vec<u8> {
        let h = udp6_header_len(vlans.len());
        let mut buf = vec![0u8; h + payload.len() + 5];
        buf[h..h + payload.len()].copy_from_slice(payload);
        let n = write_udp6(
            &mut buf,
            multicast_mac(ALL_DHCP_RELAY_AGENTS_AND_SERVERS),
            [2, 0, 0, 0, 0, 1],
            vlans,
            "fe80::200:ff:fe00:1".parse().unwrap(),
            ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
            CLIENT_PORT_V6,
            SERVER_PORT_V6,
            payload.len(),
        )
        .unwrap();
        assert_eq!(n, h + payload.len());
        buf.truncate(n);
        buf
    }

    #[test]
    fn udp6_checksums_match_independent_computation() {
        let tag = [VlanTag {
            tpid: 0x8100,
            tci: 5,
        }];
        for vlans in [&[][..], &tag[..]] {
            for payload in [&b"odd"[..], &b"even"[..], &[0xffu8; 301][..]] {
                let f = build6(vlans, payload);
                let eth = 14 + 4 * vlans.len();
                assert_eq!(&f[eth - 2..eth], &[0x86, 0xdd]);
                let ip = &f[eth..eth + 40];
                let udp = &f[eth + 40..];
                // RFC 8200 §8.1 pseudo-header, summed the textbook way.
                let mut pseudo = Vec::new();
                pseudo.extend_from_slice(&ip[8..40]);
                pseudo.extend_from_slice(&(udp.len() as u32).to_be_bytes());
                pseudo.extend_from_slice(&[0, 0, 0, 17]);
                pseudo.extend_from_slice(udp);
                assert_eq!(textbook_checksum(&pseudo), 0, "UDP sums to zero");
                assert_ne!(u16::from_be_bytes([udp[6], udp[7]]), 0);
                let p = parse_udp6(&f).unwrap();
                assert_eq!(p.payload, payload);
                assert_eq!(&p.vlans[..], vlans);
                assert_eq!((p.src_port, p.dst_port), (546, 547));
                assert_eq!(p.ip_dst, ALL_DHCP_RELAY_AGENTS_AND_SERVERS);
                assert_eq!(p.hop_limit, ipv6::DEFAULT_HOP_LIMIT);
                assert_eq!(p.eth_dst, [0x33, 0x33, 0, 1, 0, 2]);
            }
        }
    }

    /// fe80::1 -> ff02::1:2, 546 -> 547, payload "hi": the frame is laid
    /// out by hand and its checksum summed from the 16-bit words listed
    /// (pseudo-header addresses, length, next header; UDP header; data).
    #[test]
    fn known_good_udp6() {
        let mut f = vec![0u8; 14 + 40 + 8 + 2];
        f[12..14].copy_from_slice(&[0x86, 0xdd]);
        f[14] = 0x60;
        f[18..20].copy_from_slice(&10u16.to_be_bytes());
        f[20] = 17;
        f[21] = 64;
        f[22..38].copy_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
        f[38..54].copy_from_slice(&"ff02::1:2".parse::<Ipv6Addr>().unwrap().octets());
        f[54..62].copy_from_slice(&[0x02, 0x22, 0x02, 0x23, 0, 10, 0, 0]);
        f[62..].copy_from_slice(b"hi");
        let words: u32 = [
            0xfe80u32, 0x0001, 0xff02, 0x0001, 0x0002, 10, 17, 0x0222, 0x0223, 10, 0x6869,
        ]
        .iter()
        .sum();
        let folded = (words & 0xffff) + (words >> 16);
        let c = !(folded as u16);
        f[60..62].copy_from_slice(&c.to_be_bytes());
        let p = parse_udp6(&f).unwrap();
        assert_eq!(p.payload, b"hi");
        let mut mine = vec![0u8; f.len()];
        mine[62..].copy_from_slice(b"hi");
        write_udp6(
            &mut mine,
            [0; 6],
            [0; 6],
            &[],
            "fe80::1".parse().unwrap(),
            ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
            546,
            547,
            2,
        )
        .unwrap();
        assert_eq!(mine, f);
    }

    #[test]
    fn udp6_rejections() {
        let f = build6(&[], b"payload");
        let mut bad = f.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(parse_udp6(&bad).unwrap_err(), Error::BadUdpChecksum);
        let mut zero = f.clone();
        zero[14 + 40 + 6..14 + 40 + 8].fill(0);
        assert_eq!(parse_udp6(&zero).unwrap_err(), Error::BadUdpChecksum);
        let mut v4 = f.clone();
        v4[12..14].copy_from_slice(&[8, 0]);
        assert_eq!(
            parse_udp6(&v4).unwrap_err(),
            Error::NotIpv6 { ethertype: 0x0800 }
        );
        let mut tcp = f.clone();
        tcp[14 + 6] = 6;
        assert_eq!(parse_udp6(&tcp).unwrap_err(), Error::NotUdp { protocol: 6 });
        assert_eq!(
            parse_udp4(&f).unwrap_err(),
            Error::NotIpv4 { ethertype: 0x86dd }
        );
        assert_eq!(
            write_udp6(
                &mut [0u8; 61],
                [0; 6],
                [0; 6],
                &[],
                Ipv6Addr::LOCALHOST,
                Ipv6Addr::LOCALHOST,
                1,
                2,
                0
            ),
            Err(BuildError::NoSpace)
        );
        assert_eq!(
            write_udp6(
                &mut [0u8; 70],
                [0; 6],
                [0; 6],
                &[VlanTag::default(); 3],
                Ipv6Addr::LOCALHOST,
                Ipv6Addr::LOCALHOST,
                1,
                2,
                0
            ),
            Err(BuildError::TooManyVlans)
        );
        assert_eq!(multicast_mac(ALL_DHCP_SERVERS), [0x33, 0x33, 0, 1, 0, 3]);
    }
}
