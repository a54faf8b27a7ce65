//! Layer-2 mode: whole Ethernet frames through an AF_PACKET socket, batched
//! with sendmmsg/recvmmsg. A classic BPF filter lets only UDP to the client
//! port (68 / 546) through, so the socket does not see all traffic. The
//! interface is put in promiscuous mode so unicast replies to the simulated
//! clients' MACs arrive too.
//!
//! The framing ([`L2Framing`]) and the socket set-up ([`open_packet_socket`])
//! are shared with the AF_XDP transport (`afxdp.rs`).

use std::ffi::CString;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use xdhcp_wire::checksum;
use xdhcp_wire::frame::{UdpChecksum, parse_udp4_with, udp4_header_len, write_udp4};

use super::{
    Fd, RxBatch, Transport, TransportStats, TxBatch, big_buffers, poll_fd, recvmmsg_batch,
    sendmmsg_all, setsockopt_int,
};

/// Ethernet + IPv6 + UDP header length.
pub const UDP6_HEADER_LEN: usize = 14 + 40 + 8;

const ETH_P_IP: u16 = 0x0800;
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;
const PACKET_IGNORE_OUTGOING: i32 = 23;
const PACKET_QDISC_BYPASS: i32 = 20;

fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// `udp dst port 68` over IPv4 (no fragments).
pub fn bpf_v4() -> Vec<libc::sock_filter> {
    vec![
        op(0x28, 0, 0, 12),          // ldh [12]
        op(0x15, 0, 8, 0x0800),      // jeq IPv4 else drop
        op(0x30, 0, 0, 23),          // ldb [23]
        op(0x15, 0, 6, 17),          // jeq UDP else drop
        op(0x28, 0, 0, 20),          // ldh [20]
        op(0x45, 4, 0, 0x1fff),      // fragment offset -> drop
        op(0xb1, 0, 0, 14),          // ldxb 4*([14]&0xf)
        op(0x48, 0, 0, 16),          // ldh [x+16] (dst port)
        op(0x15, 0, 1, 68),          // jeq 68 else drop
        op(0x06, 0, 0, 0x0004_0000), // accept
        op(0x06, 0, 0, 0),           // drop
    ]
}

/// `udp dst port 546` or an ICMPv6 Neighbor Solicitation over IPv6 (the
/// server must resolve the simulated clients' link-local addresses).
pub fn bpf_v6() -> Vec<libc::sock_filter> {
    vec![
        op(0x28, 0, 0, 12),          // 0 ldh [12]
        op(0x15, 0, 8, 0x86dd),      // 1 IPv6 else drop
        op(0x30, 0, 0, 20),          // 2 ldb [20] next header
        op(0x15, 0, 2, 17),          // 3 UDP else 6
        op(0x28, 0, 0, 56),          // 4 ldh [56] dst port
        op(0x15, 3, 4, 546),         // 5 546 -> accept else drop
        op(0x15, 0, 3, 58),          // 6 ICMPv6 else drop
        op(0x30, 0, 0, 54),          // 7 ldb [54] type
        op(0x15, 0, 1, 135),         // 8 NS -> accept else drop
        op(0x06, 0, 0, 0x0004_0000), // 9 accept
        op(0x06, 0, 0, 0),           // 10 drop
    ]
}

/// If `frame` is a Neighbor Solicitation for the link-local address of a
/// MAC accepted by `ours`, the Neighbor Advertisement answering it.
pub fn answer_ns(frame: &[u8], ours: impl Fn([u8; 6]) -> bool, out: &mut [u8; 86]) -> bool {
    if frame.len() < 78
        || u16::from_be_bytes([frame[12], frame[13]]) != ETH_P_IPV6
        || frame[20] != 58
        || frame[54] != 135
    {
        return false;
    }
    let t = &frame[62..78];
    if t[..8] != [0xfe, 0x80, 0, 0, 0, 0, 0, 0] || t[11] != 0xff || t[12] != 0xfe {
        return false;
    }
    let mac = [t[8] ^ 2, t[9], t[10], t[13], t[14], t[15]];
    if !ours(mac) {
        return false;
    }
    let mut target = [0u8; 16];
    target.copy_from_slice(t);
    let mut src = [0u8; 16];
    src.copy_from_slice(&frame[22..38]);
    let dst = if src == [0u8; 16] {
        Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1).octets()
    } else {
        src
    };
    out[0..6].copy_from_slice(&frame[6..12]);
    out[6..12].copy_from_slice(&mac);
    out[12..14].copy_from_slice(&ETH_P_IPV6.to_be_bytes());
    out[14..18].copy_from_slice(&[0x60, 0, 0, 0]);
    out[18..20].copy_from_slice(&32u16.to_be_bytes());
    out[20] = 58;
    out[21] = 255;
    out[22..38].copy_from_slice(&target);
    out[38..54].copy_from_slice(&dst);
    let icmp = &mut out[54..86];
    icmp.fill(0);
    icmp[0] = 136;
    icmp[4] = if src == [0u8; 16] { 0x20 } else { 0x60 }; // (S)olicited, (O)verride
    icmp[8..24].copy_from_slice(&target);
    icmp[24] = 2; // target link-layer address
    icmp[25] = 1;
    icmp[26..32].copy_from_slice(&mac);
    let mut acc = checksum::sum(0, &target);
    acc = checksum::sum(acc, &dst);
    acc = checksum::sum(acc, &32u32.to_be_bytes());
    acc = checksum::sum(acc, &[0, 0, 0, 58]);
    acc = checksum::sum(acc, &out[54..86]);
    let c = checksum::finish(acc);
    out[56..58].copy_from_slice(&c.to_be_bytes());
    true
}

/// Link-local address derived from a MAC (modified EUI-64).
pub fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a[0] = 0xfe;
    a[1] = 0x80;
    a[8] = mac[0] ^ 2;
    a[9] = mac[1];
    a[10] = mac[2];
    a[11] = 0xff;
    a[12] = 0xfe;
    a[13] = mac[3];
    a[14] = mac[4];
    a[15] = mac[5];
    Ipv6Addr::from(a)
}

/// Writes Ethernet + IPv6 + UDP headers in front of a payload already at
/// offset [`UDP6_HEADER_LEN`]; returns the frame length.
#[allow(clippy::too_many_arguments)]
pub fn write_udp6(
    buf: &mut [u8],
    eth_dst: [u8; 6],
    eth_src: [u8; 6],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    sport: u16,
    dport: u16,
    payload_len: usize,
) -> usize {
    let ulen = (8 + payload_len) as u16;
    buf[0..6].copy_from_slice(&eth_dst);
    buf[6..12].copy_from_slice(&eth_src);
    buf[12..14].copy_from_slice(&ETH_P_IPV6.to_be_bytes());
    let ip = &mut buf[14..54];
    ip[0..4].copy_from_slice(&[0x60, 0, 0, 0]);
    ip[4..6].copy_from_slice(&ulen.to_be_bytes());
    ip[6] = 17;
    ip[7] = 1;
    ip[8..24].copy_from_slice(&src.octets());
    ip[24..40].copy_from_slice(&dst.octets());
    buf[54..56].copy_from_slice(&sport.to_be_bytes());
    buf[56..58].copy_from_slice(&dport.to_be_bytes());
    buf[58..60].copy_from_slice(&ulen.to_be_bytes());
    buf[60..62].copy_from_slice(&[0, 0]);
    let mut acc = checksum::sum(0, &src.octets());
    acc = checksum::sum(acc, &dst.octets());
    acc = checksum::sum(acc, &u32::from(ulen).to_be_bytes());
    acc = checksum::sum(acc, &[0, 0, 0, 17]);
    acc = checksum::sum(acc, &buf[54..62 + payload_len]);
    let mut c = checksum::finish(acc);
    if c == 0 {
        c = 0xffff;
    }
    buf[60..62].copy_from_slice(&c.to_be_bytes());
    UDP6_HEADER_LEN + payload_len
}

/// Extracts the UDP payload of an IPv6 frame to `port`: (offset, len).
pub fn parse_udp6(frame: &[u8], port: u16) -> Option<(usize, usize)> {
    if frame.len() < UDP6_HEADER_LEN
        || u16::from_be_bytes([frame[12], frame[13]]) != ETH_P_IPV6
        || frame[20] != 17
        || u16::from_be_bytes([frame[56], frame[57]]) != port
    {
        return None;
    }
    let ulen = usize::from(u16::from_be_bytes([frame[58], frame[59]]));
    if ulen < 8 || 54 + ulen > frame.len() {
        return None;
    }
    Some((UDP6_HEADER_LEN, ulen - 8))
}

/// `ip6 and icmp6[0] == 135` (no extension headers): only Neighbor
/// Solicitations, for the AF_XDP transport's ND side socket.
pub fn bpf_ns() -> Vec<libc::sock_filter> {
    vec![
        op(0x28, 0, 0, 12),          // 0 ldh [12]
        op(0x15, 0, 5, 0x86dd),      // 1 IPv6 else drop
        op(0x30, 0, 0, 20),          // 2 ldb [20] next header
        op(0x15, 0, 3, 58),          // 3 ICMPv6 else drop
        op(0x30, 0, 0, 54),          // 4 ldb [54] type
        op(0x15, 0, 1, 135),         // 5 NS -> accept else drop
        op(0x06, 0, 0, 0x0004_0000), // 6 accept
        op(0x06, 0, 0, 0),           // 7 drop
    ]
}

/// The layer-2 framing both layer-2 transports (AF_PACKET and AF_XDP) use:
/// headers written in front of the core's payload, replies recognised by
/// their client port, Neighbor Solicitations for the simulated clients'
/// link-local addresses answered.
#[derive(Debug, Clone)]
pub struct L2Framing {
    v6: bool,
    /// IPv4 destination (broadcast).
    dst4: Ipv4Addr,
    dst6: Ipv6Addr,
    eth_dst: [u8; 6],
    /// Simulated clients (base MAC as integer, count) for answering ND.
    clients: (u64, u64),
}

impl L2Framing {
    /// Framing for v4 (broadcast) or v6 (to `dst6`, default ff02::1:2).
    pub fn new(v6: bool, dst6: Option<Ipv6Addr>) -> L2Framing {
        let dst6 = dst6.unwrap_or(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2));
        let eth_dst = if v6 {
            let o = dst6.octets();
            [0x33, 0x33, o[12], o[13], o[14], o[15]]
        } else {
            [0xff; 6]
        };
        L2Framing {
            v6,
            dst4: Ipv4Addr::BROADCAST,
            dst6,
            eth_dst,
            clients: (0, 0),
        }
    }

    /// Whether this is DHCPv6 framing.
    pub fn v6(&self) -> bool {
        self.v6
    }

    /// The MACs of the simulated clients (v6: their link-local addresses
    /// are answered in Neighbor Discovery).
    pub fn set_clients(&mut self, base: [u8; 6], count: u32) {
        let b = base.iter().fold(0u64, |a, &x| a << 8 | u64::from(x));
        self.clients = (b, u64::from(count));
    }

    /// Header bytes in front of each payload (Ethernet + IP + UDP).
    pub fn headroom(&self) -> usize {
        if self.v6 {
            UDP6_HEADER_LEN
        } else {
            udp4_header_len(0)
        }
    }

    /// The client UDP port replies arrive on (68 / 546).
    pub fn client_port(&self) -> u16 {
        if self.v6 { 546 } else { 68 }
    }

    /// Writes the headers in front of a `payload_len`-byte payload already
    /// at [`Self::headroom`] in `buf`, from client `mac`; returns the frame
    /// length.
    pub fn write_headers(
        &self,
        buf: &mut [u8],
        payload_len: usize,
        mac: [u8; 6],
    ) -> io::Result<usize> {
        if self.v6 {
            if buf.len() < UDP6_HEADER_LEN + payload_len {
                return Err(io::Error::other("frame: no space"));
            }
            Ok(write_udp6(
                buf,
                self.eth_dst,
                mac,
                link_local(mac),
                self.dst6,
                546,
                547,
                payload_len,
            ))
        } else {
            write_udp4(
                buf,
                self.eth_dst,
                mac,
                &[],
                Ipv4Addr::UNSPECIFIED,
                self.dst4,
                68,
                67,
                payload_len,
            )
            .map_err(|e| io::Error::other(format!("frame: {e:?}")))
        }
    }

    /// The DHCP payload (offset, length) of a received frame to the client
    /// port, None for anything else.
    pub fn reply_span(&self, raw: &[u8]) -> Option<(usize, usize)> {
        if self.v6 {
            parse_udp6(raw, 546)
        } else {
            // A reply from a sender on this host may carry an unfinished UDP checksum.
            let f = parse_udp4_with(raw, UdpChecksum::Trust).ok()?;
            if f.dst_port != 68 {
                return None;
            }
            let off = f.payload.as_ptr() as usize - raw.as_ptr() as usize;
            Some((off, f.payload.len()))
        }
    }

    /// If `raw` is a Neighbor Solicitation for a simulated client's
    /// link-local address (v6 only), writes the answer into `out`.
    pub fn answer_ns(&self, raw: &[u8], out: &mut [u8; 86]) -> bool {
        if !self.v6 {
            return false;
        }
        let (base, count) = self.clients;
        let ours = |m: [u8; 6]| {
            let v = m.iter().fold(0u64, |a, &x| a << 8 | u64::from(x));
            (v.wrapping_sub(base) & 0xffff_ffff_ffff) < count
        };
        answer_ns(raw, ours, out)
    }
}

/// Index of interface `ifname` in this network namespace.
pub fn ifindex(ifname: &str) -> io::Result<u32> {
    let cname = CString::new(ifname).map_err(|_| io::Error::other("bad interface name"))?;
    // SAFETY: valid C string.
    let ifindex = unsafe { libc::if_nametoindex(cname.as_ptr()) };
    if ifindex == 0 {
        return Err(io::Error::other(format!("no interface {ifname:?}")));
    }
    Ok(ifindex)
}

/// Opens a non-blocking AF_PACKET socket on `ifname` that puts the
/// interface in promiscuous mode for as long as it lives (so unicast
/// replies to the simulated clients' MACs arrive). With `bind_to`
/// (ethertype, filter) it receives the frames the classic BPF filter
/// accepts; without, it receives nothing (and can still send).
pub(crate) fn open_packet_socket(
    ifname: &str,
    bind_to: Option<(u16, &[libc::sock_filter])>,
) -> io::Result<(Fd, u32)> {
    let ifindex = ifindex(ifname)?;
    // SAFETY: plain socket call; protocol 0 receives nothing until bind.
    let fd = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("AF_PACKET socket: {e} (layer-2 mode needs root / CAP_NET_RAW)"),
        ));
    }
    let fd = Fd(fd);
    if let Some((ethertype, filter)) = bind_to {
        let prog = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: prog points at `filter`, alive for the call.
        let r = unsafe {
            libc::setsockopt(
                fd.0,
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                &prog as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        let _ = setsockopt_int(fd.0, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
        let _ = setsockopt_int(fd.0, libc::SOL_PACKET, PACKET_QDISC_BYPASS, 1);
        big_buffers(fd.0);
        // SAFETY: plain old data.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = ethertype.to_be();
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: pointer to a live sockaddr_ll.
        let r = unsafe {
            libc::bind(
                fd.0,
                &sll as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: plain old data.
    let mut mr: libc::packet_mreq = unsafe { std::mem::zeroed() };
    mr.mr_ifindex = ifindex as i32;
    mr.mr_type = libc::PACKET_MR_PROMISC as u16;
    // SAFETY: pointer to a live packet_mreq.
    unsafe {
        libc::setsockopt(
            fd.0,
            libc::SOL_PACKET,
            libc::PACKET_ADD_MEMBERSHIP,
            &mr as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::packet_mreq>() as libc::socklen_t,
        );
    }
    Ok((fd, ifindex))
}

/// Sends the Neighbor Advertisements collected in `na` on packet socket
/// `fd` (best effort) and empties `na`; returns how many were sent.
pub(crate) fn send_nas(fd: i32, na: &mut Vec<[u8; 86]>) -> u64 {
    let mut sent = 0;
    for f in na.drain(..) {
        // SAFETY: sends one live buffer on our socket.
        let r = unsafe { libc::send(fd, f.as_ptr() as *const libc::c_void, f.len(), 0) };
        if r > 0 {
            sent += 1;
        }
    }
    sent
}

/// An AF_PACKET socket on one interface.
pub struct PacketTransport {
    fd: Fd,
    framing: L2Framing,
    na: Vec<[u8; 86]>,
    ns_answered: u64,
    ifname: String,
}

impl PacketTransport {
    /// Opens the socket on `ifname` for v4 or v6 client traffic.
    pub fn new(ifname: &str, v6: bool, dst6: Option<Ipv6Addr>) -> io::Result<PacketTransport> {
        let filter = if v6 { bpf_v6() } else { bpf_v4() };
        let ethertype = if v6 { ETH_P_IPV6 } else { ETH_P_IP };
        let (fd, _) = open_packet_socket(ifname, Some((ethertype, &filter)))?;
        Ok(PacketTransport {
            fd,
            framing: L2Framing::new(v6, dst6),
            na: Vec::with_capacity(64),
            ns_answered: 0,
            ifname: ifname.to_string(),
        })
    }

    /// The MACs of the simulated clients (v6: their link-local addresses
    /// are answered in Neighbor Discovery).
    pub fn set_clients(&mut self, base: [u8; 6], count: u32) {
        self.framing.set_clients(base, count);
    }

    /// Headroom for a family.
    pub fn headroom_for(v6: bool) -> usize {
        L2Framing::new(v6, None).headroom()
    }
}

impl Transport for PacketTransport {
    fn name(&self) -> &'static str {
        "packet"
    }
    fn headroom(&self) -> usize {
        self.framing.headroom()
    }
    fn send(&mut self, tx: &mut TxBatch) -> io::Result<()> {
        for i in 0..tx.len() {
            let (buf, len, mac) = tx.frame_mut(i);
            self.framing.write_headers(buf, len, mac)?;
        }
        sendmmsg_all(self.fd.0, tx, None, true)
    }
    fn recv(&mut self, rx: &mut RxBatch) -> io::Result<usize> {
        recvmmsg_batch(self.fd.0, rx)?;
        let framing = &self.framing;
        let na = &mut self.na;
        rx.filter(|raw| {
            let mut f = [0u8; 86];
            if framing.answer_ns(raw, &mut f) {
                na.push(f);
                return None;
            }
            framing.reply_span(raw)
        });
        if !self.na.is_empty() {
            self.ns_answered += send_nas(self.fd.0, &mut self.na);
        }
        Ok(rx.len())
    }
    fn wait(&mut self, timeout_ns: u64) -> io::Result<()> {
        poll_fd(self.fd.0, libc::POLLIN, timeout_ns).map(|_| ())
    }
    fn stats(&mut self) -> Option<TransportStats> {
        // struct tpacket_stats { tp_packets, tp_drops } (read-and-reset).
        let mut st = [0u32; 2];
        let mut len = std::mem::size_of_val(&st) as libc::socklen_t;
        // SAFETY: st is 8 writable bytes, len says so.
        let r = unsafe {
            libc::getsockopt(
                self.fd.0,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                st.as_mut_ptr() as *mut libc::c_void,
                &mut len,
            )
        };
        let mut counters = Vec::new();
        if r == 0 {
            counters.push(("socket_drops".to_string(), u64::from(st[1])));
        }
        if self.framing.v6() {
            counters.push(("ns_answered".to_string(), self.ns_answered));
        }
        Some(TransportStats {
            detail: format!("AF_PACKET socket on {}", self.ifname),
            counters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a classic BPF program over a packet (just the opcodes we use).
    fn run_bpf(prog: &[libc::sock_filter], p: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let ld = |off: usize, n: usize| -> Option<u32> {
            p.get(off..off + n)
                .map(|b| b.iter().fold(0u32, |v, &c| v << 8 | u32::from(c)))
        };
        loop {
            let i = prog[pc];
            pc += 1;
            match i.code {
                0x28 => match ld(i.k as usize, 2) {
                    Some(v) => a = v,
                    None => return 0,
                },
                0x30 => match ld(i.k as usize, 1) {
                    Some(v) => a = v,
                    None => return 0,
                },
                0x48 => match ld(x as usize + i.k as usize, 2) {
                    Some(v) => a = v,
                    None => return 0,
                },
                0xb1 => match ld(i.k as usize, 1) {
                    Some(v) => x = 4 * (v & 0xf),
                    None => return 0,
                },
                0x15 => pc += if a == i.k { i.jt } else { i.jf } as usize,
                0x45 => pc += if a & i.k != 0 { i.jt } else { i.jf } as usize,
                0x06 => return i.k,
                c => panic!("opcode {c:#x}"),
            }
        }
    }

    fn frame4(dport: u16) -> Vec<u8> {
        let mut b = vec![0u8; 42 + 300];
        write_udp4(
            &mut b,
            [0xff; 6],
            [2, 0, 0, 0, 0, 1],
            &[],
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv4Addr::BROADCAST,
            67,
            dport,
            300,
        )
        .unwrap();
        b
    }

    #[test]
    fn v4_filter_accepts_only_client_port() {
        let f = bpf_v4();
        assert_ne!(run_bpf(&f, &frame4(68)), 0);
        assert_eq!(run_bpf(&f, &frame4(67)), 0);
        let mut arp = frame4(68);
        arp[12] = 0x08;
        arp[13] = 0x06;
        assert_eq!(run_bpf(&f, &arp), 0);
    }

    #[test]
    fn v6_frames_round_trip_and_filter() {
        let mut b = vec![0u8; 62 + 40];
        b[62..].copy_from_slice(&[7u8; 40]);
        let mac = [2, 0, 0, 0, 0, 9];
        let n = write_udp6(
            &mut b,
            [0x33, 0x33, 0, 1, 0, 2],
            mac,
            link_local(mac),
            "ff02::1:2".parse().unwrap(),
            547,
            546,
            40,
        );
        assert_eq!(n, 102);
        assert_eq!(parse_udp6(&b, 546), Some((62, 40)));
        assert_eq!(parse_udp6(&b, 547), None);
        assert_ne!(run_bpf(&bpf_v6(), &b), 0);
        b[57] = 0x23; // port 547
        assert_eq!(run_bpf(&bpf_v6(), &b), 0);
        // a Neighbor Solicitation for a client's link-local is answered
        let mut ns = vec![0u8; 86];
        ns[0..6].copy_from_slice(&[0x33, 0x33, 0xff, 0, 0, 9]);
        ns[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        ns[12..14].copy_from_slice(&[0x86, 0xdd]);
        ns[20] = 58;
        ns[22..38].copy_from_slice(&link_local([2, 0, 0, 0, 0, 1]).octets());
        ns[54] = 135;
        ns[62..78].copy_from_slice(&link_local(mac).octets());
        assert_ne!(run_bpf(&bpf_v6(), &ns), 0);
        let mut na = [0u8; 86];
        assert!(!answer_ns(&ns, |_| false, &mut na));
        assert!(answer_ns(&ns, |m| m == mac, &mut na));
        assert_eq!(na[54], 136);
        assert_eq!(&na[0..6], &[2, 0, 0, 0, 0, 1]);
        assert_eq!(&na[80..86], &mac);
        // ICMPv6 checksum verifies (sum over pseudo header + message is 0)
        let mut acc = checksum::sum(0, &na[22..54]);
        acc = checksum::sum(acc, &32u32.to_be_bytes());
        acc = checksum::sum(acc, &[0, 0, 0, 58]);
        acc = checksum::sum(acc, &na[54..86]);
        assert_eq!(checksum::finish(acc), 0);
        assert_eq!(
            link_local(mac),
            "fe80::ff:fe00:9".parse::<Ipv6Addr>().unwrap()
        );
        // the ND-only filter of the AF_XDP side socket
        assert_ne!(run_bpf(&bpf_ns(), &ns), 0);
        b[57] = 0x22; // port 546 again
        assert_eq!(run_bpf(&bpf_ns(), &b), 0);
        assert_eq!(run_bpf(&bpf_ns(), &frame4(68)), 0);
        let mut na_frame = ns.clone();
        na_frame[54] = 136;
        assert_eq!(run_bpf(&bpf_ns(), &na_frame), 0);
        // the shared framing answers only for the configured clients, v6 only
        let mut f = L2Framing::new(true, None);
        assert!(!f.answer_ns(&ns, &mut na));
        f.set_clients([2, 0, 0, 0, 0, 0], 10);
        assert!(f.answer_ns(&ns, &mut na));
        let mut f4 = L2Framing::new(false, None);
        f4.set_clients([2, 0, 0, 0, 0, 0], 10);
        assert!(!f4.answer_ns(&ns, &mut na));
        assert_eq!((f.client_port(), f4.client_port()), (546, 68));
        assert_eq!((f.headroom(), f4.headroom()), (62, 42));
    }
}
