//! Kea's own example configurations serve real clients unchanged, except for the two
//! things that name the host: the interface (`eth0` → the test veth) and the lease file
//! (put into the test's temp dir). Only for xdhcpd: Kea serves its examples by definition.

use std::time::Duration;
use xdhcp_systest::*;

/// Reads `examples/kea4/<name>` from the shared folder and points it at this topology.
fn example(name: &str, topo: &Topology) -> String {
    let path = shared_dir().join("kea-compat/examples/kea4").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read Kea example {}: {e}", path.display()));
    assert!(
        text.contains("\"eth0\"") && text.contains("\"type\": \"memfile\""),
        "{name} no longer names eth0 and a memfile lease database; update this test"
    );
    text.replace("\"eth0\"", &format!("\"{}\"", topo.server_if))
        .replace(
            "\"type\": \"memfile\"",
            "\"type\": \"memfile\", \"name\": \"@LEASES@\"",
        )
}

/// Starts xdhcpd on the example and returns the first dhclient BOUND event of `iface`.
fn bound(topo: &Topology, iface: &str) -> HookEvent {
    let mut dc = Dhclient::new(&topo.client_ns, iface);
    dc.start();
    let ev = dc.wait_reason(&["BOUND"], 0, Duration::from_secs(30));
    dc.stop();
    ev
}

fn start(topo: &Topology, name: &str) -> Option<Server> {
    init(&["dhclient", "ip", "ss"]);
    if ServerKind::from_env() != ServerKind::Xdhcpd {
        eprintln!("skipped: Kea's examples are checked against xdhcpd only");
        return None;
    }
    Some(Server::start_text(
        ServerKind::Xdhcpd,
        &topo.server_ns,
        &example(name, topo),
    ))
}

#[test]
fn single_subnet_example_serves() {
    let topo = Topology::new();
    let Some(_srv) = start(&topo, "single-subnet.json") else {
        return;
    };
    let ev = bound(&topo, &topo.client_if);
    let ip = ev.ip.expect("address");
    // The pool starts at 192.0.2.1, the server's own address, which is never handed out.
    assert!(in_range(ip, "192.0.2.2", "192.0.2.200"), "{ip}");
}

#[test]
fn several_subnets_example_serves() {
    let topo = Topology::new();
    let Some(_srv) = start(&topo, "several-subnets.json") else {
        return;
    };
    let ip = bound(&topo, &topo.client_if).ip.expect("address");
    assert!(in_range(ip, "192.0.2.2", "192.0.2.200"), "{ip}");
}

#[test]
fn multiple_options_example_sends_its_options() {
    let topo = Topology::new();
    let Some(_srv) = start(&topo, "multiple-options.json") else {
        return;
    };
    let ev = bound(&topo, &topo.client_if);
    assert_eq!(ev.ip, Some("192.0.2.10".parse().unwrap()));
    assert_eq!(ev.get("routers"), Some("192.0.2.1"));
    assert_eq!(ev.get("dns"), Some("192.0.2.1,192.0.2.2"));
    assert_eq!(ev.get("domain"), Some("example.org"));
}

#[test]
fn reservations_example_gives_the_reserved_address() {
    let topo = Topology::new();
    let Some(srv) = start(&topo, "reservations.json") else {
        return;
    };
    let reserved = topo.add_macvlan("resv0", "1a:1b:1c:1d:1e:1f");
    let ev = bound(&topo, &reserved);
    assert_eq!(ev.ip, Some("192.0.2.201".parse().unwrap()));
    let other = bound(&topo, &topo.client_if).ip.expect("address");
    assert!(in_range(other, "192.0.2.2", "192.0.2.200"), "{other}");
    let leases = srv.leases();
    assert!(
        leases
            .iter()
            .any(|l| l.hwaddr == "1a:1b:1c:1d:1e:1f" && l.address.to_string() == "192.0.2.201"),
        "reserved lease missing from {leases:?}"
    );
}
