//! Lease storage: an append-only log of checksummed records, replayed at
//! start-up, so leases survive restarts and crashes (a server that forgets a
//! lease hands one address to two clients).
//!
//! A torn or corrupt tail (crash mid-write, bad sector) is cut and reported,
//! never fatal: everything before it is kept, nothing after it is trusted.
//! The on-disk format is documented in [`format`](mod@format) and is
//! versioned so later releases (mmap per shard, group commit, compaction,
//! DHCPv6) can migrate it.

mod error;
pub mod format;
mod ident;
pub mod kea_csv;
mod lease;
mod lease_log;

pub use error::StorageError;
pub use format::{FORMAT_VERSION, LogHeader, MAX_RECORD_BODY};
pub use ident::{INLINE_IDENT, Ident};
pub use lease::{Lease4, LeaseState, Record};
pub use lease_log::{CutReport, LeaseLog, RecordRef, Replay, merge_replays, read_log};
