//! The append-only lease log: open + replay + repair, append, rewrite.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::StorageError;
use crate::format::{
    self, HEADER_FIXED, HEADER_LEN, HeaderProblem, LogHeader, MAX_RECORD_BODY, MIN_RECORD_BODY,
    RECORD_PREFIX,
};
use crate::lease::{Lease4, Record, RecordRef};
use crate::replay::{CutReport, Replay, ReplayState};

/// Above this the append buffer is shrunk after use, so one huge batch does
/// not pin memory forever.
const BUF_KEEP: usize = 1 << 20;
/// Rewrite flushes its buffer at this size.
const REWRITE_CHUNK: usize = 256 << 10;

/// An open, writable lease log positioned after its last good record.
///
/// Single writer: two processes appending to one file would interleave
/// records, so the caller must ensure only one server owns a path.
#[derive(Debug)]
pub struct LeaseLog {
    path: PathBuf,
    file: File,
    header: LogHeader,
    /// End of the last good record; appends go here (pwrite), so a failed
    /// write can be cut back to it.
    len: u64,
    next_seq: u64,
    /// Reused encode buffer: no allocation per append once warmed up.
    buf: Vec<u8>,
    poisoned: bool,
}

impl LeaseLog {
    /// Opens (creating parent dir and file if needed) and replays. A torn or
    /// corrupt tail is cut (file truncated), logged and reported in
    /// [`Replay::cut`]; only I/O failures and files that are not ours (or are
    /// from a newer version, or have a damaged header) are errors.
    pub fn open(path: &Path) -> Result<(LeaseLog, Replay), StorageError> {
        if let Some(dir) = parent_dir(path) {
            fs::create_dir_all(dir).map_err(|e| StorageError::io(dir, e))?;
        }
        // Checked before opening: opening a FIFO would block.
        match fs::metadata(path) {
            Ok(m) if !m.is_file() => return Err(not_regular(path)),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StorageError::io(path, e)),
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| StorageError::io(path, e))?;
        let meta = file.metadata().map_err(|e| StorageError::io(path, e))?;
        if !meta.is_file() {
            return Err(not_regular(path));
        }
        let file_len = meta.len();

        let mut buf = Vec::new();
        let (header, replay, len, next_seq) = match read_header(&file, path, file_len)? {
            HeaderState::Empty => {
                let header = init_header(&file, path, &mut buf, false)?;
                (header, Replay::default(), HEADER_LEN as u64, 1)
            }
            HeaderState::Torn => {
                let cut = torn_header_cut(file_len);
                log::warn!(
                    "lease log {}: {cut}; re-initialised the header (no records were lost)",
                    path.display()
                );
                let header = init_header(&file, path, &mut buf, true)?;
                let replay = Replay {
                    cut: Some(cut),
                    ..Replay::default()
                };
                (header, replay, HEADER_LEN as u64, 1)
            }
            HeaderState::Valid(header, header_len) => {
                let scan = scan(&file, path, header_len, file_len, header.seq_base)?;
                if let Some(cut) = &scan.replay.cut {
                    log::warn!(
                        "lease log {}: {cut}; truncated so new records follow valid data",
                        path.display()
                    );
                    file.set_len(scan.end)
                        .and_then(|()| file.sync_all())
                        .map_err(|e| StorageError::io(path, e))?;
                }
                (header, scan.replay, scan.end, scan.last_seq + 1)
            }
        };
        buf.clear();
        let log = LeaseLog {
            path: path.to_path_buf(),
            file,
            header,
            len,
            next_seq,
            buf,
            poisoned: false,
        };
        Ok((log, replay))
    }

    /// Appends records with one write; the data is in the kernel (not yet
    /// on disk, see [`sync`](Self::sync)) on return. Returns the sequence
    /// number of the last record (for an empty slice, of the last record
    /// appended before, 0 if none). If any record is too large nothing is
    /// written.
    pub fn append(&mut self, records: &[Record]) -> Result<u64, StorageError> {
        self.append_refs(records.iter().map(RecordRef::from))
    }

    /// [`append`](Self::append) for records borrowed from where they live (the shard's
    /// lease table), so persisting a batch copies nothing but the encoded bytes.
    pub fn append_refs<'a>(
        &mut self,
        records: impl IntoIterator<Item = RecordRef<'a>>,
    ) -> Result<u64, StorageError> {
        if self.poisoned {
            return Err(StorageError::Poisoned {
                path: self.path.clone(),
            });
        }
        self.buf.clear();
        let mut seq = self.next_seq;
        let mut v2 = false;
        for record in records {
            v2 |= format::needs_v2(record);
            format::encode_ref(&mut self.buf, seq, record).map_err(|e| too_large(&self.path, e))?;
            seq += 1;
        }
        if seq == self.next_seq {
            return Ok(self.next_seq - 1);
        }
        if v2 && self.header.format_version < format::FORMAT_VERSION {
            self.upgrade_header()?;
        }
        self.write_buf()?;
        self.next_seq = seq;
        Ok(seq - 1)
    }

    /// [`append`](Self::append) for a single record.
    pub fn append_one(&mut self, record: &Record) -> Result<u64, StorageError> {
        self.append(std::slice::from_ref(record))
    }

    /// fdatasync: everything appended so far survives a power loss.
    pub fn sync(&mut self) -> Result<(), StorageError> {
        self.file
            .sync_data()
            .map_err(|e| StorageError::io(&self.path, e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header of the file currently open.
    pub fn header(&self) -> &LogHeader {
        &self.header
    }

    /// Sequence number the next appended record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Bytes of valid log (header + records); a cheap compaction trigger.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Replaces the log with one holding exactly `live` (temp file, fsync,
    /// rename over, fsync dir), so a crash leaves either the old or the new
    /// log, never a mix. Sequence numbers continue; the new header's
    /// `seq_base` keeps them monotonic even if `live` is empty. On error
    /// before the rename the old log is untouched and still in use.
    pub fn rewrite(&mut self, live: &[Lease4]) -> Result<(), StorageError> {
        let tmp = tmp_path(&self.path);
        let header = LogHeader::new(self.next_seq - 1);
        let result = write_rewrite(&tmp, &header, live, self.next_seq, &mut self.buf);
        self.trim_buf();
        let (file, len, next_seq) = match result {
            Ok(v) => v,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&tmp, &self.path) {
            let _ = fs::remove_file(&tmp);
            return Err(StorageError::io(&self.path, e));
        }
        self.file = file;
        self.header = header;
        self.len = len;
        self.next_seq = next_seq;
        self.poisoned = false;
        sync_dir(&self.path)
    }

    /// Rewrites the header as format version 2 before the first DHCPv6 record, so an
    /// older build refuses the file instead of cutting records it cannot read.
    fn upgrade_header(&mut self) -> Result<(), StorageError> {
        let mut header = self.header.clone();
        header.format_version = format::FORMAT_VERSION;
        let mut bytes = Vec::with_capacity(HEADER_LEN);
        header.encode(&mut bytes);
        // The v1 layout is 64 bytes; a longer (future) header is never upgraded here
        // since such a file already has a newer version.
        self.file
            .write_all_at(&bytes, 0)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| StorageError::io(&self.path, e))?;
        self.header = header;
        Ok(())
    }

    fn write_buf(&mut self) -> Result<(), StorageError> {
        let res = self.file.write_all_at(&self.buf, self.len);
        let n = self.buf.len() as u64;
        self.trim_buf();
        if let Err(e) = res {
            // Cut any partial record so later appends are not hidden behind it.
            if self.file.set_len(self.len).is_err() {
                self.poisoned = true;
            }
            return Err(StorageError::io(&self.path, e));
        }
        self.len += n;
        Ok(())
    }

    fn trim_buf(&mut self) {
        if self.buf.capacity() > BUF_KEEP {
            self.buf = Vec::new();
        }
    }
}

/// Read-only replay for offline tools: same result as [`LeaseLog::open`]
/// would give, but the file is never modified (a damaged tail is reported,
/// not cut).
pub fn read_log(path: &Path) -> Result<Replay, StorageError> {
    let meta = fs::metadata(path).map_err(|e| StorageError::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path));
    }
    let file = File::open(path).map_err(|e| StorageError::io(path, e))?;
    let file_len = file
        .metadata()
        .map_err(|e| StorageError::io(path, e))?
        .len();
    let replay = match read_header(&file, path, file_len)? {
        HeaderState::Empty => Replay::default(),
        HeaderState::Torn => Replay {
            cut: Some(torn_header_cut(file_len)),
            ..Replay::default()
        },
        HeaderState::Valid(header, header_len) => {
            scan(&file, path, header_len, file_len, header.seq_base)?.replay
        }
    };
    if let Some(cut) = &replay.cut {
        log::warn!(
            "lease log {}: damaged tail, {cut} (file not modified)",
            path.display()
        );
    }
    Ok(replay)
}

enum HeaderState {
    Empty,
    Torn,
    Valid(LogHeader, usize),
}

fn read_header(file: &File, path: &Path, file_len: u64) -> Result<HeaderState, StorageError> {
    if file_len == 0 {
        return Ok(HeaderState::Empty);
    }
    let map = |p: HeaderProblem| -> Result<HeaderState, StorageError> {
        let path = path.to_path_buf();
        match p {
            HeaderProblem::NotOurs => Err(StorageError::NotALeaseLog { path }),
            HeaderProblem::Torn => Ok(HeaderState::Torn),
            HeaderProblem::Unsupported(version) => {
                Err(StorageError::UnsupportedVersion { path, version })
            }
            HeaderProblem::Corrupt(reason) => Err(StorageError::CorruptHeader { path, reason }),
        }
    };
    let mut prefix = [0u8; HEADER_FIXED];
    let n = (file_len as usize).min(HEADER_FIXED);
    file.read_exact_at(&mut prefix[..n], 0)
        .map_err(|e| StorageError::io(path, e))?;
    let header_len = match format::check_header_prefix(&prefix[..n], file_len) {
        Ok(l) => l,
        Err(p) => return map(p),
    };
    let mut bytes = vec![0u8; header_len];
    file.read_exact_at(&mut bytes, 0)
        .map_err(|e| StorageError::io(path, e))?;
    match format::decode_header_ext(&bytes) {
        Ok(h) if h.flags & format::HEADER_FLAG_SEGMENT != 0 => Err(StorageError::SegmentFile {
            path: path.to_path_buf(),
        }),
        Ok(h) => Ok(HeaderState::Valid(h.header, header_len)),
        Err(p) => map(p),
    }
}

fn torn_header_cut(file_len: u64) -> CutReport {
    CutReport {
        offset: 0,
        bytes_cut: file_len,
        reason: format!("torn file header ({file_len} of {HEADER_LEN} bytes)"),
    }
}

/// Writes a fresh header at offset 0 and makes it durable.
fn init_header(
    file: &File,
    path: &Path,
    buf: &mut Vec<u8>,
    truncate_first: bool,
) -> Result<LogHeader, StorageError> {
    let header = LogHeader::new(0);
    buf.clear();
    header.encode(buf);
    let io = |e| StorageError::io(path, e);
    if truncate_first {
        file.set_len(0).map_err(io)?;
    }
    file.write_all_at(buf, 0).map_err(io)?;
    file.sync_all().map_err(io)?;
    sync_dir(path)?;
    Ok(header)
}

struct Scan {
    replay: Replay,
    /// End of the last good record.
    end: u64,
    last_seq: u64,
}

/// Streams records from `start`, stopping at the first damaged one.
fn scan(
    file: &File,
    path: &Path,
    start: usize,
    file_len: u64,
    seq_base: u64,
) -> Result<Scan, StorageError> {
    let io = |e| StorageError::io(path, e);
    let mut reader = BufReader::with_capacity(256 << 10, file);
    reader.seek(SeekFrom::Start(start as u64)).map_err(io)?;
    let mut off = start as u64;
    let mut last_seq = seq_base;
    let mut state = ReplayState::default();
    let mut body = Vec::new();
    let mut reason = None;

    while off < file_len {
        let remaining = file_len - off;
        if remaining < RECORD_PREFIX as u64 {
            reason = Some(format!(
                "torn record prefix ({remaining} of {RECORD_PREFIX} bytes)"
            ));
            break;
        }
        let mut prefix = [0u8; RECORD_PREFIX];
        if let Err(e) = reader.read_exact(&mut prefix) {
            reason = Some(eof_or(e, path)?);
            break;
        }
        let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let stored = u32::from_le_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]);
        if !(MIN_RECORD_BODY..=MAX_RECORD_BODY).contains(&len) {
            reason = Some(format!("impossible record length {len}"));
            break;
        }
        let available = remaining - RECORD_PREFIX as u64;
        if available < len as u64 {
            reason = Some(format!(
                "torn record (length {len}, only {available} bytes follow)"
            ));
            break;
        }
        body.resize(len, 0);
        if let Err(e) = reader.read_exact(&mut body) {
            reason = Some(eof_or(e, path)?);
            break;
        }
        let computed = crc32c::crc32c(&body);
        if computed != stored {
            reason = Some(format!(
                "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            ));
            break;
        }
        let (seq, record) = match format::decode_record(&body) {
            Ok(v) => v,
            Err(e) => {
                reason = Some(format!("record does not decode: {e}"));
                break;
            }
        };
        if seq <= last_seq {
            reason = Some(format!("sequence {seq} does not follow {last_seq}"));
            break;
        }
        state.apply(record);
        last_seq = seq;
        off += (RECORD_PREFIX + len) as u64;
    }

    let cut = reason.map(|reason| CutReport {
        offset: off,
        bytes_cut: file_len - off,
        reason,
    });
    Ok(Scan {
        replay: state.finish(cut),
        end: off,
        last_seq,
    })
}

/// A file that shrank under us reads as a torn tail; other errors are real.
fn eof_or(e: io::Error, path: &Path) -> Result<String, StorageError> {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Ok("file ended early while reading (shrunk during replay?)".into())
    } else {
        Err(StorageError::io(path, e))
    }
}

fn write_rewrite(
    tmp: &Path,
    header: &LogHeader,
    live: &[Lease4],
    first_seq: u64,
    buf: &mut Vec<u8>,
) -> Result<(File, u64, u64), StorageError> {
    let io = |e| StorageError::io(tmp, e);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(io)?;
    buf.clear();
    header.encode(buf);
    let mut len = 0u64;
    let mut seq = first_seq;
    for lease in live {
        format::encode_ref(buf, seq, RecordRef::Lease4(lease)).map_err(|e| too_large(tmp, e))?;
        seq += 1;
        if buf.len() >= REWRITE_CHUNK {
            file.write_all(buf).map_err(io)?;
            len += buf.len() as u64;
            buf.clear();
        }
    }
    file.write_all(buf).map_err(io)?;
    len += buf.len() as u64;
    buf.clear();
    file.sync_all().map_err(io)?;
    Ok((file, len, seq))
}

pub(crate) fn too_large(path: &Path, e: format::TooLarge) -> StorageError {
    StorageError::too_large(path, e)
}

fn not_regular(path: &Path) -> StorageError {
    StorageError::NotARegularFile {
        path: path.to_path_buf(),
    }
}

fn parent_dir(path: &Path) -> Option<&Path> {
    path.parent().filter(|p| !p.as_os_str().is_empty())
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".rewrite-tmp");
    path.with_file_name(name)
}

/// Makes a create/rename durable: the entry lives in the directory.
pub(crate) fn sync_dir(path: &Path) -> Result<(), StorageError> {
    let dir = parent_dir(path).unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(dir, e))
}
