//! Layer-2 mode through AF_XDP: the `xdp_dhcp` program (crate `xdhcp-ebpf`)
//! is attached to the `-l` interface and steers UDP to the client port (68
//! over IPv4, 546 over IPv6) into one AF_XDP socket per RX queue; frames are
//! sent from the sockets' TX rings. All sockets are polled from the one
//! perfgen thread.
//!
//! * TX: each payload the core wrote into the [`TxBatch`] is copied once into
//!   a free UMEM TX frame, and the Ethernet/IP/UDP headers are written in
//!   place in front of it by the same [`L2Framing`] the AF_PACKET transport
//!   uses. Batches go to the sockets in turn; in copy mode the kernel sends
//!   during the `sendto()` kick (at most 32 frames per kick).
//! * RX: frames are read straight off the RX ring (the ebpf crate hands the
//!   frame from its Ethernet header on, skipping the 256-byte XDP headroom);
//!   only the DHCP payload is copied into the preallocated [`RxBatch`]. No
//!   allocation per packet.
//! * Neighbor Discovery (v6): the program steers UDP only, so ICMPv6 reaches
//!   the kernel. Steering ICMPv6 too would need a change to the XDP program,
//!   and would pull the kernel's own ND traffic on that interface into
//!   perfgen; instead a small AF_PACKET side socket with a classic BPF filter
//!   that accepts only Neighbor Solicitations answers those for the simulated
//!   clients' link-local addresses, as the packet transport does. The same
//!   socket holds the interface in promiscuous mode (so NICs that filter by
//!   MAC pass the unicast replies to the clients' MACs); in v4 it is unbound
//!   and receives nothing.
//!
//! The program is detached when the transport is dropped (the bpf_link's
//! file descriptor closes; even SIGKILL leaves nothing attached).

use std::io;
use std::net::Ipv6Addr;

use xdhcp_ebpf::{
    AttachMode, MAX_QUEUES, QueueCounters, STEER_V4, STEER_V6, XdpProgram, XskConfig, XskSocket,
    XskStats,
};

use super::packet::{ETH_P_IPV6, L2Framing, bpf_ns, open_packet_socket, send_nas};
use super::{Fd, RxBatch, Transport, TransportStats, TxBatch, poll_fd, poll_fds};

/// UMEM and rings of each socket: 2048 frames of 2048 bytes (4 MiB), 1024
/// for RX and 1024 for TX. perfgen keeps at most `--window` (or the rate's
/// backlog) exchanges outstanding and sends 64 frames per batch, so 1024 in
/// each direction is ample.
pub fn xsk_config() -> XskConfig {
    XskConfig {
        frames: 2048,
        frame_size: 2048,
        rx_size: 1024,
        tx_size: 1024,
        fill_size: 1024,
        comp_size: 1024,
    }
}

/// Length of the frame built in a UMEM TX frame of `frame_size` bytes for a
/// `payload_len`-byte payload placed at `headroom` (the headers fill
/// `0..headroom`, the frame starts at offset 0); None when it does not fit.
pub fn tx_frame_len(headroom: usize, payload_len: usize, frame_size: usize) -> Option<usize> {
    headroom
        .checked_add(payload_len)
        .filter(|&len| len <= frame_size)
}

/// The RX queues to bind a socket to: every RX queue of the interface (at
/// most [`MAX_QUEUES`], at least queue 0), except on veth in generic mode,
/// where the kernel reports every frame on queue 0 (sockets on the other
/// queues would never receive anything).
pub fn select_queues(rx_queues: u32, mode: AttachMode, driver: &str) -> Vec<u32> {
    let n = rx_queues.clamp(1, MAX_QUEUES);
    if mode == AttachMode::Generic && driver == "veth" {
        return vec![0];
    }
    (0..n).collect()
}

/// `0`, `0-3`, or `0,2` for the report.
pub fn queue_list(q: &[u32]) -> String {
    let contiguous = q.windows(2).all(|w| w[1] == w[0] + 1);
    match q {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] if contiguous => format!("{first}-{last}"),
        _ => q.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
    }
}

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GDRVINFO: u32 = 0x03;
const ETHTOOL_GCHANNELS: u32 = 0x3c;

/// `struct ifreq` with the `ifr_data` member.
#[repr(C)]
struct IfreqData {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

/// One SIOCETHTOOL request on `fd`: `cmd` is the struct's first u32.
fn ethtool<T>(fd: i32, ifname: &str, cmd: &mut T) -> io::Result<()> {
    let mut ifr = IfreqData {
        name: [0; libc::IFNAMSIZ],
        data: cmd as *mut T as *mut libc::c_void,
        _pad: [0; 16],
    };
    let n = ifname.len().min(libc::IFNAMSIZ - 1);
    ifr.name[..n].copy_from_slice(&ifname.as_bytes()[..n]);
    // SAFETY: ifr is a valid ifreq whose data points at a live, writable
    // ethtool command struct of the size the command implies.
    let r = unsafe { libc::ioctl(fd, SIOCETHTOOL as _, &mut ifr) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// RX queues of `ifname` (rx + combined channels), 1 when the driver does
/// not say.
fn rx_queue_count(fd: i32, ifname: &str) -> u32 {
    // struct ethtool_channels: cmd, max_rx, max_tx, max_other, max_combined,
    // rx_count, tx_count, other_count, combined_count.
    let mut ch = [0u32; 9];
    ch[0] = ETHTOOL_GCHANNELS;
    match ethtool(fd, ifname, &mut ch) {
        Ok(()) => (ch[5] + ch[8]).max(1),
        Err(_) => 1,
    }
}

/// The driver's name (`veth`, `mlx5_core`, ...), empty when unknown.
fn driver_name(fd: i32, ifname: &str) -> String {
    // struct ethtool_drvinfo: cmd, then driver[32], ... (196 bytes).
    let mut info = [0u32; 49];
    info[0] = ETHTOOL_GDRVINFO;
    if ethtool(fd, ifname, &mut info).is_err() {
        return String::new();
    }
    let bytes: Vec<u8> = info[1..9].iter().flat_map(|w| w.to_ne_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn xsk_err(e: xdhcp_ebpf::XskError) -> io::Error {
    io::Error::other(e.to_string())
}

/// The first line of an error (the verifier's log can follow on others).
fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// How many times in a row `send` may find no free TX frame (1 ms apart)
/// before it gives up.
const MAX_TX_STALLS: u32 = 2000;

/// The side socket is read every this many `recv` calls (and whenever
/// `wait` finds it readable).
const SIDE_EVERY: u32 = 64;

/// Layer-2 transport through AF_XDP sockets on every RX queue.
pub struct AfXdpTransport {
    /// First field: the sockets close before the program is detached.
    socks: Vec<XskSocket>,
    /// ND (v6) and promiscuous mode.
    side: Fd,
    framing: L2Framing,
    ifname: String,
    driver: String,
    queues: Vec<u32>,
    pfds: Vec<libc::pollfd>,
    next_tx: usize,
    next_rx: usize,
    recv_calls: u32,
    na: Vec<[u8; 86]>,
    ns_answered: u64,
    rx_foreign: u64,
    tx_stalls: u64,
    /// Last: detaches the program when the transport is dropped, on every
    /// path out of perfgen (normal end, error, panic unwinding).
    prog: XdpProgram,
}

impl AfXdpTransport {
    /// Attaches the program to `ifname` in `mode`, steering the client port
    /// of the family, and opens one socket per selected RX queue. The error
    /// is one line saying why (privileges, driver, busy interface, ...).
    pub fn open(
        ifname: &str,
        v6: bool,
        dst6: Option<Ipv6Addr>,
        mode: AttachMode,
    ) -> io::Result<AfXdpTransport> {
        let framing = L2Framing::new(v6, dst6);
        let mark = if v6 { STEER_V6 } else { STEER_V4 };
        let mut prog = XdpProgram::attach(ifname, mode, &[(framing.client_port(), mark)])
            .map_err(|e| io::Error::other(one_line(&e)))?;
        let ns = bpf_ns();
        let (side, _) = open_packet_socket(ifname, v6.then_some((ETH_P_IPV6, &ns[..])))?;
        let rxq = rx_queue_count(side.0, ifname);
        let driver = driver_name(side.0, ifname);
        let queues = select_queues(rxq, prog.mode(), &driver);
        let mut socks = Vec::with_capacity(queues.len());
        for &q in &queues {
            let s = XskSocket::open(ifname, q, xsk_config())
                .map_err(|e| io::Error::other(format!("queue {q}: {}", one_line(&e))))?;
            prog.register_socket(q, s.fd())
                .map_err(|e| io::Error::other(one_line(&e)))?;
            socks.push(s);
        }
        let mut pfds: Vec<libc::pollfd> = socks
            .iter()
            .map(|s| libc::pollfd {
                fd: s.fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if v6 {
            pfds.push(libc::pollfd {
                fd: side.0,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        Ok(AfXdpTransport {
            socks,
            side,
            framing,
            ifname: ifname.to_string(),
            driver,
            queues,
            pfds,
            next_tx: 0,
            next_rx: 0,
            recv_calls: 0,
            na: Vec::with_capacity(64),
            ns_answered: 0,
            rx_foreign: 0,
            tx_stalls: 0,
            prog,
        })
    }

    /// The MACs of the simulated clients (v6: their link-local addresses
    /// are answered in Neighbor Discovery).
    pub fn set_clients(&mut self, base: [u8; 6], count: u32) {
        self.framing.set_clients(base, count);
    }

    /// The mode the program runs in (Native or Generic).
    pub fn mode(&self) -> AttachMode {
        self.prog.mode()
    }

    /// The RX queues with a socket.
    pub fn queues(&self) -> &[u32] {
        &self.queues
    }

    /// Answers pending Neighbor Solicitations (v6).
    fn serve_side(&mut self) {
        if !self.framing.v6() {
            return;
        }
        let mut buf = [0u8; 1024];
        while self.na.len() < self.na.capacity() {
            // SAFETY: receives into a live buffer of the given size.
            let r = unsafe {
                libc::recv(
                    self.side.0,
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if r <= 0 {
                break;
            }
            let mut f = [0u8; 86];
            if self.framing.answer_ns(&buf[..r as usize], &mut f) {
                self.na.push(f);
            }
        }
        if !self.na.is_empty() {
            self.ns_answered += send_nas(self.side.0, &mut self.na);
        }
    }

    fn xsk_totals(&self) -> XskStats {
        let mut t = XskStats::default();
        for s in &self.socks {
            if let Ok(x) = s.stats() {
                t.rx_dropped += x.rx_dropped;
                t.rx_invalid_descs += x.rx_invalid_descs;
                t.tx_invalid_descs += x.tx_invalid_descs;
                t.rx_ring_full += x.rx_ring_full;
                t.rx_fill_ring_empty_descs += x.rx_fill_ring_empty_descs;
                t.tx_ring_empty_descs += x.tx_ring_empty_descs;
                t.rx_bad_descs += x.rx_bad_descs;
            }
        }
        t
    }
}

impl Transport for AfXdpTransport {
    fn name(&self) -> &'static str {
        "afxdp"
    }
    fn headroom(&self) -> usize {
        self.framing.headroom()
    }
    fn send(&mut self, tx: &mut TxBatch) -> io::Result<()> {
        if tx.is_empty() {
            return Ok(());
        }
        let q = self.next_tx;
        self.next_tx = (q + 1) % self.socks.len();
        let sock = &mut self.socks[q];
        let h = self.framing.headroom();
        let mut stalls = 0;
        let mut i = 0;
        while i < tx.len() {
            let Some(mut frame) = sock.tx_frame() else {
                // All TX frames in flight: kick the kernel, reap completions.
                sock.flush_tx().map_err(xsk_err)?;
                if sock.tx_in_flight() as usize >= xsk_config().tx_frames() as usize {
                    stalls += 1;
                    self.tx_stalls += 1;
                    if stalls > MAX_TX_STALLS {
                        return Err(io::Error::other(format!(
                            "AF_XDP on {} queue {}: no TX frame came back for {} ms",
                            self.ifname,
                            sock.queue(),
                            MAX_TX_STALLS
                        )));
                    }
                    poll_fd(sock.fd(), libc::POLLOUT, 1_000_000)?;
                }
                continue;
            };
            let payload = tx.payload(i);
            let buf = frame.buf();
            let Some(len) = tx_frame_len(h, payload.len(), buf.len()) else {
                return Err(io::Error::other("payload does not fit a UMEM frame"));
            };
            buf[h..len].copy_from_slice(payload);
            let n = self.framing.write_headers(buf, payload.len(), tx.mac(i))?;
            frame.submit(n).map_err(xsk_err)?;
            i += 1;
        }
        sock.flush_tx().map_err(xsk_err)?;
        tx.clear();
        Ok(())
    }
    fn recv(&mut self, rx: &mut RxBatch) -> io::Result<usize> {
        rx.clear();
        let n = self.socks.len();
        let framing = &self.framing;
        let foreign = &mut self.rx_foreign;
        for k in 0..n {
            let room = rx.cap() - rx.len();
            if room == 0 {
                break;
            }
            let q = (self.next_rx + k) % n;
            self.socks[q]
                .recv_batch(room as u32, |frame| match framing.reply_span(frame) {
                    Some((o, l)) => {
                        rx.push(&frame[o..o + l]);
                    }
                    None => *foreign += 1,
                })
                .map_err(xsk_err)?;
        }
        self.next_rx = (self.next_rx + 1) % n;
        if self.framing.v6() {
            self.recv_calls = self.recv_calls.wrapping_add(1);
            if self.recv_calls.is_multiple_of(SIDE_EVERY) {
                self.serve_side();
            }
        }
        Ok(rx.len())
    }
    fn wait(&mut self, timeout_ns: u64) -> io::Result<()> {
        for p in &mut self.pfds {
            p.revents = 0;
        }
        let ready = poll_fds(&mut self.pfds, timeout_ns)?;
        if ready > 0
            && self.framing.v6()
            && self
                .pfds
                .last()
                .is_some_and(|p| p.revents & libc::POLLIN != 0)
        {
            self.serve_side();
        }
        Ok(())
    }
    fn stats(&mut self) -> Option<TransportStats> {
        let x = self.xsk_totals();
        let per_queue = self.prog.counters().unwrap_or_default();
        let prog = QueueCounters::total(per_queue.iter());
        let mode = match self.prog.mode() {
            AttachMode::Native => "native",
            AttachMode::Generic => "generic",
            AttachMode::Auto => "auto",
        };
        let mut counters: Vec<(String, u64)> = [
            ("xsk_rx_dropped", x.rx_dropped),
            ("xsk_rx_ring_full", x.rx_ring_full),
            ("xsk_rx_fill_ring_empty", x.rx_fill_ring_empty_descs),
            ("xsk_rx_invalid_descs", x.rx_invalid_descs),
            ("xsk_tx_invalid_descs", x.tx_invalid_descs),
            ("xsk_rx_bad_descs", x.rx_bad_descs),
            ("xdp_steered", prog.steered),
            ("xdp_passed", prog.passed),
            ("xdp_malformed", prog.malformed),
            ("rx_foreign", self.rx_foreign),
            ("tx_stalls", self.tx_stalls),
        ]
        .iter()
        .map(|&(k, v)| (k.to_string(), v))
        .collect();
        if self.queues.len() > 1 {
            for &q in &self.queues {
                let steered = per_queue.get(q as usize).map_or(0, |c| c.steered);
                counters.push((format!("xdp_steered_q{q}"), steered));
            }
        }
        if self.framing.v6() {
            counters.push(("ns_answered".to_string(), self.ns_answered));
        }
        let driver = if self.driver.is_empty() {
            String::new()
        } else {
            format!(", driver {}", self.driver)
        };
        Some(TransportStats {
            detail: format!(
                "AF_XDP on {} (XDP {mode} mode, copy mode, queue{} {}{driver})",
                self.ifname,
                if self.queues.len() == 1 { "" } else { "s" },
                queue_list(&self.queues)
            ),
            counters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::packet::{link_local, parse_udp6};
    use xdhcp_wire::frame::parse_udp4;

    #[test]
    fn queues_follow_the_interface_and_the_mode() {
        assert_eq!(select_queues(0, AttachMode::Native, "veth"), vec![0]);
        assert_eq!(select_queues(1, AttachMode::Native, "veth"), vec![0]);
        assert_eq!(
            select_queues(4, AttachMode::Native, "veth"),
            vec![0, 1, 2, 3]
        );
        // generic XDP on veth reports every frame on queue 0
        assert_eq!(select_queues(4, AttachMode::Generic, "veth"), vec![0]);
        // elsewhere generic mode keeps the real queue index
        assert_eq!(
            select_queues(3, AttachMode::Generic, "ixgbe"),
            vec![0, 1, 2]
        );
        assert_eq!(
            select_queues(1000, AttachMode::Native, "mlx5_core").len(),
            MAX_QUEUES as usize
        );
        assert_eq!(queue_list(&[0]), "0");
        assert_eq!(queue_list(&[0, 1, 2]), "0-2");
        assert_eq!(queue_list(&[0, 2]), "0,2");
    }

    #[test]
    fn tx_frames_fit_the_umem_frame() {
        let c = xsk_config();
        c.validate().unwrap();
        assert_eq!((c.rx_frames(), c.tx_frames()), (1024, 1024));
        let fs = c.frame_size as usize;
        assert_eq!(tx_frame_len(42, 300, fs), Some(342));
        assert_eq!(tx_frame_len(62, 1986, fs), Some(2048));
        assert_eq!(tx_frame_len(62, 1987, fs), None);
        assert_eq!(tx_frame_len(usize::MAX, 1, fs), None);
    }

    /// What `send` does in a UMEM frame: payload at the headroom, headers
    /// written in place in front, the frame from offset 0 parses back.
    #[test]
    fn frames_built_in_place_parse_back() {
        let mac = [2, 0, 0, 0, 0, 7];
        let payload: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        for v6 in [false, true] {
            let f = L2Framing::new(v6, None);
            let mut umem = vec![0xeeu8; 2048];
            let h = f.headroom();
            let len = tx_frame_len(h, payload.len(), umem.len()).unwrap();
            umem[h..len].copy_from_slice(&payload);
            let n = f.write_headers(&mut umem, payload.len(), mac).unwrap();
            assert_eq!(n, len);
            let frame = &umem[..n];
            assert_eq!(&frame[6..12], &mac);
            if v6 {
                assert_eq!(&frame[0..6], &[0x33, 0x33, 0, 1, 0, 2]);
                assert_eq!(&frame[22..38], &link_local(mac).octets());
                assert_eq!(parse_udp6(frame, 547), Some((h, payload.len())));
            } else {
                assert_eq!(&frame[0..6], &[0xff; 6]);
                let p = parse_udp4(frame).unwrap();
                assert_eq!((p.src_port, p.dst_port), (68, 67));
                assert_eq!(p.payload, &payload[..]);
            }
            // a reply to the client port is found at the same offsets
            let mut reply = frame.to_vec();
            if v6 {
                reply[56..58].copy_from_slice(&546u16.to_be_bytes());
                assert_eq!(f.reply_span(&reply), Some((h, payload.len())));
            } else {
                assert_eq!(f.reply_span(&reply), None, "to port 67: not a reply");
            }
        }
    }
}
