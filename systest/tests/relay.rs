//! Test 4: relayed clients (perfdhcp -4 is a relay agent) get addresses from
//! the subnet that matches the giaddr, or whose `relay.ip-addresses` lists it.

use xdhcp_systest::*;

const RELAY_IN_SUBNET: &str = "198.51.100.1";
const RELAY_LISTED: &str = "198.51.100.254";

fn run_relay(topo: &Topology, giaddr: &str, base_mac: &str) -> perfdhcp::PerfResult {
    let mut p = Perfdhcp::new(&topo.client_ns, giaddr, "192.0.2.1");
    p.extra = vec!["-b".into(), format!("mac={base_mac}")];
    p.rate = 10;
    p.period = 5;
    p.num = 5;
    p.clients = 5;
    let r = p.run();
    let ra = r.request_ack();
    assert!(
        ra.received >= 1,
        "no relayed exchange completed via {giaddr}:\n{}",
        r.output
    );
    assert_eq!(
        r.discover_offer().drops,
        0,
        "relayed DISCOVERs dropped:\n{}",
        r.output
    );
    r
}

#[test]
fn relayed_clients_get_relay_subnet_addresses() {
    init(&["perfdhcp", "ip", "ss"]);
    let topo = Topology::new();
    // The "relay" side: the client namespace holds the relay addresses, and
    // both sides route the other's subnet over the veth.
    topo.client_addr(&format!("{RELAY_IN_SUBNET}/24"));
    topo.client_addr(&format!("{RELAY_LISTED}/24"));
    topo.client_route("192.0.2.0/24");
    topo.server_route("198.51.100.0/24");

    let cfg = lan_config(&topo)
        .subnet(Subnet::new(2, "198.51.100.0/26").pool("198.51.100.10", "198.51.100.50"))
        .subnet(
            Subnet::new(3, "198.51.100.128/26")
                .pool("198.51.100.130", "198.51.100.180")
                .relay(RELAY_LISTED),
        );
    let srv = Server::start(&topo.server_ns, &cfg);

    // giaddr inside subnet 2.
    run_relay(&topo, RELAY_IN_SUBNET, "02:00:00:00:0c:00");
    let leases = srv.leases();
    assert!(!leases.is_empty(), "no leases after relayed exchanges");
    for l in &leases {
        assert_eq!(
            l.subnet_id, 2,
            "wrong subnet for giaddr {RELAY_IN_SUBNET}: {l:?}"
        );
        assert!(
            in_range(l.address, "198.51.100.10", "198.51.100.50"),
            "{l:?}"
        );
    }
    let n2 = leases.len();
    assert_eq!(n2, 5, "5 distinct relayed clients, 5 leases: {leases:?}");

    // giaddr outside every subnet, but listed in subnet 3's relay addresses.
    run_relay(&topo, RELAY_LISTED, "02:00:00:00:0d:00");
    let leases = srv.leases();
    let s3: Vec<_> = leases.iter().filter(|l| l.subnet_id == 3).collect();
    assert!(
        !s3.is_empty(),
        "no subnet-3 leases via listed relay: {leases:?}"
    );
    for l in &s3 {
        assert!(
            in_range(l.address, "198.51.100.130", "198.51.100.180"),
            "{l:?}"
        );
    }
    assert_eq!(leases.len(), n2 + s3.len(), "unexpected leases: {leases:?}");
    assert!(
        leases.iter().all(|l| l.subnet_id != 1),
        "relayed client got a LAN lease"
    );
}
