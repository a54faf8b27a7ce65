//! IPv6 headers (RFC 8200): a checked view that skips the common extension
//! headers to reach the upper-layer protocol, and a header writer.

use std::net::Ipv6Addr;

use crate::bytes::{ipv6_at, put, u8_at, u16_at};
pub use crate::error::{BuildError, Error};

/// Named header offsets (RFC 8200 §3).
mod field {
    pub const VER_TC_FLOW: usize = 0;
    pub const PAYLOAD_LEN: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = 40;
/// Next header value of UDP.
pub const PROTO_UDP: u8 = 17;
/// Hop-by-Hop Options header (RFC 8200 §4.3).
pub const HOP_BY_HOP: u8 = 0;
/// Routing header (RFC 8200 §4.4).
pub const ROUTING: u8 = 43;
/// Fragment header (RFC 8200 §4.5).
pub const FRAGMENT: u8 = 44;
/// Destination Options header (RFC 8200 §4.6).
pub const DEST_OPTIONS: u8 = 60;
/// No Next Header (RFC 8200 §4.7).
pub const NO_NEXT_HEADER: u8 = 59;
/// Hop limit we send with (Linux default).
pub const DEFAULT_HOP_LIMIT: u8 = 64;
/// Most extension headers skipped before giving up (bounds the walk).
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// Checked view of an IPv6 packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buf: &'a [u8],
    /// Upper-layer protocol after the extension headers.
    upper: u8,
    /// Offset of the upper-layer header.
    upper_at: usize,
}

/// Walks the extension header chain in `payload` starting with `next`;
/// returns the upper-layer protocol and its offset within `payload`.
fn skip_extensions(payload: &[u8], mut next: u8) -> Result<(u8, usize), Error> {
    let mut at = 0usize;
    for _ in 0..=MAX_EXTENSION_HEADERS {
        match next {
            HOP_BY_HOP | ROUTING | DEST_OPTIONS => {
                // Next header, then length in 8-octet units not counting the first.
                if payload.len() < at + 2 {
                    return Err(Error::Truncated);
                }
                let len = (usize::from(u8_at(payload, at + 1)) + 1) * 8;
                if payload.len() < at + len {
                    return Err(Error::Truncated);
                }
                next = u8_at(payload, at);
                at += len;
            }
            FRAGMENT => return Err(Error::Fragmented),
            _ => return Ok((next, at)),
        }
    }
    Err(Error::BadHeaderLength)
}

impl<'a> Packet<'a> {
    /// Validates version and payload length (cut there: link padding is
    /// ignored), then walks hop-by-hop, routing and destination options
    /// headers. A Fragment header is `Fragmented` (no reassembly, as for
    /// IPv4); a zero payload length (jumbogram) is `BadPayloadLength`.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let version = u8_at(buf, field::VER_TC_FLOW) >> 4;
        if version != 6 {
            return Err(Error::BadVersion(version));
        }
        let payload_len = usize::from(u16_at(buf, field::PAYLOAD_LEN));
        let total = HEADER_LEN + payload_len;
        if payload_len == 0 && u8_at(buf, field::NEXT_HEADER) == HOP_BY_HOP {
            return Err(Error::BadPayloadLength);
        }
        let buf = buf.get(..total).ok_or(Error::BadPayloadLength)?;
        let payload = buf.get(HEADER_LEN..).unwrap_or(&[]);
        let (upper, at) = skip_extensions(payload, u8_at(buf, field::NEXT_HEADER))?;
        Ok(Packet {
            buf,
            upper,
            upper_at: HEADER_LEN + at,
        })
    }

    /// Source address.
    pub fn src(&self) -> Ipv6Addr {
        ipv6_at(self.buf, field::SRC)
    }

    /// Destination address.
    pub fn dst(&self) -> Ipv6Addr {
        ipv6_at(self.buf, field::DST)
    }

    /// The fixed header's next header (may be an extension header).
    pub fn next_header(&self) -> u8 {
        u8_at(self.buf, field::NEXT_HEADER)
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buf.get(field::HOP_LIMIT).copied().unwrap_or(0)
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        ((u16_at(self.buf, field::VER_TC_FLOW) >> 4) & 0xff) as u8
    }

    /// Everything after the fixed header, cut at the payload length.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or(&[])
    }

    /// The upper-layer protocol and its bytes after any extension headers;
    /// None for No Next Header (59).
    pub fn upper_layer(&self) -> Option<(u8, &'a [u8])> {
        if self.upper == NO_NEXT_HEADER {
            return None;
        }
        Some((self.upper, self.buf.get(self.upper_at..).unwrap_or(&[])))
    }
}

/// Writes a 40-byte header (traffic class and flow label 0); returns its
/// length.
pub fn write_header(
    buf: &mut [u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    hop_limit: u8,
    payload_len: usize,
) -> Result<usize, BuildError> {
    let len = u16::try_from(payload_len).map_err(|_| BuildError::PayloadTooLarge)?;
    let hdr = buf.get_mut(..HEADER_LEN).ok_or(BuildError::NoSpace)?;
    let ok = put(hdr, field::VER_TC_FLOW, &[0x60, 0, 0, 0])
        && put(hdr, field::PAYLOAD_LEN, &len.to_be_bytes())
        && put(hdr, field::NEXT_HEADER, &[next_header, hop_limit])
        && put(hdr, field::SRC, &src.octets())
        && put(hdr, field::DST, &dst.octets());
    if ok {
        Ok(HEADER_LEN)
    } else {
        Err(BuildError::NoSpace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(next: u8, payload_len: u16) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN + usize::from(payload_len)];
        write_header(
            &mut b,
            "fe80::1".parse().unwrap(),
            "ff02::1:2".parse().unwrap(),
            next,
            1,
            payload_len.into(),
        )
        .unwrap();
        b
    }

    #[test]
    fn plain_udp() {
        let mut b = header(PROTO_UDP, 8);
        b.extend_from_slice(&[0xee; 3]); // link padding
        let p = Packet::new_checked(&b).unwrap();
        assert_eq!(p.src(), "fe80::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(p.dst(), "ff02::1:2".parse::<Ipv6Addr>().unwrap());
        assert_eq!((p.next_header(), p.hop_limit()), (PROTO_UDP, 1));
        assert_eq!(p.payload().len(), 8);
        assert_eq!(p.upper_layer().unwrap().1.len(), 8);
        assert_eq!(b[..4], [0x60, 0, 0, 0]);
    }

    #[test]
    fn extension_headers_skipped() {
        // Hop-by-hop (8 bytes, router alert) -> destination options (16) -> UDP.
        let mut b = header(HOP_BY_HOP, 8 + 16 + 8);
        b[40] = DEST_OPTIONS;
        b[41] = 0;
        b[42..46].copy_from_slice(&[5, 2, 0, 0]);
        b[48] = PROTO_UDP;
        b[49] = 1;
        let p = Packet::new_checked(&b).unwrap();
        let (proto, upper) = p.upper_layer().unwrap();
        assert_eq!((proto, upper.len()), (PROTO_UDP, 8));
        assert_eq!(p.next_header(), HOP_BY_HOP);
        // Extension length past the payload.
        b[49] = 3;
        assert_eq!(Packet::new_checked(&b).unwrap_err(), Error::Truncated);
    }

    #[test]
    fn rejects() {
        let mut b = header(FRAGMENT, 16);
        assert_eq!(Packet::new_checked(&b).unwrap_err(), Error::Fragmented);
        b[6] = NO_NEXT_HEADER;
        assert!(Packet::new_checked(&b).unwrap().upper_layer().is_none());
        b[5] = 17;
        assert_eq!(
            Packet::new_checked(&b).unwrap_err(),
            Error::BadPayloadLength
        );
        b[0] = 0x45;
        assert_eq!(Packet::new_checked(&b).unwrap_err(), Error::BadVersion(4));
        assert_eq!(Packet::new_checked(&b[..39]).unwrap_err(), Error::Truncated);
        let jumbo = header(HOP_BY_HOP, 0);
        assert_eq!(
            Packet::new_checked(&jumbo).unwrap_err(),
            Error::BadPayloadLength
        );
        // A chain longer than MAX_EXTENSION_HEADERS.
        let mut long = header(DEST_OPTIONS, 8 * 10);
        for i in 0..10 {
            long[40 + 8 * i] = DEST_OPTIONS;
        }
        assert_eq!(
            Packet::new_checked(&long).unwrap_err(),
            Error::BadHeaderLength
        );
        assert_eq!(
            write_header(
                &mut [0u8; 39],
                Ipv6Addr::LOCALHOST,
                Ipv6Addr::LOCALHOST,
                17,
                1,
                0
            ),
            Err(BuildError::NoSpace)
        );
        assert_eq!(
            write_header(
                &mut [0u8; 40],
                Ipv6Addr::LOCALHOST,
                Ipv6Addr::LOCALHOST,
                17,
                1,
                65536
            ),
            Err(BuildError::PayloadTooLarge)
        );
    }
}
