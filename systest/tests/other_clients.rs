//! Test 2: busybox udhcpc and dhcpcd each get a lease.

use std::time::Duration;
use xdhcp_systest::util::wait_for;
use xdhcp_systest::*;

#[test]
fn udhcpc_gets_lease() {
    init(&["udhcpc", "ip", "ss"]);
    let topo = Topology::new();
    let srv = Server::start(&topo.server_ns, &lan_config(&topo));
    let (events, out) = udhcpc_once(&topo.client_ns, &topo.client_if);
    let bound = events
        .iter()
        .find(|e| e.reason == "bound")
        .unwrap_or_else(|| {
            panic!(
                "udhcpc got no lease ({}): events {events:?}\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let ip = bound.ip.expect("bound carries an address");
    assert!(
        in_range(ip, "192.0.2.100", "192.0.2.199"),
        "{ip} outside the pool"
    );
    let mac = topo.client_mac(&topo.client_if);
    let lease = wait_for(Duration::from_secs(5), || srv.lease_for(&mac));
    assert_eq!(lease.map(|l| l.address), Some(ip));
}

#[test]
fn dhcpcd_gets_lease() {
    init(&["dhcpcd", "ip", "ss"]);
    let topo = Topology::new();
    let srv = Server::start(&topo.server_ns, &lan_config(&topo));
    let (events, out) = dhcpcd_once(&topo.client_ns, &topo.client_if);
    let bound = events
        .iter()
        .find(|e| e.reason == "BOUND")
        .unwrap_or_else(|| {
            panic!(
                "dhcpcd got no lease ({}): events {events:?}\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let ip = bound.ip.expect("BOUND carries an address");
    assert!(
        in_range(ip, "192.0.2.100", "192.0.2.199"),
        "{ip} outside the pool"
    );
    let mac = topo.client_mac(&topo.client_if);
    let lease = wait_for(Duration::from_secs(5), || srv.lease_for(&mac));
    assert_eq!(lease.map(|l| l.address), Some(ip));
}
