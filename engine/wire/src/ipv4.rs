//! IPv4 headers (RFC 791): a checked view and a header writer.

use std::net::Ipv4Addr;

use crate::bytes::{ipv4_at, put, u8_at, u16_at};
use crate::checksum;
pub use crate::error::{BuildError, Error};

/// Named header offsets.
mod field {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const TOTAL_LEN: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;
/// Protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// TTL we send with (Linux default).
pub const DEFAULT_TTL: u8 = 64;

const MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// Checked view of an IPv4 packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buf: &'a [u8],
    header_len: usize,
    total_len: usize,
}

impl<'a> Packet<'a> {
    /// Validates version, IHL, total length and header checksum; rejects
    /// fragments (a DHCP message is never legitimately fragmented by us, and
    /// reassembly is a DoS surface). IP options are allowed and skipped.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let vi = u8_at(buf, field::VER_IHL);
        if vi >> 4 != 4 {
            return Err(Error::BadVersion(vi >> 4));
        }
        let header_len = usize::from(vi & 0x0f) * 4;
        if header_len < HEADER_LEN || header_len > buf.len() {
            return Err(Error::BadHeaderLength);
        }
        let total_len = usize::from(u16_at(buf, field::TOTAL_LEN));
        if total_len < header_len || total_len > buf.len() {
            return Err(Error::BadTotalLength);
        }
        let header = buf.get(..header_len).ok_or(Error::BadHeaderLength)?;
        if checksum::checksum(header) != 0 {
            return Err(Error::BadIpChecksum);
        }
        let ff = u16_at(buf, field::FLAGS_FRAG);
        if ff & MF != 0 || ff & OFFSET_MASK != 0 {
            return Err(Error::Fragmented);
        }
        Ok(Packet {
            buf,
            header_len,
            total_len,
        })
    }

    /// Source address.
    pub fn src(&self) -> Ipv4Addr {
        ipv4_at(self.buf, field::SRC)
    }

    /// Destination address.
    pub fn dst(&self) -> Ipv4Addr {
        ipv4_at(self.buf, field::DST)
    }

    /// Protocol number.
    pub fn protocol(&self) -> u8 {
        u8_at(self.buf, field::PROTOCOL)
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        u8_at(self.buf, field::TTL)
    }

    /// Type of service / DSCP+ECN byte.
    pub fn tos(&self) -> u8 {
        u8_at(self.buf, field::TOS)
    }

    /// Header length including options.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Total length from the header (excludes link-layer padding).
    pub fn total_len(&self) -> usize {
        self.total_len
    }

    /// The payload, cut at the total length.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len..self.total_len).unwrap_or(&[])
    }
}

/// Writes a 20-byte header (no options, DF clear, id 0) with its checksum;
/// returns the header length.
pub fn write_header(
    buf: &mut [u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    ttl: u8,
    payload_len: usize,
) -> Result<usize, BuildError> {
    let total = u16::try_from(HEADER_LEN + payload_len).map_err(|_| BuildError::PayloadTooLarge)?;
    let hdr = buf.get_mut(..HEADER_LEN).ok_or(BuildError::NoSpace)?;
    hdr.fill(0);
    let ok = put(hdr, field::VER_IHL, &[0x45, 0])
        && put(hdr, field::TOTAL_LEN, &total.to_be_bytes())
        && put(hdr, field::IDENT, &[0, 0, 0, 0])
        && put(hdr, field::TTL, &[ttl, protocol])
        && put(hdr, field::SRC, &src.octets())
        && put(hdr, field::DST, &dst.octets());
    let sum = checksum::checksum(hdr);
    if ok && put(hdr, field::CHECKSUM, &sum.to_be_bytes()) {
        Ok(HEADER_LEN)
    } else {
        Err(BuildError::NoSpace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A well-known header (Wikipedia "IPv4 header checksum" example).
    const KNOWN: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    #[test]
    fn known_good_header() {
        let mut buf = KNOWN.to_vec();
        buf.resize(0x73, 0);
        let p = Packet::new_checked(&buf).unwrap();
        assert_eq!(p.src(), Ipv4Addr::new(192, 168, 0, 1));
        assert_eq!(p.dst(), Ipv4Addr::new(192, 168, 0, 199));
        assert_eq!(p.protocol(), PROTO_UDP);
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.payload().len(), 0x73 - 20);
        buf[11] ^= 1;
        assert_eq!(Packet::new_checked(&buf).unwrap_err(), Error::BadIpChecksum);
    }

    #[test]
    fn write_matches_independent_sum() {
        let mut buf = [0u8; 20];
        write_header(
            &mut buf,
            Ipv4Addr::new(192, 168, 0, 1),
            Ipv4Addr::new(192, 168, 0, 199),
            PROTO_UDP,
            64,
            0x73 - 20,
        )
        .unwrap();
        // Same as KNOWN except DF is clear: checksum rises by 0x4000.
        let mut expect = KNOWN;
        expect[6] = 0;
        expect[10..12].copy_from_slice(&(0xb861u16 + 0x4000).to_be_bytes());
        assert_eq!(buf, expect);
    }

    #[test]
    fn rejects_fragments_and_bad_lengths() {
        let mut buf = [0u8; 20];
        write_header(&mut buf, Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 17, 1, 0).unwrap();
        let mut frag = buf;
        frag[6] = 0x20; // MF
        frag[10..12].fill(0);
        let c = checksum::checksum(&frag);
        frag[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(Packet::new_checked(&frag).unwrap_err(), Error::Fragmented);
        let mut long = buf;
        long[3] = 21;
        assert!(Packet::new_checked(&long).is_err());
        assert_eq!(
            write_header(
                &mut buf,
                Ipv4Addr::LOCALHOST,
                Ipv4Addr::LOCALHOST,
                17,
                1,
                65536
            ),
            Err(BuildError::PayloadTooLarge)
        );
    }
}
