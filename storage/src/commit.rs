//! Group commit: durability requests for everything appended so far go to an io_uring
//! instance owned by the log (`IORING_OP_FSYNC` with `IORING_FSYNC_DATASYNC`, i.e.
//! fdatasync, which also writes back pages dirtied through the shared mapping), and
//! completions are reaped without blocking. Where io_uring cannot be used (old kernel,
//! seccomp, `CommitBackend::Thread`), a helper thread runs `fdatasync` instead; the
//! caller's API is the same.
//!
//! Commits are reported strictly in submission order, and a commit is reported only
//! after every fdatasync it issued completed successfully. A failed fdatasync is an
//! error (the page cache may have dropped the data: retrying could report data durable
//! that is not), and the log refuses further work until it is reopened and replayed.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use hdrhistogram::Histogram;
use io_uring::{IoUring, opcode, types};

use crate::StorageError;

/// When a reply may leave, relative to its lease records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Hold replies until their records are on disk (fdatasync completed): a crash
    /// never forgets a lease a client was told about. Default.
    #[default]
    DurableBeforeReply,
    /// Reply once the records are in the page cache (Kea memfile's behaviour): a power
    /// loss may forget the last moments of leases; a process crash does not.
    WrittenBeforeReply,
}

/// How commits reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommitBackend {
    /// io_uring if it works here, else the helper thread (logged once).
    #[default]
    Auto,
    /// io_uring or fail at open.
    IoUring,
    /// A helper thread calling fdatasync.
    Thread,
}

/// Every record with a seq up to this one is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommittedUpTo(pub u64);

/// Commit latency (submission to reported completion), microseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommitStats {
    /// "io_uring" or "thread".
    pub backend: &'static str,
    pub commits: u64,
    pub min_us: u64,
    pub avg_us: f64,
    pub max_us: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
}

/// Test hook: the helper thread waits for a permit before each fdatasync, so a test can
/// prove nothing is reported durable before its sync ran.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct SyncGate {
    permits: Mutex<u64>,
    cv: Condvar,
}

impl SyncGate {
    pub fn release(&self, n: u64) {
        *self.permits.lock().unwrap_or_else(|e| e.into_inner()) += n;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut p = self.permits.lock().unwrap_or_else(|e| e.into_inner());
        while *p == 0 {
            p = self.cv.wait(p).unwrap_or_else(|e| e.into_inner());
        }
        *p -= 1;
    }
}

/// Most fdatasync operations in flight; more requests coalesce into the next commit.
const MAX_INFLIGHT_OPS: usize = 64;
/// Commits in flight at once (classic group commit: one running, the next one gathers).
const MAX_INFLIGHT_COMMITS: usize = 1;
const RING_ENTRIES: u32 = 128;

struct Pending {
    id: u64,
    seq: u64,
    remaining: usize,
    error: Option<io::Error>,
    started: Instant,
    /// Keeps the descriptors open while the kernel uses them.
    _files: Vec<Arc<File>>,
}

struct Job {
    id: u64,
    files: Vec<Arc<File>>,
}

struct Done {
    id: u64,
    result: io::Result<()>,
}

enum Backend {
    Uring(Box<IoUring>),
    Thread {
        tx: Option<Sender<Job>>,
        rx: Receiver<Done>,
        handle: Option<JoinHandle<()>>,
    },
}

pub(crate) struct Committer {
    path: PathBuf,
    backend: Backend,
    pending: VecDeque<Pending>,
    inflight_ops: usize,
    next_id: u64,
    /// Highest seq asked to be made durable.
    wanted: u64,
    /// Highest seq covered by a submitted commit.
    submitted: u64,
    durable: u64,
    /// Files written since the last submitted commit.
    dirty: Vec<Arc<File>>,
    hist: Histogram<u64>,
    min: u64,
    max: u64,
    sum: u128,
    failed: bool,
}

impl Committer {
    /// `probe` is a file of the log (its directory) used to check that io_uring fsync
    /// works here before relying on it.
    pub(crate) fn new(
        path: &Path,
        backend: CommitBackend,
        durable: u64,
        probe: &File,
        gate: Option<Arc<SyncGate>>,
    ) -> Result<Committer, StorageError> {
        let backend = match backend {
            CommitBackend::Thread => thread_backend(path, gate)?,
            CommitBackend::IoUring => Backend::Uring(Box::new(
                uring_probe(probe).map_err(|e| StorageError::io(path, e))?,
            )),
            CommitBackend::Auto => match uring_probe(probe) {
                Ok(ring) => Backend::Uring(Box::new(ring)),
                Err(e) => {
                    log::warn!(
                        "lease log {}: io_uring unavailable ({e}); group commit falls back to a helper thread calling fdatasync",
                        path.display()
                    );
                    thread_backend(path, gate)?
                }
            },
        };
        Ok(Committer {
            path: path.to_path_buf(),
            backend,
            pending: VecDeque::new(),
            inflight_ops: 0,
            next_id: 1,
            wanted: durable,
            submitted: durable,
            durable,
            dirty: Vec::with_capacity(4),
            hist: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"),
            min: u64::MAX,
            max: 0,
            sum: 0,
            failed: false,
        })
    }

    pub(crate) fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Uring(_) => "io_uring",
            Backend::Thread { .. } => "thread",
        }
    }

    /// Records that `file` holds appended data not yet covered by a commit.
    pub(crate) fn mark_dirty(&mut self, file: &Arc<File>) {
        if !self.dirty.iter().any(|f| Arc::ptr_eq(f, file)) {
            self.dirty.push(Arc::clone(file));
        }
    }

    pub(crate) fn durable(&self) -> u64 {
        self.durable
    }

    /// Asks for everything up to `seq` to become durable; submits now if there is room,
    /// else as soon as earlier commits complete. Never blocks.
    pub(crate) fn request(&mut self, seq: u64) -> Result<(), StorageError> {
        self.check_failed()?;
        if seq > self.wanted {
            self.wanted = seq;
        }
        self.try_submit()
    }

    fn check_failed(&self) -> Result<(), StorageError> {
        if self.failed {
            return Err(StorageError::Poisoned {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    fn try_submit(&mut self) -> Result<(), StorageError> {
        if self.wanted <= self.submitted || self.dirty.is_empty() {
            // Nothing appended since the last submission (or nothing to sync).
            if self.wanted > self.submitted && self.dirty.is_empty() {
                // No file written since the last submission: it already covers `wanted`.
                self.submitted = self.wanted;
                match self.pending.back_mut() {
                    Some(p) => p.seq = self.wanted,
                    None => self.durable = self.durable.max(self.wanted),
                }
            }
            return Ok(());
        }
        if self.pending.len() >= MAX_INFLIGHT_COMMITS
            || (self.inflight_ops + self.dirty.len() > MAX_INFLIGHT_OPS && !self.pending.is_empty())
        {
            // Coalesced: submitted (covering everything requested by then) as soon as
            // the commit in flight completes. fdatasyncs of one file serialize in the
            // kernel anyway; queueing more only adds latency.
            return Ok(());
        }
        let id = self.next_id;
        self.next_id += 1;
        let files = std::mem::take(&mut self.dirty);
        let n = files.len();
        match &mut self.backend {
            Backend::Uring(ring) => {
                for f in &files {
                    let sqe = opcode::Fsync::new(types::Fd(f.as_raw_fd()))
                        .flags(types::FsyncFlags::DATASYNC)
                        .build()
                        .user_data(id);
                    // SAFETY: the fd stays open (kept in `Pending`) until the CQE arrives.
                    while unsafe { ring.submission().push(&sqe) }.is_err() {
                        ring.submit().map_err(|e| StorageError::io(&self.path, e))?;
                    }
                }
                ring.submit().map_err(|e| StorageError::io(&self.path, e))?;
            }
            Backend::Thread { tx, .. } => {
                let sent = tx.as_ref().map(|tx| {
                    tx.send(Job {
                        id,
                        files: files.clone(),
                    })
                });
                if !matches!(sent, Some(Ok(()))) {
                    self.failed = true;
                    return Err(StorageError::io(
                        &self.path,
                        io::Error::other("commit helper thread is gone"),
                    ));
                }
            }
        }
        let remaining = match self.backend {
            Backend::Uring(_) => n,
            Backend::Thread { .. } => 1,
        };
        self.inflight_ops += remaining;
        self.pending.push_back(Pending {
            id,
            seq: self.wanted,
            remaining,
            error: None,
            started: Instant::now(),
            _files: files,
        });
        self.submitted = self.wanted;
        Ok(())
    }

    fn complete(&mut self, id: u64, result: io::Result<()>) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.remaining = p.remaining.saturating_sub(1);
            self.inflight_ops = self.inflight_ops.saturating_sub(1);
            if let Err(e) = result {
                p.error.get_or_insert(e);
            }
        }
    }

    /// Reaps finished commits without blocking.
    pub(crate) fn poll(&mut self) -> Result<Option<CommittedUpTo>, StorageError> {
        self.check_failed()?;
        self.reap(false)?;
        let before = self.durable;
        self.retire()?;
        self.try_submit()?;
        Ok((self.durable > before).then_some(CommittedUpTo(self.durable)))
    }

    /// Blocks until everything requested so far is durable.
    pub(crate) fn wait_all(&mut self) -> Result<u64, StorageError> {
        loop {
            self.check_failed()?;
            // Retire first: a finished commit frees the slot the coalesced one needs.
            self.retire()?;
            self.try_submit()?;
            if self.pending.is_empty() {
                // Nothing in flight after a submission attempt: all is durable.
                debug_assert!(self.durable >= self.wanted);
                return Ok(self.durable);
            }
            self.reap(true)?;
        }
    }

    fn reap(&mut self, block: bool) -> Result<(), StorageError> {
        let mut done: Vec<(u64, io::Result<()>)> = Vec::new();
        match &mut self.backend {
            Backend::Uring(ring) => {
                if block && ring.completion().is_empty() {
                    ring.submit_and_wait(1)
                        .map_err(|e| StorageError::io(&self.path, e))?;
                }
                for cqe in ring.completion() {
                    let r = cqe.result();
                    let result = if r < 0 {
                        Err(io::Error::from_raw_os_error(-r))
                    } else {
                        Ok(())
                    };
                    done.push((cqe.user_data(), result));
                }
            }
            Backend::Thread { rx, .. } => {
                if block {
                    match rx.recv() {
                        Ok(d) => done.push((d.id, d.result)),
                        Err(_) => {
                            done.push((0, Err(io::Error::other("commit helper thread is gone"))))
                        }
                    }
                }
                loop {
                    match rx.try_recv() {
                        Ok(d) => done.push((d.id, d.result)),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => {
                            if !self.pending.is_empty() && done.is_empty() {
                                self.failed = true;
                                return Err(StorageError::io(
                                    &self.path,
                                    io::Error::other("commit helper thread is gone"),
                                ));
                            }
                            break;
                        }
                    }
                }
            }
        }
        for (id, r) in done {
            self.complete(id, r);
        }
        Ok(())
    }

    /// Retires completed commits from the front, in order.
    fn retire(&mut self) -> Result<(), StorageError> {
        while self.pending.front().is_some_and(|p| p.remaining == 0) {
            let p = self.pending.pop_front().expect("front checked");
            if let Some(e) = p.error {
                self.failed = true;
                log::error!(
                    "lease log {}: fdatasync failed ({e}); records after seq {} may not be durable, the log must be reopened",
                    self.path.display(),
                    self.durable
                );
                return Err(StorageError::io(&self.path, e));
            }
            let us = p.started.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
            let _ = self.hist.record(us.clamp(1, 600_000_000));
            self.min = self.min.min(us);
            self.max = self.max.max(us);
            self.sum += u128::from(us);
            self.durable = self.durable.max(p.seq);
        }
        Ok(())
    }

    pub(crate) fn stats(&self) -> CommitStats {
        let n = self.hist.len();
        CommitStats {
            backend: self.backend_name(),
            commits: n,
            min_us: if n == 0 { 0 } else { self.min },
            avg_us: if n == 0 {
                0.0
            } else {
                self.sum as f64 / n as f64
            },
            max_us: self.max,
            p50_us: self.hist.value_at_quantile(0.5),
            p90_us: self.hist.value_at_quantile(0.9),
            p99_us: self.hist.value_at_quantile(0.99),
            p999_us: self.hist.value_at_quantile(0.999),
        }
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        if let Backend::Thread { tx, handle, .. } = &mut self.backend {
            drop(tx.take());
            if let Some(h) = handle.take() {
                let _ = h.join();
            }
        } else if !self.pending.is_empty() {
            // Let in-flight fsyncs finish before their descriptors close.
            let _ = self.wait_all();
        }
    }
}

fn uring_probe(probe: &File) -> io::Result<IoUring> {
    let mut ring = IoUring::new(RING_ENTRIES)?;
    let sqe = opcode::Fsync::new(types::Fd(probe.as_raw_fd()))
        .flags(types::FsyncFlags::DATASYNC)
        .build()
        .user_data(0);
    // SAFETY: `probe` outlives the wait below.
    unsafe { ring.submission().push(&sqe) }
        .map_err(|_| io::Error::other("submission queue full"))?;
    ring.submit_and_wait(1)?;
    let cqe = ring
        .completion()
        .next()
        .ok_or_else(|| io::Error::other("no completion for the probe"))?;
    if cqe.result() < 0 {
        return Err(io::Error::from_raw_os_error(-cqe.result()));
    }
    Ok(ring)
}

fn thread_backend(path: &Path, gate: Option<Arc<SyncGate>>) -> Result<Backend, StorageError> {
    let (tx, jobs) = channel::<Job>();
    let (done_tx, rx) = channel::<Done>();
    let handle = std::thread::Builder::new()
        .name("xdhcp-log-sync".into())
        .spawn(move || {
            for job in jobs {
                if let Some(g) = &gate {
                    g.wait();
                }
                let result = job.files.iter().try_for_each(|f| f.sync_data());
                if done_tx.send(Done { id: job.id, result }).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| StorageError::io(path, e))?;
    Ok(Backend::Thread {
        tx: Some(tx),
        rx,
        handle: Some(handle),
    })
}
