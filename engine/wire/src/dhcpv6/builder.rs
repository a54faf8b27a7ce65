//! Writes DHCPv6 messages into a caller buffer without allocating.
//!
//! Options are appended in order. Container options (IA_NA, IA_PD, IAADDR,
//! IAPREFIX, RELAY_MSG...) are written in place: [`OptionWriter::begin`]
//! writes the header with a zero length and returns a [`Nest`];
//! [`OptionWriter::end`] patches the length once the contents are written.
//!
//! A relayed message is built zero-copy the same way: the RELAY_MSG data
//! is the inner message, built directly in the rest of the buffer with
//! [`OptionWriter::relay_msg_with`] (the closure gets the free space and
//! returns how much it used), or [`OptionWriter::begin`] +
//! [`OptionWriter::remaining_mut`] + [`OptionWriter::advance`]. Nesting
//! several relay levels is just nesting closures.

use std::net::Ipv6Addr;
use std::ops::{Deref, DerefMut};

use super::options::HEADER_LEN as OPT_HEADER_LEN;
use super::{BuildError, MessageType, XID_MASK, code};
use crate::bytes::put;

/// An open container option, closed by [`OptionWriter::end`]. Not `Clone`:
/// each nest is closed exactly once.
#[derive(Debug)]
#[must_use = "a nest must be closed with end()"]
pub struct Nest {
    /// Offset of the option's code.
    at: usize,
    /// Open nests including this one.
    depth: usize,
}

/// Appends options; shared by [`Builder`] and [`RelayBuilder`] (both deref
/// to it). A failed call writes nothing (except [`Self::end`], after which
/// `finish` reports the nest as unclosed).
#[derive(Debug)]
pub struct OptionWriter<'b> {
    buf: &'b mut [u8],
    pos: usize,
    depth: usize,
}

impl<'b> OptionWriter<'b> {
    /// Bytes written so far (message header included).
    pub fn len(&self) -> usize {
        self.pos
    }

    /// True when nothing has been written (never, once constructed).
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// Writes `parts` back to back at the current position, all or nothing.
    fn append(&mut self, parts: &[&[u8]]) -> Result<(), BuildError> {
        let total = parts.iter().map(|p| p.len()).sum::<usize>();
        if self.buf.len().saturating_sub(self.pos) < total {
            return Err(BuildError::NoSpace);
        }
        for p in parts {
            if !put(self.buf, self.pos, p) {
                return Err(BuildError::NoSpace);
            }
            self.pos += p.len();
        }
        Ok(())
    }

    /// Adds one option.
    pub fn option(&mut self, code: u16, data: &[u8]) -> Result<(), BuildError> {
        self.option_parts(code, &[data])
    }

    /// Adds one option whose data is the concatenation of `parts`.
    pub fn option_parts(&mut self, code: u16, parts: &[&[u8]]) -> Result<(), BuildError> {
        let len = parts.iter().map(|p| p.len()).sum::<usize>();
        let len = u16::try_from(len).map_err(|_| BuildError::TooLong)?;
        let hdr = opt_header(code, len);
        let saved = self.pos;
        let r = self.append(&[&hdr]).and_then(|()| self.append(parts));
        if r.is_err() {
            self.pos = saved;
        }
        r
    }

    /// Opens a container option: its length is patched by [`Self::end`].
    pub fn begin(&mut self, code: u16) -> Result<Nest, BuildError> {
        self.begin_fixed(code, &[])
    }

    /// Opens a container option and writes its fixed part.
    fn begin_fixed(&mut self, code: u16, fixed: &[u8]) -> Result<Nest, BuildError> {
        let at = self.pos;
        let hdr = opt_header(code, 0);
        self.append(&[&hdr, fixed])?;
        self.depth += 1;
        Ok(Nest {
            at,
            depth: self.depth,
        })
    }

    /// Closes the innermost open container, patching its length.
    pub fn end(&mut self, nest: Nest) -> Result<(), BuildError> {
        if nest.depth != self.depth || nest.at + OPT_HEADER_LEN > self.pos {
            return Err(BuildError::NestMismatch);
        }
        let len = self.pos - nest.at - OPT_HEADER_LEN;
        let len = u16::try_from(len).map_err(|_| BuildError::TooLong)?;
        if !put(self.buf, nest.at + 2, &len.to_be_bytes()) {
            return Err(BuildError::NoSpace);
        }
        self.depth -= 1;
        Ok(())
    }

    /// Appends raw bytes (e.g. an already-encoded message inside an open
    /// RELAY_MSG, or pre-encoded options).
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<(), BuildError> {
        self.append(&[bytes])
    }

    /// The free space after the current position, to encode into directly;
    /// commit what was written with [`Self::advance`].
    pub fn remaining_mut(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.pos..).unwrap_or(&mut [])
    }

    /// Commits `n` bytes written into [`Self::remaining_mut`].
    pub fn advance(&mut self, n: usize) -> Result<(), BuildError> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.buf.len() => {
                self.pos = end;
                Ok(())
            }
            _ => Err(BuildError::NoSpace),
        }
    }

    /// Adds option `code` whose data `f` writes into the free space,
    /// returning its length: zero-copy nesting of whole messages.
    pub fn option_with(
        &mut self,
        code: u16,
        f: impl FnOnce(&mut [u8]) -> Result<usize, BuildError>,
    ) -> Result<(), BuildError> {
        let saved = (self.pos, self.depth);
        let nest = self.begin(code)?;
        let r = f(self.remaining_mut())
            .and_then(|n| self.advance(n))
            .and_then(|()| self.end(nest));
        if r.is_err() {
            (self.pos, self.depth) = saved;
        }
        r
    }

    /// RELAY_MSG (9) holding a message built in place by `f`, e.g.
    /// `|buf| { let mut b = Builder::new(buf, MessageType::Reply, xid)?; ...; b.finish() }`.
    pub fn relay_msg_with(
        &mut self,
        f: impl FnOnce(&mut [u8]) -> Result<usize, BuildError>,
    ) -> Result<(), BuildError> {
        self.option_with(code::RELAY_MSG, f)
    }

    /// RELAY_MSG (9) holding a copy of an encoded message.
    pub fn relay_msg(&mut self, msg: &[u8]) -> Result<(), BuildError> {
        self.option(code::RELAY_MSG, msg)
    }

    /// Opens IA_NA (3); add IAADDRs/status, then [`Self::end`].
    pub fn ia_na(&mut self, iaid: u32, t1: u32, t2: u32) -> Result<Nest, BuildError> {
        self.begin_fixed(code::IA_NA, &ia_fixed(iaid, t1, t2))
    }

    /// Opens IA_TA (4).
    pub fn ia_ta(&mut self, iaid: u32) -> Result<Nest, BuildError> {
        self.begin_fixed(code::IA_TA, &iaid.to_be_bytes())
    }

    /// Opens IA_PD (25); add IAPREFIXes/status, then [`Self::end`].
    pub fn ia_pd(&mut self, iaid: u32, t1: u32, t2: u32) -> Result<Nest, BuildError> {
        self.begin_fixed(code::IA_PD, &ia_fixed(iaid, t1, t2))
    }

    /// Opens IAADDR (5).
    pub fn iaaddr(
        &mut self,
        addr: Ipv6Addr,
        preferred: u32,
        valid: u32,
    ) -> Result<Nest, BuildError> {
        let mut f = [0u8; 24];
        f[..16].copy_from_slice(&addr.octets());
        f[16..20].copy_from_slice(&preferred.to_be_bytes());
        f[20..].copy_from_slice(&valid.to_be_bytes());
        self.begin_fixed(code::IAADDR, &f)
    }

    /// Opens IAPREFIX (26).
    pub fn iaprefix(
        &mut self,
        preferred: u32,
        valid: u32,
        prefix_len: u8,
        prefix: Ipv6Addr,
    ) -> Result<Nest, BuildError> {
        let mut f = [0u8; 25];
        f[..4].copy_from_slice(&preferred.to_be_bytes());
        f[4..8].copy_from_slice(&valid.to_be_bytes());
        f[8] = prefix_len;
        f[9..].copy_from_slice(&prefix.octets());
        self.begin_fixed(code::IAPREFIX, &f)
    }

    /// Status Code (13) with a UTF-8 message (RFC 8415 §21.13); `code` is
    /// a [`super::StatusCode`] as u16.
    pub fn status_code(&mut self, code: u16, msg: &[u8]) -> Result<(), BuildError> {
        self.option_parts(code::STATUS_CODE, &[&code.to_be_bytes(), msg])
    }

    /// Elapsed Time (8) in hundredths of a second.
    pub fn elapsed_time(&mut self, v: u16) -> Result<(), BuildError> {
        self.option(code::ELAPSED_TIME, &v.to_be_bytes())
    }

    /// Client Identifier (1).
    pub fn client_id(&mut self, duid: &[u8]) -> Result<(), BuildError> {
        self.option(code::CLIENTID, duid)
    }

    /// Server Identifier (2).
    pub fn server_id(&mut self, duid: &[u8]) -> Result<(), BuildError> {
        self.option(code::SERVERID, duid)
    }

    /// Option Request (6).
    pub fn oro(&mut self, codes: &[u16]) -> Result<(), BuildError> {
        let nest = self.begin(code::ORO)?;
        for c in codes {
            if let Err(e) = self.write_raw(&c.to_be_bytes()) {
                self.pos = nest.at;
                self.depth -= 1;
                return Err(e);
            }
        }
        self.end(nest)
    }

    /// Preference (7).
    pub fn preference(&mut self, v: u8) -> Result<(), BuildError> {
        self.option(code::PREFERENCE, &[v])
    }

    /// Rapid Commit (14), empty.
    pub fn rapid_commit(&mut self) -> Result<(), BuildError> {
        self.option(code::RAPID_COMMIT, &[])
    }

    /// Interface-Id (18).
    pub fn interface_id(&mut self, id: &[u8]) -> Result<(), BuildError> {
        self.option(code::INTERFACE_ID, id)
    }

    /// A big-endian 32-bit option.
    pub fn option_u32(&mut self, code: u16, v: u32) -> Result<(), BuildError> {
        self.option(code, &v.to_be_bytes())
    }

    /// An IPv6 address option (or address list element).
    pub fn option_ipv6(&mut self, code: u16, v: Ipv6Addr) -> Result<(), BuildError> {
        self.option(code, &v.octets())
    }

    fn finish(self) -> Result<usize, BuildError> {
        if self.depth != 0 {
            return Err(BuildError::UnclosedNest);
        }
        Ok(self.pos)
    }
}

fn ia_fixed(iaid: u32, t1: u32, t2: u32) -> [u8; 12] {
    let mut f = [0u8; 12];
    f[..4].copy_from_slice(&iaid.to_be_bytes());
    f[4..8].copy_from_slice(&t1.to_be_bytes());
    f[8..].copy_from_slice(&t2.to_be_bytes());
    f
}

/// An option header: code and length.
fn opt_header(code: u16, len: u16) -> [u8; 4] {
    let ([a, b], [c, d]) = (code.to_be_bytes(), len.to_be_bytes());
    [a, b, c, d]
}

/// Builds a client/server message (RFC 8415 §8).
#[derive(Debug)]
pub struct Builder<'b> {
    w: OptionWriter<'b>,
}

impl<'b> Builder<'b> {
    /// Writes the header. `xid` keeps its low 24 bits. Relay types are
    /// rejected (use [`RelayBuilder`]).
    pub fn new(buf: &'b mut [u8], msg_type: MessageType, xid: u32) -> Result<Self, BuildError> {
        if msg_type.is_relay() {
            return Err(BuildError::WrongMessageType(msg_type));
        }
        let mut w = OptionWriter {
            buf,
            pos: 0,
            depth: 0,
        };
        let head = (xid & XID_MASK) | (u32::from(msg_type as u8) << 24);
        w.append(&[&head.to_be_bytes()])?;
        Ok(Builder { w })
    }

    /// The message length; fails if a nest is still open.
    pub fn finish(self) -> Result<usize, BuildError> {
        self.w.finish()
    }
}

impl<'b> Deref for Builder<'b> {
    type Target = OptionWriter<'b>;
    fn deref(&self) -> &OptionWriter<'b> {
        &self.w
    }
}

impl<'b> DerefMut for Builder<'b> {
    fn deref_mut(&mut self) -> &mut OptionWriter<'b> {
        &mut self.w
    }
}

/// Builds a RELAY-FORW or RELAY-REPL message (RFC 8415 §9).
#[derive(Debug)]
pub struct RelayBuilder<'b> {
    w: OptionWriter<'b>,
}

impl<'b> RelayBuilder<'b> {
    /// Writes the 34-byte relay header; `msg_type` must be a relay type.
    pub fn new(
        buf: &'b mut [u8],
        msg_type: MessageType,
        hop_count: u8,
        link: Ipv6Addr,
        peer: Ipv6Addr,
    ) -> Result<Self, BuildError> {
        if !msg_type.is_relay() {
            return Err(BuildError::WrongMessageType(msg_type));
        }
        let mut w = OptionWriter {
            buf,
            pos: 0,
            depth: 0,
        };
        w.append(&[&[msg_type as u8, hop_count], &link.octets(), &peer.octets()])?;
        Ok(RelayBuilder { w })
    }

    /// The message length; fails if a nest is still open.
    pub fn finish(self) -> Result<usize, BuildError> {
        self.w.finish()
    }
}

impl<'b> Deref for RelayBuilder<'b> {
    type Target = OptionWriter<'b>;
    fn deref(&self) -> &OptionWriter<'b> {
        &self.w
    }
}

impl<'b> DerefMut for RelayBuilder<'b> {
    fn deref_mut(&mut self) -> &mut OptionWriter<'b> {
        &mut self.w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nest_rules() {
        let mut buf = [0u8; 64];
        let mut b = Builder::new(&mut buf, MessageType::Solicit, 0x12_3456).unwrap();
        let outer = b.ia_na(1, 2, 3).unwrap();
        let inner = b.begin(code::STATUS_CODE).unwrap();
        assert_eq!(b.end(outer).unwrap_err(), BuildError::NestMismatch);
        b.end(inner).unwrap();
        let n = b.len();
        assert_eq!(b.option(1, &[0; 100]), Err(BuildError::NoSpace));
        assert_eq!(b.len(), n, "failed option wrote nothing");
        assert_eq!(b.oro(&[1; 30]), Err(BuildError::NoSpace));
        assert_eq!(b.len(), n);
        assert_eq!(b.relay_msg_with(|_| Ok(1000)), Err(BuildError::NoSpace));
        assert_eq!(b.len(), n);
        // `outer` is still open.
        assert_eq!(b.finish(), Err(BuildError::UnclosedNest));
        assert_eq!(buf[..4], [1, 0x12, 0x34, 0x56]);
        assert!(Builder::new(&mut [0u8; 3], MessageType::Solicit, 1).is_err());
        assert_eq!(
            Builder::new(&mut [0u8; 8], MessageType::RelayForw, 1).unwrap_err(),
            BuildError::WrongMessageType(MessageType::RelayForw)
        );
        assert!(
            RelayBuilder::new(
                &mut [0u8; 64],
                MessageType::Reply,
                0,
                Ipv6Addr::UNSPECIFIED,
                Ipv6Addr::UNSPECIFIED
            )
            .is_err()
        );
        assert!(
            RelayBuilder::new(
                &mut [0u8; 33],
                MessageType::RelayForw,
                0,
                Ipv6Addr::UNSPECIFIED,
                Ipv6Addr::UNSPECIFIED
            )
            .is_err()
        );
    }

    #[test]
    fn too_long() {
        let mut buf = vec![0u8; 70_000];
        let mut b = Builder::new(&mut buf, MessageType::Reply, 1).unwrap();
        assert_eq!(b.option(1, &[0; 65_536]), Err(BuildError::TooLong));
        let n = b.begin(9).unwrap();
        b.advance(65_536).unwrap();
        assert_eq!(b.end(n), Err(BuildError::TooLong));
    }
}
