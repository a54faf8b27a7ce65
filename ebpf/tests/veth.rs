//! Root-only tests on a veth pair between two fresh network namespaces: the XDP program
//! attached to side A (native and generic), an AF_XDP socket on A's queue 0, traffic from B.
//! Each test skips with a printed reason when not run as root; CI runs them as root.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use xdhcp_ebpf::{
    AttachMode, STEER_V4, STEER_V6, XdpError, XdpProgram, XskConfig, XskError, XskSocket,
};

const DHCP_PORTS: &[(u16, u8)] = &[(67, STEER_V4), (547, STEER_V6)];
const ETH_P_ALL: u16 = 3;
const ETH_P_TEST: u16 = 0x88b5; // IEEE local experimental EtherType
const HELPER_ENV: &str = "XDHCP_EBPF_KILL_HELPER";

/// Collects up to `n` frames from the socket within `timeout`.
fn recv_frames(xsk: &mut XskSocket, n: usize, timeout: Duration) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < deadline {
        xsk.wait_rx(Duration::from_millis(50)).expect("poll");
        xsk.recv_batch(64, |f| out.push(f.to_vec())).expect("recv");
    }
    out
}

fn steer_and_transmit(mode: AttachMode) {
    let net = TestNet::new(None);
    let (mac_a, mac_b) = (net.mac_a(), net.mac_b());
    let bcast = [0xff; 6];

    in_ns(&net.ns_a, || {
        let mut prog = XdpProgram::attach(&net.if_a, mode, DHCP_PORTS).expect("attach");
        assert_eq!(prog.mode(), mode);
        let link = net.link_a();
        assert!(link.contains("prog/xdp"), "{link}");
        assert_eq!(
            link.contains("xdpgeneric"),
            mode == AttachMode::Generic,
            "{link}"
        );

        let mut xsk = XskSocket::open(&net.if_a, 0, XskConfig::default()).expect("open xsk");
        assert!(xsk.need_wakeup(), "kernel 6.x accepts XDP_USE_NEED_WAKEUP");
        prog.register_socket(0, xsk.fd()).expect("register");
        let other = udp_bind(ADDR_A, 9999);

        // (a) A DHCP-like broadcast from a plain UDP socket reaches the XSK, payload intact.
        let discover = b"\x01\x01\x06\x00xdhcp-ebpf DHCPDISCOVER-like payload";
        in_ns(&net.ns_b, || udp_broadcast(&net.if_b, 68, 67, discover));
        let got = recv_frames(&mut xsk, 1, Duration::from_secs(3));
        assert_eq!(got.len(), 1, "broadcast to port 67 not steered");
        let f = &got[0];
        assert_eq!(&f[..6], &bcast);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(&f[14 + 20..14 + 24], &[0, 68, 0, 67]);
        assert_eq!(&f[14 + 28..], discover);

        // (b) One 802.1Q tag, then 802.1ad + 802.1Q: steered, bytes unchanged.
        let one_tag = ipv4_udp(
            bcast,
            mac_b,
            &[(0x8100, 10)],
            [0, 0, 0, 0],
            [255; 4],
            68,
            67,
            b"one tag",
        );
        let two_tags = ipv4_udp(
            bcast,
            mac_b,
            &[(0x88a8, 100), (0x8100, 10)],
            [0, 0, 0, 0],
            [255; 4],
            68,
            67,
            b"two tags",
        );
        in_ns(&net.ns_b, || {
            let ps = PacketSocket::open(&net.if_b, ETH_P_ALL);
            ps.send(&one_tag);
            ps.send(&two_tags);
        });
        let got = recv_frames(&mut xsk, 2, Duration::from_secs(3));
        assert_eq!(
            got,
            vec![one_tag, two_tags],
            "tagged frames not steered intact"
        );

        // (c) UDP to another port and ICMP echo still reach the kernel.
        in_ns(&net.ns_b, || {
            let s = udp_bind(ADDR_B, 0);
            s.send_to(b"not dhcp", (std::net::Ipv4Addr::from(ADDR_A), 9999))
                .unwrap();
            assert!(
                ping(ADDR_A, Duration::from_secs(3)),
                "ping through the XDP program failed"
            );
        });
        let mut buf = [0u8; 64];
        let (n, _) = other
            .recv_from(&mut buf)
            .expect("UDP to port 9999 must reach the kernel");
        assert_eq!(&buf[..n], b"not dhcp");

        // (d) IPv6 UDP to 547 behind a hop-by-hop header: steered.
        let v6 = ipv6_hbh_udp(mac_b, 546, 547, b"DHCPv6 SOLICIT-like");
        in_ns(&net.ns_b, || {
            PacketSocket::open(&net.if_b, ETH_P_ALL).send(&v6)
        });
        let got = recv_frames(&mut xsk, 1, Duration::from_secs(3));
        assert_eq!(got, vec![v6], "IPv6 with hop-by-hop to 547 not steered");

        // Nothing else was steered (UDP 9999, ICMP, ARP went to the kernel).
        assert!(recv_frames(&mut xsk, 1, Duration::from_millis(200)).is_empty());
        let c = prog.counters().expect("counters");
        assert_eq!(c.len(), xdhcp_ebpf::MAX_QUEUES as usize);
        assert_eq!(c[0].steered, 4, "{:?}", c[0]);
        assert!(c[0].passed >= 3, "ARP, UDP 9999 and ICMP pass: {:?}", c[0]);
        assert_eq!(c[0].malformed, 0);
        assert!(c[1..].iter().all(|q| q.steered == 0));

        // TX: 100 frames (more than the kernel's 32 per sendto in copy mode) reach the peer.
        let sniffer = in_ns(&net.ns_b, || PacketSocket::open(&net.if_b, ETH_P_TEST));
        let frames: Vec<Vec<u8>> = (0..100u16)
            .map(|i| {
                let mut f = eth(mac_b, mac_a, &[], ETH_P_TEST);
                f.extend_from_slice(&i.to_be_bytes());
                f.extend_from_slice(&[0x5a; 60]);
                f
            })
            .collect();
        // One through the in-place API, the rest as a batch.
        {
            let mut tx = xsk.tx_frame().expect("free TX frame");
            tx.buf()[..frames[0].len()].copy_from_slice(&frames[0]);
            tx.submit(frames[0].len()).unwrap();
        }
        xsk.flush_tx().unwrap();
        let rest: Vec<&[u8]> = frames[1..].iter().map(Vec::as_slice).collect();
        assert_eq!(xsk.send_batch(&rest).unwrap(), 99);
        for (i, want) in frames.iter().enumerate() {
            let got = sniffer
                .recv(Duration::from_secs(3))
                .unwrap_or_else(|| panic!("TX frame {i} not received"));
            assert_eq!(&got, want, "TX frame {i}");
        }
        assert!(wait_for(Duration::from_secs(2), || {
            xsk.reclaim();
            xsk.tx_in_flight() == 0
        }));
        let stats = xsk.stats().unwrap();
        assert_eq!(
            stats.rx_dropped + stats.rx_invalid_descs + stats.tx_invalid_descs + stats.rx_bad_descs,
            0,
            "{stats:?}"
        );

        drop(xsk);
        drop(prog);
    });
    assert!(!net.xdp_on_a(), "program left after drop: {}", net.link_a());
}

#[test]
fn native_mode_steers_dhcp_and_transmits() {
    if root_or_skip("native_mode_steers_dhcp_and_transmits") {
        steer_and_transmit(AttachMode::Native);
    }
}

#[test]
fn generic_mode_steers_dhcp_and_transmits() {
    if root_or_skip("generic_mode_steers_dhcp_and_transmits") {
        steer_and_transmit(AttachMode::Generic);
    }
}

#[test]
fn large_peer_mtu_refuses_native_and_auto_falls_back() {
    if !root_or_skip("large_peer_mtu_refuses_native_and_auto_falls_back") {
        return;
    }
    let net = TestNet::new(Some(9000));
    in_ns(&net.ns_a, || {
        let err = XdpProgram::attach(&net.if_a, AttachMode::Native, DHCP_PORTS).unwrap_err();
        assert!(matches!(err, XdpError::NativeUnsupported { .. }), "{err}");
        eprintln!("native on veth with peer MTU 9000: {err}");
        let prog = XdpProgram::attach(&net.if_a, AttachMode::Auto, DHCP_PORTS).expect("auto");
        assert_eq!(prog.mode(), AttachMode::Generic);
        assert!(net.link_a().contains("xdpgeneric"));
    });
    assert!(!net.xdp_on_a());
}

#[test]
fn second_attach_is_busy_and_bad_arguments_are_reported() {
    if !root_or_skip("second_attach_is_busy_and_bad_arguments_are_reported") {
        return;
    }
    let net = TestNet::new(None);
    in_ns(&net.ns_a, || {
        let mut prog = XdpProgram::attach(&net.if_a, AttachMode::Auto, DHCP_PORTS).expect("attach");
        assert_eq!(
            prog.mode(),
            AttachMode::Native,
            "veth at MTU 1500 runs native XDP"
        );
        let err = XdpProgram::attach(&net.if_a, AttachMode::Native, DHCP_PORTS).unwrap_err();
        assert!(matches!(err, XdpError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("bpf_link"), "{err}");
        let err = XdpProgram::attach("xdhcp-nope0", AttachMode::Auto, DHCP_PORTS).unwrap_err();
        assert!(matches!(err, XdpError::UnknownInterface { .. }), "{err}");
        let err = XdpProgram::attach(&net.if_a, AttachMode::Auto, &[(67, 8)]).unwrap_err();
        assert!(
            matches!(err, XdpError::InvalidPortMark { port: 67, mark: 8 }),
            "{err}"
        );
        assert!(matches!(
            prog.register_socket(64, 0),
            Err(XdpError::InvalidQueue { queue: 64 })
        ));
        prog.unregister_socket(0)
            .expect("unregistering an empty slot is fine");

        // veth has one queue by default: queue 3 does not exist.
        let err = XskSocket::open(&net.if_a, 3, XskConfig::default()).unwrap_err();
        assert!(
            matches!(
                err,
                XskError::Sys {
                    errno: libc::EINVAL,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("queue"), "{err}");
        let err = XskSocket::open("xdhcp-nope0", 0, XskConfig::default()).unwrap_err();
        assert!(matches!(err, XskError::UnknownInterface { .. }), "{err}");
        let bad = XskConfig {
            fill_size: 1000,
            ..XskConfig::default()
        };
        assert!(matches!(
            XskSocket::open(&net.if_a, 0, bad),
            Err(XskError::InvalidConfig(_))
        ));
        // Two sockets on one queue: the second is refused.
        let _first = XskSocket::open(&net.if_a, 0, XskConfig::default()).expect("first");
        let err = XskSocket::open(&net.if_a, 0, XskConfig::default()).unwrap_err();
        assert!(
            matches!(
                err,
                XskError::Sys {
                    errno: libc::EBUSY,
                    ..
                }
            ),
            "{err}"
        );
    });
    assert!(!net.xdp_on_a());
}

#[test]
fn stale_legacy_attachment_is_replaced() {
    if !root_or_skip("stale_legacy_attachment_is_replaced") {
        return;
    }
    let net = TestNet::new(None);
    let obj = std::env::temp_dir().join(format!("xdhcp-ebpf-{}-legacy.o", std::process::id()));
    std::fs::write(&obj, xdhcp_ebpf::XDP_DHCP_OBJECT).unwrap();
    // What a crashed run on a kernel without XDP links leaves: a netlink-attached xdp_dhcp.
    let out = Command::new("ip")
        .args([
            "-n",
            &net.ns_a,
            "link",
            "set",
            "dev",
            &net.if_a,
            "xdpgeneric",
            "obj",
        ])
        .arg(&obj)
        .args(["sec", "xdp"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&obj);
    if !out.status.success() {
        skip(
            "stale_legacy_attachment_is_replaced",
            &format!(
                "iproute2 cannot load the object: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        );
        return;
    }
    assert!(net.xdp_on_a());
    in_ns(&net.ns_a, || {
        let prog = XdpProgram::attach(&net.if_a, AttachMode::Native, DHCP_PORTS)
            .expect("replaces the stale one");
        assert_eq!(prog.mode(), AttachMode::Native);
        assert!(!net.link_a().contains("xdpgeneric"));
    });
    assert!(!net.xdp_on_a(), "{}", net.link_a());
}

/// Runs this test binary's `helper_process` with `spec` and waits (bounded) for `marker` on
/// its stdout; returns the child, still running, or None when it exited without the marker.
fn spawn_helper(spec: &str, marker: &'static str) -> (std::process::Child, bool) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "helper_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn helper");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(marker) {
                let _ = tx.send(());
            }
        }
    });
    let seen = rx.recv_timeout(Duration::from_secs(30)).is_ok();
    (child, seen)
}

#[test]
fn sigkilled_process_leaves_no_program() {
    if !root_or_skip("sigkilled_process_leaves_no_program") {
        return;
    }
    let net = TestNet::new(None);
    for mode in ["native", "generic"] {
        let (mut child, attached) = spawn_helper(
            &format!("{} {} {mode}", net.ns_a, net.if_a),
            "XDHCP-ATTACHED",
        );
        if !attached {
            let _ = child.kill();
            let _ = child.wait();
            panic!("helper did not attach ({mode})");
        }
        assert!(net.xdp_on_a(), "helper attached but ip shows nothing");
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        assert!(
            wait_for(Duration::from_secs(5), || !net.xdp_on_a()),
            "{mode}: program still attached after SIGKILL: {}",
            net.link_a()
        );
    }
}

#[test]
fn unprivileged_process_gets_clear_errors() {
    if !root_or_skip("unprivileged_process_gets_clear_errors") {
        return;
    }
    let net = TestNet::new(None);
    let (mut child, ok) = spawn_helper(
        &format!("{} {} noperm", net.ns_a, net.if_a),
        "XDHCP-NOPERM-OK",
    );
    let status = child.wait().unwrap();
    assert!(ok && status.success(), "helper: {status}");
    assert!(!net.xdp_on_a());
}

/// Helper mode, selected by the environment variable: "NS IF native|generic" attaches (with a
/// socket registered), says so and sleeps until killed (60 s at most); "NS IF noperm" drops
/// root and checks that attaching and opening a socket fail with NotPermitted. Without the
/// variable it does nothing.
#[test]
fn helper_process() {
    let Ok(spec) = std::env::var(HELPER_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split(' ').collect();
    let (ns, ifname, what) = (parts[0], parts[1], parts[2]);
    in_ns(ns, || {
        if what == "noperm" {
            // SAFETY: plain credential changes in a helper process that owns nothing else;
            // leaving uid 0 clears the effective capabilities of every thread.
            unsafe {
                assert_eq!(libc::setgroups(0, std::ptr::null()), 0);
                assert_eq!(libc::setresgid(65534, 65534, 65534), 0);
                assert_eq!(libc::setresuid(65534, 65534, 65534), 0);
            }
            let err = XdpProgram::attach(ifname, AttachMode::Auto, DHCP_PORTS).unwrap_err();
            assert!(matches!(err, XdpError::NotPermitted { .. }), "{err}");
            assert!(err.to_string().contains("CAP_BPF"), "{err}");
            let err = XskSocket::open(ifname, 0, XskConfig::default()).unwrap_err();
            assert!(matches!(err, XskError::NotPermitted { .. }), "{err}");
            assert!(err.to_string().contains("CAP_NET_RAW"), "{err}");
            println!("XDHCP-NOPERM-OK");
            return;
        }
        let mode = if what == "native" {
            AttachMode::Native
        } else {
            AttachMode::Generic
        };
        let mut prog = XdpProgram::attach(ifname, mode, DHCP_PORTS).expect("helper attach");
        let xsk = XskSocket::open(ifname, 0, XskConfig::default()).expect("helper xsk");
        prog.register_socket(0, xsk.fd()).unwrap();
        println!("XDHCP-ATTACHED");
        std::thread::sleep(Duration::from_secs(60));
    });
}

fn ethtool(ns: &str, args: &[&str]) {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "ethtool"])
        .args(args)
        .output()
        .expect("ethtool");
    assert!(
        out.status.success(),
        "ethtool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn native_mode_serves_each_queue_with_its_socket() {
    if !root_or_skip("native_mode_serves_each_queue_with_its_socket") {
        return;
    }
    if Command::new("ethtool").arg("--version").output().is_err() {
        skip(
            "native_mode_serves_each_queue_with_its_socket",
            "needs ethtool (apt-get install ethtool)",
        );
        return;
    }
    let net = TestNet::new(None);
    // The peer transmits on 2 queues while A still receives on 1: veth refuses native XDP.
    ethtool(&net.ns_b, &["-L", &net.if_b, "rx", "2", "tx", "2"]);
    in_ns(&net.ns_a, || {
        let err = XdpProgram::attach(&net.if_a, AttachMode::Native, DHCP_PORTS).unwrap_err();
        assert!(matches!(err, XdpError::NativeUnsupported { .. }), "{err}");
        eprintln!("native on veth with fewer RX queues than the peer's TX queues: {err}");
    });
    ethtool(&net.ns_a, &["-L", &net.if_a, "rx", "2", "tx", "2"]);
    in_ns(&net.ns_a, || {
        let mut prog =
            XdpProgram::attach(&net.if_a, AttachMode::Native, DHCP_PORTS).expect("attach");
        let mut socks: Vec<XskSocket> = (0..2)
            .map(|q| XskSocket::open(&net.if_a, q, XskConfig::default()).expect("xsk"))
            .collect();
        for s in &socks {
            prog.register_socket(s.queue(), s.fd()).unwrap();
        }
        // 32 sockets: the peer picks a TX queue per socket (hash), which is A's RX queue.
        in_ns(&net.ns_b, || {
            for i in 0..32u16 {
                let s = udp_bind(ADDR_B, 20000 + i);
                s.send_to(b"flow", (std::net::Ipv4Addr::from(ADDR_A), 67))
                    .unwrap();
            }
        });
        let mut per_queue = [0u64; 2];
        let deadline = Instant::now() + Duration::from_secs(3);
        while per_queue.iter().sum::<u64>() < 32 && Instant::now() < deadline {
            for (q, s) in socks.iter_mut().enumerate() {
                s.wait_rx(Duration::from_millis(20)).unwrap();
                s.recv_batch(64, |f| {
                    assert_eq!(&f[f.len() - 4..], b"flow");
                    per_queue[q] += 1;
                })
                .unwrap();
            }
        }
        let c = prog.counters().unwrap();
        assert_eq!(per_queue.iter().sum::<u64>(), 32, "{per_queue:?}");
        assert_eq!(
            [c[0].steered, c[1].steered],
            per_queue,
            "counters match what each socket got"
        );
        assert!(
            per_queue.iter().all(|&n| n > 0),
            "32 flows all on one queue: {per_queue:?}"
        );
    });
    assert!(!net.xdp_on_a());
}
