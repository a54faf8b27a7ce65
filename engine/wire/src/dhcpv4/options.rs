//! Option access across the `options`, `file` and `sname` areas with
//! RFC 3396 concatenation of split options, without allocating.

use std::net::Ipv4Addr;

use super::MessageType;
use super::code;

/// One option occurrence as it appears on the wire (code, then `data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// Option code (never Pad or End).
    pub code: u8,
    /// The option's data bytes (length byte excluded).
    pub data: &'a [u8],
}

/// Result of decoding the item at one position of an area.
pub(crate) enum Step<'a> {
    /// End option or end of area.
    Done,
    /// A pad byte; continue at `next`.
    Pad { next: usize },
    /// A complete option; continue at `next`.
    Opt { opt: RawOption<'a>, next: usize },
    /// An option whose length byte or data runs past the area.
    Malformed { code: u8 },
}

/// Decodes the item at `pos` of `area` (RFC 2132 §2: code, length, data;
/// Pad and End are single bytes). Shared by validation and iteration.
pub(crate) fn step(area: &[u8], pos: usize) -> Step<'_> {
    match area.get(pos) {
        None | Some(&code::END) => Step::Done,
        Some(&code::PAD) => Step::Pad { next: pos + 1 },
        Some(&code) => {
            let Some(&len) = area.get(pos + 1) else {
                return Step::Malformed { code };
            };
            let start = pos + 2;
            let end = start + usize::from(len);
            match area.get(start..end) {
                Some(data) => Step::Opt {
                    opt: RawOption { code, data },
                    next: end,
                },
                None => Step::Malformed { code },
            }
        }
    }
}

/// The option areas of a message in RFC 2131 §4.1 order: `options`, then
/// `file`, then `sname` (each empty unless overloaded).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Areas<'a> {
    pub(crate) list: [&'a [u8]; 3],
}

/// Iterates every option occurrence (Pad/End skipped) in area order.
/// Stops at the first malformed option, which cannot happen for a message
/// that passed `Packet::new_checked`.
#[derive(Debug, Clone, Copy)]
pub struct OptionIter<'a> {
    areas: Areas<'a>,
    area: usize,
    pos: usize,
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = RawOption<'a>;

    fn next(&mut self) -> Option<RawOption<'a>> {
        loop {
            let area = *self.areas.list.get(self.area)?;
            match step(area, self.pos) {
                Step::Pad { next } => self.pos = next,
                Step::Opt { opt, next } => {
                    self.pos = next;
                    return Some(opt);
                }
                Step::Done | Step::Malformed { .. } => {
                    self.area += 1;
                    self.pos = 0;
                }
            }
        }
    }
}

/// All options of a message. Cheap to copy; every lookup walks the areas
/// (messages are small, and this keeps parsing allocation-free).
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    areas: Areas<'a>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(areas: Areas<'a>) -> Self {
        Options { areas }
    }

    /// Every occurrence in wire order across areas.
    pub fn iter(&self) -> OptionIter<'a> {
        OptionIter {
            areas: self.areas,
            area: 0,
            pos: 0,
        }
    }

    /// All occurrences of `code` as one logical value: RFC 3396 §5 says
    /// split options are concatenated in area order, and a receiver must
    /// treat any repeated code that way.
    pub fn get(&self, code: u8) -> Option<OptionValue<'a>> {
        let mut it = self.iter();
        let first = it.by_ref().find(|o| o.code == code)?.data;
        let rest = it;
        let (mut len, mut count) = (first.len(), 1);
        for o in rest.filter(|o| o.code == code) {
            len += o.data.len();
            count += 1;
        }
        Some(OptionValue {
            code,
            first,
            rest,
            len,
            count,
        })
    }

    /// Exactly-`N`-byte option as an array (None if absent or other length).
    fn fixed<const N: usize>(&self, code: u8) -> Option<[u8; N]> {
        let v = self.get(code)?;
        let mut out = [0u8; N];
        (v.len() == N).then_some(())?;
        v.copy_into(&mut out)?;
        Some(out)
    }

    /// Option 53 (must be one byte of a known type).
    pub fn message_type(&self) -> Option<MessageType> {
        MessageType::from_u8(self.fixed::<1>(code::DHCP_MESSAGE_TYPE)?[0])
    }

    /// Option 50, only when exactly 4 bytes.
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.fixed::<4>(code::DHCP_REQUESTED_ADDRESS)
            .map(Ipv4Addr::from)
    }

    /// Option 54, only when exactly 4 bytes.
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.fixed::<4>(code::DHCP_SERVER_IDENTIFIER)
            .map(Ipv4Addr::from)
    }

    /// Option 51 in seconds, only when exactly 4 bytes.
    pub fn lease_time(&self) -> Option<u32> {
        self.fixed::<4>(code::DHCP_LEASE_TIME)
            .map(u32::from_be_bytes)
    }

    /// Option 57 as sent (RFC 2132 §9.10; values below 576 are the caller's
    /// problem), only when exactly 2 bytes.
    pub fn max_message_size(&self) -> Option<u16> {
        self.fixed::<2>(code::DHCP_MAX_MESSAGE_SIZE)
            .map(u16::from_be_bytes)
    }

    /// Option 61.
    pub fn client_id(&self) -> Option<OptionValue<'a>> {
        self.get(code::DHCP_CLIENT_IDENTIFIER)
    }

    /// Option 55 (use [`OptionValue::contains`]).
    pub fn parameter_request_list(&self) -> Option<OptionValue<'a>> {
        self.get(code::DHCP_PARAMETER_REQUEST_LIST)
    }

    /// Option 12.
    pub fn host_name(&self) -> Option<OptionValue<'a>> {
        self.get(code::HOST_NAME)
    }

    /// Option 60.
    pub fn vendor_class(&self) -> Option<OptionValue<'a>> {
        self.get(code::VENDOR_CLASS_IDENTIFIER)
    }

    /// Option 82 (parse with [`super::relay_agent`]).
    pub fn relay_agent_info(&self) -> Option<OptionValue<'a>> {
        self.get(code::DHCP_AGENT_OPTIONS)
    }

    /// Option 52 (1 = file, 2 = sname, 3 = both).
    pub fn overload(&self) -> Option<u8> {
        self.fixed::<1>(code::DHCP_OPTION_OVERLOAD).map(|[v]| v)
    }
}

impl<'a> IntoIterator for Options<'a> {
    type Item = RawOption<'a>;
    type IntoIter = OptionIter<'a>;
    fn into_iter(self) -> OptionIter<'a> {
        self.iter()
    }
}

/// A logical option value: one or more fragments (RFC 3396). Usually a
/// single fragment, available without copying via [`Self::contiguous`].
#[derive(Debug, Clone, Copy)]
pub struct OptionValue<'a> {
    code: u8,
    first: &'a [u8],
    /// Iterator positioned just after the first fragment.
    rest: OptionIter<'a>,
    len: usize,
    count: usize,
}

impl<'a> OptionValue<'a> {
    /// Total length over all fragments.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the value has no bytes (e.g. an empty option).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of fragments (occurrences on the wire).
    pub fn fragment_count(&self) -> usize {
        self.count
    }

    /// The bytes, when they sit in one fragment.
    pub fn contiguous(&self) -> Option<&'a [u8]> {
        (self.count == 1).then_some(self.first)
    }

    /// The fragments in concatenation order.
    pub fn fragments(&self) -> Fragments<'a> {
        Fragments {
            code: self.code,
            first: Some(self.first),
            rest: self.rest,
        }
    }

    /// The concatenated bytes.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        self.fragments().flat_map(|f| f.iter().copied())
    }

    /// Copies the concatenated value to the front of `out`; None if `out`
    /// is shorter than [`Self::len`].
    pub fn copy_into<'b>(&self, out: &'b mut [u8]) -> Option<&'b [u8]> {
        let dst = out.get_mut(..self.len)?;
        let mut at = 0;
        for f in self.fragments() {
            dst.get_mut(at..at + f.len())?.copy_from_slice(f);
            at += f.len();
        }
        Some(dst)
    }

    /// Compares the concatenated value with `other` without copying.
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        if other.len() != self.len {
            return false;
        }
        let mut rest = other;
        for f in self.fragments() {
            match (rest.get(..f.len()), rest.get(f.len()..)) {
                (Some(head), Some(tail)) if head == f => rest = tail,
                _ => return false,
            }
        }
        rest.is_empty()
    }

    /// True if any byte equals `b` (e.g. a code in the parameter request list).
    pub fn contains(&self, b: u8) -> bool {
        self.fragments().any(|f| f.contains(&b))
    }
}

/// Iterator over the fragments of an [`OptionValue`].
#[derive(Debug, Clone)]
pub struct Fragments<'a> {
    code: u8,
    first: Option<&'a [u8]>,
    rest: OptionIter<'a>,
}

impl<'a> Iterator for Fragments<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(f) = self.first.take() {
            return Some(f);
        }
        let code = self.code;
        self.rest.find(|o| o.code == code).map(|o| o.data)
    }
}
