//! DHCPv6 parse and build errors.

use std::fmt;

use super::MessageType;

/// Why a DHCPv6 message was rejected. Offsets are from the start of the
/// message being checked (for relayed messages: the innermost one that
/// failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the 4-byte client/server header or the 34-byte relay
    /// header (RFC 8415 §8, §9).
    Truncated {
        /// The buffer length.
        len: usize,
    },
    /// `msg-type` 0 or unassigned.
    UnknownMessageType(u8),
    /// A relay message given to a client/server message parser.
    UnexpectedRelay(MessageType),
    /// A client/server message given to a relay message parser.
    NotRelay(MessageType),
    /// An option (or its 4-byte header) runs past its container: the
    /// message, or the IA/address/prefix option holding it.
    BadOptionLength {
        /// The option code (0 when even the code is cut).
        code: u16,
        /// Offset of the option's code.
        offset: usize,
    },
    /// An option shorter than its fixed part (IA_NA 12, IA_TA 4, IA_PD 12,
    /// IAADDR 24, IAPREFIX 25, STATUS_CODE 2 bytes).
    ShortOption {
        /// The option code.
        code: u16,
        /// Offset of the option's code.
        offset: usize,
    },
    /// A relay message without a Relay Message option (RFC 8415 §21.10).
    MissingRelayMessage {
        /// Nesting level, 0 = outermost.
        level: usize,
    },
    /// More nested relay messages than HOP_COUNT_LIMIT (RFC 8415 §7.6).
    TooManyRelays,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { len } => write!(f, "DHCPv6 message too short ({len} bytes)"),
            Error::UnknownMessageType(t) => write!(f, "unknown DHCPv6 message type {t}"),
            Error::UnexpectedRelay(t) => write!(f, "{t} is a relay message"),
            Error::NotRelay(t) => write!(f, "{t} is not a relay message"),
            Error::BadOptionLength { code, offset } => {
                write!(
                    f,
                    "option {code} at offset {offset} runs past its container"
                )
            }
            Error::ShortOption { code, offset } => {
                write!(f, "option {code} at offset {offset} is too short")
            }
            Error::MissingRelayMessage { level } => {
                write!(f, "relay message at level {level} has no relay-msg option")
            }
            Error::TooManyRelays => f.write_str("more than 8 nested relay messages"),
        }
    }
}

impl std::error::Error for Error {}

/// Why a message could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// The buffer is full.
    NoSpace,
    /// An option's data would exceed 65535 bytes.
    TooLong,
    /// A relay type given to [`super::Builder`], or a client/server type to
    /// [`super::RelayBuilder`].
    WrongMessageType(MessageType),
    /// [`super::OptionWriter::end`] called for a nest that is not the
    /// innermost open one.
    NestMismatch,
    /// `finish` called with nests still open.
    UnclosedNest,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoSpace => f.write_str("DHCPv6 message does not fit the buffer"),
            BuildError::TooLong => f.write_str("option longer than 65535 bytes"),
            BuildError::WrongMessageType(t) => write!(f, "{t} cannot be built with this builder"),
            BuildError::NestMismatch => f.write_str("nested options closed out of order"),
            BuildError::UnclosedNest => f.write_str("nested option left open"),
        }
    }
}

impl std::error::Error for BuildError {}
