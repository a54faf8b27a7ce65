//! Whole-loop tests: the real run loop and core against an in-memory
//! responder on a simulated clock (no network).

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::Ipv4Addr;
use std::rc::Rc;

use xdhcp_wire::dhcpv4::{MessageType, Packet};

use crate::cli::MaxDrops;
use crate::core::{Core, CoreConfig, PH_FIRST, PH_RENEW, PH_SECOND};
use crate::pacer::{Nanos, SEC};
use crate::run::{AckWriter, Clock, ExitReason, RunOptions, run};
use crate::search::Search;
use crate::transport::{RxBatch, Transport, TxBatch};
use crate::v4::{V4, V4Options, toy_server};

const MS: Nanos = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    Reply(Nanos),
    Drop,
    Dup(Nanos),
    Nak(Nanos),
}

struct SimClock(Rc<Cell<Nanos>>);
impl Clock for SimClock {
    fn now(&self) -> Nanos {
        self.0.get()
    }
}

type Policy = Box<dyn FnMut(MessageType, u64, Nanos) -> Action>;

struct Sim {
    t: Rc<Cell<Nanos>>,
    heap: BinaryHeap<Reverse<(Nanos, u64, Vec<u8>)>>,
    seq: u64,
    counts: [u64; 8],
    policy: Policy,
    pub requests: u64,
}

impl Sim {
    fn new(policy: Policy) -> (Sim, SimClock) {
        let t = Rc::new(Cell::new(SEC));
        (
            Sim {
                t: t.clone(),
                heap: BinaryHeap::new(),
                seq: 0,
                counts: [0; 8],
                policy,
                requests: 0,
            },
            SimClock(t),
        )
    }
    fn push(&mut self, at: Nanos, p: Vec<u8>) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, p)));
    }
}

impl Transport for Sim {
    fn name(&self) -> &'static str {
        "sim"
    }
    fn headroom(&self) -> usize {
        0
    }
    fn send(&mut self, tx: &mut TxBatch) -> io::Result<()> {
        let now = self.t.get();
        for i in 0..tx.len() {
            let req = tx.payload(i).to_vec();
            self.requests += 1;
            let p = Packet::new_checked(&req).expect("valid request");
            let mt = p.options().message_type().expect("type");
            let k = mt as usize % 8;
            let n = self.counts[k];
            self.counts[k] += 1;
            let act = (self.policy)(mt, n, now);
            let mut out = [0u8; 1500];
            let Some(len) = toy_server(
                &req,
                &mut out,
                Ipv4Addr::new(198, 18, 1, 0),
                Ipv4Addr::new(192, 0, 2, 1),
            ) else {
                continue;
            };
            let mut rep = out[..len].to_vec();
            match act {
                Action::Drop => {}
                Action::Reply(d) => self.push(now + d, rep),
                Action::Dup(d) => {
                    self.push(now + d, rep.clone());
                    self.push(now + d + 1, rep);
                }
                Action::Nak(d) => {
                    // turn the reply into a NAK (option 53 value at 242)
                    if rep[240] == 53 {
                        rep[242] = MessageType::Nak as u8;
                    }
                    self.push(now + d, rep);
                }
            }
        }
        tx.clear();
        Ok(())
    }
    fn recv(&mut self, rx: &mut RxBatch) -> io::Result<usize> {
        rx.clear();
        let now = self.t.get();
        while rx.len() < rx.cap() {
            match self.heap.peek() {
                Some(Reverse((t, _, _))) if *t <= now => {
                    let Reverse((_, _, p)) = self.heap.pop().unwrap();
                    rx.push(&p);
                }
                _ => break,
            }
        }
        Ok(rx.len())
    }
    fn wait(&mut self, timeout_ns: u64) -> io::Result<()> {
        let now = self.t.get();
        let mut until = now + timeout_ns;
        if let Some(Reverse((t, _, _))) = self.heap.peek() {
            until = until.min((*t).max(now + 1));
        }
        self.t.set(until);
        Ok(())
    }
}

fn proto(clients: u32) -> V4 {
    V4::new(&V4Options {
        base_mac: [0, 0x0c, 1, 2, 0, 0],
        giaddr: Some(Ipv4Addr::new(198, 18, 0, 1)),
        broadcast: false,
        clients,
    })
}

fn cfg(rate: Option<f64>, clients: u32) -> CoreConfig {
    CoreConfig {
        rate,
        clients,
        max_backlog: 64,
        ..Default::default()
    }
}

struct Outcome {
    core: Core<V4>,
    reason: ExitReason,
    sim: Sim,
    end: Nanos,
}

fn go(c: CoreConfig, mut opts: RunOptions, policy: Policy) -> Outcome {
    let (mut sim, clock) = Sim::new(policy);
    let clients = c.clients;
    let mut core = Core::new(proto(clients), c, clock.now(), 0x1357_9bdf);
    let mut tx = TxBatch::new(64, 0);
    let mut rx = RxBatch::new(64);
    let reason = run(&mut core, &mut sim, &clock, &mut opts, &mut tx, &mut rx).unwrap();
    let end = clock.now();
    Outcome {
        core,
        reason,
        sim,
        end,
    }
}

fn period(s: f64) -> RunOptions {
    RunOptions {
        period: Some((s * 1e9) as Nanos),
        ..Default::default()
    }
}

#[test]
fn all_answered_counts_agree() {
    let o = go(
        cfg(Some(1000.0), 5000),
        period(5.0),
        Box::new(|_, _, _| Action::Reply(300_000)),
    );
    let c = &o.core;
    assert_eq!(o.reason, ExitReason::Period);
    assert_eq!(c.started, 5000);
    assert_eq!(c.completed, 5000);
    assert_eq!(c.stats[PH_FIRST].sent, 5000);
    assert_eq!(c.stats[PH_FIRST].received, 5000);
    assert_eq!(c.stats[PH_SECOND].sent, 5000);
    assert_eq!(c.stats[PH_SECOND].received, 5000);
    assert_eq!(c.drops(), 0);
    assert_eq!(c.stats[PH_FIRST].orphans + c.stats[PH_SECOND].orphans, 0);
    assert_eq!(c.sending_period(o.end), 5 * SEC);
    // 300 µs each way, exchange 600 µs
    assert_eq!(c.stats[PH_FIRST].latency.min_us(), 300.0);
    assert_eq!(c.exchange.max_us(), 600.0);
    // one client per exchange: every xid/chaddr matched
    assert_eq!(o.sim.requests, 10_000);
}

#[test]
fn drops_are_requests_never_answered() {
    // every 10th DISCOVER and every 20th REQUEST is lost
    let o = go(
        cfg(Some(2000.0), 100),
        period(2.0),
        Box::new(|t, n, _| match t {
            MessageType::Discover if n.is_multiple_of(10) => Action::Drop,
            MessageType::Request if n.is_multiple_of(20) => Action::Drop,
            _ => Action::Reply(MS),
        }),
    );
    let c = &o.core;
    let d = &c.stats[PH_FIRST];
    assert_eq!(d.sent, 4000);
    assert_eq!(d.drops, 400);
    assert_eq!(d.received, 3600);
    let r = &c.stats[PH_SECOND];
    assert_eq!(r.sent, 3600);
    assert_eq!(r.drops, 180);
    assert_eq!(c.completed, 3420);
    assert_eq!(c.drops(), 580);
    // drops are known only after the timeout: the run waited for them
    assert!(o.end > SEC + 2 * SEC + 990 * MS, "{}", o.end);
}

#[test]
fn late_replies_are_orphans_not_completions() {
    // every 4th OFFER arrives after 1.5 s (timeout 1 s)
    let o = go(
        cfg(Some(100.0), 1000),
        RunOptions {
            period: Some(2 * SEC),
            exit_wait: Some(3 * SEC),
            ..Default::default()
        },
        Box::new(|t, n, _| match t {
            MessageType::Discover if n % 4 == 0 => Action::Reply(1500 * MS),
            _ => Action::Reply(MS),
        }),
    );
    let c = &o.core;
    assert_eq!(c.started, 200);
    assert_eq!(c.stats[PH_FIRST].drops, 50);
    assert_eq!(c.stats[PH_FIRST].orphans, 50);
    assert_eq!(c.stats[PH_FIRST].received, 150);
    assert_eq!(c.completed, 150);
    assert_eq!(c.stats[PH_SECOND].sent, 150);
}

#[test]
fn duplicates_are_orphans() {
    let o = go(
        cfg(Some(100.0), 10),
        period(1.0),
        Box::new(|t, _, _| match t {
            MessageType::Discover => Action::Dup(MS),
            _ => Action::Reply(MS),
        }),
    );
    let c = &o.core;
    assert_eq!(c.started, 100);
    assert_eq!(c.stats[PH_FIRST].received, 100);
    assert_eq!(c.stats[PH_FIRST].orphans, 100);
    assert_eq!(c.stats[PH_SECOND].sent, 100);
    assert_eq!(c.completed, 100);
}

#[test]
fn naks_are_rejected_not_completed() {
    let o = go(
        cfg(Some(100.0), 10),
        period(1.0),
        Box::new(|t, n, _| match t {
            MessageType::Request if n % 2 == 1 => Action::Nak(MS),
            _ => Action::Reply(MS),
        }),
    );
    let c = &o.core;
    assert_eq!(c.stats[PH_SECOND].received, 100);
    assert_eq!(c.stats[PH_SECOND].rejected, 50);
    assert_eq!(c.completed, 50);
    assert_eq!(c.rejected, 50);
}

#[test]
fn num_limit_ends_sending_exactly() {
    let mut c = cfg(Some(1000.0), 50);
    c.max_exchanges = Some(777);
    let o = go(c, period(10.0), Box::new(|_, _, _| Action::Reply(MS)));
    assert_eq!(o.reason, ExitReason::MaxRequests);
    assert_eq!(o.core.started, 777);
    assert_eq!(o.core.completed, 777);
    // stopped right after the 777th start (776 ms after the first)
    assert_eq!(o.core.sending_period(o.end), 776 * MS);
}

#[test]
fn exit_wait_bounds_the_tail() {
    // replies take 500 ms, -W 100 ms: the last 0.4 s of exchanges are
    // still outstanding when the wait ends and count as drops.
    let o = go(
        cfg(Some(100.0), 10),
        RunOptions {
            period: Some(SEC),
            exit_wait: Some(100 * MS),
            ..Default::default()
        },
        Box::new(|_, _, _| Action::Reply(250 * MS)),
    );
    let c = &o.core;
    assert_eq!(c.started, 100);
    assert_eq!(o.end, 2 * SEC + 100 * MS);
    // started at 0..990 ms, complete at +500 ms; by 1.1 s those started
    // before 600 ms are done (DISCOVER at t, REQUEST at t+250, ACK t+500)
    assert_eq!(c.completed, 61);
    assert_eq!(c.drops(), 39);
}

#[test]
fn max_drops_count_stops() {
    let o = go(
        CoreConfig {
            drop_timeout: 100 * MS,
            ..cfg(Some(1000.0), 10)
        },
        RunOptions {
            period: Some(10 * SEC),
            max_drops: Some(MaxDrops::Count(20)),
            ..Default::default()
        },
        Box::new(|_, _, _| Action::Drop),
    );
    assert_eq!(o.reason, ExitReason::MaxDrops);
    // 20 drops are known 100 ms after the 20th start
    assert!(
        o.core.sending_period(o.end) <= 121 * MS,
        "{}",
        o.core.sending_period(o.end)
    );
    let o = go(
        cfg(Some(1000.0), 10),
        RunOptions {
            period: Some(10 * SEC),
            max_drops: Some(MaxDrops::Percent(10.0)),
            ..Default::default()
        },
        Box::new(|t, n, _| {
            if t == MessageType::Discover && n % 3 == 0 {
                Action::Drop
            } else {
                Action::Reply(MS)
            }
        }),
    );
    assert_eq!(o.reason, ExitReason::MaxDropsPct);
}

#[test]
fn unlimited_rate_keeps_the_window() {
    let mut c = cfg(None, 1000);
    c.window = 100;
    c.max_exchanges = Some(20_000);
    let (mut sim, clock) = Sim::new(Box::new(|_, _, _| Action::Reply(100_000)));
    let mut core = Core::new(proto(1000), c, clock.now(), 7);
    let mut tx = TxBatch::new(64, 0);
    let mut rx = RxBatch::new(64);
    // step by hand to watch the window
    let mut max_out = 0;
    while core.started < 20_000 || core.outstanding() > 0 {
        let now = clock.now();
        sim.recv(&mut rx).unwrap();
        for i in 0..rx.len() {
            core.on_reply(now, rx.payload(i));
        }
        core.expire(now);
        core.fill(now, &mut tx);
        max_out = max_out.max(core.outstanding());
        sim.send(&mut tx).unwrap();
        sim.wait(10_000).unwrap();
    }
    assert!(max_out <= 100);
    assert_eq!(core.completed, 20_000);
    assert_eq!(core.drops(), 0);
    // each exchange takes 200 µs with 100 in flight: ~500k/s simulated
    let rate = core.completed as f64 / ((clock.now() - SEC) as f64 / 1e9);
    assert!(rate > 300_000.0, "{rate}");
}

#[test]
fn renewals_of_bound_clients() {
    let mut c = cfg(Some(200.0), 1000);
    c.renew_rate = Some(50.0);
    let o = go(c, period(4.0), Box::new(|_, _, _| Action::Reply(MS)));
    let c = &o.core;
    assert_eq!(c.completed, 800);
    let r = &c.stats[PH_RENEW];
    // 50/s over 4 s, minus the first tick before anyone was bound
    assert!((195..=200).contains(&r.sent), "{}", r.sent);
    assert_eq!(r.received, r.sent);
    assert_eq!(r.drops, 0);
    assert!(c.idle_ticks <= 5);
}

#[test]
fn save_acks_lines() {
    let dir = std::env::temp_dir().join(format!("perfgen-acks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("acks.csv");
    let mut c = cfg(Some(100.0), 1000);
    c.record_acks = true;
    let o = go(
        c,
        RunOptions {
            period: Some(SEC),
            acks: Some(AckWriter::create(path.to_str().unwrap()).unwrap()),
            ..Default::default()
        },
        Box::new(|t, n, _| match t {
            MessageType::Request if n == 5 => Action::Drop,
            _ => Action::Reply(MS),
        }),
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, o.core.completed);
    assert_eq!(lines.len(), 99);
    for l in &lines {
        let (ip, mac) = l.split_once(',').unwrap();
        let ip: Ipv4Addr = ip.parse().unwrap();
        assert!(ip.octets()[0] == 198);
        assert_eq!(mac.len(), 17);
        assert!(mac.starts_with("00:0c:01:02:00:"));
        crate::cli::parse_mac(mac).unwrap();
    }
    assert_eq!(lines[0], "198.18.1.0,00:0c:01:02:00:00");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn max_rate_search_against_simulated_capacity() {
    // the server answers at most CAP DISCOVERs per (simulated) second
    const CAP: u64 = 6000;
    let (mut sim, clock) = Sim::new(Box::new(move |t, _, now| {
        thread_local!(static W: Cell<(Nanos, u64)> = const { Cell::new((0, 0)) });
        if t != MessageType::Discover {
            return Action::Reply(MS);
        }
        W.with(|w| {
            let (sec, n) = w.get();
            let s = now / SEC;
            let n = if s == sec { n + 1 } else { 1 };
            w.set((s, n));
            if n <= CAP {
                Action::Reply(MS)
            } else {
                Action::Drop
            }
        })
    }));
    let mut core = Core::new(proto(100_000), cfg(Some(1000.0), 100_000), clock.now(), 99);
    let mut tx = TxBatch::new(64, 0);
    let mut rx = RxBatch::new(64);
    let mut search = Search::new(1000.0, 1.0);
    let mut opts = period(1.0);
    while let Some(rate) = search.next_rate() {
        core.set_rate(Some(rate));
        // align steps to simulated seconds so the capacity window is exact
        let t = clock.now().div_ceil(SEC) * SEC;
        sim.t.set(t);
        core.restart(t);
        run(&mut core, &mut sim, &clock, &mut opts, &mut tx, &mut rx).unwrap();
        search.record(rate, core.started, core.completed);
    }
    let h = search.highest().unwrap();
    assert!(
        h >= CAP as f64 * 0.97 && h <= CAP as f64 / 0.975 + 1.0,
        "{h}"
    );
    assert!(search.steps.iter().any(|s| !s.held));
}

#[test]
fn foreign_and_garbage_replies() {
    let (mut sim, clock) = Sim::new(Box::new(|_, _, _| Action::Reply(MS)));
    let mut core = Core::new(proto(10), cfg(Some(10.0), 10), clock.now(), 5);
    let mut tx = TxBatch::new(64, 0);
    core.fill(clock.now(), &mut tx);
    assert_eq!(tx.len(), 1);
    // a reply for another client with our xid is an orphan
    let mut req = tx.payload(0).to_vec();
    req[28 + 5] ^= 0x40;
    let mut out = [0u8; 1500];
    let n = toy_server(
        &req,
        &mut out,
        Ipv4Addr::new(198, 18, 1, 0),
        Ipv4Addr::new(192, 0, 2, 1),
    )
    .unwrap();
    core.on_reply(clock.now() + MS, &out[..n]);
    assert_eq!(core.stats[PH_FIRST].orphans, 1);
    core.on_reply(clock.now() + MS, b"garbage");
    assert_eq!(core.unparsed, 1);
    sim.send(&mut tx).unwrap();
    sim.wait(2 * MS).unwrap();
    let mut rx = RxBatch::new(64);
    sim.recv(&mut rx).unwrap();
    core.on_reply(clock.now(), rx.payload(0));
    assert_eq!(core.stats[PH_FIRST].received, 1);
}

#[test]
fn v6_sarr_with_relay_and_prefixes() {
    use crate::v6::{V6, V6Options, duid_ll, toy_server6};
    let v = V6::new(V6Options {
        base_duid: duid_ll([0, 0x0c, 1, 2, 3, 4]),
        base_mac: [0, 0x0c, 1, 2, 3, 4],
        na: true,
        pd: true,
        relay: Some("2001:db8:1::2".parse().unwrap()),
        clients: 500,
    });
    let mut c = cfg(Some(1000.0), 500);
    c.release_rate = Some(100.0);
    c.renew_rate = Some(100.0);
    let t0 = SEC;
    let mut core = Core::new(v, c, t0, 3);
    let mut tx = TxBatch::new(64, 0);
    let mut out = [0u8; 2048];
    let mut now = t0;
    let mut dropped = 0;
    let mut k = 0u64;
    let mut queue: Vec<(Nanos, Vec<u8>)> = Vec::new();
    while now < t0 + 2 * SEC {
        queue.retain(|(t, p)| {
            if *t <= now {
                core.on_reply(now, p);
                false
            } else {
                true
            }
        });
        core.expire(now);
        core.fill(now, &mut tx);
        for i in 0..tx.len() {
            k += 1;
            if k.is_multiple_of(50) {
                dropped += 1;
                continue;
            }
            let n = toy_server6(tx.payload(i), &mut out, &[0, 1, 0, 1, 1, 2, 3, 4]).unwrap();
            queue.push((now + MS / 2, out[..n].to_vec()));
        }
        tx.clear();
        now += 100_000;
    }
    core.stop_sending(now);
    while core.outstanding() > 0 {
        now += MS;
        for (_, p) in queue.drain(..) {
            core.on_reply(now, &p);
        }
        core.expire(now);
    }
    let sent: u64 = core.stats.iter().map(|s| s.sent).sum();
    let received: u64 = core.stats.iter().map(|s| s.received).sum();
    assert_eq!(sent, k);
    assert_eq!(received + core.drops(), sent);
    assert_eq!(core.drops(), dropped);
    assert_eq!(core.stats[PH_FIRST].sent, 2000);
    assert!(core.stats[PH_RENEW].received > 150);
    assert!(core.stats[crate::core::PH_RELEASE].received > 150);
    assert_eq!(core.rejected, 0);
    assert!(core.completed > 1900);
}
