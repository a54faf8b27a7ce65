//! The sans-I/O DHCPv4 core on a warm state: one subnet with a pool of 100,000
//! addresses, 50,000 of them leased (every other address of the first 100,000, so the
//! allocator works through a fragmented bitmap). Every measured message comes from a new
//! client, so DISCOVER and REQUEST do real allocation work; `take_changes` is drained after
//! every message, as the daemon does per batch. Clients are prepared in chunks outside the
//! timed section (their DISCOVER / DORA is run untimed where the measured step needs it)
//! and released afterwards, so the table stays at about 50,000 leases however long
//! criterion runs.

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xdhcp_bench::fixtures::{ClientMsg, client_id, hostname, mac};
use xdhcp_engine::core::v4::{Context, LeaseChange, ReplyKind, RuntimeV4, ShardV4};
use xdhcp_storage::{Lease4, LeaseState};
use xdhcp_wire::dhcpv4::Packet;

const NOW: u64 = 1_800_000_000;
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const RELAY: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const POOL_START: u32 = u32::from_be_bytes([198, 18, 0, 10]);
const POOL_SIZE: u32 = 100_000;
const EXISTING: u32 = 50_000;
/// Clients prepared per untimed setup round.
const CHUNK: u64 = 2048;
const IFACE_ADDRS: [(Ipv4Addr, u8); 1] = [(SERVER, 24)];

fn runtime() -> Arc<RuntimeV4> {
    let first = Ipv4Addr::from(POOL_START);
    let last = Ipv4Addr::from(POOL_START + POOL_SIZE - 1);
    let text = format!(
        r#"{{ "Dhcp4": {{
            "interfaces-config": {{ "interfaces": ["eth0"] }},
            "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
            "option-data": [ {{ "name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54" }},
                             {{ "name": "domain-name", "data": "example.org" }} ],
            "subnet4": [ {{ "id": 1, "subnet": "198.18.0.0/15",
                "pools": [ {{ "pool": "{first} - {last}" }} ],
                "option-data": [ {{ "name": "routers", "data": "198.18.0.1" }} ] }} ]
        }} }}"#
    );
    let cfg = xdhcp_config::load_str(&text, "bench.json").unwrap_or_else(|e| panic!("{e}"));
    Arc::new(RuntimeV4::new(cfg.dhcp4))
}

/// The warm state: 50,000 live leases on every other pool address.
fn warm_shard() -> ShardV4 {
    let leases = (0..EXISTING)
        .map(|i| {
            let m = mac(0x8000_0000 | i);
            Lease4 {
                address: Ipv4Addr::from(POOL_START + 2 * i),
                hwaddr: m[..].into(),
                htype: 1,
                client_id: Some(client_id(&m)[..].into()),
                subnet_id: 1,
                valid_lifetime: 3600,
                cltt: NOW - 600,
                fqdn_fwd: false,
                fqdn_rev: false,
                hostname: String::new(),
                state: LeaseState::Default,
                user_context: None,
            }
        })
        .collect();
    let shard = ShardV4::new(runtime(), leases);
    assert_eq!(shard.lease_count(), EXISTING as usize);
    shard
}

fn relay_ctx() -> Context<'static> {
    Context {
        iface_index: 2,
        iface_name: "eth0",
        server_addr: Some(SERVER),
        iface_addrs: &IFACE_ADDRS,
        src: RELAY,
        dst: SERVER,
    }
}

fn unicast_ctx(src: Ipv4Addr) -> Context<'static> {
    Context { src, ..relay_ctx() }
}

/// The harness: the shard, reusable buffers and a client counter.
struct Bench {
    shard: ShardV4,
    out: Vec<u8>,
    changes: Vec<LeaseChange>,
    next_client: u32,
}

/// One prepared client: its MAC, its address once it has one, and the message to measure.
struct Prepared {
    mac: [u8; 6],
    addr: Ipv4Addr,
    msg: Vec<u8>,
}

impl Bench {
    fn new() -> Bench {
        Bench {
            shard: warm_shard(),
            out: vec![0; 1500],
            changes: Vec::with_capacity(64),
            next_client: 0,
        }
    }

    fn new_client(&mut self) -> (u32, [u8; 6]) {
        let i = self.next_client;
        self.next_client = self.next_client.wrapping_add(1) & 0x7fff_ffff;
        (i, mac(i))
    }

    /// Runs a message untimed and returns (reply kind, yiaddr).
    fn exchange(&mut self, msg: &[u8], ctx: &Context<'_>, now: u64) -> (ReplyKind, Ipv4Addr) {
        let r = self
            .shard
            .handle(now, msg, ctx, &mut self.out)
            .expect("the core answered");
        self.shard.take_changes(&mut self.changes);
        let yiaddr = Packet::new_checked(&self.out[..r.len])
            .expect("reply parses")
            .yiaddr();
        (r.kind, yiaddr)
    }

    fn discover_msg(i: u32, m: [u8; 6]) -> Vec<u8> {
        let mut h = [0u8; 13];
        let mut buf = vec![0u8; 1500];
        let n = ClientMsg::discover(m, i, RELAY, hostname(i, &mut h))
            .build(&mut buf)
            .unwrap();
        buf.truncate(n);
        buf
    }

    fn request_msg(i: u32, m: [u8; 6], addr: Ipv4Addr) -> Vec<u8> {
        let mut h = [0u8; 13];
        let mut buf = vec![0u8; 1500];
        let n = ClientMsg::selecting(m, i, RELAY, addr, SERVER, hostname(i, &mut h))
            .build(&mut buf)
            .unwrap();
        buf.truncate(n);
        buf
    }

    fn renew_msg(i: u32, m: [u8; 6], addr: Ipv4Addr) -> Vec<u8> {
        let mut h = [0u8; 13];
        let mut buf = vec![0u8; 1500];
        let n = ClientMsg::renewing(m, i, addr, hostname(i, &mut h))
            .build(&mut buf)
            .unwrap();
        buf.truncate(n);
        buf
    }

    /// New clients with only their DISCOVER built.
    fn prepare_discover(&mut self, k: u64) -> Vec<Prepared> {
        (0..k)
            .map(|_| {
                let (i, m) = self.new_client();
                Prepared {
                    mac: m,
                    addr: Ipv4Addr::UNSPECIFIED,
                    msg: Bench::discover_msg(i, m),
                }
            })
            .collect()
    }

    /// New clients that got an OFFER; their SELECTING REQUEST built.
    fn prepare_request(&mut self, k: u64) -> Vec<Prepared> {
        let ctx = relay_ctx();
        (0..k)
            .map(|_| {
                let (i, m) = self.new_client();
                let (kind, addr) = self.exchange(&Bench::discover_msg(i, m), &ctx, NOW);
                assert_eq!(kind, ReplyKind::Offer);
                Prepared {
                    mac: m,
                    addr,
                    msg: Bench::request_msg(i, m, addr),
                }
            })
            .collect()
    }

    /// New clients with a lease (full DORA); their RENEWING REQUEST built.
    fn prepare_renew(&mut self, k: u64) -> Vec<Prepared> {
        let mut v = self.prepare_request(k);
        let ctx = relay_ctx();
        for (n, p) in v.iter_mut().enumerate() {
            let msg = std::mem::take(&mut p.msg);
            let (kind, addr) = self.exchange(&msg, &ctx, NOW);
            assert_eq!(kind, ReplyKind::Ack, "client {n}");
            assert_eq!(addr, p.addr);
            p.msg = Bench::renew_msg(n as u32, p.mac, addr);
        }
        v
    }

    /// Gives the clients' leases back (untimed), so the table returns to its warm size.
    fn release(&mut self, clients: &[Prepared]) {
        let mut buf = [0u8; 1500];
        for p in clients {
            if p.addr.is_unspecified() {
                continue;
            }
            let n = ClientMsg::release(p.mac, 1, p.addr, SERVER)
                .build(&mut buf)
                .unwrap();
            let ctx = unicast_ctx(p.addr);
            let _ = self.shard.handle(NOW + 400, &buf[..n], &ctx, &mut self.out);
            self.shard.take_changes(&mut self.changes);
        }
        debug_assert_eq!(self.shard.lease_count(), EXISTING as usize);
    }

    /// Times `iters` messages of fresh clients made by `prepare`, each handled at `now`
    /// in the context `ctx_for` gives, with the changes drained after each.
    fn measure(
        &mut self,
        iters: u64,
        prepare: fn(&mut Bench, u64) -> Vec<Prepared>,
        ctx_for: fn(&Prepared) -> Context<'static>,
        now: u64,
        want: ReplyKind,
    ) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let k = left.min(CHUNK);
            let clients = prepare(self, k);
            let ctxs: Vec<Context<'static>> = clients.iter().map(ctx_for).collect();
            let mut answered = 0u64;
            let t = Instant::now();
            for (p, ctx) in clients.iter().zip(&ctxs) {
                let r = self
                    .shard
                    .handle(black_box(now), black_box(&p.msg), ctx, &mut self.out);
                answered += u64::from(r.is_some_and(|r| r.kind == want));
                black_box(&self.out);
                self.shard.take_changes(&mut self.changes);
                black_box(&self.changes);
            }
            total += t.elapsed();
            assert_eq!(answered, k, "every message got a {want:?}");
            self.release(&clients);
            left -= k;
        }
        total
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("core/v4");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));
    let state = "pool100k_leases50k";

    let mut b = Bench::new();
    g.bench_function(BenchmarkId::new("discover_offer", state), |bn| {
        bn.iter_custom(|iters| {
            b.measure(
                iters,
                Bench::prepare_discover,
                |_| relay_ctx(),
                NOW,
                ReplyKind::Offer,
            )
        })
    });

    let mut b = Bench::new();
    g.bench_function(BenchmarkId::new("request_ack", state), |bn| {
        bn.iter_custom(|iters| {
            b.measure(
                iters,
                Bench::prepare_request,
                |_| relay_ctx(),
                NOW,
                ReplyKind::Ack,
            )
        })
    });

    let mut b = Bench::new();
    g.bench_function(BenchmarkId::new("renew_ack", state), |bn| {
        bn.iter_custom(|iters| {
            b.measure(
                iters,
                Bench::prepare_renew,
                |p| unicast_ctx(p.addr),
                NOW + 300,
                ReplyKind::Ack,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
