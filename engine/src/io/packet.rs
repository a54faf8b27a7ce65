//! Layer-2 sends through an AF_PACKET socket, for replies to clients that have no address
//! yet (RFC 2131 section 4.1: unicast to chaddr and yiaddr, or link broadcast), as Kea's
//! raw socket mode does. The frame is built in place around the DHCP payload.

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    /// Opens a send-only packet socket (protocol 0: it receives nothing). Needs
    /// CAP_NET_RAW; the error says so.
    pub fn open() -> io::Result<PacketSocket> {
        // SAFETY: plain socket(2) call; the returned fd is owned below.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!(
                    "cannot open a packet socket for raw sends: {e} (needs root or CAP_NET_RAW; \
                     or set \"dhcp-socket-type\": \"udp\")"
                ),
            ));
        }
        // SAFETY: fd is a fresh, valid descriptor that nothing else owns.
        Ok(PacketSocket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Sends one whole Ethernet frame out of `ifindex`.
    pub fn send(&self, frame: &[u8], ifindex: u32, dst_mac: [u8; 6]) -> io::Result<()> {
        // SAFETY: sockaddr_ll is plain data; the pointer and length passed are correct.
        unsafe {
            let mut sll: libc::sockaddr_ll = zeroed();
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_ifindex = ifindex as i32;
            sll.sll_halen = 6;
            sll.sll_addr[..6].copy_from_slice(&dst_mac);
            let n = libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            );
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}
