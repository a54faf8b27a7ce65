//! The receive → handle → persist → send loop over the UDP backend. Replies of a batch
//! are held (with the log seq they wait for) until the lease store reports that seq ready
//! under the durability policy (group commit), then sent: over UDP to relays and
//! configured clients, and as whole frames through a packet socket to clients without an
//! address (`dhcp-socket-type: raw`, Kea's default), or broadcast over UDP in `udp` mode.
//! The loop never blocks on a commit: while replies are held it polls for completions.

use super::lease_store::{FatalStoreError, LeaseStore};
use crate::core::v4::{Context, Destination, Reply, ShardV4};
use crate::io::iface::{self, Interface};
use crate::io::packet::PacketSocket;
use crate::io::udp::UdpSocket4;
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};
use xdhcp_config::{Dhcp4Config, InterfaceSpec, SocketType};
use xdhcp_wire::dhcpv4::{CLIENT_PORT, SERVER_PORT};
use xdhcp_wire::frame;

/// Replies handled per batch before the lease log is written and replies go out.
const BATCH: usize = 64;
/// Room for Ethernet + IPv4 + UDP headers in front of each reply, so raw sends frame
/// the reply in place.
const HEADROOM: usize = 14 + 20 + 8;
const BUF: usize = 2048;
/// Replies held at most while their commit runs; with none free, receiving pauses
/// (requests wait in the socket buffer) until a commit releases some.
const HOLD: usize = 8 * BATCH;

struct Pending {
    reply: Reply,
    ifindex: u32,
    src: Ipv4Addr,
    /// Index into `tx`.
    buf: usize,
    /// Log seq the reply waits for (`u64::MAX` until its batch is persisted).
    seq: u64,
}

pub struct Listener {
    udp: UdpSocket4,
    raw: Option<PacketSocket>,
    specs: Vec<InterfaceSpec>,
    ifaces: BTreeMap<u32, Interface>,
    next_refresh: Instant,
    rx: Vec<u8>,
    tx: Vec<Vec<u8>>,
    /// Free indexes into `tx`.
    free: Vec<usize>,
    /// Held replies, in seq order.
    pending: VecDeque<Pending>,
}

impl Listener {
    pub fn open(cfg: &Dhcp4Config) -> Result<Listener, String> {
        let udp = UdpSocket4::bind(SERVER_PORT).map_err(|e| e.to_string())?;
        let raw = match cfg.socket_type {
            SocketType::Raw => Some(PacketSocket::open().map_err(|e| e.to_string())?),
            SocketType::Udp => None,
        };
        let mut l = Listener {
            udp,
            raw,
            specs: cfg.interfaces.clone(),
            ifaces: BTreeMap::new(),
            next_refresh: Instant::now(),
            rx: vec![0; BUF],
            tx: (0..HOLD).map(|_| vec![0; BUF]).collect(),
            free: (0..HOLD).rev().collect(),
            pending: VecDeque::with_capacity(HOLD),
        };
        l.refresh_interfaces();
        for spec in &l.specs {
            if spec.name != "*" && !l.ifaces.values().any(|i| i.name == spec.name) {
                log::warn!(
                    "interface {} from interfaces-config does not exist (yet); \
                     it is served once it appears",
                    spec.name
                );
            }
        }
        Ok(l)
    }

    pub fn reconfigure(&mut self, cfg: &Dhcp4Config) {
        self.specs = cfg.interfaces.clone();
        if cfg.socket_type == SocketType::Raw && self.raw.is_none() {
            match PacketSocket::open() {
                Ok(s) => self.raw = Some(s),
                Err(e) => log::error!("{e}"),
            }
        } else if cfg.socket_type == SocketType::Udp {
            self.raw = None;
        }
        self.refresh_interfaces();
    }

    pub fn describe(&self) -> String {
        if self.specs.is_empty() {
            return "no interfaces (interfaces-config lists none)".into();
        }
        let names: Vec<String> = self
            .specs
            .iter()
            .map(|s| match s.address {
                Some(a) => format!("{}/{a}", s.name),
                None => s.name.clone(),
            })
            .collect();
        format!(
            "{} ({} mode)",
            names.join(", "),
            if self.raw.is_some() { "raw" } else { "udp" }
        )
    }

    fn refresh_interfaces(&mut self) {
        match iface::list() {
            Ok(list) => self.ifaces = list,
            Err(e) => log::error!("cannot list interfaces: {e}"),
        }
        self.next_refresh = Instant::now() + Duration::from_secs(5);
    }

    pub fn refresh_interfaces_if_due(&mut self) {
        if Instant::now() >= self.next_refresh {
            self.refresh_interfaces();
        }
    }

    /// Blocks until the socket or the signal pipe is readable, or `timeout` passes.
    pub fn wait(&self, signal_fd: RawFd, timeout: Duration) {
        let mut fds = [
            libc::pollfd {
                fd: self.udp.fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: signal_fd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ts = libc::timespec {
            tv_sec: timeout.as_secs().min(i32::MAX as u64) as libc::time_t,
            tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
        };
        // With no free reply buffer the socket is not watched: only a commit (polled
        // at the timeout) or a signal can make progress.
        let n = if self.free.is_empty() { 1 } else { 2 };
        let fds = if n == 1 { &mut fds[1..] } else { &mut fds[..] };
        // SAFETY: `fds` holds `n` valid pollfd structures; `ts` is a valid timespec.
        unsafe { libc::ppoll(fds.as_mut_ptr(), n as libc::nfds_t, &ts, std::ptr::null()) };
    }

    /// Sends every held reply whose seq is at most `ready`.
    pub fn release(&mut self, ready: u64) {
        while self.pending.front().is_some_and(|p| p.seq <= ready) {
            self.send(0);
            let p = self.pending.pop_front().expect("checked");
            self.free.push(p.buf);
        }
    }

    /// Receives and handles batches of messages while requests and free reply buffers
    /// last; after each batch persists its lease changes, starts the group commit and
    /// sends the replies it allows. An error is a failed commit: nothing may be sent.
    pub fn serve_batch(
        &mut self,
        shard: &mut ShardV4,
        store: &mut LeaseStore,
        now: impl Fn() -> u64,
    ) -> Result<(), FatalStoreError> {
        loop {
            let first = self.pending.len();
            let mut received = 0;
            while self.pending.len() - first < BATCH
                && !self.free.is_empty()
                && received < BATCH * 4
            {
                let meta = match self.udp.recv(&mut self.rx) {
                    Ok(Some(m)) => m,
                    Ok(None) => break,
                    Err(e) => {
                        log::error!("receive failed: {e}");
                        break;
                    }
                };
                received += 1;
                if meta.ifindex != 0 && !self.ifaces.contains_key(&meta.ifindex) {
                    self.refresh_interfaces();
                }
                let Some((iface, pinned)) = served(&self.ifaces, &self.specs, meta.ifindex) else {
                    continue;
                };
                let server_addr = pinned.or_else(|| iface.addrs.first().map(|a| a.0));
                let ctx = Context {
                    iface_index: iface.index,
                    iface_name: &iface.name,
                    server_addr,
                    iface_addrs: &iface.addrs,
                    src: *meta.src.ip(),
                    dst: meta.dst,
                };
                let buf = *self.free.last().expect("checked");
                let out = &mut self.tx[buf][HEADROOM..];
                if let Some(reply) = shard.handle(now(), &self.rx[..meta.len], &ctx, out) {
                    self.free.pop();
                    self.pending.push_back(Pending {
                        reply,
                        ifindex: iface.index,
                        src: server_addr.unwrap_or(Ipv4Addr::UNSPECIFIED),
                        buf,
                        seq: u64::MAX,
                    });
                }
            }
            if received == 0 {
                return Ok(());
            }
            match store.persist(shard) {
                Ok(()) => {
                    let seq = store.written_seq();
                    for p in self.pending.range_mut(first..) {
                        p.seq = seq;
                    }
                }
                Err(e) => {
                    log::error!(
                        "lease log write failed, dropping {} repl(ies) of this batch: {e}",
                        self.pending.len() - first
                    );
                    for p in self.pending.drain(first..) {
                        self.free.push(p.buf);
                    }
                }
            }
            let ready = store.tick(std::time::Instant::now())?;
            self.release(ready);
            if self.free.is_empty() {
                return Ok(());
            }
        }
    }

    fn send(&mut self, i: usize) {
        let p = &self.pending[i];
        let len = p.reply.len;
        let ifindex = p.ifindex;
        let src = p.src;
        let bi = p.buf;
        let (udp_dst, l2) = match p.reply.dest {
            Destination::Relay(a) => (Some(SocketAddrV4::new(a, SERVER_PORT)), None),
            Destination::Unicast(a) => (Some(SocketAddrV4::new(a, CLIENT_PORT)), None),
            Destination::Broadcast => match self.raw {
                Some(_) => (None, Some(([0xff; 6], Ipv4Addr::BROADCAST))),
                None => (
                    Some(SocketAddrV4::new(Ipv4Addr::BROADCAST, CLIENT_PORT)),
                    None,
                ),
            },
            Destination::Layer2 { mac, ip } => match self.raw {
                Some(_) => (None, Some((mac, ip))),
                // Without raw sends a client with no address can only hear a broadcast.
                None => (
                    Some(SocketAddrV4::new(Ipv4Addr::BROADCAST, CLIENT_PORT)),
                    None,
                ),
            },
        };
        let buf = &mut self.tx[bi];
        let result = if let Some(dst) = udp_dst {
            self.udp
                .send(&buf[HEADROOM..HEADROOM + len], dst, ifindex, src)
        } else if let (Some((mac, ip)), Some(raw)) = (l2, &self.raw) {
            let src_mac = self.ifaces.get(&ifindex).map_or([0; 6], |i| i.mac);
            match frame::write_udp4(
                buf,
                mac,
                src_mac,
                &[],
                src,
                ip,
                SERVER_PORT,
                CLIENT_PORT,
                len,
            ) {
                Ok(n) => raw.send(&buf[..n], ifindex, mac),
                Err(e) => Err(std::io::Error::other(format!("framing failed: {e}"))),
            }
        } else {
            Ok(())
        };
        if let Err(e) = result {
            log::warn!("send of {:?} reply failed: {e}", self.pending[i].reply.dest);
        }
    }
}

/// The interface with this index and its pinned address, if the configuration serves it.
fn served<'a>(
    ifaces: &'a BTreeMap<u32, Interface>,
    specs: &[InterfaceSpec],
    ifindex: u32,
) -> Option<(&'a Interface, Option<Ipv4Addr>)> {
    let iface = ifaces.get(&ifindex)?;
    let spec = specs
        .iter()
        .find(|s| s.name == iface.name)
        .or_else(|| specs.iter().find(|s| s.name == "*"))?;
    Some((iface, spec.address))
}
