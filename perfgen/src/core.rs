//! The sans-I/O generator: takes `now` and received payloads, fills batches
//! of packets to send, and does all bookkeeping. No sockets, no clock.
//!
//! Outstanding exchanges live in a slab indexed by the transaction id: the
//! low bits of `xid ^ salt` are the slot, the high bits a per-slot
//! generation, so lookup is O(1) and a late reply for a reused slot fails
//! the xid comparison (and the client check) and is counted as an orphan.
//! The drop timeout is constant, so deadlines expire in send order from a
//! FIFO.

use std::collections::VecDeque;

use crate::pacer::{Nanos, Pacer};
use crate::stats::{Latency, PhaseStats, Series};
use crate::transport::TxBatch;

/// DISCOVER-OFFER / SOLICIT-ADVERTISE.
pub const PH_FIRST: usize = 0;
/// REQUEST-ACK / REQUEST-REPLY.
pub const PH_SECOND: usize = 1;
/// Renewals.
pub const PH_RENEW: usize = 2;
/// Releases.
pub const PH_RELEASE: usize = 3;

/// Which reply type arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// OFFER / ADVERTISE.
    First,
    /// ACK / NAK / REPLY.
    Second,
}

/// What the protocol layer extracted from one reply.
#[derive(Debug, Clone, Copy)]
pub struct Reply<L> {
    /// Transaction id.
    pub xid: u32,
    /// Reply type.
    pub kind: ReplyKind,
    /// False for NAK / error status (the exchange failed).
    pub ok: bool,
    /// The client index decoded from chaddr / client-id, if it is one of ours.
    pub client: Option<u32>,
    /// Lease data (address, server id, ...).
    pub lease: L,
}

/// A DHCP flavour: builds requests into buffers and parses replies.
pub trait Proto {
    /// What a client needs to remember about its lease.
    type Lease: Copy + Default + std::fmt::Debug;
    /// Number of xid bits (32 for v4, 24 for v6).
    const XID_BITS: u32;
    /// Of which the slot index uses this many.
    const SLOT_BITS: u32;
    /// Phase names as perfdhcp prints them (index by `PH_*`).
    fn phase_names(&self) -> [&'static str; 4];
    /// DISCOVER / SOLICIT.
    fn first(&self, buf: &mut [u8], xid: u32, client: u32) -> usize;
    /// REQUEST built from the first reply.
    fn second(&self, buf: &mut [u8], xid: u32, client: u32, lease: &Self::Lease) -> usize;
    /// Renewal of a bound lease.
    fn renew(&self, buf: &mut [u8], xid: u32, client: u32, lease: &Self::Lease) -> usize;
    /// Release of a bound lease.
    fn release(&self, buf: &mut [u8], xid: u32, client: u32, lease: &Self::Lease) -> usize;
    /// Whether the server answers a release (v6 yes, v4 no).
    fn release_answered(&self) -> bool;
    /// Parses a reply; None when it is not a reply we understand.
    fn parse(&self, payload: &[u8]) -> Option<Reply<Self::Lease>>;
    /// The client's link-layer address (frame source in layer-2 mode).
    fn mac(&self, client: u32) -> [u8; 6];
    /// Appends one `--save-acks` line (without newline).
    fn ack_line(&self, out: &mut String, client: u32, lease: &Self::Lease);
}

/// Generator settings (already validated).
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Exchanges started per second; None = as fast as the window allows.
    pub rate: Option<f64>,
    /// Renewals per second of bound clients.
    pub renew_rate: Option<f64>,
    /// Releases per second of bound clients.
    pub release_rate: Option<f64>,
    /// Distinct clients (`-R`).
    pub clients: u32,
    /// Only the first message pair (`-i`).
    pub first_only: bool,
    /// Drop timeout.
    pub drop_timeout: Nanos,
    /// Max outstanding exchanges when the rate is unlimited.
    pub window: usize,
    /// Stop starting exchanges after this many (`-n`).
    pub max_exchanges: Option<u64>,
    /// Keep completed leases for `--save-acks`.
    pub record_acks: bool,
    /// Backlog bound for the pacer.
    pub max_backlog: u64,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            rate: Some(1000.0),
            renew_rate: None,
            release_rate: None,
            clients: 1,
            first_only: false,
            drop_timeout: crate::pacer::SEC,
            window: 1024,
            max_exchanges: None,
            record_acks: false,
            max_backlog: 64,
        }
    }
}

const FREE: u8 = 0;
const WAIT: u8 = 1;
const PENDING: u8 = 2;

#[derive(Debug, Clone, Copy, Default)]
struct Entry<L> {
    xid: u32,
    gen_: u32,
    state: u8,
    phase: u8,
    client: u32,
    t_start: Nanos,
    t_sent: Nanos,
    deadline: Nanos,
    lease: L,
}

/// The generator state machine.
pub struct Core<P: Proto> {
    proto: P,
    cfg: CoreConfig,
    entries: Vec<Entry<P::Lease>>,
    free: VecDeque<u32>,
    salt: u32,
    timeouts: VecDeque<(u32, Nanos)>,
    pending: VecDeque<u32>,
    pacer: Option<Pacer>,
    renew_pacer: Option<Pacer>,
    release_pacer: Option<Pacer>,
    bound: VecDeque<(u32, P::Lease)>,
    next_client: u64,
    sending: bool,
    outstanding: usize,
    /// Per phase counters (index `PH_*`).
    pub stats: [PhaseStats; 4],
    /// Whole-exchange latency (first request sent to final reply).
    pub exchange: Latency,
    /// Per-second activity.
    pub series: Series,
    /// Exchanges started.
    pub started: u64,
    /// Exchanges completed (final reply positive).
    pub completed: u64,
    /// Exchanges that ended with a negative reply.
    pub rejected: u64,
    /// Replies that could not be parsed as ours.
    pub unparsed: u64,
    /// Exchanges not started because the table was full.
    pub locallimit: u64,
    /// Renew/release ticks with no bound client to use.
    pub idle_ticks: u64,
    /// Completed leases (client, lease) waiting to be written out.
    pub acks: Vec<(u32, P::Lease)>,
    /// When sending started and stopped.
    pub t_begin: Nanos,
    /// When sending stopped (None while sending).
    pub t_stop: Option<Nanos>,
}

impl<P: Proto> Core<P> {
    /// A generator starting at `now`; `salt` randomises transaction ids.
    pub fn new(proto: P, cfg: CoreConfig, now: Nanos, salt: u32) -> Core<P> {
        let mut c = Core {
            proto,
            cfg,
            entries: Vec::new(),
            free: VecDeque::new(),
            salt: salt & Self::xid_mask(),
            timeouts: VecDeque::new(),
            pending: VecDeque::new(),
            pacer: None,
            renew_pacer: None,
            release_pacer: None,
            bound: VecDeque::new(),
            next_client: 0,
            sending: true,
            outstanding: 0,
            stats: Default::default(),
            exchange: Latency::default(),
            series: Series::default(),
            started: 0,
            completed: 0,
            rejected: 0,
            unparsed: 0,
            locallimit: 0,
            idle_ticks: 0,
            acks: Vec::new(),
            t_begin: now,
            t_stop: None,
        };
        c.restart(now);
        c
    }

    fn xid_mask() -> u32 {
        if P::XID_BITS >= 32 {
            u32::MAX
        } else {
            (1 << P::XID_BITS) - 1
        }
    }

    /// Starts a new measurement at `now` (the max-rate search runs one per
    /// step): statistics are reset, the exchange table is kept so replies
    /// to earlier steps are recognised as orphans.
    pub fn restart(&mut self, now: Nanos) {
        let b = self.cfg.max_backlog;
        self.pacer = self.cfg.rate.map(|r| Pacer::new(r, now, b));
        self.renew_pacer = self.cfg.renew_rate.map(|r| Pacer::new(r, now, b));
        self.release_pacer = self.cfg.release_rate.map(|r| Pacer::new(r, now, b));
        self.stats = Default::default();
        self.exchange = Latency::default();
        self.series = Series {
            t0: now,
            seconds: Vec::new(),
        };
        self.started = 0;
        self.completed = 0;
        self.rejected = 0;
        self.unparsed = 0;
        self.locallimit = 0;
        self.idle_ticks = 0;
        self.sending = true;
        self.t_begin = now;
        self.t_stop = None;
    }

    /// Changes the rate (max-rate search); takes effect at the next restart.
    pub fn set_rate(&mut self, rate: Option<f64>) {
        self.cfg.rate = rate;
    }

    /// The protocol layer.
    pub fn proto(&self) -> &P {
        &self.proto
    }

    /// Settings.
    pub fn config(&self) -> &CoreConfig {
        &self.cfg
    }

    /// Whether new exchanges are still being started.
    pub fn sending(&self) -> bool {
        self.sending
    }

    /// Requests waiting for a reply or a REQUEST waiting to be sent.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// Total drops over all phases.
    pub fn drops(&self) -> u64 {
        self.stats.iter().map(|s| s.drops).sum()
    }

    /// Ends the sending of new exchanges (second messages of exchanges in
    /// flight are still sent, as perfdhcp does during its exit wait).
    pub fn stop_sending(&mut self, now: Nanos) {
        if self.sending {
            self.sending = false;
            self.t_stop = Some(now);
        }
    }

    /// Sending period: begin to stop (or to `now` while still sending).
    pub fn sending_period(&self, now: Nanos) -> Nanos {
        self.t_stop.unwrap_or(now).saturating_sub(self.t_begin)
    }

    /// Earliest time something is scheduled (a pacer slot or a deadline).
    pub fn next_event(&self, now: Nanos) -> Nanos {
        let mut t = Nanos::MAX;
        if !self.pending.is_empty() {
            return now;
        }
        if self.sending {
            for p in [&self.pacer, &self.renew_pacer, &self.release_pacer]
                .into_iter()
                .flatten()
            {
                t = t.min(p.next_due());
            }
            if self.pacer.is_none() && self.outstanding < self.cfg.window {
                return now;
            }
        }
        if let Some(&(_, d)) = self.timeouts.front() {
            t = t.min(d + 1);
        }
        t
    }

    fn make_xid(&self, slot: u32, gen_: u32) -> u32 {
        ((gen_ << P::SLOT_BITS | slot) ^ self.salt) & Self::xid_mask()
    }

    fn slot_of(&self, xid: u32) -> usize {
        ((xid ^ self.salt) & ((1 << P::SLOT_BITS) - 1)) as usize
    }

    /// Takes a free slot (FIFO, so reuse is as late as possible).
    fn alloc(&mut self) -> Option<u32> {
        if let Some(s) = self.free.pop_front() {
            return Some(s);
        }
        if self.entries.len() < (1usize << P::SLOT_BITS) {
            self.entries.push(Entry::default());
            return Some((self.entries.len() - 1) as u32);
        }
        None
    }

    fn release_slot(&mut self, slot: usize) {
        let e = &mut self.entries[slot];
        e.state = FREE;
        e.gen_ = e.gen_.wrapping_add(1) & ((1 << (P::XID_BITS - P::SLOT_BITS)) - 1);
        self.outstanding -= 1;
        self.free.push_back(slot as u32);
    }

    fn arm(&mut self, slot: u32, now: Nanos) {
        let d = now + self.cfg.drop_timeout;
        let e = &mut self.entries[slot as usize];
        e.state = WAIT;
        e.t_sent = now;
        e.deadline = d;
        self.timeouts.push_back((slot, d));
    }

    /// Fills `tx` with what is due at `now`: REQUESTs for received offers
    /// first, then renewals/releases, then new exchanges by the pacer.
    pub fn fill(&mut self, now: Nanos, tx: &mut TxBatch) {
        self.fill_at(now, now, tx)
    }

    /// Like [`Self::fill`], but new exchanges are started as scheduled up
    /// to `sched` (packets are still stamped `now`): used when the test
    /// period ends between two loop iterations, so the slots due before the
    /// boundary are not lost.
    pub fn fill_at(&mut self, now: Nanos, sched: Nanos, tx: &mut TxBatch) {
        while tx.room() > 0 {
            let Some(slot) = self.pending.pop_front() else {
                break;
            };
            let e = self.entries[slot as usize];
            let Some(buf) = tx.next_payload() else { break };
            let len = self.proto.second(buf, e.xid, e.client, &e.lease);
            tx.commit(len, self.proto.mac(e.client));
            self.entries[slot as usize].phase = PH_SECOND as u8;
            self.arm(slot, now);
            self.stats[PH_SECOND].sent += 1;
        }
        if !self.sending {
            return;
        }
        self.fill_bound(now, sched, tx, PH_RENEW);
        self.fill_bound(now, sched, tx, PH_RELEASE);
        let mut n = tx.room() as u64;
        if let Some(p) = self.pacer.as_mut() {
            n = n.min(p.due(sched));
        } else {
            n = n.min(self.cfg.window.saturating_sub(self.outstanding) as u64);
        }
        if let Some(max) = self.cfg.max_exchanges {
            n = n.min(max.saturating_sub(self.started));
        }
        let mut done = 0;
        for _ in 0..n {
            let Some(slot) = self.alloc() else {
                self.locallimit += 1;
                break;
            };
            let client = (self.next_client % u64::from(self.cfg.clients.max(1))) as u32;
            self.next_client += 1;
            let e = &mut self.entries[slot as usize];
            let gen_ = e.gen_;
            let xid = self.make_xid(slot, gen_);
            let e = &mut self.entries[slot as usize];
            e.xid = xid;
            e.phase = PH_FIRST as u8;
            e.client = client;
            e.t_start = now;
            self.outstanding += 1;
            let Some(buf) = tx.next_payload() else { break };
            let len = self.proto.first(buf, xid, client);
            tx.commit(len, self.proto.mac(client));
            self.arm(slot, now);
            self.stats[PH_FIRST].sent += 1;
            self.started += 1;
            self.series.at(now).started += 1;
            done += 1;
        }
        if let Some(p) = self.pacer.as_mut() {
            p.take(done);
        }
    }

    fn fill_bound(&mut self, now: Nanos, sched: Nanos, tx: &mut TxBatch, phase: usize) {
        let pacer = if phase == PH_RENEW {
            &mut self.renew_pacer
        } else {
            &mut self.release_pacer
        };
        let Some(p) = pacer.as_mut() else { return };
        let n = p.due(sched).min(tx.room() as u64);
        p.take(n);
        for _ in 0..n {
            let Some((client, lease)) = self.bound.pop_front() else {
                self.idle_ticks += 1;
                continue;
            };
            let answered = phase == PH_RENEW || self.proto.release_answered();
            if !answered {
                let Some(buf) = tx.next_payload() else { break };
                let len = self.proto.release(buf, 0x5a5a_5a5a, client, &lease);
                tx.commit(len, self.proto.mac(client));
                self.stats[phase].sent += 1;
                continue;
            }
            let Some(slot) = self.alloc() else {
                self.locallimit += 1;
                self.bound.push_front((client, lease));
                break;
            };
            let gen_ = self.entries[slot as usize].gen_;
            let xid = self.make_xid(slot, gen_);
            let e = &mut self.entries[slot as usize];
            e.xid = xid;
            e.phase = phase as u8;
            e.client = client;
            e.t_start = now;
            e.lease = lease;
            self.outstanding += 1;
            let Some(buf) = tx.next_payload() else { break };
            let len = if phase == PH_RENEW {
                self.proto.renew(buf, xid, client, &lease)
            } else {
                self.proto.release(buf, xid, client, &lease)
            };
            tx.commit(len, self.proto.mac(client));
            self.arm(slot, now);
            self.stats[phase].sent += 1;
        }
    }

    fn orphan(&mut self, phase: usize) {
        self.stats[phase].orphans += 1;
    }

    /// Handles one received payload.
    pub fn on_reply(&mut self, now: Nanos, payload: &[u8]) {
        let Some(r) = self.proto.parse(payload) else {
            self.unparsed += 1;
            return;
        };
        let guess = match r.kind {
            ReplyKind::First => PH_FIRST,
            ReplyKind::Second => PH_SECOND,
        };
        let slot = self.slot_of(r.xid);
        let Some(e) = self.entries.get(slot).copied() else {
            return self.orphan(guess);
        };
        let phase = e.phase as usize;
        let kind_ok = match r.kind {
            ReplyKind::First => phase == PH_FIRST,
            ReplyKind::Second => phase != PH_FIRST,
        };
        if e.state != WAIT || e.xid != r.xid || r.client != Some(e.client) || !kind_ok {
            let ph = if e.xid == r.xid && kind_ok {
                phase
            } else {
                guess
            };
            return self.orphan(ph);
        }
        if now > e.deadline {
            // Late: the request is dropped, the reply is an orphan.
            self.drop_slot(now, slot);
            return self.orphan(phase);
        }
        let st = &mut self.stats[phase];
        st.received += 1;
        st.latency.record(now - e.t_sent);
        if !r.ok {
            st.rejected += 1;
            if phase <= PH_SECOND {
                self.rejected += 1;
            }
            if phase == PH_RENEW {
                // the client stays bound with its old lease until it expires
                self.bound.push_back((e.client, e.lease));
            }
            return self.release_slot(slot);
        }
        match phase {
            PH_FIRST if !self.cfg.first_only => {
                let en = &mut self.entries[slot];
                en.lease = r.lease;
                en.state = PENDING;
                en.deadline = 0;
                self.pending.push_back(slot as u32);
            }
            PH_FIRST | PH_SECOND => {
                let lat = now - e.t_start;
                self.completed += 1;
                self.exchange.record(lat);
                let s = self.series.at(now);
                s.completed += 1;
                s.latency.record(lat);
                if phase == PH_SECOND {
                    if self.cfg.renew_rate.is_some() || self.cfg.release_rate.is_some() {
                        self.bound.push_back((e.client, r.lease));
                    }
                    if self.cfg.record_acks {
                        self.acks.push((e.client, r.lease));
                    }
                }
                self.release_slot(slot);
            }
            PH_RENEW => {
                self.bound.push_back((e.client, r.lease));
                self.release_slot(slot);
            }
            _ => self.release_slot(slot),
        }
    }

    fn drop_slot(&mut self, now: Nanos, slot: usize) {
        let e = self.entries[slot];
        let phase = e.phase as usize;
        self.stats[phase].drops += 1;
        self.series.at(now).drops += 1;
        if phase == PH_RENEW {
            self.bound.push_back((e.client, e.lease));
        }
        self.release_slot(slot);
    }

    /// Counts requests whose deadline passed before `now` as drops.
    pub fn expire(&mut self, now: Nanos) {
        while let Some(&(slot, d)) = self.timeouts.front() {
            if d >= now {
                break;
            }
            self.timeouts.pop_front();
            let e = &self.entries[slot as usize];
            if e.state == WAIT && e.deadline == d {
                self.drop_slot(now, slot as usize);
            }
        }
    }

    /// Ends the run: requests still unanswered count as drops.
    pub fn finish(&mut self, now: Nanos) {
        self.stop_sending(now);
        for slot in 0..self.entries.len() {
            match self.entries[slot].state {
                WAIT => self.drop_slot(now, slot),
                PENDING => self.release_slot(slot),
                _ => {}
            }
        }
        self.timeouts.clear();
        self.pending.clear();
    }

    /// Counts outstanding requests as they stand (for the max-rate search,
    /// which does not wait for stragglers between steps): drops them and
    /// forgets them, leaving their slots' generations advanced.
    pub fn abandon_outstanding(&mut self, now: Nanos) {
        self.finish(now);
    }
}
