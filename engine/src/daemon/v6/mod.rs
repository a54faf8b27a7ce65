//! The DHCPv6 service of `xdhcpd`: its own thread with its own UDP socket on `[::]:547`,
//! lease log and shard, next to (or, with no `Dhcp4` section, instead of) the DHCPv4
//! backend. The thread runs receive → handle → persist → send in batches, reclaims
//! expired leases on the `expired-leases-processing` schedule, re-reads its section on
//! SIGHUP (it registers its own flag), answers statistics requests for the SIGUSR1
//! `statistics:` line, and stops when the handle says so (the main thread does on
//! SIGTERM/SIGINT).

mod duid;
mod store;

pub use duid::{SERVERID_FILE, server_duid, server_id_path};
pub use store::{dump_leases6, lease_log_path6};

use super::StartError;
use super::signals::Signals;
use crate::core::v6::{Context6, Reply6, RuntimeV6, ShardV6};
use crate::io::iface6::{self, Interface6};
use crate::io::udp6::{UdpSocket6, is_link_local};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::Ipv6Addr;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use store::Store6;
use xdhcp_config::{Dhcp6Config, InterfaceSpec6, LeaseDatabase};

/// The DHCPv6 server port (RFC 8415 §7.2); clients listen on 546.
pub const SERVER_PORT6: u16 = 547;
/// Messages handled per batch before the lease log is written and replies go out.
const BATCH: usize = 64;
const BUF: usize = 2048;
/// Statistics names both services use; with a `Dhcp4` section too, the v6 ones get this
/// prefix on the shared `statistics:` line.
const SHARED_NAME_PREFIX: &str = "dhcp6.";

enum Cmd {
    Stop,
    Stats(Sender<Vec<(String, u64)>>),
}

/// What the statistics line needs to reach the running service.
struct Link {
    tx: Sender<Cmd>,
    wake: UnixStream,
    with_dhcp4: bool,
}

static LINK: Mutex<Option<Link>> = Mutex::new(None);

/// The running DHCPv6 service.
pub struct V6Service {
    tx: Sender<Cmd>,
    wake: UnixStream,
    thread: Option<JoinHandle<()>>,
}

/// Opens the socket and the lease log and starts the DHCPv6 thread. `v4_db` is the
/// `Dhcp4` lease database when that section is served (the two must not share a file).
pub fn start(
    config_path: &Path,
    cfg: Dhcp6Config,
    v4_db: Option<&LeaseDatabase>,
) -> Result<V6Service, StartError> {
    let v6_path = lease_log_path6(&cfg.lease_database);
    if let (Some(p6), Some(db4)) = (&v6_path, v4_db)
        && lease_log_path6(db4).as_ref() == Some(p6)
    {
        return Err(StartError(format!(
            "Dhcp6 and Dhcp4 name the same lease file ({}); give each its own",
            p6.display()
        )));
    }
    let (store, recovered) = Store6::open(&cfg.lease_database).map_err(StartError)?;
    let (duid, note) = server_duid(&cfg, super::unix_now());
    log::info!("DHCPv6 server DUID {} ({note})", duid::to_text(&duid));
    log::info!(
        "recovered {} DHCPv6 lease(s) from {}",
        recovered.len(),
        store.describe()
    );
    let sock = UdpSocket6::bind(SERVER_PORT6).map_err(|e| StartError(format!("DHCPv6: {e}")))?;
    let (wake_rx, wake_tx) =
        UnixStream::pair().map_err(|e| StartError(format!("DHCPv6 wake pipe: {e}")))?;
    for s in [&wake_rx, &wake_tx] {
        s.set_nonblocking(true)
            .map_err(|e| StartError(format!("DHCPv6 wake pipe: {e}")))?;
    }
    let reload = Arc::new(AtomicBool::new(false));
    let mut sig_ids = Vec::new();
    let hup = signal_hook::consts::SIGHUP;
    let reg = signal_hook::flag::register(hup, reload.clone()).and_then(|a| {
        wake_tx
            .try_clone()
            .and_then(|w| signal_hook::low_level::pipe::register(hup, w))
            .map(|b| [a, b])
    });
    match reg {
        Ok(ids) => sig_ids.extend(ids),
        Err(e) => return Err(StartError(format!("DHCPv6 SIGHUP handler: {e}"))),
    }
    let specs = cfg.interfaces.clone();
    let rt = Arc::new(RuntimeV6::new(cfg, duid));
    let shard = ShardV6::new(rt, recovered);
    let (tx, rx) = mpsc::channel();
    let mut svc = Service {
        config_path: config_path.to_path_buf(),
        sock,
        specs,
        ifaces: BTreeMap::new(),
        joined: BTreeSet::new(),
        warned: BTreeSet::new(),
        next_refresh: Instant::now(),
        shard,
        store,
        rx_buf: vec![0; BUF],
        tx_bufs: (0..BATCH).map(|_| vec![0; BUF]).collect(),
        pending: Vec::with_capacity(BATCH),
        cmds: rx,
        wake_rx,
        reload,
        sig_ids,
    };
    svc.refresh_interfaces();
    for spec in &svc.specs {
        if !spec.is_wildcard() && !svc.ifaces.values().any(|i| i.name == spec.name) {
            log::warn!(
                "DHCPv6: interface {} from interfaces-config does not exist (yet); \
                 it is served once it appears",
                spec.name
            );
        }
    }
    log::info!(
        "DHCPv6 service started: serving {} subnet(s) on {}",
        svc.shard.runtime().subnets.len(),
        describe(&svc.specs)
    );
    let thread = std::thread::Builder::new()
        .name("dhcp6".into())
        .spawn(move || svc.run())
        .map_err(|e| StartError(format!("cannot start the DHCPv6 thread: {e}")))?;
    let wake = wake_tx;
    let link_wake = wake
        .try_clone()
        .map_err(|e| StartError(format!("DHCPv6 wake pipe: {e}")))?;
    *LINK.lock().unwrap_or_else(|p| p.into_inner()) = Some(Link {
        tx: tx.clone(),
        wake: link_wake,
        with_dhcp4: v4_db.is_some(),
    });
    Ok(V6Service {
        tx,
        wake,
        thread: Some(thread),
    })
}

impl V6Service {
    /// Whether the thread has ended (it only does on its own after a fatal error).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Stops the thread (its lease log is synced) and waits for it.
    pub fn stop(mut self) {
        *LINK.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let _ = self.tx.send(Cmd::Stop);
        let _ = (&self.wake).write(&[1]);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            log::error!("the DHCPv6 thread panicked");
        }
    }
}

/// The DHCPv6 counters (Kea's names) of the running service, if there is one and it
/// answers within a second.
pub fn statistics() -> Option<Vec<(String, u64)>> {
    let (tx, wake) = {
        let g = LINK.lock().unwrap_or_else(|p| p.into_inner());
        let l = g.as_ref()?;
        (l.tx.clone(), l.wake.try_clone().ok()?)
    };
    let (rtx, rrx) = mpsc::channel();
    tx.send(Cmd::Stats(rtx)).ok()?;
    let _ = (&wake).write(&[1]);
    rrx.recv_timeout(Duration::from_secs(1)).ok()
}

/// Appends the DHCPv6 counters to a `statistics:` line (nothing when DHCPv6 is not
/// served). Next to DHCPv4, the names both services use (`declined-addresses`,
/// `reclaimed-leases`, ...) are written `dhcp6.<name>`.
pub fn append_statistics(line: &mut String) {
    let with_dhcp4 = LINK
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .is_some_and(|l| l.with_dhcp4);
    let Some(stats) = statistics() else {
        return;
    };
    for (name, v) in stats {
        let own = name.contains("pkt6-") || name.ends_with("-nas") || name.ends_with("-pds");
        let prefix = if with_dhcp4 && !own {
            SHARED_NAME_PREFIX
        } else {
            ""
        };
        line.push_str(&format!(" {prefix}{name}={v}"));
    }
}

/// The main thread when only DHCPv6 is served: waits for signals (the service reloads
/// itself on SIGHUP), logs statistics on SIGUSR1, stops the service on SIGTERM/SIGINT.
pub fn serve_only(signals: &Signals, service: V6Service) -> Result<(), StartError> {
    let log_stats = || {
        let mut line = String::from("statistics:");
        append_statistics(&mut line);
        log::info!("{line}");
    };
    let result = loop {
        let mut fds = [libc::pollfd {
            fd: signals.fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: `fds` is a valid array of one pollfd structure.
        unsafe { libc::poll(fds.as_mut_ptr(), 1, 1000) };
        if signals.take_stop() {
            log::info!("shutting down");
            break Ok(());
        }
        // The service has its own SIGHUP flag; this one only needs clearing.
        let _ = signals.take_reload();
        if signals.take_stats() {
            log_stats();
        }
        if service.is_finished() {
            break Err(StartError("the DHCPv6 service stopped".into()));
        }
    };
    log_stats();
    service.stop();
    result
}

fn describe(specs: &[InterfaceSpec6]) -> String {
    if specs.is_empty() {
        return "no interfaces (interfaces-config lists none)".into();
    }
    specs
        .iter()
        .map(|s| match s.address {
            Some(a) => format!("{}/{a}", s.name),
            None => s.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

struct Pending {
    reply: Reply6,
    ifindex: u32,
    src: Ipv6Addr,
}

struct Service {
    config_path: PathBuf,
    sock: UdpSocket6,
    specs: Vec<InterfaceSpec6>,
    ifaces: BTreeMap<u32, Interface6>,
    /// Interfaces whose ff02::1:2 membership is held.
    joined: BTreeSet<u32>,
    /// Interfaces whose join failed (logged once).
    warned: BTreeSet<u32>,
    next_refresh: Instant,
    shard: ShardV6,
    store: Store6,
    rx_buf: Vec<u8>,
    tx_bufs: Vec<Vec<u8>>,
    pending: Vec<Pending>,
    cmds: Receiver<Cmd>,
    wake_rx: UnixStream,
    reload: Arc<AtomicBool>,
    sig_ids: Vec<signal_hook::SigId>,
}

impl Service {
    fn run(mut self) {
        let reclaim_every =
            |shard: &ShardV6| Duration::from_secs(u64::from(reclaim_wait(shard).max(1)));
        let mut next_reclaim = Instant::now() + reclaim_every(&self.shard);
        'outer: loop {
            let timeout = next_reclaim
                .saturating_duration_since(Instant::now())
                .min(Duration::from_secs(1));
            self.wait(timeout);
            let mut buf = [0u8; 64];
            while matches!((&self.wake_rx).read(&mut buf), Ok(n) if n > 0) {}
            while let Ok(cmd) = self.cmds.try_recv() {
                match cmd {
                    Cmd::Stop => break 'outer,
                    Cmd::Stats(reply) => {
                        let _ = reply.send(self.snapshot());
                    }
                }
            }
            if self.reload.swap(false, Ordering::SeqCst) {
                self.reconfigure();
            }
            self.serve_batches();
            if Instant::now() >= next_reclaim {
                self.reclaim();
                next_reclaim = Instant::now() + reclaim_every(&self.shard);
            }
            if Instant::now() >= self.next_refresh {
                self.refresh_interfaces();
            }
        }
        if let Err(e) = self.store.persist(&mut self.shard) {
            log::error!("DHCPv6 lease log write at shutdown failed: {e}");
        }
        self.store.close();
        for i in std::mem::take(&mut self.joined) {
            self.sock.leave_servers_group(i);
        }
        for id in self.sig_ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        log::info!("DHCPv6 service stopped");
    }

    fn snapshot(&self) -> Vec<(String, u64)> {
        self.shard.stats.snapshot()
    }

    fn wait(&self, timeout: Duration) {
        let mut fds = [
            libc::pollfd {
                fd: self.sock.fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.wake_rx.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `fds` is a valid array of two pollfd structures.
        unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    }

    /// Re-reads the interfaces and joins ff02::1:2 on every served one not joined yet.
    fn refresh_interfaces(&mut self) {
        match iface6::list() {
            Ok(list) => self.ifaces = list,
            Err(e) => log::error!("DHCPv6: cannot list interfaces: {e}"),
        }
        self.next_refresh = Instant::now() + Duration::from_secs(5);
        self.joined.retain(|i| self.ifaces.contains_key(i));
        let wanted: Vec<u32> = self
            .ifaces
            .values()
            .filter(|i| served_spec(&self.specs, i).is_some())
            .map(|i| i.index)
            .collect();
        for index in wanted {
            if self.joined.contains(&index) {
                continue;
            }
            match self.sock.join_servers_group(index) {
                Ok(()) => {
                    self.joined.insert(index);
                    self.warned.remove(&index);
                }
                Err(e) => {
                    if self.warned.insert(index) {
                        log::warn!(
                            "DHCPv6: cannot join ff02::1:2 on {}: {e} (retrying)",
                            self.ifaces[&index].name
                        );
                    }
                }
            }
        }
        for index in self.joined.clone() {
            let keep = self
                .ifaces
                .get(&index)
                .is_some_and(|i| served_spec(&self.specs, i).is_some());
            if !keep {
                self.sock.leave_servers_group(index);
                self.joined.remove(&index);
            }
        }
    }

    /// Receives and handles batches until the socket is empty; each batch's lease
    /// changes are appended to the log before its replies are sent.
    fn serve_batches(&mut self) {
        loop {
            self.pending.clear();
            let mut received = 0;
            while self.pending.len() < BATCH && received < BATCH * 4 {
                let meta = match self.sock.recv(&mut self.rx_buf) {
                    Ok(Some(m)) => m,
                    Ok(None) => break,
                    Err(e) => {
                        log::error!("DHCPv6 receive failed: {e}");
                        break;
                    }
                };
                received += 1;
                if meta.ifindex != 0 && !self.ifaces.contains_key(&meta.ifindex) {
                    self.refresh_interfaces();
                }
                let Some(iface) = self.ifaces.get(&meta.ifindex) else {
                    continue;
                };
                if served_spec(&self.specs, iface).is_none() {
                    continue;
                }
                if !accepts_destination(&self.specs, iface, meta.dst) {
                    log::debug!(
                        "DHCPv6: ignored a message from {} to {} on {}: that unicast \
                         address is not configured (interfaces-config \"{}/{}\")",
                        meta.src,
                        meta.dst,
                        iface.name,
                        iface.name,
                        meta.dst
                    );
                    continue;
                }
                let ctx = Context6 {
                    iface_index: iface.index,
                    iface_name: &iface.name,
                    iface_addrs: &iface.addrs,
                    src: *meta.src.ip(),
                    dst: meta.dst,
                };
                let slot = self.pending.len();
                let out = &mut self.tx_bufs[slot][..];
                if let Some(reply) =
                    self.shard
                        .handle(super::unix_now(), &self.rx_buf[..meta.len], &ctx, out)
                {
                    // Answer from the address the message was sent to when it was a
                    // unicast one (relays expect that); else the kernel picks (the
                    // link-local address for a link-local client).
                    let src = if meta.dst.is_multicast() {
                        Ipv6Addr::UNSPECIFIED
                    } else {
                        meta.dst
                    };
                    self.pending.push(Pending {
                        reply,
                        ifindex: iface.index,
                        src,
                    });
                }
            }
            if received == 0 {
                return;
            }
            if let Err(e) = self.store.persist(&mut self.shard) {
                log::error!(
                    "DHCPv6 lease log write failed, dropping {} repl(ies) of this batch: {e}",
                    self.pending.len()
                );
                continue;
            }
            for (i, p) in self.pending.iter().enumerate() {
                let payload = &self.tx_bufs[i][..p.reply.len];
                if let Err(e) = self.sock.send(payload, p.reply.dest, p.ifindex, p.src) {
                    log::warn!("DHCPv6 send of a reply to {} failed: {e}", p.reply.dest);
                }
            }
        }
    }

    fn reclaim(&mut self) {
        let elp = &self.shard.runtime().cfg.expired_leases_processing;
        let max = if elp.max_reclaim_leases == 0 {
            usize::MAX
        } else {
            elp.max_reclaim_leases as usize
        };
        let n = self.shard.reclaim(super::unix_now(), max, false);
        if n > 0 {
            log::info!("DHCPv6: reclaimed {n} expired lease(s)");
        }
        if let Err(e) = self.store.persist(&mut self.shard) {
            log::error!("DHCPv6 lease log write failed after reclamation: {e}");
        }
    }

    /// SIGHUP: re-reads the `Dhcp6` section; leases are kept.
    fn reconfigure(&mut self) {
        let cfg = match xdhcp_config::load_file(&self.config_path) {
            Ok(c) => c,
            Err(e) => {
                log::error!("DHCPv6 configuration reload failed, keeping the old one: {e}");
                return;
            }
        };
        let Some(c6) = cfg.dhcp6 else {
            log::warn!(
                "{} no longer has a Dhcp6 section: restart xdhcpd to stop the DHCPv6 \
                 service; keeping the current configuration",
                self.config_path.display()
            );
            return;
        };
        if lease_log_path6(&c6.lease_database) != self.store.path_buf() {
            log::warn!(
                "Dhcp6 lease-database changed in {}: restart xdhcpd to switch lease files; \
                 keeping the current one",
                self.config_path.display()
            );
        }
        let (duid, note) = server_duid(&c6, super::unix_now());
        if duid != self.shard.runtime().server_duid {
            log::info!("DHCPv6 server DUID now {} ({note})", duid::to_text(&duid));
        }
        self.specs = c6.interfaces.clone();
        self.shard.reconfigure(Arc::new(RuntimeV6::new(c6, duid)));
        self.refresh_interfaces();
        log::info!(
            "DHCPv6 configuration reloaded from {}: {} subnet(s), {} lease(s) kept",
            self.config_path.display(),
            self.shard.runtime().subnets.len(),
            self.shard.lease_count()
        );
    }
}

fn reclaim_wait(shard: &ShardV6) -> u32 {
    shard
        .runtime()
        .cfg
        .expired_leases_processing
        .reclaim_timer_wait_time
}

/// The `interfaces-config` entry serving this interface: one naming it, else `*` (which
/// serves every multicast-capable interface but loopback).
fn served_spec<'a>(specs: &'a [InterfaceSpec6], iface: &Interface6) -> Option<&'a InterfaceSpec6> {
    specs.iter().find(|s| s.name == iface.name).or_else(|| {
        specs
            .iter()
            .find(|s| s.is_wildcard())
            .filter(|_| !iface.loopback && iface.multicast)
    })
}

/// Kea's listening rules: multicast (ff02::1:2), the interface's link-local addresses,
/// and the unicast addresses `interfaces-config` pins (`"eth0/2001:db8::1"`).
fn accepts_destination(specs: &[InterfaceSpec6], iface: &Interface6, dst: Ipv6Addr) -> bool {
    dst.is_multicast()
        || is_link_local(&dst)
        || specs
            .iter()
            .any(|s| s.address == Some(dst) && (s.name == iface.name || s.is_wildcard()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, addr: Option<&str>) -> InterfaceSpec6 {
        InterfaceSpec6 {
            name: name.into(),
            address: addr.map(|a| a.parse().unwrap()),
        }
    }

    fn iface(name: &str) -> Interface6 {
        Interface6 {
            index: 3,
            name: name.into(),
            multicast: true,
            up: true,
            ..Interface6::default()
        }
    }

    #[test]
    fn destinations_follow_kea() {
        let specs = [spec("vs", Some("2001:db8:1::1")), spec("other", None)];
        let vs = iface("vs");
        let other = iface("other");
        let ip = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        assert!(accepts_destination(&specs, &vs, ip("ff02::1:2")));
        assert!(accepts_destination(&specs, &vs, ip("fe80::1")));
        assert!(accepts_destination(&specs, &vs, ip("2001:db8:1::1")));
        assert!(!accepts_destination(&specs, &other, ip("2001:db8:1::1")));
        assert!(!accepts_destination(&specs, &vs, ip("2001:db8:1::5")));
    }

    #[test]
    fn wildcard_skips_loopback() {
        let specs = [spec("*", None)];
        let mut lo = iface("lo");
        lo.loopback = true;
        assert!(served_spec(&specs, &lo).is_none());
        assert!(served_spec(&specs, &iface("eth0")).is_some());
        assert!(served_spec(&[spec("eth0", None)], &iface("eth1")).is_none());
    }
}
