//! On-disk format: file header and record encoding, both hand-written
//! little-endian so the bytes are defined by this file, not by a serializer.
//!
//! File header (v1, 64 bytes):
//! ```text
//!  0  magic           [8]  b"XDHCPLOG"
//!  8  format_version  u16  1
//! 10  header_len      u16  64 (records start here)
//! 12  flags           u32  0 (reserved)
//! 16  created_unix    u64  creation time, Unix seconds
//! 24  seq_base        u64  every record's seq is > seq_base
//! 32  writer          [28] UTF-8, NUL padded, e.g. "xdhcp-storage 0.1.0"
//! 60  header_crc      u32  crc32c over bytes 0..60
//! ```
//! A reader accepts `header_len > 64` (CRC then sits in its last 4 bytes) so a
//! header can grow without a version bump.
//!
//! Record:
//! ```text
//! len u32 | crc32c u32 (over the len bytes that follow) | seq u64 | kind u8 | payload
//! ```
//! `len` counts seq + kind + payload (9 ..= MAX_RECORD_BODY).
//!
//! Kinds: 1 = Lease4, 2 = Delete4, 3 = Lease6, 4 = Delete6 (3 and 4 need format
//! version 2).
//!
//! Lease4 payload v1:
//! ```text
//! ver u8 (1) | address [4] (network order) | htype u8 | state u8 | flags u8
//! | subnet_id u32 | valid_lifetime u32 | cltt u64
//! | hwaddr (u16 len + bytes) | client_id (u16 len + bytes)
//! | hostname (u16 len + UTF-8) | user_context (u32 len + UTF-8)
//! flags: bit0 fqdn_fwd, bit1 fqdn_rev, bit2 client_id present, bit3 user_context present
//! ```
//! Delete4 payload v1: `ver u8 (1) | address [4] | at u64` (`at` appended later; a
//! payload without it reads as `at` = 0).
//!
//! Lease6 payload v1 (format version 2):
//! ```text
//! ver u8 (1) | address [16] | prefix_len u8 | lease_type u8 (0 NA, 1 TA, 2 PD)
//! | state u8 | flags u8 | iaid u32 | subnet_id u32 | preferred_lifetime u32
//! | valid_lifetime u32 | cltt u64 | htype u16 | hwaddr_source u32
//! | duid (u16 len + bytes) | hwaddr (u16 len + bytes)
//! | hostname (u16 len + UTF-8) | user_context (u32 len + UTF-8)
//! flags: bit0 fqdn_fwd, bit1 fqdn_rev, bit2 hwaddr present, bit3 user_context present
//! ```
//! Delete6 payload v1: `ver u8 (1) | address [16] | prefix_len u8 | lease_type u8 | at u64`.
//!
//! Format versions: 1 = the single-file DHCPv4 log. 2 = adds kinds 3/4 and segment
//! files. A single-file log is written as version 1 and its header is rewritten to
//! version 2 just before its first DHCPv6 record, so a v4-only file stays readable by
//! older builds.
//!
//! Segment file header (format version 2, 80 bytes): the 64-byte layout above with
//! `header_len` 80, `flags` bit0 = segment, then
//! ```text
//! 60  segment_id      u64  position in its chain (tail id, or base index)
//! 68  reserved        u64  0
//! 76  header_crc      u32  crc32c over bytes 0..76
//! ```
//! A segment is preallocated and zero filled: a record prefix of zero length at a record
//! boundary with only zeros after it is the clean end of the segment's data. Records
//! never straddle segments; `seq_base` of a segment is the seq of the last record of
//! the segment before it in the chain, and seqs within a chain are contiguous, so a lost
//! write anywhere shows as a cut.
//!
//! Compatibility rules: new fields are appended at the end of a payload
//! without bumping anything, and readers ignore trailing bytes they do not
//! know. Anything an older reader would misread or reject (a new record kind,
//! payload version, lease state or flag bit) bumps the file format version,
//! and readers refuse files with a newer format version instead of cutting
//! them, so a downgrade never destroys data.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::Ident;
use crate::lease::{Lease4, Lease6, Lease6Type, LeaseState, Record, RecordRef};

pub(crate) const MAGIC: [u8; 8] = *b"XDHCPLOG";
/// Format version this build writes for new DHCPv6-capable files and the newest it reads.
pub const FORMAT_VERSION: u16 = 2;
/// The first format: single-file, DHCPv4 records only.
pub(crate) const FORMAT_V1: u16 = 1;
pub(crate) const HEADER_LEN: usize = 64;
/// Header length of a segment file.
pub(crate) const SEGMENT_HEADER_LEN: usize = 80;
/// `flags` bit: this file is a segment of a segmented log.
pub(crate) const HEADER_FLAG_SEGMENT: u32 = 1;
const MAX_HEADER_LEN: usize = 4096;
/// Bytes of the header a reader needs before it knows the header length.
pub(crate) const HEADER_FIXED: usize = 12;
const WRITER_LEN: usize = 28;

/// `len` + `crc` in front of every record body.
pub(crate) const RECORD_PREFIX: usize = 8;
/// seq + kind.
pub(crate) const MIN_RECORD_BODY: usize = 9;
/// Largest record body accepted; bigger lengths are taken as corruption.
pub const MAX_RECORD_BODY: usize = 1 << 20;

const KIND_LEASE4: u8 = 1;
const KIND_DELETE4: u8 = 2;
const KIND_LEASE6: u8 = 3;
const KIND_DELETE6: u8 = 4;
const PAYLOAD_V1: u8 = 1;

const FLAG_FQDN_FWD: u8 = 1;
const FLAG_FQDN_REV: u8 = 2;
const FLAG_CLIENT_ID: u8 = 4;
const FLAG_USER_CONTEXT: u8 = 8;
const KNOWN_FLAGS: u8 = FLAG_FQDN_FWD | FLAG_FQDN_REV | FLAG_CLIENT_ID | FLAG_USER_CONTEXT;
/// Lease6: bit2 means "hwaddr present".
const FLAG_HWADDR: u8 = 4;

/// Fixed part of a Lease4 payload (ver .. cltt).
const LEASE4_FIXED: usize = 1 + 4 + 1 + 1 + 1 + 4 + 4 + 8;
/// Fixed part of a Lease6 payload (ver .. hwaddr_source).
const LEASE6_FIXED: usize = 1 + 16 + 1 + 1 + 1 + 1 + 4 + 4 + 4 + 4 + 8 + 2 + 4;
const DELETE4_PAYLOAD: usize = 1 + 4 + 8;
const DELETE6_PAYLOAD: usize = 1 + 16 + 1 + 1 + 8;

/// What the file header says; kept for diagnostics and offline tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHeader {
    pub format_version: u16,
    /// Creation time, Unix seconds.
    pub created_unix: u64,
    /// Every record in the file has a sequence number above this; lets a
    /// rewritten (compacted) log keep sequence numbers monotonic.
    pub seq_base: u64,
    /// Software that created the file.
    pub writer: String,
}

impl LogHeader {
    /// A header of the given format version.
    pub(crate) fn with_version(seq_base: u64, format_version: u16) -> Self {
        let created_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        LogHeader {
            format_version,
            created_unix,
            seq_base,
            writer: concat!("xdhcp-storage ", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }

    /// A version 1 (single-file, DHCPv4) header.
    pub(crate) fn new(seq_base: u64) -> Self {
        Self::with_version(seq_base, FORMAT_V1)
    }

    /// Appends the 64-byte single-file header to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        self.encode_common(out, HEADER_LEN as u16, 0);
        let crc = crc32c::crc32c(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(out.len() - start, HEADER_LEN);
    }

    /// Writes the 80-byte segment header into `out[..80]`.
    pub(crate) fn encode_segment(&self, segment_id: u64, out: &mut [u8]) {
        let mut v = Vec::with_capacity(SEGMENT_HEADER_LEN);
        self.encode_common(&mut v, SEGMENT_HEADER_LEN as u16, HEADER_FLAG_SEGMENT);
        v.extend_from_slice(&segment_id.to_le_bytes());
        v.extend_from_slice(&0u64.to_le_bytes());
        let crc = crc32c::crc32c(&v);
        v.extend_from_slice(&crc.to_le_bytes());
        out[..SEGMENT_HEADER_LEN].copy_from_slice(&v);
    }

    fn encode_common(&self, out: &mut Vec<u8>, header_len: u16, flags: u32) {
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.format_version.to_le_bytes());
        out.extend_from_slice(&header_len.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&self.created_unix.to_le_bytes());
        out.extend_from_slice(&self.seq_base.to_le_bytes());
        let mut writer = [0u8; WRITER_LEN];
        let w = self.writer.as_bytes();
        let n = w.len().min(WRITER_LEN);
        writer[..n].copy_from_slice(&w[..n]);
        out.extend_from_slice(&writer);
    }
}

/// Why a header was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderProblem {
    /// Magic bytes are not ours.
    NotOurs,
    /// Our magic, but the file ends inside the header: a crash during
    /// creation. No record can exist yet, so re-initialising loses nothing.
    Torn,
    Unsupported(u16),
    Corrupt(String),
}

/// Checks the first `HEADER_FIXED` bytes (fewer if the file is shorter) and
/// returns the header length.
pub(crate) fn check_header_prefix(prefix: &[u8], file_len: u64) -> Result<usize, HeaderProblem> {
    let m = prefix.len().min(MAGIC.len());
    if prefix[..m] != MAGIC[..m] {
        return Err(HeaderProblem::NotOurs);
    }
    if prefix.len() < HEADER_FIXED {
        return Err(HeaderProblem::Torn);
    }
    let version = u16::from_le_bytes([prefix[8], prefix[9]]);
    if version == 0 {
        return Err(HeaderProblem::Corrupt("format version 0".into()));
    }
    if version > FORMAT_VERSION {
        return Err(HeaderProblem::Unsupported(version));
    }
    let header_len = usize::from(u16::from_le_bytes([prefix[10], prefix[11]]));
    if !(HEADER_LEN..=MAX_HEADER_LEN).contains(&header_len) {
        return Err(HeaderProblem::Corrupt(format!(
            "impossible header length {header_len}"
        )));
    }
    if file_len < HEADER_LEN as u64 {
        return Err(HeaderProblem::Torn);
    }
    if file_len < header_len as u64 {
        // Only a v1 header of exactly 64 bytes can be torn; a longer claimed
        // length on a shorter file is damage, and guessing could wipe data.
        return Err(HeaderProblem::Corrupt(format!(
            "header length {header_len} but file has {file_len} bytes"
        )));
    }
    Ok(header_len)
}

/// Decodes a complete header (`header_len` bytes).
#[cfg(test)]
pub(crate) fn decode_header(bytes: &[u8]) -> Result<LogHeader, HeaderProblem> {
    decode_header_ext(bytes).map(|h| h.header)
}

/// A decoded header with the fields only segments use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderExt {
    pub header: LogHeader,
    pub flags: u32,
    /// Segment id (0 when the header has no such field).
    pub segment_id: u64,
}

pub(crate) fn decode_header_ext(bytes: &[u8]) -> Result<HeaderExt, HeaderProblem> {
    if bytes.len() < HEADER_LEN {
        return Err(HeaderProblem::Corrupt("short header".into()));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32c::crc32c(body);
    if stored != computed {
        return Err(HeaderProblem::Corrupt(format!(
            "header checksum mismatch (stored {stored:08x}, computed {computed:08x})"
        )));
    }
    let mut r = Reader::new(&body[8..]);
    let format_version = r.u16().map_err(HeaderProblem::Corrupt)?;
    let _header_len = r.u16().map_err(HeaderProblem::Corrupt)?;
    let flags = r.u32().map_err(HeaderProblem::Corrupt)?;
    let created_unix = r.u64().map_err(HeaderProblem::Corrupt)?;
    let seq_base = r.u64().map_err(HeaderProblem::Corrupt)?;
    let writer = r.bytes(WRITER_LEN).map_err(HeaderProblem::Corrupt)?;
    let end = writer.iter().position(|&b| b == 0).unwrap_or(WRITER_LEN);
    let segment_id = r.u64().unwrap_or(0);
    Ok(HeaderExt {
        header: LogHeader {
            format_version,
            created_unix,
            seq_base,
            writer: String::from_utf8_lossy(&writer[..end]).into_owned(),
        },
        flags,
        segment_id,
    })
}

/// A record that cannot be encoded because a field exceeds the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLarge {
    pub address: IpAddr,
    pub field: &'static str,
    pub len: usize,
    pub max: usize,
}

fn check16(address: IpAddr, field: &'static str, len: usize) -> Result<usize, TooLarge> {
    if len > usize::from(u16::MAX) {
        return Err(TooLarge {
            address,
            field,
            len,
            max: usize::from(u16::MAX),
        });
    }
    Ok(2 + len)
}

fn check_ctx(address: IpAddr, ctx: Option<&str>) -> Result<usize, TooLarge> {
    let len = ctx.map_or(0, str::len);
    if len > MAX_RECORD_BODY {
        return Err(TooLarge {
            address,
            field: "user_context",
            len,
            max: MAX_RECORD_BODY,
        });
    }
    Ok(4 + len)
}

/// Framed length (prefix + body) of a record, after checking every field fits.
pub(crate) fn record_len(record: RecordRef<'_>) -> Result<usize, TooLarge> {
    let (address, payload) = match record {
        RecordRef::Lease4(l) => {
            let a = IpAddr::V4(l.address);
            let n = LEASE4_FIXED
                + check16(a, "hwaddr", l.hwaddr.len())?
                + check16(
                    a,
                    "client_id",
                    l.client_id.as_deref().map_or(0, <[u8]>::len),
                )?
                + check16(a, "hostname", l.hostname.len())?
                + check_ctx(a, l.user_context.as_deref())?;
            (a, n)
        }
        RecordRef::Delete4 { address, .. } => (IpAddr::V4(address), DELETE4_PAYLOAD),
        RecordRef::Lease6(l) => {
            let a = IpAddr::V6(l.address);
            let n = LEASE6_FIXED
                + check16(a, "duid", l.duid.len())?
                + check16(a, "hwaddr", l.hwaddr.as_deref().map_or(0, <[u8]>::len))?
                + check16(a, "hostname", l.hostname.len())?
                + check_ctx(a, l.user_context.as_deref())?;
            (a, n)
        }
        RecordRef::Delete6 { address, .. } => (IpAddr::V6(address), DELETE6_PAYLOAD),
    };
    let body = MIN_RECORD_BODY + payload;
    if body > MAX_RECORD_BODY {
        return Err(TooLarge {
            address,
            field: "record",
            len: body,
            max: MAX_RECORD_BODY,
        });
    }
    Ok(RECORD_PREFIX + body)
}

/// Bounds-trusting writer over a slice sized by [`record_len`].
struct Out<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Out<'_> {
    fn put(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }
    fn var16(&mut self, v: &[u8]) {
        self.put(&(v.len() as u16).to_le_bytes());
        self.put(v);
    }
    fn var32(&mut self, v: &[u8]) {
        self.put(&(v.len() as u32).to_le_bytes());
        self.put(v);
    }
}

/// Writes one framed record into `out`, whose length must be `record_len(record)`
/// (checked by the caller, so this cannot fail).
pub(crate) fn write_record(out: &mut [u8], seq: u64, record: RecordRef<'_>) {
    let body_len = out.len() - RECORD_PREFIX;
    let mut o = Out {
        buf: &mut out[RECORD_PREFIX..],
        pos: 0,
    };
    o.put(&seq.to_le_bytes());
    match record {
        RecordRef::Lease4(l) => {
            o.u8(KIND_LEASE4);
            let mut flags = 0u8;
            if l.fqdn_fwd {
                flags |= FLAG_FQDN_FWD;
            }
            if l.fqdn_rev {
                flags |= FLAG_FQDN_REV;
            }
            if l.client_id.is_some() {
                flags |= FLAG_CLIENT_ID;
            }
            if l.user_context.is_some() {
                flags |= FLAG_USER_CONTEXT;
            }
            o.u8(PAYLOAD_V1);
            o.put(&l.address.octets());
            o.u8(l.htype);
            o.u8(l.state.code());
            o.u8(flags);
            o.put(&l.subnet_id.to_le_bytes());
            o.put(&l.valid_lifetime.to_le_bytes());
            o.put(&l.cltt.to_le_bytes());
            o.var16(&l.hwaddr);
            o.var16(l.client_id.as_deref().unwrap_or(&[]));
            o.var16(l.hostname.as_bytes());
            o.var32(l.user_context.as_deref().unwrap_or("").as_bytes());
        }
        RecordRef::Delete4 { address, at } => {
            o.u8(KIND_DELETE4);
            o.u8(PAYLOAD_V1);
            o.put(&address.octets());
            // Appended field (readers of the first layout ignore it).
            o.put(&at.to_le_bytes());
        }
        RecordRef::Lease6(l) => {
            o.u8(KIND_LEASE6);
            let mut flags = 0u8;
            if l.fqdn_fwd {
                flags |= FLAG_FQDN_FWD;
            }
            if l.fqdn_rev {
                flags |= FLAG_FQDN_REV;
            }
            if l.hwaddr.is_some() {
                flags |= FLAG_HWADDR;
            }
            if l.user_context.is_some() {
                flags |= FLAG_USER_CONTEXT;
            }
            o.u8(PAYLOAD_V1);
            o.put(&l.address.octets());
            o.u8(l.prefix_len);
            o.u8(l.lease_type.code());
            o.u8(l.state.code());
            o.u8(flags);
            o.put(&l.iaid.to_le_bytes());
            o.put(&l.subnet_id.to_le_bytes());
            o.put(&l.preferred_lifetime.to_le_bytes());
            o.put(&l.valid_lifetime.to_le_bytes());
            o.put(&l.cltt.to_le_bytes());
            o.put(&l.htype.to_le_bytes());
            o.put(&l.hwaddr_source.to_le_bytes());
            o.var16(&l.duid);
            o.var16(l.hwaddr.as_deref().unwrap_or(&[]));
            o.var16(l.hostname.as_bytes());
            o.var32(l.user_context.as_deref().unwrap_or("").as_bytes());
        }
        RecordRef::Delete6 {
            address,
            prefix_len,
            lease_type,
            at,
        } => {
            o.u8(KIND_DELETE6);
            o.u8(PAYLOAD_V1);
            o.put(&address.octets());
            o.u8(prefix_len);
            o.u8(lease_type.code());
            o.put(&at.to_le_bytes());
        }
    }
    debug_assert_eq!(o.pos, body_len);
    let crc = crc32c::crc32c(&out[RECORD_PREFIX..]);
    out[..4].copy_from_slice(&(body_len as u32).to_le_bytes());
    out[4..8].copy_from_slice(&crc.to_le_bytes());
}

/// Appends one framed record to `buf`. On error `buf` is left as it was.
#[cfg(test)]
pub(crate) fn encode_record(buf: &mut Vec<u8>, seq: u64, record: &Record) -> Result<(), TooLarge> {
    encode_ref(buf, seq, RecordRef::from(record))
}

/// Appends one framed record to `buf`. On error `buf` is left as it was.
pub(crate) fn encode_ref(
    buf: &mut Vec<u8>,
    seq: u64,
    record: RecordRef<'_>,
) -> Result<(), TooLarge> {
    let n = record_len(record)?;
    let start = buf.len();
    buf.resize(start + n, 0);
    write_record(&mut buf[start..], seq, record);
    Ok(())
}

/// True for record kinds that need format version 2.
pub(crate) fn needs_v2(record: RecordRef<'_>) -> bool {
    matches!(record, RecordRef::Lease6(_) | RecordRef::Delete6 { .. })
}

/// Decodes a record body (seq + kind + payload) whose CRC already matched.
pub(crate) fn decode_record(body: &[u8]) -> Result<(u64, Record), String> {
    let mut r = Reader::new(body);
    let seq = r.u64()?;
    let kind = r.u8()?;
    let record = match kind {
        KIND_LEASE4 => Record::Lease4(decode_lease4(&mut r)?),
        KIND_DELETE4 => {
            payload_version(&mut r, "delete4")?;
            let address = r.addr()?;
            // `at` was appended later: a shorter payload is an older writer's.
            let at = r.u64().unwrap_or(0);
            Record::Delete4 { address, at }
        }
        KIND_LEASE6 => Record::Lease6(decode_lease6(&mut r)?),
        KIND_DELETE6 => {
            payload_version(&mut r, "delete6")?;
            let address = Ipv6Addr::from(r.array::<16>()?);
            let prefix_len = r.u8()?;
            let lease_type = lease_type(r.u8()?)?;
            let at = r.u64()?;
            Record::Delete6 {
                address,
                prefix_len,
                lease_type,
                at,
            }
        }
        other => return Err(format!("unknown record kind {other}")),
    };
    // Trailing bytes are fields added by a newer writer: ignored by design.
    Ok((seq, record))
}

fn lease_type(code: u8) -> Result<Lease6Type, String> {
    Lease6Type::from_code(code).ok_or_else(|| format!("unknown lease type {code}"))
}

fn payload_version(r: &mut Reader<'_>, what: &str) -> Result<(), String> {
    match r.u8()? {
        PAYLOAD_V1 => Ok(()),
        v => Err(format!("unknown {what} payload version {v}")),
    }
}

fn state(code: u8) -> Result<LeaseState, String> {
    LeaseState::from_code(code).ok_or_else(|| format!("unknown lease state {code}"))
}

fn text(bytes: &[u8], what: &str) -> Result<String, String> {
    std::str::from_utf8(bytes)
        .map(str::to_string)
        .map_err(|_| format!("{what} is not UTF-8"))
}

fn optional<T>(
    present: bool,
    bytes: &[u8],
    what: &str,
    f: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if present {
        f(bytes).map(Some)
    } else if bytes.is_empty() {
        Ok(None)
    } else {
        Err(format!("{what} bytes present but flagged absent"))
    }
}

fn decode_lease4(r: &mut Reader<'_>) -> Result<Lease4, String> {
    payload_version(r, "lease4")?;
    let address = r.addr()?;
    let htype = r.u8()?;
    let state = state(r.u8()?)?;
    let flags = r.u8()?;
    if flags & !KNOWN_FLAGS != 0 {
        return Err(format!("unknown lease flags {flags:#04x}"));
    }
    let subnet_id = r.u32()?;
    let valid_lifetime = r.u32()?;
    let cltt = r.u64()?;
    let hwaddr = Ident::new(r.var16()?);
    let client_id = optional(flags & FLAG_CLIENT_ID != 0, r.var16()?, "client_id", |b| {
        Ok(Ident::new(b))
    })?;
    let hostname = text(r.var16()?, "hostname")?;
    let ctx = r.var32()?;
    let user_context = optional(flags & FLAG_USER_CONTEXT != 0, ctx, "user_context", |b| {
        text(b, "user_context")
    })?;
    Ok(Lease4 {
        address,
        hwaddr,
        htype,
        client_id,
        subnet_id,
        valid_lifetime,
        cltt,
        fqdn_fwd: flags & FLAG_FQDN_FWD != 0,
        fqdn_rev: flags & FLAG_FQDN_REV != 0,
        hostname,
        state,
        user_context,
    })
}

fn decode_lease6(r: &mut Reader<'_>) -> Result<Lease6, String> {
    payload_version(r, "lease6")?;
    let address = Ipv6Addr::from(r.array::<16>()?);
    let prefix_len = r.u8()?;
    let lease_type = lease_type(r.u8()?)?;
    let state = state(r.u8()?)?;
    let flags = r.u8()?;
    if flags & !KNOWN_FLAGS != 0 {
        return Err(format!("unknown lease flags {flags:#04x}"));
    }
    let iaid = r.u32()?;
    let subnet_id = r.u32()?;
    let preferred_lifetime = r.u32()?;
    let valid_lifetime = r.u32()?;
    let cltt = r.u64()?;
    let htype = r.u16()?;
    let hwaddr_source = r.u32()?;
    let duid = Ident::new(r.var16()?);
    let hwaddr = optional(flags & FLAG_HWADDR != 0, r.var16()?, "hwaddr", |b| {
        Ok(Ident::new(b))
    })?;
    let hostname = text(r.var16()?, "hostname")?;
    let ctx = r.var32()?;
    let user_context = optional(flags & FLAG_USER_CONTEXT != 0, ctx, "user_context", |b| {
        text(b, "user_context")
    })?;
    Ok(Lease6 {
        address,
        prefix_len,
        lease_type,
        duid,
        iaid,
        subnet_id,
        preferred_lifetime,
        valid_lifetime,
        cltt,
        fqdn_fwd: flags & FLAG_FQDN_FWD != 0,
        fqdn_rev: flags & FLAG_FQDN_REV != 0,
        hostname,
        hwaddr,
        htype,
        hwaddr_source,
        state,
        user_context,
    })
}

/// Bounds-checked little-endian cursor; every read fails instead of panicking.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                format!(
                    "field of {n} bytes at payload offset {} overruns the {}-byte record",
                    self.pos,
                    self.buf.len()
                )
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn addr(&mut self) -> Result<Ipv4Addr, String> {
        Ok(Ipv4Addr::from(self.array::<4>()?))
    }
    pub(crate) fn var16(&mut self) -> Result<&'a [u8], String> {
        let n = usize::from(self.u16()?);
        self.bytes(n)
    }
    fn var32(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }
    pub(crate) fn done(&self) -> bool {
        self.pos == self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease() -> Lease4 {
        Lease4 {
            address: Ipv4Addr::new(192, 0, 2, 7),
            hwaddr: vec![1, 2, 3, 4, 5, 6].into(),
            htype: 1,
            client_id: Some(vec![1, 1, 2, 3, 4, 5, 6].into()),
            subnet_id: 42,
            valid_lifetime: 3600,
            cltt: 1_700_000_000,
            fqdn_fwd: true,
            fqdn_rev: false,
            hostname: "host.example.".into(),
            state: LeaseState::Default,
            user_context: Some(r#"{"a":1}"#.into()),
        }
    }

    fn body(buf: &[u8]) -> &[u8] {
        &buf[RECORD_PREFIX..]
    }

    #[test]
    fn lease_round_trip_and_framing() {
        let mut buf = Vec::new();
        let l = lease();
        encode_record(&mut buf, 5, &Record::Lease4(l.clone())).unwrap();
        let len = u32::from_le_bytes(buf[0..4].try_into().unwrap()) as usize;
        assert_eq!(len, buf.len() - RECORD_PREFIX);
        let crc = u32::from_le_bytes(buf[4..8].try_into().unwrap());
        assert_eq!(crc, crc32c::crc32c(body(&buf)));
        assert_eq!(decode_record(body(&buf)).unwrap(), (5, Record::Lease4(l)));
    }

    #[test]
    fn delete_round_trip() {
        let mut buf = Vec::new();
        let rec = Record::Delete4 {
            address: Ipv4Addr::new(10, 0, 0, 1),
            at: 1_800_000_000,
        };
        encode_record(&mut buf, u64::MAX, &rec).unwrap();
        assert_eq!(buf.len(), RECORD_PREFIX + MIN_RECORD_BODY + 5 + 8);
        assert_eq!(decode_record(body(&buf)).unwrap(), (u64::MAX, rec));
    }

    #[test]
    fn delete_without_time_reads_as_time_zero() {
        // The first layout of a Delete4 payload had no `at`.
        let mut b = 7u64.to_le_bytes().to_vec();
        b.push(KIND_DELETE4);
        b.push(PAYLOAD_V1);
        b.extend_from_slice(&[10, 0, 0, 2]);
        let rec = Record::Delete4 {
            address: Ipv4Addr::new(10, 0, 0, 2),
            at: 0,
        };
        assert_eq!(decode_record(&b).unwrap(), (7, rec));
    }

    #[test]
    fn trailing_fields_from_newer_writer_are_ignored() {
        let mut buf = Vec::new();
        let l = lease();
        encode_record(&mut buf, 1, &Record::Lease4(l.clone())).unwrap();
        let mut b = body(&buf).to_vec();
        b.extend_from_slice(b"future field");
        assert_eq!(decode_record(&b).unwrap(), (1, Record::Lease4(l)));
    }

    #[test]
    fn every_truncated_body_fails_cleanly() {
        let mut buf = Vec::new();
        encode_record(&mut buf, 1, &Record::Lease4(lease())).unwrap();
        let b = body(&buf);
        for n in 0..b.len() {
            assert!(decode_record(&b[..n]).is_err(), "prefix {n} decoded");
        }
    }

    #[test]
    fn unknown_kind_version_state_flags_rejected() {
        let mut buf = Vec::new();
        encode_record(&mut buf, 1, &Record::Lease4(lease())).unwrap();
        let b = body(&buf).to_vec();
        // Offsets within the body: seq 0..8, kind 8, ver 9, addr 10..14,
        // htype 14, state 15, flags 16.
        for (idx, val) in [(8, 9u8), (9, 2), (15, 4), (16, 0x10)] {
            let mut c = b.clone();
            c[idx] = val;
            assert!(decode_record(&c).is_err(), "byte {idx}={val} accepted");
        }
    }

    #[test]
    fn absent_option_with_bytes_rejected() {
        let mut l = lease();
        l.client_id = None;
        let mut buf = Vec::new();
        encode_record(&mut buf, 1, &Record::Lease4(l)).unwrap();
        let mut b = body(&buf).to_vec();
        // hwaddr len at 33..35, 6 bytes, then client_id len at 41..43.
        b[41] = 1;
        b.insert(43, 0xff);
        assert!(decode_record(&b).is_err());
    }

    #[test]
    fn oversize_fields_rejected_and_buffer_untouched() {
        let mut buf = vec![0xaa];
        let mut l = lease();
        l.hwaddr = vec![0; 65536].into();
        let e = encode_record(&mut buf, 1, &Record::Lease4(l)).unwrap_err();
        assert_eq!(e.field, "hwaddr");
        assert_eq!(buf, [0xaa]);

        let mut l = lease();
        l.user_context = Some("x".repeat(MAX_RECORD_BODY));
        let e = encode_record(&mut buf, 1, &Record::Lease4(l)).unwrap_err();
        assert_eq!(e.field, "record");
        assert_eq!(buf, [0xaa]);
    }

    #[test]
    fn header_round_trip_and_checks() {
        let h = LogHeader::new(77);
        let mut buf = Vec::new();
        h.encode(&mut buf);
        assert_eq!(buf.len(), HEADER_LEN);
        assert_eq!(check_header_prefix(&buf[..HEADER_FIXED], 64), Ok(64));
        assert_eq!(decode_header(&buf).unwrap(), h);
        assert_eq!(check_header_prefix(&buf[..5], 5), Err(HeaderProblem::Torn));
        assert_eq!(
            check_header_prefix(&buf[..12], 40),
            Err(HeaderProblem::Torn)
        );
        assert_eq!(
            check_header_prefix(b"address,hwa", 11),
            Err(HeaderProblem::NotOurs)
        );
        let mut future = buf.clone();
        future[8] = (FORMAT_VERSION + 1) as u8;
        assert_eq!(
            check_header_prefix(&future[..12], 64),
            Err(HeaderProblem::Unsupported(FORMAT_VERSION + 1))
        );
        let mut bad = buf.clone();
        bad[20] ^= 1;
        assert!(matches!(
            decode_header(&bad),
            Err(HeaderProblem::Corrupt(_))
        ));
    }

    fn lease6() -> Lease6 {
        Lease6 {
            address: "2001:db8::7".parse().unwrap(),
            prefix_len: 128,
            lease_type: Lease6Type::Na,
            duid: vec![0, 1, 0, 1, 9, 9].into(),
            iaid: 7,
            subnet_id: 3,
            preferred_lifetime: 1800,
            valid_lifetime: 3600,
            cltt: 1_700_000_000,
            fqdn_fwd: true,
            fqdn_rev: true,
            hostname: "h6.example.".into(),
            hwaddr: Some(vec![2, 0, 0, 0, 0, 1].into()),
            htype: 1,
            hwaddr_source: 4,
            state: LeaseState::Declined,
            user_context: None,
        }
    }

    #[test]
    fn lease6_and_delete6_round_trip_and_every_truncation_fails() {
        let l = lease6();
        let del = Record::Delete6 {
            address: l.address,
            prefix_len: 56,
            lease_type: Lease6Type::Pd,
            at: 99,
        };
        for rec in [Record::Lease6(l.clone()), del] {
            let mut buf = Vec::new();
            encode_record(&mut buf, 3, &rec).unwrap();
            assert_eq!(buf.len(), record_len(RecordRef::from(&rec)).unwrap());
            assert_eq!(decode_record(body(&buf)).unwrap(), (3, rec.clone()));
            let b = body(&buf);
            for n in 0..b.len() {
                assert!(decode_record(&b[..n]).is_err(), "prefix {n} decoded");
            }
        }
        // Offsets in the body: kind 8, ver 9, address 10..26, prefix_len 26,
        // lease_type 27, state 28, flags 29.
        let mut buf = Vec::new();
        encode_record(&mut buf, 1, &Record::Lease6(l)).unwrap();
        let b = body(&buf).to_vec();
        for (idx, val) in [(9, 2u8), (27, 3), (28, 4), (29, 0x10)] {
            let mut c = b.clone();
            c[idx] = val;
            assert!(decode_record(&c).is_err(), "byte {idx}={val} accepted");
        }
        assert!(needs_v2(RecordRef::Lease6(&lease6())));
        assert!(!needs_v2(RecordRef::Lease4(&lease())));
    }

    #[test]
    fn segment_header_round_trip() {
        let h = LogHeader::with_version(41, FORMAT_VERSION);
        let mut b = [0u8; SEGMENT_HEADER_LEN];
        h.encode_segment(9, &mut b);
        assert_eq!(
            check_header_prefix(&b[..HEADER_FIXED], 4096),
            Ok(SEGMENT_HEADER_LEN)
        );
        let e = decode_header_ext(&b).unwrap();
        assert_eq!(
            (e.header, e.flags, e.segment_id),
            (h, HEADER_FLAG_SEGMENT, 9)
        );
    }
}
