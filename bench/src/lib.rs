//! xdhcp's benchmark support: the trivial responder (its reply logic and batched UDP
//! loop), used to measure load generators' ceilings. The criterion benchmarks live in
//! `benches/`, the Kea comparison in `compare`.

pub mod batch;
pub mod fixtures;
pub mod fixtures6;
pub mod responder;
pub mod responder6;

use batch::{Rings, UdpSocket};
use responder::ResponderV4;
use responder6::ResponderV6;
use std::net::{SocketAddr, SocketAddrV4};
use std::time::Instant;

/// Serves until a stop is requested (SIGTERM/SIGINT once
/// [`batch::install_stop_handlers`] ran) or `until` passes: receive a batch, answer
/// each datagram into the send ring, send the batch to the relays at `giaddr:reply_port`.
pub fn serve_v4(
    sock: &UdpSocket,
    responder: &mut ResponderV4,
    rings: &mut Rings,
    reply_port: u16,
    until: Option<Instant>,
) -> std::io::Result<()> {
    loop {
        if batch::stop_requested() || until.is_some_and(|t| Instant::now() >= t) {
            return Ok(());
        }
        let n = rings.recv(sock)?;
        for i in 0..n {
            let (req, _, out) = rings.datagram_and_slot(i);
            if let Ok(a) = responder.handle(req, out) {
                rings.queue(a.len, relay_dest(a.giaddr, reply_port));
            }
        }
        if rings.queued() > 0 {
            responder.counters.send_errors += rings.flush(sock);
        }
    }
}

/// The DHCPv6 loop: each Relay-forward is answered with a Relay-reply sent back to the
/// datagram's source (the relay; RFC 8415 says port 547, which is where relays send from).
pub fn serve_v6(
    sock: &UdpSocket,
    responder: &mut ResponderV6,
    rings: &mut Rings,
    until: Option<Instant>,
) -> std::io::Result<()> {
    loop {
        if batch::stop_requested() || until.is_some_and(|t| Instant::now() >= t) {
            return Ok(());
        }
        let n = rings.recv(sock)?;
        for i in 0..n {
            let (req, src, out) = rings.datagram_and_slot(i);
            if let Ok(a) = responder.handle(req, out) {
                rings.queue(a.len, src);
            }
        }
        if rings.queued() > 0 {
            responder.counters.send_errors += rings.flush(sock);
        }
    }
}

/// Where a DHCPv4 reply goes: the relay at giaddr, on `reply_port`.
/// The relay at giaddr, or for a client on the link (giaddr 0) the link broadcast to the
/// client port.
fn relay_dest(giaddr: std::net::Ipv4Addr, reply_port: u16) -> SocketAddr {
    if giaddr.is_unspecified() {
        return SocketAddr::V4(SocketAddrV4::new(std::net::Ipv4Addr::BROADCAST, 68));
    }
    SocketAddr::V4(SocketAddrV4::new(giaddr, reply_port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, UdpSocket as StdUdp};
    use std::time::Duration;
    use xdhcp_wire::dhcpv4::{Builder, MessageType, Packet};

    #[test]
    fn serves_a_relay_over_loopback() {
        let relay = StdUdp::bind("127.0.0.1:0").unwrap();
        relay
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let relay_port = relay.local_addr().unwrap().port();
        let sock = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0), 50).unwrap();
        let server = sock.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let mut r = ResponderV4::new(Ipv4Addr::LOCALHOST, Ipv4Addr::new(198, 18, 0, 0), 15);
            let mut rings = Rings::new();
            let until = Instant::now() + Duration::from_millis(700);
            serve_v4(&sock, &mut r, &mut rings, relay_port, Some(until)).unwrap();
            r.counters
        });
        for (i, t) in [MessageType::Discover, MessageType::Request]
            .into_iter()
            .enumerate()
        {
            let mut buf = [0u8; 600];
            let mut b = Builder::new(&mut buf).unwrap();
            b.op(1);
            b.htype(1);
            b.hlen(6);
            b.xid(7 + i as u32);
            b.giaddr(Ipv4Addr::LOCALHOST);
            b.chaddr(&[2, 0, 0, 0, 0, 9]).unwrap();
            b.message_type(t).unwrap();
            let n = b.finish().unwrap();
            relay.send_to(&buf[..n], server).unwrap();
            let mut rx = [0u8; 1500];
            let (len, _) = relay.recv_from(&mut rx).unwrap();
            let p = Packet::new_checked(&rx[..len]).unwrap();
            assert_eq!(p.xid(), 7 + i as u32);
            let want = [MessageType::Offer, MessageType::Ack][i];
            assert_eq!(p.options().message_type(), Some(want));
            assert_eq!(p.yiaddr(), Ipv4Addr::new(198, 18, 0, 10));
        }
        let c = t.join().unwrap();
        assert_eq!((c.received, c.offers, c.acks, c.send_errors), (2, 1, 1, 0));
    }
}
