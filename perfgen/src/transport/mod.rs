//! Packet I/O behind one small trait, so the sans-I/O core never sees a
//! socket. Implementations: plain UDP (relay mode), layer 2 through AF_XDP
//! or an AF_PACKET socket (sharing their framing, [`packet::L2Framing`]), and
//! an in-memory loop for tests.

use std::io;

pub mod afxdp;
pub mod packet;
pub mod udp;

/// Size of every packet buffer (frames are far below one MTU).
pub const BUF_SIZE: usize = 2048;

/// Outgoing packets of one batch. Buffers are allocated once; the core
/// writes each DHCP payload at `headroom`, the transport adds headers in
/// front of it when it needs to (layer 2).
pub struct TxBatch {
    data: Vec<u8>,
    lens: Vec<usize>,
    macs: Vec<[u8; 6]>,
    n: usize,
    headroom: usize,
}

impl TxBatch {
    /// A batch of `cap` packets with `headroom` bytes reserved before each payload.
    pub fn new(cap: usize, headroom: usize) -> TxBatch {
        TxBatch {
            data: vec![0; cap * BUF_SIZE],
            lens: vec![0; cap],
            macs: vec![[0; 6]; cap],
            n: 0,
            headroom,
        }
    }
    /// Capacity.
    pub fn cap(&self) -> usize {
        self.lens.len()
    }
    /// Packets in the batch.
    pub fn len(&self) -> usize {
        self.n
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// Free places.
    pub fn room(&self) -> usize {
        self.cap() - self.n
    }
    /// Empties the batch.
    pub fn clear(&mut self) {
        self.n = 0;
    }
    /// Bytes reserved in front of each payload.
    pub fn headroom(&self) -> usize {
        self.headroom
    }
    /// The payload area of the next packet (None when full).
    #[inline]
    pub fn next_payload(&mut self) -> Option<&mut [u8]> {
        if self.n >= self.cap() {
            return None;
        }
        let start = self.n * BUF_SIZE + self.headroom;
        self.data.get_mut(start..(self.n + 1) * BUF_SIZE)
    }
    /// Commits the packet written by [`Self::next_payload`].
    #[inline]
    pub fn commit(&mut self, payload_len: usize, mac: [u8; 6]) {
        self.lens[self.n] = payload_len;
        self.macs[self.n] = mac;
        self.n += 1;
    }
    /// Client MAC of packet `i`.
    pub fn mac(&self, i: usize) -> [u8; 6] {
        self.macs[i]
    }
    /// Payload of packet `i`.
    pub fn payload(&self, i: usize) -> &[u8] {
        let s = i * BUF_SIZE + self.headroom;
        &self.data[s..s + self.lens[i]]
    }
    /// Whole buffer of packet `i` (headroom + payload area), the payload
    /// length and the client MAC, for transports that prepend headers.
    pub fn frame_mut(&mut self, i: usize) -> (&mut [u8], usize, [u8; 6]) {
        let s = i * BUF_SIZE;
        (&mut self.data[s..s + BUF_SIZE], self.lens[i], self.macs[i])
    }
    /// Drops the first `k` packets (after a partial send).
    pub fn consume(&mut self, k: usize) {
        let k = k.min(self.n);
        if k == 0 {
            return;
        }
        self.data.copy_within(k * BUF_SIZE..self.n * BUF_SIZE, 0);
        self.lens.copy_within(k..self.n, 0);
        self.macs.copy_within(k..self.n, 0);
        self.n -= k;
    }
}

/// Received packets of one batch; `payload(i)` is the DHCP message.
pub struct RxBatch {
    data: Vec<u8>,
    /// (offset inside the buffer, length) of each payload.
    spans: Vec<(usize, usize)>,
    /// Received lengths (whole datagram/frame).
    pub(crate) raw_lens: Vec<usize>,
    n: usize,
}

impl RxBatch {
    /// Room for `cap` packets.
    pub fn new(cap: usize) -> RxBatch {
        RxBatch {
            data: vec![0; cap * BUF_SIZE],
            spans: vec![(0, 0); cap],
            raw_lens: vec![0; cap],
            n: 0,
        }
    }
    /// Capacity.
    pub fn cap(&self) -> usize {
        self.spans.len()
    }
    /// Packets received.
    pub fn len(&self) -> usize {
        self.n
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// DHCP payload of packet `i`.
    pub fn payload(&self, i: usize) -> &[u8] {
        let (o, l) = self.spans[i];
        let s = i * BUF_SIZE + o;
        &self.data[s..s + l]
    }
    /// Raw buffer `i` for a transport to receive into.
    pub(crate) fn buf_mut(&mut self, i: usize) -> &mut [u8] {
        &mut self.data[i * BUF_SIZE..(i + 1) * BUF_SIZE]
    }
    /// Raw received bytes of `i`.
    pub(crate) fn raw(&self, i: usize) -> &[u8] {
        &self.data[i * BUF_SIZE..i * BUF_SIZE + self.raw_lens[i]]
    }
    /// Sets the count and marks every packet's payload as the whole datagram.
    pub(crate) fn set_len(&mut self, n: usize) {
        self.n = n;
    }
    /// Sets packet `i`'s payload span.
    pub(crate) fn set_span(&mut self, i: usize, off: usize, len: usize) {
        self.spans[i] = (off, len);
    }
    /// Keeps only the packets for which `keep` returned a span, compacting.
    pub(crate) fn filter(&mut self, mut keep: impl FnMut(&[u8]) -> Option<(usize, usize)>) {
        let mut w = 0;
        for i in 0..self.n {
            if let Some((o, l)) = keep(self.raw(i)) {
                if w != i {
                    self.data
                        .copy_within(i * BUF_SIZE..i * BUF_SIZE + o + l, w * BUF_SIZE);
                    self.raw_lens[w] = self.raw_lens[i];
                }
                self.spans[w] = (o, l);
                w += 1;
            }
        }
        self.n = w;
    }
    /// Adds a packet (tests / in-memory transports).
    pub fn push(&mut self, payload: &[u8]) -> bool {
        if self.n >= self.cap() || payload.len() > BUF_SIZE {
            return false;
        }
        let i = self.n;
        self.buf_mut(i)[..payload.len()].copy_from_slice(payload);
        self.raw_lens[i] = payload.len();
        self.spans[i] = (0, payload.len());
        self.n += 1;
        true
    }
    /// Empties the batch.
    pub fn clear(&mut self) {
        self.n = 0;
    }
}

/// A way to move DHCP messages to and from the server.
pub trait Transport {
    /// Name for reports (`udp-relay`, `packet`, ...).
    fn name(&self) -> &'static str;
    /// Bytes the core must leave in front of each payload.
    fn headroom(&self) -> usize;
    /// Sends the whole batch (waiting for socket room if needed) and clears it.
    fn send(&mut self, tx: &mut TxBatch) -> io::Result<()>;
    /// Receives what is ready without blocking; returns the count.
    fn recv(&mut self, rx: &mut RxBatch) -> io::Result<usize>;
    /// Waits until something can be received or `timeout_ns` passed.
    fn wait(&mut self, timeout_ns: u64) -> io::Result<()>;
    /// What the transport is and its own counters, for the extended report
    /// (read once, at the end of a run).
    fn stats(&mut self) -> Option<TransportStats> {
        None
    }
}

/// A transport's description and counters for the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransportStats {
    /// One line: how the transport runs (e.g. XDP mode and queues).
    pub detail: String,
    /// Named counters (drops, foreign frames, ...).
    pub counters: Vec<(String, u64)>,
}

/// ppoll on one descriptor with nanosecond timeout.
pub(crate) fn poll_fd(fd: i32, events: i16, timeout_ns: u64) -> io::Result<bool> {
    let mut p = [libc::pollfd {
        fd,
        events,
        revents: 0,
    }];
    poll_fds(&mut p, timeout_ns).map(|n| n > 0)
}

/// ppoll on several descriptors with nanosecond timeout; returns how many
/// are ready (their `revents` say which), 0 on timeout or signal.
pub(crate) fn poll_fds(fds: &mut [libc::pollfd], timeout_ns: u64) -> io::Result<usize> {
    let ts = libc::timespec {
        tv_sec: (timeout_ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (timeout_ns % 1_000_000_000) as libc::c_long,
    };
    // SAFETY: fds and ts are valid for the call; no signal mask given.
    let r = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            &ts,
            std::ptr::null(),
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(r as usize)
}

/// sendmmsg of `iov`-described packets on `fd` to an optional fixed address;
/// blocks (polling for POLLOUT) until all are sent.
pub(crate) fn sendmmsg_all(
    fd: i32,
    tx: &mut TxBatch,
    name: Option<(*const libc::c_void, libc::socklen_t)>,
    whole_frames: bool,
) -> io::Result<()> {
    let n = tx.len();
    let mut iovs: [libc::iovec; 64] = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; 64];
    // SAFETY: mmsghdr is plain old data; zeroed is a valid value.
    let mut msgs: [libc::mmsghdr; 64] = unsafe { std::mem::zeroed() };
    let mut done = 0;
    while done < n {
        let chunk = (n - done).min(64);
        for k in 0..chunk {
            let i = done + k;
            let (ptr, len) = if whole_frames {
                let h = tx.headroom();
                let (buf, plen, _) = tx.frame_mut(i);
                (buf.as_mut_ptr(), h + plen)
            } else {
                let p = tx.payload(i);
                (p.as_ptr() as *mut u8, p.len())
            };
            iovs[k] = libc::iovec {
                iov_base: ptr as *mut libc::c_void,
                iov_len: len,
            };
            let h = &mut msgs[k].msg_hdr;
            h.msg_iov = &mut iovs[k];
            h.msg_iovlen = 1;
            if let Some((np, nl)) = name {
                h.msg_name = np as *mut libc::c_void;
                h.msg_namelen = nl;
            }
        }
        // SAFETY: msgs[..chunk] point at live buffers in `tx` and `iovs`.
        let r = unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr(), chunk as u32, 0) };
        if r < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::ENOBUFS) | Some(libc::EINTR) => {
                    poll_fd(fd, libc::POLLOUT, 1_000_000)?;
                    continue;
                }
                _ => return Err(e),
            }
        }
        done += r as usize;
    }
    tx.clear();
    Ok(())
}

/// Most segments per UDP GSO send (kernel UDP_MAX_SEGMENTS).
const GSO_MAX_SEGS: usize = 64;

/// Sends runs of equal-sized datagrams as one UDP GSO message each (the
/// kernel splits them into separate datagrams, so the server sees exactly
/// what sendmmsg would have sent, for a fraction of the per-packet cost).
/// Runs are collected into one sendmmsg call.
pub(crate) fn send_gso(
    fd: i32,
    tx: &mut TxBatch,
    name: (*const libc::c_void, libc::socklen_t),
) -> io::Result<()> {
    const CMSG_SPACE: usize = 24; // CMSG_SPACE(sizeof(u16)) on 64-bit
    let n = tx.len();
    let mut iovs: [libc::iovec; 64] = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; 64];
    // SAFETY: plain old data.
    let mut msgs: [libc::mmsghdr; 64] = unsafe { std::mem::zeroed() };
    let mut cmsgs = [[0u64; CMSG_SPACE / 8]; 64];
    let mut nmsg = 0;
    let mut i = 0;
    while i < n {
        let len = tx.payload(i).len();
        let start = i;
        while i < n && i - start < GSO_MAX_SEGS && tx.payload(i).len() == len {
            let p = tx.payload(i);
            iovs[i] = libc::iovec {
                iov_base: p.as_ptr() as *mut libc::c_void,
                iov_len: p.len(),
            };
            i += 1;
        }
        let segs = i - start;
        let h = &mut msgs[nmsg].msg_hdr;
        h.msg_name = name.0 as *mut libc::c_void;
        h.msg_namelen = name.1;
        h.msg_iov = &mut iovs[start];
        h.msg_iovlen = segs;
        if segs > 1 {
            let c = cmsgs[nmsg].as_mut_ptr() as *mut u8;
            // SAFETY: c points at CMSG_SPACE zeroed, 8-aligned bytes.
            unsafe {
                let hdr = c as *mut libc::cmsghdr;
                (*hdr).cmsg_level = libc::SOL_UDP;
                (*hdr).cmsg_type = libc::UDP_SEGMENT;
                (*hdr).cmsg_len = libc::CMSG_LEN(2) as usize;
                std::ptr::write_unaligned(libc::CMSG_DATA(hdr) as *mut u16, len as u16);
            }
            h.msg_control = c as *mut libc::c_void;
            h.msg_controllen = CMSG_SPACE;
        }
        nmsg += 1;
    }
    let mut done = 0;
    while done < nmsg {
        // SAFETY: msgs[done..nmsg] point at live iovecs, payloads and cmsgs.
        let r = unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr().add(done), (nmsg - done) as u32, 0) };
        if r < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::ENOBUFS) | Some(libc::EINTR) => {
                    poll_fd(fd, libc::POLLOUT, 1_000_000)?;
                    continue;
                }
                _ => return Err(e),
            }
        }
        done += r as usize;
    }
    tx.clear();
    Ok(())
}

/// recvmmsg into `rx` without blocking; returns the count (0 when none).
pub(crate) fn recvmmsg_batch(fd: i32, rx: &mut RxBatch) -> io::Result<usize> {
    let cap = rx.cap().min(64);
    let mut iovs: [libc::iovec; 64] = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; 64];
    // SAFETY: plain old data.
    let mut msgs: [libc::mmsghdr; 64] = unsafe { std::mem::zeroed() };
    for (i, iov) in iovs.iter_mut().enumerate().take(cap) {
        let b = rx.buf_mut(i);
        *iov = libc::iovec {
            iov_base: b.as_mut_ptr() as *mut libc::c_void,
            iov_len: b.len(),
        };
    }
    for i in 0..cap {
        msgs[i].msg_hdr.msg_iov = &mut iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: msgs point at rx buffers of BUF_SIZE bytes each.
    let r = unsafe {
        libc::recvmmsg(
            fd,
            msgs.as_mut_ptr(),
            cap as u32,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => {
                rx.set_len(0);
                Ok(0)
            }
            _ => Err(e),
        };
    }
    let n = r as usize;
    for (i, m) in msgs.iter().enumerate().take(n) {
        let l = m.msg_len as usize;
        rx.raw_lens[i] = l;
        rx.set_span(i, 0, l);
    }
    rx.set_len(n);
    Ok(n)
}

/// Sets an integer socket option, ignoring failure when `best_effort`.
pub(crate) fn setsockopt_int(fd: i32, level: i32, name: i32, v: i32) -> io::Result<()> {
    // SAFETY: passes a pointer to a live i32 of the declared size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &v as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Large socket buffers (FORCE when privileged, plain otherwise).
pub(crate) fn big_buffers(fd: i32) {
    let sz = 32 << 20;
    if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, sz).is_err() {
        let _ = setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, sz);
    }
    if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, 8 << 20).is_err() {
        let _ = setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, 8 << 20);
    }
}

/// An owned file descriptor closed on drop.
pub(crate) struct Fd(pub i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor.
        unsafe {
            libc::close(self.0);
        }
    }
}
