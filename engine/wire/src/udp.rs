//! UDP datagrams (RFC 768) over IPv4 and IPv6 (RFC 8200 §8.1).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::bytes::{put, u16_at};
use crate::checksum;
pub use crate::error::{BuildError, Error};
use crate::ipv4::PROTO_UDP;

/// Named header offsets.
mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const CHECKSUM: usize = 6;
}

/// UDP header length.
pub const HEADER_LEN: usize = 8;

/// Checked view of a UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    buf: &'a [u8],
}

impl<'a> Datagram<'a> {
    /// Validates that the length field is at least 8 and within `buf`;
    /// bytes past the length field (IP padding) are ignored.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let len = usize::from(u16_at(buf, field::LENGTH));
        if len < HEADER_LEN || len > buf.len() {
            return Err(Error::BadUdpLength);
        }
        Ok(Datagram {
            buf: buf.get(..len).ok_or(Error::BadUdpLength)?,
        })
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        u16_at(self.buf, field::SRC_PORT)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        u16_at(self.buf, field::DST_PORT)
    }

    /// The checksum field (0 = not computed by the sender).
    pub fn checksum(&self) -> u16 {
        u16_at(self.buf, field::CHECKSUM)
    }

    /// The payload, cut at the length field.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or(&[])
    }

    /// True when the checksum matches or is absent (0 means "none" over
    /// IPv4, RFC 768).
    pub fn verify_checksum_v4(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        if self.checksum() == 0 {
            return true;
        }
        // Length fits u16: it came from the header.
        let len = self.buf.len() as u16;
        let acc = checksum::pseudo_header_v4(src, dst, PROTO_UDP, len);
        checksum::finish(checksum::sum(acc, self.buf)) == 0
    }

    /// True when the checksum matches. Over IPv6 it is mandatory: a zero
    /// field is invalid (RFC 8200 §8.1).
    pub fn verify_checksum_v6(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        if self.checksum() == 0 {
            return false;
        }
        let len = self.buf.len() as u32;
        let acc = checksum::pseudo_header_v6(src, dst, PROTO_UDP, len);
        checksum::finish(checksum::sum(acc, self.buf)) == 0
    }
}

/// Checksum value for a datagram (header with zero checksum + payload);
/// a computed 0 is sent as 0xffff (RFC 768).
fn datagram_checksum(src: Ipv4Addr, dst: Ipv4Addr, header: &[u8], payload: &[u8], len: u16) -> u16 {
    let acc = checksum::pseudo_header_v4(src, dst, PROTO_UDP, len);
    let c = checksum::finish(checksum::sum(checksum::sum(acc, header), payload));
    if c == 0 { 0xffff } else { c }
}

/// The same for IPv6: a computed 0 is sent as 0xffff (RFC 8200 §8.1).
fn datagram_checksum_v6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    header: &[u8],
    payload: &[u8],
    len: u16,
) -> u16 {
    let acc = checksum::pseudo_header_v6(src, dst, PROTO_UDP, len.into());
    let c = checksum::finish(checksum::sum(checksum::sum(acc, header), payload));
    if c == 0 { 0xffff } else { c }
}

fn fill_header(buf: &mut [u8], src_port: u16, dst_port: u16, len: u16) -> Result<(), BuildError> {
    let hdr = buf.get_mut(..HEADER_LEN).ok_or(BuildError::NoSpace)?;
    let ok = put(hdr, field::SRC_PORT, &src_port.to_be_bytes())
        && put(hdr, field::DST_PORT, &dst_port.to_be_bytes())
        && put(hdr, field::LENGTH, &len.to_be_bytes())
        && put(hdr, field::CHECKSUM, &[0, 0]);
    if ok { Ok(()) } else { Err(BuildError::NoSpace) }
}

fn udp_len(payload_len: usize) -> Result<u16, BuildError> {
    u16::try_from(HEADER_LEN + payload_len).map_err(|_| BuildError::PayloadTooLarge)
}

/// Writes the 8-byte header into `buf` for `payload` (which lives
/// elsewhere), checksum included; returns the header length.
pub fn write_header_v4(
    buf: &mut [u8],
    src_ip: Ipv4Addr,
    dst_ip: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> Result<usize, BuildError> {
    let len = udp_len(payload.len())?;
    fill_header(buf, src_port, dst_port, len)?;
    let hdr = buf.get_mut(..HEADER_LEN).ok_or(BuildError::NoSpace)?;
    let c = datagram_checksum(src_ip, dst_ip, hdr, payload, len);
    if put(hdr, field::CHECKSUM, &c.to_be_bytes()) {
        Ok(HEADER_LEN)
    } else {
        Err(BuildError::NoSpace)
    }
}

/// Like [`write_header_v4`] but the payload already sits in `buf` right
/// after the header (zero-copy replies); returns header + payload length.
pub fn write_header_v4_in_place(
    buf: &mut [u8],
    src_ip: Ipv4Addr,
    dst_ip: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    payload_len: usize,
) -> Result<usize, BuildError> {
    let len = udp_len(payload_len)?;
    let total = usize::from(len);
    let dgram = buf.get_mut(..total).ok_or(BuildError::NoSpace)?;
    fill_header(dgram, src_port, dst_port, len)?;
    let (hdr, payload) = dgram.split_at_mut(HEADER_LEN);
    let c = datagram_checksum(src_ip, dst_ip, hdr, payload, len);
    if put(hdr, field::CHECKSUM, &c.to_be_bytes()) {
        Ok(total)
    } else {
        Err(BuildError::NoSpace)
    }
}

/// Writes the 8-byte header into `buf` for `payload` (which lives
/// elsewhere), with the IPv6 checksum; returns the header length.
pub fn write_header_v6(
    buf: &mut [u8],
    src_ip: Ipv6Addr,
    dst_ip: Ipv6Addr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> Result<usize, BuildError> {
    let len = udp_len(payload.len())?;
    fill_header(buf, src_port, dst_port, len)?;
    let hdr = buf.get_mut(..HEADER_LEN).ok_or(BuildError::NoSpace)?;
    let c = datagram_checksum_v6(src_ip, dst_ip, hdr, payload, len);
    if put(hdr, field::CHECKSUM, &c.to_be_bytes()) {
        Ok(HEADER_LEN)
    } else {
        Err(BuildError::NoSpace)
    }
}

/// Like [`write_header_v6`] but the payload already sits in `buf` right
/// after the header; returns header + payload length.
pub fn write_header_v6_in_place(
    buf: &mut [u8],
    src_ip: Ipv6Addr,
    dst_ip: Ipv6Addr,
    src_port: u16,
    dst_port: u16,
    payload_len: usize,
) -> Result<usize, BuildError> {
    let len = udp_len(payload_len)?;
    let total = usize::from(len);
    let dgram = buf.get_mut(..total).ok_or(BuildError::NoSpace)?;
    fill_header(dgram, src_port, dst_port, len)?;
    let (hdr, payload) = dgram.split_at_mut(HEADER_LEN);
    let c = datagram_checksum_v6(src_ip, dst_ip, hdr, payload, len);
    if put(hdr, field::CHECKSUM, &c.to_be_bytes()) {
        Ok(total)
    } else {
        Err(BuildError::NoSpace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_verify() {
        let src = Ipv4Addr::new(10, 0, 0, 1);
        let dst = Ipv4Addr::new(10, 0, 0, 2);
        let payload = b"hello dhcp";
        let mut buf = [0u8; 18];
        buf[8..].copy_from_slice(payload);
        let n = write_header_v4(&mut buf, src, dst, 67, 68, payload).unwrap();
        assert_eq!(n, 8);
        let d = Datagram::new_checked(&buf).unwrap();
        assert!(d.verify_checksum_v4(src, dst));
        assert!(!d.verify_checksum_v4(src, Ipv4Addr::new(10, 0, 0, 3)));
        assert_eq!(d.payload(), payload);
        assert_eq!((d.src_port(), d.dst_port()), (67, 68));
        let mut buf2 = [0u8; 18];
        buf2[8..].copy_from_slice(payload);
        assert_eq!(
            write_header_v4_in_place(&mut buf2, src, dst, 67, 68, 10),
            Ok(18)
        );
        assert_eq!(buf, buf2);
    }

    #[test]
    fn zero_checksum_means_none() {
        let buf = [0, 67, 0, 68, 0, 8, 0, 0];
        let d = Datagram::new_checked(&buf).unwrap();
        assert!(d.verify_checksum_v4(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST));
        assert_eq!(
            Datagram::new_checked(&[0, 67, 0, 68, 0, 7, 0, 0]).unwrap_err(),
            Error::BadUdpLength
        );
        assert_eq!(
            Datagram::new_checked(&[0, 67, 0, 68, 0, 9, 0, 0]).unwrap_err(),
            Error::BadUdpLength
        );
    }

    #[test]
    fn v6_checksum() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "ff02::1:2".parse().unwrap();
        let payload = b"dhcpv6!";
        let mut buf = [0u8; 15];
        buf[8..].copy_from_slice(payload);
        assert_eq!(
            write_header_v6(&mut buf, src, dst, 546, 547, payload),
            Ok(8)
        );
        let d = Datagram::new_checked(&buf).unwrap();
        assert!(d.verify_checksum_v6(src, dst));
        assert!(!d.verify_checksum_v6(src, "ff02::1:3".parse().unwrap()));
        let mut buf2 = [0u8; 15];
        buf2[8..].copy_from_slice(payload);
        assert_eq!(
            write_header_v6_in_place(&mut buf2, src, dst, 546, 547, 7),
            Ok(15)
        );
        assert_eq!(buf, buf2);
        // Zero means "no checksum", which IPv6 forbids.
        buf[6..8].fill(0);
        assert!(
            !Datagram::new_checked(&buf)
                .unwrap()
                .verify_checksum_v6(src, dst)
        );
    }
}
