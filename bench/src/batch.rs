//! Batched UDP I/O for the responder: one socket, `recvmmsg`/`sendmmsg` over buffers
//! allocated once, single thread. Nothing here allocates per packet.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// Datagrams per `recvmmsg`/`sendmmsg`.
pub const BATCH: usize = 64;
/// Receive and send buffer size (a DHCP message over Ethernet fits in 1500).
pub const BUF: usize = 2048;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Installs SIGTERM/SIGINT handlers (without SA_RESTART, so a blocked `recvmmsg`
/// returns EINTR) that make [`stop_requested`] true.
pub fn install_stop_handlers() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction with a plain handler is valid; the handler only
        // stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Asks the serve loop to stop (as SIGTERM does).
pub fn request_stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// A bound UDP socket (IPv4 or IPv6).
pub struct UdpSocket {
    fd: OwnedFd,
    /// The kernel takes UDP GSO (`UDP_SEGMENT`) on this socket.
    gso: bool,
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A socket address as the kernel takes it, and its length.
fn sockaddr(a: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value, and it is large
    // and aligned enough for sockaddr_in and sockaddr_in6.
    let mut ss: libc::sockaddr_storage = unsafe { zeroed() };
    match a {
        SocketAddr::V4(a) => {
            // SAFETY: see above.
            let sa = unsafe { &mut *(&mut ss as *mut _ as *mut libc::sockaddr_in) };
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_port = a.port().to_be();
            sa.sin_addr.s_addr = u32::from(*a.ip()).to_be();
            (ss, size_of::<libc::sockaddr_in>() as libc::socklen_t)
        }
        SocketAddr::V6(a) => {
            // SAFETY: see above.
            let sa = unsafe { &mut *(&mut ss as *mut _ as *mut libc::sockaddr_in6) };
            sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sa.sin6_port = a.port().to_be();
            sa.sin6_addr.s6_addr = a.ip().octets();
            sa.sin6_scope_id = a.scope_id();
            (ss, size_of::<libc::sockaddr_in6>() as libc::socklen_t)
        }
    }
}

/// Whether two kernel socket addresses name the same endpoint.
fn sockaddr_eq(a: &libc::sockaddr_storage, b: &libc::sockaddr_storage) -> bool {
    from_sockaddr(a) == from_sockaddr(b)
}

/// The address in a kernel socket address (unspecified:0 for other families).
fn from_sockaddr(ss: &libc::sockaddr_storage) -> SocketAddr {
    match i32::from(ss.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says this storage holds a sockaddr_in.
            let sa = unsafe { &*(ss as *const _ as *const libc::sockaddr_in) };
            SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr)),
                u16::from_be(sa.sin_port),
            ))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this storage holds a sockaddr_in6.
            let sa = unsafe { &*(ss as *const _ as *const libc::sockaddr_in6) };
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sa.sin6_addr.s6_addr),
                u16::from_be(sa.sin6_port),
                0,
                sa.sin6_scope_id,
            ))
        }
        _ => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
    }
}

impl UdpSocket {
    /// Binds `addr` with SO_REUSEADDR and large buffers; receives time out after
    /// `recv_timeout_ms` so the caller can check for a stop request.
    pub fn bind(addr: impl Into<SocketAddr>, recv_timeout_ms: u32) -> io::Result<UdpSocket> {
        let addr: SocketAddr = addr.into();
        let family = if addr.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        // SAFETY: plain socket(2) call; the fd is owned right after.
        let fd = cvt(unsafe {
            libc::socket(
                family,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::IPPROTO_UDP,
            )
        })?;
        // SAFETY: fd is a fresh descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut s = UdpSocket { fd, gso: false };
        s.setopt(libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        // Replies to clients on the link go to 255.255.255.255.
        s.setopt(libc::SOL_SOCKET, libc::SO_BROADCAST, 1)?;
        // Probe: 0 = no segmentation by default; the size is given per send.
        s.gso = s.setopt(libc::SOL_UDP, libc::UDP_SEGMENT, 0).is_ok();
        if addr.is_ipv6() {
            s.setopt(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
        }
        // Large buffers absorb bursts; FORCE works as root, the plain one otherwise.
        for (force, plain) in [
            (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
            (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
        ] {
            if s.setopt(libc::SOL_SOCKET, force, 8 << 20).is_err() {
                let _ = s.setopt(libc::SOL_SOCKET, plain, 8 << 20);
            }
        }
        let tv = libc::timeval {
            tv_sec: (recv_timeout_ms / 1000) as libc::time_t,
            tv_usec: ((recv_timeout_ms % 1000) * 1000) as libc::suseconds_t,
        };
        // SAFETY: tv is a valid timeval for SO_RCVTIMEO.
        cvt(unsafe {
            libc::setsockopt(
                s.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const _ as *const libc::c_void,
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        })?;
        let (sa, len) = sockaddr(addr);
        // SAFETY: sa is a valid socket address of length len.
        cvt(unsafe {
            libc::bind(
                s.fd.as_raw_fd(),
                &sa as *const _ as *const libc::sockaddr,
                len,
            )
        })?;
        Ok(s)
    }

    fn setopt(&self, level: libc::c_int, name: libc::c_int, v: libc::c_int) -> io::Result<()> {
        // SAFETY: v is a valid c_int option value.
        cvt(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                &v as *const _ as *const libc::c_void,
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    /// Sends and receives only through interface `name` (SO_BINDTODEVICE), so a
    /// broadcast reply leaves there even without a route for 255.255.255.255.
    pub fn bind_device(&self, name: &str) -> io::Result<()> {
        // SAFETY: name points at name.len() readable bytes for the call.
        cvt(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                name.as_ptr() as *const libc::c_void,
                name.len() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    /// The bound address (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        // SAFETY: zeroed sockaddr_storage, filled by getsockname.
        let mut sa: libc::sockaddr_storage = unsafe { zeroed() };
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: sa/len describe a writable sockaddr_storage.
        cvt(unsafe {
            libc::getsockname(
                self.fd.as_raw_fd(),
                &mut sa as *mut _ as *mut libc::sockaddr,
                &mut len,
            )
        })?;
        Ok(from_sockaddr(&sa))
    }
}

/// Receive and send rings for one socket, set up once. The `mmsghdr`s point into the
/// boxed buffers, whose heap addresses never move.
pub struct Rings {
    rx: Box<[[u8; BUF]]>,
    tx: Box<[[u8; BUF]]>,
    rx_iov: Box<[libc::iovec]>,
    tx_iov: Box<[libc::iovec]>,
    rx_names: Box<[libc::sockaddr_storage]>,
    tx_names: Box<[libc::sockaddr_storage]>,
    rx_hdr: Box<[libc::mmsghdr]>,
    tx_hdr: Box<[libc::mmsghdr]>,
    /// Headers and control buffers for UDP GSO sends: one message per run of replies
    /// with the same destination and length, segmented by the kernel.
    gso_hdr: Box<[libc::mmsghdr]>,
    gso_cmsg: Box<[[u64; 3]]>,
    /// Replies queued in `tx[..tx_len]`.
    tx_len: usize,
}

impl Default for Rings {
    fn default() -> Self {
        Self::new()
    }
}

impl Rings {
    pub fn new() -> Rings {
        // SAFETY (all zeroed below): iovec, sockaddr_in and mmsghdr are plain C data for
        // which all-zero is valid; the pointers are set right after.
        let mut r = Rings {
            rx: vec![[0u8; BUF]; BATCH].into_boxed_slice(),
            tx: vec![[0u8; BUF]; BATCH].into_boxed_slice(),
            rx_iov: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            tx_iov: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            rx_names: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            tx_names: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            rx_hdr: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            tx_hdr: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            gso_hdr: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            gso_cmsg: vec![[0u64; 3]; BATCH].into_boxed_slice(),
            tx_len: 0,
        };
        for i in 0..BATCH {
            r.rx_iov[i] = libc::iovec {
                iov_base: r.rx[i].as_mut_ptr() as *mut libc::c_void,
                iov_len: BUF,
            };
            r.tx_iov[i] = libc::iovec {
                iov_base: r.tx[i].as_mut_ptr() as *mut libc::c_void,
                iov_len: 0,
            };
            let h = &mut r.rx_hdr[i].msg_hdr;
            h.msg_name = &mut r.rx_names[i] as *mut _ as *mut libc::c_void;
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut r.rx_iov[i];
            h.msg_iovlen = 1;
            let h = &mut r.tx_hdr[i].msg_hdr;
            h.msg_name = &mut r.tx_names[i] as *mut _ as *mut libc::c_void;
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut r.tx_iov[i];
            h.msg_iovlen = 1;
        }
        r
    }

    /// Blocks for at least one datagram (up to the socket's receive timeout) and takes
    /// as many as are queued, up to [`BATCH`]. Returns how many; 0 on timeout or signal.
    pub fn recv(&mut self, sock: &UdpSocket) -> io::Result<usize> {
        for h in self.rx_hdr.iter_mut() {
            h.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_hdr.msg_flags = 0;
            h.msg_len = 0;
        }
        // SAFETY: the headers point into buffers owned by self, sized as declared.
        let n = unsafe {
            libc::recvmmsg(
                sock.fd.as_raw_fd(),
                self.rx_hdr.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
                _ => Err(e),
            };
        }
        Ok(n as usize)
    }

    /// Received datagram `i` (of the last [`recv`](Self::recv)), its source, and the
    /// reply slot for it.
    pub fn datagram_and_slot(&mut self, i: usize) -> (&[u8], SocketAddr, &mut [u8]) {
        let len = (self.rx_hdr[i].msg_len as usize).min(BUF);
        let slot = self.tx_len;
        let src = from_sockaddr(&self.rx_names[i]);
        (&self.rx[i][..len], src, &mut self.tx[slot][..])
    }

    /// Queues the reply just written into the current slot (`len` bytes) for `dest`.
    pub fn queue(&mut self, len: usize, dest: impl Into<SocketAddr>) {
        let i = self.tx_len;
        self.tx_iov[i].iov_len = len;
        let (sa, salen) = sockaddr(dest.into());
        self.tx_names[i] = sa;
        self.tx_hdr[i].msg_hdr.msg_namelen = salen;
        self.tx_len += 1;
    }

    pub fn queued(&self) -> usize {
        self.tx_len
    }

    /// Sends every queued reply; returns how many could not be sent. Where the socket
    /// takes UDP GSO, runs of replies to one destination with one length go out as one
    /// message each, which is most of the cost saved at high rates.
    pub fn flush(&mut self, sock: &UdpSocket) -> u64 {
        if sock.gso && self.tx_len > 1 {
            return self.flush_gso(sock);
        }
        self.flush_plain(sock)
    }

    fn same_run(&self, a: usize, b: usize) -> bool {
        let (ha, hb) = (&self.tx_hdr[a].msg_hdr, &self.tx_hdr[b].msg_hdr);
        self.tx_iov[a].iov_len == self.tx_iov[b].iov_len
            && ha.msg_namelen == hb.msg_namelen
            && sockaddr_eq(&self.tx_names[a], &self.tx_names[b])
    }

    fn flush_gso(&mut self, sock: &UdpSocket) -> u64 {
        let mut nmsg = 0;
        let mut i = 0;
        while i < self.tx_len {
            let start = i;
            i += 1;
            while i < self.tx_len && self.same_run(start, i) {
                i += 1;
            }
            let segs = i - start;
            let seg_len = self.tx_iov[start].iov_len;
            let h = &mut self.gso_hdr[nmsg];
            h.msg_len = 0;
            h.msg_hdr.msg_name = &mut self.tx_names[start] as *mut _ as *mut libc::c_void;
            h.msg_hdr.msg_namelen = self.tx_hdr[start].msg_hdr.msg_namelen;
            h.msg_hdr.msg_iov = &mut self.tx_iov[start];
            h.msg_hdr.msg_iovlen = segs;
            h.msg_hdr.msg_control = std::ptr::null_mut();
            h.msg_hdr.msg_controllen = 0;
            if segs > 1 {
                let c = self.gso_cmsg[nmsg].as_mut_ptr() as *mut libc::cmsghdr;
                // SAFETY: c points at 24 zeroed, 8-aligned bytes: room for a cmsghdr and
                // a u16 (CMSG_SPACE(2) on 64-bit).
                unsafe {
                    (*c).cmsg_level = libc::SOL_UDP;
                    (*c).cmsg_type = libc::UDP_SEGMENT;
                    (*c).cmsg_len = libc::CMSG_LEN(2) as usize;
                    std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut u16, seg_len as u16);
                }
                h.msg_hdr.msg_control = c as *mut libc::c_void;
                h.msg_hdr.msg_controllen = size_of::<[u64; 3]>();
            }
            nmsg += 1;
        }
        let mut sent = 0;
        let mut failed = 0u64;
        while sent < nmsg {
            // SAFETY: gso_hdr[sent..nmsg] point at buffers and names owned by self.
            let n = unsafe {
                libc::sendmmsg(
                    sock.fd.as_raw_fd(),
                    self.gso_hdr.as_mut_ptr().add(sent),
                    (nmsg - sent) as libc::c_uint,
                    0,
                )
            };
            if n > 0 {
                sent += n as usize;
                continue;
            }
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            failed += self.gso_hdr[sent].msg_hdr.msg_iovlen as u64;
            sent += 1;
        }
        self.tx_len = 0;
        failed
    }

    fn flush_plain(&mut self, sock: &UdpSocket) -> u64 {
        let mut sent = 0;
        let mut failed = 0u64;
        while sent < self.tx_len {
            // SAFETY: headers sent..tx_len point at filled buffers owned by self.
            let n = unsafe {
                libc::sendmmsg(
                    sock.fd.as_raw_fd(),
                    self.tx_hdr.as_mut_ptr().add(sent),
                    (self.tx_len - sent) as libc::c_uint,
                    0,
                )
            };
            if n > 0 {
                sent += n as usize;
                continue;
            }
            let e = io::Error::last_os_error();
            if n < 0 && e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // The first unsent message failed: skip it and go on with the rest.
            failed += 1;
            sent += 1;
        }
        self.tx_len = 0;
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_carry_a_batch_over_loopback() {
        let a = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0), 200).unwrap();
        let b = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0), 200).unwrap();
        let b_addr = b.local_addr().unwrap();
        let mut ra = Rings::new();
        for i in 0..10u8 {
            let (_, _, slot) = ra.datagram_and_slot(0);
            slot[..3].copy_from_slice(&[i, i, i]);
            ra.queue(3, b_addr);
        }
        assert_eq!(ra.queued(), 10);
        assert_eq!(ra.flush(&a), 0);
        assert_eq!(ra.queued(), 0);
        let mut rb = Rings::new();
        let mut got = Vec::new();
        for _ in 0..20 {
            let n = rb.recv(&b).unwrap();
            for i in 0..n {
                let (d, src, _) = rb.datagram_and_slot(i);
                assert_eq!(src, a.local_addr().unwrap());
                got.push(d.to_vec());
            }
            if got.len() >= 10 {
                break;
            }
        }
        assert_eq!(got.len(), 10);
        for (i, d) in got.iter().enumerate() {
            assert_eq!(d, &vec![i as u8; 3]);
        }
    }
}
