//! DHCPv4 messages (RFC 2131/2132): a checked zero-copy view, option access
//! with RFC 3396 concatenation and RFC 2131 §4.1 overload, relay agent
//! sub-options (RFC 3046), and an allocation-free builder.

mod builder;
pub mod code;
mod error;
pub mod field;
mod message_type;
mod options;
mod packet;
pub mod relay_agent;

pub use builder::Builder;
pub use error::{BuildError, Error};
pub use field::*;
pub use message_type::MessageType;
pub use options::{Fragments, OptionIter, OptionValue, Options, RawOption};
pub use packet::Packet;

/// RFC 1542 §2.1: relay agents and old BOOTP clients expect at least a
/// 300-byte message, so replies are zero-padded to this length.
pub const BOOTP_MIN_LEN: usize = 300;
/// RFC 2131 §2: every client accepts a 576-byte IP datagram, so 576 is the
/// floor of any maximum message size.
pub const MIN_MAX_MESSAGE_SIZE: usize = 576;
/// IPv4 + UDP header bytes inside a "maximum DHCP message size" (RFC 2132 §9.10).
pub const IP_UDP_OVERHEAD: usize = 28;
/// The server's UDP port.
pub const SERVER_PORT: u16 = 67;
/// The client's UDP port.
pub const CLIENT_PORT: u16 = 68;
/// The magic cookie 99.130.83.99 (RFC 2131 §3).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// `op` of a client message.
pub const BOOTREQUEST: u8 = 1;
/// `op` of a server message.
pub const BOOTREPLY: u8 = 2;
/// Flags bit 15: the client wants broadcast replies (RFC 2131 §4.1).
pub const FLAG_BROADCAST: u16 = 0x8000;
/// Option 52 value: `file` holds options (RFC 2132 §9.3).
pub const OVERLOAD_FILE: u8 = 1;
/// Option 52 value: `sname` holds options.
pub const OVERLOAD_SNAME: u8 = 2;
/// Option 52 value: both hold options.
pub const OVERLOAD_BOTH: u8 = 3;
