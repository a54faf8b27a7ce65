//! DHCPv6 option lists (RFC 8415 §21.1): a 2-byte code, a 2-byte length
//! and the data, back to back, with no padding or end marker. The same
//! format is used inside IA_NA/IA_TA/IA_PD/IAADDR/IAPREFIX, vendor-opts and
//! relay messages.

use std::net::Ipv6Addr;

use super::ia::{FromOption, IaNa, IaPd, IaTa, Typed};
use super::{Error, code};
use crate::bytes::{u16_at, u32_at};

/// One option occurrence as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption6<'a> {
    /// Option code.
    pub code: u16,
    /// The option's data (header excluded).
    pub data: &'a [u8],
}

/// Result of decoding the option at one position of a list.
enum Step<'a> {
    Done,
    Opt { opt: RawOption6<'a>, next: usize },
    Malformed { code: u16 },
}

/// Option header length (code + length).
pub(crate) const HEADER_LEN: usize = 4;

fn step(area: &[u8], pos: usize) -> Step<'_> {
    let rest = area.get(pos..).unwrap_or(&[]);
    if rest.is_empty() {
        return Step::Done;
    }
    let code = if rest.len() >= 2 { u16_at(rest, 0) } else { 0 };
    if rest.len() < HEADER_LEN {
        return Step::Malformed { code };
    }
    let len = usize::from(u16_at(rest, 2));
    match rest.get(HEADER_LEN..HEADER_LEN + len) {
        Some(data) => Step::Opt {
            opt: RawOption6 { code, data },
            next: pos + HEADER_LEN + len,
        },
        None => Step::Malformed { code },
    }
}

/// What an option list is nested in, which decides the options whose
/// inner structure is validated too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Top level of a message: IA_NA, IA_TA, IA_PD are opened.
    Message,
    /// Inside IA_NA/IA_TA: IAADDR is opened.
    Ia,
    /// Inside IA_PD: IAPREFIX is opened.
    IaPd,
    /// Inside IAADDR/IAPREFIX, or a list with no known structure.
    Leaf,
}

/// Fixed-part length of an option opened at `level` and the level of its
/// own options, if it is opened there.
fn container(level: Level, code: u16) -> Option<(usize, Level)> {
    match (level, code) {
        (Level::Message, code::IA_NA | code::IA_PD) => Some((
            12,
            if code == code::IA_PD {
                Level::IaPd
            } else {
                Level::Ia
            },
        )),
        (Level::Message, code::IA_TA) => Some((4, Level::Ia)),
        (Level::Ia, code::IAADDR) => Some((24, Level::Leaf)),
        (Level::IaPd, code::IAPREFIX) => Some((25, Level::Leaf)),
        _ => None,
    }
}

/// Walks every option of `area` (whose first byte is at message offset
/// `base`), descending into the IA structure so that every typed accessor
/// on a checked message sees complete data. Depth is at most 3.
pub(crate) fn validate(area: &[u8], base: usize, level: Level) -> Result<(), Error> {
    let mut pos = 0;
    loop {
        match step(area, pos) {
            Step::Done => return Ok(()),
            Step::Malformed { code } => {
                return Err(Error::BadOptionLength {
                    code,
                    offset: base + pos,
                });
            }
            Step::Opt { opt, next } => {
                let offset = base + pos;
                let short = Error::ShortOption {
                    code: opt.code,
                    offset,
                };
                if let Some((fixed, inner)) = container(level, opt.code) {
                    let rest = opt.data.get(fixed..).ok_or(short)?;
                    validate(rest, offset + HEADER_LEN + fixed, inner)?;
                } else if opt.code == code::STATUS_CODE && opt.data.len() < 2 {
                    return Err(short);
                }
                pos = next;
            }
        }
    }
}

/// Iterates the options of a list in wire order; stops at the first
/// malformed one (which a checked message never has).
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    area: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = RawOption6<'a>;

    fn next(&mut self) -> Option<RawOption6<'a>> {
        match step(self.area, self.pos) {
            Step::Opt { opt, next } => {
                self.pos = next;
                Some(opt)
            }
            Step::Done | Step::Malformed { .. } => {
                self.pos = self.area.len();
                None
            }
        }
    }
}

/// Every occurrence of one code, see [`Options::get_all`].
#[derive(Debug, Clone)]
pub struct GetAll<'a> {
    inner: OptionIter<'a>,
    code: u16,
}

impl<'a> Iterator for GetAll<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let code = self.code;
        self.inner.find(|o| o.code == code).map(|o| o.data)
    }
}

/// The option codes of an Option Request option (RFC 8415 §21.7); an odd
/// trailing byte is ignored.
#[derive(Debug, Clone)]
pub struct Oro<'a> {
    data: &'a [u8],
}

impl Iterator for Oro<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        let (head, rest) = (self.data.get(..2)?, self.data.get(2..)?);
        self.data = rest;
        Some(u16_at(head, 0))
    }
}

/// An option list (a message's, or the one inside an IA, address, prefix,
/// vendor-opts option...). Cheap to copy; lookups walk the list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    area: &'a [u8],
}

impl<'a> Options<'a> {
    /// A view of `area` without validation: iteration stops at the first
    /// malformed option. Use for lists a checked message does not cover
    /// (vendor-opts data, RSOO...).
    pub fn new(area: &'a [u8]) -> Self {
        Options { area }
    }

    /// Like [`Self::new`] but fails if any option runs past `area`
    /// (one level only: nested structure is not checked).
    pub fn new_checked(area: &'a [u8]) -> Result<Self, Error> {
        validate(area, 0, Level::Leaf)?;
        Ok(Options { area })
    }

    /// The list's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.area
    }

    /// True when there are no options.
    pub fn is_empty(&self) -> bool {
        self.area.is_empty()
    }

    /// Every option in wire order.
    pub fn iter(&self) -> OptionIter<'a> {
        OptionIter {
            area: self.area,
            pos: 0,
        }
    }

    /// The data of the first occurrence of `code`. Unlike DHCPv4 (RFC 3396)
    /// repeated DHCPv6 options are separate instances, never concatenated.
    pub fn get(&self, code: u16) -> Option<&'a [u8]> {
        self.iter().find(|o| o.code == code).map(|o| o.data)
    }

    /// The data of every occurrence of `code`, in wire order.
    pub fn get_all(&self, code: u16) -> GetAll<'a> {
        GetAll {
            inner: self.iter(),
            code,
        }
    }

    /// True if `code` occurs.
    pub fn contains(&self, code: u16) -> bool {
        self.get(code).is_some()
    }

    /// First occurrence of `code` when exactly `N` bytes long.
    fn fixed<const N: usize>(&self, code: u16) -> Option<[u8; N]> {
        self.get(code)?.try_into().ok()
    }

    /// Every well-formed occurrence of a structured option type.
    pub fn typed<T: FromOption<'a>>(&self) -> Typed<'a, T> {
        Typed::new(self.iter())
    }

    /// Client Identifier (1): the client's DUID.
    pub fn client_id(&self) -> Option<&'a [u8]> {
        self.get(code::CLIENTID)
    }

    /// Server Identifier (2): the server's DUID.
    pub fn server_id(&self) -> Option<&'a [u8]> {
        self.get(code::SERVERID)
    }

    /// Elapsed Time (8) in hundredths of a second, when exactly 2 bytes.
    pub fn elapsed_time(&self) -> Option<u16> {
        self.fixed::<2>(code::ELAPSED_TIME).map(u16::from_be_bytes)
    }

    /// Preference (7), when exactly 1 byte.
    pub fn preference(&self) -> Option<u8> {
        self.fixed::<1>(code::PREFERENCE).map(|[v]| v)
    }

    /// Rapid Commit (14) present (RFC 8415 §21.14; its length is 0).
    pub fn rapid_commit(&self) -> bool {
        self.contains(code::RAPID_COMMIT)
    }

    /// Reconfigure Accept (20) present.
    pub fn reconf_accept(&self) -> bool {
        self.contains(code::RECONF_ACCEPT)
    }

    /// The codes of the first Option Request option (6); empty if absent.
    pub fn oro(&self) -> Oro<'a> {
        Oro {
            data: self.get(code::ORO).unwrap_or(&[]),
        }
    }

    /// Status Code (13): the code and the UTF-8 message bytes (RFC 8415
    /// §21.13), when at least 2 bytes long.
    pub fn status_code(&self) -> Option<(u16, &'a [u8])> {
        let d = self.get(code::STATUS_CODE)?;
        Some((u16_at(d, 0), d.get(2..)?))
    }

    /// Interface-Id (18), set by relays (RFC 8415 §21.18).
    pub fn interface_id(&self) -> Option<&'a [u8]> {
        self.get(code::INTERFACE_ID)
    }

    /// Relay Message (9): the relayed message's bytes.
    pub fn relay_message(&self) -> Option<&'a [u8]> {
        self.get(code::RELAY_MSG)
    }

    /// Server Unicast (12), when exactly 16 bytes.
    pub fn unicast(&self) -> Option<Ipv6Addr> {
        self.fixed::<16>(code::UNICAST).map(Ipv6Addr::from)
    }

    /// The sub-options of the first Vendor-specific Information option
    /// (17) of `enterprise` (RFC 8415 §21.17), unvalidated.
    pub fn vendor_opts(&self, enterprise: u32) -> Option<Options<'a>> {
        self.get_all(code::VENDOR_OPTS)
            .find(|d| d.len() >= 4 && u32_at(d, 0) == enterprise)
            .map(|d| Options::new(d.get(4..).unwrap_or(&[])))
    }

    /// Every IA_NA (3).
    pub fn ia_nas(&self) -> Typed<'a, IaNa<'a>> {
        self.typed()
    }

    /// Every IA_TA (4).
    pub fn ia_tas(&self) -> Typed<'a, IaTa<'a>> {
        self.typed()
    }

    /// Every IA_PD (25).
    pub fn ia_pds(&self) -> Typed<'a, IaPd<'a>> {
        self.typed()
    }
}

impl<'a> IntoIterator for Options<'a> {
    type Item = RawOption6<'a>;
    type IntoIter = OptionIter<'a>;
    fn into_iter(self) -> OptionIter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_and_lookup() {
        let area = [
            0, 1, 0, 2, 0xaa, 0xbb, // client id
            0, 8, 0, 2, 0, 100, // elapsed
            0, 6, 0, 5, 0, 23, 0, 24, 9, // oro, odd byte
            0, 14, 0, 0, // rapid commit
            0, 1, 0, 1, 0xcc, // second client id
        ];
        let o = Options::new_checked(&area).unwrap();
        assert_eq!(o.client_id(), Some(&[0xaa, 0xbb][..]));
        assert_eq!(o.get_all(code::CLIENTID).count(), 2);
        assert_eq!(o.elapsed_time(), Some(100));
        assert_eq!(o.oro().collect::<Vec<_>>(), [23, 24]);
        assert!(o.rapid_commit());
        assert!(!o.reconf_accept());
        assert_eq!(o.iter().count(), 5);
        assert_eq!(o.status_code(), None);
        // Cut anywhere inside the last option: checked fails, lenient stops.
        for cut in area.len() - 4..area.len() {
            assert_eq!(
                Options::new_checked(&area[..cut]).unwrap_err(),
                Error::BadOptionLength {
                    code: if cut - 25 >= 2 { 1 } else { 0 },
                    offset: 25
                }
            );
            assert_eq!(Options::new(&area[..cut]).iter().count(), 4);
        }
    }

    #[test]
    fn structure_validated() {
        // IA_NA with an IAADDR too short by one byte.
        let mut m = vec![0, 3, 0, 12 + 4 + 23];
        m.extend([0; 12]);
        m.extend([0, 5, 0, 23]);
        m.extend([0; 23]);
        assert_eq!(
            validate(&m, 4, Level::Message).unwrap_err(),
            Error::ShortOption {
                code: code::IAADDR,
                offset: 4 + 16
            }
        );
        // At leaf level the same bytes are opaque.
        assert!(validate(&m, 4, Level::Leaf).is_ok());
        assert_eq!(
            validate(&[0, 13, 0, 1, 0], 0, Level::Leaf).unwrap_err(),
            Error::ShortOption {
                code: 13,
                offset: 0
            }
        );
        assert_eq!(
            validate(
                &[0, 25, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                0,
                Level::Message
            )
            .unwrap_err(),
            Error::ShortOption {
                code: 25,
                offset: 0
            }
        );
    }
}
