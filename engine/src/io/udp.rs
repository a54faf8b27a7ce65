//! The portable UDP backend: one socket on 0.0.0.0:67 that learns the receiving interface
//! and destination address of every datagram (IP_PKTINFO) and sends relayed and unicast
//! replies with a chosen outgoing interface.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, Socket, Type};

/// Metadata of one received datagram.
#[derive(Clone, Copy, Debug)]
pub struct RecvMeta {
    pub len: usize,
    pub src: SocketAddrV4,
    pub dst: Ipv4Addr,
    pub ifindex: u32,
}

pub struct UdpSocket4 {
    sock: Socket,
}

impl UdpSocket4 {
    /// Binds `0.0.0.0:port`, non-blocking, broadcast allowed, IP_PKTINFO on.
    pub fn bind(port: u16) -> io::Result<UdpSocket4> {
        let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
        sock.set_reuse_address(true)?;
        sock.set_broadcast(true)?;
        sock.set_nonblocking(true)?;
        let on: libc::c_int = 1;
        // SAFETY: setsockopt with a valid fd and an int option value.
        let rc = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_PKTINFO,
                (&on as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        sock.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port).into())
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot bind UDP port {port}: {e} (is another DHCP server running?)"),
                )
            })?;
        Ok(UdpSocket4 { sock })
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Receives one datagram into `buf`; `Ok(None)` when nothing is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<RecvMeta>> {
        // SAFETY: all structures are plain C data, zero-initialised, and the pointers
        // handed to recvmsg point at live locals of the right sizes.
        unsafe {
            let mut src: libc::sockaddr_in = zeroed();
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            let mut cmsg_buf = [0u64; 16];
            let mut msg: libc::msghdr = zeroed();
            msg.msg_name = (&mut src as *mut libc::sockaddr_in).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
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
            let mut meta = RecvMeta {
                len: n as usize,
                src: SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(src.sin_addr.s_addr)),
                    u16::from_be(src.sin_port),
                ),
                dst: Ipv4Addr::UNSPECIFIED,
                ifindex: 0,
            };
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::IPPROTO_IP && (*c).cmsg_type == libc::IP_PKTINFO {
                    let info = libc::CMSG_DATA(c) as *const libc::in_pktinfo;
                    let info = std::ptr::read_unaligned(info);
                    meta.ifindex = info.ipi_ifindex as u32;
                    meta.dst = Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr));
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
            Ok(Some(meta))
        }
    }

    /// Sends `payload` to `dst` out of interface `ifindex` with source address `src`.
    pub fn send(
        &self,
        payload: &[u8],
        dst: SocketAddrV4,
        ifindex: u32,
        src: Ipv4Addr,
    ) -> io::Result<()> {
        // SAFETY: as in `recv`: plain C structures on the stack, sizes passed correctly.
        unsafe {
            let mut to: libc::sockaddr_in = zeroed();
            to.sin_family = libc::AF_INET as libc::sa_family_t;
            to.sin_port = dst.port().to_be();
            to.sin_addr.s_addr = u32::from(*dst.ip()).to_be();
            let mut iov = libc::iovec {
                iov_base: payload.as_ptr() as *mut libc::c_void,
                iov_len: payload.len(),
            };
            let mut cmsg_buf = [0u64; 8];
            let space = libc::CMSG_SPACE(size_of::<libc::in_pktinfo>() as u32) as usize;
            let mut msg: libc::msghdr = zeroed();
            msg.msg_name = (&mut to as *mut libc::sockaddr_in).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = cmsg_buf.as_mut_ptr().cast();
            msg.msg_controllen = space;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::IPPROTO_IP;
            (*c).cmsg_type = libc::IP_PKTINFO;
            (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::in_pktinfo>() as u32) as usize;
            let info = libc::in_pktinfo {
                ipi_ifindex: ifindex as libc::c_int,
                ipi_spec_dst: libc::in_addr {
                    s_addr: u32::from(src).to_be(),
                },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut libc::in_pktinfo, info);
            let n = libc::sendmsg(self.sock.as_raw_fd(), &msg, 0);
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}
