//! Raw Ethernet/IPv4/UDP frames to port 67, sent from the client namespace
//! through an AF_PACKET socket (the sending thread `setns`es into it), for
//! malformed-packet tests. Checksums are always correct, so only the DHCP
//! payload is wrong.

use std::ffi::CString;
use std::io;

pub const BROADCAST_MAC: [u8; 6] = [0xff; 6];
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];

/// A 236-byte BOOTREQUEST header (no cookie) with the broadcast flag.
pub fn bootp_header(mac: [u8; 6], xid: u32) -> Vec<u8> {
    let mut p = vec![0u8; 236];
    p[0] = 1; // BOOTREQUEST
    p[1] = 1; // Ethernet
    p[2] = 6;
    p[4..8].copy_from_slice(&xid.to_be_bytes());
    p[10] = 0x80; // broadcast flag
    p[28..34].copy_from_slice(&mac);
    p
}

/// A well-formed DHCPDISCOVER.
pub fn discover(mac: [u8; 6], xid: u32) -> Vec<u8> {
    let mut p = bootp_header(mac, xid);
    p.extend_from_slice(&MAGIC_COOKIE);
    p.extend_from_slice(&[53, 1, 1, 255]);
    p
}

fn with_options(mac: [u8; 6], xid: u32, opts: &[u8]) -> Vec<u8> {
    let mut p = bootp_header(mac, xid);
    p.extend_from_slice(&MAGIC_COOKIE);
    p.extend_from_slice(opts);
    p
}

/// Deterministic filler bytes (xorshift).
pub fn garbage(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as u8
        })
        .collect()
}

/// The malformed DHCP payloads, by name. None of them is a usable request:
/// a server must drop each one (and count it), and survive.
pub fn malformed_payloads(mac: [u8; 6]) -> Vec<(&'static str, Vec<u8>)> {
    let good = discover(mac, 0x1000);
    let mut v: Vec<(&'static str, Vec<u8>)> = Vec::new();
    v.push(("zero-length-udp-payload", Vec::new()));
    v.push(("truncated-header-100", good[..100].to_vec()));
    v.push(("truncated-header-235", good[..235].to_vec()));
    let mut bad_cookie = discover(mac, 0x1003);
    bad_cookie[236..240].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    v.push(("wrong-magic-cookie", bad_cookie));
    let mut huge = garbage(1472, 0x5eed);
    huge[236] = 0; // never the cookie by chance
    v.push(("garbage-1472-bytes", huge));
    // Option length runs past the end of the packet (before any message type).
    v.push((
        "option-length-past-end",
        with_options(mac, 0x1005, &[12, 250, b'a', b'b']),
    ));
    // Message type with length 0.
    v.push((
        "message-type-zero-length",
        with_options(mac, 0x1006, &[53, 0, 255]),
    ));
    // The packet ends after an option code, without its length byte.
    v.push(("truncated-option-header", with_options(mac, 0x1007, &[53])));
    // Overload (52) = both; sname and file are garbage with lengths past their field.
    let mut ov = with_options(mac, 0x1008, &[52, 1, 3, 255]);
    let g = garbage(64 + 128, 0xbad);
    ov[44..236].copy_from_slice(&g);
    ov[44] = 12;
    ov[45] = 200; // hostname option longer than sname
    ov[108] = 53;
    ov[109] = 0x99; // message type longer than file
    v.push(("overload-garbage-sname-file", ov));
    // Overload loop: options -> sname -> file -> sname ...
    let mut lp = with_options(mac, 0x1009, &[52, 1, 2, 255]);
    lp[44..48].copy_from_slice(&[52, 1, 1, 255]); // sname says: go to file
    lp[108..115].copy_from_slice(&[52, 1, 2, 53, 1, 1, 255]); // file says: go to sname
    v.push(("overload-loop", lp));
    // Overload into sname, whose option overruns the 64-byte field.
    let mut ovs = with_options(mac, 0x100a, &[52, 1, 2, 255]);
    ovs[44..49].copy_from_slice(&[53, 1, 1, 12, 100]);
    ovs[49..108].fill(b'x');
    v.push(("overload-sname-length-past-field", ovs));
    v
}

fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [b] = chunks.remainder() {
        sum += (*b as u32) << 8;
    }
    sum
}

fn csum_fold(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Ethernet broadcast frame: IPv4 0.0.0.0 -> 255.255.255.255, UDP 68 -> 67.
pub fn broadcast_frame(src_mac: [u8; 6], payload: &[u8]) -> Vec<u8> {
    udp_frame(
        src_mac,
        BROADCAST_MAC,
        [0, 0, 0, 0],
        [255, 255, 255, 255],
        68,
        67,
        payload,
    )
}

pub fn udp_frame(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let ip_len = 20 + udp_len;
    let mut f = Vec::with_capacity(14 + ip_len);
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    ip[4..6].copy_from_slice(&0x4242u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let c = csum_fold(csum_add(0, &ip));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    let mut udp = Vec::with_capacity(udp_len);
    udp.extend_from_slice(&sport.to_be_bytes());
    udp.extend_from_slice(&dport.to_be_bytes());
    udp.extend_from_slice(&(udp_len as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&(udp_len as u16).to_be_bytes());
    let mut c = csum_fold(csum_add(csum_add(0, &pseudo), &udp));
    if c == 0 {
        c = 0xffff;
    }
    udp[6..8].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&udp);
    f
}

/// Sends frames on `ifname` inside namespace `ns` (a thread enters the
/// namespace with setns; the rest of the process is untouched).
pub fn send_frames(ns: &str, ifname: &str, frames: Vec<Vec<u8>>) -> io::Result<()> {
    let ns = ns.to_string();
    let ifname = ifname.to_string();
    std::thread::spawn(move || send_frames_here(&ns, &ifname, &frames))
        .join()
        .map_err(|_| io::Error::other("sender thread panicked"))?
}

fn send_frames_here(ns: &str, ifname: &str, frames: &[Vec<u8>]) -> io::Result<()> {
    let path = CString::new(format!("/run/netns/{ns}")).map_err(io::Error::other)?;
    // SAFETY: plain libc calls with valid, NUL-terminated arguments; every fd
    // opened here is closed before returning.
    unsafe {
        let nsfd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if nsfd < 0 {
            return Err(io::Error::last_os_error());
        }
        let r = libc::setns(nsfd, libc::CLONE_NEWNET);
        libc::close(nsfd);
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        let name = CString::new(ifname).map_err(io::Error::other)?;
        let ifindex = libc::if_nametoindex(name.as_ptr());
        if ifindex == 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut sll: libc::sockaddr_ll = std::mem::zeroed();
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_IP as u16).to_be();
        sll.sll_ifindex = ifindex as i32;
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&BROADCAST_MAC);
        let mut res = Ok(());
        for f in frames {
            let n = libc::sendto(
                fd,
                f.as_ptr().cast(),
                f.len(),
                0,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            );
            if n < 0 {
                res = Err(io::Error::last_os_error());
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        libc::close(fd);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify() {
        let f = broadcast_frame([2, 0, 0, 0, 0, 1], &discover([2, 0, 0, 0, 0, 1], 7));
        // IP header sums to 0xffff.
        assert_eq!(csum_fold(csum_add(0, &f[14..34])), 0);
        let udp = &f[34..];
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&f[26..34]);
        pseudo.extend_from_slice(&[0, 17]);
        pseudo.extend_from_slice(&(udp.len() as u16).to_be_bytes());
        assert_eq!(csum_fold(csum_add(csum_add(0, &pseudo), udp)), 0);
        assert_eq!(f.len(), 14 + 20 + 8 + 244);
    }

    #[test]
    fn at_least_eight_kinds_fit_in_mtu() {
        let v = malformed_payloads([2, 0, 0, 0, 0, 1]);
        assert!(v.len() >= 8);
        assert!(v.iter().all(|(_, p)| 28 + p.len() <= 1500));
    }
}
