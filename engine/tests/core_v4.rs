//! Whole DHCPv4 conversations against the sans-I/O core, in memory and deterministic:
//! the client side is built with the wire builder, the server is a `ShardV4`.

use proptest::prelude::*;
use std::net::Ipv4Addr;
use std::sync::Arc;
use xdhcp_engine::core::v4::{
    Context, Counter, Destination, LeaseChange, Reply, ReplyKind, RuntimeV4, ShardV4,
};
use xdhcp_storage::{Lease4, LeaseState};
use xdhcp_wire::dhcpv4::{Builder, MessageType, Packet, code};

const NOW: u64 = 1_800_000_000;
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn config(extra_global: &str, subnets: &str) -> Arc<RuntimeV4> {
    let text = format!(
        r#"{{ "Dhcp4": {{
            "interfaces-config": {{ "interfaces": ["eth0"] }},
            "valid-lifetime": 3600,
            {extra_global}
            "subnet4": [ {subnets} ]
        }} }}"#
    );
    let cfg = xdhcp_config::load_str(&text, "test.json").unwrap_or_else(|e| panic!("{e}"));
    Arc::new(RuntimeV4::new(cfg.dhcp4))
}

fn basic() -> Arc<RuntimeV4> {
    config(
        r#""renew-timer": 900, "rebind-timer": 1800,
           "option-data": [ { "name": "domain-name-servers", "data": "192.0.2.53" } ],"#,
        r#"{ "id": 1, "subnet": "192.0.2.0/24",
             "pools": [ { "pool": "192.0.2.100 - 192.0.2.109" } ],
             "option-data": [ { "name": "routers", "data": "192.0.2.1" },
                              { "name": "ntp-servers", "data": "192.0.2.123" } ],
             "reservations": [ { "hw-address": "02:00:00:00:00:99", "ip-address": "192.0.2.105",
                                 "hostname": "reserved-host" } ] },
           { "id": 2, "subnet": "198.51.100.0/24",
             "pools": [ { "pool": "198.51.100.10 - 198.51.100.20" } ] },
           { "id": 3, "subnet": "198.51.101.0/24", "relay": { "ip-addresses": [ "203.0.113.7" ] },
             "pools": [ { "pool": "198.51.101.10 - 198.51.101.20" } ] }"#,
    )
}

const IFACE_ADDRS: [(Ipv4Addr, u8); 1] = [(SERVER, 24)];

fn link_ctx(src: Ipv4Addr, dst: Ipv4Addr) -> Context<'static> {
    Context {
        iface_index: 2,
        iface_name: "eth0",
        server_addr: Some(SERVER),
        iface_addrs: &IFACE_ADDRS,
        src,
        dst,
    }
}

fn bcast_ctx() -> Context<'static> {
    link_ctx(Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST)
}

/// A client message under construction.
#[derive(Clone)]
struct Msg {
    t: MessageType,
    mac: [u8; 6],
    xid: u32,
    ciaddr: Ipv4Addr,
    giaddr: Ipv4Addr,
    flags: u16,
    requested: Option<Ipv4Addr>,
    server_id: Option<Ipv4Addr>,
    client_id: Option<Vec<u8>>,
    relay_info: Option<Vec<u8>>,
    prl: Vec<u8>,
}

fn msg(t: MessageType, last: u8) -> Msg {
    Msg {
        t,
        mac: [2, 0, 0, 0, 0, last],
        xid: 0x1000 + u32::from(last),
        ciaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        flags: 0,
        requested: None,
        server_id: None,
        client_id: None,
        relay_info: None,
        prl: vec![1, 3, 6, 15, 42],
    }
}

impl Msg {
    fn bytes(&self) -> Vec<u8> {
        let mut buf = vec![0u8; 600];
        let mut b = Builder::new(&mut buf).unwrap();
        b.op(1);
        b.htype(1);
        b.hlen(6);
        b.xid(self.xid);
        b.flags(self.flags);
        b.ciaddr(self.ciaddr);
        b.giaddr(self.giaddr);
        b.chaddr(&self.mac).unwrap();
        b.message_type(self.t).unwrap();
        if let Some(r) = self.requested {
            b.option_ipv4(code::DHCP_REQUESTED_ADDRESS, r).unwrap();
        }
        if let Some(s) = self.server_id {
            b.server_id(s).unwrap();
        }
        if let Some(c) = &self.client_id {
            b.option(code::DHCP_CLIENT_IDENTIFIER, c).unwrap();
        }
        if !self.prl.is_empty() {
            b.option(code::DHCP_PARAMETER_REQUEST_LIST, &self.prl)
                .unwrap();
        }
        if let Some(r) = &self.relay_info {
            b.option(code::DHCP_AGENT_OPTIONS, r).unwrap();
        }
        let n = b.finish().unwrap();
        buf.truncate(n);
        buf
    }
}

struct Harness {
    shard: ShardV4,
    out: Vec<u8>,
}

impl Harness {
    fn new(rt: Arc<RuntimeV4>) -> Harness {
        Harness::with_leases(rt, vec![])
    }

    fn with_leases(rt: Arc<RuntimeV4>, leases: Vec<Lease4>) -> Harness {
        Harness {
            shard: ShardV4::new(rt, leases),
            out: vec![0; 1500],
        }
    }

    fn send_at(&mut self, now: u64, m: &Msg, ctx: &Context<'_>) -> Option<(Reply, Vec<u8>)> {
        let bytes = m.bytes();
        let r = self.shard.handle(now, &bytes, ctx, &mut self.out)?;
        Some((r, self.out[..r.len].to_vec()))
    }

    fn send(&mut self, m: &Msg) -> Option<(Reply, Vec<u8>)> {
        self.send_at(NOW, m, &bcast_ctx())
    }

    fn changes(&mut self) -> Vec<LeaseChange> {
        let mut v = vec![];
        self.shard.take_changes(&mut v);
        v
    }

    /// DISCOVER then REQUEST (SELECTING); returns the ACKed address.
    fn dora(&mut self, last: u8) -> Ipv4Addr {
        let (offer, bytes) = self.send(&msg(MessageType::Discover, last)).expect("offer");
        assert_eq!(offer.kind, ReplyKind::Offer);
        let offered = Packet::new_checked(&bytes).unwrap().yiaddr();
        let mut req = msg(MessageType::Request, last);
        req.requested = Some(offered);
        req.server_id = Some(SERVER);
        let (ack, bytes) = self.send(&req).expect("ack");
        assert_eq!(ack.kind, ReplyKind::Ack);
        let p = Packet::new_checked(&bytes).unwrap();
        assert_eq!(p.yiaddr(), offered);
        offered
    }

    fn stat(&self, c: Counter) -> u64 {
        self.shard.stats.get(c)
    }

    fn subnet_stat(&self, name: &str) -> u64 {
        self.shard
            .stats
            .snapshot()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no statistic {name}"))
    }
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
fn dora_offers_first_pool_address_then_acks_and_persists() {
    let mut h = Harness::new(basic());
    let (offer, bytes) = h.send(&msg(MessageType::Discover, 1)).unwrap();
    assert_eq!(offer.kind, ReplyKind::Offer);
    assert!(h.changes().is_empty(), "an OFFER persists nothing");
    let p = Packet::new_checked(&bytes).unwrap();
    assert_eq!(p.op(), 2);
    assert_eq!(p.xid(), 0x1001);
    assert_eq!(p.yiaddr(), ip("192.0.2.100"));
    assert_eq!(p.chaddr(), &[2, 0, 0, 0, 0, 1]);
    let o = p.options();
    assert_eq!(o.message_type(), Some(MessageType::Offer));
    assert_eq!(o.server_id(), Some(SERVER));
    assert_eq!(o.lease_time(), Some(3600));
    assert!(
        o.get(code::SUBNET_MASK)
            .unwrap()
            .eq_bytes(&[255, 255, 255, 0])
    );
    assert!(o.get(code::ROUTERS).unwrap().eq_bytes(&[192, 0, 2, 1]));
    assert!(
        o.get(code::DOMAIN_NAME_SERVERS)
            .unwrap()
            .eq_bytes(&[192, 0, 2, 53])
    );
    assert!(
        o.get(code::DHCP_RENEWAL_TIME)
            .unwrap()
            .eq_bytes(&900u32.to_be_bytes())
    );
    assert!(
        o.get(code::DHCP_REBINDING_TIME)
            .unwrap()
            .eq_bytes(&1800u32.to_be_bytes())
    );
    assert!(o.get(code::NTP_SERVERS).is_some(), "requested via PRL 42");
    assert_eq!(
        offer.dest,
        Destination::Layer2 {
            mac: [2, 0, 0, 0, 0, 1],
            ip: ip("192.0.2.100")
        }
    );

    let mut req = msg(MessageType::Request, 1);
    req.requested = Some(ip("192.0.2.100"));
    req.server_id = Some(SERVER);
    let (ack, _) = h.send(&req).unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    assert_eq!(h.changes(), vec![LeaseChange::Upsert(ip("192.0.2.100"))]);
    let lease = h.shard.lease(ip("192.0.2.100")).unwrap();
    assert_eq!(lease.hwaddr, vec![2, 0, 0, 0, 0, 1]);
    assert_eq!(lease.subnet_id, 1);
    assert_eq!(lease.cltt, NOW);
    assert_eq!(lease.valid_lifetime, 3600);
    assert_eq!(h.subnet_stat("subnet[1].assigned-addresses"), 1);
    assert_eq!(h.subnet_stat("subnet[1].total-addresses"), 10);
    assert_eq!(h.stat(Counter::AckSent), 1);
    assert_eq!(h.stat(Counter::OfferSent), 1);
    assert_eq!(h.stat(Counter::Received), 2);
}

#[test]
fn successive_clients_get_distinct_addresses_and_known_client_its_own() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    let b = h.dora(2);
    assert_ne!(a, b);
    let (_, bytes) = h.send(&msg(MessageType::Discover, 1)).unwrap();
    assert_eq!(Packet::new_checked(&bytes).unwrap().yiaddr(), a);
}

#[test]
fn reserved_address_goes_only_to_its_client() {
    let mut h = Harness::new(basic());
    let mut got = vec![];
    for last in 1..=9 {
        got.push(h.dora(last));
    }
    assert!(
        !got.contains(&ip("192.0.2.105")),
        "reserved address leaked: {got:?}"
    );
    // The pool (10 addresses, one reserved) is now exhausted for other clients.
    assert!(h.send(&msg(MessageType::Discover, 50)).is_none());
    let (_, bytes) = h.send(&msg(MessageType::Discover, 0x99)).unwrap();
    let p = Packet::new_checked(&bytes).unwrap();
    assert_eq!(p.yiaddr(), ip("192.0.2.105"));
    assert!(p.options().host_name().unwrap().eq_bytes(b"reserved-host"));
}

#[test]
fn requested_address_is_honoured_when_free() {
    let mut h = Harness::new(basic());
    let mut d = msg(MessageType::Discover, 1);
    d.requested = Some(ip("192.0.2.107"));
    let (_, bytes) = h.send(&d).unwrap();
    assert_eq!(
        Packet::new_checked(&bytes).unwrap().yiaddr(),
        ip("192.0.2.107")
    );
    // Outside every pool: ignored.
    d.requested = Some(ip("192.0.2.50"));
    let (_, bytes) = h.send(&d).unwrap();
    assert_ne!(
        Packet::new_checked(&bytes).unwrap().yiaddr(),
        ip("192.0.2.50")
    );
}

#[test]
fn request_for_another_server_is_dropped() {
    let mut h = Harness::new(basic());
    let mut req = msg(MessageType::Request, 1);
    req.requested = Some(ip("192.0.2.100"));
    req.server_id = Some(ip("192.0.2.254"));
    assert!(h.send(&req).is_none());
    assert!(h.changes().is_empty());
}

#[test]
fn selecting_request_for_address_of_another_client_is_naked() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    let mut req = msg(MessageType::Request, 2);
    req.requested = Some(a);
    req.server_id = Some(SERVER);
    let (nak, bytes) = h.send(&req).unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
    assert_eq!(nak.dest, Destination::Broadcast);
    let p = Packet::new_checked(&bytes).unwrap();
    assert_eq!(p.yiaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.options().lease_time(), None);
    assert_eq!(h.shard.lease(a).unwrap().hwaddr, vec![2, 0, 0, 0, 0, 1]);
}

#[test]
fn init_reboot_acks_own_lease_and_naks_wrong_network() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    let mut reboot = msg(MessageType::Request, 1);
    reboot.requested = Some(a);
    let (ack, _) = h.send(&reboot).unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    reboot.requested = Some(ip("198.51.100.15"));
    let (nak, _) = h.send(&reboot).unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
}

#[test]
fn init_reboot_of_unknown_client_is_silent_unless_authoritative() {
    let mut h = Harness::new(basic());
    let mut reboot = msg(MessageType::Request, 7);
    reboot.requested = Some(ip("192.0.2.101"));
    assert!(h.send(&reboot).is_none());
    let auth = config(
        r#""authoritative": true,"#,
        r#"{ "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100 - 192.0.2.109" } ] }"#,
    );
    let mut h = Harness::new(auth);
    let (nak, _) = h.send(&reboot).unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
}

#[test]
fn renewing_extends_the_lease_and_replies_unicast() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    h.changes();
    let mut renew = msg(MessageType::Request, 1);
    renew.ciaddr = a;
    let later = NOW + 1000;
    let (ack, bytes) = h.send_at(later, &renew, &link_ctx(a, SERVER)).unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    assert_eq!(ack.dest, Destination::Unicast(a));
    assert_eq!(Packet::new_checked(&bytes).unwrap().yiaddr(), a);
    assert_eq!(h.shard.lease(a).unwrap().cltt, later);
    assert_eq!(h.changes(), vec![LeaseChange::Upsert(a)]);
    // Rebinding (broadcast) works the same way for a known client.
    let (ack, _) = h
        .send_at(later + 10, &renew, &link_ctx(a, Ipv4Addr::BROADCAST))
        .unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
}

#[test]
fn renewing_an_address_held_by_someone_else_is_naked() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    let mut renew = msg(MessageType::Request, 2);
    renew.ciaddr = a;
    let (nak, _) = h.send_at(NOW, &renew, &link_ctx(a, SERVER)).unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
}

#[test]
fn release_frees_the_address() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    h.changes();
    let mut rel = msg(MessageType::Release, 1);
    rel.ciaddr = a;
    rel.server_id = Some(SERVER);
    assert!(h.send_at(NOW, &rel, &link_ctx(a, SERVER)).is_none());
    assert!(h.shard.lease(a).is_none());
    assert_eq!(h.changes(), vec![LeaseChange::Delete(a, NOW)]);
    assert_eq!(h.subnet_stat("subnet[1].assigned-addresses"), 0);
    // A release from another client does nothing.
    let b = h.dora(2);
    let mut rel = msg(MessageType::Release, 3);
    rel.ciaddr = b;
    h.send_at(NOW, &rel, &link_ctx(b, SERVER));
    assert!(h.shard.lease(b).is_some());
}

#[test]
fn decline_parks_the_address_until_probation_ends() {
    let rt = config(
        r#""decline-probation-period": 600,
           "expired-leases-processing": { "hold-reclaimed-time": 0 },"#,
        r#"{ "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100 - 192.0.2.100" } ] }"#,
    );
    let mut h = Harness::new(rt);
    let a = h.dora(1);
    let mut dec = msg(MessageType::Decline, 1);
    dec.requested = Some(a);
    dec.server_id = Some(SERVER);
    assert!(h.send(&dec).is_none());
    let lease = h.shard.lease(a).unwrap();
    assert_eq!(lease.state, LeaseState::Declined);
    assert!(lease.hwaddr.is_empty());
    assert_eq!(lease.valid_lifetime, 600);
    assert_eq!(h.stat(Counter::DeclinedAddresses), 1);
    assert_eq!(h.subnet_stat("subnet[1].declined-addresses"), 1);
    // No one gets it during probation, not even the decliner.
    assert!(h.send(&msg(MessageType::Discover, 2)).is_none());
    assert!(h.send(&msg(MessageType::Discover, 1)).is_none());
    assert_eq!(h.shard.reclaim(NOW + 601, 100, false), 1);
    assert!(h.shard.lease(a).is_none());
    assert_eq!(h.stat(Counter::ReclaimedDeclinedAddresses), 1);
    assert_eq!(h.stat(Counter::DeclinedAddresses), 0);
    assert_eq!(h.dora(2), a);
}

#[test]
fn inform_gets_options_without_a_lease() {
    let mut h = Harness::new(basic());
    let mut inf = msg(MessageType::Inform, 1);
    inf.ciaddr = ip("192.0.2.77");
    let (ack, bytes) = h
        .send_at(NOW, &inf, &link_ctx(ip("192.0.2.77"), SERVER))
        .unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    assert_eq!(ack.dest, Destination::Unicast(ip("192.0.2.77")));
    let p = Packet::new_checked(&bytes).unwrap();
    assert_eq!(p.yiaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.options().lease_time(), None);
    assert!(p.options().get(code::ROUTERS).is_some());
    assert!(h.changes().is_empty());
}

#[test]
fn relayed_traffic_is_served_from_the_relay_subnet_and_echoes_option_82() {
    let mut h = Harness::new(basic());
    let relay = ip("198.51.100.1");
    let mut d = msg(MessageType::Discover, 1);
    d.giaddr = relay;
    d.relay_info = Some(vec![1, 3, b'c', b'i', b'd']);
    let ctx = link_ctx(relay, SERVER);
    let (offer, bytes) = h.send_at(NOW, &d, &ctx).unwrap();
    assert_eq!(offer.dest, Destination::Relay(relay));
    let p = Packet::new_checked(&bytes).unwrap();
    assert_eq!(p.yiaddr(), ip("198.51.100.10"));
    assert_eq!(p.giaddr(), relay);
    assert!(
        p.options()
            .relay_agent_info()
            .unwrap()
            .eq_bytes(&[1, 3, b'c', b'i', b'd'])
    );
    // A relay listed in a subnet's relay ip-addresses selects that subnet.
    let mut d = msg(MessageType::Discover, 2);
    d.giaddr = ip("203.0.113.7");
    let (_, bytes) = h.send_at(NOW, &d, &ctx).unwrap();
    assert_eq!(
        Packet::new_checked(&bytes).unwrap().yiaddr(),
        ip("198.51.101.10")
    );
    // An unknown relay network gets nothing.
    let mut d = msg(MessageType::Discover, 3);
    d.giaddr = ip("203.0.113.99");
    assert!(h.send_at(NOW, &d, &ctx).is_none());
}

#[test]
fn broadcast_flag_makes_the_offer_broadcast() {
    let mut h = Harness::new(basic());
    let mut d = msg(MessageType::Discover, 1);
    d.flags = 0x8000;
    let (offer, bytes) = h.send(&d).unwrap();
    assert_eq!(offer.dest, Destination::Broadcast);
    assert!(Packet::new_checked(&bytes).unwrap().broadcast());
}

#[test]
fn expired_lease_is_reclaimed_and_returns_to_its_client() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    let expiry = NOW + 3600;
    assert_eq!(h.shard.reclaim(expiry - 1, 100, false), 0);
    assert_eq!(h.shard.reclaim(expiry, 100, false), 1);
    assert_eq!(
        h.shard.lease(a).unwrap().state,
        LeaseState::ExpiredReclaimed
    );
    assert_eq!(h.stat(Counter::ReclaimedLeases), 1);
    assert_eq!(h.subnet_stat("subnet[1].assigned-addresses"), 0);
    let (_, bytes) = h
        .send_at(expiry + 5, &msg(MessageType::Discover, 1), &bcast_ctx())
        .unwrap();
    assert_eq!(Packet::new_checked(&bytes).unwrap().yiaddr(), a);
    // After the hold time (default 3600 s) the reclaimed lease is flushed.
    assert_eq!(h.shard.reclaim(expiry + 3600, 100, false), 0);
    assert!(h.shard.lease(a).is_none());
}

#[test]
fn expired_leases_are_reused_when_the_pool_is_full() {
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100 - 192.0.2.101" } ] }"#,
    );
    let mut h = Harness::new(rt);
    h.dora(1);
    h.dora(2);
    assert!(h.send(&msg(MessageType::Discover, 3)).is_none());
    let (_, bytes) = h
        .send_at(NOW + 3601, &msg(MessageType::Discover, 3), &bcast_ctx())
        .unwrap();
    assert!(Packet::new_checked(&bytes).unwrap().yiaddr().octets()[3] >= 100);
}

#[test]
fn client_id_distinguishes_clients_on_one_mac() {
    let mut h = Harness::new(basic());
    let mut d1 = msg(MessageType::Discover, 1);
    d1.client_id = Some(vec![1, 0xaa]);
    let (_, b1) = h.send(&d1).unwrap();
    let a1 = Packet::new_checked(&b1).unwrap().yiaddr();
    let mut r1 = msg(MessageType::Request, 1);
    r1.client_id = d1.client_id.clone();
    r1.requested = Some(a1);
    r1.server_id = Some(SERVER);
    h.send(&r1).unwrap();
    let mut d2 = msg(MessageType::Discover, 1);
    d2.client_id = Some(vec![1, 0xbb]);
    let (_, b2) = h.send(&d2).unwrap();
    let p2 = Packet::new_checked(&b2).unwrap();
    assert_ne!(p2.yiaddr(), a1);
    // echo-client-id (default true) returns the client identifier.
    assert!(p2.options().client_id().unwrap().eq_bytes(&[1, 0xbb]));
}

#[test]
fn restart_with_recovered_leases_keeps_addresses() {
    let rt = basic();
    let mut h = Harness::new(rt.clone());
    let a = h.dora(1);
    let b = h.dora(2);
    let leases: Vec<Lease4> = h.shard.leases().cloned().collect();
    let mut h2 = Harness::with_leases(rt, leases);
    let (_, bytes) = h2.send(&msg(MessageType::Discover, 2)).unwrap();
    assert_eq!(Packet::new_checked(&bytes).unwrap().yiaddr(), b);
    assert_eq!(h2.dora(3), ip("192.0.2.102"));
    assert_eq!(h2.subnet_stat("subnet[1].assigned-addresses"), 3);
    assert_ne!(a, b);
}

#[test]
fn reconfigure_keeps_leases() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    h.shard.reconfigure(basic());
    assert!(h.shard.lease(a).is_some());
    assert_eq!(h.subnet_stat("subnet[1].assigned-addresses"), 1);
    let (_, bytes) = h.send(&msg(MessageType::Discover, 1)).unwrap();
    assert_eq!(Packet::new_checked(&bytes).unwrap().yiaddr(), a);
}

#[test]
fn disabled_service_drops_everything() {
    let mut h = Harness::new(basic());
    h.shard.enabled = false;
    assert!(h.send(&msg(MessageType::Discover, 1)).is_none());
    assert_eq!(h.stat(Counter::ReceiveDrop), 1);
}

#[test]
fn malformed_packets_are_counted_not_answered() {
    let mut h = Harness::new(basic());
    let mut out = vec![0u8; 1500];
    for bad in [&[][..], &[1u8; 10][..], &[0u8; 300][..]] {
        assert!(h.shard.handle(NOW, bad, &bcast_ctx(), &mut out).is_none());
    }
    assert_eq!(h.stat(Counter::ParseFailed), 3);
    assert_eq!(h.stat(Counter::Received), 3);
}

proptest! {
    #[test]
    fn no_input_makes_the_core_panic(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        let mut shard = ShardV4::new(basic(), vec![]);
        let mut out = vec![0u8; 1500];
        let _ = shard.handle(NOW, &bytes, &bcast_ctx(), &mut out);
    }

    #[test]
    fn mutated_requests_never_panic(pos in 0usize..400, val in any::<u8>(), t in 1u8..9) {
        let mut shard = ShardV4::new(basic(), vec![]);
        let mut out = vec![0u8; 1500];
        let mut m = msg(MessageType::from_u8(t).unwrap(), 1);
        m.requested = Some(ip("192.0.2.100"));
        m.server_id = Some(SERVER);
        m.client_id = Some(vec![1, 2, 3]);
        let mut bytes = m.bytes();
        if pos < bytes.len() { bytes[pos] = val; }
        let _ = shard.handle(NOW, &bytes, &bcast_ctx(), &mut out);
    }

    #[test]
    fn no_address_is_ever_leased_twice(clients in proptest::collection::vec(1u8..40, 1..80)) {
        let rt = config("", r#"{ "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100 - 192.0.2.119" } ] }"#);
        let mut h = Harness::new(rt);
        for c in clients {
            if let Some((_, bytes)) = h.send(&msg(MessageType::Discover, c)) {
                let offered = Packet::new_checked(&bytes).unwrap().yiaddr();
                let mut req = msg(MessageType::Request, c);
                req.requested = Some(offered);
                req.server_id = Some(SERVER);
                h.send(&req);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for l in h.shard.leases() {
            prop_assert!(seen.insert(l.hwaddr.clone()), "client holds two leases");
        }
    }
}

#[test]
fn the_server_address_is_never_handed_out() {
    // Kea's own examples put the server's address inside the pool.
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.1 - 192.0.2.2" } ] }"#,
    );
    let mut h = Harness::new(rt);
    assert_eq!(h.dora(1), ip("192.0.2.2"));
    assert!(h.send(&msg(MessageType::Discover, 2)).is_none());
    let mut req = msg(MessageType::Request, 2);
    req.requested = Some(SERVER);
    req.server_id = Some(SERVER);
    assert_eq!(h.send(&req).unwrap().0.kind, ReplyKind::Nak);
}

#[test]
fn renewing_client_without_a_record_keeps_a_free_address() {
    // After a lost lease file or a lease4-del, a renewing client keeps its address if it
    // is still free (RFC 2131 4.3.2 RENEWING, Kea's allocation engine).
    let mut h = Harness::new(basic());
    let a = ip("192.0.2.104");
    let mut renew = msg(MessageType::Request, 1);
    renew.ciaddr = a;
    let (ack, _) = h.send_at(NOW, &renew, &link_ctx(a, SERVER)).unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    assert_eq!(h.shard.lease(a).unwrap().hwaddr, vec![2, 0, 0, 0, 0, 1]);
}

#[test]
fn init_reboot_of_known_client_for_another_address_is_naked() {
    let mut h = Harness::new(basic());
    let a = h.dora(1);
    let mut reboot = msg(MessageType::Request, 1);
    reboot.requested = Some(if a == ip("192.0.2.101") {
        ip("192.0.2.102")
    } else {
        ip("192.0.2.101")
    });
    let (nak, _) = h.send(&reboot).unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
}

#[test]
fn reply_header_follows_rfc2131_table_3() {
    let mut h = Harness::new(basic());
    let relay = ip("198.51.100.1");
    let mut d = msg(MessageType::Discover, 1);
    d.giaddr = relay;
    d.ciaddr = ip("198.51.100.77");
    let (_, bytes) = h.send_at(NOW, &d, &link_ctx(relay, SERVER)).unwrap();
    assert_eq!(
        Packet::new_checked(&bytes).unwrap().ciaddr(),
        Ipv4Addr::UNSPECIFIED
    );
    // A NAK through a relay carries the broadcast bit.
    let mut req = msg(MessageType::Request, 1);
    req.giaddr = relay;
    req.requested = Some(ip("192.0.2.100"));
    let (nak, bytes) = h.send_at(NOW, &req, &link_ctx(relay, SERVER)).unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
    assert_eq!(nak.dest, Destination::Relay(relay));
    assert!(Packet::new_checked(&bytes).unwrap().broadcast());
}

#[test]
fn option_82_is_echoed_without_giaddr_too() {
    let mut h = Harness::new(basic());
    let mut d = msg(MessageType::Discover, 1);
    d.relay_info = Some(vec![2, 2, 0xab, 0xcd]);
    let (_, bytes) = h.send(&d).unwrap();
    let p = Packet::new_checked(&bytes).unwrap();
    assert!(
        p.options()
            .relay_agent_info()
            .unwrap()
            .eq_bytes(&[2, 2, 0xab, 0xcd])
    );
}

#[test]
fn link_selection_names_the_subnet() {
    let mut h = Harness::new(basic());
    let mut d = msg(MessageType::Discover, 1);
    d.giaddr = ip("198.51.100.1");
    // RFC 3527: sub-option 5 points at 198.51.101.0/24.
    d.relay_info = Some(vec![5, 4, 198, 51, 101, 1]);
    let (_, bytes) = h.send_at(NOW, &d, &link_ctx(d.giaddr, SERVER)).unwrap();
    assert_eq!(
        Packet::new_checked(&bytes).unwrap().yiaddr(),
        ip("198.51.101.10")
    );
}

#[test]
fn oversized_options_are_left_out_not_the_ack() {
    let long = "x".repeat(250);
    let rt = config(
        &format!(
            r#""option-data": [ {{ "name": "merit-dump", "data": "{long}", "always-send": true }},
                               {{ "name": "root-path", "data": "{long}", "always-send": true }},
                               {{ "name": "extensions-path", "data": "{long}", "always-send": true }} ],"#
        ),
        r#"{ "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100 - 192.0.2.109" } ],
             "option-data": [ { "name": "routers", "data": "192.0.2.1" } ] }"#,
    );
    let mut h = Harness::new(rt);
    let (offer, bytes) = h.send(&msg(MessageType::Discover, 1)).unwrap();
    assert!(
        offer.len <= 576,
        "reply of {} bytes without option 57",
        offer.len
    );
    let p = Packet::new_checked(&bytes).unwrap();
    assert!(p.options().get(code::ROUTERS).is_some());
    assert!(p.options().lease_time().is_some());
    h.dora(2);
}

#[test]
fn clients_without_identity_are_dropped() {
    let mut h = Harness::new(basic());
    let mut buf = vec![0u8; 600];
    let mut b = Builder::new(&mut buf).unwrap();
    b.op(1);
    b.htype(1);
    b.hlen(0);
    b.xid(9);
    b.message_type(MessageType::Discover).unwrap();
    let n = b.finish().unwrap();
    let mut out = vec![0u8; 1500];
    assert!(
        h.shard
            .handle(NOW, &buf[..n], &bcast_ctx(), &mut out)
            .is_none()
    );
    assert_eq!(h.stat(Counter::ReceiveDrop), 1);
}
