//! The segmented, memory-mapped lease log of one shard.
//!
//! # Layout of a log directory
//! ```text
//! LOCK                         flock'ed by the one writer
//! MANIFEST                     generation, the base (compacted) segments, first tail id
//! base-<gen>-<index>.xseg      compacted segments: the live set as of a compaction
//! seg-<id>.xseg                tail segments, preallocated, appended through the map
//! ```
//! Replay reads the base segments in manifest order, then the tail segments with
//! `id >= tail_first` in id order (ids must be contiguous). Each chain (base, tail)
//! numbers its records contiguously: a segment's header `seq_base` is the seq of the
//! previous segment's last record, and record seqs go up by one. A segment's data ends
//! at the first zero record length followed only by zeros. The first damage found
//! (torn or corrupt record, a seq gap, a missing header, an id gap) is a cut: every
//! record before it is kept, nothing after it (in that segment or any later one) is
//! trusted. A writable open repairs the log: the cut segment is zeroed from the cut on
//! (a base segment is truncated), later segments are deleted, so new appends follow
//! valid data. Headers that are damaged or of a newer format are refused untouched, as
//! for [`LeaseLog`](crate::LeaseLog).
//!
//! # Appending and durability
//! Appending copies encoded records into the mapped active segment (no syscall). A
//! record that does not fit rolls to the next segment, which was preallocated
//! (`posix_fallocate`, so a full disk fails at preallocation, never as SIGBUS in the
//! map) and whose directory entry is already durable. Durability is group commit:
//! [`SegmentLog::commit_async`] queues an fdatasync of every segment written since the
//! last commit (io_uring, or a helper thread), [`SegmentLog::poll_commits`] reports
//! completions in order without blocking.
//!
//! # Compaction protocol (Kea's LFC)
//! 1. Shard thread: [`SegmentLog::begin_compaction`] rolls to a fresh segment `t`
//!    (cheap) and returns a [`CompactionTicket`] covering every record up to seq `S`
//!    (all in segments before `t`). The shard keeps appending to `t`, `t+1`, ...
//! 2. Side thread: the ticket computes the live set as of `S`
//!    ([`CompactionTicket::replay_covered`], reading the now immutable segments
//!    before `t`), or takes one from the caller (a snapshot taken at or after `S`: any
//!    record after `S` is replayed on top of it anyway), and writes it into new base
//!    segment files, each fsynced.
//! 3. Atomic switch: a new MANIFEST (generation + 1, new base files, `tail_first = t`)
//!    is written to `MANIFEST.tmp`, fsynced, the directory fsynced, renamed over
//!    `MANIFEST`, the directory fsynced again. Then the old base files and the tail
//!    segments before `t` are deleted.
//!
//! A crash before the rename leaves the old manifest: the new base files are
//! unreferenced and deleted at the next open. A crash after it leaves old segments
//! that the manifest no longer references: also deleted at the next open. Records
//! after `S` were never in the covered segments, so nothing appended during the
//! compaction can be lost or replayed out of order.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use memmap2::{Mmap, MmapMut};

use crate::commit::{Committer, SyncGate};
use crate::error::StorageError;
use crate::format::{
    self, FORMAT_VERSION, HEADER_FIXED, HEADER_FLAG_SEGMENT, HeaderProblem, LogHeader,
    MAX_RECORD_BODY, MIN_RECORD_BODY, RECORD_PREFIX, SEGMENT_HEADER_LEN,
};
use crate::lease::{Lease4, Lease6, Record, RecordRef};
use crate::replay::{Replay, ReplayState};
use crate::{CommitBackend, CommitStats, CommittedUpTo, Durability};

const MANIFEST: &str = "MANIFEST";
const MANIFEST_TMP: &str = "MANIFEST.tmp";
const LOCK: &str = "LOCK";
const MANIFEST_MAGIC: [u8; 8] = *b"XDHCPMAN";
const MANIFEST_VERSION: u16 = 1;
/// Smallest segment accepted (tests use small ones to roll often).
pub const MIN_SEGMENT_SIZE: u64 = 4096;

/// Options of a [`SegmentLog`].
#[derive(Debug, Clone)]
pub struct SegmentOptions {
    /// Size of each preallocated segment file. Default 64 MiB.
    pub segment_size: u64,
    /// What the shard waits for before replying; see [`SegmentLog::reply_ready_upto`].
    pub durability: Durability,
    pub commit_backend: CommitBackend,
    /// Test hook for the helper-thread backend.
    #[doc(hidden)]
    pub sync_gate: Option<Arc<SyncGate>>,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions {
            segment_size: 64 << 20,
            durability: Durability::DurableBeforeReply,
            commit_backend: CommitBackend::Auto,
            sync_gate: None,
        }
    }
}

/// Damage found in one segment: exactly what was (or, read-only, would be) cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentCut {
    pub segment: PathBuf,
    /// Offset in the segment file where untrusted data starts.
    pub offset: u64,
    /// Bytes from `offset` to the last non-zero byte of the segment.
    pub bytes_cut: u64,
    pub reason: String,
}

impl std::fmt::Display for SegmentCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: cut {} bytes at offset {}: {}",
            self.segment.display(),
            self.bytes_cut,
            self.offset,
            self.reason
        )
    }
}

/// What replaying a segmented log found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentReplay {
    /// Leases (v4 and v6) and deletes; `replay.cut` is always `None` here, see `cuts`.
    /// Several shards' replays merge with [`merge_replays`](crate::merge_replays).
    pub replay: Replay,
    /// Every cut, in log order: the first is the damage, later ones are segments
    /// after it that were not trusted.
    pub cuts: Vec<SegmentCut>,
    /// Segment files holding trusted records.
    pub segments: usize,
    /// Seq of the last trusted record of the tail (0 if none).
    pub last_seq: u64,
}

// ------------------------------------------------------------------- manifest

#[derive(Debug, Clone, PartialEq, Eq)]
struct Manifest {
    generation: u64,
    base: Vec<String>,
    tail_first: u64,
}

impl Manifest {
    fn initial() -> Manifest {
        Manifest {
            generation: 0,
            base: Vec::new(),
            tail_first: 1,
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&MANIFEST_MAGIC);
        v.extend_from_slice(&MANIFEST_VERSION.to_le_bytes());
        v.extend_from_slice(&self.generation.to_le_bytes());
        v.extend_from_slice(&self.tail_first.to_le_bytes());
        v.extend_from_slice(&(self.base.len() as u32).to_le_bytes());
        for name in &self.base {
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(name.as_bytes());
        }
        let crc = crc32c::crc32c(&v);
        v.extend_from_slice(&crc.to_le_bytes());
        v
    }

    fn decode(bytes: &[u8], path: &Path) -> Result<Manifest, StorageError> {
        let corrupt = |reason: String| StorageError::CorruptHeader {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() < 8 || bytes[..8] != MANIFEST_MAGIC {
            return Err(StorageError::NotALeaseLog {
                path: path.to_path_buf(),
            });
        }
        if bytes.len() < 34 {
            return Err(corrupt("manifest too short".into()));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if crc32c::crc32c(body) != stored {
            return Err(corrupt("manifest checksum mismatch".into()));
        }
        let mut r = format::Reader::new(&body[8..]);
        let version = r.u16().map_err(corrupt)?;
        if version > MANIFEST_VERSION {
            return Err(StorageError::UnsupportedVersion {
                path: path.to_path_buf(),
                version,
            });
        }
        let generation = r.u64().map_err(corrupt)?;
        let tail_first = r.u64().map_err(corrupt)?;
        let n = r.u32().map_err(corrupt)?;
        let mut base = Vec::new();
        for _ in 0..n {
            let name = r.var16().map_err(corrupt)?;
            let name = std::str::from_utf8(name)
                .ok()
                .filter(|s| parse_base(s).is_some())
                .ok_or_else(|| corrupt("bad base segment name".into()))?;
            base.push(name.to_string());
        }
        if !r.done() {
            return Err(corrupt("trailing bytes in manifest".into()));
        }
        Ok(Manifest {
            generation,
            base,
            tail_first,
        })
    }
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>, StorageError> {
    let path = dir.join(MANIFEST);
    match fs::read(&path) {
        Ok(b) => Manifest::decode(&b, &path).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StorageError::io(&path, e)),
    }
}

/// Atomically replaces the manifest (tmp, fsync, dir fsync, rename, dir fsync).
fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), StorageError> {
    let tmp = dir.join(MANIFEST_TMP);
    let io = |e| StorageError::io(&tmp, e);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(&m.encode()).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    sync_dir(dir)?;
    fs::rename(&tmp, dir.join(MANIFEST)).map_err(|e| StorageError::io(dir.join(MANIFEST), e))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(dir, e))
}

fn tail_name(id: u64) -> String {
    format!("seg-{id:016x}.xseg")
}

fn base_name(generation: u64, index: u64) -> String {
    format!("base-{generation:016x}-{index:06}.xseg")
}

fn parse_tail(name: &str) -> Option<u64> {
    let hex = name.strip_prefix("seg-")?.strip_suffix(".xseg")?;
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

fn parse_base(name: &str) -> Option<(u64, u64)> {
    let rest = name.strip_prefix("base-")?.strip_suffix(".xseg")?;
    let (g, i) = rest.split_once('-')?;
    Some((u64::from_str_radix(g, 16).ok()?, i.parse().ok()?))
}

struct DirListing {
    tails: Vec<u64>,
    bases: Vec<String>,
    temps: Vec<String>,
}

fn list_dir(dir: &Path) -> Result<DirListing, StorageError> {
    let mut l = DirListing {
        tails: Vec::new(),
        bases: Vec::new(),
        temps: Vec::new(),
    };
    for entry in fs::read_dir(dir).map_err(|e| StorageError::io(dir, e))? {
        let entry = entry.map_err(|e| StorageError::io(dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(id) = parse_tail(&name) {
            l.tails.push(id);
        } else if parse_base(&name).is_some() {
            l.bases.push(name);
        } else if name == MANIFEST_TMP || name.ends_with(".xseg.tmp") {
            l.temps.push(name);
        }
    }
    l.tails.sort_unstable();
    Ok(l)
}

// ------------------------------------------------------------------- scanning

/// Index after the last non-zero byte (0 if all zero).
fn nonzero_end(data: &[u8]) -> usize {
    let mut end = data.len();
    while end > 0 {
        let start = end.saturating_sub(4096);
        let block = &data[start..end];
        if block.iter().fold(0u8, |a, &b| a | b) != 0 {
            return start + block.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        }
        end = start;
    }
    0
}

struct SegScan {
    /// End of the last good record.
    end: usize,
    last_seq: u64,
    /// (offset, reason) of damage.
    cut: Option<(usize, String)>,
}

/// Scans records from `start`, applying good ones to `state`, stopping at damage.
fn scan_records(data: &[u8], start: usize, seq_base: u64, state: &mut ReplayState) -> SegScan {
    let mut off = start;
    let mut last = seq_base;
    let cut = loop {
        if off >= data.len() {
            break None;
        }
        let rem = data.len() - off;
        if rem < RECORD_PREFIX {
            if nonzero_end(&data[off..]) == 0 {
                break None;
            }
            break Some(format!(
                "torn record prefix ({rem} of {RECORD_PREFIX} bytes)"
            ));
        }
        let len =
            u32::from_le_bytes([data[off], data[off + 1], data[off + 2], data[off + 3]]) as usize;
        let stored =
            u32::from_le_bytes([data[off + 4], data[off + 5], data[off + 6], data[off + 7]]);
        if len == 0 {
            if nonzero_end(&data[off..]) == 0 {
                break None; // clean end of the segment's data
            }
            break Some("zero record length but non-zero bytes follow (lost write?)".into());
        }
        if !(MIN_RECORD_BODY..=MAX_RECORD_BODY).contains(&len) {
            break Some(format!("impossible record length {len}"));
        }
        let available = rem - RECORD_PREFIX;
        if available < len {
            break Some(format!(
                "torn record (length {len}, only {available} bytes follow)"
            ));
        }
        let body = &data[off + RECORD_PREFIX..off + RECORD_PREFIX + len];
        let computed = crc32c::crc32c(body);
        if computed != stored {
            break Some(format!(
                "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            ));
        }
        let (seq, record) = match format::decode_record(body) {
            Ok(v) => v,
            Err(e) => break Some(format!("record does not decode: {e}")),
        };
        if seq != last.wrapping_add(1) {
            break Some(format!("sequence {seq} does not follow {last}"));
        }
        state.apply(record);
        last = seq;
        off += RECORD_PREFIX + len;
    };
    SegScan {
        end: off,
        last_seq: last,
        cut: cut.map(|r| (off, r)),
    }
}

/// A segment header: `Ok(None)` if the header bytes are all zero (never used).
fn segment_header(
    data: &[u8],
    path: &Path,
) -> Result<Option<(format::HeaderExt, usize)>, StorageError> {
    let n = data.len().min(SEGMENT_HEADER_LEN);
    if nonzero_end(&data[..n]) == 0 {
        return Ok(None);
    }
    let refuse = |p: HeaderProblem| -> StorageError {
        let path = path.to_path_buf();
        match p {
            HeaderProblem::NotOurs => StorageError::NotALeaseLog { path },
            HeaderProblem::Unsupported(version) => {
                StorageError::UnsupportedVersion { path, version }
            }
            HeaderProblem::Torn => StorageError::CorruptHeader {
                path,
                reason: "segment shorter than its header".into(),
            },
            HeaderProblem::Corrupt(reason) => StorageError::CorruptHeader { path, reason },
        }
    };
    let header_len =
        format::check_header_prefix(&data[..data.len().min(HEADER_FIXED)], data.len() as u64)
            .map_err(refuse)?;
    let h = format::decode_header_ext(&data[..header_len]).map_err(refuse)?;
    if h.flags & HEADER_FLAG_SEGMENT == 0 || header_len < SEGMENT_HEADER_LEN - 4 {
        return Err(refuse(HeaderProblem::Corrupt(
            "not a segment header (single-file log inside a segment directory?)".into(),
        )));
    }
    Ok(Some((h, header_len)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegKind {
    Base(usize),
    Tail(u64),
}

#[derive(Debug)]
struct SegState {
    kind: SegKind,
    path: PathBuf,
    /// Valid header (else an unused, zero segment).
    used: bool,
    /// End of good data.
    end: usize,
    last_seq: u64,
    len: u64,
}

struct ChainScan {
    state: ReplayState,
    segs: Vec<SegState>,
    /// Index into `segs` of the first damaged segment and the damage offset.
    cut_at: Option<(usize, usize)>,
    cuts: Vec<SegmentCut>,
}

/// Maps a segment read-only (empty files map to nothing).
fn map_ro(path: &Path) -> Result<(Option<Mmap>, u64), StorageError> {
    let file = File::open(path).map_err(|e| StorageError::io(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| StorageError::io(path, e))?
        .len();
    if len == 0 {
        return Ok((None, 0));
    }
    // SAFETY: the writer holds the directory lock and never shrinks a mapped segment;
    // offline readers (`read_segments`) accept that a concurrent writer may change
    // bytes under them (the scan is bounds-checked and checksummed, never UB-relevant
    // for correctness of the writer).
    let map = unsafe { Mmap::map(&file) }.map_err(|e| StorageError::io(path, e))?;
    Ok((Some(map), len))
}

/// Replays base then tail segments. `tails` are the tail ids to read (sorted).
fn scan_chain(dir: &Path, manifest: &Manifest, tails: &[u64]) -> Result<ChainScan, StorageError> {
    let mut files: Vec<(SegKind, PathBuf)> = manifest
        .base
        .iter()
        .enumerate()
        .map(|(i, n)| (SegKind::Base(i), dir.join(n)))
        .collect();
    files.extend(
        tails
            .iter()
            .map(|&id| (SegKind::Tail(id), dir.join(tail_name(id)))),
    );

    let mut scan = ChainScan {
        state: ReplayState::default(),
        segs: Vec::with_capacity(files.len()),
        cut_at: None,
        cuts: Vec::new(),
    };
    // Last seq of the previous used segment of the same chain, if any.
    let mut prev_base: Option<u64> = None;
    let mut prev_tail: Option<(u64, u64)> = None; // (id, last_seq)
    let mut tail_ended = false; // an unused tail segment was seen
    for (i, (kind, path)) in files.into_iter().enumerate() {
        let (map, len) = map_ro(&path)?;
        let data: &[u8] = map.as_deref().unwrap_or(&[]);
        let mut seg = SegState {
            kind,
            path: path.clone(),
            used: false,
            end: 0,
            last_seq: 0,
            len,
        };
        if scan.cut_at.is_some() {
            // After the damage nothing is trusted; report what is dropped.
            let extent = nonzero_end(data);
            if extent > 0 {
                scan.cuts.push(SegmentCut {
                    segment: path,
                    offset: 0,
                    bytes_cut: extent as u64,
                    reason: "follows damaged data; not trusted".into(),
                });
            }
            scan.segs.push(seg);
            continue;
        }
        let header = segment_header(data, &path)?;
        let problem: Option<(usize, String)> = match (&header, kind) {
            (None, SegKind::Base(_)) => Some((0, "base segment has no header".into())),
            (None, SegKind::Tail(_)) => {
                tail_ended = true;
                let extent = nonzero_end(data);
                (extent > 0).then(|| (0, "segment has no header but holds data".into()))
            }
            (Some((h, _)), SegKind::Base(idx)) => {
                if h.segment_id != idx as u64 {
                    Some((
                        0,
                        format!(
                            "header says base segment {} but it is listed as {idx}",
                            h.segment_id
                        ),
                    ))
                } else if prev_base.is_some_and(|p| p != h.header.seq_base) {
                    Some((
                        0,
                        format!(
                            "segment starts after seq {} but the previous one ended at seq {} (records lost)",
                            h.header.seq_base,
                            prev_base.unwrap_or(0)
                        ),
                    ))
                } else {
                    None
                }
            }
            (Some((h, _)), SegKind::Tail(id)) => {
                if tail_ended {
                    Some((0, "used segment after an unused one".into()))
                } else if h.segment_id != id {
                    Some((
                        0,
                        format!("header says segment {} but the file is {id}", h.segment_id),
                    ))
                } else if let Some((pid, plast)) = prev_tail {
                    if pid + 1 != id {
                        Some((
                            0,
                            format!("segment ids jump from {pid} to {id} (segments lost)"),
                        ))
                    } else if plast != h.header.seq_base {
                        Some((
                            0,
                            format!(
                                "segment starts after seq {} but the previous one ended at seq {plast} (records lost)",
                                h.header.seq_base
                            ),
                        ))
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
        };
        if let Some((offset, reason)) = problem {
            let extent = nonzero_end(data);
            scan.cuts.push(SegmentCut {
                segment: path,
                offset: offset as u64,
                bytes_cut: extent.saturating_sub(offset) as u64,
                reason,
            });
            scan.cut_at = Some((i, offset));
            scan.segs.push(seg);
            continue;
        }
        let Some((h, header_len)) = header else {
            scan.segs.push(seg); // unused spare
            continue;
        };
        seg.used = true;
        let s = scan_records(data, header_len, h.header.seq_base, &mut scan.state);
        seg.end = s.end;
        seg.last_seq = s.last_seq;
        match kind {
            SegKind::Base(_) => prev_base = Some(s.last_seq),
            SegKind::Tail(id) => prev_tail = Some((id, s.last_seq)),
        }
        if let Some((offset, reason)) = s.cut {
            let extent = nonzero_end(data).max(offset);
            scan.cuts.push(SegmentCut {
                segment: path,
                offset: offset as u64,
                bytes_cut: (extent - offset) as u64,
                reason,
            });
            scan.cut_at = Some((i, offset));
        }
        scan.segs.push(seg);
    }
    Ok(scan)
}

/// Read-only replay of a segmented log directory, for offline tools: same result as
/// [`SegmentLog::open`] would give, but nothing is modified (cuts are reported, not
/// made) and no lock is taken.
pub fn read_segments(dir: &Path) -> Result<SegmentReplay, StorageError> {
    let meta = fs::metadata(dir).map_err(|e| StorageError::io(dir, e))?;
    if !meta.is_dir() {
        return Err(StorageError::NotARegularFile {
            path: dir.to_path_buf(),
        });
    }
    let manifest = read_manifest(dir)?.unwrap_or_else(Manifest::initial);
    let listing = list_dir(dir)?;
    let tails: Vec<u64> = listing
        .tails
        .into_iter()
        .filter(|&id| id >= manifest.tail_first)
        .collect();
    let scan = scan_chain(dir, &manifest, &tails)?;
    for cut in &scan.cuts {
        log::warn!("lease log {}: damaged, {cut} (not modified)", dir.display());
    }
    Ok(finish_replay(scan))
}

fn finish_replay(scan: ChainScan) -> SegmentReplay {
    finish_parts(scan.state, scan.cuts, &scan.segs, scan.cut_at)
}

fn finish_parts(
    state: ReplayState,
    cuts: Vec<SegmentCut>,
    segs: &[SegState],
    cut_at: Option<(usize, usize)>,
) -> SegmentReplay {
    let segments = segs
        .iter()
        .enumerate()
        .filter(|(i, s)| s.used && cut_at.is_none_or(|(c, off)| *i < c || (*i == c && off > 0)))
        .count();
    let last_seq = segs
        .iter()
        .filter(|s| s.used && matches!(s.kind, SegKind::Tail(_)))
        .map(|s| s.last_seq)
        .next_back()
        .unwrap_or(0);
    SegmentReplay {
        replay: state.finish(None),
        cuts,
        segments,
        last_seq,
    }
}

// ------------------------------------------------------------------- writing

fn create_segment(dir: &Path, id: u64, size: u64) -> Result<File, StorageError> {
    let path = dir.join(tail_name(id));
    let io = |e| StorageError::io(&path, e);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(io)?;
    let len = libc::off_t::try_from(size).map_err(|_| io(io::Error::other("segment too large")))?;
    // SAFETY: plain syscall on an fd we own.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    if rc != 0 {
        if rc == libc::EOPNOTSUPP || rc == libc::EINVAL {
            file.set_len(size).map_err(io)?; // filesystem without fallocate
        } else {
            let _ = fs::remove_file(&path);
            return Err(io(io::Error::from_raw_os_error(rc)));
        }
    }
    file.sync_all().map_err(io)?;
    sync_dir(dir)?;
    Ok(file)
}

fn zero_range(file: &File, path: &Path, from: u64, to: u64) -> Result<(), StorageError> {
    let zeros = vec![0u8; 1 << 16];
    let mut off = from;
    while off < to {
        let n = ((to - off) as usize).min(zeros.len());
        file.write_all_at(&zeros[..n], off)
            .map_err(|e| StorageError::io(path, e))?;
        off += n as u64;
    }
    file.sync_data().map_err(|e| StorageError::io(path, e))
}

struct Active {
    id: u64,
    path: PathBuf,
    file: Arc<File>,
    map: MmapMut,
    pos: usize,
}

fn activate(
    dir: &Path,
    id: u64,
    file: File,
    header: Option<&LogHeader>,
) -> Result<Active, StorageError> {
    let path = dir.join(tail_name(id));
    // SAFETY: the directory lock makes this process the only writer, and segment files
    // are never truncated while mapped.
    let mut map = unsafe { MmapMut::map_mut(&file) }.map_err(|e| StorageError::io(&path, e))?;
    let pos = match header {
        Some(h) => {
            h.encode_segment(id, &mut map[..]);
            SEGMENT_HEADER_LEN
        }
        None => 0,
    };
    Ok(Active {
        id,
        path,
        file: Arc::new(file),
        map,
        pos,
    })
}

/// The segmented lease log of one shard. Single writer (the directory is flock'ed).
pub struct SegmentLog {
    dir: PathBuf,
    opts: SegmentOptions,
    active: Active,
    spare: Option<(u64, File)>,
    next_seq: u64,
    /// Highest seq a commit was requested for.
    requested: u64,
    committer: Committer,
    compacting: Arc<AtomicBool>,
    _lock: File,
}

impl std::fmt::Debug for SegmentLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentLog")
            .field("dir", &self.dir)
            .field("active", &self.active.id)
            .field("pos", &self.active.pos)
            .field("next_seq", &self.next_seq)
            .finish()
    }
}

fn lock_dir(dir: &Path) -> Result<File, StorageError> {
    let path = dir.join(LOCK);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StorageError::io(&path, e))?;
    // SAFETY: plain syscall on an fd we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Err(StorageError::Locked {
                path: dir.to_path_buf(),
            });
        }
        return Err(StorageError::io(&path, e));
    }
    Ok(f)
}

impl SegmentLog {
    /// Opens (creating the directory if needed) and replays the log, repairing any
    /// damage: cuts are logged and reported in [`SegmentReplay::cuts`]. Everything
    /// recovered is made durable before this returns.
    pub fn open(
        dir: &Path,
        opts: SegmentOptions,
    ) -> Result<(SegmentLog, SegmentReplay), StorageError> {
        if opts.segment_size < MIN_SEGMENT_SIZE {
            return Err(StorageError::InvalidOptions {
                path: dir.to_path_buf(),
                reason: format!(
                    "segment size {} is below the minimum {MIN_SEGMENT_SIZE}",
                    opts.segment_size
                ),
            });
        }
        match fs::metadata(dir) {
            Ok(m) if !m.is_dir() => {
                return Err(StorageError::NotARegularFile {
                    path: dir.to_path_buf(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(|e| StorageError::io(dir, e))?;
                if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                    sync_dir(parent)?;
                }
            }
            Err(e) => return Err(StorageError::io(dir, e)),
        }
        let lock = lock_dir(dir)?;
        let mut manifest = match read_manifest(dir)? {
            Some(m) => m,
            None => {
                let m = Manifest::initial();
                write_manifest(dir, &m)?;
                m
            }
        };

        // Garbage from interrupted compactions or rotations.
        let listing = list_dir(dir)?;
        let mut removed = false;
        for name in listing
            .temps
            .iter()
            .chain(listing.bases.iter().filter(|n| !manifest.base.contains(n)))
        {
            let p = dir.join(name);
            fs::remove_file(&p).map_err(|e| StorageError::io(&p, e))?;
            removed = true;
        }
        for &id in listing.tails.iter().filter(|&&id| id < manifest.tail_first) {
            let p = dir.join(tail_name(id));
            fs::remove_file(&p).map_err(|e| StorageError::io(&p, e))?;
            removed = true;
        }
        let tails: Vec<u64> = listing
            .tails
            .into_iter()
            .filter(|&id| id >= manifest.tail_first)
            .collect();

        let scan = scan_chain(dir, &manifest, &tails)?;
        for cut in &scan.cuts {
            log::warn!(
                "lease log {}: {cut}; cut so new records follow valid data",
                dir.display()
            );
        }

        // Repair: cut the damaged segment, drop everything after it.
        let mut keep_tail: Vec<&SegState> = Vec::new();
        let mut base_keep = manifest.base.len();
        let mut base_last_seq = 0u64;
        for (i, seg) in scan.segs.iter().enumerate() {
            let damaged_here = scan.cut_at.filter(|&(c, _)| c == i).map(|(_, off)| off);
            let after = scan.cut_at.is_some_and(|(c, _)| i > c);
            match seg.kind {
                SegKind::Base(idx) => {
                    if after || damaged_here == Some(0) {
                        base_keep = base_keep.min(idx);
                        continue;
                    }
                    if let Some(off) = damaged_here {
                        let f = OpenOptions::new()
                            .write(true)
                            .open(&seg.path)
                            .map_err(|e| StorageError::io(&seg.path, e))?;
                        f.set_len(off as u64)
                            .and_then(|()| f.sync_all())
                            .map_err(|e| StorageError::io(&seg.path, e))?;
                    }
                    base_last_seq = seg.last_seq;
                }
                SegKind::Tail(_) => {
                    let base_damaged = scan
                        .cut_at
                        .is_some_and(|(c, _)| matches!(scan.segs[c].kind, SegKind::Base(_)));
                    if after || damaged_here == Some(0) || base_damaged {
                        fs::remove_file(&seg.path).map_err(|e| StorageError::io(&seg.path, e))?;
                        removed = true;
                        continue;
                    }
                    if let Some(off) = damaged_here {
                        let f = OpenOptions::new()
                            .write(true)
                            .open(&seg.path)
                            .map_err(|e| StorageError::io(&seg.path, e))?;
                        let extent = off as u64 + scan.cuts.first().map_or(0, |c| c.bytes_cut);
                        zero_range(&f, &seg.path, off as u64, extent)?;
                    }
                    keep_tail.push(seg);
                }
            }
        }
        if base_keep < manifest.base.len() {
            for name in manifest.base.drain(base_keep..) {
                let p = dir.join(name);
                fs::remove_file(&p).map_err(|e| StorageError::io(&p, e))?;
            }
            write_manifest(dir, &manifest)?;
        }
        if removed {
            sync_dir(dir)?;
        }

        let mut replay = finish_parts(scan.state, scan.cuts.clone(), &scan.segs, scan.cut_at);
        // Active segment: the last used tail segment; spare: an unused one right after.
        let last_used = keep_tail.iter().rev().find(|s| s.used);
        let (active, next_seq) = match last_used {
            Some(seg) => {
                let SegKind::Tail(id) = seg.kind else {
                    unreachable!("keep_tail holds tail segments")
                };
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&seg.path)
                    .map_err(|e| StorageError::io(&seg.path, e))?;
                if seg.len != opts.segment_size {
                    log::info!(
                        "lease log {}: segment {} is {} bytes (configured {}); new segments use the configured size",
                        dir.display(),
                        seg.path.display(),
                        seg.len,
                        opts.segment_size
                    );
                }
                let mut a = activate(dir, id, file, None)?;
                a.pos = seg.end;
                (a, seg.last_seq + 1)
            }
            None => {
                let id = keep_tail
                    .iter()
                    .filter_map(|s| match s.kind {
                        SegKind::Tail(id) => Some(id),
                        SegKind::Base(_) => None,
                    })
                    .next()
                    .unwrap_or(manifest.tail_first);
                let file = create_segment(dir, id, opts.segment_size)?;
                let seq_base = base_last_seq;
                let header = LogHeader::with_version(seq_base, FORMAT_VERSION);
                let a = activate(dir, id, file, Some(&header))?;
                a.map
                    .flush_range(0, SEGMENT_HEADER_LEN)
                    .map_err(|e| StorageError::io(&a.path, e))?;
                (a, seq_base + 1)
            }
        };
        // Unused tail files other than the one right after the active segment go.
        let mut spare = None;
        for seg in keep_tail.iter().filter(|s| !s.used) {
            let SegKind::Tail(id) = seg.kind else {
                continue;
            };
            if id == active.id + 1 && seg.len == opts.segment_size {
                let f = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&seg.path)
                    .map_err(|e| StorageError::io(&seg.path, e))?;
                spare = Some((id, f));
            } else if id != active.id {
                fs::remove_file(&seg.path).map_err(|e| StorageError::io(&seg.path, e))?;
            }
        }
        if spare.is_none() {
            spare = Some((
                active.id + 1,
                create_segment(dir, active.id + 1, opts.segment_size)?,
            ));
        }
        // What was recovered is durable from here on.
        active
            .file
            .sync_data()
            .map_err(|e| StorageError::io(&active.path, e))?;
        let dir_file = File::open(dir).map_err(|e| StorageError::io(dir, e))?;
        let committer = Committer::new(
            dir,
            opts.commit_backend,
            next_seq - 1,
            &dir_file,
            opts.sync_gate.clone(),
        )?;
        replay.last_seq = next_seq - 1;
        let log = SegmentLog {
            dir: dir.to_path_buf(),
            opts,
            active,
            spare,
            next_seq,
            requested: next_seq - 1,
            committer,
            compacting: Arc::new(AtomicBool::new(false)),
            _lock: lock,
        };
        Ok((log, replay))
    }

    /// Appends records by copying them into the mapped segment (no syscall unless a
    /// segment fills up). Returns the seq of the last record (for an empty batch, of
    /// the last record appended before, 0 if none). If any record is too large nothing
    /// is written. The records are in the page cache on return; they are durable once
    /// a commit covering their seq completed.
    pub fn append(&mut self, records: &[Record]) -> Result<u64, StorageError> {
        self.append_refs(records.iter().map(RecordRef::from))
    }

    /// [`append`](Self::append) for records borrowed from where they live; does not
    /// allocate (the iterator is walked twice: once to check sizes, once to copy).
    /// If rolling to a new segment fails midway, the records written before the
    /// failure stay appended (the error says so) and later ones are not written.
    pub fn append_refs<'a, I>(&mut self, records: I) -> Result<u64, StorageError>
    where
        I: IntoIterator<Item = RecordRef<'a>>,
        I::IntoIter: Clone,
    {
        let iter = records.into_iter();
        let cap = self.capacity();
        for r in iter.clone() {
            let n = format::record_len(r).map_err(|e| StorageError::too_large(&self.dir, e))?;
            if n > cap {
                return Err(StorageError::too_large(
                    &self.dir,
                    format::TooLarge {
                        address: record_address(r),
                        field: "record",
                        len: n,
                        max: cap,
                    },
                ));
            }
        }
        let first = self.next_seq;
        let mut seq = self.next_seq;
        for r in iter {
            let n = format::record_len(r).map_err(|e| StorageError::too_large(&self.dir, e))?;
            let rolled = if self.active.pos + n > self.active.map.len() {
                self.roll(seq - 1)
            } else {
                Ok(())
            };
            if let Err(e) = rolled {
                self.next_seq = seq;
                return Err(e);
            }
            let pos = self.active.pos;
            format::write_record(&mut self.active.map[pos..pos + n], seq, r);
            self.active.pos += n;
            seq += 1;
        }
        if seq != first {
            self.committer.mark_dirty(&self.active.file);
            self.next_seq = seq;
        }
        Ok(self.next_seq - 1)
    }

    /// [`append`](Self::append) for a single record.
    pub fn append_one(&mut self, record: &Record) -> Result<u64, StorageError> {
        self.append(std::slice::from_ref(record))
    }

    fn capacity(&self) -> usize {
        (self.opts.segment_size as usize).saturating_sub(SEGMENT_HEADER_LEN)
    }

    /// Switches to the next (preallocated) segment; its header continues the chain
    /// after `last_seq`. Then preallocates the one after it.
    fn roll(&mut self, last_seq: u64) -> Result<(), StorageError> {
        let id = self.active.id + 1;
        let file = match self.spare.take() {
            Some((sid, f)) if sid == id => f,
            other => {
                drop(other);
                create_segment(&self.dir, id, self.opts.segment_size)?
            }
        };
        let header = LogHeader::with_version(last_seq, FORMAT_VERSION);
        let next = activate(&self.dir, id, file, Some(&header))?;
        // The old segment's tail must be synced by the next commit.
        self.committer.mark_dirty(&self.active.file);
        self.committer.mark_dirty(&next.file);
        self.active = next;
        match create_segment(&self.dir, id + 1, self.opts.segment_size) {
            Ok(f) => self.spare = Some((id + 1, f)),
            Err(e) => log::warn!(
                "lease log {}: could not preallocate the next segment ({e}); will retry at the next roll",
                self.dir.display()
            ),
        }
        Ok(())
    }

    /// Requests durability for everything appended so far, without blocking: an
    /// fdatasync of each segment written since the last commit goes to io_uring (or the
    /// helper thread). Returns the seq the request covers, `None` if nothing new was
    /// appended since the last request.
    pub fn commit_async(&mut self) -> Result<Option<u64>, StorageError> {
        let seq = self.next_seq - 1;
        let new = seq > self.requested;
        self.requested = self.requested.max(seq);
        self.committer.request(seq)?;
        Ok(new.then_some(seq))
    }

    /// Reports, without blocking, how far durability has advanced since the last call
    /// (`None`: no change). Seqs are reported in increasing order, and only after the
    /// fdatasync calls of every commit up to them completed. An fdatasync failure is
    /// returned as an error; the log then refuses work until reopened.
    pub fn poll_commits(&mut self) -> Result<Option<CommittedUpTo>, StorageError> {
        self.committer.poll()
    }

    /// Blocking commit of everything appended so far (shutdown, tests).
    pub fn commit(&mut self) -> Result<CommittedUpTo, StorageError> {
        self.commit_async()?;
        self.committer.wait_all().map(CommittedUpTo)
    }

    /// Seq up to which records are durable.
    pub fn durable_seq(&self) -> u64 {
        self.committer.durable()
    }

    /// Seq of the last appended record (in the page cache).
    pub fn written_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// Replies for records up to this seq may leave, under the configured
    /// [`Durability`]: the durable seq, or the written seq for `WrittenBeforeReply`.
    pub fn reply_ready_upto(&self) -> u64 {
        match self.opts.durability {
            Durability::DurableBeforeReply => self.durable_seq(),
            Durability::WrittenBeforeReply => self.written_seq(),
        }
    }

    pub fn durability(&self) -> Durability {
        self.opts.durability
    }

    /// Commit latency so far, and which backend runs the commits.
    pub fn commit_stats(&self) -> CommitStats {
        self.committer.stats()
    }

    /// Sequence number the next appended record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Id of the active segment and the offset where the next record goes.
    pub fn position(&self) -> (u64, u64) {
        (self.active.id, self.active.pos as u64)
    }

    pub fn segment_size(&self) -> u64 {
        self.opts.segment_size
    }

    /// Starts a compaction: rolls to a fresh segment (unless the active one is still
    /// empty) and returns a ticket covering every record appended so far. The ticket is
    /// `Send`: run [`CompactionTicket::compact`] on a side thread while this log keeps
    /// appending. One compaction at a time.
    pub fn begin_compaction(&mut self) -> Result<CompactionTicket, StorageError> {
        if self
            .compacting
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(StorageError::CompactionInProgress {
                path: self.dir.clone(),
            });
        }
        let upto = self.next_seq - 1;
        let rolled = if self.active.pos > SEGMENT_HEADER_LEN {
            self.roll(upto)
        } else {
            Ok(())
        };
        if let Err(e) = rolled {
            self.compacting.store(false, Ordering::Release);
            return Err(e);
        }
        Ok(CompactionTicket {
            dir: self.dir.clone(),
            upto,
            tail_first: self.active.id,
            segment_size: self.opts.segment_size,
            flag: Arc::clone(&self.compacting),
        })
    }
}

fn record_address(r: RecordRef<'_>) -> IpAddr {
    match r {
        RecordRef::Lease4(l) => IpAddr::V4(l.address),
        RecordRef::Delete4 { address, .. } => IpAddr::V4(address),
        RecordRef::Lease6(l) => IpAddr::V6(l.address),
        RecordRef::Delete6 { address, .. } => IpAddr::V6(address),
    }
}

// ------------------------------------------------------------------- compaction

/// A compaction in progress; see the module docs for the protocol. Dropping it without
/// calling [`compact`](Self::compact) abandons the compaction (nothing changes).
#[derive(Debug)]
pub struct CompactionTicket {
    dir: PathBuf,
    upto: u64,
    tail_first: u64,
    segment_size: u64,
    flag: Arc<AtomicBool>,
}

/// What a compaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionReport {
    /// Manifest generation now in force.
    pub generation: u64,
    /// Every record up to this seq is now represented by the base segments.
    pub covered_upto: u64,
    /// The new base segment files.
    pub segments: Vec<PathBuf>,
    /// Leases written (v4 + v6).
    pub leases: usize,
    /// Bytes of the new base segments.
    pub bytes: u64,
    /// Segment files deleted.
    pub removed: Vec<PathBuf>,
}

impl Drop for CompactionTicket {
    fn drop(&mut self) {
        self.flag.store(false, Ordering::Release);
    }
}

impl CompactionTicket {
    /// Seq of the last record the compaction covers.
    pub fn covered_upto(&self) -> u64 {
        self.upto
    }

    /// Replays the covered segments (read-only): the live set as of
    /// [`covered_upto`](Self::covered_upto).
    pub fn replay_covered(&self) -> Result<SegmentReplay, StorageError> {
        let manifest = read_manifest(&self.dir)?.unwrap_or_else(Manifest::initial);
        let tails: Vec<u64> = list_dir(&self.dir)?
            .tails
            .into_iter()
            .filter(|&id| id >= manifest.tail_first && id < self.tail_first)
            .collect();
        Ok(finish_replay(scan_chain(&self.dir, &manifest, &tails)?))
    }

    /// [`replay_covered`](Self::replay_covered) then [`compact`](Self::compact). Refuses
    /// (changing nothing) if the covered segments have become damaged since the open.
    pub fn compact_covered(self) -> Result<CompactionReport, StorageError> {
        let r = self.replay_covered()?;
        if let Some(cut) = r.cuts.first() {
            return Err(StorageError::CorruptHeader {
                path: cut.segment.clone(),
                reason: format!("segment damaged since the log was opened, not compacted: {cut}"),
            });
        }
        self.compact(&r.replay.leases, &r.replay.leases6)
    }

    /// Writes `live4` and `live6` (the live set as of `covered_upto` or later) as the
    /// new base segments, switches the manifest atomically and deletes the covered
    /// segments. Runs on the caller's thread; the log keeps appending meanwhile.
    pub fn compact(
        self,
        live4: &[Lease4],
        live6: &[Lease6],
    ) -> Result<CompactionReport, StorageError> {
        let old = read_manifest(&self.dir)?.unwrap_or_else(Manifest::initial);
        let generation = old.generation + 1;
        let mut names: Vec<String> = Vec::new();
        let written = self.write_base(generation, live4, live6, &mut names);
        let bytes = match written {
            Ok(b) => b,
            Err(e) => {
                for n in &names {
                    let _ = fs::remove_file(self.dir.join(n));
                }
                return Err(e);
            }
        };
        let new = Manifest {
            generation,
            base: names.clone(),
            tail_first: self.tail_first,
        };
        if let Err(e) = write_manifest(&self.dir, &new) {
            for n in &names {
                let _ = fs::remove_file(self.dir.join(n));
            }
            return Err(e);
        }
        // Switched. What the old manifest referenced is garbage now (and would be
        // removed at the next open if this is interrupted).
        let mut removed = Vec::new();
        let old_tails = list_dir(&self.dir)?
            .tails
            .into_iter()
            .filter(|&id| id < self.tail_first)
            .map(tail_name);
        for name in old.base.iter().cloned().chain(old_tails) {
            let p = self.dir.join(&name);
            match fs::remove_file(&p) {
                Ok(()) => removed.push(p),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => log::warn!(
                    "lease log {}: could not remove {}: {e}",
                    self.dir.display(),
                    p.display()
                ),
            }
        }
        sync_dir(&self.dir)?;
        Ok(CompactionReport {
            generation,
            covered_upto: self.upto,
            segments: names.iter().map(|n| self.dir.join(n)).collect(),
            leases: live4.len() + live6.len(),
            bytes,
            removed,
        })
    }

    fn write_base(
        &self,
        generation: u64,
        live4: &[Lease4],
        live6: &[Lease6],
        names: &mut Vec<String>,
    ) -> Result<u64, StorageError> {
        let cap = (self.segment_size as usize).saturating_sub(SEGMENT_HEADER_LEN);
        let records = live4
            .iter()
            .map(RecordRef::Lease4)
            .chain(live6.iter().map(RecordRef::Lease6));
        let mut total = 0u64;
        let mut cur: Option<(BufWriter<File>, PathBuf, usize)> = None;
        let mut buf = Vec::with_capacity(512);
        let finish = |w: BufWriter<File>, path: &Path| -> Result<(), StorageError> {
            let f = w
                .into_inner()
                .map_err(|e| StorageError::io(path, e.into_error()))?;
            f.sync_all().map_err(|e| StorageError::io(path, e))
        };
        for (i, r) in records.enumerate() {
            // Base records are numbered 1.. within the base chain.
            let seq = i as u64;
            buf.clear();
            format::encode_ref(&mut buf, seq + 1, r)
                .map_err(|e| StorageError::too_large(&self.dir, e))?;
            if cur
                .as_ref()
                .is_some_and(|(_, _, used)| used + buf.len() > cap)
            {
                let (w, p, _) = cur.take().expect("checked");
                finish(w, &p)?;
            }
            if cur.is_none() {
                let name = base_name(generation, names.len() as u64);
                let path = self.dir.join(&name);
                let f = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                    .map_err(|e| StorageError::io(&path, e))?;
                names.push(name);
                let mut w = BufWriter::with_capacity(256 << 10, f);
                let mut h = [0u8; SEGMENT_HEADER_LEN];
                LogHeader::with_version(seq, FORMAT_VERSION)
                    .encode_segment((names.len() - 1) as u64, &mut h);
                w.write_all(&h).map_err(|e| StorageError::io(&path, e))?;
                total += SEGMENT_HEADER_LEN as u64;
                cur = Some((w, path, 0));
            }
            let (w, p, used) = cur.as_mut().expect("just set");
            w.write_all(&buf).map_err(|e| StorageError::io(&*p, e))?;
            *used += buf.len();
            total += buf.len() as u64;
        }
        if let Some((w, p, _)) = cur.take() {
            finish(w, &p)?;
        }
        Ok(total)
    }
}
