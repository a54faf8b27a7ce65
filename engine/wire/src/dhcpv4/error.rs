//! DHCPv4 parse and build errors.

use std::fmt;

/// Why a DHCPv4 message was rejected by [`super::Packet::new_checked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the 240-byte fixed header + cookie.
    Truncated {
        /// The buffer length.
        len: usize,
    },
    /// The magic cookie is not 99.130.83.99.
    BadMagic([u8; 4]),
    /// An option's length runs past the end of its area.
    BadOptionLength {
        /// The option code.
        code: u8,
        /// Offset of the option's code byte in the message.
        offset: usize,
    },
    /// Option 52 is not one byte of value 1, 2 or 3 (RFC 2132 §9.3).
    BadOverload,
    /// Option 52 appears inside `file` or `sname` (RFC 2131 §4.1 allows it
    /// only in `options`; honouring it could loop).
    OverloadLoop {
        /// Offset of the offending option.
        offset: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { len } => write!(f, "DHCP message too short ({len} bytes, need 240)"),
            Error::BadMagic(m) => write!(f, "bad magic cookie {}.{}.{}.{}", m[0], m[1], m[2], m[3]),
            Error::BadOptionLength { code, offset } => {
                write!(f, "option {code} at offset {offset} runs past its area")
            }
            Error::BadOverload => f.write_str("malformed option overload (52)"),
            Error::OverloadLoop { offset } => {
                write!(
                    f,
                    "option overload (52) inside file/sname at offset {offset}"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

/// Why a message could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// The buffer is smaller than [`super::BOOTP_MIN_LEN`].
    BufferTooSmall {
        /// The buffer length.
        len: usize,
    },
    /// The options do not fit, even with overload.
    NoSpace,
    /// `chaddr` longer than 16 bytes.
    ChaddrTooLong,
    /// `sname`/`file` text too long (63/127 bytes plus NUL).
    FieldTooLong {
        /// "sname" or "file".
        field: &'static str,
    },
    /// `sname`/`file` set after options were already overloaded into it.
    FieldInUse {
        /// "sname" or "file".
        field: &'static str,
    },
    /// Pad (0) and End (255) cannot carry data.
    ReservedCode(u8),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::BufferTooSmall { len } => {
                write!(
                    f,
                    "buffer of {len} bytes is below the 300-byte BOOTP minimum"
                )
            }
            BuildError::NoSpace => f.write_str("options do not fit in the message"),
            BuildError::ChaddrTooLong => f.write_str("chaddr longer than 16 bytes"),
            BuildError::FieldTooLong { field } => write!(f, "{field} text too long"),
            BuildError::FieldInUse { field } => {
                write!(f, "{field} already holds overloaded options")
            }
            BuildError::ReservedCode(c) => write!(f, "option code {c} cannot carry data"),
        }
    }
}

impl std::error::Error for BuildError {}
