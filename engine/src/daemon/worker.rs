//! One worker per served RX queue, pinned to a core: it owns one shard of the DHCPv4 core,
//! the AF_XDP socket of its queue on every served interface, and its own lease log.
//!
//! ```text
//! loop:
//!   receive a batch from each XSK
//!     client owned by another shard (owner_of_packet) -> frame to that shard's ring
//!     else handle; a reroute (take_reroute)              -> frame to that shard's ring
//!   drain the rings from the peers (frames, rerouted frames, notes), handle them
//!   route the shard's notes (Freed -> owner of the slice, Borrow -> the next peer)
//!   reclaim when due
//!   persist the batch's lease changes (one append into the mapped segment), start the
//!   group commit (never waits for it), put the replies whose records are ready under the
//!   durability policy on the TX ring; the others stay staged with the seq they wait for
//! ```
//! While replies are staged the worker sleeps at most a few tens of microseconds, so a
//! finished commit releases them at once; with no free staging slot it stops taking
//! frames (they wait in the RX ring) until one does.
//!
//! Rings are bounded lock-free queues, one per (from, to) pair, of fixed-size messages
//! that hold a frame inline: nothing is allocated per packet. A peer that pushes wakes a
//! sleeping worker through its eventfd. A frame whose ring is full is dropped (and
//! counted: the client retransmits); a note whose ring is full waits in a small outbox.

use super::lease_store::{COMMIT_POLL, LeaseStore, StoreCounters};
use crate::core::v4::{RuntimeV4, ShardNote, ShardV4, owner_of_packet};
use crate::io::afxdp::{self, FRAME_MAX, LinkView, Request};
use crate::io::iface;
use crossbeam_queue::ArrayQueue;
use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use xdhcp_config::InterfaceSpec;
use xdhcp_ebpf::XskSocket;

/// Frames taken from one XSK per receive call.
const BATCH: usize = 64;
/// Messages taken from the peers' rings per loop.
const DRAIN: usize = 64;
/// Replies staged at most (waiting for their commit).
const STAGE_CAP: usize = 8 * BATCH;
/// Messages per (from, to) ring.
pub const RING_CAP: usize = 256;
const STAGE_BUF: usize = 2048;

/// What travels between workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgKind {
    /// A request frame of a client the receiver owns; `port` indexes the interfaces.
    Frame { port: u16, len: u16 },
    /// A frame the sending shard rerouted (`take_reroute`): handled with
    /// `handle_rerouted`, never bounced again.
    Rerouted { port: u16, len: u16 },
    /// `ShardNote::Freed` for the receiver's slice.
    Freed(Ipv4Addr),
    /// Shard `origin` ran dry in `subnet_id`; passed on from peer to peer until one lends.
    Borrow { subnet_id: u32, origin: u16 },
    /// The answer to a borrow.
    Lend {
        subnet_id: u32,
        first: Ipv4Addr,
        last: Ipv4Addr,
    },
}

/// A fixed-size ring message: the frame bytes are inline.
pub struct Msg {
    pub kind: MsgKind,
    pub data: [u8; FRAME_MAX],
}

impl Msg {
    fn note(kind: MsgKind) -> Msg {
        Msg {
            kind,
            data: [0; FRAME_MAX],
        }
    }
}

/// Wakes a worker sleeping in poll(2).
pub struct Waker {
    fd: OwnedFd,
    sleeping: AtomicBool,
}

impl Waker {
    fn new() -> std::io::Result<Waker> {
        // SAFETY: plain eventfd(2) call; the result is checked and owned below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Waker {
            // SAFETY: a fresh descriptor nothing else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            sleeping: AtomicBool::new(false),
        })
    }

    /// Wakes the worker (always: control messages).
    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    fn wake_if_sleeping(&self) {
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) {
            self.wake();
        }
    }

    fn drain(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd.
        unsafe { libc::read(self.fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
    }
}

/// The rings between every pair of workers and their wakers.
pub struct Mesh {
    n: usize,
    rings: Vec<ArrayQueue<Msg>>,
    pub wakers: Vec<Waker>,
}

impl Mesh {
    pub fn new(n: usize) -> std::io::Result<Mesh> {
        let rings = (0..n * n)
            .map(|k| ArrayQueue::new(if k / n == k % n { 1 } else { RING_CAP }))
            .collect();
        let wakers = (0..n).map(|_| Waker::new()).collect::<Result<_, _>>()?;
        Ok(Mesh { n, rings, wakers })
    }

    fn ring(&self, from: usize, to: usize) -> &ArrayQueue<Msg> {
        &self.rings[from * self.n + to]
    }

    /// Pushes to `to`'s ring from `from`; gives the message's kind back when the ring is
    /// full.
    fn send(&self, from: usize, to: usize, msg: Msg) -> Result<(), MsgKind> {
        self.ring(from, to).push(msg).map_err(|m| m.kind)?;
        self.wakers[to].wake_if_sleeping();
        Ok(())
    }

    fn inbound_empty(&self, to: usize) -> bool {
        (0..self.n).all(|from| self.ring(from, to).is_empty())
    }
}

/// Orders from the main thread.
pub enum Control {
    /// A new configuration (SIGHUP): the shard calls `reconfigure`.
    Reload {
        rt: Arc<RuntimeV4>,
        specs: Vec<InterfaceSpec>,
    },
    /// Report the counters (SIGUSR1).
    Stats(mpsc::Sender<WorkerReport>),
    /// Compact the shard's lease log (Kea's LFC; `lfc-interval`).
    Compact,
    /// Persist, sync the log and return.
    Stop,
}

/// The worker's own I/O counters (beside the shard's Kea statistics).
#[derive(Clone, Copy, Debug, Default)]
pub struct IoCounters {
    /// Frames taken from this worker's XSKs.
    pub rx_frames: u64,
    /// Of those, frames that were not DHCP requests for this server.
    pub dropped: u64,
    /// Frames handed to the shard owning their client.
    pub forwarded: u64,
    /// Frames handed over after the shard rerouted them.
    pub rerouted: u64,
    /// Frames received from peers (forwarded or rerouted to this shard).
    pub from_peers: u64,
    /// Frames dropped because the peer's ring was full.
    pub ring_full: u64,
    /// Replies put on this worker's TX rings.
    pub tx_frames: u64,
    /// Replies dropped (no TX frame free, lease log write failed, framing failed).
    pub tx_dropped: u64,
}

impl IoCounters {
    pub fn named(&self) -> [(&'static str, u64); 8] {
        [
            ("rx-frames", self.rx_frames),
            ("rx-dropped", self.dropped),
            ("forwarded", self.forwarded),
            ("rerouted", self.rerouted),
            ("from-peers", self.from_peers),
            ("ring-full", self.ring_full),
            ("tx-frames", self.tx_frames),
            ("tx-dropped", self.tx_dropped),
        ]
    }
}

/// One worker's counters.
pub struct WorkerReport {
    pub index: usize,
    pub stats: Vec<(String, u64)>,
    pub io: IoCounters,
    pub leases: usize,
    pub store: StoreCounters,
}

/// What the worker knows of one served interface (refreshed every few seconds).
#[derive(Clone, Debug)]
pub struct Link {
    pub name: String,
    pub index: u32,
    pub mac: [u8; 6],
    pub addrs: Vec<(Ipv4Addr, u8)>,
    /// `interfaces-config` pinned this address (`"eth0/192.0.2.1"`).
    pub pinned: Option<Ipv4Addr>,
}

impl Link {
    fn server_addr(&self) -> Option<Ipv4Addr> {
        self.pinned.or_else(|| self.addrs.first().map(|a| a.0))
    }
}

/// Reads the interfaces named in `names` (order kept) with their pinned addresses.
pub fn links(names: &[String], specs: &[InterfaceSpec]) -> Vec<Link> {
    let all = iface::list().unwrap_or_default();
    names
        .iter()
        .map(|name| {
            let i = all.values().find(|i| &i.name == name);
            Link {
                name: name.clone(),
                index: i.map_or(0, |i| i.index),
                mac: i.map_or([0; 6], |i| i.mac),
                addrs: i.map(|i| i.addrs.clone()).unwrap_or_default(),
                pinned: specs
                    .iter()
                    .find(|s| &s.name == name)
                    .and_then(|s| s.address),
            }
        })
        .collect()
}

/// A reply frame waiting for its lease records.
#[derive(Clone, Copy)]
struct Staged {
    slot: usize,
    port: usize,
    len: usize,
    /// Log seq it waits for (`u64::MAX` until persisted).
    seq: u64,
}

pub struct Worker {
    xsks: Vec<XskSocket>,
    core: WorkerCore,
}

/// Everything but the sockets, so a receive callback (which borrows a socket) can use it.
struct WorkerCore {
    me: usize,
    n: usize,
    shard: ShardV4,
    store: LeaseStore,
    links: Vec<Link>,
    specs: Vec<InterfaceSpec>,
    mesh: Arc<Mesh>,
    control: mpsc::Receiver<Control>,
    stage: Vec<[u8; STAGE_BUF]>,
    /// Free indexes into `stage`.
    free: Vec<usize>,
    /// Staged replies in seq order.
    staged: VecDeque<Staged>,
    /// Replies staged since the last persist (the tail of `staged`).
    unpersisted: usize,
    notes: Vec<ShardNote>,
    /// Notes whose ring was full: (to, kind).
    outbox: Vec<(usize, MsgKind)>,
    io: IoCounters,
    next_reclaim: Instant,
    next_refresh: Instant,
}

impl Worker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        me: usize,
        shard: ShardV4,
        store: LeaseStore,
        xsks: Vec<XskSocket>,
        links: Vec<Link>,
        specs: Vec<InterfaceSpec>,
        mesh: Arc<Mesh>,
        control: mpsc::Receiver<Control>,
    ) -> Worker {
        let n = mesh.n;
        Worker {
            xsks,
            core: WorkerCore {
                me,
                n,
                next_reclaim: Instant::now() + reclaim_every(&shard),
                shard,
                store,
                links,
                specs,
                mesh,
                control,
                stage: vec![[0u8; STAGE_BUF]; STAGE_CAP],
                free: (0..STAGE_CAP).rev().collect(),
                staged: VecDeque::with_capacity(STAGE_CAP),
                unpersisted: 0,
                notes: Vec::with_capacity(16),
                outbox: Vec::new(),
                io: IoCounters::default(),
                next_refresh: Instant::now() + Duration::from_secs(5),
            },
        }
    }

    /// Serves until told to stop; returns the final counters.
    pub fn run(mut self) -> WorkerReport {
        let Worker { xsks, core } = &mut self;
        loop {
            while let Ok(c) = core.control.try_recv() {
                match c {
                    Control::Reload { rt, specs } => {
                        core.shard.reconfigure(rt);
                        core.specs = specs;
                        core.refresh_links();
                    }
                    Control::Stats(tx) => {
                        let _ = tx.send(core.report());
                    }
                    Control::Compact => core.store.start_compaction(),
                    Control::Stop => {
                        let _ = core.commit(xsks);
                        if core.store.close() {
                            core.release(xsks, u64::MAX);
                        }
                        return core.report();
                    }
                }
            }
            let mut work = 0;
            for (port, xsk) in xsks.iter_mut().enumerate() {
                // Each served frame needs a staging slot; without one frames wait in
                // the RX ring until a commit frees some.
                let room = core.free.len().min(BATCH);
                if room == 0 {
                    break;
                }
                let now = super::unix_now();
                let got = xsk
                    .recv_batch(room as u32, |frame| core.on_local_frame(now, port, frame))
                    .unwrap_or_else(|e| {
                        log::error!("worker {}: receive failed: {e}", core.me);
                        0
                    });
                work += got;
            }
            if core.unpersisted > 0
                && let Err(e) = core.commit(xsks)
            {
                log::error!("worker {}: {e}; stopping", core.me);
                return core.report();
            }
            work += core.drain_rings(xsks);
            core.route_notes();
            let now = Instant::now();
            if now >= core.next_reclaim {
                core.reclaim();
                core.route_notes();
                core.next_reclaim = now + reclaim_every(&core.shard);
            }
            if now >= core.next_refresh {
                core.refresh_links();
            }
            if let Err(e) = core.commit(xsks) {
                // A failed commit: nothing staged may leave; the main thread sees this
                // worker end and stops the server (a restart replays the log).
                log::error!("worker {}: {e}; stopping", core.me);
                return core.report();
            }
            if work == 0 {
                core.sleep(xsks);
            }
        }
    }
}

fn reclaim_every(shard: &ShardV4) -> Duration {
    Duration::from_secs(u64::from(
        shard
            .runtime()
            .cfg
            .expired_leases_processing
            .reclaim_timer_wait_time
            .max(1),
    ))
}

impl WorkerCore {
    fn report(&self) -> WorkerReport {
        WorkerReport {
            index: self.me,
            stats: self.shard.stats.snapshot(),
            io: self.io,
            leases: self.shard.lease_count(),
            store: self.store.counters(),
        }
    }

    fn refresh_links(&mut self) {
        let names: Vec<String> = self.links.iter().map(|l| l.name.clone()).collect();
        let fresh = links(&names, &self.specs);
        for (old, new) in self.links.iter_mut().zip(fresh) {
            if new.index != 0 {
                *old = new;
            }
        }
        self.next_refresh = Instant::now() + Duration::from_secs(5);
    }

    /// A frame from this worker's own XSK on interface `port`.
    fn on_local_frame(&mut self, now: u64, port: usize, frame: &[u8]) {
        self.io.rx_frames += 1;
        let link = &self.links[port];
        let req = match afxdp::parse_request(
            frame,
            &LinkView {
                mac: link.mac,
                addrs: &link.addrs,
            },
        ) {
            Ok(r) => r,
            Err(why) => {
                self.io.dropped += 1;
                log::debug!(
                    "worker {}: dropped a frame on {}: {why:?}",
                    self.me,
                    link.name
                );
                return;
            }
        };
        let payload = &frame[req.payload.0..req.payload.0 + req.payload.1];
        let owner = owner_of_packet(payload, self.n).unwrap_or(self.me);
        if owner != self.me {
            self.io.forwarded += 1;
            self.forward(owner, port, frame, false);
            return;
        }
        self.serve(now, port, frame, &req, false);
    }

    /// Hands a frame to shard `to`.
    fn forward(&mut self, to: usize, port: usize, frame: &[u8], rerouted: bool) {
        if frame.len() > FRAME_MAX {
            self.io.ring_full += 1;
            return;
        }
        let (port, len) = (port as u16, frame.len() as u16);
        let mut msg = Msg::note(if rerouted {
            MsgKind::Rerouted { port, len }
        } else {
            MsgKind::Frame { port, len }
        });
        msg.data[..frame.len()].copy_from_slice(frame);
        if self.mesh.send(self.me, to, msg).is_err() {
            self.io.ring_full += 1;
        }
    }

    /// Handles a request this shard serves; the reply is staged until the commit.
    fn serve(&mut self, now: u64, port: usize, frame: &[u8], req: &Request, rerouted: bool) {
        let link = &self.links[port];
        let Some(server_addr) = link.server_addr() else {
            self.shard.stats.bump(crate::core::v4::Counter::ReceiveDrop);
            return;
        };
        let ctx = crate::core::v4::Context {
            iface_index: link.index,
            iface_name: &link.name,
            server_addr: Some(server_addr),
            iface_addrs: &link.addrs,
            src: req.ip_src,
            dst: req.ip_dst,
        };
        let payload = &frame[req.payload.0..req.payload.0 + req.payload.1];
        let Some(&slot) = self.free.last() else {
            // Callers only take frames while slots are free.
            self.io.tx_dropped += 1;
            return;
        };
        let buf = &mut self.stage[slot][..];
        let off = afxdp::reply_payload_offset(req);
        let reply = if rerouted {
            self.shard
                .handle_rerouted(now, payload, &ctx, &mut buf[off..])
        } else {
            self.shard.handle(now, payload, &ctx, &mut buf[off..])
        };
        let Some(reply) = reply else {
            if !rerouted && let Some(to) = self.shard.take_reroute() {
                self.io.rerouted += 1;
                self.forward(to, port, frame, true);
            }
            return;
        };
        match afxdp::frame_reply(buf, req, reply.dest, link.mac, server_addr, reply.len) {
            Some(len) => {
                self.free.pop();
                self.staged.push_back(Staged {
                    slot,
                    port,
                    len,
                    seq: u64::MAX,
                });
                self.unpersisted += 1;
            }
            None => self.io.tx_dropped += 1,
        }
    }

    /// Takes up to DRAIN messages from the peers' rings.
    fn drain_rings(&mut self, xsks: &mut [XskSocket]) -> usize {
        let mut taken = 0;
        let now = super::unix_now();
        let me = self.me;
        for from in (0..self.n).filter(|f| *f != me) {
            while taken < DRAIN {
                if self.free.is_empty() {
                    // Persist what is staged; a failed commit is seen by the caller's
                    // next commit.
                    let _ = self.commit(xsks);
                    if self.free.is_empty() {
                        return taken;
                    }
                }
                let Some(msg) = self.mesh.ring(from, self.me).pop() else {
                    break;
                };
                taken += 1;
                self.on_peer_msg(now, &msg);
            }
        }
        taken
    }

    fn on_peer_msg(&mut self, now: u64, msg: &Msg) {
        match msg.kind {
            MsgKind::Frame { port, len } | MsgKind::Rerouted { port, len } => {
                self.io.from_peers += 1;
                let rerouted = matches!(msg.kind, MsgKind::Rerouted { .. });
                let (port, frame) = (port as usize, &msg.data[..len as usize]);
                let Some(link) = self.links.get(port) else {
                    return;
                };
                let view = LinkView {
                    mac: link.mac,
                    addrs: &link.addrs,
                };
                match afxdp::parse_request(frame, &view) {
                    Ok(req) => self.serve(now, port, frame, &req, rerouted),
                    Err(_) => self.io.dropped += 1,
                }
            }
            MsgKind::Freed(addr) => self.shard.on_freed(addr),
            MsgKind::Borrow { subnet_id, origin } => {
                let origin = origin as usize;
                match self.shard.on_borrow(subnet_id) {
                    Some((first, last)) => self.note(
                        origin,
                        MsgKind::Lend {
                            subnet_id,
                            first,
                            last,
                        },
                    ),
                    None => {
                        let next = (self.me + 1) % self.n;
                        if next != origin {
                            self.note(
                                next,
                                MsgKind::Borrow {
                                    subnet_id,
                                    origin: origin as u16,
                                },
                            );
                        }
                    }
                }
            }
            MsgKind::Lend {
                subnet_id,
                first,
                last,
            } => {
                self.shard.on_lend(subnet_id, first, last);
                log::debug!(
                    "worker {}: borrowed {first} - {last} of subnet {subnet_id}",
                    self.me
                );
            }
        }
    }

    fn note(&mut self, to: usize, kind: MsgKind) {
        if let Err(kind) = self.mesh.send(self.me, to, Msg::note(kind)) {
            self.outbox.push((to, kind));
        }
    }

    /// Sends the shard's notes (and any that waited for room).
    fn route_notes(&mut self) {
        if !self.outbox.is_empty() {
            let waiting = std::mem::take(&mut self.outbox);
            for (to, kind) in waiting {
                self.note(to, kind);
            }
        }
        self.shard.take_notes(&mut self.notes);
        for i in 0..self.notes.len() {
            match self.notes[i] {
                ShardNote::Freed { addr, to } if to < self.n && to != self.me => {
                    self.note(to, MsgKind::Freed(addr))
                }
                ShardNote::Freed { .. } => {}
                ShardNote::Borrow { subnet_id } if self.n > 1 => self.note(
                    (self.me + 1) % self.n,
                    MsgKind::Borrow {
                        subnet_id,
                        origin: self.me as u16,
                    },
                ),
                ShardNote::Borrow { .. } => {}
            }
        }
    }

    fn reclaim(&mut self) {
        let elp = &self.shard.runtime().cfg.expired_leases_processing;
        let max = if elp.max_reclaim_leases == 0 {
            usize::MAX
        } else {
            elp.max_reclaim_leases as usize
        };
        let n = self.shard.reclaim(super::unix_now(), max, false);
        if n > 0 {
            log::info!("worker {}: reclaimed {n} expired lease(s)", self.me);
        }
    }

    /// Persists the lease changes of what was handled since the last call (the staged
    /// replies then wait for the log's written seq), lets the store start a group
    /// commit, and puts every reply the store reports ready on the TX rings. An error is
    /// a failed commit (fatal).
    fn commit(&mut self, xsks: &mut [XskSocket]) -> Result<(), String> {
        let fresh = self.staged.len() - self.unpersisted;
        match self.store.persist(&mut self.shard) {
            Ok(()) => {
                let seq = self.store.written_seq();
                for s in self.staged.range_mut(fresh..) {
                    s.seq = seq;
                }
            }
            Err(e) => {
                log::error!(
                    "worker {}: lease log write failed, dropping {} repl(ies) of this batch: {e}",
                    self.me,
                    self.unpersisted
                );
                self.io.tx_dropped += self.unpersisted as u64;
                for s in self.staged.drain(fresh..) {
                    self.free.push(s.slot);
                }
            }
        }
        self.unpersisted = 0;
        let ready = self.store.tick(Instant::now()).map_err(|e| e.to_string())?;
        self.release(xsks, ready);
        Ok(())
    }

    /// Copies the staged replies whose seq is at most `ready` into TX frames and kicks.
    fn release(&mut self, xsks: &mut [XskSocket], ready: u64) {
        let mut used = 0u64;
        while let Some(&st) = self.staged.front() {
            if st.seq > ready {
                break;
            }
            self.staged.pop_front();
            self.free.push(st.slot);
            let Some(xsk) = xsks.get_mut(st.port) else {
                self.io.tx_dropped += 1;
                continue;
            };
            used |= 1 << st.port.min(63);
            // All TX frames in flight: kick the kernel so completions come back.
            if xsk.tx_frame().is_none() {
                let _ = xsk.flush_tx();
            }
            let Some(mut frame) = xsk.tx_frame() else {
                self.io.tx_dropped += 1;
                continue;
            };
            frame.buf()[..st.len].copy_from_slice(&self.stage[st.slot][..st.len]);
            match frame.submit(st.len) {
                Ok(()) => self.io.tx_frames += 1,
                Err(_) => self.io.tx_dropped += 1,
            }
        }
        for (port, xsk) in xsks.iter_mut().enumerate() {
            if used & (1 << port.min(63)) != 0
                && let Err(e) = xsk.flush_tx()
            {
                log::warn!(
                    "worker {}: transmit on {} failed: {e}",
                    self.me,
                    xsk.ifname()
                );
            }
        }
    }

    /// Waits for frames, a peer's message or a control message (at most 100 ms; while
    /// replies wait for a commit, at most until the store wants to look again).
    fn sleep(&mut self, xsks: &mut [XskSocket]) {
        let waker = &self.mesh.wakers[self.me];
        waker.sleeping.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if self.mesh.inbound_empty(self.me) && self.outbox.is_empty() {
            let mut fds = [libc::pollfd {
                fd: waker.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }; 1 + 8];
            let mut nfds = 1;
            for xsk in xsks.iter().take(8) {
                fds[nfds].fd = xsk.fd();
                nfds += 1;
            }
            let now = Instant::now();
            let mut timeout = self
                .next_reclaim
                .saturating_duration_since(now)
                .clamp(Duration::from_millis(1), Duration::from_millis(100));
            if let Some(d) = self.store.next_deadline(now) {
                timeout = timeout.min(d);
            }
            if !self.staged.is_empty() {
                timeout = timeout.min(COMMIT_POLL);
            }
            // With no free staging slot, frames are not taken: do not wake for them.
            if self.free.is_empty() {
                nfds = 1;
            }
            let ts = libc::timespec {
                tv_sec: timeout.as_secs() as libc::time_t,
                tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
            };
            // SAFETY: `fds` holds `nfds` valid pollfd structures; `ts` is a valid timespec.
            unsafe {
                libc::ppoll(
                    fds.as_mut_ptr(),
                    nfds as libc::nfds_t,
                    &ts,
                    std::ptr::null(),
                )
            };
        }
        waker.sleeping.store(false, Ordering::SeqCst);
        waker.drain();
    }
}
