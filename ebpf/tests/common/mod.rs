//! Helpers for the root-only tests: network namespaces joined by a veth pair (torn down on
//! drop), running code inside a namespace, raw frames in and out, and an ICMP echo.
//! Addresses: 192.0.2.0/24 and IPv6 link-local only.

#![allow(dead_code)]

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const ADDR_A: [u8; 4] = [192, 0, 2, 1];
pub const ADDR_B: [u8; 4] = [192, 0, 2, 2];

/// True when the tests can run; otherwise prints why they are skipped.
pub fn root_or_skip(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        true
    } else {
        skip(test, "needs root (network namespaces, XDP, AF_XDP)");
        false
    }
}

/// Prints why a test is skipped, past the test harness's output capture.
pub fn skip(test: &str, why: &str) {
    use std::io::Write;
    // One write, so lines of tests running in parallel do not interleave.
    let _ = std::io::stderr().write_all(format!("SKIP {test}: {why}\n").as_bytes());
}

/// Runs `ip ARGS`, panicking with its stderr on failure.
pub fn ip(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().expect("running ip");
    assert!(
        out.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_in(ns: &str, cmd: &[&str]) -> std::process::Output {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .args(cmd)
        .output()
        .expect("running ip netns exec")
}

/// Two namespaces, `a` and `b`, joined by veth `if_a` (in a, 192.0.2.1) — `if_b` (in b,
/// 192.0.2.2). Dropping it deletes both namespaces (and so the pair).
pub struct TestNet {
    pub ns_a: String,
    pub ns_b: String,
    pub if_a: String,
    pub if_b: String,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl TestNet {
    /// Builds the pair; `mtu_b` sets the peer's MTU (1500 when None).
    pub fn new(mtu_b: Option<u32>) -> TestNet {
        let id = format!(
            "{}{}",
            std::process::id() % 100_000,
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let net = TestNet {
            ns_a: format!("xdhcp-ebpf-a{id}"),
            ns_b: format!("xdhcp-ebpf-b{id}"),
            if_a: format!("xa{id}"),
            if_b: format!("xb{id}"),
        };
        ip(&["netns", "add", &net.ns_a]);
        ip(&["netns", "add", &net.ns_b]);
        ip(&[
            "link", "add", &net.if_a, "netns", &net.ns_a, "mtu", "1500", "type", "veth", "peer",
            "name", &net.if_b, "netns", &net.ns_b, "mtu", "1500",
        ]);
        for (ns, ifname, addr) in [
            (&net.ns_a, &net.if_a, "192.0.2.1/24"),
            (&net.ns_b, &net.if_b, "192.0.2.2/24"),
        ] {
            // IPv6 off: no DAD/MLD/RS chatter in the counters; crafted IPv6 frames still
            // traverse XDP (it runs before the stack looks at them).
            let _ = run_in(ns, &["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
            let _ = run_in(
                ns,
                &[
                    "sysctl",
                    "-qw",
                    &format!("net.ipv6.conf.{ifname}.disable_ipv6=1"),
                ],
            );
            ip(&["-n", ns, "addr", "add", addr, "dev", ifname]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        if let Some(mtu) = mtu_b {
            ip(&[
                "-n",
                &net.ns_b,
                "link",
                "set",
                &net.if_b,
                "mtu",
                &mtu.to_string(),
            ]);
        }
        ip(&["-n", &net.ns_a, "link", "set", &net.if_a, "up"]);
        ip(&["-n", &net.ns_b, "link", "set", &net.if_b, "up"]);
        net
    }

    /// `ip -d link show` of `if_a`, to look for an attached program.
    pub fn link_a(&self) -> String {
        ip(&["-n", &self.ns_a, "-d", "link", "show", "dev", &self.if_a])
    }

    /// Whether `if_a` has any XDP program attached.
    pub fn xdp_on_a(&self) -> bool {
        let out = self.link_a();
        out.contains("xdp") || out.contains("prog/")
    }

    pub fn mac_a(&self) -> [u8; 6] {
        mac_of(&self.ns_a, &self.if_a)
    }

    pub fn mac_b(&self) -> [u8; 6] {
        mac_of(&self.ns_b, &self.if_b)
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        for ns in [&self.ns_a, &self.ns_b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

fn mac_of(ns: &str, ifname: &str) -> [u8; 6] {
    let out = ip(&["-n", ns, "-o", "link", "show", "dev", ifname]);
    let hex = out
        .split("link/ether ")
        .nth(1)
        .expect("link/ether")
        .split_whitespace()
        .next()
        .unwrap();
    let mut mac = [0u8; 6];
    for (i, part) in hex.split(':').enumerate() {
        mac[i] = u8::from_str_radix(part, 16).unwrap();
    }
    mac
}

/// Runs `f` on a thread that has entered network namespace `ns`, and returns its result.
pub fn in_ns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    let path = CString::new(format!("/run/netns/{ns}")).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: path is a valid C string; the fd is checked and owned.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            assert!(
                fd >= 0,
                "open {path:?}: {}",
                std::io::Error::last_os_error()
            );
            // SAFETY: fresh descriptor.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            // SAFETY: setns on this thread only (network namespaces are per thread).
            let rc = unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {ns}: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .expect("namespace thread panicked")
    })
}

/// An AF_PACKET raw socket on one interface (create it inside the interface's namespace).
pub struct PacketSocket {
    fd: OwnedFd,
    ifindex: i32,
}

impl PacketSocket {
    /// Receives frames of EtherType `proto` (ETH_P_ALL = 3 for all) on `ifname`.
    pub fn open(ifname: &str, proto: u16) -> PacketSocket {
        let proto_be = proto.to_be();
        // SAFETY: plain socket call; checked below.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                proto_be as i32,
            )
        };
        assert!(
            fd >= 0,
            "packet socket: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: fresh descriptor.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let c = CString::new(ifname).unwrap();
        // SAFETY: valid C string.
        let ifindex = unsafe { libc::if_nametoindex(c.as_ptr()) } as i32;
        assert!(ifindex > 0, "no interface {ifname}");
        // SAFETY: zeroed sockaddr_ll is valid; fields set below.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto_be;
        sll.sll_ifindex = ifindex;
        // SAFETY: sll is a valid sockaddr_ll of the given size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert_eq!(
            rc,
            0,
            "bind packet socket: {}",
            std::io::Error::last_os_error()
        );
        PacketSocket { fd, ifindex }
    }

    pub fn send(&self, frame: &[u8]) {
        // SAFETY: zeroed sockaddr_ll is valid; fields set below.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_ifindex = self.ifindex;
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&frame[..6]);
        // SAFETY: frame and sll are valid for the call.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert_eq!(
            n,
            frame.len() as isize,
            "packet send: {}",
            std::io::Error::last_os_error()
        );
    }

    /// The next received frame (outgoing copies skipped) within `timeout`.
    pub fn recv(&self, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; 4096];
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut pfd, 1, left.as_millis().max(1) as i32) };
            if rc <= 0 {
                return None;
            }
            // SAFETY: zeroed sockaddr_ll is valid output storage.
            let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut len = size_of::<libc::sockaddr_ll>() as u32;
            // SAFETY: buf and sll are valid output buffers of the given sizes.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                    (&mut sll as *mut libc::sockaddr_ll).cast(),
                    &mut len,
                )
            };
            if n > 0 && sll.sll_pkttype != libc::PACKET_OUTGOING {
                return Some(buf[..n as usize].to_vec());
            }
        }
    }
}

fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    for chunk in data.chunks(2) {
        let word = if chunk.len() == 2 {
            u16::from_be_bytes([chunk[0], chunk[1]])
        } else {
            u16::from_be_bytes([chunk[0], 0])
        };
        sum += u32::from(word);
    }
    sum
}

fn csum_fold(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Ethernet header with optional VLAN tags (TPID, TCI), outermost first.
pub fn eth(dst: [u8; 6], src: [u8; 6], tags: &[(u16, u16)], ethertype: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    for &(tpid, tci) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f
}

/// A full IPv4/UDP frame.
#[allow(clippy::too_many_arguments)]
pub fn ipv4_udp(
    dst_mac: [u8; 6],
    src_mac: [u8; 6],
    tags: &[(u16, u16)],
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = eth(dst_mac, src_mac, tags, 0x0800);
    let total = 20 + 8 + payload.len();
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0];
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = csum_fold(csum_add(0, &ip));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    let mut udp = Vec::new();
    udp.extend_from_slice(&sport.to_be_bytes());
    udp.extend_from_slice(&dport.to_be_bytes());
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    let c = csum_fold(csum_add(csum_add(0, &pseudo), &udp));
    udp[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    f.extend_from_slice(&udp);
    f
}

/// A full IPv6/UDP frame from fe80::2 to ff02::1:2 (All_DHCP_Relay_Agents_and_Servers),
/// with a hop-by-hop options header (PadN) before the UDP header.
pub fn ipv6_hbh_udp(src_mac: [u8; 6], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let dst_mac = [0x33, 0x33, 0, 1, 0, 2];
    let mut f = eth(dst_mac, src_mac, &[], 0x86dd);
    let src: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let dst: [u8; 16] = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2];
    let udp_len = 8 + payload.len();
    let plen = 8 + udp_len;
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&(plen as u16).to_be_bytes());
    f.extend_from_slice(&[0, 1]); // next header: hop-by-hop; hop limit 1
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // HBH: next UDP, 8 bytes, PadN(4)
    let mut udp = Vec::new();
    udp.extend_from_slice(&sport.to_be_bytes());
    udp.extend_from_slice(&dport.to_be_bytes());
    udp.extend_from_slice(&(udp_len as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&(udp_len as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 17]);
    let c = csum_fold(csum_add(csum_add(0, &pseudo), &udp));
    udp[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    f.extend_from_slice(&udp);
    f
}

/// Sends one ICMP echo request to `dst` (from inside a namespace) and waits for the reply.
pub fn ping(dst: [u8; 4], timeout: Duration) -> bool {
    // SAFETY: plain socket call; checked below.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_ICMP,
        )
    };
    assert!(
        fd >= 0,
        "raw icmp socket: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: fresh descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let id = (std::process::id() & 0xffff) as u16;
    let mut req = vec![8, 0, 0, 0];
    req.extend_from_slice(&id.to_be_bytes());
    req.extend_from_slice(&1u16.to_be_bytes());
    req.extend_from_slice(b"xdhcp-ebpf ping");
    let c = csum_fold(csum_add(0, &req));
    req[2..4].copy_from_slice(&c.to_be_bytes());
    let to = libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(dst),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: req and to are valid for the call.
    let n = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            req.as_ptr().cast(),
            req.len(),
            0,
            (&to as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as u32,
        )
    };
    assert_eq!(
        n,
        req.len() as isize,
        "icmp send: {}",
        std::io::Error::last_os_error()
    );
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1500];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, left.as_millis().max(1) as i32) } <= 0 {
            break;
        }
        // SAFETY: buf is a valid output buffer.
        let n = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n < 28 {
            continue;
        }
        let ihl = usize::from(buf[0] & 0xf) * 4;
        let icmp = &buf[ihl..n as usize];
        if buf[12..16] == dst && icmp[0] == 0 && icmp[4..6] == id.to_be_bytes() {
            return true;
        }
    }
    false
}

/// A UDP socket bound to `addr:port` (inside a namespace), with a receive timeout.
pub fn udp_bind(addr: [u8; 4], port: u16) -> std::net::UdpSocket {
    let s = std::net::UdpSocket::bind((std::net::Ipv4Addr::from(addr), port)).expect("udp bind");
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s
}

/// Sends a broadcast UDP datagram out of `ifname` (inside its namespace), like a DHCP client.
pub fn udp_broadcast(ifname: &str, sport: u16, dport: u16, payload: &[u8]) {
    let s = std::net::UdpSocket::bind((std::net::Ipv4Addr::from(ADDR_B), sport)).expect("udp bind");
    s.set_broadcast(true).unwrap();
    let name = CString::new(ifname).unwrap();
    // SAFETY: the option value is the interface name, valid for the call.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_ptr().cast(),
            name.as_bytes_with_nul().len() as u32,
        )
    };
    assert_eq!(
        rc,
        0,
        "SO_BINDTODEVICE: {}",
        std::io::Error::last_os_error()
    );
    s.send_to(payload, (std::net::Ipv4Addr::BROADCAST, dport))
        .expect("broadcast send");
}

/// Waits until `cond` holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
