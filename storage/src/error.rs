//! Errors: each names the file and tells the operator what to do, because
//! they end up in a start-up failure message.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

#[derive(Debug)]
#[non_exhaustive]
pub enum StorageError {
    /// The operating system refused an operation on the log.
    Io { path: PathBuf, source: io::Error },
    /// The file exists but does not start with the lease log magic.
    NotALeaseLog { path: PathBuf },
    /// The path names a directory, device, FIFO, ...
    NotARegularFile { path: PathBuf },
    /// Written by a newer xdhcp; refused rather than cut so a downgrade
    /// cannot destroy leases.
    UnsupportedVersion { path: PathBuf, version: u16 },
    /// Our magic, but the header is damaged. Refused: replaying without a
    /// trustworthy header could drop every lease.
    CorruptHeader { path: PathBuf, reason: String },
    /// A record field exceeds what the format can hold; nothing was written.
    RecordTooLarge {
        path: PathBuf,
        address: Ipv4Addr,
        field: &'static str,
        len: usize,
        max: usize,
    },
    /// [`RecordTooLarge`](Self::RecordTooLarge) for a DHCPv6 record.
    RecordTooLarge6 {
        path: PathBuf,
        address: Ipv6Addr,
        field: &'static str,
        len: usize,
        max: usize,
    },
    /// The file is a segment of a segmented log (a directory); open the directory
    /// with `SegmentLog`, not the file with `LeaseLog`.
    SegmentFile { path: PathBuf },
    /// Another process (or another `SegmentLog` in this one) holds the log directory.
    Locked { path: PathBuf },
    /// A compaction of this log is already running.
    CompactionInProgress { path: PathBuf },
    /// The log's option values cannot work.
    InvalidOptions { path: PathBuf, reason: String },
    /// A failed append could not be rolled back; the tail may hold a partial
    /// record, so further appends are refused until the log is reopened.
    Poisoned { path: PathBuf },
}

impl StorageError {
    pub(crate) fn too_large(path: &std::path::Path, e: crate::format::TooLarge) -> Self {
        let path = path.to_path_buf();
        match e.address {
            IpAddr::V4(address) => StorageError::RecordTooLarge {
                path,
                address,
                field: e.field,
                len: e.len,
                max: e.max,
            },
            IpAddr::V6(address) => StorageError::RecordTooLarge6 {
                path,
                address,
                field: e.field,
                len: e.len,
                max: e.max,
            },
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        StorageError::Io {
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Io { path, source } => write!(
                f,
                "lease log {}: {source}; check that the path is correct, writable by the server, and the disk is not full",
                path.display()
            ),
            StorageError::NotALeaseLog { path } => write!(
                f,
                "{} is not an xdhcp lease log (wrong magic bytes); it was left untouched. Move it aside or configure another lease file (Kea CSV files must be imported, not opened)",
                path.display()
            ),
            StorageError::NotARegularFile { path } => write!(
                f,
                "lease log {} is not a regular file; configure a path naming a file",
                path.display()
            ),
            StorageError::UnsupportedVersion { path, version } => write!(
                f,
                "lease log {} has format version {version}, newer than this build supports ({}); it was left untouched. Run a newer xdhcp or restore a backup",
                path.display(),
                crate::format::FORMAT_VERSION
            ),
            StorageError::CorruptHeader { path, reason } => write!(
                f,
                "lease log {} has a damaged header ({reason}); it was left untouched. Restore a backup, or move it aside to start with no leases",
                path.display()
            ),
            StorageError::RecordTooLarge {
                path,
                address,
                field,
                len,
                max,
            } => write!(
                f,
                "lease log {}: lease {address} not written: {field} is {len} bytes, limit {max}",
                path.display()
            ),
            StorageError::RecordTooLarge6 {
                path,
                address,
                field,
                len,
                max,
            } => write!(
                f,
                "lease log {}: lease {address} not written: {field} is {len} bytes, limit {max}",
                path.display()
            ),
            StorageError::SegmentFile { path } => write!(
                f,
                "{} is a segment of a segmented lease log; it was left untouched. Configure the directory holding it as a segmented log",
                path.display()
            ),
            StorageError::Locked { path } => write!(
                f,
                "lease log directory {} is in use by another writer; only one server (shard) may own it",
                path.display()
            ),
            StorageError::CompactionInProgress { path } => write!(
                f,
                "lease log {}: a compaction is already running; wait for it to finish",
                path.display()
            ),
            StorageError::InvalidOptions { path, reason } => {
                write!(f, "lease log {}: {reason}", path.display())
            }
            StorageError::Poisoned { path } => write!(
                f,
                "lease log {}: an earlier failed write could not be rolled back; restart the server to replay and repair the log",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StorageError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
