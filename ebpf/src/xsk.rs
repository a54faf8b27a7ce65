//! One AF_XDP socket bound to one RX/TX queue of an interface, with its own UMEM.
//!
//! The UMEM's frames are split once, at open: the first `fill_size` frames serve reception
//! (they cycle fill ring → kernel → RX ring → caller → fill ring), the rest serve transmission
//! (free list → caller writes in place → TX ring → kernel → completion ring → free list). The
//! bookkeeping lives in vectors sized at open, so the packet path never allocates.
//!
//! The socket binds in copy mode (XDP_COPY): it works on every driver, including veth and
//! generic XDP, at the cost of one copy per frame in each direction.

mod config;
mod error;
mod umem_area;

use std::ffi::CString;
use std::fmt;
use std::num::NonZeroU32;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use xdpilone::xdp::{SockAddrXdp, XdpDesc};
use xdpilone::{DeviceQueue, IfInfo, RingRx, RingTx, Socket, SocketConfig, Umem, UmemConfig, User};

pub use config::XskConfig;
use error::sys;
pub use error::{XskError, XskStats};
use umem_area::UmemArea;

use crate::privileges::Caps;

/// An AF_XDP socket on `(interface, queue)`, in copy mode, with its own UMEM.
pub struct XskSocket {
    rx: RingRx,
    tx: RingTx,
    device: DeviceQueue,
    user: User,
    /// Holds the socket fd and the UMEM registration; dropped after the rings (field order).
    _umem: Umem,
    fd: RawFd,
    ifname: String,
    queue: u32,
    frame_size: u32,
    need_wakeup: bool,
    /// RX frames (base addresses) back from the caller, waiting for room in the fill ring.
    rx_free: Vec<u64>,
    /// TX frames (base addresses) free for [`XskSocket::tx_frame`].
    tx_free: Vec<u64>,
    /// TX frames submitted and not yet completed.
    tx_in_flight: u32,
    rx_bad_descs: u64,
    // Last: the kernel objects above go before the memory they point into.
    area: UmemArea,
}

// SAFETY: every raw pointer inside (xdpilone's rings and Umem, our UmemArea) points into
// mappings owned by this value and released only by its Drop; no thread-local state is
// involved, so moving the whole socket to another thread is sound. It is not Sync: the rings
// are single-producer/single-consumer and every ring operation takes &mut self.
unsafe impl Send for XskSocket {}

impl fmt::Debug for XskSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XskSocket")
            .field("ifname", &self.ifname)
            .field("queue", &self.queue)
            .field("fd", &self.fd)
            .field("need_wakeup", &self.need_wakeup)
            .finish_non_exhaustive()
    }
}

/// A free TX frame, written in place; [`TxFrame::submit`] queues it, dropping it unsent gives
/// it back.
pub struct TxFrame<'a> {
    sock: &'a mut XskSocket,
    addr: u64,
    submitted: bool,
}

impl TxFrame<'_> {
    /// The whole frame (`frame_size` bytes) to write the outgoing packet into.
    pub fn buf(&mut self) -> &mut [u8] {
        let len = self.sock.frame_size as usize;
        // SAFETY: the frame came off the TX free list, so neither the kernel (it is on no ring)
        // nor another TxFrame (the &mut borrow of the socket) can touch it; addr + len lies
        // within the area, as checked when the free list was built.
        unsafe { self.sock.area.slice_mut(self.addr as usize, len) }
    }

    /// Queues the first `len` bytes for transmission; [`XskSocket::flush_tx`] (or
    /// [`XskSocket::send_batch`]) makes the kernel send them.
    pub fn submit(mut self, len: usize) -> Result<(), XskError> {
        let max = self.sock.frame_size as usize;
        if len > max {
            return Err(XskError::FrameTooLarge { len, max });
        }
        let desc = XdpDesc {
            addr: self.addr,
            len: len as u32,
            options: 0,
        };
        let mut w = self.sock.tx.transmit(1);
        if !w.insert_once(desc) {
            // Cannot happen while TX frames <= TX ring size (validated); the frame goes back.
            return Err(XskError::Sys {
                op: "queueing a TX frame",
                errno: libc::ENOBUFS,
                hint: "TX ring full",
            });
        }
        w.commit();
        self.sock.tx_in_flight += 1;
        self.submitted = true;
        Ok(())
    }
}

impl Drop for TxFrame<'_> {
    fn drop(&mut self) {
        if !self.submitted {
            self.sock.tx_free.push(self.addr);
        }
    }
}

impl XskSocket {
    /// Opens a socket on RX/TX queue `queue` of `ifname` (in the calling thread's network
    /// namespace), in copy mode, with need_wakeup when the kernel has it.
    pub fn open(ifname: &str, queue: u32, config: XskConfig) -> Result<XskSocket, XskError> {
        config.validate()?;
        if let Some(missing) = Caps::current().and_then(Caps::missing_for_xsk) {
            return Err(XskError::NotPermitted {
                missing,
                detail: format!("opening an AF_XDP socket on {ifname}"),
            });
        }
        let unknown = || XskError::UnknownInterface {
            ifname: ifname.to_string(),
        };
        let c_name = CString::new(ifname).map_err(|_| unknown())?;
        let mut info = IfInfo::invalid();
        info.from_name(&c_name).map_err(|e| match e.get_raw() {
            libc::ENODEV | libc::ENXIO | libc::EINVAL => unknown(),
            errno => sys("looking up the interface", errno),
        })?;
        info.set_queue(queue);

        let area = UmemArea::new(config.frames as usize * config.frame_size as usize)
            .map_err(|e| sys("mapping the UMEM", e.raw_os_error().unwrap_or(libc::ENOMEM)))?;
        let umem_config = UmemConfig {
            fill_size: config.fill_size,
            complete_size: config.comp_size,
            frame_size: config.frame_size,
            headroom: 0,
            flags: 0,
        };
        // SAFETY: the area is a fresh page-aligned anonymous mapping of frames * frame_size
        // bytes; it is stored in the returned socket's last field, so it outlives the Umem and
        // every ring derived from it.
        let umem = unsafe { Umem::new(umem_config, area.as_non_null()) }.map_err(|e| {
            sys(
                "registering the UMEM (socket(AF_XDP) + XDP_UMEM_REG)",
                e.get_raw(),
            )
        })?;
        let sock = Socket::with_shared(&info, &umem)
            .map_err(|e| sys("creating the AF_XDP socket", e.get_raw()))?;
        let device = umem
            .fq_cq(&sock)
            .map_err(|e| sys("creating the fill/completion rings", e.get_raw()))?;
        let rings = SocketConfig {
            rx_size: NonZeroU32::new(config.rx_size),
            tx_size: NonZeroU32::new(config.tx_size),
            bind_flags: SocketConfig::XDP_BIND_COPY,
        };
        let user = umem
            .rx_tx(&sock, &rings)
            .map_err(|e| sys("creating the RX/TX rings", e.get_raw()))?;
        let rx = user
            .map_rx()
            .map_err(|e| sys("mapping the RX ring", e.get_raw()))?;
        let tx = user
            .map_tx()
            .map_err(|e| sys("mapping the TX ring", e.get_raw()))?;

        let frame = u64::from(config.frame_size);
        let rx_frames = config.rx_frames();
        let tx_frames = config.tx_frames();
        let mut rx_free = Vec::with_capacity(rx_frames as usize);
        rx_free.extend((0..u64::from(rx_frames)).rev().map(|i| i * frame));
        let mut tx_free = Vec::with_capacity(tx_frames as usize);
        tx_free.extend(
            (u64::from(rx_frames)..u64::from(config.frames))
                .rev()
                .map(|i| i * frame),
        );

        let fd = user.as_raw_fd();
        let mut this = XskSocket {
            rx,
            tx,
            device,
            user,
            _umem: umem,
            fd,
            ifname: ifname.to_string(),
            queue,
            frame_size: config.frame_size,
            need_wakeup: false,
            rx_free,
            tx_free,
            tx_in_flight: 0,
            rx_bad_descs: 0,
            area,
        };
        this.refill();
        this.bind(info.ifindex())?;
        this.refill();
        log::debug!(
            "AF_XDP socket fd {} bound to {} queue {} (copy mode, need_wakeup {})",
            this.fd,
            this.ifname,
            this.queue,
            this.need_wakeup
        );
        Ok(this)
    }

    /// Binds in copy mode, with need_wakeup when the kernel accepts it.
    fn bind(&mut self, ifindex: u32) -> Result<(), XskError> {
        let copy = SocketConfig::XDP_BIND_COPY;
        let wakeup = SocketConfig::XDP_BIND_NEED_WAKEUP;
        let mut last = 0;
        for flags in [copy | wakeup, copy] {
            let addr = SockAddrXdp {
                flags,
                ifindex,
                queue_id: self.queue,
                ..SockAddrXdp::default()
            };
            // SAFETY: addr is a valid sockaddr_xdp that lives across the call, and its size is
            // passed; fd is this socket's AF_XDP socket.
            let rc = unsafe {
                libc::bind(
                    self.fd,
                    (&addr as *const SockAddrXdp).cast(),
                    size_of::<SockAddrXdp>() as libc::socklen_t,
                )
            };
            if rc == 0 {
                self.need_wakeup = flags & wakeup != 0;
                return Ok(());
            }
            last = errno();
            // Only EINVAL may mean "no need_wakeup on this kernel" (pre-5.4); retry without it.
            if last != libc::EINVAL {
                break;
            }
        }
        let hint = match last {
            libc::EINVAL => {
                "no such queue on the interface (ethtool -l shows the queue count), or the interface is down"
            }
            libc::EBUSY => "another AF_XDP socket (or a zero-copy user) already owns this queue",
            libc::ENETDOWN => "the interface is down",
            libc::EPERM | libc::EACCES => "needs CAP_NET_RAW",
            _ => "",
        };
        Err(XskError::Sys {
            op: "binding the AF_XDP socket",
            errno: last,
            hint,
        })
    }

    /// The socket's file descriptor, to register in the XSKMAP
    /// ([`crate::XdpProgram::register_socket`]). Owned by the socket: do not close it.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// The queue this socket is bound to.
    pub fn queue(&self) -> u32 {
        self.queue
    }

    /// The interface name.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// Bytes per UMEM frame: the largest frame [`TxFrame::submit`] accepts.
    pub fn frame_size(&self) -> usize {
        self.frame_size as usize
    }

    /// Whether the kernel accepted XDP_USE_NEED_WAKEUP (then wake-ups are issued only when
    /// the kernel asks for them).
    pub fn need_wakeup(&self) -> bool {
        self.need_wakeup
    }

    /// Whether the kernel currently asks for a wake-up on (the fill ring, the TX ring); always
    /// (false, false) without need_wakeup. In copy mode the TX flag stays set: every
    /// transmission needs a sendto() (see README.md).
    pub fn wakeup_flags(&self) -> (bool, bool) {
        if !self.need_wakeup {
            return (false, false);
        }
        (self.device.needs_wakeup(), self.tx.needs_wakeup())
    }

    /// TX frames submitted whose completion has not been reaped yet.
    pub fn tx_in_flight(&self) -> u32 {
        self.tx_in_flight
    }

    /// Waits up to `timeout` for received frames; true when some are ready.
    pub fn wait_rx(&mut self, timeout: Duration) -> Result<bool, XskError> {
        if self.rx.available() > 0 {
            return Ok(true);
        }
        let mut pfd = libc::pollfd {
            fd: self.fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: pfd is one valid pollfd for the duration of the call.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc < 0 {
            let e = errno();
            return if e == libc::EINTR {
                Ok(false)
            } else {
                Err(sys("poll", e))
            };
        }
        Ok(rc > 0 && pfd.revents & libc::POLLIN != 0)
    }

    /// Hands up to `max` received frames to `f`, one at a time (the slice is the frame from
    /// its Ethernet header on), and gives the frames back to the kernel's fill ring. Returns
    /// how many frames were consumed.
    pub fn recv_batch(&mut self, max: u32, mut f: impl FnMut(&[u8])) -> Result<usize, XskError> {
        let mask = !(u64::from(self.frame_size) - 1);
        let frame = u64::from(self.frame_size);
        let mut n = 0;
        {
            let mut rx = self.rx.receive(max);
            while let Some(desc) = rx.read() {
                let base = desc.addr & mask;
                let end = desc.addr.saturating_add(u64::from(desc.len));
                if end <= base + frame && (end as usize) <= self.area.len() {
                    // SAFETY: the kernel handed this frame over through the RX ring and will not
                    // write it until it is back on the fill ring (after this loop); the range
                    // was just checked to lie within the frame and the area.
                    let data = unsafe { self.area.slice(desc.addr as usize, desc.len as usize) };
                    f(data);
                } else {
                    self.rx_bad_descs += 1;
                }
                // Never exceeds the capacity: at most rx_frames frames exist.
                self.rx_free.push(base);
                n += 1;
            }
            rx.release();
        }
        self.refill();
        Ok(n)
    }

    /// Moves frames from `rx_free` to the fill ring, waking the kernel if it asked.
    fn refill(&mut self) {
        let len = self.rx_free.len();
        if len > 0 {
            let mut w = self.device.fill(len as u32);
            let take = (w.capacity() as usize).min(len);
            let inserted = w.insert(self.rx_free[len - take..].iter().copied()) as usize;
            w.commit();
            drop(w);
            self.rx_free.truncate(len - inserted);
        }
        if self.need_wakeup && self.device.needs_wakeup() {
            self.device.wake();
        }
    }

    /// A free TX frame to write into, or None when all are in flight (reaps completions
    /// first).
    pub fn tx_frame(&mut self) -> Option<TxFrame<'_>> {
        if self.tx_free.is_empty() {
            self.reclaim();
        }
        let addr = self.tx_free.pop()?;
        Some(TxFrame {
            sock: self,
            addr,
            submitted: false,
        })
    }

    /// Copies `frames` (full Ethernet frames) into free TX frames, queues them and kicks the
    /// kernel. Returns how many were queued (fewer than given when TX frames ran out).
    pub fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, XskError> {
        let max = self.frame_size as usize;
        if let Some(big) = frames.iter().find(|f| f.len() > max) {
            return Err(XskError::FrameTooLarge {
                len: big.len(),
                max,
            });
        }
        let mut sent = 0;
        for data in frames {
            let Some(mut frame) = self.tx_frame() else {
                break;
            };
            frame.buf()[..data.len()].copy_from_slice(data);
            frame.submit(data.len())?;
            sent += 1;
        }
        self.flush_tx()?;
        Ok(sent)
    }

    /// Makes the kernel transmit what was submitted and reaps completed frames. In copy mode
    /// the kernel sends during sendto() (at most 32 frames per call), so this kicks until the
    /// TX ring is drained, within a bound.
    pub fn flush_tx(&mut self) -> Result<(), XskError> {
        let max_kicks = self.tx_free.capacity() / 16 + 8;
        for _ in 0..max_kicks {
            self.reclaim();
            if self.tx.pending() == 0 {
                break;
            }
            if self.need_wakeup && !self.tx.needs_wakeup() {
                // The driver drains the ring by itself.
                break;
            }
            // SAFETY: a zero-length sendto on our AF_XDP socket with no buffer and no address:
            // the documented TX wake-up.
            let rc = unsafe {
                libc::sendto(
                    self.fd,
                    std::ptr::null(),
                    0,
                    libc::MSG_DONTWAIT,
                    std::ptr::null(),
                    0,
                )
            };
            if rc < 0 {
                match errno() {
                    // Transient: batch limit reached, completion ring full, or no skb.
                    libc::EAGAIN | libc::EBUSY | libc::ENOBUFS | libc::EINTR => continue,
                    e => return Err(sys("kicking the TX ring (sendto)", e)),
                }
            }
        }
        self.reclaim();
        Ok(())
    }

    /// Returns completed TX frames to the free list; how many.
    pub fn reclaim(&mut self) -> usize {
        let mask = !(u64::from(self.frame_size) - 1);
        let mut n = 0;
        {
            let mut c = self.device.complete(self.tx_free.capacity() as u32);
            while let Some(addr) = c.read() {
                // Never exceeds the capacity: at most tx_frames frames exist.
                self.tx_free.push(addr & mask);
                n += 1;
            }
            c.release();
        }
        self.tx_in_flight = self.tx_in_flight.saturating_sub(n as u32);
        n
    }

    /// The kernel's drop counters for this socket (XDP_STATISTICS).
    pub fn stats(&self) -> Result<XskStats, XskError> {
        let s = self
            .user
            .statistics_v2()
            .map_err(|e| sys("getsockopt(XDP_STATISTICS)", e.get_raw()))?;
        Ok(XskStats {
            rx_dropped: s.rx_dropped,
            rx_invalid_descs: s.rx_invalid_descs,
            tx_invalid_descs: s.tx_invalid_descs,
            rx_ring_full: s.rx_ring_full,
            rx_fill_ring_empty_descs: s.rx_fill_ring_empty_descs,
            tx_ring_empty_descs: s.tx_ring_empty_descs,
            rx_bad_descs: self.rx_bad_descs,
        })
    }
}

impl AsRawFd for XskSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}
