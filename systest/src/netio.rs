//! Network checks run from inside a namespace on a thread that `setns`es into it (the
//! rest of the process is untouched): an ICMP echo without `ping`, a UDP datagram between
//! two namespaces, a packet-socket capture that reports VLAN tags, and the XDP state of
//! an interface.

use crate::util::run;
use std::ffi::CString;
use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Runs `f` on a thread inside network namespace `ns` and returns its result.
pub fn in_ns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    let path = CString::new(format!("/run/netns/{ns}")).expect("namespace name");
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: path is a valid C string; the fd is checked and owned.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            assert!(fd >= 0, "open {path:?}: {}", io::Error::last_os_error());
            // SAFETY: a fresh descriptor nothing else owns.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            // SAFETY: setns changes this thread's network namespace only.
            let rc = unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {ns}: {}", io::Error::last_os_error());
            f()
        })
        .join()
        .expect("namespace thread panicked")
    })
}

fn csum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// One ICMP echo to `dst` from namespace `ns` (raw socket, so `ping` need not be
/// installed); true when the echo reply came back within `timeout`.
pub fn ping(ns: &str, dst: Ipv4Addr, timeout: Duration) -> bool {
    in_ns(ns, || {
        // SAFETY: plain socket call; checked below.
        let fd = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_ICMP,
            )
        };
        assert!(fd >= 0, "raw ICMP socket: {}", io::Error::last_os_error());
        // SAFETY: a fresh descriptor.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let id = (std::process::id() & 0xffff) as u16;
        let mut req = vec![8, 0, 0, 0];
        req.extend_from_slice(&id.to_be_bytes());
        req.extend_from_slice(&1u16.to_be_bytes());
        req.extend_from_slice(b"xdhcp systest ping");
        let c = csum(&req);
        req[2..4].copy_from_slice(&c.to_be_bytes());
        let to = libc::sockaddr_in {
            sin_family: libc::AF_INET as u16,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from(dst).to_be(),
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
        if n != req.len() as isize {
            return false;
        }
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
            if buf[12..16] == dst.octets() && icmp[0] == 0 && icmp[4..6] == id.to_be_bytes() {
                return true;
            }
        }
        false
    })
}

/// Sends one UDP datagram from `from_ns` to `to:port`, where a socket bound in `to_ns`
/// listens; true when it arrived within `timeout`.
pub fn udp_reaches(from_ns: &str, to_ns: &str, to: Ipv4Addr, port: u16, timeout: Duration) -> bool {
    let sock = in_ns(to_ns, || {
        UdpSocket::bind((to, port)).expect("bind UDP listener")
    });
    sock.set_read_timeout(Some(timeout)).ok();
    in_ns(from_ns, || {
        let s = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).expect("bind UDP sender");
        s.send_to(b"not dhcp", (to, port)).expect("send UDP");
    });
    let mut buf = [0u8; 64];
    matches!(sock.recv_from(&mut buf), Ok((8, _)))
}

/// A frame captured by [`Capture`], with the VLAN tag the kernel took off (if any).
#[derive(Clone, Debug)]
pub struct Captured {
    /// The frame as the socket saw it (untagged: the kernel strips the outer tag).
    pub frame: Vec<u8>,
    /// `(TPID, TCI)` of the stripped tag.
    pub vlan: Option<(u16, u16)>,
}

/// An AF_PACKET socket receiving every frame on one interface, with PACKET_AUXDATA so the
/// VLAN tag the receive path strips is reported.
pub struct Capture {
    fd: OwnedFd,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct TpacketAuxdata {
    tp_status: u32,
    tp_len: u32,
    tp_snaplen: u32,
    tp_mac: u16,
    tp_net: u16,
    tp_vlan_tci: u16,
    tp_vlan_tpid: u16,
}

const PACKET_AUXDATA: libc::c_int = 8;
const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;

impl Capture {
    /// Opens the capture; call inside the interface's namespace (see [`in_ns`]).
    pub fn open(ifname: &str) -> io::Result<Capture> {
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket call; checked below.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                i32::from(proto),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let name = CString::new(ifname).map_err(io::Error::other)?;
        // SAFETY: valid C string.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(io::Error::last_os_error());
        }
        let on: libc::c_int = 1;
        // SAFETY: an int option on our socket.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_AUXDATA,
                (&on as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as u32,
            )
        };
        // SAFETY: a zeroed sockaddr_ll is valid; fields set below.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: sll is a valid sockaddr_ll of the given size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Capture { fd })
    }

    /// The next incoming frame within `timeout` (outgoing copies skipped).
    pub fn recv(&self, timeout: Duration) -> Option<Captured> {
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
            if unsafe { libc::poll(&mut pfd, 1, left.as_millis().max(1) as i32) } <= 0 {
                return None;
            }
            let mut cmsg = [0u64; 16];
            // SAFETY: zeroed sockaddr_ll / msghdr are valid; every pointer set below
            // points at a live local of the stated size.
            let (n, sll, msg) = unsafe {
                let mut sll: libc::sockaddr_ll = std::mem::zeroed();
                let mut iov = libc::iovec {
                    iov_base: buf.as_mut_ptr().cast(),
                    iov_len: buf.len(),
                };
                let mut msg: libc::msghdr = std::mem::zeroed();
                msg.msg_name = (&mut sll as *mut libc::sockaddr_ll).cast();
                msg.msg_namelen = size_of::<libc::sockaddr_ll>() as u32;
                msg.msg_iov = &mut iov;
                msg.msg_iovlen = 1;
                msg.msg_control = cmsg.as_mut_ptr().cast();
                msg.msg_controllen = size_of::<[u64; 16]>();
                let n = libc::recvmsg(self.fd.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT);
                (n, sll, msg)
            };
            if n <= 0 || sll.sll_pkttype == libc::PACKET_OUTGOING {
                continue;
            }
            let mut vlan = None;
            // SAFETY: walks the control messages recvmsg just wrote into `cmsg`.
            unsafe {
                let mut c = libc::CMSG_FIRSTHDR(&msg);
                while !c.is_null() {
                    if (*c).cmsg_level == libc::SOL_PACKET && (*c).cmsg_type == PACKET_AUXDATA {
                        let aux: TpacketAuxdata =
                            std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const TpacketAuxdata);
                        if aux.tp_status & TP_STATUS_VLAN_VALID != 0 {
                            let tpid = if aux.tp_status & TP_STATUS_VLAN_TPID_VALID != 0 {
                                aux.tp_vlan_tpid
                            } else {
                                0x8100
                            };
                            vlan = Some((tpid, aux.tp_vlan_tci));
                        }
                    }
                    c = libc::CMSG_NXTHDR(&msg, c);
                }
            }
            return Some(Captured {
                frame: buf[..n as usize].to_vec(),
                vlan,
            });
        }
    }
}

/// Whether `ip -n NS link show dev IF` shows an XDP program on the interface.
pub fn xdp_attached(ns: &str, ifname: &str) -> bool {
    let out = run("ip", &["-n", ns, "link", "show", "dev", ifname]);
    let text = String::from_utf8_lossy(&out.stdout);
    text.contains("prog/xdp") || text.split_whitespace().any(|w| w.starts_with("xdp"))
}

/// `ethtool -L IF rx N tx N` inside `ns`.
pub fn set_queues(ns: &str, ifname: &str, n: u32) {
    let n = n.to_string();
    crate::util::must(
        "ip",
        &[
            "netns", "exec", ns, "ethtool", "-L", ifname, "rx", &n, "tx", &n,
        ],
    );
}
