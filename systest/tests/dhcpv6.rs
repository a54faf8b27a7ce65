//! The DHCPv6 service of xdhcpd against real DHCPv6 peers: ISC dhclient `-6 -N -P`,
//! dhcpcd with `ia_na`/`ia_pd`, Kea's `perfdhcp -6`, xdhcp's perfgen as a relay, a
//! hand-built two-level relay, and one xdhcpd serving DHCPv4 and DHCPv6 at once.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::sync::Mutex;
use std::time::Duration;
use xdhcp_systest::netio::in_ns;
use xdhcp_systest::util::{TempDir, wait_for};
use xdhcp_systest::v6::*;
use xdhcp_systest::*;
use xdhcp_wire::dhcpv6::{Builder, MessageType, RelayBuilder, RelayMessage, unwrap_relays};

/// The load tests run one at a time (2 cores).
static LOAD: Mutex<()> = Mutex::new(());

fn pool_has(addr: Ipv6Addr) -> bool {
    let a = u128::from(addr);
    let lo = u128::from(POOL6.0.parse::<Ipv6Addr>().unwrap());
    let hi = u128::from(POOL6.1.parse::<Ipv6Addr>().unwrap());
    (lo..=hi).contains(&a)
}

fn pd_pool_has(p: (Ipv6Addr, u8)) -> bool {
    let base = u128::from(PD_POOL.0.parse::<Ipv6Addr>().unwrap());
    let mask = u128::MAX << (128 - u32::from(PD_POOL.1));
    p.1 == PD_POOL.2 && u128::from(p.0) & mask == base
}

/// The NA and PD lease of the only client in the table.
fn one_client(srv: &Server6) -> (Lease6Row, Lease6Row) {
    let leases = srv.leases6();
    let na: Vec<_> = leases.iter().filter(|l| !l.is_pd()).collect();
    let pd: Vec<_> = leases.iter().filter(|l| l.is_pd()).collect();
    assert!(
        na.len() == 1 && pd.len() == 1,
        "expected one address and one prefix: {leases:?}"
    );
    assert_eq!(na[0].duid, pd[0].duid);
    (na[0].clone(), pd[0].clone())
}

#[test]
fn dhclient6_gets_address_and_prefix_renews_and_releases() {
    init(&["dhclient", "ip", "ss"]);
    let topo = topology6();
    let timers = Timers6 {
        preferred: 8,
        valid: 12,
        renew: 2,
        rebind: 4,
    };
    let mut srv = Server6::start(
        &topo.server_ns,
        &config6(&lan6_section(&topo.server_if, &topo.server_if, timers)),
    );
    // Only a Dhcp6 section: only DHCPv6 is served.
    let v4 = xdhcp_systest::util::run(
        "ip",
        &[
            "netns",
            "exec",
            &topo.server_ns,
            "ss",
            "-Huln",
            "sport = :67",
        ],
    );
    assert!(v4.stdout.is_empty(), "something listens on :67");
    let mut dc = Dhclient6::new(&topo.client_ns, &topo.client_if);
    dc.start();
    let (addr, prefix) = dc.wait_both(&["BOUND6"], 0, Duration::from_secs(30));
    assert!(pool_has(addr), "address {addr} outside the pool");
    assert!(pd_pool_has(prefix), "prefix {prefix:?} outside the pd-pool");
    let (na, pd) = one_client(&srv);
    assert_eq!((na.address, na.subnet_id), (addr, 1));
    assert_eq!((pd.address, pd.prefix_len), prefix);
    let first_expire = na.expire;

    // T1 = 2 s: dhclient renews and keeps both.
    let n = dc.events().len();
    let (addr2, prefix2) = dc.wait_both(&["RENEW6"], n, Duration::from_secs(15));
    assert_eq!((addr2, prefix2), (addr, prefix), "renew changed the lease");
    let renewed = wait_for(Duration::from_secs(5), || {
        let (na, pd) = one_client(&srv);
        (na.address == addr && pd.address == prefix.0 && na.expire > first_expire).then_some(())
    });
    assert!(renewed.is_some(), "lease not extended: {:?}", srv.leases6());
    let stats = srv.stats();
    assert!(stats.get("pkt6-renew-received") >= 1, "{stats:?}");
    assert_eq!(stats.get("subnet[1].assigned-nas"), 1);
    assert_eq!(stats.get("subnet[1].assigned-pds"), 1);

    // dhclient -r: the Release frees both.
    let out = dc.release();
    assert!(out.status.success(), "dhclient -6 -r: {out:?}");
    let gone = wait_for(Duration::from_secs(5), || {
        srv.leases6().is_empty().then_some(())
    });
    assert!(
        gone.is_some(),
        "released leases still there: {:?}",
        srv.leases6()
    );
    let stats = srv.stats();
    assert!(stats.get("pkt6-release-received") >= 1, "{stats:?}");
    assert_eq!(stats.get("subnet[1].assigned-nas"), 0);
    assert_eq!(stats.get("subnet[1].assigned-pds"), 0);
}

#[test]
fn dhcpcd6_gets_address_and_prefix_and_renews() {
    init(&["dhcpcd", "ip", "ss"]);
    let topo = topology6();
    let timers = Timers6 {
        preferred: 8,
        valid: 12,
        renew: 2,
        rebind: 4,
    };
    let srv = Server6::start(
        &topo.server_ns,
        &config6(&lan6_section(&topo.server_if, &topo.server_if, timers)),
    );
    let dc = Dhcpcd6::start(&topo.client_ns, &topo.client_if, false);
    let (addr, prefix) = dc.wait_both(&["BOUND6"], 0, Duration::from_secs(40));
    assert!(pool_has(addr), "address {addr} outside the pool");
    assert!(pd_pool_has(prefix), "prefix {prefix:?} outside the pd-pool");
    let (na, pd) = one_client(&srv);
    assert_eq!(na.address, addr);
    assert_eq!((pd.address, pd.prefix_len), prefix);
    assert_eq!((na.iaid, pd.iaid), (1, 2), "dhcpcd's ia_na 1 / ia_pd 2");
    let n = dc.events().len();
    let (addr2, prefix2) = dc.wait_both(&["RENEW6", "REBIND6"], n, Duration::from_secs(15));
    assert_eq!((addr2, prefix2), (addr, prefix), "renew changed the lease");
}

#[test]
fn dhcpv6_leases_and_server_duid_survive_restart() {
    init(&["dhclient", "ip", "ss"]);
    let topo = topology6();
    let mut srv = Server6::start(
        &topo.server_ns,
        &config6(&lan6_section(
            &topo.server_if,
            &topo.server_if,
            Timers6::default(),
        )),
    );
    let duid_before = srv.server_id_file().expect("server DUID file written");
    assert!(
        duid_before.starts_with("00:01:00:01:"),
        "DUID-LLT: {duid_before}"
    );
    let mut dc = Dhclient6::new(&topo.client_ns, &topo.client_if);
    dc.start();
    let (addr, prefix) = dc.wait_both(&["BOUND6"], 0, Duration::from_secs(30));
    dc.stop();
    let before = srv.leases6();
    assert_eq!(before.len(), 2, "{before:?}");

    srv.restart();
    assert_eq!(
        srv.leases6(),
        before,
        "lease table changed over the restart"
    );
    assert_eq!(srv.server_id_file(), Some(duid_before.clone()));
    assert!(
        srv.log()
            .matches(&format!("DHCPv6 server DUID {duid_before} (from "))
            .count()
            == 1,
        "the restarted server did not reuse the stored DUID; log:\n{}",
        srv.log()
    );

    // A fresh dhclient (new lease file, same DUID-LL and IAID) gets the same ones.
    let mut dc2 = Dhclient6::new(&topo.client_ns, &topo.client_if);
    dc2.start();
    let again = dc2.wait_both(&["BOUND6"], 0, Duration::from_secs(30));
    assert_eq!(again, (addr, prefix), "different lease after the restart");
    dc2.stop();
    let after = srv.leases6();
    assert_eq!(after.len(), 2, "{after:?}");
}

#[test]
fn perfdhcp6_1000_per_second_for_10_s() {
    init(&["perfdhcp", "ip", "ss"]);
    let _one = LOAD.lock().unwrap_or_else(|p| p.into_inner());
    let topo = topology6();
    let mut srv = Server6::start(
        &topo.server_ns,
        &config6(&lan6_section(
            &topo.server_if,
            &topo.server_if,
            Timers6::default(),
        )),
    );
    let r = perfdhcp6(&topo.client_ns, &topo.client_if, 1000, 10, 50_000);
    eprintln!("{}", r.output);
    let sa = r
        .exchange("SOLICIT-ADVERTISE")
        .cloned()
        .unwrap_or_else(|| panic!("no SOLICIT-ADVERTISE block:\n{}", r.output));
    let rr = r
        .exchange("REQUEST-REPLY")
        .cloned()
        .unwrap_or_else(|| panic!("no REQUEST-REPLY block:\n{}", r.output));
    assert!(sa.sent >= 9_500, "perfdhcp sent only {} Solicits", sa.sent);
    // perfdhcp -6 often misses its very first reply (TESTBED.md): one drop allowed.
    assert!(sa.drops <= 1, "Solicits dropped:\n{}", r.output);
    assert!(rr.drops <= 1, "Requests dropped:\n{}", r.output);
    assert!(rr.received + 2 >= sa.sent, "exchanges lost:\n{}", r.output);
    assert_eq!(non_unique_addresses(&r), 0, "{}", r.output);

    let leases = srv.leases6();
    let mut addrs = HashSet::new();
    let mut clients = HashSet::new();
    for l in &leases {
        assert!(addrs.insert(l.address), "address twice in the table: {l:?}");
        assert!(
            clients.insert((l.duid.clone(), l.iaid, l.lease_type)),
            "one client holds two leases of a kind: {l:?}"
        );
        assert!(pool_has(l.address), "{l:?}");
    }
    // perfdhcp picks its clients at random among 50,000, so a few repeat.
    assert!(
        leases.len() as u64 * 100 >= rr.received * 90,
        "{} leases for {} completed exchanges",
        leases.len(),
        rr.received
    );
    let stats = srv.stats();
    assert_eq!(stats.get("subnet[1].assigned-nas"), leases.len() as i64);
    eprintln!(
        "perfdhcp -6: {} Solicits, {} Advertises, {} Requests, {} Replies, {} leases",
        sa.sent,
        sa.received,
        rr.sent,
        rr.received,
        leases.len()
    );
}

#[test]
fn perfgen6_relayed_address_and_prefix() {
    init(&["ip", "ss"]);
    let _one = LOAD.lock().unwrap_or_else(|p| p.into_inner());
    let topo = topology6();
    topo.client_addr(&format!("{RELAY6_ADDR}/64"));
    wait_addr_ready(&topo.client_ns, &topo.client_if, RELAY6_ADDR);
    let pinned = format!("{}/{SERVER6_ADDR}", topo.server_if);
    let srv = Server6::start(
        &topo.server_ns,
        &config6(&lan6_section(&pinned, &topo.server_if, Timers6::default())),
    );
    let dir = TempDir::new("perfgen6");
    let acks_file = dir.join("acks.csv");
    let r = run_perfgen(
        &topo.client_ns,
        &[
            "-6",
            "-r",
            "500",
            "-p",
            "3",
            "-R",
            "2000",
            "-e",
            "address-and-prefix",
            "-l",
            RELAY6_ADDR,
        ],
        SERVER6_ADDR,
        &acks_file,
    );
    eprintln!("perfgen -6: {r:?}");
    assert!(r.started >= 1400, "perfgen started only {}", r.started);
    assert_eq!(r.drops, 0, "drops: {}", r.json);
    assert_eq!(r.completed, r.started, "unfinished exchanges: {}", r.json);
    assert_eq!(r.exit_code, 0);
    let acks = read_acks(&acks_file);
    assert_eq!(
        acks.len() as u64,
        2 * r.completed,
        "one address and one prefix per exchange"
    );
    let (na_acks, pd_acks): (Vec<_>, Vec<_>) = acks.iter().partition(|(a, _)| !a.contains('/'));
    // Each client (DUID) is one lease of each kind, whichever exchange saw it last.
    let mut na_by_client: HashMap<&str, &str> = HashMap::new();
    let mut pd_by_client: HashMap<&str, &str> = HashMap::new();
    for (a, id) in &na_acks {
        na_by_client.insert(id, a);
    }
    for (p, id) in &pd_acks {
        pd_by_client.insert(id, p);
    }
    let na_set: HashSet<&&str> = na_by_client.values().collect();
    let pd_set: HashSet<&&str> = pd_by_client.values().collect();
    assert_eq!(
        na_set.len(),
        na_by_client.len(),
        "an address went to two clients"
    );
    assert_eq!(
        pd_set.len(),
        pd_by_client.len(),
        "a prefix went to two clients"
    );

    let leases = srv.leases6();
    let hex = |d: &str| d.replace(':', "");
    let table_na: HashMap<String, String> = leases
        .iter()
        .filter(|l| !l.is_pd())
        .map(|l| (l.address.to_string(), hex(&l.duid)))
        .collect();
    let table_pd: HashMap<String, String> = leases
        .iter()
        .filter(|l| l.is_pd())
        .map(|l| (format!("{}/{}", l.address, l.prefix_len), hex(&l.duid)))
        .collect();
    for (id, a) in &na_by_client {
        assert_eq!(
            table_na.get(*a),
            Some(&id.to_string()),
            "address {a} of {id}"
        );
    }
    for (id, p) in &pd_by_client {
        assert_eq!(
            table_pd.get(*p),
            Some(&id.to_string()),
            "prefix {p} of {id}"
        );
    }
    eprintln!(
        "perfgen -6: {} exchanges, {} clients, {} addresses and {} prefixes in the table",
        r.completed,
        na_by_client.len(),
        table_na.len(),
        table_pd.len()
    );
}

#[test]
fn two_level_relay_gets_nested_relay_reply() {
    init(&["ip", "ss"]);
    let topo = topology6();
    topo.client_addr(&format!("{RELAY6_ADDR}/64"));
    wait_addr_ready(&topo.client_ns, &topo.client_if, RELAY6_ADDR);
    let pinned = format!("{}/{SERVER6_ADDR}", topo.server_if);
    let srv = Server6::start(
        &topo.server_ns,
        &config6(&lan6_section(&pinned, &topo.server_if, Timers6::default())),
    );
    let client_ll: Ipv6Addr = "fe80::200:ff:fe00:77".parse().unwrap();
    let relay1_link: Ipv6Addr = RELAY6_ADDR.parse().unwrap();
    let relay2_link: Ipv6Addr = "2001:db8:9::1".parse().unwrap();
    let duid = [0u8, 3, 0, 1, 2, 0, 0, 0, 0, 0x77];

    let mut solicit = [0u8; 512];
    let mut b = Builder::new(&mut solicit, MessageType::Solicit, 0x00ab_cdef).unwrap();
    b.client_id(&duid).unwrap();
    b.elapsed_time(0).unwrap();
    let ia = b.ia_na(7, 0, 0).unwrap();
    b.end(ia).unwrap();
    let n0 = b.finish().unwrap();
    // The relay next to the client (hop 0), then one more relay (hop 1).
    let mut inner = [0u8; 1024];
    let mut r1 = RelayBuilder::new(
        &mut inner,
        MessageType::RelayForw,
        0,
        relay1_link,
        client_ll,
    )
    .unwrap();
    r1.interface_id(b"inner-port-1").unwrap();
    r1.relay_msg(&solicit[..n0]).unwrap();
    let n1 = r1.finish().unwrap();
    let mut outer = [0u8; 1536];
    let mut r2 = RelayBuilder::new(
        &mut outer,
        MessageType::RelayForw,
        1,
        relay2_link,
        relay1_link,
    )
    .unwrap();
    r2.interface_id(b"outer-port-2").unwrap();
    r2.relay_msg(&inner[..n1]).unwrap();
    let n2 = r2.finish().unwrap();
    let request = outer[..n2].to_vec();

    let reply = in_ns(&topo.client_ns, || {
        let sock = UdpSocket::bind(SocketAddrV6::new(relay1_link, 547, 0, 0)).expect("bind :547");
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let server = SocketAddrV6::new(SERVER6_ADDR.parse().unwrap(), 547, 0, 0);
        let mut buf = [0u8; 2048];
        for _ in 0..10 {
            sock.send_to(&request, server).expect("send Relay-forward");
            if let Ok((n, from)) = sock.recv_from(&mut buf) {
                return Some((buf[..n].to_vec(), from));
            }
        }
        None
    });
    let (reply, from) = reply.unwrap_or_else(|| panic!("no Relay-reply; log:\n{}", srv.log()));
    assert_eq!(
        from.ip().to_string(),
        SERVER6_ADDR,
        "answered from the address asked"
    );
    assert_eq!(from.port(), 547);

    let outer_r = RelayMessage::new_checked(&reply).expect("a relay message");
    assert_eq!(outer_r.msg_type(), MessageType::RelayRepl);
    assert_eq!(outer_r.hop_count(), 1);
    assert_eq!(outer_r.link_address(), relay2_link);
    assert_eq!(outer_r.peer_address(), relay1_link);
    assert_eq!(outer_r.interface_id(), Some(&b"outer-port-2"[..]));
    let inner_bytes = outer_r
        .relay_message()
        .expect("relay-msg in the outer reply");
    let inner_r = RelayMessage::new_checked(inner_bytes).expect("nested relay message");
    assert_eq!(inner_r.msg_type(), MessageType::RelayRepl);
    assert_eq!(inner_r.hop_count(), 0);
    assert_eq!(inner_r.link_address(), relay1_link);
    assert_eq!(inner_r.peer_address(), client_ll);
    assert_eq!(inner_r.interface_id(), Some(&b"inner-port-1"[..]));
    let (msg, chain) = unwrap_relays(&reply).expect("whole reply parses");
    assert_eq!(chain.as_slice().len(), 2);
    assert_eq!(msg.msg_type(), MessageType::Advertise);
    assert_eq!(msg.transaction_id(), 0x00ab_cdef);
    assert_eq!(msg.options().client_id(), Some(&duid[..]));
    let ia = msg
        .options()
        .ia_nas()
        .next()
        .expect("IA_NA in the Advertise");
    assert_eq!(ia.iaid, 7);
    let a = ia.addresses().next().expect("an address in the IA_NA");
    assert!(
        pool_has(a.addr),
        "address {} not from the link's pool",
        a.addr
    );
}

#[test]
fn one_server_serves_dhcpv4_and_dhcpv6() {
    init(&["dhclient", "ip", "ss"]);
    let topo = topology6();
    let v4 = lan_config(&topo);
    let text = config46(
        &v4,
        &lan6_section(&topo.server_if, &topo.server_if, Timers6::default()),
    );
    let mut srv = Server6::start(&topo.server_ns, &text);
    let mut dc4 = Dhclient::new(&topo.client_ns, &topo.client_if);
    let mut dc6 = Dhclient6::new(&topo.client_ns, &topo.client_if);
    dc4.start();
    dc6.start();
    let ev4 = dc4.wait_reason(&["BOUND"], 0, Duration::from_secs(30));
    let (addr6, prefix6) = dc6.wait_both(&["BOUND6"], 0, Duration::from_secs(30));
    let ip4 = ev4.ip.expect("BOUND carries an address");
    assert!(in_range(ip4, "192.0.2.100", "192.0.2.199"), "{ip4}");
    assert!(pool_has(addr6) && pd_pool_has(prefix6));
    dc4.stop();
    dc6.stop();

    let v4_leases = srv.leases4();
    assert!(
        v4_leases.iter().any(|l| l.address == ip4),
        "v4 lease missing from --dump-leases: {v4_leases:?}"
    );
    let v6_leases = srv.leases6();
    assert!(
        v6_leases.iter().any(|l| l.address == addr6),
        "{v6_leases:?}"
    );
    assert!(
        v6_leases.iter().any(|l| l.address == prefix6.0),
        "{v6_leases:?}"
    );

    // One statistics line with both services' counters.
    let stats = srv.stats();
    assert!(stats.get("pkt4-ack-sent") >= 1, "{stats:?}");
    assert!(stats.get("pkt6-reply-sent") >= 1, "{stats:?}");
    assert_eq!(stats.get("subnet[1].assigned-nas"), 1, "{stats:?}");
    // SIGHUP reloads both; both still answer afterwards.
    srv.reload();
    assert!(
        srv.log().contains("DHCPv6 configuration reloaded"),
        "log:\n{}",
        srv.log()
    );
    let mut dc6b = Dhclient6::new(&topo.client_ns, &topo.client_if);
    dc6b.start();
    assert_eq!(
        dc6b.wait_both(&["BOUND6"], 0, Duration::from_secs(30)),
        (addr6, prefix6)
    );
}

#[test]
fn expired_dhcpv6_leases_are_reclaimed_on_schedule() {
    init(&["dhclient", "ip", "ss"]);
    let topo = topology6();
    let timers = Timers6 {
        preferred: 3,
        valid: 4,
        renew: 1,
        rebind: 2,
    };
    let mut srv = Server6::start(
        &topo.server_ns,
        &config6(&lan6_section(&topo.server_if, &topo.server_if, timers)),
    );
    let mut dc = Dhclient6::new(&topo.client_ns, &topo.client_if);
    dc.start();
    let (addr, prefix) = dc.wait_both(&["BOUND6"], 0, Duration::from_secs(30));
    // Gone without a Release: the leases expire after 4 s and the reclaim timer
    // (reclaim-timer-wait-time 1) turns them into expired-reclaimed (state 2), kept for
    // hold-reclaimed-time so the client would get them back.
    dc.stop();
    let reclaimed = wait_for(Duration::from_secs(20), || {
        let l = srv.leases6();
        (l.len() == 2 && l.iter().all(|x| x.state == 2)).then_some(l)
    })
    .unwrap_or_else(|| panic!("not reclaimed: {:?}", srv.leases6()));
    assert!(reclaimed.iter().any(|l| l.address == addr));
    assert!(reclaimed.iter().any(|l| l.address == prefix.0 && l.is_pd()));
    let stats = srv.stats();
    assert_eq!(stats.get("reclaimed-leases"), 2, "{stats:?}");
    assert_eq!(stats.get("subnet[1].assigned-nas"), 0, "{stats:?}");
    assert_eq!(stats.get("subnet[1].assigned-pds"), 0, "{stats:?}");
}
