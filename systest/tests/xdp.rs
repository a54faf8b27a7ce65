//! The AF_XDP fast path: real clients get leases through XDP in native and in generic
//! mode while ICMP and other UDP still reach the kernel; two queues spread over two
//! workers under perfgen's layer-2 load with unique leases and cross-shard hand-offs;
//! a VLAN-tagged DISCOVER gets an OFFER behind the same tag. Nothing stays attached
//! after the server stops. xdhcpd only (Kea has no XDP path).

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::time::Duration;
use xdhcp_systest::netio::{self, Capture, in_ns};
use xdhcp_systest::rawpkt::{broadcast_frame, discover, send_frames};
use xdhcp_systest::util::{TempDir, wait_for};
use xdhcp_systest::*;

const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn xdp_config(topo: &Topology, mode: &str) -> ServerConfig {
    lan_config(topo).xdhcp(&format!(r#"{{ "io-mode": "xdp", "xdp-mode": "{mode}" }}"#))
}

fn stop_and_check_detached(srv: &mut Server, topo: &Topology) {
    let st = srv.stop().expect("server was running");
    assert!(st.success(), "xdhcpd exit {st}; log:\n{}", srv.log());
    assert!(
        !netio::xdp_attached(&topo.server_ns, &topo.server_if),
        "an XDP program is still attached after the server stopped"
    );
    assert!(srv.log().contains("XDP program detached from"));
}

fn real_clients_over_xdp(mode: &str) {
    init(&["dhclient", "udhcpc", "dhcpcd", "ip", "ss"]);
    let topo = Topology::new();
    let mut srv = Server::start_kind(
        ServerKind::Xdhcpd,
        &topo.server_ns,
        &xdp_config(&topo, mode),
    );
    let attached = format!("XDP program attached to {} in {mode} mode", topo.server_if);
    assert!(srv.log().contains(&attached), "log:\n{}", srv.log());
    assert!(netio::xdp_attached(&topo.server_ns, &topo.server_if));
    let mac = topo.client_mac(&topo.client_if);

    let (events, out) = udhcpc_once(&topo.client_ns, &topo.client_if);
    let ip = events
        .iter()
        .find(|e| e.reason == "bound")
        .and_then(|e| e.ip)
        .unwrap_or_else(|| panic!("udhcpc got no lease: {events:?} {out:?}"));
    assert!(in_range(ip, "192.0.2.100", "192.0.2.199"), "{ip}");

    let (events, out) = dhcpcd_once(&topo.client_ns, &topo.client_if);
    let ip = events
        .iter()
        .find(|e| e.reason == "BOUND")
        .and_then(|e| e.ip)
        .unwrap_or_else(|| panic!("dhcpcd got no lease: {events:?} {out:?}"));
    assert!(in_range(ip, "192.0.2.100", "192.0.2.199"), "{ip}");

    // dhclient last: its hook puts the address on the interface, for the checks below.
    let mut dc = Dhclient::new(&topo.client_ns, &topo.client_if);
    dc.start();
    let bound = dc.wait_reason(&["BOUND"], 0, Duration::from_secs(30));
    let ip = bound.ip.expect("BOUND carries an address");
    assert!(in_range(ip, "192.0.2.100", "192.0.2.199"), "{ip}");
    let leased = wait_for(Duration::from_secs(5), || {
        srv.leases()
            .iter()
            .any(|l| l.hwaddr == mac && l.address == ip)
            .then_some(())
    });
    assert!(leased.is_some(), "{ip} not leased: {:?}", srv.leases());

    // The kernel still gets everything that is not DHCP.
    assert!(
        netio::ping(&topo.client_ns, SERVER, Duration::from_secs(3)),
        "no echo reply from the server while XDP is attached"
    );
    assert!(
        netio::udp_reaches(
            &topo.client_ns,
            &topo.server_ns,
            SERVER,
            7777,
            Duration::from_secs(3)
        ),
        "UDP to another port did not reach the server's kernel"
    );
    let st = srv.stats();
    assert!(st.get("worker[0].tx-frames") >= 6, "{st:?}");
    assert!(st.get("xdp.steered") >= 6, "{st:?}");
    assert!(st.get("pkt4-ack-sent") >= 3, "{st:?}");
    dc.stop();
    stop_and_check_detached(&mut srv, &topo);
}

#[test]
fn real_clients_over_xdp_native() {
    real_clients_over_xdp("native");
}

#[test]
fn real_clients_over_xdp_generic() {
    real_clients_over_xdp("generic");
}

#[test]
fn two_queues_two_workers_under_layer2_load() {
    init(&["ip", "ss", "ethtool"]);
    let topo = Topology::new();
    netio::set_queues(&topo.server_ns, &topo.server_if, 2);
    netio::set_queues(&topo.client_ns, &topo.client_if, 2);
    let cfg = ServerConfig::new(&[&topo.server_if])
        .subnet(
            Subnet::new(1, "198.18.0.0/16")
                .pool("198.18.1.0", "198.18.255.254")
                .interface(&topo.server_if),
        )
        .xdhcp(r#"{ "io-mode": "xdp", "xdp-mode": "native", "queues": 2 }"#);
    let mut srv = Server::start_kind(ServerKind::Xdhcpd, &topo.server_ns, &cfg);
    assert!(
        srv.log()
            .contains("AF_XDP (copy mode) on 2 of its 2 RX queue(s)")
            && srv.log().contains("2 worker(s)"),
        "log:\n{}",
        srv.log()
    );
    let dir = TempDir::new("xdp2q");
    let acks_file = dir.join("acks.csv");
    let r = run_perfgen(
        &topo.client_ns,
        &[
            "-4",
            "-r",
            "500",
            "-p",
            "4",
            "-R",
            "2000",
            "-l",
            &topo.client_if,
            "--transport",
            "packet",
        ],
        "192.0.2.1",
        &acks_file,
    );
    eprintln!("two queues: {r:?}");
    assert!(r.started >= 1800, "perfgen started only {}", r.started);
    assert_eq!(r.drops, 0, "drops: {}", r.json);
    assert_eq!(r.completed, r.started, "unfinished exchanges: {}", r.json);
    let acks = read_acks(&acks_file);
    assert_eq!(acks.len() as u64, r.completed);

    let st = srv.stats();
    eprintln!("{st:?}");
    for w in 0..2 {
        assert!(
            st.get(&format!("worker[{w}].tx-frames")) > 0,
            "worker {w} sent nothing: {st:?}"
        );
        assert!(st.get(&format!("worker[{w}].leases")) > 0, "{st:?}");
    }
    let crossed = st.get("worker[0].forwarded")
        + st.get("worker[1].forwarded")
        + st.get("worker[0].rerouted")
        + st.get("worker[1].rerouted");
    assert!(crossed > 0, "no frame crossed shards: {st:?}");
    assert_eq!(
        st.get("worker[0].from-peers") + st.get("worker[1].from-peers"),
        crossed
    );
    assert_eq!(
        st.get("worker[0].ring-full") + st.get("worker[1].ring-full"),
        0
    );
    assert_eq!(st.get("pkt4-ack-sent"), r.completed as i64);

    let leases = srv.leases();
    let mut addrs = HashSet::new();
    let mut clients = HashSet::new();
    for l in &leases {
        assert!(addrs.insert(l.address), "{} leased twice", l.address);
        assert!(
            clients.insert(l.hwaddr.clone()),
            "{} holds two leases",
            l.hwaddr
        );
    }
    assert_eq!(leases.len(), acks.len());
    for (addr, mac) in &acks {
        assert!(
            leases
                .iter()
                .any(|l| l.address.to_string() == *addr && l.hwaddr == *mac),
            "ACKed {addr} for {mac} is not that client's lease"
        );
    }
    stop_and_check_detached(&mut srv, &topo);
    // One segment log per shard; --dump-leases merged both above.
    assert!(srv.dir().join("leases4.xlog.d/shard-0/MANIFEST").is_file());
    assert!(srv.dir().join("leases4.xlog.d/shard-1/MANIFEST").is_file());
    assert_eq!(srv.leases().len(), acks.len());
}

#[test]
fn vlan_tagged_discover_gets_an_offer_with_the_same_tag() {
    init(&["ip", "ss"]);
    let topo = Topology::new();
    let mut srv = Server::start_kind(
        ServerKind::Xdhcpd,
        &topo.server_ns,
        &xdp_config(&topo, "native"),
    );
    let mac = [0x02, 0, 0, 0, 0x42, 0x01];
    let xid = 0x4242_0001u32;
    let mut frame = broadcast_frame(mac, &discover(mac, xid));
    // 802.1Q tag, PCP 3, VLAN 42, after the MAC addresses.
    frame.splice(12..12, [0x81, 0x00, 0x60, 42]);
    let cap = in_ns(&topo.client_ns, || Capture::open(&topo.client_if)).expect("capture");
    send_frames(&topo.client_ns, &topo.client_if, vec![frame]).expect("send tagged DISCOVER");

    let offer = wait_for(Duration::from_secs(5), || {
        let c = cap.recv(Duration::from_millis(200))?;
        let (tag, l3) = match (c.vlan, u16::from_be_bytes([c.frame[12], c.frame[13]])) {
            (Some(t), 0x0800) => (Some(t), 14),
            (None, 0x8100) => (
                Some((0x8100, u16::from_be_bytes([c.frame[14], c.frame[15]]))),
                18,
            ),
            (t, 0x0800) => (t, 14),
            _ => return None,
        };
        let f = &c.frame;
        if f.len() < l3 + 28 + 240 || f[l3 + 9] != 17 {
            return None;
        }
        let udp = l3 + usize::from(f[l3] & 0xf) * 4;
        let dhcp = udp + 8;
        let dport = u16::from_be_bytes([f[udp + 2], f[udp + 3]]);
        let rxid = u32::from_be_bytes([f[dhcp + 4], f[dhcp + 5], f[dhcp + 6], f[dhcp + 7]]);
        (dport == 68 && rxid == xid)
            .then(|| (tag, f[dhcp + 240..].windows(3).any(|w| w == [53, 1, 2])))
    });
    let (tag, is_offer) = offer.unwrap_or_else(|| {
        panic!(
            "no reply to the tagged DISCOVER within 5 s; log:\n{}",
            srv.log()
        )
    });
    assert!(is_offer, "the reply is not an OFFER");
    let (tpid, tci) = tag.expect("the OFFER carries no VLAN tag");
    assert_eq!(tpid, 0x8100);
    assert_eq!(tci & 0x0fff, 42, "VLAN id");
    stop_and_check_detached(&mut srv, &topo);
}

#[test]
fn auto_falls_back_to_udp_with_one_log_line_and_xdp_mode_refuses() {
    init(&["udhcpc", "ip", "ss"]);
    let topo = Topology::new();
    // "*" cannot be served by the XDP path: auto says so once and serves over UDP.
    let cfg = ServerConfig::new(&["*"]).subnet(
        Subnet::new(1, "192.0.2.0/24")
            .pool("192.0.2.100", "192.0.2.199")
            .interface(&topo.server_if),
    );
    let mut srv = Server::start_kind(ServerKind::Xdhcpd, &topo.server_ns, &cfg);
    let (events, out) = udhcpc_once(&topo.client_ns, &topo.client_if);
    assert!(
        events.iter().any(|e| e.reason == "bound"),
        "udhcpc got no lease over the UDP fallback: {events:?} {out:?}"
    );
    let log = srv.log();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("AF_XDP not used, serving with the UDP backend"))
            .count(),
        1,
        "log:\n{log}"
    );
    assert!(log.contains("interfaces-config lists \"*\""), "log:\n{log}");
    assert!(!netio::xdp_attached(&topo.server_ns, &topo.server_if));
    srv.stop();

    // The same with io-mode xdp is a start-up error naming the reason.
    let dir = TempDir::new("xdpfail");
    let path = dir.join("server.json");
    let text = cfg
        .xdhcp(r#"{ "io-mode": "xdp" }"#)
        .render(&dir.join("leases4.csv").to_string_lossy(), &[]);
    std::fs::write(&path, text).unwrap();
    let out =
        xdhcp_systest::util::ns_command(&topo.server_ns, &server::xdhcpd_bin().to_string_lossy())
            .arg("-c")
            .arg(&path)
            .output()
            .expect("run xdhcpd");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("io-mode xdp") && err.contains("\"*\""),
        "{err}"
    );
}
