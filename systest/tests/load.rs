//! Test 5: perfdhcp load (1000 DORA/s for 10 s, at most 10,000 exchanges,
//! 10,000 simulated clients) relayed from 198.18.0.0/16: no drops, no
//! duplicate addresses, and as many leases as clients completed.

use std::collections::HashSet;
use std::time::{Duration, Instant};
use xdhcp_systest::util::wait_for;
use xdhcp_systest::*;

const RELAY: &str = "198.18.0.1";
const CLIENTS: u32 = 10_000;

#[test]
fn perfdhcp_load_no_drops_no_duplicates() {
    init(&["perfdhcp", "ip", "ss"]);
    let topo = Topology::new();
    topo.client_addr(&format!("{RELAY}/16"));
    topo.client_route("192.0.2.0/24");
    topo.server_route("198.18.0.0/16");
    let cfg = lan_config(&topo)
        .subnet(Subnet::new(2, "198.18.0.0/16").pool("198.18.1.0", "198.18.255.254"));
    let mut srv = Server::start(&topo.server_ns, &cfg);

    let mut p = Perfdhcp::new(&topo.client_ns, RELAY, "192.0.2.1");
    p.rate = 1000;
    p.period = 10;
    p.num = 10_000;
    p.clients = CLIENTS;
    let t = Instant::now();
    let r = p.run();
    let took = t.elapsed();
    let (dora, ra) = (r.discover_offer(), r.request_ack());
    eprintln!("perfdhcp in {took:?}: {dora:?} {ra:?}");
    assert!(
        dora.sent >= 5_000,
        "perfdhcp sent too little:\n{}",
        r.output
    );
    assert_eq!(dora.drops, 0, "DISCOVERs without OFFER:\n{}", r.output);
    assert_eq!(ra.drops, 0, "REQUESTs without ACK:\n{}", r.output);
    assert_eq!(
        ra.sent, dora.received,
        "every OFFER is followed by a REQUEST"
    );
    assert_eq!(ra.received, ra.sent);
    assert!(srv.is_alive(), "server died under load");

    // perfdhcp numbers its -R clients sequentially (base MAC + i), so with
    // -n <= -R every completed exchange is a distinct client.
    let acks = ra.received as usize;
    let leases = wait_for(Duration::from_secs(5), || {
        let l: Vec<Lease> = srv
            .leases()
            .into_iter()
            .filter(|l| l.subnet_id == 2)
            .collect();
        (l.len() >= acks).then_some(l)
    })
    .unwrap_or_else(|| {
        panic!(
            "{} leases in the table for {acks} completed clients",
            srv.leases().len()
        )
    });
    let addrs: HashSet<_> = leases.iter().map(|l| l.address).collect();
    let macs: HashSet<_> = leases.iter().map(|l| l.hwaddr.clone()).collect();
    assert_eq!(
        addrs.len(),
        leases.len(),
        "duplicate addresses in the lease table"
    );
    assert_eq!(macs.len(), leases.len(), "a client holds two leases");
    assert_eq!(leases.len(), acks, "lease count vs completed clients");
    assert!(
        leases
            .iter()
            .all(|l| in_range(l.address, "198.18.1.0", "198.18.255.254"))
    );

    let st = srv.stats();
    let assigned = st.get("subnet[2].assigned-addresses");
    assert_eq!(
        assigned,
        leases.len() as i64,
        "subnet[2].assigned-addresses vs lease table"
    );
    assert_eq!(
        st.get("pkt4-ack-sent"),
        ra.received as i64,
        "pkt4-ack-sent vs ACKs received"
    );
}
