//! The checked view of a DHCPv4 message.

use std::net::Ipv4Addr;

use super::field::*;
use super::options::{Areas, Options, Step, step};
use super::{Error, FLAG_BROADCAST, MAGIC_COOKIE, code};
use crate::bytes::{ipv4_at, u8_at, u16_at, u32_at};

/// A DHCPv4 message starting at `op`, fully validated by
/// [`Packet::new_checked`] so accessors are infallible.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buf: &'a [u8],
    /// Validated option 52 value, 0 when absent.
    overload: u8,
}

/// Walks one area strictly, calling `f` per option with its absolute offset.
fn walk(
    area: &[u8],
    base: usize,
    mut f: impl FnMut(u8, &[u8], usize) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut pos = 0;
    loop {
        match step(area, pos) {
            Step::Done => return Ok(()),
            Step::Pad { next } => pos = next,
            Step::Opt { opt, next } => {
                f(opt.code, opt.data, base + pos)?;
                pos = next;
            }
            Step::Malformed { code } => {
                return Err(Error::BadOptionLength {
                    code,
                    offset: base + pos,
                });
            }
        }
    }
}

impl<'a> Packet<'a> {
    /// Validates the fixed header, cookie and every option in every area in
    /// use. A missing End in `options` is tolerated (many clients omit it);
    /// `hlen` above 16 is clamped by [`Self::chaddr`] rather than rejected.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < OPTIONS {
            return Err(Error::Truncated { len: buf.len() });
        }
        let mut magic = [0u8; 4];
        magic.copy_from_slice(
            buf.get(MAGIC..OPTIONS)
                .ok_or(Error::Truncated { len: buf.len() })?,
        );
        if magic != MAGIC_COOKIE {
            return Err(Error::BadMagic(magic));
        }
        // RFC 3396 would concatenate repeated 52s; anything but one byte
        // total is malformed.
        let (mut ov_len, mut ov_val) = (0usize, 0u8);
        walk(buf.get(OPTIONS..).unwrap_or(&[]), OPTIONS, |c, data, _| {
            if c == code::DHCP_OPTION_OVERLOAD {
                ov_len += data.len();
                ov_val = data.first().copied().unwrap_or(0);
            }
            Ok(())
        })?;
        if ov_len > 0 && (ov_len != 1 || !(1..=3).contains(&ov_val)) {
            return Err(Error::BadOverload);
        }
        let p = Packet {
            buf,
            overload: if ov_len == 1 { ov_val } else { 0 },
        };
        // RFC 2131 §4.1: options, then file, then sname. An overload option
        // inside them is an error, not a pointer to follow.
        for (area, base) in [(p.overload_file(), FILE), (p.overload_sname(), SNAME)] {
            walk(area, base, |c, _, offset| {
                if c == code::DHCP_OPTION_OVERLOAD {
                    Err(Error::OverloadLoop { offset })
                } else {
                    Ok(())
                }
            })?;
        }
        Ok(p)
    }

    fn overload_file(&self) -> &'a [u8] {
        if self.overload & 1 != 0 {
            self.file_raw()
        } else {
            &[]
        }
    }

    fn overload_sname(&self) -> &'a [u8] {
        if self.overload & 2 != 0 {
            self.sname_raw()
        } else {
            &[]
        }
    }

    /// Op code (1 request, 2 reply).
    pub fn op(&self) -> u8 {
        u8_at(self.buf, OP)
    }
    /// Hardware type (1 = Ethernet).
    pub fn htype(&self) -> u8 {
        u8_at(self.buf, HTYPE)
    }
    /// Hardware address length as sent (may exceed 16).
    pub fn hlen(&self) -> u8 {
        u8_at(self.buf, HLEN)
    }
    /// Relay hops.
    pub fn hops(&self) -> u8 {
        u8_at(self.buf, HOPS)
    }
    /// Transaction id.
    pub fn xid(&self) -> u32 {
        u32_at(self.buf, XID)
    }
    /// Seconds elapsed.
    pub fn secs(&self) -> u16 {
        u16_at(self.buf, SECS)
    }
    /// Raw flags.
    pub fn flags(&self) -> u16 {
        u16_at(self.buf, FLAGS)
    }
    /// The broadcast bit (RFC 2131 §4.1, flags bit 15).
    pub fn broadcast(&self) -> bool {
        self.flags() & FLAG_BROADCAST != 0
    }
    /// Client address.
    pub fn ciaddr(&self) -> Ipv4Addr {
        ipv4_at(self.buf, CIADDR)
    }
    /// "Your" address.
    pub fn yiaddr(&self) -> Ipv4Addr {
        ipv4_at(self.buf, YIADDR)
    }
    /// Next-server address.
    pub fn siaddr(&self) -> Ipv4Addr {
        ipv4_at(self.buf, SIADDR)
    }
    /// Relay agent address.
    pub fn giaddr(&self) -> Ipv4Addr {
        ipv4_at(self.buf, GIADDR)
    }
    /// The first `min(hlen, 16)` bytes of `chaddr`.
    pub fn chaddr(&self) -> &'a [u8] {
        let n = usize::from(self.hlen()).min(CHADDR_LEN);
        self.buf.get(CHADDR..CHADDR + n).unwrap_or(&[])
    }
    /// The whole 64-byte `sname` field.
    pub fn sname_raw(&self) -> &'a [u8] {
        self.buf.get(SNAME..SNAME + SNAME_LEN).unwrap_or(&[])
    }
    /// The whole 128-byte `file` field.
    pub fn file_raw(&self) -> &'a [u8] {
        self.buf.get(FILE..FILE + FILE_LEN).unwrap_or(&[])
    }
    /// `sname` text up to the first NUL (possibly empty); None when the
    /// field carries options.
    pub fn sname(&self) -> Option<&'a [u8]> {
        (self.overload & 2 == 0).then(|| until_nul(self.sname_raw()))
    }
    /// `file` text up to the first NUL (possibly empty); None when the
    /// field carries options.
    pub fn file(&self) -> Option<&'a [u8]> {
        (self.overload & 1 == 0).then(|| until_nul(self.file_raw()))
    }
    /// The validated overload value (0 none, 1 file, 2 sname, 3 both).
    pub fn overload(&self) -> u8 {
        self.overload
    }
    /// The whole message.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// The options of all areas in use.
    pub fn options(&self) -> Options<'a> {
        Options::new(Areas {
            list: [
                self.buf.get(OPTIONS..).unwrap_or(&[]),
                self.overload_file(),
                self.overload_sname(),
            ],
        })
    }
}

fn until_nul(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or(field)
}
