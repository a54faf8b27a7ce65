//! What the server needs to know about the client behind a message, copied out of the
//! packet once into stack buffers (a client-id or option 82 may be split over several
//! option instances, RFC 3396), so later steps work on plain slices.

use std::net::Ipv4Addr;
use xdhcp_wire::dhcpv4::{Packet, relay_agent};

/// A small inline byte string: identifiers are at most 255 bytes on the wire.
#[derive(Clone, Copy)]
pub struct InlineBytes {
    buf: [u8; 255],
    len: u8,
}

impl InlineBytes {
    pub const EMPTY: InlineBytes = InlineBytes {
        buf: [0; 255],
        len: 0,
    };

    pub fn from_slice(s: &[u8]) -> InlineBytes {
        let mut b = InlineBytes::EMPTY;
        let n = s.len().min(255);
        b.buf[..n].copy_from_slice(&s[..n]);
        b.len = n as u8;
        b
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Client identity and request details of one received message.
pub struct ClientView {
    pub htype: u8,
    pub chaddr: InlineBytes,
    /// Option 61, when the client sent a non-empty one.
    pub client_id: Option<InlineBytes>,
    /// RFC 4361 DUID inside a type-255 client identifier.
    pub duid: Option<InlineBytes>,
    /// The relay agent information option (82) as received, for echoing and circuit-id.
    pub relay_info: Option<InlineBytes>,
    pub requested_ip: Option<Ipv4Addr>,
    pub server_id: Option<Ipv4Addr>,
    pub max_message_size: Option<u16>,
}

impl ClientView {
    pub fn read(pkt: &Packet<'_>) -> ClientView {
        let opts = pkt.options();
        let mut scratch = [0u8; 255];
        let client_id = opts
            .client_id()
            .and_then(|v| v.copy_into(&mut scratch).map(InlineBytes::from_slice))
            .filter(|c| !c.is_empty());
        let duid = client_id
            .as_ref()
            .map(|c| c.as_slice())
            .filter(|c| c.len() > 5 && c[0] == 255)
            .map(|c| InlineBytes::from_slice(&c[5..]));
        let relay_info = opts
            .relay_agent_info()
            .and_then(|v| v.copy_into(&mut scratch).map(InlineBytes::from_slice));
        ClientView {
            htype: pkt.htype(),
            chaddr: InlineBytes::from_slice(pkt.chaddr()),
            client_id,
            duid,
            relay_info,
            requested_ip: opts.requested_ip(),
            server_id: opts.server_id(),
            max_message_size: opts.max_message_size(),
        }
    }

    pub fn client_id(&self) -> Option<&[u8]> {
        self.client_id.as_ref().map(|c| c.as_slice())
    }

    pub fn circuit_id(&self) -> Option<&[u8]> {
        let info = self.relay_info.as_ref()?;
        relay_agent::sub_option(info.as_slice(), 1).filter(|c| !c.is_empty())
    }
}
