//! Where leases live on disk for the daemon: one segmented lease log per shard
//! (`<base>.d/shard-<i>/`, see `shard_logs.rs`; `persist: false` keeps leases in memory
//! only, as Kea's memfile does), group commit with replies held until their records are
//! durable, Kea's LFC as a compaction on a side thread, and the Kea CSV views
//! (`--dump-leases`, `--export-leases`).
//!
//! A shard's loop, per batch:
//! ```text
//! handle requests -> LeaseStore::persist (append the batch's records, no syscall)
//!                 -> every reply of the batch waits for seq = written_seq()
//! LeaseStore::tick (each loop iteration, never blocks):
//!     commit_async() when records are unrequested (at once, or after commit-window-us)
//!     poll_commits() -> reply_ready_upto(): replies with seq <= it leave
//! ```

use crate::core::v4::{LeaseChange, ShardV4};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use xdhcp_config::{LeaseDatabase, XdhcpConfig};
use xdhcp_storage::{
    CommitBackend, CommitStats, CompactionReport, Durability, RecordRef, SegmentLog,
    SegmentOptions, StorageError, kea_csv,
};

/// Default lease log when `lease-database` names no file.
const DEFAULT_LOG: &str = "/var/lib/xdhcp/xdhcp-leases4.xlog";
/// How often a loop holding replies looks at commit completions (the commit backends
/// offer no descriptor to wait on).
pub const COMMIT_POLL: Duration = Duration::from_micros(50);

/// The lease log base path for a `lease-database` entry: its `name` with `.csv` replaced
/// by `.xlog` (a Kea CSV file of that name is only ever read), or the default; `None`
/// when `persist` is false. The shards' segment logs live in `<base>.d/shard-<i>/`; a
/// single-file log at `<base>` (`<base>.<i>.xlog`) is the older format, migrated at
/// start-up.
pub fn lease_log_path(db: &LeaseDatabase) -> Option<PathBuf> {
    if !db.persist {
        return None;
    }
    let name = db
        .name
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_LOG));
    Some(match name.extension().and_then(|e| e.to_str()) {
        Some("xlog") => name,
        Some("csv") => name.with_extension("xlog"),
        _ => {
            let mut s = name.into_os_string();
            s.push(".xlog");
            PathBuf::from(s)
        }
    })
}

/// The Kea memfile CSV file that `lease-database` names, if it names one (anything but
/// an `.xlog` path): imported at the first start-up.
pub fn kea_csv_path(db: &LeaseDatabase) -> Option<PathBuf> {
    if !db.persist {
        return None;
    }
    let name = db.name.clone()?;
    (name.extension().and_then(|e| e.to_str()) != Some("xlog")).then_some(name)
}

fn merged_leases(db: &LeaseDatabase) -> Result<Vec<xdhcp_storage::Lease4>, String> {
    let Some(path) = lease_log_path(db) else {
        return Err("lease-database has persist: false; there is no lease file to read".into());
    };
    super::shard_logs::read_all(&path)?.ok_or_else(|| {
        format!(
            "no lease log at {} (the server has not run with this configuration yet)",
            super::shard_logs::segment_root(&path).display()
        )
    })
}

/// Prints the leases of the lease logs (every shard's, merged) as Kea memfile CSV
/// (newest v4 schema).
pub fn dump_leases(db: &LeaseDatabase, out: &mut dyn std::io::Write) -> Result<usize, String> {
    let leases = merged_leases(db)?;
    kea_csv::export_v4(&leases, out, |_, _| {}).map_err(|e| e.to_string())?;
    Ok(leases.len())
}

/// Writes the leases of the lease logs (every shard's, merged) to `file` as a Kea
/// memfile CSV of the newest schema, which `kea-dhcp4` loads as its `lease-database`.
/// The file is written beside as `FILE.tmp`, synced, then renamed over `file`.
/// `progress(done, total)` is called as rows are written.
pub fn export_leases(
    db: &LeaseDatabase,
    file: &Path,
    progress: impl FnMut(usize, usize),
) -> Result<usize, String> {
    let leases = merged_leases(db)?;
    let mut tmp = file.as_os_str().to_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let err = |e: std::io::Error| format!("{}: {e}", tmp.display());
    let f = std::fs::File::create(&tmp).map_err(err)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    kea_csv::export_v4(&leases, &mut w, progress).map_err(err)?;
    w.flush().map_err(err)?;
    let f = w.into_inner().map_err(|e| err(e.into_error()))?;
    f.sync_all().map_err(err)?;
    std::fs::rename(&tmp, file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(leases.len())
}

/// How the shards' logs are opened and committed (from the `xdhcp` map).
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub segment: SegmentOptions,
    /// `commit-window-us`.
    pub window: Duration,
    /// `lease-database.lfc-interval`; zero = never compact while running.
    pub lfc_interval: Duration,
}

impl StoreOptions {
    pub fn new(x: &XdhcpConfig, db: &LeaseDatabase) -> StoreOptions {
        let mut segment = SegmentOptions {
            durability: match x.durability {
                xdhcp_config::Durability::DurableBeforeReply => Durability::DurableBeforeReply,
                xdhcp_config::Durability::WrittenBeforeReply => Durability::WrittenBeforeReply,
            },
            commit_backend: CommitBackend::Auto,
            ..SegmentOptions::default()
        };
        if let Some(s) = x.segment_size {
            segment.segment_size = s;
        }
        StoreOptions {
            segment,
            window: Duration::from_micros(u64::from(x.commit_window_us)),
            lfc_interval: Duration::from_secs(u64::from(db.lfc_interval)),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{}, commit window {} µs, segments of {} bytes",
            match self.segment.durability {
                Durability::DurableBeforeReply => "durable-before-reply",
                Durability::WrittenBeforeReply => "written-before-reply",
            },
            self.window.as_micros(),
            self.segment.segment_size
        )
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions::new(&XdhcpConfig::default(), &LeaseDatabase::default())
    }
}

struct Compaction {
    handle: JoinHandle<Result<CompactionReport, StorageError>>,
    started: Instant,
}

/// One shard's lease log and its group-commit state.
pub struct LeaseStore {
    log: Option<SegmentLog>,
    /// The `lease-database` base path the log belongs to.
    base: Option<PathBuf>,
    /// "shard 2" in log lines.
    label: String,
    changes: Vec<LeaseChange>,
    window: Duration,
    /// When the oldest record without a commit request was appended.
    unrequested_since: Option<Instant>,
    compaction: Option<Compaction>,
    compactions: u64,
}

/// A failure the shard cannot serve through: an fdatasync failed (the page cache may
/// have dropped records, so nothing may be reported durable any more) or the log
/// refuses work. The daemon stops; the next start replays what is on disk, and no client
/// was told about a lease that is not there.
#[derive(Debug)]
pub struct FatalStoreError(pub String);

impl std::fmt::Display for FatalStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl LeaseStore {
    /// A store that keeps nothing (`persist: false`).
    pub fn memory() -> LeaseStore {
        LeaseStore {
            log: None,
            base: None,
            label: "memory".into(),
            changes: Vec::with_capacity(64),
            window: Duration::ZERO,
            unrequested_since: None,
            compaction: None,
            compactions: 0,
        }
    }

    /// A store appending to an opened log.
    pub fn with_log(log: SegmentLog, base: &Path, label: String, window: Duration) -> LeaseStore {
        LeaseStore {
            log: Some(log),
            base: Some(base.to_path_buf()),
            label,
            window,
            ..LeaseStore::memory()
        }
    }

    /// Appends records as they are (tests).
    #[cfg(test)]
    pub fn append(&mut self, records: &[xdhcp_storage::Record]) -> Result<(), String> {
        match self.log.as_mut() {
            Some(log) => {
                log.append(records).map_err(|e| e.to_string())?;
                log.commit().map(|_| ()).map_err(|e| e.to_string())
            }
            None => Ok(()),
        }
    }

    pub fn describe(&self) -> String {
        match &self.log {
            Some(l) => l.dir().display().to_string(),
            None => "memory (persist: false)".into(),
        }
    }

    /// The `lease-database` base path (`None` in memory).
    pub fn path_buf(&self) -> Option<PathBuf> {
        self.base.clone()
    }

    /// Appends the shard's pending lease changes to the log (one copy into the mapped
    /// segment, borrowing the records from the lease table; no syscall, no allocation).
    /// Every reply handled so far must then wait for [`Self::written_seq`] to be
    /// released by [`Self::tick`]. On an error the changes stay queued for the next
    /// batch and the replies handled since the last persist must be dropped.
    pub fn persist(&mut self, shard: &mut ShardV4) -> Result<(), String> {
        shard.take_changes(&mut self.changes);
        let Some(log) = self.log.as_mut() else {
            self.changes.clear();
            return Ok(());
        };
        if self.changes.is_empty() {
            return Ok(());
        }
        let before = log.written_seq();
        let shard_ref: &ShardV4 = shard;
        let records = self.changes.iter().filter_map(|c| match *c {
            LeaseChange::Upsert(addr) => shard_ref.lease(addr).map(RecordRef::Lease4),
            LeaseChange::Delete(address, at) => Some(RecordRef::Delete4 { address, at }),
        });
        let result = log.append_refs(records);
        if let Err(e) = result {
            // Keep the changes queued so the next batch writes them again (records of
            // this batch that did get appended are simply written twice).
            shard.requeue_changes(&self.changes);
            self.changes.clear();
            return Err(e.to_string());
        }
        self.changes.clear();
        if log.written_seq() > before && self.unrequested_since.is_none() {
            self.unrequested_since = Some(Instant::now());
        }
        Ok(())
    }

    /// Seq of the last appended record: what a reply handled now waits for. 0 without
    /// a log (memory store: replies never wait).
    pub fn written_seq(&self) -> u64 {
        self.log.as_ref().map_or(0, |l| l.written_seq())
    }

    /// Starts a group commit when records wait for one (at once, or once the oldest
    /// has waited `commit-window-us`), reaps finished commits and compactions, and
    /// returns the seq up to which replies may leave under the durability policy.
    /// Never blocks.
    pub fn tick(&mut self, now: Instant) -> Result<u64, FatalStoreError> {
        self.reap_compaction();
        let Some(log) = self.log.as_mut() else {
            return Ok(u64::MAX);
        };
        let fatal = |label: &str, e: StorageError| {
            FatalStoreError(format!("{label}: lease log commit failed: {e}"))
        };
        if let Some(since) = self.unrequested_since
            && (self.window.is_zero() || now.duration_since(since) >= self.window)
        {
            log.commit_async().map_err(|e| fatal(&self.label, e))?;
            self.unrequested_since = None;
        }
        log.poll_commits().map_err(|e| fatal(&self.label, e))?;
        Ok(log.reply_ready_upto())
    }

    /// How long the loop may sleep before [`Self::tick`] has something to do: the rest
    /// of the commit window, or [`COMMIT_POLL`] while a commit that replies wait for is
    /// in flight.
    pub fn next_deadline(&self, now: Instant) -> Option<Duration> {
        let log = self.log.as_ref()?;
        if let Some(since) = self.unrequested_since {
            return Some((since + self.window).saturating_duration_since(now));
        }
        if log.durable_seq() >= log.written_seq() {
            return None;
        }
        // Replies wait only under durable-before-reply; otherwise reaping the commit
        // can wait a little.
        Some(match log.durability() {
            Durability::DurableBeforeReply => COMMIT_POLL,
            Durability::WrittenBeforeReply => Duration::from_millis(1),
        })
    }

    /// Kea's LFC: rolls the log to a fresh segment here (cheap) and rewrites the live
    /// set of everything before it on a side thread. One at a time; a request while one
    /// runs is skipped.
    pub fn start_compaction(&mut self) {
        let Some(log) = self.log.as_mut() else {
            return;
        };
        if self.compaction.is_some() {
            log::info!(
                "{}: lease log compaction still running, skipped",
                self.label
            );
            return;
        }
        let ticket = match log.begin_compaction() {
            Ok(t) => t,
            Err(e) => {
                log::error!("{}: lease log compaction not started: {e}", self.label);
                return;
            }
        };
        let name = format!("xdhcp-lfc-{}", self.label.replace(' ', ""));
        match std::thread::Builder::new()
            .name(name)
            .spawn(move || ticket.compact_covered())
        {
            Ok(handle) => {
                self.compaction = Some(Compaction {
                    handle,
                    started: Instant::now(),
                })
            }
            Err(e) => log::error!(
                "{}: cannot start the lease log compaction thread: {e}",
                self.label
            ),
        }
    }

    fn reap_compaction(&mut self) {
        if !self
            .compaction
            .as_ref()
            .is_some_and(|c| c.handle.is_finished())
        {
            return;
        }
        let c = self.compaction.take().expect("checked");
        let took = c.started.elapsed();
        match c.handle.join() {
            Ok(Ok(r)) => {
                self.compactions += 1;
                log::info!(
                    "{}: lease log compacted in {:.1} ms: {} lease(s) in {} bytes of {} base \
                     segment(s) cover records up to seq {} (generation {}), {} file(s) removed",
                    self.label,
                    took.as_secs_f64() * 1000.0,
                    r.leases,
                    r.bytes,
                    r.segments.len(),
                    r.covered_upto,
                    r.generation,
                    r.removed.len()
                );
            }
            Ok(Err(e)) => log::error!(
                "{}: lease log compaction failed after {:.1} ms (nothing changed): {e}",
                self.label,
                took.as_secs_f64() * 1000.0
            ),
            Err(_) => log::error!("{}: lease log compaction thread panicked", self.label),
        }
    }

    /// Commit latency so far (zeros without a log).
    pub fn commit_stats(&self) -> CommitStats {
        self.log
            .as_ref()
            .map_or_else(CommitStats::default, |l| l.commit_stats())
    }

    /// Counters for the `statistics:` line.
    pub fn counters(&self) -> StoreCounters {
        let c = self.commit_stats();
        StoreCounters {
            commits: c.commits,
            p50_us: c.p50_us,
            p99_us: c.p99_us,
            max_us: c.max_us,
            compactions: self.compactions,
        }
    }

    /// Shutdown: waits for a running compaction, then commits everything (blocking).
    /// True when every appended record is durable.
    pub fn close(&mut self) -> bool {
        if let Some(c) = self.compaction.take() {
            let _ = c.handle.join();
        }
        match self.log.as_mut().map(|l| l.commit()) {
            Some(Err(e)) => {
                log::error!("{}: lease log commit at shutdown failed: {e}", self.label);
                false
            }
            _ => true,
        }
    }
}

/// A shard's lease log counters; several shards' add up with [`StoreCounters::add`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreCounters {
    pub commits: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub compactions: u64,
}

impl StoreCounters {
    /// Commits and compactions summed, latencies the worst shard's.
    pub fn add(&mut self, o: &StoreCounters) {
        self.commits += o.commits;
        self.compactions += o.compactions;
        self.p50_us = self.p50_us.max(o.p50_us);
        self.p99_us = self.p99_us.max(o.p99_us);
        self.max_us = self.max_us.max(o.max_us);
    }

    /// ` lease-log.commits=.. lease-log.commit-p50-us=..` for the `statistics:` line.
    pub fn stat_text(&self) -> String {
        format!(
            " lease-log.commits={} lease-log.commit-p50-us={} lease-log.commit-p99-us={} \
             lease-log.commit-max-us={} lease-log.compactions={}",
            self.commits, self.p50_us, self.p99_us, self.max_us, self.compactions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use xdhcp_storage::{Lease4, LeaseState, Record, read_segments};

    fn lease(i: u32, cltt: u64) -> Lease4 {
        Lease4 {
            address: Ipv4Addr::from(0xc000_0200 + i),
            hwaddr: [2, 0, 0, 0, (i >> 8) as u8, i as u8][..].into(),
            htype: 1,
            client_id: None,
            valid_lifetime: 3600,
            cltt,
            subnet_id: 1,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: String::new(),
            state: LeaseState::Default,
            user_context: None,
        }
    }

    fn store(dir: &Path, durability: Durability) -> LeaseStore {
        let opts = SegmentOptions {
            segment_size: 1 << 16,
            durability,
            ..SegmentOptions::default()
        };
        let (log, _) = SegmentLog::open(&dir.join("shard-0"), opts).unwrap();
        LeaseStore::with_log(log, dir, "shard 0".into(), Duration::ZERO)
    }

    /// Appends without committing, as `persist` does.
    fn append_uncommitted(s: &mut LeaseStore, recs: &[Record]) -> u64 {
        let seq = s.log.as_mut().unwrap().append(recs).unwrap();
        s.unrequested_since.get_or_insert_with(Instant::now);
        seq
    }

    fn wait_ready(s: &mut LeaseStore, seq: u64) {
        let end = Instant::now() + Duration::from_secs(10);
        while s.tick(Instant::now()).unwrap() < seq {
            assert!(Instant::now() < end, "commit never completed");
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    #[test]
    fn replies_wait_for_the_commit_under_durable_before_reply() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(dir.path(), Durability::DurableBeforeReply);
        let seq = append_uncommitted(&mut s, &[Record::Lease4(lease(1, 100))]);
        assert!(s.next_deadline(Instant::now()).is_some());
        wait_ready(&mut s, seq);
        let log = s.log.as_ref().unwrap();
        assert!(log.durable_seq() >= seq, "released before durable");
        assert_eq!(s.next_deadline(Instant::now()), None);
        assert!(s.counters().commits >= 1);
    }

    #[test]
    fn written_before_reply_releases_at_once_and_still_commits() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(dir.path(), Durability::WrittenBeforeReply);
        let seq = append_uncommitted(&mut s, &[Record::Lease4(lease(1, 100))]);
        assert!(s.tick(Instant::now()).unwrap() >= seq);
        let end = Instant::now() + Duration::from_secs(10);
        while s.log.as_ref().unwrap().durable_seq() < seq {
            assert!(Instant::now() < end, "never committed");
            s.tick(Instant::now()).unwrap();
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    #[test]
    fn compaction_on_a_side_thread_keeps_every_lease() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(dir.path(), Durability::DurableBeforeReply);
        // 300 leases written twice: enough to roll over several 64 KiB segments.
        for round in 0..2 {
            let recs: Vec<Record> = (0..300)
                .map(|i| Record::Lease4(lease(i, 100 + round)))
                .collect();
            s.append(&recs).unwrap();
        }
        s.start_compaction();
        // The shard keeps appending while the side thread compacts.
        let seq = append_uncommitted(
            &mut s,
            &[
                Record::Lease4(lease(400, 300)),
                Record::Delete4 {
                    address: lease(7, 0).address,
                    at: 300,
                },
            ],
        );
        wait_ready(&mut s, seq);
        let end = Instant::now() + Duration::from_secs(10);
        while s.counters().compactions == 0 {
            assert!(Instant::now() < end, "compaction never finished");
            s.tick(Instant::now()).unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(s.close());
        let r = read_segments(&dir.path().join("shard-0")).unwrap();
        assert!(r.cuts.is_empty());
        let leases = r.replay.leases;
        assert_eq!(leases.len(), 300);
        assert!(leases.iter().all(|l| l.cltt == 101 || l.cltt == 300));
        assert!(!leases.iter().any(|l| l.address == lease(7, 0).address));
    }
}
