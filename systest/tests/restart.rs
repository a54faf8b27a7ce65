//! Test 3: leases survive a server restart: a known client (same MAC, no
//! client-side lease memory) gets its previous address back.

use std::time::Duration;
use xdhcp_systest::util::wait_for;
use xdhcp_systest::*;

const MAC_A: &str = "02:00:00:00:0a:01";
const MAC_B: &str = "02:00:00:00:0a:02";

fn get_lease(topo: &Topology, ifname: &str) -> std::net::Ipv4Addr {
    let mut dc = Dhclient::new(&topo.client_ns, ifname);
    dc.start();
    let ev = dc.wait_reason(&["BOUND"], 0, Duration::from_secs(30));
    dc.stop();
    ev.ip.expect("BOUND carries an address")
}

#[test]
fn known_client_keeps_address_across_restart() {
    init(&["dhclient", "ip", "ss"]);
    let topo = Topology::new();
    let a = topo.add_macvlan("m1", MAC_A);
    let b = topo.add_macvlan("m2", MAC_B);
    let mut srv = Server::start(&topo.server_ns, &lan_config(&topo));

    // A first, then B, so B's address is not simply the first free one.
    let ip_a = get_lease(&topo, &a);
    let ip_b = get_lease(&topo, &b);
    assert_ne!(ip_a, ip_b);
    let has_both = |srv: &Server| {
        let l = srv.leases();
        l.iter().any(|x| x.hwaddr == MAC_A && x.address == ip_a)
            && l.iter().any(|x| x.hwaddr == MAC_B && x.address == ip_b)
    };
    assert!(
        wait_for(Duration::from_secs(5), || has_both(&srv).then_some(())).is_some(),
        "leases before restart: {:?}",
        srv.leases()
    );

    srv.restart();
    // The lease table (xdhcpd: --dump-leases of the lease log) still has both
    // before any client asks again.
    assert!(has_both(&srv), "leases after restart: {:?}", srv.leases());

    // Fresh dhclients (new lease files: plain DISCOVER), B first.
    topo.flush_client_addrs(&a);
    topo.flush_client_addrs(&b);
    assert_eq!(
        get_lease(&topo, &b),
        ip_b,
        "B lost its address over the restart"
    );
    assert_eq!(
        get_lease(&topo, &a),
        ip_a,
        "A lost its address over the restart"
    );
}

#[test]
fn reload_keeps_leases_and_applies_config() {
    init(&["dhclient", "ip", "ss"]);
    let topo = Topology::new();
    let a = topo.add_macvlan("m1", MAC_A);
    let b = topo.add_macvlan("m2", MAC_B);
    // First config: only a one-address pool.
    let small = ServerConfig::new(&[&topo.server_if]).subnet(
        Subnet::new(1, "192.0.2.0/24")
            .pool("192.0.2.100", "192.0.2.100")
            .interface(&topo.server_if),
    );
    let mut srv = Server::start(&topo.server_ns, &small);
    let ip_a = get_lease(&topo, &a);
    assert_eq!(ip_a.to_string(), "192.0.2.100");

    // Reload (SIGHUP) with a bigger pool: A's lease stays, B gets a new one.
    srv.reload(Some(&lan_config(&topo)));
    let still = srv.leases();
    assert!(
        still.iter().any(|l| l.hwaddr == MAC_A && l.address == ip_a),
        "lease lost over reload: {still:?}"
    );
    let ip_b = get_lease(&topo, &b);
    assert!(in_range(ip_b, "192.0.2.101", "192.0.2.199"), "B got {ip_b}");
    assert!(srv.is_alive());
}

#[test]
fn reload_with_a_broken_file_keeps_the_running_configuration() {
    init(&["dhclient", "ip", "ss"]);
    if ServerKind::from_env() != ServerKind::Xdhcpd {
        eprintln!("skipped: checks xdhcpd's reload log line");
        return;
    }
    let topo = Topology::new();
    let a = topo.add_macvlan("m1", MAC_A);
    let mut srv = Server::start(&topo.server_ns, &lan_config(&topo));
    std::fs::write(
        &srv.config_path,
        "{ \"Dhcp4\": { \"valid-lifetime\": \"soon\" } }",
    )
    .expect("write broken config");
    srv.reload(None);
    let log = srv.log();
    assert!(
        log.contains("configuration reload failed") && log.contains("valid-lifetime"),
        "no reload error naming the key in the log:\n{log}"
    );
    let ip = get_lease(&topo, &a);
    assert!(in_range(ip, "192.0.2.100", "192.0.2.199"), "{ip}");
}
