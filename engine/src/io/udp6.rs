//! The DHCPv6 UDP backend: one socket on `[::]:547` that learns the receiving interface
//! and destination address of every datagram (IPV6_RECVPKTINFO), joins
//! All_DHCP_Relay_Agents_and_Servers (ff02::1:2) on each served interface, and sends
//! replies out of a chosen interface with a chosen source address (IPV6_PKTINFO).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, Socket, Type};

/// All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
pub const ALL_DHCP_RELAY_AGENTS_AND_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// Metadata of one received datagram.
#[derive(Clone, Copy, Debug)]
pub struct RecvMeta6 {
    pub len: usize,
    pub src: SocketAddrV6,
    pub dst: Ipv6Addr,
    pub ifindex: u32,
}

pub struct UdpSocket6 {
    sock: Socket,
}

fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    v: libc::c_int,
) -> io::Result<()> {
    // SAFETY: setsockopt with a valid fd and an int option value of the right size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&v as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl UdpSocket6 {
    /// Binds `[::]:port` (IPv6 only), non-blocking, IPV6_RECVPKTINFO on, multicast loop off.
    pub fn bind(port: u16) -> io::Result<UdpSocket6> {
        let sock = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
        sock.set_only_v6(true)?;
        sock.set_reuse_address(true)?;
        sock.set_nonblocking(true)?;
        let fd = sock.as_raw_fd();
        setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
        setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, 0)?;
        // Bursts of Solicits (perfdhcp, a link coming back) must not overflow the queue.
        let _ = sock.set_recv_buffer_size(4 << 20);
        let _ = sock.set_send_buffer_size(4 << 20);
        sock.bind(&SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0).into())
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot bind UDP port [::]:{port}: {e} (is another DHCPv6 server running?)"
                    ),
                )
            })?;
        Ok(UdpSocket6 { sock })
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Joins ff02::1:2 on interface `ifindex`. Joining twice is not an error.
    pub fn join_servers_group(&self, ifindex: u32) -> io::Result<()> {
        match self
            .sock
            .join_multicast_v6(&ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ifindex)
        {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Leaves ff02::1:2 on interface `ifindex` (errors ignored: the interface may be gone).
    pub fn leave_servers_group(&self, ifindex: u32) {
        let _ = self
            .sock
            .leave_multicast_v6(&ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ifindex);
    }

    /// Receives one datagram into `buf`; `Ok(None)` when nothing is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<RecvMeta6>> {
        // SAFETY: all structures are plain C data, zero-initialised, and the pointers
        // handed to recvmsg point at live locals of the right sizes.
        unsafe {
            let mut src: libc::sockaddr_in6 = zeroed();
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            let mut cmsg_buf = [0u64; 16];
            let mut msg: libc::msghdr = zeroed();
            msg.msg_name = (&mut src as *mut libc::sockaddr_in6).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = cmsg_buf.as_mut_ptr().cast();
            msg.msg_controllen = size_of::<[u64; 16]>();
            let n = libc::recvmsg(self.sock.as_raw_fd(), &mut msg, 0);
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                    _ => Err(e),
                };
            }
            let mut meta = RecvMeta6 {
                len: n as usize,
                src: SocketAddrV6::new(
                    Ipv6Addr::from(src.sin6_addr.s6_addr),
                    u16::from_be(src.sin6_port),
                    0,
                    src.sin6_scope_id,
                ),
                dst: Ipv6Addr::UNSPECIFIED,
                ifindex: 0,
            };
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::IPPROTO_IPV6 && (*c).cmsg_type == libc::IPV6_PKTINFO {
                    let info = libc::CMSG_DATA(c) as *const libc::in6_pktinfo;
                    let info = std::ptr::read_unaligned(info);
                    meta.ifindex = info.ipi6_ifindex;
                    meta.dst = Ipv6Addr::from(info.ipi6_addr.s6_addr);
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
            if meta.src.scope_id() == 0 && is_link_local(meta.src.ip()) {
                meta.src.set_scope_id(meta.ifindex);
            }
            Ok(Some(meta))
        }
    }

    /// Sends `payload` to `dst` out of interface `ifindex` with source address `src`
    /// (`::` lets the kernel choose, the interface's link-local for a link-local `dst`).
    pub fn send(
        &self,
        payload: &[u8],
        dst: SocketAddrV6,
        ifindex: u32,
        src: Ipv6Addr,
    ) -> io::Result<()> {
        // SAFETY: as in `recv`: plain C structures on the stack, sizes passed correctly.
        unsafe {
            let mut to: libc::sockaddr_in6 = zeroed();
            to.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            to.sin6_port = dst.port().to_be();
            to.sin6_addr.s6_addr = dst.ip().octets();
            to.sin6_scope_id = if is_link_local(dst.ip()) {
                if dst.scope_id() != 0 {
                    dst.scope_id()
                } else {
                    ifindex
                }
            } else {
                0
            };
            let mut iov = libc::iovec {
                iov_base: payload.as_ptr() as *mut libc::c_void,
                iov_len: payload.len(),
            };
            let mut cmsg_buf = [0u64; 8];
            let space = libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) as usize;
            let mut msg: libc::msghdr = zeroed();
            msg.msg_name = (&mut to as *mut libc::sockaddr_in6).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = cmsg_buf.as_mut_ptr().cast();
            msg.msg_controllen = space;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::IPPROTO_IPV6;
            (*c).cmsg_type = libc::IPV6_PKTINFO;
            (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as usize;
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: src.octets(),
                },
                ipi6_ifindex: ifindex,
            };
            std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut libc::in6_pktinfo, info);
            let n = libc::sendmsg(self.sock.as_raw_fd(), &msg, 0);
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// fe80::/10.
pub fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}
