//! The hot path does not allocate: after a warm-up, a long run of DORAs by new clients
//! (and renewals) through the shard and the lease log makes no heap allocation at all,
//! counted by a global allocator that watches this test's thread.
//!
//! One test per binary, so no other test thread allocates while this one counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use xdhcp_engine::core::v4::{Context, LeaseChange, RuntimeV4, ShardV4};
use xdhcp_storage::{LeaseLog, RecordRef};
use xdhcp_wire::dhcpv4::{Builder, MessageType, Packet, code};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNTING.try_with(|c| c.get()).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(p, l, n) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const RELAY: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const ADDRS: [(Ipv4Addr, u8); 1] = [(SERVER, 24)];

/// Writes a relayed client message into `buf` (no allocation: the builder writes in
/// place) and returns its length.
fn message(buf: &mut [u8], t: MessageType, client: u32, addr: Option<Ipv4Addr>) -> usize {
    let mut b = Builder::new(buf).unwrap();
    b.op(1);
    b.htype(1);
    b.hlen(6);
    b.hops(1);
    b.xid(client);
    b.giaddr(RELAY);
    let mac = [
        2,
        0,
        (client >> 24) as u8,
        (client >> 16) as u8,
        (client >> 8) as u8,
        client as u8,
    ];
    b.chaddr(&mac).unwrap();
    b.message_type(t).unwrap();
    b.option(
        code::DHCP_CLIENT_IDENTIFIER,
        &[1, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]],
    )
    .unwrap();
    b.option(
        code::DHCP_PARAMETER_REQUEST_LIST,
        &[1, 3, 6, 15, 51, 58, 59],
    )
    .unwrap();
    if let Some(a) = addr {
        b.option_ipv4(code::DHCP_REQUESTED_ADDRESS, a).unwrap();
        b.server_id(SERVER).unwrap();
    }
    b.finish().unwrap()
}

struct Run {
    shard: ShardV4,
    log: LeaseLog,
    msg: Vec<u8>,
    out: Vec<u8>,
    changes: Vec<LeaseChange>,
}

impl Run {
    /// DISCOVER → OFFER, REQUEST → ACK for `client`, persisting the lease like the
    /// server loop does; returns the address.
    fn dora(&mut self, now: u64, client: u32) -> Ipv4Addr {
        let ctx = Context {
            iface_index: 2,
            iface_name: "eth0",
            server_addr: Some(SERVER),
            iface_addrs: &ADDRS,
            src: RELAY,
            dst: SERVER,
        };
        let n = message(&mut self.msg, MessageType::Discover, client, None);
        let offer = self
            .shard
            .handle(now, &self.msg[..n], &ctx, &mut self.out)
            .expect("offer");
        let offered = Packet::new_checked(&self.out[..offer.len])
            .unwrap()
            .yiaddr();
        let n = message(&mut self.msg, MessageType::Request, client, Some(offered));
        self.shard
            .handle(now, &self.msg[..n], &ctx, &mut self.out)
            .expect("ack");
        self.persist();
        offered
    }

    fn persist(&mut self) {
        self.shard.take_changes(&mut self.changes);
        let shard = &self.shard;
        self.log
            .append_refs(self.changes.iter().filter_map(|c| match *c {
                LeaseChange::Upsert(a) => shard.lease(a).map(RecordRef::Lease4),
                LeaseChange::Delete(address, at) => Some(RecordRef::Delete4 { address, at }),
            }))
            .unwrap();
    }
}

#[test]
fn dora_and_renewals_do_not_allocate() {
    let cfg = xdhcp_config::load_str(
        r#"{ "Dhcp4": { "interfaces-config": { "interfaces": ["eth0"] },
             "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
             "subnet4": [ { "id": 1, "subnet": "198.18.0.0/16",
                            "pools": [ { "pool": "198.18.1.0 - 198.18.255.254" } ],
                            "option-data": [ { "name": "routers", "data": "198.18.0.1" },
                                             { "name": "domain-name-servers", "data": "192.0.2.53" } ] } ] } }"#,
        "no-alloc.json",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = LeaseLog::open(&dir.path().join("leases.xlog")).unwrap();
    let mut run = Run {
        shard: ShardV4::new(Arc::new(RuntimeV4::new(cfg.dhcp4)), vec![]),
        log,
        msg: vec![0; 1500],
        out: vec![0; 1500],
        changes: Vec::with_capacity(64),
    };
    let now = 1_800_000_000;
    // Warm-up: buffers reach their working size.
    for client in 0..1_000 {
        run.dora(now, client);
    }

    COUNTING.with(|c| c.set(true));
    let mut last = Ipv4Addr::UNSPECIFIED;
    for client in 1_000..21_000 {
        last = run.dora(now + u64::from(client / 1000), client);
    }
    // Renewals of clients that already hold leases.
    for client in 1_000..6_000 {
        run.dora(now + 100, client);
    }
    COUNTING.with(|c| c.set(false));

    assert_eq!(run.shard.lease_count(), 21_000);
    assert!(!last.is_unspecified());
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        0,
        "heap allocations on the DORA path"
    );

    // The counter itself works: one deliberate allocation is seen.
    COUNTING.with(|c| c.set(true));
    let v: Vec<u8> = std::hint::black_box(Vec::with_capacity(16));
    COUNTING.with(|c| c.set(false));
    drop(v);
    assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 1);
}
