//! Lease storage: logs of checksummed records, replayed at start-up, so leases survive
//! restarts and crashes (a server that forgets a lease hands one address to two
//! clients).
//!
//! - [`LeaseLog`]: one append-only file, written with `pwrite` (the first log).
//! - [`SegmentLog`]: a directory of preallocated, memory-mapped segment files per shard;
//!   appending is a copy into the map, durability comes from group commit through
//!   io_uring (or a helper thread), and [`CompactionTicket`] rewrites the live set on a
//!   side thread while the shard keeps appending (Kea's LFC).
//! - [`kea_csv`]: Kea memfile CSV import (1.4 and newest schemas, LFC file sets) and
//!   export.
//!
//! A torn or corrupt tail (crash mid-write, bad sector) is cut and reported,
//! never fatal: everything before it is kept, nothing after it is trusted.
//! The on-disk format is documented in [`format`](mod@format) and is
//! versioned: readers refuse files of a newer format instead of cutting them.

mod commit;
mod error;
pub mod format;
mod ident;
pub mod kea_csv;
mod lease;
mod lease_log;
mod replay;
mod segment;

#[doc(hidden)]
pub use commit::SyncGate as __SyncGate;
pub use commit::{CommitBackend, CommitStats, CommittedUpTo, Durability};
pub use error::StorageError;
pub use format::{FORMAT_VERSION, LogHeader, MAX_RECORD_BODY};
pub use ident::{INLINE_IDENT, Ident};
pub use lease::{Lease4, Lease6, Lease6Type, LeaseState, Record, RecordRef};
pub use lease_log::{LeaseLog, read_log};
pub use replay::{CutReport, Replay, merge_replays, merge_replays6};
pub use segment::{
    CompactionReport, CompactionTicket, SegmentCut, SegmentLog, SegmentOptions, SegmentReplay,
    read_segments,
};
