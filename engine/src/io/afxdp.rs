//! The kernel-bypass backend: the XDP program (crate `xdhcp-ebpf`) steers UDP to port 67
//! over IPv4 into one AF_XDP socket per served RX queue; requests are read as whole
//! Ethernet frames and replies are written as whole frames (VLAN tags mirrored).
//!
//! This module has no protocol logic: it attaches and opens ([`attach`]), tells DHCP
//! requests for this server from other frames ([`parse_request`]), and frames a reply
//! that the core wrote at [`reply_payload_offset`] ([`frame_reply`]).

use crate::core::v4::Destination;
use std::net::Ipv4Addr;
use xdhcp_config::{XdhcpConfig, XdpMode};
use xdhcp_ebpf::{AttachMode, STEER_V4, XdpProgram, XskConfig, XskSocket};
use xdhcp_wire::dhcpv4::{CLIENT_PORT, SERVER_PORT};
use xdhcp_wire::ethernet::VlanStack;
use xdhcp_wire::frame::{self, UdpChecksum, udp4_header_len};

/// The largest frame handled (an XSK frame of 2048 bytes minus the 256-byte headroom).
pub const FRAME_MAX: usize = 1792;

/// What a worker needs of a received DHCP request frame: its addressing (to answer on
/// the same link, behind the same VLAN tags) and where the DHCP payload sits.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub vlans: VlanStack,
    pub eth_src: [u8; 6],
    pub ip_src: Ipv4Addr,
    pub ip_dst: Ipv4Addr,
    /// The DHCP message: `frame[payload.0 .. payload.0 + payload.1]`.
    pub payload: (usize, usize),
}

/// Why a steered frame is not served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotForUs {
    /// Not Ethernet/IPv4/UDP with valid checksums (or a fragment).
    Unparseable,
    /// UDP, but not to the server port.
    WrongPort,
    /// Addressed to another host on the link (MAC or IP).
    OtherHost,
}

/// The interface facts a frame is checked against.
pub struct LinkView<'a> {
    pub mac: [u8; 6],
    pub addrs: &'a [(Ipv4Addr, u8)],
}

/// Parses a steered frame and checks that it is a DHCP request to this server: UDP to
/// port 67, to our MAC or the broadcast MAC, and to 255.255.255.255, one of the
/// interface's addresses or its subnet broadcast.
///
/// The UDP checksum is trusted, not verified: a frame from a sender on this host (a veth
/// peer) or from a NIC with checksum offload reaches XDP before the checksum is filled in
/// (the kernel's CHECKSUM_PARTIAL), and the kernel's own UDP socket would accept it. The
/// IPv4 header checksum is verified.
pub fn parse_request(frame: &[u8], link: &LinkView<'_>) -> Result<Request, NotForUs> {
    let f = frame::parse_udp4_with(frame, UdpChecksum::Trust).map_err(|_| NotForUs::Unparseable)?;
    if f.dst_port != SERVER_PORT {
        return Err(NotForUs::WrongPort);
    }
    if f.eth_dst != link.mac && f.eth_dst != [0xff; 6] {
        return Err(NotForUs::OtherHost);
    }
    let dst = f.ip_dst;
    let ours = dst == Ipv4Addr::BROADCAST
        || link.addrs.iter().any(|&(a, p)| {
            let mask = if p == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(p.min(32)))
            };
            a == dst || (p < 31 && u32::from(dst) == (u32::from(a) & mask) | !mask)
        });
    if !ours {
        return Err(NotForUs::OtherHost);
    }
    // The payload is a sub-slice of `frame`: its offset is the distance between them.
    let off = f.payload.as_ptr() as usize - frame.as_ptr() as usize;
    Ok(Request {
        vlans: f.vlans,
        eth_src: f.eth_src,
        ip_src: f.ip_src,
        ip_dst: dst,
        payload: (off, f.payload.len()),
    })
}

/// Where the core must write the DHCP reply in a frame buffer so that the headers fit
/// in front of it (behind as many VLAN tags as the request carried).
pub fn reply_payload_offset(req: &Request) -> usize {
    udp4_header_len(req.vlans.len())
}

/// Writes Ethernet (+ the request's VLAN tags), IPv4 and UDP headers in front of a
/// `payload_len`-byte reply already at [`reply_payload_offset`]; returns the frame length.
///
/// Relay and unicast replies go to the MAC that sent the request on this link (the relay
/// agent or the client); broadcast to ff:ff:ff:ff:ff:ff / 255.255.255.255; layer-2
/// unicast to the client's hardware address and yiaddr.
pub fn frame_reply(
    buf: &mut [u8],
    req: &Request,
    dest: Destination,
    iface_mac: [u8; 6],
    server_ip: Ipv4Addr,
    payload_len: usize,
) -> Option<usize> {
    let (mac, ip, dport) = match dest {
        Destination::Relay(giaddr) => (req.eth_src, giaddr, SERVER_PORT),
        Destination::Unicast(ciaddr) => (req.eth_src, ciaddr, CLIENT_PORT),
        Destination::Broadcast => ([0xff; 6], Ipv4Addr::BROADCAST, CLIENT_PORT),
        Destination::Layer2 { mac, ip } => (mac, ip, CLIENT_PORT),
    };
    frame::write_udp4(
        buf,
        mac,
        iface_mac,
        &req.vlans,
        server_ip,
        ip,
        SERVER_PORT,
        dport,
        payload_len,
    )
    .ok()
}

/// How many RX queues an interface has (`/sys/class/net/IF/queues/rx-*`), at least 1.
pub fn rx_queue_count(ifname: &str) -> u32 {
    let dir = format!("/sys/class/net/{ifname}/queues");
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("rx-"))
                .count() as u32
        })
        .unwrap_or(1)
        .max(1)
}

/// The XDP program on one interface with its AF_XDP sockets, one per served queue
/// (queue q at index q). The sockets are handed to the workers; the program stays with
/// the main thread and is detached when dropped.
pub struct XdpPort {
    pub ifname: String,
    pub prog: XdpProgram,
    pub sockets: Vec<XskSocket>,
}

/// Everything the AF_XDP backend attached: one port per interface, `queues` sockets each.
pub struct XdpSetup {
    pub ports: Vec<XdpPort>,
    pub queues: usize,
}

impl XdpSetup {
    pub fn mode_name(&self) -> &'static str {
        match self.ports.first().map(|p| p.prog.mode()) {
            Some(AttachMode::Native) => "native",
            Some(AttachMode::Generic) => "generic",
            _ => "auto",
        }
    }
}

/// Attaches the program to every interface in `ifnames` and opens the sockets. The number
/// of queues served is the same on every interface (so every worker can answer on every
/// interface): `queues` from the configuration, capped at what each interface has, else
/// the smallest queue count among them.
pub fn attach(ifnames: &[String], cfg: &XdhcpConfig) -> Result<XdpSetup, String> {
    if ifnames.is_empty() {
        return Err("interfaces-config names no interface to attach to".into());
    }
    let mode = match cfg.xdp_mode {
        XdpMode::Auto => AttachMode::Auto,
        XdpMode::Native => AttachMode::Native,
        XdpMode::Generic => AttachMode::Generic,
    };
    let mut queues = usize::MAX;
    for name in ifnames {
        let has = rx_queue_count(name) as usize;
        let want = cfg.queues.map_or(has, |q| q as usize);
        if want > has {
            log::warn!("xdhcp/queues asks for {want} queue(s) but {name} has {has}; serving {has}");
        }
        queues = queues.min(want.min(has));
    }
    let queues = queues.clamp(1, xdhcp_ebpf::MAX_QUEUES as usize);
    let mut ports = Vec::with_capacity(ifnames.len());
    for name in ifnames {
        let has = rx_queue_count(name) as usize;
        let mut prog = XdpProgram::attach(name, mode, &[(SERVER_PORT, STEER_V4)])
            .map_err(|e| format!("cannot attach the XDP program to {name}: {e}"))?;
        let mut sockets = Vec::with_capacity(queues);
        for q in 0..queues as u32 {
            let s = XskSocket::open(name, q, XskConfig::default())
                .map_err(|e| format!("cannot open an AF_XDP socket on {name} queue {q}: {e}"))?;
            prog.register_socket(q, s.fd()).map_err(|e| {
                format!("cannot register the AF_XDP socket of {name} queue {q}: {e}")
            })?;
            sockets.push(s);
        }
        let attached = match prog.mode() {
            AttachMode::Native => "native",
            AttachMode::Generic => "generic",
            AttachMode::Auto => "auto",
        };
        log::info!(
            "XDP program attached to {name} in {attached} mode; AF_XDP (copy mode) on {queues} of its {has} RX queue(s)"
        );
        if has > queues {
            log::warn!(
                "{name}: DHCP frames arriving on RX queues {queues}..{has} go to the kernel \
                 and are not served (serve every queue, or steer DHCP with ethtool -N)"
            );
        }
        if prog.mode() == AttachMode::Generic && queues > 1 && driver_of(name) == "veth" {
            log::warn!("{name}: veth in generic XDP mode reports every frame on queue 0");
        }
        ports.push(XdpPort {
            ifname: name.clone(),
            prog,
            sockets,
        });
    }
    Ok(XdpSetup { ports, queues })
}

fn driver_of(ifname: &str) -> String {
    std::fs::read_link(format!("/sys/class/net/{ifname}/device/driver"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| {
            // Virtual devices have no driver link; veth shows in its uevent.
            std::fs::read_to_string(format!("/sys/class/net/{ifname}/uevent"))
                .ok()
                .filter(|u| u.contains("DEVTYPE=veth") || ifname.starts_with("veth"))
                .map(|_| "veth".to_string())
                .unwrap_or_default()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use xdhcp_wire::ethernet::VlanTag;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const CLIENT: [u8; 6] = [2, 0, 0, 0, 0, 9];
    const ADDRS: [(Ipv4Addr, u8); 1] = [(Ipv4Addr::new(192, 0, 2, 1), 24)];

    fn request_frame(dst_mac: [u8; 6], dst: Ipv4Addr, port: u16, vlans: &[VlanTag]) -> Vec<u8> {
        let payload = [7u8; 300];
        let off = udp4_header_len(vlans.len());
        let mut buf = vec![0u8; off + payload.len()];
        buf[off..].copy_from_slice(&payload);
        let n = frame::write_udp4(
            &mut buf,
            dst_mac,
            CLIENT,
            vlans,
            Ipv4Addr::UNSPECIFIED,
            dst,
            68,
            port,
            payload.len(),
        )
        .unwrap();
        buf.truncate(n);
        buf
    }

    fn link() -> LinkView<'static> {
        LinkView {
            mac: MAC,
            addrs: &ADDRS,
        }
    }

    #[test]
    fn requests_to_us_parse_with_their_vlan_tags() {
        let tags = [
            VlanTag {
                tpid: 0x88a8,
                tci: 100,
            },
            VlanTag {
                tpid: 0x8100,
                tci: 0x2000 | 42,
            },
        ];
        for (mac, dst) in [
            ([0xff; 6], Ipv4Addr::BROADCAST),
            (MAC, Ipv4Addr::new(192, 0, 2, 1)),
            ([0xff; 6], Ipv4Addr::new(192, 0, 2, 255)),
        ] {
            let f = request_frame(mac, dst, 67, &tags);
            let r = parse_request(&f, &link()).unwrap();
            assert_eq!(&r.vlans[..], &tags[..]);
            assert_eq!(r.eth_src, CLIENT);
            assert_eq!(r.ip_dst, dst);
            assert_eq!(r.payload, (udp4_header_len(2), 300));
            assert!(f[r.payload.0..].iter().all(|b| *b == 7));
        }
    }

    #[test]
    fn other_frames_are_refused() {
        let other = Ipv4Addr::new(192, 0, 2, 7);
        assert_eq!(
            parse_request(&request_frame(MAC, other, 67, &[]), &link()).unwrap_err(),
            NotForUs::OtherHost
        );
        assert_eq!(
            parse_request(
                &request_frame([2, 9, 9, 9, 9, 9], Ipv4Addr::BROADCAST, 67, &[]),
                &link()
            )
            .unwrap_err(),
            NotForUs::OtherHost
        );
        assert_eq!(
            parse_request(&request_frame(MAC, Ipv4Addr::BROADCAST, 68, &[]), &link()).unwrap_err(),
            NotForUs::WrongPort
        );
        // A UDP checksum not filled in yet (CHECKSUM_PARTIAL from a local sender) is
        // trusted, as the kernel would; a broken IPv4 header checksum is not.
        let mut partial = request_frame(MAC, Ipv4Addr::BROADCAST, 67, &[]);
        partial[14 + 20 + 6] ^= 0x5a;
        assert!(parse_request(&partial, &link()).is_ok());
        let mut bad = request_frame(MAC, Ipv4Addr::BROADCAST, 67, &[]);
        bad[14 + 10] ^= 0xff; // IPv4 header checksum no longer matches
        assert_eq!(
            parse_request(&bad, &link()).unwrap_err(),
            NotForUs::Unparseable
        );
        for n in [0, 1, 13, 14, 33, 41] {
            assert!(parse_request(&bad[..n], &link()).is_err());
        }
    }

    #[test]
    fn replies_mirror_tags_and_follow_the_destination() {
        let tags = [VlanTag {
            tpid: 0x8100,
            tci: 42,
        }];
        let f = request_frame([0xff; 6], Ipv4Addr::BROADCAST, 67, &tags);
        let req = parse_request(&f, &link()).unwrap();
        let server = Ipv4Addr::new(192, 0, 2, 1);
        let yi = Ipv4Addr::new(192, 0, 2, 100);
        let gi = Ipv4Addr::new(198, 18, 0, 1);
        for (dest, mac, ip, dport) in [
            (Destination::Broadcast, [0xff; 6], Ipv4Addr::BROADCAST, 68),
            (Destination::Relay(gi), CLIENT, gi, 67),
            (Destination::Unicast(yi), CLIENT, yi, 68),
            (
                Destination::Layer2 {
                    mac: [2, 1, 1, 1, 1, 1],
                    ip: yi,
                },
                [2, 1, 1, 1, 1, 1],
                yi,
                68,
            ),
        ] {
            let mut buf = vec![0u8; 2048];
            let off = reply_payload_offset(&req);
            buf[off..off + 250].fill(5);
            let n = frame_reply(&mut buf, &req, dest, MAC, server, 250).unwrap();
            let out = frame::parse_udp4(&buf[..n]).unwrap();
            assert_eq!(out.eth_dst, mac, "{dest:?}");
            assert_eq!(out.eth_src, MAC);
            assert_eq!(&out.vlans[..], &tags[..]);
            assert_eq!((out.ip_src, out.ip_dst), (server, ip));
            assert_eq!((out.src_port, out.dst_port), (67, dport));
            assert_eq!(out.payload, &[5u8; 250][..]);
        }
    }
}
