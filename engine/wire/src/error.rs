//! Errors for the framing layers (Ethernet, IPv4, IPv6, UDP, `frame`); DHCP
//! has its own in [`crate::dhcpv4`] and [`crate::dhcpv6`].

use std::fmt;

/// Why a frame, IP packet or UDP datagram was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the header (or the length it announces) does.
    Truncated,
    /// More than two VLAN tags (only 802.1Q and QinQ are supported).
    TooManyVlans,
    /// The Ethernet payload is not IPv4.
    NotIpv4 {
        /// The inner ethertype found.
        ethertype: u16,
    },
    /// The Ethernet payload is not IPv6.
    NotIpv6 {
        /// The inner ethertype found.
        ethertype: u16,
    },
    /// IP version field is not the expected one (4 or 6).
    BadVersion(u8),
    /// IHL below 5 or past the buffer.
    BadHeaderLength,
    /// IPv4 total length smaller than the header or larger than the buffer.
    BadTotalLength,
    /// IPv4 header checksum mismatch.
    BadIpChecksum,
    /// IPv6 payload length past the buffer, or zero (jumbogram, RFC 2675).
    BadPayloadLength,
    /// A fragment (IPv4 MF set or offset non-zero, or an IPv6 Fragment
    /// header); DHCP never needs reassembly.
    Fragmented,
    /// The IP payload is not UDP.
    NotUdp {
        /// The IP protocol number found.
        protocol: u8,
    },
    /// UDP length field below 8 or past the IP payload.
    BadUdpLength,
    /// UDP checksum mismatch (or absent over IPv6, RFC 8200 §8.1).
    BadUdpChecksum,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("truncated header"),
            Error::TooManyVlans => f.write_str("more than two VLAN tags"),
            Error::NotIpv4 { ethertype } => write!(f, "ethertype {ethertype:#06x} is not IPv4"),
            Error::NotIpv6 { ethertype } => write!(f, "ethertype {ethertype:#06x} is not IPv6"),
            Error::BadVersion(v) => write!(f, "unexpected IP version {v}"),
            Error::BadHeaderLength => f.write_str("bad IPv4 header length"),
            Error::BadTotalLength => f.write_str("bad IPv4 total length"),
            Error::BadIpChecksum => f.write_str("bad IPv4 header checksum"),
            Error::BadPayloadLength => f.write_str("bad IPv6 payload length"),
            Error::Fragmented => f.write_str("IP fragment"),
            Error::NotUdp { protocol } => write!(f, "IP protocol {protocol} is not UDP"),
            Error::BadUdpLength => f.write_str("bad UDP length"),
            Error::BadUdpChecksum => f.write_str("bad UDP checksum"),
        }
    }
}

impl std::error::Error for Error {}

/// Why a header could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// The buffer is too small for the headers (plus payload).
    NoSpace,
    /// More than two VLAN tags requested.
    TooManyVlans,
    /// The payload does not fit the 16-bit IP/UDP length fields.
    PayloadTooLarge,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoSpace => f.write_str("buffer too small"),
            BuildError::TooManyVlans => f.write_str("more than two VLAN tags"),
            BuildError::PayloadTooLarge => f.write_str("payload too large for IP/UDP"),
        }
    }
}

impl std::error::Error for BuildError {}
