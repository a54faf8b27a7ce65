//! Writes a DHCPv4 message into a caller buffer without allocating.
//!
//! Options go into the `options` field; when it is full (buffer end or the
//! client's maximum message size) they continue in `file`, then `sname`
//! (RFC 2131 §4.1 order), announced by option 52 (RFC 2132 §9.3). A value
//! that does not fit one area is split into same-code options, which the
//! receiver concatenates (RFC 3396 §5).

use std::net::Ipv4Addr;

use super::field::*;
use super::{
    BOOTP_MIN_LEN, BuildError, IP_UDP_OVERHEAD, MAGIC_COOKIE, MIN_MAX_MESSAGE_SIZE, MessageType,
    code,
};
use crate::bytes::{put, zero};

/// Where options are currently being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Options,
    File,
    Sname,
}

impl Area {
    /// Overload bit announced in option 52 when this area is used.
    fn overload_bit(self) -> u8 {
        match self {
            Area::Options => 0,
            Area::File => 1,
            Area::Sname => 2,
        }
    }

    fn start(self) -> usize {
        match self {
            Area::Options => OPTIONS,
            Area::File => FILE,
            Area::Sname => SNAME,
        }
    }
}

/// The part of the state an option write may change, for rollback.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    area: Area,
    pos: usize,
    options_end: usize,
    overload: u8,
    overload_at: usize,
}

/// Sequential reader over the parts of one logical option.
struct Parts<'p> {
    parts: &'p [&'p [u8]],
    idx: usize,
    off: usize,
}

impl Parts<'_> {
    /// Fills `dst` entirely from the remaining parts (callers never ask for
    /// more than remains).
    fn fill(&mut self, dst: &mut [u8]) {
        let mut at = 0;
        while at < dst.len() {
            let Some(part) = self.parts.get(self.idx) else {
                return;
            };
            let avail = part.get(self.off..).unwrap_or(&[]);
            let n = avail.len().min(dst.len() - at);
            if let (Some(d), Some(s)) = (dst.get_mut(at..at + n), avail.get(..n)) {
                d.copy_from_slice(s);
            }
            at += n;
            self.off += n;
            if self.off >= part.len() {
                self.idx += 1;
                self.off = 0;
            }
        }
    }
}

/// Builds one message in place; see the module docs for overload.
///
/// Set `sname`/`file` (if at all) before adding options: once options have
/// spilled into a field it can no longer be set.
#[derive(Debug)]
pub struct Builder<'b> {
    buf: &'b mut [u8],
    max_len: usize,
    cur: Cursor,
    sname_set: bool,
    file_set: bool,
}

impl<'b> Builder<'b> {
    /// Starts a message: zeroes the fixed header and writes the cookie.
    /// `buf` must hold at least [`BOOTP_MIN_LEN`] bytes; its length is the
    /// initial size limit.
    pub fn new(buf: &'b mut [u8]) -> Result<Self, BuildError> {
        if buf.len() < BOOTP_MIN_LEN {
            return Err(BuildError::BufferTooSmall { len: buf.len() });
        }
        zero(buf, 0, MAGIC);
        let max_len = buf.len();
        let mut b = Builder {
            buf,
            max_len,
            cur: Cursor {
                area: Area::Options,
                pos: OPTIONS,
                options_end: 0,
                overload: 0,
                overload_at: 0,
            },
            sname_set: false,
            file_set: false,
        };
        b.set(MAGIC, &MAGIC_COOKIE);
        Ok(b)
    }

    /// Writes a fixed-header field; offsets are < 240 and the buffer is at
    /// least 300 bytes, so this cannot fail.
    fn set(&mut self, at: usize, bytes: &[u8]) {
        let _ = put(self.buf, at, bytes);
    }

    /// Op code.
    pub fn op(&mut self, v: u8) {
        self.set(OP, &[v]);
    }
    /// Hardware type.
    pub fn htype(&mut self, v: u8) {
        self.set(HTYPE, &[v]);
    }
    /// Hardware length (not derived from [`Self::chaddr`]: a reply echoes
    /// the request's value even when it exceeds 16).
    pub fn hlen(&mut self, v: u8) {
        self.set(HLEN, &[v]);
    }
    /// Hops.
    pub fn hops(&mut self, v: u8) {
        self.set(HOPS, &[v]);
    }
    /// Transaction id.
    pub fn xid(&mut self, v: u32) {
        self.set(XID, &v.to_be_bytes());
    }
    /// Seconds.
    pub fn secs(&mut self, v: u16) {
        self.set(SECS, &v.to_be_bytes());
    }
    /// Flags.
    pub fn flags(&mut self, v: u16) {
        self.set(FLAGS, &v.to_be_bytes());
    }
    /// Client address.
    pub fn ciaddr(&mut self, v: Ipv4Addr) {
        self.set(CIADDR, &v.octets());
    }
    /// "Your" address.
    pub fn yiaddr(&mut self, v: Ipv4Addr) {
        self.set(YIADDR, &v.octets());
    }
    /// Next-server address.
    pub fn siaddr(&mut self, v: Ipv4Addr) {
        self.set(SIADDR, &v.octets());
    }
    /// Relay agent address.
    pub fn giaddr(&mut self, v: Ipv4Addr) {
        self.set(GIADDR, &v.octets());
    }

    /// Client hardware address (at most 16 bytes; rest of field zeroed).
    pub fn chaddr(&mut self, v: &[u8]) -> Result<(), BuildError> {
        if v.len() > CHADDR_LEN {
            return Err(BuildError::ChaddrTooLong);
        }
        zero(self.buf, CHADDR, CHADDR + CHADDR_LEN);
        self.set(CHADDR, v);
        Ok(())
    }

    /// Server host name: at most 63 bytes (NUL-terminated). Marks the field
    /// as unavailable for overload.
    pub fn sname(&mut self, v: &[u8]) -> Result<(), BuildError> {
        self.text_field(Area::Sname, v, SNAME_LEN, "sname")?;
        self.sname_set = true;
        Ok(())
    }

    /// Boot file name: at most 127 bytes (NUL-terminated). Marks the field
    /// as unavailable for overload.
    pub fn file(&mut self, v: &[u8]) -> Result<(), BuildError> {
        self.text_field(Area::File, v, FILE_LEN, "file")?;
        self.file_set = true;
        Ok(())
    }

    fn text_field(
        &mut self,
        area: Area,
        v: &[u8],
        len: usize,
        field: &'static str,
    ) -> Result<(), BuildError> {
        if self.cur.overload & area.overload_bit() != 0 {
            return Err(BuildError::FieldInUse { field });
        }
        if v.len() >= len {
            return Err(BuildError::FieldTooLong { field });
        }
        zero(self.buf, area.start(), area.start() + len);
        self.set(area.start(), v);
        Ok(())
    }

    /// Limits the message to `len` bytes (floored at 576, RFC 2131 §2).
    /// Call before adding options; if options already exceed the new limit,
    /// [`Self::finish`] fails with `NoSpace`.
    pub fn set_max_len(&mut self, len: usize) {
        self.max_len = len.max(MIN_MAX_MESSAGE_SIZE);
    }

    /// Applies a client's option 57 value. RFC 2132 §9.10 counts the whole
    /// IP datagram (576 = RFC 791 minimum), so IP and UDP headers are taken
    /// off; the result is never below 548.
    pub fn set_max_message_size(&mut self, opt57: u16) {
        self.max_len = usize::from(opt57).max(MIN_MAX_MESSAGE_SIZE) - IP_UDP_OVERHEAD;
    }

    /// End (exclusive) of an area's bytes.
    fn area_end(&self, area: Area) -> usize {
        match area {
            Area::Options => self.max_len.min(self.buf.len()),
            Area::File => FILE + FILE_LEN,
            Area::Sname => SNAME + SNAME_LEN,
        }
    }

    /// The area options continue in after `area`, if still free.
    fn next_area(&self, area: Area) -> Option<Area> {
        match area {
            Area::Options if !self.file_set => Some(Area::File),
            Area::Options | Area::File if !self.sname_set => Some(Area::Sname),
            _ => None,
        }
    }

    /// Bytes available for option data+headers in the current area, keeping
    /// one for End and, in `options`, three for option 52 while overload is
    /// still possible.
    fn room(&self) -> usize {
        let area = self.cur.area;
        let mut reserve = 1;
        if area == Area::Options && self.next_area(area).is_some() {
            reserve += 3;
        }
        self.area_end(area)
            .saturating_sub(reserve)
            .saturating_sub(self.cur.pos)
    }

    /// Room a fresh next area would offer.
    fn next_room(&self) -> usize {
        match self.next_area(self.cur.area) {
            Some(a) => self.area_end(a) - a.start() - 1,
            None => 0,
        }
    }

    /// Closes the current area with End (plus option 52 when leaving
    /// `options`) and moves on.
    fn advance(&mut self) -> Result<(), BuildError> {
        let next = self.next_area(self.cur.area).ok_or(BuildError::NoSpace)?;
        let pos = self.cur.pos;
        if self.cur.area == Area::Options {
            if !put(
                self.buf,
                pos,
                &[code::DHCP_OPTION_OVERLOAD, 1, 0, code::END],
            ) {
                return Err(BuildError::NoSpace);
            }
            self.cur.overload_at = pos + 2;
            self.cur.options_end = pos + 4;
        } else if !put(self.buf, pos, &[code::END]) {
            return Err(BuildError::NoSpace);
        }
        self.cur.overload |= next.overload_bit();
        let _ = put(self.buf, self.cur.overload_at, &[self.cur.overload]);
        self.cur.area = next;
        self.cur.pos = next.start();
        Ok(())
    }

    /// Writes one fragment of `n` data bytes taken from `src`.
    fn emit(&mut self, code: u8, src: &mut Parts<'_>, n: usize) -> Result<(), BuildError> {
        let pos = self.cur.pos;
        let len = u8::try_from(n).map_err(|_| BuildError::NoSpace)?;
        if !put(self.buf, pos, &[code, len]) {
            return Err(BuildError::NoSpace);
        }
        let dst = self
            .buf
            .get_mut(pos + 2..pos + 2 + n)
            .ok_or(BuildError::NoSpace)?;
        src.fill(dst);
        self.cur.pos = pos + 2 + n;
        Ok(())
    }

    fn write_fragments(&mut self, code: u8, parts: &[&[u8]]) -> Result<(), BuildError> {
        let mut remaining: usize = parts.iter().map(|p| p.len()).sum();
        let mut src = Parts {
            parts,
            idx: 0,
            off: 0,
        };
        loop {
            let room = self.room();
            let frag = remaining.min(255);
            if room >= frag + 2 {
                self.emit(code, &mut src, frag)?;
                remaining -= frag;
                if remaining == 0 {
                    return Ok(());
                }
                continue;
            }
            // Avoid splitting a value that fits whole in the next area:
            // many clients never implemented RFC 3396.
            let whole_fits_next = remaining <= 255 && self.next_room() >= remaining + 2;
            if !whole_fits_next && room >= 3 && frag > 0 {
                let n = room - 2; // < frag, so something remains
                self.emit(code, &mut src, n)?;
                remaining -= n;
                continue;
            }
            self.advance()?;
        }
    }

    /// Undoes a failed option write, clearing any bytes it left in
    /// `file`/`sname` so they never leak out as a bogus file name.
    fn rollback(&mut self, saved: Cursor) {
        for (area, set) in [(Area::File, self.file_set), (Area::Sname, self.sname_set)] {
            if set {
                continue;
            }
            let end = self.area_end(area);
            if saved.area == area {
                zero(self.buf, saved.pos, end);
            } else if saved.overload & area.overload_bit() == 0 {
                zero(self.buf, area.start(), end);
            }
        }
        self.cur = saved;
        if saved.overload != 0 {
            let _ = put(self.buf, saved.overload_at, &[saved.overload]);
        }
    }

    /// Adds one logical option, split into same-code options when longer
    /// than 255 bytes or when it straddles areas (RFC 3396). On error
    /// nothing is added.
    pub fn option(&mut self, code: u8, data: &[u8]) -> Result<(), BuildError> {
        self.option_parts(code, &[data])
    }

    /// Adds the concatenation of `parts` as one logical option (no copy
    /// needed to assemble it first).
    pub fn option_parts(&mut self, code: u8, parts: &[&[u8]]) -> Result<(), BuildError> {
        if code == code::PAD || code == code::END {
            return Err(BuildError::ReservedCode(code));
        }
        let saved = self.cur;
        let r = self.write_fragments(code, parts);
        if r.is_err() {
            self.rollback(saved);
        }
        r
    }

    /// Option 53.
    pub fn message_type(&mut self, t: MessageType) -> Result<(), BuildError> {
        self.option(code::DHCP_MESSAGE_TYPE, &[t as u8])
    }

    /// Option 54.
    pub fn server_id(&mut self, ip: Ipv4Addr) -> Result<(), BuildError> {
        self.option_ipv4(code::DHCP_SERVER_IDENTIFIER, ip)
    }

    /// A one-byte option.
    pub fn option_u8(&mut self, code: u8, v: u8) -> Result<(), BuildError> {
        self.option(code, &[v])
    }

    /// A big-endian 16-bit option.
    pub fn option_u16(&mut self, code: u8, v: u16) -> Result<(), BuildError> {
        self.option(code, &v.to_be_bytes())
    }

    /// A big-endian 32-bit option (lease time, T1, T2...).
    pub fn option_u32(&mut self, code: u8, v: u32) -> Result<(), BuildError> {
        self.option(code, &v.to_be_bytes())
    }

    /// An IPv4 address option.
    pub fn option_ipv4(&mut self, code: u8, ip: Ipv4Addr) -> Result<(), BuildError> {
        self.option(code, &ip.octets())
    }

    /// Whether options have spilled into `file`/`sname` (the option 52 value).
    pub fn overload(&self) -> u8 {
        self.cur.overload
    }

    /// Writes End, zero-pads to [`BOOTP_MIN_LEN`] and returns the length.
    pub fn finish(self) -> Result<usize, BuildError> {
        let end_at = self.cur.pos;
        if !put(self.buf, end_at, &[code::END]) {
            return Err(BuildError::NoSpace);
        }
        let options_end = match self.cur.area {
            Area::Options => end_at + 1,
            Area::File | Area::Sname => self.cur.options_end,
        };
        if options_end > self.area_end(Area::Options) {
            return Err(BuildError::NoSpace);
        }
        let total = options_end.max(BOOTP_MIN_LEN);
        zero(self.buf, options_end, total);
        Ok(total)
    }
}
