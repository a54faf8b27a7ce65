//! Several DHCPv4 shards in memory, routed the way the workers route them: a message goes
//! to the shard its client hashes to, a reroute is followed, and notes (freed addresses,
//! borrow requests) are delivered. Whatever the clients do, no address is ever leased to
//! two clients, and every shard serves.

use proptest::prelude::*;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use xdhcp_engine::core::v4::{
    Context, Partition, ReplyKind, RuntimeV4, ShardNote, ShardV4, owner_of_identity,
    owner_of_lease, owner_of_packet,
};
use xdhcp_storage::Lease4;
use xdhcp_wire::dhcpv4::{Builder, MessageType, Packet, code};

const NOW: u64 = 1_800_000_000;
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const ADDRS: [(Ipv4Addr, u8); 1] = [(SERVER, 24)];

fn runtime(first: &str, last: &str) -> Arc<RuntimeV4> {
    let text = format!(
        r#"{{ "Dhcp4": {{ "interfaces-config": {{ "interfaces": ["eth0"] }},
            "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
                           "pools": [ {{ "pool": "{first} - {last}" }} ] }} ] }} }}"#
    );
    Arc::new(RuntimeV4::new(
        xdhcp_config::load_str(&text, "t.json").unwrap().dhcp4,
    ))
}

fn ctx(src: Ipv4Addr) -> Context<'static> {
    Context {
        iface_index: 2,
        iface_name: "eth0",
        server_addr: Some(SERVER),
        iface_addrs: &ADDRS,
        src,
        dst: Ipv4Addr::BROADCAST,
    }
}

fn message(t: MessageType, client: u16, requested: Option<Ipv4Addr>, ciaddr: Ipv4Addr) -> Vec<u8> {
    let mut buf = vec![0u8; 600];
    let mut b = Builder::new(&mut buf).unwrap();
    b.op(1);
    b.htype(1);
    b.hlen(6);
    b.xid(u32::from(client));
    b.ciaddr(ciaddr);
    b.chaddr(&[2, 0, 0, 0, (client >> 8) as u8, client as u8])
        .unwrap();
    b.message_type(t).unwrap();
    if let Some(r) = requested {
        b.option_ipv4(code::DHCP_REQUESTED_ADDRESS, r).unwrap();
    }
    if t == MessageType::Request && ciaddr.is_unspecified() && requested.is_some() {
        b.server_id(SERVER).unwrap();
    }
    let n = b.finish().unwrap();
    buf.truncate(n);
    buf
}

struct Cluster {
    shards: Vec<ShardV4>,
    out: Vec<u8>,
    served: Vec<usize>,
    rerouted: usize,
    borrowed: usize,
}

impl Cluster {
    fn new(rt: Arc<RuntimeV4>, count: usize, leases: Vec<Lease4>) -> Cluster {
        // As the daemon does at start-up: each lease to its client's shard, and each
        // shard told which addresses of its slices other shards hold.
        let mut own: Vec<Vec<Lease4>> = vec![Vec::new(); count];
        for l in leases {
            let o = owner_of_lease(&l, count).unwrap_or(0);
            own[o].push(l);
        }
        let held: Vec<Vec<Ipv4Addr>> = own
            .iter()
            .map(|v| v.iter().map(|l| l.address).collect())
            .collect();
        let shards = own
            .into_iter()
            .enumerate()
            .map(|(i, mine)| {
                let foreign: Vec<Ipv4Addr> = held
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, v)| v.iter().copied())
                    .collect();
                ShardV4::partitioned(rt.clone(), Partition::new(i, count), mine, foreign)
            })
            .collect();
        Cluster {
            shards,
            out: vec![0; 1500],
            served: vec![0; count],
            rerouted: 0,
            borrowed: 0,
        }
    }

    fn send(&mut self, now: u64, bytes: &[u8], src: Ipv4Addr) -> Option<(ReplyKind, Ipv4Addr)> {
        let count = self.shards.len();
        let mut s = owner_of_packet(bytes, count).unwrap_or(0);
        let mut reply = self.shards[s].handle(now, bytes, &ctx(src), &mut self.out);
        if let Some(to) = self.shards[s].take_reroute() {
            self.rerouted += 1;
            s = to;
            reply = self.shards[s].handle_rerouted(now, bytes, &ctx(src), &mut self.out);
        }
        self.deliver_notes();
        let r = reply?;
        self.served[s] += 1;
        let p = Packet::new_checked(&self.out[..r.len]).unwrap();
        Some((r.kind, p.yiaddr()))
    }

    fn deliver_notes(&mut self) {
        let mut notes = Vec::new();
        for i in 0..self.shards.len() {
            self.shards[i].take_notes(&mut notes);
            for n in notes.drain(..) {
                match n {
                    ShardNote::Freed { addr, to } => self.shards[to].on_freed(addr),
                    ShardNote::Borrow { subnet_id } => {
                        for j in (0..self.shards.len()).filter(|j| *j != i) {
                            if let Some((a, b)) = self.shards[j].on_borrow(subnet_id) {
                                self.shards[i].on_lend(subnet_id, a, b);
                                self.borrowed += 1;
                                break;
                            }
                        }
                    }
                }
            }
        }
    }

    fn dora(&mut self, client: u16) -> Option<Ipv4Addr> {
        let d = message(MessageType::Discover, client, None, Ipv4Addr::UNSPECIFIED);
        let (_, offered) = self.send(NOW, &d, Ipv4Addr::UNSPECIFIED)?;
        let r = message(
            MessageType::Request,
            client,
            Some(offered),
            Ipv4Addr::UNSPECIFIED,
        );
        match self.send(NOW, &r, Ipv4Addr::UNSPECIFIED)? {
            (ReplyKind::Ack, a) => Some(a),
            _ => None,
        }
    }

    fn release(&mut self, client: u16, addr: Ipv4Addr) {
        let m = message(MessageType::Release, client, None, addr);
        self.send(NOW, &m, addr);
    }

    fn all_leases(&self) -> Vec<Lease4> {
        self.shards
            .iter()
            .flat_map(|s| s.leases().cloned())
            .collect()
    }

    /// Every address at most once across all shards, every client at most one lease.
    fn assert_unique(&self) {
        let mut by_addr = HashMap::new();
        let mut by_client = HashMap::new();
        for l in self.all_leases() {
            assert!(
                by_addr.insert(l.address, l.hwaddr.clone()).is_none(),
                "{} leased twice",
                l.address
            );
            assert!(
                by_client.insert(l.hwaddr.clone(), l.address).is_none(),
                "{:?} holds two leases",
                l.hwaddr
            );
        }
    }
}

#[test]
fn two_shards_split_clients_and_pools_and_both_serve() {
    let mut c = Cluster::new(runtime("192.0.2.10", "192.0.2.209"), 2, vec![]);
    for client in 0..150 {
        assert!(c.dora(client).is_some(), "client {client} got no lease");
    }
    c.assert_unique();
    assert!(c.served.iter().all(|n| *n > 50), "{:?}", c.served);
    let total: u64 = c
        .shards
        .iter()
        .map(|s| {
            s.stats
                .snapshot()
                .into_iter()
                .find(|(n, _)| n == "subnet[1].total-addresses")
                .unwrap()
                .1
        })
        .sum();
    assert_eq!(total, 200, "the slices add up to the pool");
}

#[test]
fn a_dry_shard_borrows_from_its_peer() {
    // 128 addresses, 64 per slice; 100 clients that all hash to shard 0, so shard 0 runs
    // dry and must borrow runs of its peer's slice to serve them.
    let mut c = Cluster::new(runtime("192.0.2.128", "192.0.2.255"), 2, vec![]);
    let clients: Vec<u16> = (0..2000u16)
        .filter(|c| owner_of_identity(&[2, 0, 0, 0, (c >> 8) as u8, *c as u8], 2) == 0)
        .take(100)
        .collect();
    let mut served = 0;
    for client in clients {
        // A client that found its shard dry asks again (real clients retransmit).
        if c.dora(client).is_some() || c.dora(client).is_some() {
            served += 1;
        }
    }
    c.assert_unique();
    assert!(c.borrowed > 0, "no borrow happened");
    assert_eq!(served, 100, "clients left without an address");
}

#[test]
fn release_returns_an_address_to_the_shard_owning_its_slice() {
    let rt = runtime("192.0.2.10", "192.0.2.13");
    // Start with one shard, lease all four addresses, then restart with two shards:
    // leases follow their clients, so some sit in the other shard's slice.
    let mut one = Cluster::new(rt.clone(), 1, vec![]);
    let leased: Vec<(u16, Ipv4Addr)> = (0..4).map(|c| (c, one.dora(c).unwrap())).collect();
    let mut two = Cluster::new(rt, 2, one.all_leases());
    two.assert_unique();
    assert!(two.dora(100).is_none(), "the pool is full");
    for (client, addr) in &leased {
        two.release(*client, *addr);
    }
    assert!(two.all_leases().is_empty());
    // Every address is usable again, by whichever shard owns its slice.
    let mut again = Vec::new();
    for client in 200..204 {
        again.push(two.dora(client).expect("freed address"));
    }
    again.sort();
    let mut before: Vec<Ipv4Addr> = leased.iter().map(|(_, a)| *a).collect();
    before.sort();
    assert_eq!(again, before);
    two.assert_unique();
}

#[test]
fn a_renewal_naming_another_shards_address_is_rerouted_there() {
    let rt = runtime("192.0.2.10", "192.0.2.209");
    let mut c = Cluster::new(rt, 2, vec![]);
    // A client renews an address it holds no record of (lost lease file): the request
    // goes to the shard owning that address's slice, which grants it if free.
    let mut done = 0;
    for client in 0..40u16 {
        let addr = Ipv4Addr::new(192, 0, 2, 10 + client as u8 * 5);
        let m = message(MessageType::Request, client, None, addr);
        if let Some((ReplyKind::Ack, a)) = c.send(NOW, &m, addr) {
            assert_eq!(a, addr);
            done += 1;
        }
    }
    assert_eq!(done, 40);
    assert!(c.rerouted > 0);
    c.assert_unique();
    // A second client asking for one of those addresses is refused wherever it lands.
    for client in 1000..1040u16 {
        let addr = Ipv4Addr::new(192, 0, 2, 10 + (client - 1000) as u8 * 5);
        let m = message(MessageType::Request, client, None, addr);
        if let Some((kind, _)) = c.send(NOW, &m, addr) {
            assert_eq!(kind, ReplyKind::Nak);
        }
    }
    c.assert_unique();
}

proptest! {
    #[test]
    fn random_traffic_over_shards_never_duplicates(
        count in 1usize..4,
        ops in proptest::collection::vec((0u16..60, 0u8..3), 1..200),
    ) {
        let mut c = Cluster::new(runtime("192.0.2.10", "192.0.2.99"), count, vec![]);
        let mut held: HashMap<u16, Ipv4Addr> = HashMap::new();
        for (client, op) in ops {
            match op {
                0 | 1 => {
                    if let Some(a) = c.dora(client) {
                        held.insert(client, a);
                    }
                }
                _ => {
                    if let Some(a) = held.remove(&client) {
                        c.release(client, a);
                    }
                }
            }
            c.assert_unique();
        }
    }
}
