//! Test 6: malformed DHCP packets (raw broadcast frames with correct IP/UDP
//! checksums) are counted as dropped, the server survives, and a real client
//! still gets a lease afterwards.

use std::time::Duration;
use xdhcp_systest::rawpkt::{broadcast_frame, malformed_payloads, send_frames};
use xdhcp_systest::util::wait_for;
use xdhcp_systest::*;

const MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0b, 0x01];
const COUNTERS: [&str; 3] = ["pkt4-received", "pkt4-parse-failed", "pkt4-receive-drop"];

#[test]
fn malformed_packets_are_dropped_and_counted() {
    init(&["dhclient", "ip", "ss"]);
    let topo = Topology::new();
    let mut srv = Server::start(&topo.server_ns, &lan_config(&topo));
    let before = srv.stats();

    let kinds = malformed_payloads(MAC);
    // Kea 2.2 drops payloads shorter than the 236-byte BOOTP header at
    // receive time (DHCP4_BUFFER_RECEIVE_FAIL) without counting them in any
    // statistic; xdhcpd must count every one.
    let short = kinds.iter().filter(|(_, p)| p.len() < 236).count() as i64;
    let n = match srv.kind {
        ServerKind::Xdhcpd => kinds.len() as i64,
        ServerKind::Kea => kinds.len() as i64 - short,
    };
    let names: Vec<&str> = kinds.iter().map(|k| k.0).collect();
    let frames = kinds.iter().map(|(_, p)| broadcast_frame(MAC, p)).collect();
    send_frames(&topo.client_ns, &topo.client_if, frames).expect("send raw frames");

    let delta = |s: &Stats, name: &str| s.get(name) - before.get(name);
    let after = wait_for(Duration::from_secs(5), || {
        let s = srv.stats();
        (delta(&s, "pkt4-receive-drop") >= n || delta(&s, "pkt4-parse-failed") >= n).then_some(s)
    });
    std::thread::sleep(Duration::from_millis(300));
    let after = after.map(|_| srv.stats()).unwrap_or_else(|| srv.stats());
    let d: Vec<(&str, i64)> = COUNTERS.iter().map(|c| (*c, delta(&after, c))).collect();
    eprintln!(
        "sent {} malformed packets {names:?}, {n} to be counted; counter deltas {d:?}",
        kinds.len()
    );
    assert!(
        delta(&after, "pkt4-receive-drop") == n || delta(&after, "pkt4-parse-failed") == n,
        "sent {} malformed packets {names:?}; expected pkt4-receive-drop or pkt4-parse-failed \
         to grow by {n}, but counter deltas are {d:?}",
        kinds.len()
    );
    assert_eq!(
        delta(&after, "pkt4-offer-sent"),
        0,
        "a malformed packet was answered"
    );
    assert!(srv.is_alive(), "server died on malformed packets");

    let mut dc = Dhclient::new(&topo.client_ns, &topo.client_if);
    dc.start();
    let ev = dc.wait_reason(&["BOUND"], 0, Duration::from_secs(30));
    let ip = ev.ip.expect("BOUND carries an address");
    assert!(in_range(ip, "192.0.2.100", "192.0.2.199"));
    dc.stop();
    assert!(srv.is_alive());
}
