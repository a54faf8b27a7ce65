//! DHCPv6 messages (RFC 8415): checked zero-copy views of client/server
//! and relay messages, typed access to options and identity associations,
//! relay-chain unwrapping, and allocation-free builders.

mod builder;
pub mod code;
mod error;
mod ia;
mod message;
mod message_type;
mod options;
mod status;

pub use builder::{Builder, Nest, OptionWriter, RelayBuilder};
pub use code::StatusCode;
pub use error::{BuildError, Error};
pub use ia::{FromOption, IaAddr, IaNa, IaPd, IaPrefix, IaTa, Typed};
pub use message::{
    Dhcpv6, HEADER_LEN, Message, RELAY_HEADER_LEN, RelayChain, RelayLevel, RelayMessage,
    unwrap_relays,
};
pub use message_type::MessageType;
pub use options::{GetAll, OptionIter, Options, Oro, RawOption6};

pub use crate::frame::{
    ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ALL_DHCP_SERVERS, CLIENT_PORT_V6, SERVER_PORT_V6,
    multicast_mac,
};

/// Most relay levels a message can carry (RFC 8415 §7.6 HOP_COUNT_LIMIT).
pub const HOP_COUNT_LIMIT: usize = 8;
/// The transaction id is 24 bits (RFC 8415 §8).
pub const XID_MASK: u32 = 0x00ff_ffff;
