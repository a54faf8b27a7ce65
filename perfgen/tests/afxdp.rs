//! perfgen's layer-2 transports over a veth pair between two network
//! namespaces: AF_XDP in native and generic XDP mode (one and two queues),
//! the fallback to the packet socket, and the XDP program detached after
//! every run (normal end, error, SIGINT).
//!
//! Needs root (skips with a `SKIP` line otherwise), `ip` and, for the
//! two-queue test, `ethtool`. DHCPv4 is answered by the real xdhcpd
//! (`target/debug/xdhcpd`, or `XDHCPD_BIN`) in raw mode when it exists, else
//! (or with `PERFGEN_TEST_RESPONDER=toy`) by a packet-socket responder in the
//! test; DHCPv6 by a UDP responder in the test, whose replies to the
//! clients' link-local addresses make the server's kernel resolve them
//! (Neighbor Discovery answered by perfgen). Addresses: 192.0.2.0/24,
//! 198.18.0.0/15 and 2001:db8::/32 only. Everything is removed on drop;
//! every child runs under `timeout`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use xdhcp_perfgen::v4::toy_server;
use xdhcp_perfgen::v6::toy_server6;
use xdhcp_wire::frame::{parse_udp4, udp4_header_len, write_udp4};

const SERVER_IF: &str = "vs";
const CLIENT_IF: &str = "vc";
const PERFGEN: &str = env!("CARGO_BIN_EXE_perfgen");

/// Whether the test can run; prints the reason when not.
fn can_run(name: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIP {name}: needs root (network namespaces, XDP, AF_XDP)");
        return false;
    }
    if Command::new("ip").arg("-V").output().is_err() {
        println!("SKIP {name}: `ip` (iproute2) not found");
        return false;
    }
    true
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn must(cmd: &str, args: &[&str]) -> Output {
    let o = run(cmd, args);
    assert!(
        o.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Two namespaces joined by a veth pair: `vs` (192.0.2.1/24) in the server
/// namespace, `vc` (unnumbered) in the client namespace. Removed on drop.
struct Net {
    server_ns: String,
    client_ns: String,
    dir: PathBuf,
}

impl Net {
    fn new() -> Net {
        let base = format!(
            "pgx{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(&base);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let net = Net {
            server_ns: format!("{base}s"),
            client_ns: format!("{base}c"),
            dir,
        };
        for ns in [&net.server_ns, &net.client_ns] {
            must("ip", &["netns", "add", ns]);
            must(
                "ip",
                &[
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0",
                ],
            );
            must("ip", &["-n", ns, "link", "set", "lo", "up"]);
        }
        must(
            "ip",
            &[
                "-n",
                &net.server_ns,
                "link",
                "add",
                SERVER_IF,
                "mtu",
                "1500",
                "type",
                "veth",
                "peer",
                "name",
                CLIENT_IF,
                "mtu",
                "1500",
                "netns",
                &net.client_ns,
            ],
        );
        must(
            "ip",
            &[
                "-n",
                &net.server_ns,
                "addr",
                "add",
                "192.0.2.1/24",
                "dev",
                SERVER_IF,
            ],
        );
        must(
            "ip",
            &["-n", &net.server_ns, "link", "set", SERVER_IF, "up"],
        );
        must(
            "ip",
            &["-n", &net.client_ns, "link", "set", CLIENT_IF, "up"],
        );
        net
    }

    /// `ip -n CLIENT link show dev vc`.
    fn client_link(&self) -> String {
        let o = must(
            "ip",
            &["-n", &self.client_ns, "link", "show", "dev", CLIENT_IF],
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn assert_no_xdp(&self) {
        let l = self.client_link();
        assert!(!l.contains("xdp"), "an XDP program is left on vc:\n{l}");
    }

    /// Runs perfgen in the client namespace (bounded by `timeout 60`).
    fn perfgen(&self, args: &[&str]) -> Run {
        let o = must_spawn(self.perfgen_cmd(args))
            .wait_with_output()
            .expect("perfgen");
        Run::of(o)
    }

    fn perfgen_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.client_ns, "timeout", "60", PERFGEN])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in [&self.client_ns, &self.server_ns] {
            let _ = run("ip", &["netns", "del", ns]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn must_spawn(mut c: Command) -> Child {
    c.spawn().expect("spawn")
}

/// perfgen's exit status, JSON report and stderr.
struct Run {
    code: i32,
    json: Value,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(o: Output) -> Run {
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        Run {
            code: o.status.code().unwrap_or(-1),
            json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            stdout,
            stderr,
        }
    }

    fn n(&self, k: &str) -> u64 {
        self.json[k]
            .as_u64()
            .unwrap_or_else(|| panic!("no {k} in report; {self}"))
    }

    fn counter(&self, k: &str) -> u64 {
        self.json["transport_counters"][k]
            .as_u64()
            .unwrap_or_else(|| panic!("no counter {k}; {self}"))
    }

    fn detail(&self) -> &str {
        self.json["transport_detail"].as_str().unwrap_or_default()
    }

    /// Every one of `n` exchanges completed over `transport`.
    fn assert_all_completed(&self, n: u64, transport: &str) {
        assert_eq!(self.code, 0, "{self}");
        assert_eq!(self.json["transport"], transport, "{self}");
        assert_eq!(self.n("exchanges_started"), n, "{self}");
        assert_eq!(self.n("exchanges_completed"), n, "{self}");
        assert_eq!(self.n("drops"), 0, "{self}");
        for ph in self.json["phases"].as_array().expect("phases") {
            assert_eq!(ph["received"], ph["sent"], "{self}");
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Enters network namespace `ns` (this thread only).
fn enter_ns(ns: &str) {
    let f = std::fs::File::open(format!("/run/netns/{ns}")).expect("open netns");
    // SAFETY: setns on a namespace fd we own; affects this thread only.
    let r = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
}

/// The DHCP server side of a test.
enum Server {
    Xdhcpd(Child),
    Thread(Arc<AtomicBool>, Option<JoinHandle<()>>),
}

impl Drop for Server {
    fn drop(&mut self) {
        match self {
            Server::Xdhcpd(c) => {
                // `timeout` runs xdhcpd as its child and passes SIGTERM on; a SIGKILL
                // would end `timeout` alone and leave xdhcpd running.
                // SAFETY: plain kill(2) on our own child's pid.
                unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = c.kill();
                let _ = c.wait();
            }
            Server::Thread(stop, h) => {
                stop.store(true, Ordering::Relaxed);
                if let Some(h) = h.take() {
                    let _ = h.join();
                }
            }
        }
    }
}

fn xdhcpd_bin() -> Option<PathBuf> {
    if std::env::var("PERFGEN_TEST_RESPONDER").as_deref() == Ok("toy") {
        return None;
    }
    let p = std::env::var_os("XDHCPD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/xdhcpd"));
    p.is_file().then_some(p)
}

/// xdhcpd in raw mode on `vs` (config as systest/src/config.rs renders it),
/// else the in-test responder.
fn dhcp4_server(net: &Net) -> Server {
    let Some(bin) = xdhcpd_bin() else {
        println!("(in-test DHCPv4 responder: xdhcpd not built, or PERFGEN_TEST_RESPONDER=toy)");
        return toy4_server(net);
    };
    let leases = net.dir.join("leases4.csv");
    let cfg = net.dir.join("server.json");
    std::fs::write(
        &cfg,
        format!(
            r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["{SERVER_IF}"] }},
    "lease-database": {{ "type": "memfile", "name": "{}", "persist": false }},
    "valid-lifetime": 3600,
    "subnet4": [
      {{ "id": 1, "subnet": "192.0.2.0/24", "pools": [{{ "pool": "192.0.2.10 - 192.0.2.250" }}], "interface": "{SERVER_IF}" }}
    ]
  }}
}}
"#,
            leases.display()
        ),
    )
    .expect("write config");
    let log = std::fs::File::create(net.dir.join("xdhcpd.log")).expect("log");
    let child = Command::new("ip")
        .args(["netns", "exec", &net.server_ns, "timeout", "120"])
        .arg(&bin)
        .arg("-c")
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("dup"))
        .stderr(log)
        .spawn()
        .expect("start xdhcpd");
    let server = Server::Xdhcpd(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let o = run(
            "ip",
            &[
                "netns",
                "exec",
                &net.server_ns,
                "ss",
                "-Huln",
                "sport = :67",
            ],
        );
        if !o.stdout.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "xdhcpd not listening after 15 s; log:\n{}",
            std::fs::read_to_string(net.dir.join("xdhcpd.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// DISCOVER → OFFER, REQUEST → ACK, broadcast frames through a packet
/// socket on `vs` (addresses from 198.18.0.0/15).
fn toy4_server(net: &Net) -> Server {
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let ns = net.server_ns.clone();
    let s = stop.clone();
    let h = std::thread::spawn(move || {
        enter_ns(&ns);
        // SAFETY: plain socket call.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW,
                i32::from((libc::ETH_P_IP as u16).to_be()),
            )
        };
        assert!(
            fd >= 0,
            "packet socket: {}",
            std::io::Error::last_os_error()
        );
        let c = std::ffi::CString::new(SERVER_IF).unwrap();
        // SAFETY: valid C string.
        let ifindex = unsafe { libc::if_nametoindex(c.as_ptr()) };
        // SAFETY: plain old data.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_IP as u16).to_be();
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: pointer to a live sockaddr_ll of the given size.
        let r = unsafe {
            libc::bind(
                fd,
                &sll as *const _ as *const libc::sockaddr,
                size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert_eq!(r, 0);
        ready_tx.send(()).unwrap();
        let mut buf = [0u8; 2048];
        let mut out = [0u8; 2048];
        let h = udp4_header_len(0);
        while !s.load(Ordering::Relaxed) {
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut p, 1, 100) } <= 0 {
                continue;
            }
            // SAFETY: receives into a live buffer.
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n <= 0 {
                continue;
            }
            let Ok(f) = parse_udp4(&buf[..n as usize]) else {
                continue;
            };
            if f.dst_port != 67 {
                continue;
            }
            let Some(len) = toy_server(
                f.payload,
                &mut out[h..],
                Ipv4Addr::new(198, 18, 0, 0),
                Ipv4Addr::new(192, 0, 2, 1),
            ) else {
                continue;
            };
            let total = write_udp4(
                &mut out,
                [0xff; 6],
                [2, 0, 0, 0, 0, 1],
                &[],
                Ipv4Addr::new(192, 0, 2, 1),
                Ipv4Addr::BROADCAST,
                67,
                68,
                len,
            )
            .unwrap();
            // SAFETY: sends a live buffer on our bound socket.
            unsafe { libc::send(fd, out.as_ptr().cast(), total, 0) };
        }
        // SAFETY: our descriptor.
        unsafe { libc::close(fd) };
    });
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("responder ready");
    Server::Thread(stop, Some(h))
}

/// A DHCPv6 server on UDP [::]:547 (ff02::1:2 joined on `vs`) answering to
/// the client's link-local address, so the server's kernel resolves it by
/// Neighbor Discovery (answered by perfgen). Leases from 2001:db8::/32.
fn toy6_server(net: &Net) -> Server {
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let ns = net.server_ns.clone();
    let s = stop.clone();
    let h = std::thread::spawn(move || {
        enter_ns(&ns);
        let c = std::ffi::CString::new(SERVER_IF).unwrap();
        // SAFETY: valid C string.
        let ifindex = unsafe { libc::if_nametoindex(c.as_ptr()) };
        let sock = UdpSocket::bind("[::]:547").expect("bind [::]:547");
        sock.join_multicast_v6(&"ff02::1:2".parse::<Ipv6Addr>().unwrap(), ifindex)
            .expect("join ff02::1:2");
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        ready_tx.send(()).unwrap();
        let duid = [0, 3, 0, 1, 2, 0, 0, 0, 0, 1];
        let mut buf = [0u8; 2048];
        let mut out = [0u8; 2048];
        while !s.load(Ordering::Relaxed) {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            if let (Some(len), SocketAddr::V6(_)) = (toy_server6(&buf[..n], &mut out, &duid), from)
            {
                let _ = sock.send_to(&out[..len], from);
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("responder ready");
    Server::Thread(stop, Some(h))
}

const COUNT: &[&str] = &["-n", "200", "-r", "200", "-R", "200", "--json"];

fn afxdp_v4(mode: &str) {
    let net = Net::new();
    let _srv = dhcp4_server(&net);
    let mut args = vec![
        "-4",
        "--transport",
        "afxdp",
        "--xdp-mode",
        mode,
        "-l",
        CLIENT_IF,
    ];
    args.extend_from_slice(COUNT);
    let r = net.perfgen(&args);
    r.assert_all_completed(200, "afxdp");
    assert!(r.detail().contains(&format!("XDP {mode} mode")), "{r}");
    assert!(r.detail().contains("queue 0"), "{r}");
    assert_eq!(r.counter("xdp_steered"), 400, "OFFER + ACK per client: {r}");
    for k in [
        "xsk_rx_dropped",
        "xsk_rx_ring_full",
        "xsk_rx_invalid_descs",
        "xsk_tx_invalid_descs",
        "rx_foreign",
    ] {
        assert_eq!(r.counter(k), 0, "{k}: {r}");
    }
    net.assert_no_xdp();
}

#[test]
fn afxdp_v4_native_completes_every_exchange() {
    if can_run("afxdp_v4_native_completes_every_exchange") {
        afxdp_v4("native");
    }
}

#[test]
fn afxdp_v4_generic_completes_every_exchange() {
    if can_run("afxdp_v4_generic_completes_every_exchange") {
        afxdp_v4("generic");
    }
}

fn afxdp_v6(mode: &str) {
    let net = Net::new();
    let _srv = toy6_server(&net);
    let mut args = vec![
        "-6",
        "--transport",
        "afxdp",
        "--xdp-mode",
        mode,
        "-l",
        CLIENT_IF,
    ];
    args.extend_from_slice(COUNT);
    let r = net.perfgen(&args);
    r.assert_all_completed(200, "afxdp");
    assert!(r.detail().contains(&format!("XDP {mode} mode")), "{r}");
    // The server's kernel resolved every client's link-local address.
    assert!(r.counter("ns_answered") >= 200, "{r}");
    assert_eq!(r.counter("xdp_steered"), 400, "{r}");
    net.assert_no_xdp();
}

#[test]
fn afxdp_v6_native_answers_neighbor_discovery() {
    if can_run("afxdp_v6_native_answers_neighbor_discovery") {
        afxdp_v6("native");
    }
}

#[test]
fn afxdp_v6_generic_answers_neighbor_discovery() {
    if can_run("afxdp_v6_generic_answers_neighbor_discovery") {
        afxdp_v6("generic");
    }
}

#[test]
fn afxdp_two_queues_in_native_mode() {
    let name = "afxdp_two_queues_in_native_mode";
    if !can_run(name) {
        return;
    }
    if Command::new("ethtool").arg("--version").output().is_err() {
        println!("SKIP {name}: ethtool not found");
        return;
    }
    let net = Net::new();
    for (ns, dev) in [(&net.server_ns, SERVER_IF), (&net.client_ns, CLIENT_IF)] {
        must(
            "ip",
            &[
                "netns", "exec", ns, "ethtool", "-L", dev, "rx", "2", "tx", "2",
            ],
        );
    }
    let _srv = dhcp4_server(&net);
    let mut args = vec![
        "-4",
        "--transport",
        "afxdp",
        "--xdp-mode",
        "native",
        "-l",
        CLIENT_IF,
    ];
    args.extend_from_slice(COUNT);
    let r = net.perfgen(&args);
    r.assert_all_completed(200, "afxdp");
    assert!(r.detail().contains("queues 0-1"), "{r}");
    // Every steered frame was read, whichever queue it arrived on.
    assert_eq!(
        r.counter("xdp_steered_q0") + r.counter("xdp_steered_q1"),
        400,
        "{r}"
    );
    // Generic mode on veth: everything arrives on queue 0, one socket.
    let mut args = vec![
        "-4",
        "--transport",
        "afxdp",
        "--xdp-mode",
        "generic",
        "-l",
        CLIENT_IF,
    ];
    args.extend_from_slice(COUNT);
    let r = net.perfgen(&args);
    r.assert_all_completed(200, "afxdp");
    assert!(
        r.detail().contains("queue 0,") || r.detail().contains("queue 0)"),
        "{r}"
    );
    net.assert_no_xdp();
}

/// Peer MTU 9000: native XDP is refused on veth. `l2` then uses the packet
/// socket with exactly one note saying why; `afxdp` fails; `auto` mode
/// falls back to generic XDP.
#[test]
fn l2_falls_back_to_the_packet_socket_with_one_note() {
    if !can_run("l2_falls_back_to_the_packet_socket_with_one_note") {
        return;
    }
    let net = Net::new();
    must(
        "ip",
        &[
            "-n",
            &net.server_ns,
            "link",
            "set",
            SERVER_IF,
            "mtu",
            "9000",
        ],
    );
    let _srv = dhcp4_server(&net);
    let mut args = vec![
        "-4",
        "--transport",
        "l2",
        "--xdp-mode",
        "native",
        "-l",
        CLIENT_IF,
    ];
    args.extend_from_slice(COUNT);
    let r = net.perfgen(&args);
    r.assert_all_completed(200, "packet");
    let notes: Vec<&str> = r.stderr.lines().filter(|l| l.contains("AF_XDP")).collect();
    assert_eq!(notes.len(), 1, "{r}");
    assert!(
        notes[0].starts_with("note: AF_XDP unavailable on vc (") && notes[0].contains("MTU"),
        "{r}"
    );
    assert!(
        notes[0].ends_with("using an AF_PACKET socket (layer 2)"),
        "{r}"
    );

    let r = net.perfgen(&[
        "-4",
        "--transport",
        "afxdp",
        "--xdp-mode",
        "native",
        "-l",
        CLIENT_IF,
        "-n",
        "5",
    ]);
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stderr.contains("AF_XDP on vc") && r.stderr.contains("native"),
        "{r}"
    );

    let mut args = vec!["-4", "--transport", "auto", "-l", CLIENT_IF];
    args.extend_from_slice(COUNT);
    let r = net.perfgen(&args);
    r.assert_all_completed(200, "afxdp");
    assert!(r.detail().contains("XDP generic mode"), "{r}");
    assert!(!r.stderr.contains("note"), "{r}");

    let mut args = vec!["-4", "--transport", "packet", "-l", CLIENT_IF];
    args.extend_from_slice(COUNT);
    let r = net.perfgen(&args);
    r.assert_all_completed(200, "packet");
    assert!(!r.stderr.contains("note"), "{r}");
    net.assert_no_xdp();
}

/// The program is attached while perfgen runs and gone after an error
/// after attaching, and after SIGINT.
#[test]
fn detached_after_errors_and_signals() {
    if !can_run("detached_after_errors_and_signals") {
        return;
    }
    let net = Net::new();
    let _srv = dhcp4_server(&net);
    // --save-acks is opened after the transport: an error path with the
    // program attached.
    let r = net.perfgen(&[
        "-4",
        "--transport",
        "afxdp",
        "-l",
        CLIENT_IF,
        "-n",
        "5",
        "--save-acks",
        "/nonexistent-dir/acks.csv",
    ]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("--save-acks"), "{r}");
    net.assert_no_xdp();

    let child = must_spawn(net.perfgen_cmd(&[
        "-4",
        "--transport",
        "afxdp",
        "-l",
        CLIENT_IF,
        "-r",
        "100",
        "-R",
        "100",
        "-p",
        "30",
        "--json",
    ]));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !net.client_link().contains("xdp") {
        assert!(
            Instant::now() < deadline,
            "no XDP program on vc while perfgen runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    // `ip netns exec` execs `timeout`, which passes SIGINT on to perfgen.
    // SAFETY: signals our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let o = child.wait_with_output().expect("perfgen");
    let r = Run::of(o);
    assert_eq!(r.json["exit_reason"], "Interrupted", "{r}");
    assert!(r.n("exchanges_completed") > 0, "{r}");
    net.assert_no_xdp();
}
