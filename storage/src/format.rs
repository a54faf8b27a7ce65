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
//! Kinds: 1 = Lease4, 2 = Delete4 (3/4 reserved for Lease6/Delete6).
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
//! Compatibility rules: new fields are appended at the end of a payload
//! without bumping anything, and readers ignore trailing bytes they do not
//! know. Anything an older reader would misread or reject (a new record kind,
//! payload version, lease state or flag bit) bumps the file format version,
//! and readers refuse files with a newer format version instead of cutting
//! them, so a downgrade never destroys data.

use std::net::Ipv4Addr;

use crate::Ident;
use crate::lease::{Lease4, LeaseState, Record};

pub(crate) const MAGIC: [u8; 8] = *b"XDHCPLOG";
/// Format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;
pub(crate) const HEADER_LEN: usize = 64;
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
const PAYLOAD_V1: u8 = 1;

const FLAG_FQDN_FWD: u8 = 1;
const FLAG_FQDN_REV: u8 = 2;
const FLAG_CLIENT_ID: u8 = 4;
const FLAG_USER_CONTEXT: u8 = 8;
const KNOWN_FLAGS: u8 = FLAG_FQDN_FWD | FLAG_FQDN_REV | FLAG_CLIENT_ID | FLAG_USER_CONTEXT;

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
    pub(crate) fn new(seq_base: u64) -> Self {
        let created_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        LogHeader {
            format_version: FORMAT_VERSION,
            created_unix,
            seq_base,
            writer: concat!("xdhcp-storage ", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }

    /// Appends the 64-byte v1 header to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.created_unix.to_le_bytes());
        out.extend_from_slice(&self.seq_base.to_le_bytes());
        let mut writer = [0u8; WRITER_LEN];
        let w = self.writer.as_bytes();
        let n = w.len().min(WRITER_LEN);
        writer[..n].copy_from_slice(&w[..n]);
        out.extend_from_slice(&writer);
        let crc = crc32c::crc32c(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(out.len() - start, HEADER_LEN);
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
pub(crate) fn decode_header(bytes: &[u8]) -> Result<LogHeader, HeaderProblem> {
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
    let _flags = r.u32().map_err(HeaderProblem::Corrupt)?;
    let created_unix = r.u64().map_err(HeaderProblem::Corrupt)?;
    let seq_base = r.u64().map_err(HeaderProblem::Corrupt)?;
    let writer = r.bytes(WRITER_LEN).map_err(HeaderProblem::Corrupt)?;
    let end = writer.iter().position(|&b| b == 0).unwrap_or(WRITER_LEN);
    Ok(LogHeader {
        format_version,
        created_unix,
        seq_base,
        writer: String::from_utf8_lossy(&writer[..end]).into_owned(),
    })
}

/// A record that cannot be encoded because a field exceeds the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLarge {
    pub address: Ipv4Addr,
    pub field: &'static str,
    pub len: usize,
    pub max: usize,
}

/// Appends one framed record to `buf`. On error `buf` is left as it was.
pub(crate) fn encode_record(buf: &mut Vec<u8>, seq: u64, record: &Record) -> Result<(), TooLarge> {
    match record {
        Record::Lease4(lease) => encode_lease4_record(buf, seq, lease),
        Record::Delete4 { address, at } => {
            let start = begin(buf, seq, KIND_DELETE4);
            buf.push(PAYLOAD_V1);
            buf.extend_from_slice(&address.octets());
            // Appended field (readers of the first layout ignore it).
            buf.extend_from_slice(&at.to_le_bytes());
            finish(buf, start, *address)
        }
    }
}

/// Same as `encode_record(Record::Lease4(..))` without building a `Record`.
pub(crate) fn encode_lease4_record(
    buf: &mut Vec<u8>,
    seq: u64,
    l: &Lease4,
) -> Result<(), TooLarge> {
    let start = begin(buf, seq, KIND_LEASE4);
    let res = encode_lease4_payload(buf, l).and_then(|()| finish(buf, start, l.address));
    if res.is_err() {
        buf.truncate(start);
    }
    res
}

fn begin(buf: &mut Vec<u8>, seq: u64, kind: u8) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&[0u8; RECORD_PREFIX]);
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.push(kind);
    start
}

fn finish(buf: &mut Vec<u8>, start: usize, address: Ipv4Addr) -> Result<(), TooLarge> {
    let body_len = buf.len() - start - RECORD_PREFIX;
    if body_len > MAX_RECORD_BODY {
        buf.truncate(start);
        return Err(TooLarge {
            address,
            field: "record",
            len: body_len,
            max: MAX_RECORD_BODY,
        });
    }
    let crc = crc32c::crc32c(&buf[start + RECORD_PREFIX..]);
    buf[start..start + 4].copy_from_slice(&(body_len as u32).to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

fn encode_lease4_payload(buf: &mut Vec<u8>, l: &Lease4) -> Result<(), TooLarge> {
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
    buf.push(PAYLOAD_V1);
    buf.extend_from_slice(&l.address.octets());
    buf.push(l.htype);
    buf.push(l.state.code());
    buf.push(flags);
    buf.extend_from_slice(&l.subnet_id.to_le_bytes());
    buf.extend_from_slice(&l.valid_lifetime.to_le_bytes());
    buf.extend_from_slice(&l.cltt.to_le_bytes());
    let empty: &[u8] = &[];
    put16(buf, l.address, "hwaddr", &l.hwaddr)?;
    put16(
        buf,
        l.address,
        "client_id",
        l.client_id.as_deref().unwrap_or(empty),
    )?;
    put16(buf, l.address, "hostname", l.hostname.as_bytes())?;
    let ctx = l.user_context.as_deref().unwrap_or("").as_bytes();
    if ctx.len() > MAX_RECORD_BODY {
        return Err(TooLarge {
            address: l.address,
            field: "user_context",
            len: ctx.len(),
            max: MAX_RECORD_BODY,
        });
    }
    buf.extend_from_slice(&(ctx.len() as u32).to_le_bytes());
    buf.extend_from_slice(ctx);
    Ok(())
}

fn put16(
    buf: &mut Vec<u8>,
    address: Ipv4Addr,
    field: &'static str,
    v: &[u8],
) -> Result<(), TooLarge> {
    let len = u16::try_from(v.len()).map_err(|_| TooLarge {
        address,
        field,
        len: v.len(),
        max: usize::from(u16::MAX),
    })?;
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(v);
    Ok(())
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
        other => return Err(format!("unknown record kind {other}")),
    };
    // Trailing bytes are fields added by a newer writer: ignored by design.
    Ok((seq, record))
}

fn payload_version(r: &mut Reader<'_>, what: &str) -> Result<(), String> {
    match r.u8()? {
        PAYLOAD_V1 => Ok(()),
        v => Err(format!("unknown {what} payload version {v}")),
    }
}

fn decode_lease4(r: &mut Reader<'_>) -> Result<Lease4, String> {
    payload_version(r, "lease4")?;
    let address = r.addr()?;
    let htype = r.u8()?;
    let state_code = r.u8()?;
    let state = LeaseState::from_code(state_code)
        .ok_or_else(|| format!("unknown lease state {state_code}"))?;
    let flags = r.u8()?;
    if flags & !KNOWN_FLAGS != 0 {
        return Err(format!("unknown lease flags {flags:#04x}"));
    }
    let subnet_id = r.u32()?;
    let valid_lifetime = r.u32()?;
    let cltt = r.u64()?;
    let hwaddr = Ident::new(r.var16()?);
    let client_id = r.var16()?;
    let client_id = if flags & FLAG_CLIENT_ID != 0 {
        Some(Ident::new(client_id))
    } else if client_id.is_empty() {
        None
    } else {
        return Err("client_id bytes present but flagged absent".into());
    };
    let hostname = std::str::from_utf8(r.var16()?)
        .map_err(|_| "hostname is not UTF-8".to_string())?
        .to_string();
    let ctx_len = r.u32()? as usize;
    let ctx = std::str::from_utf8(r.bytes(ctx_len)?)
        .map_err(|_| "user_context is not UTF-8".to_string())?;
    let user_context = if flags & FLAG_USER_CONTEXT != 0 {
        Some(ctx.to_string())
    } else if ctx.is_empty() {
        None
    } else {
        return Err("user_context bytes present but flagged absent".into());
    };
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

/// Bounds-checked little-endian cursor; every read fails instead of panicking.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
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

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn addr(&mut self) -> Result<Ipv4Addr, String> {
        Ok(Ipv4Addr::from(self.array::<4>()?))
    }
    fn var16(&mut self) -> Result<&'a [u8], String> {
        let n = usize::from(self.u16()?);
        self.bytes(n)
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
        let mut buf = Vec::new();
        let start = begin(&mut buf, 7, KIND_DELETE4);
        buf.push(PAYLOAD_V1);
        buf.extend_from_slice(&[10, 0, 0, 2]);
        finish(&mut buf, start, Ipv4Addr::new(10, 0, 0, 2)).unwrap();
        let rec = Record::Delete4 {
            address: Ipv4Addr::new(10, 0, 0, 2),
            at: 0,
        };
        assert_eq!(decode_record(body(&buf)).unwrap(), (7, rec));
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
        future[8] = 2;
        assert_eq!(
            check_header_prefix(&future[..12], 64),
            Err(HeaderProblem::Unsupported(2))
        );
        let mut bad = buf.clone();
        bad[20] ^= 1;
        assert!(matches!(
            decode_header(&bad),
            Err(HeaderProblem::Corrupt(_))
        ));
    }
}
