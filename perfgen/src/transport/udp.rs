//! Relay mode over plain UDP: perfgen is the relay agent. v4 sends from
//! local:67 to server:67 with giaddr = local; v6 sends Relay-forward from
//! local:547 to server:547. Replies come back to the same socket.

use std::io;
use std::net::{IpAddr, SocketAddr};

use super::{Fd, RxBatch, Transport, TxBatch, big_buffers, poll_fd, recvmmsg_batch, sendmmsg_all};

/// A bound UDP socket talking to one server address.
pub struct UdpTransport {
    fd: Fd,
    dst4: libc::sockaddr_in,
    dst6: libc::sockaddr_in6,
    v6: bool,
    gso: bool,
}

fn sockaddr(a: SocketAddr) -> (libc::sockaddr_in, libc::sockaddr_in6) {
    // SAFETY: plain old data.
    let mut s4: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    // SAFETY: plain old data.
    let mut s6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    match a {
        SocketAddr::V4(a) => {
            s4.sin_family = libc::AF_INET as libc::sa_family_t;
            s4.sin_port = a.port().to_be();
            s4.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
        }
        SocketAddr::V6(a) => {
            s6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            s6.sin6_port = a.port().to_be();
            s6.sin6_addr.s6_addr = a.ip().octets();
            s6.sin6_scope_id = a.scope_id();
        }
    }
    (s4, s6)
}

impl UdpTransport {
    /// Binds `local` and sends to `server`.
    pub fn new(local: SocketAddr, server: SocketAddr) -> io::Result<UdpTransport> {
        let v6 = local.is_ipv6();
        let dom = if v6 { libc::AF_INET6 } else { libc::AF_INET };
        // SAFETY: plain socket call.
        let fd = unsafe {
            libc::socket(
                dom,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = Fd(fd);
        super::setsockopt_int(fd.0, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        big_buffers(fd.0);
        let (l4, l6) = sockaddr(local);
        // SAFETY: pointers to live sockaddrs with their sizes.
        let r = unsafe {
            if v6 {
                libc::bind(
                    fd.0,
                    &l6 as *const _ as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            } else {
                libc::bind(
                    fd.0,
                    &l4 as *const _ as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!(
                    "cannot bind {local}: {e} (relay mode needs that address on a local interface, and root for port 67/547)"
                ),
            ));
        }
        if let IpAddr::V6(ip) = server.ip()
            && ip.is_multicast()
        {
            // multicast to All_DHCP_Relay_Agents_and_Servers: 1 hop is enough
            let _ = super::setsockopt_int(fd.0, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS, 1);
        }
        let (dst4, dst6) = sockaddr(server);
        // UDP GSO: probe the option (0 = off per packet, set per send).
        let gso = super::setsockopt_int(fd.0, libc::SOL_UDP, libc::UDP_SEGMENT, 0).is_ok();
        Ok(UdpTransport {
            fd,
            dst4,
            dst6,
            v6,
            gso,
        })
    }

    /// Turns UDP GSO off (then every datagram is its own sendmmsg entry).
    pub fn set_gso(&mut self, on: bool) {
        self.gso = self.gso && on;
    }

    /// Whether UDP GSO is in use.
    pub fn gso(&self) -> bool {
        self.gso
    }
}

impl Transport for UdpTransport {
    fn name(&self) -> &'static str {
        "udp-relay"
    }
    fn headroom(&self) -> usize {
        0
    }
    fn send(&mut self, tx: &mut TxBatch) -> io::Result<()> {
        let name = if self.v6 {
            (
                &self.dst6 as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        } else {
            (
                &self.dst4 as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        if self.gso {
            return super::send_gso(self.fd.0, tx, name);
        }
        sendmmsg_all(self.fd.0, tx, Some(name), false)
    }
    fn recv(&mut self, rx: &mut RxBatch) -> io::Result<usize> {
        recvmmsg_batch(self.fd.0, rx)
    }
    fn wait(&mut self, timeout_ns: u64) -> io::Result<()> {
        poll_fd(self.fd.0, libc::POLLIN, timeout_ns).map(|_| ())
    }
}
