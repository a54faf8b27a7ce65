//! Whole DHCPv6 conversations against the sans-I/O core, in memory and deterministic:
//! the client (and relay) side is built with the wire builders, the server is a `ShardV6`.

use proptest::prelude::*;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::Arc;
use xdhcp_engine::core::v6::{
    Context6, Counter6, Lease6Key, LeaseChange6, Reply6, ReplyKind6, RuntimeV6, ShardV6,
};
use xdhcp_storage::{Lease6, Lease6Type, LeaseState};
use xdhcp_wire::dhcpv6::{
    Builder, IaAddr, IaPrefix, MessageType, RelayBuilder, StatusCode, code, unwrap_relays,
};

const NOW: u64 = 1_800_000_000;
const SERVER_DUID: [u8; 10] = [0, 2, 0, 0, 0x09, 0xbf, 1, 2, 3, 4];
const MCAST: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn config(extra_global: &str, subnets: &str) -> Arc<RuntimeV6> {
    let text = format!(
        r#"{{ "Dhcp6": {{
            "interfaces-config": {{ "interfaces": ["eth0"] }},
            "preferred-lifetime": 3000, "valid-lifetime": 4000,
            "renew-timer": 1000, "rebind-timer": 2000,
            "decline-probation-period": 600,
            {extra_global}
            "subnet6": [ {subnets} ]
        }} }}"#
    );
    let cfg = xdhcp_config::load_str(&text, "test.json").unwrap_or_else(|e| panic!("{e}"));
    Arc::new(RuntimeV6::new(cfg.dhcp6.unwrap(), SERVER_DUID.to_vec()))
}

fn basic() -> Arc<RuntimeV6> {
    config(
        r#""option-data": [ { "name": "dns-servers", "data": "2001:db8::53" },
                            { "name": "sntp-servers", "data": "2001:db8::123" } ],"#,
        r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0",
             "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
             "pd-pools": [ { "prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 56 } ],
             "option-data": [ { "name": "domain-search", "data": "example.com" } ],
             "reservations": [ { "duid": "00:03:00:01:02:00:00:00:00:99",
                                 "ip-addresses": [ "2001:db8:1::99" ],
                                 "prefixes": [ "2001:db8:200::/56" ],
                                 "hostname": "reserved-host" } ] },
           { "id": 2, "subnet": "2001:db8:2::/64",
             "pools": [ { "pool": "2001:db8:2::100 - 2001:db8:2::1ff" } ],
             "pd-pools": [ { "prefix": "2001:db8:300::", "prefix-len": 48, "delegated-len": 56,
                             "excluded-prefix": "2001:db8:300:ab::", "excluded-prefix-len": 64 } ] },
           { "id": 3, "subnet": "2001:db8:3::/64", "interface-id": "relay-port-7",
             "pools": [ { "pool": "2001:db8:3::100 - 2001:db8:3::1ff" } ] },
           { "id": 4, "subnet": "2001:db8:4::/64", "rapid-commit": true,
             "pools": [ { "pool": "2001:db8:4::100 - 2001:db8:4::1ff" } ],
             "pd-pools": [ { "prefix": "2001:db8:400::", "prefix-len": 48, "delegated-len": 60 } ] }"#,
    )
}

fn duid(n: u8) -> Vec<u8> {
    vec![0, 3, 0, 1, 2, 0, 0, 0, 0, n]
}

/// The client's EUI-64 link-local address (MAC 02:00:00:00:00:n).
fn link_local(n: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, u16::from(n))
}

const IFACE_ADDRS: [(Ipv6Addr, u8); 2] = [
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1), 64),
    (Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1), 64),
];

fn ctx(src: Ipv6Addr, dst: Ipv6Addr) -> Context6<'static> {
    Context6 {
        iface_index: 2,
        iface_name: "eth0",
        iface_addrs: &IFACE_ADDRS,
        src,
        dst,
    }
}

#[derive(Clone, Debug)]
enum Ia {
    Na(u32, Vec<Ipv6Addr>),
    Pd(u32, Vec<(Ipv6Addr, u8)>),
}

/// A client message under construction.
#[derive(Clone, Debug)]
struct Msg {
    t: MessageType,
    client: u8,
    xid: u32,
    client_id: Option<Vec<u8>>,
    server_id: Option<Vec<u8>>,
    ias: Vec<Ia>,
    oro: Vec<u16>,
    rapid: bool,
}

fn msg(t: MessageType, client: u8) -> Msg {
    Msg {
        t,
        client,
        xid: 0x1000 + u32::from(client),
        client_id: Some(duid(client)),
        server_id: None,
        ias: vec![],
        oro: vec![code::DNS_SERVERS],
        rapid: false,
    }
}

impl Msg {
    fn na(mut self, iaid: u32, addrs: &[Ipv6Addr]) -> Msg {
        self.ias.push(Ia::Na(iaid, addrs.to_vec()));
        self
    }
    fn pd(mut self, iaid: u32, prefixes: &[(Ipv6Addr, u8)]) -> Msg {
        self.ias.push(Ia::Pd(iaid, prefixes.to_vec()));
        self
    }
    fn ours(mut self) -> Msg {
        self.server_id = Some(SERVER_DUID.to_vec());
        self
    }
    fn bytes(&self) -> Vec<u8> {
        let mut buf = vec![0u8; 1500];
        let mut b = Builder::new(&mut buf, self.t, self.xid).unwrap();
        if let Some(c) = &self.client_id {
            b.client_id(c).unwrap();
        }
        if let Some(s) = &self.server_id {
            b.server_id(s).unwrap();
        }
        b.elapsed_time(0).unwrap();
        if !self.oro.is_empty() {
            b.oro(&self.oro).unwrap();
        }
        if self.rapid {
            b.rapid_commit().unwrap();
        }
        for ia in &self.ias {
            match ia {
                Ia::Na(iaid, addrs) => {
                    let n = b.ia_na(*iaid, 0, 0).unwrap();
                    for a in addrs {
                        let x = b.iaaddr(*a, 0, 0).unwrap();
                        b.end(x).unwrap();
                    }
                    b.end(n).unwrap();
                }
                Ia::Pd(iaid, ps) => {
                    let n = b.ia_pd(*iaid, 0, 0).unwrap();
                    for (p, l) in ps {
                        let x = b.iaprefix(0, 0, *l, *p).unwrap();
                        b.end(x).unwrap();
                    }
                    b.end(n).unwrap();
                }
            }
        }
        let n = b.finish().unwrap();
        buf.truncate(n);
        buf
    }
}

/// One relay level, outermost first: (hop count, link, peer, interface-id).
type Relay = (u8, Ipv6Addr, Ipv6Addr, Option<&'static [u8]>);

fn relayed(levels: &[Relay], inner: &[u8]) -> Vec<u8> {
    let mut cur = inner.to_vec();
    for (hop, link, peer, iid) in levels.iter().rev() {
        let mut buf = vec![0u8; cur.len() + 200];
        let mut rb =
            RelayBuilder::new(&mut buf, MessageType::RelayForw, *hop, *link, *peer).unwrap();
        if let Some(id) = iid {
            rb.interface_id(id).unwrap();
        }
        rb.relay_msg(&cur).unwrap();
        let n = rb.finish().unwrap();
        buf.truncate(n);
        cur = buf;
    }
    cur
}

#[derive(Debug, Clone)]
struct Lease {
    addr: Ipv6Addr,
    plen: u8,
    preferred: u32,
    valid: u32,
    exclude: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct IaOut {
    pd: bool,
    iaid: u32,
    t1: u32,
    t2: u32,
    status: Option<u16>,
    leases: Vec<Lease>,
}

/// A decoded server reply (inside any relay wrapping).
#[derive(Debug)]
struct Parsed {
    t: MessageType,
    xid: u32,
    server_id: Option<Vec<u8>>,
    client_id: Option<Vec<u8>>,
    status: Option<u16>,
    rapid: bool,
    ias: Vec<IaOut>,
    codes: Vec<u16>,
}

fn parse(bytes: &[u8]) -> Parsed {
    let (m, _) = unwrap_relays(bytes).expect("reply parses");
    let o = m.options();
    let mut ias = vec![];
    for ia in o.ia_nas() {
        ias.push(IaOut {
            pd: false,
            iaid: ia.iaid,
            t1: ia.t1,
            t2: ia.t2,
            status: ia.options.status_code().map(|s| s.0),
            leases: ia
                .options
                .typed::<IaAddr>()
                .map(|a| Lease {
                    addr: a.addr,
                    plen: 128,
                    preferred: a.preferred,
                    valid: a.valid,
                    exclude: None,
                })
                .collect(),
        });
    }
    for ia in o.ia_pds() {
        ias.push(IaOut {
            pd: true,
            iaid: ia.iaid,
            t1: ia.t1,
            t2: ia.t2,
            status: ia.options.status_code().map(|s| s.0),
            leases: ia
                .options
                .typed::<IaPrefix>()
                .map(|p| Lease {
                    addr: p.prefix,
                    plen: p.prefix_len,
                    preferred: p.preferred,
                    valid: p.valid,
                    exclude: p.options.get(code::PD_EXCLUDE).map(|d| d.to_vec()),
                })
                .collect(),
        });
    }
    Parsed {
        t: m.msg_type(),
        xid: m.transaction_id(),
        server_id: o.server_id().map(|s| s.to_vec()),
        client_id: o.client_id().map(|s| s.to_vec()),
        status: o.status_code().map(|s| s.0),
        rapid: o.rapid_commit(),
        ias,
        codes: o.iter().map(|x| x.code).collect(),
    }
}

impl Parsed {
    fn ia(&self, pd: bool, iaid: u32) -> &IaOut {
        self.ias
            .iter()
            .find(|i| i.pd == pd && i.iaid == iaid)
            .unwrap_or_else(|| panic!("no IA {iaid} (pd {pd}) in {self:?}"))
    }
    fn addr(&self, iaid: u32) -> Ipv6Addr {
        let ia = self.ia(false, iaid);
        assert_eq!(ia.leases.len(), 1, "{ia:?}");
        ia.leases[0].addr
    }
    fn prefix(&self, iaid: u32) -> (Ipv6Addr, u8) {
        let ia = self.ia(true, iaid);
        assert_eq!(ia.leases.len(), 1, "{ia:?}");
        (ia.leases[0].addr, ia.leases[0].plen)
    }
}

struct Harness {
    shard: ShardV6,
    out: Vec<u8>,
}

impl Harness {
    fn new(rt: Arc<RuntimeV6>) -> Harness {
        Harness::with_leases(rt, vec![])
    }

    fn with_leases(rt: Arc<RuntimeV6>, leases: Vec<Lease6>) -> Harness {
        Harness {
            shard: ShardV6::new(rt, leases),
            out: vec![0; 1500],
        }
    }

    fn send_raw(
        &mut self,
        now: u64,
        bytes: &[u8],
        ctx: &Context6<'_>,
    ) -> Option<(Reply6, Vec<u8>)> {
        let r = self.shard.handle(now, bytes, ctx, &mut self.out)?;
        Some((r, self.out[..r.len].to_vec()))
    }

    fn send_at(&mut self, now: u64, m: &Msg) -> Option<(Reply6, Parsed)> {
        let c = ctx(link_local(m.client), MCAST);
        let (r, bytes) = self.send_raw(now, &m.bytes(), &c)?;
        Some((r, parse(&bytes)))
    }

    fn send(&mut self, m: &Msg) -> Option<(Reply6, Parsed)> {
        self.send_at(NOW, m)
    }

    fn changes(&mut self) -> Vec<LeaseChange6> {
        let mut v = vec![];
        self.shard.take_changes(&mut v);
        v
    }

    fn stat(&self, name: &str) -> u64 {
        self.shard
            .stats
            .snapshot()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no statistic {name}"))
    }

    fn na(&self, a: Ipv6Addr) -> Option<&Lease6> {
        self.shard.lease(Lease6Key::new(Lease6Type::Na, a))
    }

    fn pd(&self, p: Ipv6Addr) -> Option<&Lease6> {
        self.shard.lease(Lease6Key::new(Lease6Type::Pd, p))
    }

    /// Solicit then Request for one IA_NA (iaid 1) and one IA_PD (iaid 2).
    fn sarr(&mut self, client: u8) -> (Ipv6Addr, (Ipv6Addr, u8)) {
        let (_, adv) = self
            .send(&msg(MessageType::Solicit, client).na(1, &[]).pd(2, &[]))
            .expect("advertise");
        assert_eq!(adv.t, MessageType::Advertise);
        let (a, p) = (adv.addr(1), adv.prefix(2));
        let (_, rep) = self
            .send(
                &msg(MessageType::Request, client)
                    .ours()
                    .na(1, &[a])
                    .pd(2, &[p]),
            )
            .expect("reply");
        assert_eq!(rep.t, MessageType::Reply);
        assert_eq!((rep.addr(1), rep.prefix(2)), (a, p));
        (a, p)
    }
}

#[test]
fn solicit_advertise_request_reply_with_ia_na_and_ia_pd() {
    let mut h = Harness::new(basic());
    let s = msg(MessageType::Solicit, 1).na(1, &[]).pd(2, &[]);
    let (r, adv) = h.send(&s).unwrap();
    assert_eq!(r.kind, ReplyKind6::Advertise);
    assert_eq!(r.dest, SocketAddrV6::new(link_local(1), 546, 0, 2));
    assert_eq!(adv.t, MessageType::Advertise);
    assert_eq!(adv.xid, 0x1001);
    assert_eq!(adv.server_id.as_deref(), Some(&SERVER_DUID[..]));
    assert_eq!(adv.client_id, Some(duid(1)));
    assert!(
        !adv.codes.contains(&code::PREFERENCE),
        "no preference unless configured"
    );
    assert!(!adv.codes.contains(&code::RECONF_ACCEPT));
    assert!(adv.codes.contains(&code::DNS_SERVERS), "requested in ORO");
    assert!(!adv.codes.contains(&code::SNTP_SERVERS), "not requested");
    assert!(!adv.codes.contains(&code::DOMAIN_SEARCH), "not requested");
    let na = adv.ia(false, 1);
    assert_eq!((na.t1, na.t2, na.status), (1000, 2000, None));
    assert_eq!(na.leases[0].addr, ip("2001:db8:1::100"));
    assert_eq!((na.leases[0].preferred, na.leases[0].valid), (3000, 4000));
    let pd = adv.ia(true, 2);
    assert_eq!((pd.t1, pd.t2), (1000, 2000));
    assert_eq!(
        (pd.leases[0].addr, pd.leases[0].plen),
        (ip("2001:db8:100::"), 56)
    );
    assert!(pd.leases[0].exclude.is_none());
    assert!(h.changes().is_empty(), "an Advertise persists nothing");
    assert_eq!(h.shard.lease_count(), 0);

    let req = msg(MessageType::Request, 1)
        .ours()
        .na(1, &[ip("2001:db8:1::100")])
        .pd(2, &[(ip("2001:db8:100::"), 56)]);
    let (r, rep) = h.send(&req).unwrap();
    assert_eq!(r.kind, ReplyKind6::Reply);
    assert_eq!(rep.addr(1), ip("2001:db8:1::100"));
    assert_eq!(rep.prefix(2), (ip("2001:db8:100::"), 56));
    assert_eq!(
        h.changes(),
        vec![
            LeaseChange6::Upsert(Lease6Key::new(Lease6Type::Na, ip("2001:db8:1::100"))),
            LeaseChange6::Upsert(Lease6Key::new(Lease6Type::Pd, ip("2001:db8:100::"))),
        ]
    );
    let l = h.na(ip("2001:db8:1::100")).unwrap();
    assert_eq!(l.duid, duid(1));
    assert_eq!((l.iaid, l.subnet_id, l.prefix_len), (1, 1, 128));
    assert_eq!(
        (l.preferred_lifetime, l.valid_lifetime, l.cltt),
        (3000, 4000, NOW)
    );
    assert_eq!(l.hwaddr.as_deref(), Some(&[2, 0, 0, 0, 0, 1][..]));
    assert_eq!(l.htype, 1);
    assert_eq!(l.state, LeaseState::Default);
    let p = h.pd(ip("2001:db8:100::")).unwrap();
    assert_eq!(
        (p.iaid, p.prefix_len, p.lease_type),
        (2, 56, Lease6Type::Pd)
    );
    assert_eq!(h.stat("subnet[1].assigned-nas"), 1);
    assert_eq!(h.stat("subnet[1].assigned-pds"), 1);
    // The next client gets the next address and prefix.
    let (a, p) = h.sarr(2);
    assert_eq!(a, ip("2001:db8:1::101"));
    assert_eq!(p, (ip("2001:db8:100:100::"), 56));
}

#[test]
fn two_ia_na_and_one_ia_pd_are_each_answered() {
    let mut h = Harness::new(basic());
    let req = msg(MessageType::Request, 1)
        .ours()
        .na(10, &[])
        .na(11, &[])
        .pd(12, &[]);
    let (_, rep) = h.send(&req).unwrap();
    assert_eq!(rep.ias.len(), 3);
    let (a, b) = (rep.addr(10), rep.addr(11));
    assert_ne!(a, b);
    let p = rep.prefix(12);
    assert_eq!(h.na(a).unwrap().iaid, 10);
    assert_eq!(h.na(b).unwrap().iaid, 11);
    assert_eq!(h.pd(p.0).unwrap().iaid, 12);
    assert_eq!(h.stat("subnet[1].assigned-nas"), 2);
    // Asking again gives the same bindings, IA for IA.
    let (_, again) = h.send(&req).unwrap();
    assert_eq!(
        (again.addr(10), again.addr(11), again.prefix(12)),
        (a, b, p)
    );
    assert_eq!(h.shard.lease_count(), 3);
}

#[test]
fn rapid_commit_when_the_subnet_allows_it() {
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0", "rapid-commit": true,
        "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ] }"#,
    );
    let mut h = Harness::new(rt);
    let mut s = msg(MessageType::Solicit, 1).na(1, &[]);
    s.rapid = true;
    let (r, rep) = h.send(&s).unwrap();
    assert_eq!(r.kind, ReplyKind6::Reply);
    assert_eq!(rep.t, MessageType::Reply);
    assert!(rep.rapid);
    let a = rep.addr(1);
    assert_eq!(
        h.changes(),
        vec![LeaseChange6::Upsert(Lease6Key::new(Lease6Type::Na, a))]
    );
    assert_eq!(h.stat("pkt6-reply-sent"), 1);
    // Without the client's option: an ordinary Advertise.
    let (r, adv) = h.send(&msg(MessageType::Solicit, 2).na(1, &[])).unwrap();
    assert_eq!(r.kind, ReplyKind6::Advertise);
    assert!(!adv.rapid);
    assert!(h.changes().is_empty());
}

#[test]
fn rapid_commit_is_ignored_when_the_subnet_does_not_allow_it() {
    let mut h = Harness::new(basic());
    let mut s = msg(MessageType::Solicit, 1).na(1, &[]).pd(2, &[]);
    s.rapid = true;
    let (r, adv) = h.send(&s).unwrap();
    assert_eq!(r.kind, ReplyKind6::Advertise);
    assert!(!adv.rapid);
    assert!(h.changes().is_empty());
    assert_eq!(h.shard.lease_count(), 0);
    assert_eq!(h.stat("pkt6-advertise-sent"), 1);
}

#[test]
fn advertise_persists_nothing_and_preference_only_when_configured() {
    let mut h = Harness::new(basic());
    for c in 1..=5 {
        h.send(&msg(MessageType::Solicit, c).na(1, &[]).pd(2, &[]))
            .unwrap();
    }
    assert!(h.changes().is_empty());
    assert_eq!(h.shard.lease_count(), 0);
    assert_eq!(h.stat("subnet[1].assigned-nas"), 0);

    let rt = config(
        r#""option-data": [ { "name": "preference", "data": "200" } ],"#,
        r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0",
             "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ] }"#,
    );
    let mut h = Harness::new(rt);
    let c = ctx(link_local(1), MCAST);
    let (_, bytes) = h
        .send_raw(NOW, &msg(MessageType::Solicit, 1).na(1, &[]).bytes(), &c)
        .unwrap();
    let (m, _) = unwrap_relays(&bytes).unwrap();
    assert_eq!(m.options().preference(), Some(200));
}

#[test]
fn renew_extends_the_binding() {
    let mut h = Harness::new(basic());
    let (a, p) = h.sarr(1);
    h.changes();
    let later = NOW + 1000;
    let renew = msg(MessageType::Renew, 1).ours().na(1, &[a]).pd(2, &[p]);
    let (r, rep) = h.send_at(later, &renew).unwrap();
    assert_eq!(r.kind, ReplyKind6::Reply);
    assert_eq!(rep.addr(1), a);
    assert_eq!(rep.prefix(2), p);
    let na = rep.ia(false, 1);
    assert_eq!((na.t1, na.t2, na.leases[0].valid), (1000, 2000, 4000));
    assert_eq!(h.na(a).unwrap().cltt, later);
    assert_eq!(h.pd(p.0).unwrap().cltt, later);
    assert_eq!(h.changes().len(), 2);
    assert_eq!(h.shard.lease_count(), 2);
    assert_eq!(h.stat("pkt6-renew-received"), 1);
    // A Renew that lists nothing in its IA still renews the binding.
    let (_, rep) = h
        .send(&msg(MessageType::Renew, 1).ours().na(1, &[]))
        .unwrap();
    assert_eq!(rep.addr(1), a);
}

#[test]
fn renew_of_an_unknown_ia_gets_no_binding() {
    let mut h = Harness::new(basic());
    let (a, _) = h.sarr(1);
    h.changes();
    let renew = msg(MessageType::Renew, 1).ours().na(7, &[]).pd(8, &[]);
    let (_, rep) = h.send(&renew).unwrap();
    assert_eq!(rep.ia(false, 7).status, Some(StatusCode::NoBinding as u16));
    assert_eq!(rep.ia(true, 8).status, Some(StatusCode::NoBinding as u16));
    assert!(rep.ia(false, 7).leases.is_empty());
    assert_eq!((rep.ia(false, 7).t1, rep.ia(false, 7).t2), (0, 0));
    // Another client naming this client's address has no binding either.
    let (_, rep) = h
        .send(&msg(MessageType::Renew, 2).ours().na(1, &[a]))
        .unwrap();
    assert_eq!(rep.ia(false, 1).status, Some(StatusCode::NoBinding as u16));
    assert!(h.changes().is_empty());
    assert_eq!(h.na(a).unwrap().duid, duid(1));
}

#[test]
fn renew_listing_an_address_that_is_not_the_clients_gets_lifetimes_zero() {
    let mut h = Harness::new(basic());
    let (a1, _) = h.sarr(1);
    let (a2, _) = h.sarr(2);
    let renew = msg(MessageType::Renew, 1)
        .ours()
        .na(1, &[a2, ip("2001:db8:9::1")]);
    let (_, rep) = h.send(&renew).unwrap();
    let ia = rep.ia(false, 1);
    let by = |a: Ipv6Addr| ia.leases.iter().find(|l| l.addr == a).unwrap().clone();
    assert_eq!((by(a2).preferred, by(a2).valid), (0, 0));
    assert_eq!(by(ip("2001:db8:9::1")).valid, 0);
    // The client's own binding is extended and returned too.
    assert_eq!((by(a1).preferred, by(a1).valid), (3000, 4000));
    assert_eq!(h.na(a2).unwrap().duid, duid(2), "client 2 keeps its lease");
}

#[test]
fn renew_takes_back_prefixes_the_client_left_out() {
    let mut h = Harness::new(basic());
    let (_, p) = h.sarr(1);
    let other = (ip("2001:db8:1ff::"), 56);
    let (_, rep) = h
        .send(&msg(MessageType::Renew, 1).ours().pd(2, &[other]))
        .unwrap();
    let ia = rep.ia(true, 2);
    assert!(ia.leases.iter().all(|l| l.valid == 0), "{ia:?}");
    assert!(ia.leases.iter().any(|l| l.addr == p.0));
    assert!(h.pd(p.0).is_none());
    assert!(h.pd(other.0).is_none());
}

#[test]
fn rebind_extends_and_handles_unknown_leases() {
    let mut h = Harness::new(basic());
    let (a, p) = h.sarr(1);
    h.changes();
    let later = NOW + 2500;
    let (_, rep) = h
        .send_at(later, &msg(MessageType::Rebind, 1).na(1, &[a]).pd(2, &[p]))
        .unwrap();
    assert_eq!(rep.t, MessageType::Reply);
    assert_eq!(rep.addr(1), a);
    assert_eq!(rep.ia(false, 1).leases[0].valid, 4000);
    assert_eq!(rep.prefix(2), p);
    assert_eq!(h.na(a).unwrap().cltt, later);
    // With a server id it is not a Rebind the server takes.
    assert!(
        h.send(&msg(MessageType::Rebind, 1).ours().na(1, &[a]))
            .is_none()
    );
    // A client unknown here rebinding a free pool address gets it bound (RFC 8415
    // 18.3.5); an address from another link comes back with lifetimes 0.
    let free = ip("2001:db8:1::1f0");
    let (_, rep) = h
        .send(
            &msg(MessageType::Rebind, 5)
                .na(1, &[free])
                .na(2, &[ip("2001:db8:2::100")]),
        )
        .unwrap();
    assert_eq!(rep.ia(false, 1).leases[0].valid, 4000);
    assert_eq!(h.na(free).unwrap().duid, duid(5));
    assert_eq!(rep.ia(false, 2).leases[0].valid, 0);
    assert!(h.na(ip("2001:db8:2::100")).is_none());
    // Rebinding another client's address: lifetimes 0, nothing taken.
    let (_, rep) = h.send(&msg(MessageType::Rebind, 6).na(1, &[a])).unwrap();
    assert_eq!(rep.ia(false, 1).leases[0].valid, 0);
    assert_eq!(h.na(a).unwrap().duid, duid(1));
    // Nothing listed and no binding: NoBinding.
    let (_, rep) = h.send(&msg(MessageType::Rebind, 7).na(1, &[])).unwrap();
    assert_eq!(rep.ia(false, 1).status, Some(StatusCode::NoBinding as u16));
}

#[test]
fn release_frees_the_lease_for_another_client() {
    let mut h = Harness::new(basic());
    let (a, p) = h.sarr(1);
    h.changes();
    let rel = msg(MessageType::Release, 1)
        .ours()
        .na(1, &[a])
        .pd(2, &[p])
        .na(9, &[]);
    let (r, rep) = h.send_at(NOW + 10, &rel).unwrap();
    assert_eq!(r.kind, ReplyKind6::Reply);
    assert_eq!(rep.status, Some(StatusCode::Success as u16));
    assert_eq!(rep.ias.len(), 1, "only the IA without a binding: {rep:?}");
    assert_eq!(rep.ia(false, 9).status, Some(StatusCode::NoBinding as u16));
    assert!(h.na(a).is_none() && h.pd(p.0).is_none());
    assert_eq!(
        h.changes(),
        vec![
            LeaseChange6::Delete(Lease6Key::new(Lease6Type::Na, a), NOW + 10),
            LeaseChange6::Delete(Lease6Key::new(Lease6Type::Pd, p.0), NOW + 10),
        ]
    );
    assert_eq!(h.stat("subnet[1].assigned-nas"), 0);
    assert_eq!(h.stat("subnet[1].assigned-pds"), 0);
    // Another client asking for it gets it.
    let (_, rep) = h
        .send(&msg(MessageType::Request, 2).ours().na(1, &[a]).pd(2, &[p]))
        .unwrap();
    assert_eq!((rep.addr(1), rep.prefix(2)), (a, p));
    assert_eq!(h.na(a).unwrap().duid, duid(2));
    // A release from a client that does not hold the lease changes nothing.
    let (_, rep) = h
        .send(&msg(MessageType::Release, 1).ours().na(1, &[a]))
        .unwrap();
    assert_eq!(rep.ia(false, 1).status, Some(StatusCode::NoBinding as u16));
    assert_eq!(h.na(a).unwrap().duid, duid(2));
}

#[test]
fn decline_parks_the_address_for_the_probation_period() {
    let mut h = Harness::new(basic());
    let (a, _) = h.sarr(1);
    h.changes();
    let (_, rep) = h
        .send(&msg(MessageType::Decline, 1).ours().na(1, &[a]))
        .unwrap();
    assert_eq!(rep.status, Some(StatusCode::Success as u16));
    assert!(rep.ias.is_empty());
    let l = h.na(a).unwrap();
    assert_eq!(l.state, LeaseState::Declined);
    assert_eq!(l.duid, vec![0]);
    assert_eq!(
        (l.valid_lifetime, l.preferred_lifetime, l.cltt),
        (600, 0, NOW)
    );
    assert!(l.hwaddr.is_none());
    assert_eq!(
        h.changes(),
        vec![LeaseChange6::Upsert(Lease6Key::new(Lease6Type::Na, a))]
    );
    assert_eq!(h.stat("declined-addresses"), 1);
    assert_eq!(h.stat("subnet[1].declined-addresses"), 1);
    // Nobody gets it during probation, not even by asking.
    let (_, rep) = h
        .send(&msg(MessageType::Request, 2).ours().na(1, &[a]))
        .unwrap();
    assert_ne!(rep.addr(1), a);
    // The client's IA has no binding any more.
    let (_, rep) = h
        .send(&msg(MessageType::Renew, 1).ours().na(1, &[a]))
        .unwrap();
    assert_eq!(rep.ia(false, 1).status, Some(StatusCode::NoBinding as u16));
    // After probation, reclamation brings it back.
    assert_eq!(h.shard.reclaim(NOW + 601, 100, false), 1);
    assert!(h.na(a).is_none());
    assert_eq!(h.stat("reclaimed-declined-addresses"), 1);
    assert_eq!(h.stat("subnet[1].reclaimed-declined-addresses"), 1);
    assert_eq!(h.stat("declined-addresses"), 0);
}

#[test]
fn confirm_success_and_not_on_link() {
    let mut h = Harness::new(basic());
    let (a, _) = h.sarr(1);
    let (_, rep) = h.send(&msg(MessageType::Confirm, 1).na(1, &[a])).unwrap();
    assert_eq!(rep.status, Some(StatusCode::Success as u16));
    assert!(rep.ias.is_empty());
    let (_, rep) = h
        .send(&msg(MessageType::Confirm, 1).na(1, &[a, ip("2001:db8:2::100")]))
        .unwrap();
    assert_eq!(rep.status, Some(StatusCode::NotOnLink as u16));
    // No addresses: no reply (RFC 8415 18.3.3).
    assert!(h.send(&msg(MessageType::Confirm, 1).na(1, &[])).is_none());
    assert!(h.changes().len() == 2, "confirm changes nothing");
}

#[test]
fn information_request_gets_options_only() {
    let mut h = Harness::new(basic());
    let mut m = msg(MessageType::InformationRequest, 1).na(1, &[]);
    m.oro = vec![code::DNS_SERVERS, code::DOMAIN_SEARCH];
    let (r, rep) = h.send(&m).unwrap();
    assert_eq!(r.kind, ReplyKind6::Reply);
    assert!(rep.ias.is_empty());
    assert!(rep.codes.contains(&code::DNS_SERVERS));
    assert!(rep.codes.contains(&code::DOMAIN_SEARCH), "subnet option");
    assert!(!rep.codes.contains(&code::SNTP_SERVERS));
    assert_eq!(rep.server_id.as_deref(), Some(&SERVER_DUID[..]));
    assert_eq!(h.shard.lease_count(), 0);
    // Without a client identifier too.
    m.client_id = None;
    let (_, rep) = h.send(&m).unwrap();
    assert_eq!(rep.client_id, None);
    assert_eq!(h.stat("pkt6-infrequest-received"), 2);
    // With another server's identifier: not ours.
    m.server_id = Some(vec![0, 2, 0, 0, 0, 1, 9]);
    assert!(h.send(&m).is_none());
}

#[test]
fn relayed_solicit_through_two_relays_gets_a_nested_relay_reply() {
    let mut h = Harness::new(basic());
    let relay1 = ip("2001:db8:ffff::1");
    let relay2 = ip("2001:db8:2::1");
    let levels: [Relay; 2] = [
        (1, Ipv6Addr::UNSPECIFIED, relay2, Some(b"outer-if")),
        (0, ip("2001:db8:2::1"), link_local(1), Some(b"inner-if")),
    ];
    let inner = msg(MessageType::Solicit, 1).na(1, &[]).pd(2, &[]).bytes();
    let bytes = relayed(&levels, &inner);
    let c = ctx(relay1, ip("2001:db8:1::1"));
    let (r, out) = h.send_raw(NOW, &bytes, &c).unwrap();
    assert_eq!(r.kind, ReplyKind6::Advertise);
    assert_eq!(r.dest, SocketAddrV6::new(relay1, 547, 0, 2));
    let (m, chain) = unwrap_relays(&out).unwrap();
    assert_eq!(chain.len(), 2);
    for (got, want) in chain.iter().zip(&levels) {
        assert_eq!(got.msg_type, MessageType::RelayRepl);
        assert_eq!(got.hop_count, want.0);
        assert_eq!(got.link, want.1);
        assert_eq!(got.peer, want.2);
        assert_eq!(got.interface_id, want.3);
    }
    assert_eq!(m.msg_type(), MessageType::Advertise);
    let p = parse(&out);
    assert_eq!(p.addr(1), ip("2001:db8:2::100"), "subnet 2 by link-address");
    // The prefix carries the pool's excluded prefix (RFC 6603): /64 inside a /56, so
    // one byte of subnet id: 0xab.
    let pfx = &p.ia(true, 2).leases[0];
    assert_eq!((pfx.addr, pfx.plen), (ip("2001:db8:300::"), 56));
    assert_eq!(pfx.exclude.as_deref(), Some(&[64, 0xab][..]));
    // A Request relayed the same way commits in subnet 2.
    let req = msg(MessageType::Request, 1)
        .ours()
        .na(1, &[ip("2001:db8:2::100")])
        .bytes();
    let (r, out) = h.send_raw(NOW, &relayed(&levels, &req), &c).unwrap();
    assert_eq!(r.kind, ReplyKind6::Reply);
    assert_eq!(parse(&out).addr(1), ip("2001:db8:2::100"));
    assert_eq!(h.na(ip("2001:db8:2::100")).unwrap().subnet_id, 2);
    assert_eq!(h.stat("pkt6-solicit-received"), 1);
}

#[test]
fn subnet_selection_by_link_address_and_interface_id() {
    let mut h = Harness::new(basic());
    let relay = ip("2001:db8:ffff::1");
    let c = ctx(relay, ip("2001:db8:1::1"));
    let solicit = msg(MessageType::Solicit, 1).na(1, &[]).bytes();
    let by_link = relayed(&[(0, ip("2001:db8:4::1"), link_local(1), None)], &solicit);
    let (_, out) = h.send_raw(NOW, &by_link, &c).unwrap();
    assert_eq!(parse(&out).addr(1), ip("2001:db8:4::100"));
    let by_iid = relayed(
        &[(
            0,
            Ipv6Addr::UNSPECIFIED,
            link_local(1),
            Some(b"relay-port-7"),
        )],
        &solicit,
    );
    let (_, out) = h.send_raw(NOW, &by_iid, &c).unwrap();
    assert_eq!(parse(&out).addr(1), ip("2001:db8:3::100"));
    // A link-local link-address names no subnet: no subnet, so NoAddrsAvail.
    let unknown = relayed(&[(0, ip("fe80::1"), link_local(1), None)], &solicit);
    let (_, out) = h.send_raw(NOW, &unknown, &c).unwrap();
    assert_eq!(
        parse(&out).ia(false, 1).status,
        Some(StatusCode::NoAddrsAvail as u16)
    );
    // Direct: the receiving interface's subnet.
    let (_, adv) = h.send(&msg(MessageType::Solicit, 1).na(1, &[])).unwrap();
    assert_eq!(adv.addr(1), ip("2001:db8:1::100"));
}

#[test]
fn reservations_by_duid() {
    let mut h = Harness::new(basic());
    let (_, rep) = h
        .send(&msg(MessageType::Request, 0x99).ours().na(1, &[]).pd(2, &[]))
        .unwrap();
    assert_eq!(rep.addr(1), ip("2001:db8:1::99"));
    assert_eq!(rep.prefix(2), (ip("2001:db8:200::"), 56));
    assert_eq!(
        h.na(ip("2001:db8:1::99")).unwrap().hostname,
        "reserved-host"
    );
    // Another client cannot take the reserved address, even by asking for it.
    let (_, rep) = h
        .send(
            &msg(MessageType::Request, 3)
                .ours()
                .na(1, &[ip("2001:db8:1::99")]),
        )
        .unwrap();
    assert_eq!(rep.addr(1), ip("2001:db8:1::100"));
    // The reserved client renews its reserved (out-of-pool) address.
    let (_, rep) = h
        .send(
            &msg(MessageType::Renew, 0x99)
                .ours()
                .na(1, &[ip("2001:db8:1::99")]),
        )
        .unwrap();
    assert_eq!(rep.ia(false, 1).leases[0].valid, 4000);
}

#[test]
fn pool_exhaustion_gives_no_addrs_avail_and_no_prefix_avail() {
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0",
        "pools": [ { "pool": "2001:db8:1::10 - 2001:db8:1::11" } ],
        "pd-pools": [ { "prefix": "2001:db8:100::", "prefix-len": 55, "delegated-len": 56 } ] }"#,
    );
    let mut h = Harness::new(rt);
    h.sarr(1);
    h.sarr(2);
    assert_eq!(h.stat("subnet[1].total-nas"), 2);
    assert_eq!(h.stat("subnet[1].total-pds"), 2);
    let (_, adv) = h
        .send(&msg(MessageType::Solicit, 3).na(1, &[]).pd(2, &[]))
        .unwrap();
    let na = adv.ia(false, 1);
    assert_eq!(na.status, Some(StatusCode::NoAddrsAvail as u16));
    assert!(na.leases.is_empty());
    assert_eq!((na.t1, na.t2), (0, 0));
    assert_eq!(
        adv.ia(true, 2).status,
        Some(StatusCode::NoPrefixAvail as u16)
    );
    let (_, rep) = h
        .send(&msg(MessageType::Request, 3).ours().na(1, &[]).pd(2, &[]))
        .unwrap();
    assert_eq!(
        rep.ia(false, 1).status,
        Some(StatusCode::NoAddrsAvail as u16)
    );
    assert_eq!(h.shard.lease_count(), 4);
    // Expired leases are reused.
    let (_, rep) = h
        .send_at(
            NOW + 5000,
            &msg(MessageType::Request, 3).ours().na(1, &[]).pd(2, &[]),
        )
        .unwrap();
    assert_eq!(rep.ia(false, 1).leases.len(), 1);
    assert_eq!(rep.ia(true, 2).leases.len(), 1);
    assert_eq!(h.shard.lease_count(), 4);
}

#[test]
fn a_64_pool_allocates_without_a_bitmap() {
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0",
        "pools": [ { "pool": "2001:db8:1::/64" } ] }"#,
    );
    let mut h = Harness::new(rt);
    assert_eq!(h.stat("subnet[1].total-nas"), i64::MAX as u64);
    let mut seen = std::collections::HashSet::new();
    for c in 1..=20 {
        let (_, rep) = h
            .send(&msg(MessageType::Request, c).ours().na(1, &[]))
            .unwrap();
        let a = rep.addr(1);
        assert!(seen.insert(a));
        // Not the server's own address (2001:db8:1::1).
        assert_ne!(a, ip("2001:db8:1::1"));
    }
}

#[test]
fn unicast_requests_get_use_multicast_unless_allowed() {
    let mut h = Harness::new(basic());
    let unicast = ctx(link_local(1), ip("2001:db8:1::1"));
    let req = msg(MessageType::Request, 1).ours().na(1, &[]);
    let (r, out) = h.send_raw(NOW, &req.bytes(), &unicast).unwrap();
    let rep = parse(&out);
    assert_eq!(r.kind, ReplyKind6::Reply);
    assert_eq!(rep.status, Some(StatusCode::UseMulticast as u16));
    assert!(rep.ias.is_empty());
    assert_eq!(rep.client_id, Some(duid(1)));
    assert!(h.changes().is_empty());
    // Solicit to a unicast address is dropped.
    assert!(
        h.send_raw(
            NOW,
            &msg(MessageType::Solicit, 1).na(1, &[]).bytes(),
            &unicast
        )
        .is_none()
    );
    assert_eq!(h.stat("pkt6-receive-drop"), 1);
    // With the server listening on that unicast address, the Request is served.
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0",
             "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ] }"#,
    );
    let mut cfg = rt.cfg.clone();
    cfg.interfaces[0].address = Some(ip("2001:db8:1::1"));
    cfg.subnets = vec![rt.subnets[0].cfg.clone()];
    let mut h = Harness::new(Arc::new(RuntimeV6::new(cfg, SERVER_DUID.to_vec())));
    let (_, out) = h.send_raw(NOW, &req.bytes(), &unicast).unwrap();
    assert_eq!(parse(&out).addr(1), ip("2001:db8:1::100"));
}

#[test]
fn statistics_use_keas_names() {
    let mut h = Harness::new(basic());
    h.sarr(1);
    let c = ctx(link_local(1), MCAST);
    assert!(h.send_raw(NOW, &[1, 2, 3], &c).is_none());
    // An Advertise sent to the server is counted and dropped.
    assert!(h.send(&msg(MessageType::Advertise, 1)).is_none());
    // A Request without a server id is dropped.
    assert!(h.send(&msg(MessageType::Request, 1).na(1, &[])).is_none());
    for (name, v) in [
        ("pkt6-received", 5),
        ("pkt6-solicit-received", 1),
        ("pkt6-request-received", 2),
        ("pkt6-advertise-received", 1),
        ("pkt6-advertise-sent", 1),
        ("pkt6-reply-sent", 1),
        ("pkt6-sent", 2),
        ("pkt6-parse-failed", 1),
        ("pkt6-receive-drop", 3),
        ("subnet[1].total-nas", 256),
        ("subnet[1].assigned-nas", 1),
        ("subnet[1].total-pds", 65536),
        ("subnet[1].assigned-pds", 1),
        ("subnet[2].total-pds", 256),
        ("subnet[4].total-pds", 4096),
        ("subnet[1].declined-addresses", 0),
        ("subnet[1].reclaimed-leases", 0),
        ("declined-addresses", 0),
        ("reclaimed-leases", 0),
    ] {
        assert_eq!(h.stat(name), v, "{name}");
    }
    assert_eq!(h.shard.stats.get(Counter6::Received), 5);
    let names: Vec<String> = h
        .shard
        .stats
        .snapshot()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        !names.contains(&"pkt6-renew-received".to_string()),
        "not seen yet"
    );
    // Expiry and reclamation.
    assert_eq!(h.shard.reclaim(NOW + 4001, 100, false), 2);
    assert_eq!(h.stat("reclaimed-leases"), 2);
    assert_eq!(h.stat("subnet[1].reclaimed-leases"), 2);
    assert_eq!(h.stat("subnet[1].assigned-nas"), 0);
    assert_eq!(h.stat("subnet[1].assigned-pds"), 0);
}

#[test]
fn reclaimed_leases_keep_affinity_until_flushed() {
    let mut h = Harness::new(basic());
    let (a, _) = h.sarr(1);
    h.shard.reclaim(NOW + 4001, 100, false);
    assert_eq!(h.na(a).unwrap().state, LeaseState::ExpiredReclaimed);
    let (_, adv) = h
        .send_at(NOW + 4002, &msg(MessageType::Solicit, 1).na(1, &[]))
        .unwrap();
    assert_eq!(adv.addr(1), a, "the client gets its old address back");
    // Removal mode.
    let mut h = Harness::new(basic());
    let (a, _) = h.sarr(1);
    assert_eq!(h.shard.reclaim(NOW + 4001, 100, true), 2);
    assert!(h.na(a).is_none());
}

#[test]
fn restart_with_recovered_leases_keeps_addresses() {
    let mut h = Harness::new(basic());
    let (a1, p1) = h.sarr(1);
    let (a2, p2) = h.sarr(2);
    let recovered: Vec<Lease6> = h.shard.leases().cloned().collect();
    let mut h = Harness::with_leases(basic(), recovered);
    assert_eq!(h.stat("subnet[1].assigned-nas"), 2);
    assert_eq!(h.stat("subnet[1].assigned-pds"), 2);
    let (_, adv) = h
        .send(&msg(MessageType::Solicit, 1).na(1, &[]).pd(2, &[]))
        .unwrap();
    assert_eq!((adv.addr(1), adv.prefix(2)), (a1, p1));
    let (_, rep) = h
        .send(&msg(MessageType::Renew, 2).ours().na(1, &[a2]).pd(2, &[p2]))
        .unwrap();
    assert_eq!(rep.ia(false, 1).leases[0].valid, 4000);
    // A new client gets neither.
    let (_, adv) = h
        .send(&msg(MessageType::Solicit, 3).na(1, &[a1]).pd(2, &[p1]))
        .unwrap();
    assert!(![a1, a2].contains(&adv.addr(1)));
    assert!(![p1, p2].contains(&adv.prefix(2)));
}

#[test]
fn reconfigure_keeps_leases_and_recounts() {
    let mut h = Harness::new(basic());
    let (a, _) = h.sarr(1);
    h.shard.reconfigure(basic());
    assert_eq!(h.stat("subnet[1].assigned-nas"), 1);
    let (_, rep) = h
        .send(&msg(MessageType::Renew, 1).ours().na(1, &[a]))
        .unwrap();
    assert_eq!(rep.addr(1), a);
    // The address's pool is gone in a new configuration: the Renew returns it with
    // lifetimes 0 and the lease goes.
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0",
        "pools": [ { "pool": "2001:db8:1::500 - 2001:db8:1::5ff" } ] }"#,
    );
    h.shard.reconfigure(rt);
    let (_, rep) = h
        .send(&msg(MessageType::Renew, 1).ours().na(1, &[a]))
        .unwrap();
    assert_eq!(rep.ia(false, 1).leases[0].valid, 0);
    assert!(h.na(a).is_none());
}

fn random_msg(kind: u8, client: u8, iaid: u8, pick: u8, pd: bool) -> Msg {
    let t = match kind % 7 {
        0 => MessageType::Solicit,
        1 => MessageType::Request,
        2 => MessageType::Renew,
        3 => MessageType::Rebind,
        4 => MessageType::Release,
        5 => MessageType::Decline,
        _ => MessageType::Confirm,
    };
    let mut m = msg(t, client);
    if matches!(
        t,
        MessageType::Request | MessageType::Renew | MessageType::Release | MessageType::Decline
    ) {
        m = m.ours();
    }
    m.rapid = pick.is_multiple_of(3);
    let addr = Ipv6Addr::from(u128::from(ip("2001:db8:1::10")) + u128::from(pick % 12));
    let prefix = Ipv6Addr::from(u128::from(ip("2001:db8:100::")) + (u128::from(pick % 5) << 72));
    let other = Ipv6Addr::from(u128::from(addr) + u128::from(pick >> 4));
    let listed: &[Ipv6Addr] = match pick >> 6 {
        0 => &[],
        1 => &[addr],
        _ => &[addr, other],
    };
    let mut m = m.na(u32::from(iaid % 3), listed);
    if pick & 0x20 != 0 {
        // A second IA, sometimes with the same IAID.
        m = m.na(u32::from(pick & 1), &[other]);
    }
    if pd { m.pd(7, &[(prefix, 56)]) } else { m }
}

proptest! {
    #[test]
    fn no_byte_sequence_makes_the_core_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut shard = ShardV6::new(basic(), vec![]);
        let mut out = vec![0u8; 1500];
        let _ = shard.handle(NOW, &bytes, &ctx(link_local(1), MCAST), &mut out);
    }

    #[test]
    fn mutated_messages_never_panic(pos in 0usize..200, val in any::<u8>(), kind in 0u8..7, relay in any::<bool>()) {
        let mut shard = ShardV6::new(basic(), vec![]);
        let mut out = vec![0u8; 1500];
        let mut bytes = random_msg(kind, 1, 1, 3, true).bytes();
        if relay {
            bytes = relayed(&[(0, ip("2001:db8:2::1"), link_local(1), Some(b"x"))], &bytes);
        }
        if pos < bytes.len() { bytes[pos] = val; }
        let _ = shard.handle(NOW, &bytes, &ctx(link_local(1), MCAST), &mut out);
        let _ = shard.handle(NOW, &bytes, &ctx(link_local(1), ip("2001:db8:1::1")), &mut out);
    }

    #[test]
    fn random_traffic_never_leases_anything_twice(
        steps in proptest::collection::vec((0u8..7, 1u8..12, 0u8..3, any::<u8>(), any::<bool>(), 0u64..3000), 1..120)
    ) {
        let rt = config("", r#"{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0", "rapid-commit": true,
            "pools": [ { "pool": "2001:db8:1::10 - 2001:db8:1::17" } ],
            "pd-pools": [ { "prefix": "2001:db8:100::", "prefix-len": 54, "delegated-len": 56 } ],
            "reservations": [ { "duid": "00:03:00:01:02:00:00:00:00:05", "ip-addresses": [ "2001:db8:1::12" ] } ] }"#);
        let mut h = Harness::new(rt);
        let mut now = NOW;
        for (kind, client, iaid, pick, pd, dt) in steps {
            now += dt;
            let m = random_msg(kind, client, iaid, pick, pd);
            if kind.is_multiple_of(2) {
                h.shard.reclaim(now, 10, pick.is_multiple_of(2));
            }
            let Some((r, rep)) = h.send_at(now, &m) else { continue };
            if r.kind != ReplyKind6::Reply {
                continue;
            }
            // Whatever a Reply grants is the client's in the table.
            for ia in &rep.ias {
                for l in ia.leases.iter().filter(|l| l.valid > 0) {
                    let t = if ia.pd { Lease6Type::Pd } else { Lease6Type::Na };
                    let lease = h.shard.lease(Lease6Key::new(t, l.addr));
                    prop_assert!(lease.is_some_and(|x| x.duid == duid(client) && x.iaid == ia.iaid),
                        "granted {} to client {client} but the table says {lease:?}", l.addr);
                }
            }
            // No two live leases of different clients overlap; nothing leaves the pools
            // except the reservation.
            let live: Vec<&Lease6> = h.shard.leases().filter(|l| l.expire() > now && l.state == LeaseState::Default).collect();
            for (i, a) in live.iter().enumerate() {
                for b in &live[i + 1..] {
                    if a.lease_type == b.lease_type && a.lease_type == Lease6Type::Pd {
                        let m = u128::MAX << (128 - u32::from(a.prefix_len.min(b.prefix_len)));
                        prop_assert!(u128::from(a.address) & m != u128::from(b.address) & m, "{a:?} overlaps {b:?}");
                    }
                    if (a.duid.as_slice(), a.iaid, a.lease_type) == (b.duid.as_slice(), b.iaid, b.lease_type) {
                        prop_assert!(false, "one IA holds two live leases: {a:?} {b:?}");
                    }
                }
                if a.lease_type == Lease6Type::Na && a.address == ip("2001:db8:1::12") {
                    prop_assert_eq!(a.duid.as_slice(), &duid(5)[..]);
                }
            }
        }
        // Counters match the table.
        let live_na = h.shard.leases().filter(|l| l.lease_type == Lease6Type::Na && matches!(l.state, LeaseState::Default | LeaseState::Declined)).count() as u64;
        let live_pd = h.shard.leases().filter(|l| l.lease_type == Lease6Type::Pd && l.state == LeaseState::Default).count() as u64;
        prop_assert_eq!(h.stat("subnet[1].assigned-nas"), live_na);
        prop_assert_eq!(h.stat("subnet[1].assigned-pds"), live_pd);
    }
}

#[test]
fn allocation_after_a_restart_resumes_behind_the_recovered_leases() {
    // More leases at the start of the pools than one request may try candidates: the
    // cursors must resume behind them, not walk them again.
    let rt = config(
        "",
        r#"{ "id": 1, "subnet": "2001:db8:9::/64", "interface": "eth0",
             "pools": [ { "pool": "2001:db8:9::/64" } ],
             "pd-pools": [ { "prefix": "2001:db8:900::", "prefix-len": 40, "delegated-len": 56 } ] }"#,
    );
    let lease = |t: Lease6Type, address: Ipv6Addr, prefix_len: u8, n: u32| Lease6 {
        address,
        prefix_len,
        lease_type: t,
        duid: vec![0, 3, 0, 1, 0xee, (n >> 16) as u8, (n >> 8) as u8, n as u8].into(),
        iaid: 1,
        subnet_id: 1,
        preferred_lifetime: 3000,
        valid_lifetime: 4000,
        cltt: NOW,
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        hwaddr: None,
        htype: 0,
        hwaddr_source: 0,
        state: LeaseState::Default,
        user_context: None,
    };
    let na_base = u128::from(ip("2001:db8:9::"));
    let pd_base = u128::from(ip("2001:db8:900::"));
    let mut recovered = Vec::new();
    for n in 0..2500u32 {
        let na = Ipv6Addr::from(na_base + u128::from(n));
        recovered.push(lease(Lease6Type::Na, na, 128, n));
        let pd = Ipv6Addr::from(pd_base + (u128::from(n) << 72));
        recovered.push(lease(Lease6Type::Pd, pd, 56, n));
    }
    let mut h = Harness::with_leases(rt, recovered);
    let (a, (p, len)) = h.sarr(1);
    assert!(u128::from(a) >= na_base + 2500, "{a}");
    assert_eq!(len, 56);
    assert!(u128::from(p) >= pd_base + (2500u128 << 72), "{p}");
}
