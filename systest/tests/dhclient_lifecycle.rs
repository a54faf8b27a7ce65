//! Test 1: ISC dhclient: BOUND, RENEW (same address), INIT-REBOOT with the
//! same lease file (same address again), RELEASE (lease gone from the server).

use std::time::Duration;
use xdhcp_systest::util::wait_for;
use xdhcp_systest::*;

#[test]
fn dhclient_bound_renew_release_reboot() {
    init(&["dhclient", "ip", "ss"]);
    let topo = Topology::new();
    let cfg = lan_config(&topo).lifetimes(30, 4, 20);
    let srv = Server::start(&topo.server_ns, &cfg);
    let mac = topo.client_mac(&topo.client_if);

    let mut dc = Dhclient::new(&topo.client_ns, &topo.client_if);
    dc.start();
    let bound = dc.wait_reason(&["BOUND"], 0, Duration::from_secs(30));
    let ip = bound.ip.expect("BOUND carries an address");
    assert!(
        in_range(ip, "192.0.2.100", "192.0.2.199"),
        "{ip} outside the pool"
    );
    let lease = wait_for(Duration::from_secs(5), || srv.lease_for(&mac))
        .unwrap_or_else(|| panic!("no lease for {mac} on the server: {:?}", srv.leases()));
    assert_eq!(lease.address, ip);
    assert_eq!(lease.subnet_id, 1);

    // Renew at T1 = 4 s: unicast REQUEST, same address.
    let n = dc.events().len();
    let renew = dc.wait_reason(&["RENEW"], n, Duration::from_secs(20));
    assert_eq!(renew.ip, Some(ip), "RENEW changed the address");

    // INIT-REBOOT: stop without RELEASE, start again with the same lease
    // file: dhclient asks for its address back (REBOOT; BOUND if the server
    // sent it through DISCOVER again) and gets the same one.
    dc.stop();
    topo.flush_client_addrs(&topo.client_if);
    let n = dc.events().len();
    dc.start();
    let again = dc.wait_reason(&["REBOOT", "BOUND"], n, Duration::from_secs(30));
    eprintln!("second run: reason {}", again.reason);
    assert_eq!(again.ip, Some(ip), "second run got another address");
    let lease = wait_for(Duration::from_secs(5), || srv.lease_for(&mac));
    assert_eq!(lease.map(|l| l.address), Some(ip));

    // Release: the lease disappears from the server.
    let out = dc.release();
    assert!(
        out.status.success(),
        "dhclient -r failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gone = wait_for(Duration::from_secs(5), || {
        srv.leases().iter().all(|l| l.address != ip).then_some(())
    });
    assert!(
        gone.is_some(),
        "{ip} still leased after RELEASE: {:?}",
        srv.leases()
    );
}
