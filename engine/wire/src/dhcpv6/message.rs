//! Checked views of client/server messages (RFC 8415 §8) and relay
//! messages (RFC 8415 §9), and relay-chain unwrapping.

use std::net::Ipv6Addr;
use std::ops::Deref;

use super::options::{Level, Options, validate};
use super::{Error, HOP_COUNT_LIMIT, MessageType, XID_MASK, code};
use crate::bytes::{ipv6_at, u8_at, u32_at};

/// Named offsets of the client/server header.
mod field {
    pub const MSG_TYPE: usize = 0;
    /// The type byte and the 24-bit transaction id, read as one u32.
    pub const TYPE_XID: usize = 0;
    pub const OPTIONS: usize = 4;
}

/// Named offsets of the relay header.
mod relay_field {
    pub const HOP_COUNT: usize = 1;
    pub const LINK_ADDRESS: usize = 2;
    pub const PEER_ADDRESS: usize = 18;
    pub const OPTIONS: usize = 34;
}

/// Client/server header length.
pub const HEADER_LEN: usize = field::OPTIONS;
/// Relay header length.
pub const RELAY_HEADER_LEN: usize = relay_field::OPTIONS;

fn msg_type_of(buf: &[u8]) -> Result<MessageType, Error> {
    let t = buf
        .get(field::MSG_TYPE)
        .copied()
        .ok_or(Error::Truncated { len: buf.len() })?;
    MessageType::from_u8(t).ok_or(Error::UnknownMessageType(t))
}

/// A client/server message, validated by [`Message::new_checked`].
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    buf: &'a [u8],
    msg_type: MessageType,
}

impl<'a> Message<'a> {
    /// Checks the header and walks every option, including the options
    /// inside IA_NA, IA_TA, IA_PD and their IAADDR/IAPREFIX, so accessors
    /// cannot fail. Unknown message types and relay messages are errors.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated { len: buf.len() });
        }
        let msg_type = msg_type_of(buf)?;
        if msg_type.is_relay() {
            return Err(Error::UnexpectedRelay(msg_type));
        }
        validate(
            buf.get(field::OPTIONS..).unwrap_or(&[]),
            field::OPTIONS,
            Level::Message,
        )?;
        Ok(Message { buf, msg_type })
    }

    /// Message type.
    pub fn msg_type(&self) -> MessageType {
        self.msg_type
    }

    /// The 24-bit transaction id (RFC 8415 §8).
    pub fn transaction_id(&self) -> u32 {
        u32_at(self.buf, field::TYPE_XID) & XID_MASK
    }

    /// The options.
    pub fn options(&self) -> Options<'a> {
        Options::new(self.buf.get(field::OPTIONS..).unwrap_or(&[]))
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

/// A RELAY-FORW or RELAY-REPL message, validated by
/// [`RelayMessage::new_checked`].
#[derive(Debug, Clone, Copy)]
pub struct RelayMessage<'a> {
    buf: &'a [u8],
    msg_type: MessageType,
}

impl<'a> RelayMessage<'a> {
    /// Checks the 34-byte relay header and walks every option (the
    /// relayed message itself is not parsed; see [`unwrap_relays`]).
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < RELAY_HEADER_LEN {
            return Err(Error::Truncated { len: buf.len() });
        }
        let msg_type = msg_type_of(buf)?;
        if !msg_type.is_relay() {
            return Err(Error::NotRelay(msg_type));
        }
        validate(
            buf.get(relay_field::OPTIONS..).unwrap_or(&[]),
            relay_field::OPTIONS,
            Level::Message,
        )?;
        Ok(RelayMessage { buf, msg_type })
    }

    /// RELAY-FORW or RELAY-REPL.
    pub fn msg_type(&self) -> MessageType {
        self.msg_type
    }

    /// Relays this message passed through before (RFC 8415 §9.1).
    pub fn hop_count(&self) -> u8 {
        u8_at(self.buf, relay_field::HOP_COUNT)
    }

    /// Link address: identifies the client's link (may be `::`).
    pub fn link_address(&self) -> Ipv6Addr {
        ipv6_at(self.buf, relay_field::LINK_ADDRESS)
    }

    /// Peer address: the client or relay the message came from.
    pub fn peer_address(&self) -> Ipv6Addr {
        ipv6_at(self.buf, relay_field::PEER_ADDRESS)
    }

    /// The relay's options.
    pub fn options(&self) -> Options<'a> {
        Options::new(self.buf.get(relay_field::OPTIONS..).unwrap_or(&[]))
    }

    /// The relayed message (option 9), unparsed.
    pub fn relay_message(&self) -> Option<&'a [u8]> {
        self.options().relay_message()
    }

    /// Interface-Id (18).
    pub fn interface_id(&self) -> Option<&'a [u8]> {
        self.options().interface_id()
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

/// Either kind of DHCPv6 message.
#[derive(Debug, Clone, Copy)]
pub enum Dhcpv6<'a> {
    /// Client/server message.
    Client(Message<'a>),
    /// RELAY-FORW / RELAY-REPL.
    Relay(RelayMessage<'a>),
}

impl<'a> Dhcpv6<'a> {
    /// Parses by the message type byte.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        if msg_type_of(buf)?.is_relay() {
            RelayMessage::new_checked(buf).map(Dhcpv6::Relay)
        } else {
            Message::new_checked(buf).map(Dhcpv6::Client)
        }
    }

    /// Message type.
    pub fn msg_type(&self) -> MessageType {
        match self {
            Dhcpv6::Client(m) => m.msg_type(),
            Dhcpv6::Relay(r) => r.msg_type(),
        }
    }

    /// The message's own options.
    pub fn options(&self) -> Options<'a> {
        match self {
            Dhcpv6::Client(m) => m.options(),
            Dhcpv6::Relay(r) => r.options(),
        }
    }
}

/// One relay level's header and options, kept to build the matching
/// RELAY-REPL (RFC 8415 §19.3: echo hop count, addresses and interface-id).
#[derive(Debug, Clone, Copy)]
pub struct RelayLevel<'a> {
    /// RELAY-FORW or RELAY-REPL.
    pub msg_type: MessageType,
    /// Hop count.
    pub hop_count: u8,
    /// Link address.
    pub link: Ipv6Addr,
    /// Peer address.
    pub peer: Ipv6Addr,
    /// Interface-Id (18), if the relay sent one.
    pub interface_id: Option<&'a [u8]>,
    /// All of the relay's options (relay-msg included).
    pub options: Options<'a>,
}

impl Default for RelayLevel<'_> {
    fn default() -> Self {
        RelayLevel {
            msg_type: MessageType::RelayForw,
            hop_count: 0,
            link: Ipv6Addr::UNSPECIFIED,
            peer: Ipv6Addr::UNSPECIFIED,
            interface_id: None,
            options: Options::default(),
        }
    }
}

/// The relay levels around a message, outermost first, stored inline (no
/// allocation). Derefs to `&[RelayLevel]`; empty for a direct message.
#[derive(Debug, Clone, Copy, Default)]
pub struct RelayChain<'a> {
    levels: [RelayLevel<'a>; HOP_COUNT_LIMIT],
    len: usize,
}

impl<'a> RelayChain<'a> {
    /// The levels, outermost (the one the server received) first.
    pub fn as_slice(&self) -> &[RelayLevel<'a>] {
        self.levels.get(..self.len).unwrap_or(&[])
    }

    /// The relay closest to the client (the innermost level).
    pub fn innermost(&self) -> Option<&RelayLevel<'a>> {
        self.as_slice().last()
    }

    fn push(&mut self, level: RelayLevel<'a>) -> Result<(), Error> {
        let slot = self.levels.get_mut(self.len).ok_or(Error::TooManyRelays)?;
        *slot = level;
        self.len += 1;
        Ok(())
    }
}

impl<'a> Deref for RelayChain<'a> {
    type Target = [RelayLevel<'a>];
    fn deref(&self) -> &[RelayLevel<'a>] {
        self.as_slice()
    }
}

/// Descends nested RELAY-FORW/RELAY-REPL messages to the client/server
/// message inside, recording each level. More than [`HOP_COUNT_LIMIT`]
/// levels is an error (RFC 8415 §19.1.1: relays drop a RELAY-FORW whose
/// hop count has reached the limit, so a server never sees more).
pub fn unwrap_relays(buf: &[u8]) -> Result<(Message<'_>, RelayChain<'_>), Error> {
    let mut chain = RelayChain::default();
    let mut cur = buf;
    while msg_type_of(cur)?.is_relay() {
        let r = RelayMessage::new_checked(cur)?;
        let level = chain.len;
        chain.push(RelayLevel {
            msg_type: r.msg_type(),
            hop_count: r.hop_count(),
            link: r.link_address(),
            peer: r.peer_address(),
            interface_id: r.options().get(code::INTERFACE_ID),
            options: r.options(),
        })?;
        cur = r
            .relay_message()
            .ok_or(Error::MissingRelayMessage { level })?;
    }
    Ok((Message::new_checked(cur)?, chain))
}
