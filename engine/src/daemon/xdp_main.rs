//! The main thread of the AF_XDP backend: deals the recovered leases to the shards,
//! starts one pinned worker per served queue, and keeps the signals — TERM/INT stop every
//! worker (logs synced) and detach the XDP program, HUP hands each worker the new
//! configuration, USR1 logs one `statistics:` line with every worker's counters summed.
//!
//! It also holds UDP port 67, so no second server starts on the host and DHCP frames the
//! XDP program passes up (queues without a socket) are not answered with ICMP errors.

use super::lease_store::{StoreCounters, StoreOptions};
use super::shard_logs::{self, ShardStart};
use super::signals::Signals;
use super::worker::{Control, Link, Mesh, Worker, WorkerReport, links};
use super::{StartError, lease_log_path};
use crate::core::v4::{Partition, RuntimeV4, ShardV4};
use crate::io::afxdp::XdpSetup;
use crate::io::udp::UdpSocket4;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use xdhcp_ebpf::{QueueCounters, XskSocket};
use xdhcp_wire::dhcpv4::SERVER_PORT;

struct Workers {
    handles: Vec<JoinHandle<WorkerReport>>,
    controls: Vec<mpsc::Sender<Control>>,
    mesh: Arc<Mesh>,
}

impl Workers {
    fn tell(&self, make: impl Fn() -> Control) {
        for (i, c) in self.controls.iter().enumerate() {
            let _ = c.send(make());
            self.mesh.wakers[i].wake();
        }
    }

    /// Every live worker's report (waits up to 2 s in all).
    fn reports(&self) -> Vec<WorkerReport> {
        let (tx, rx) = mpsc::channel();
        self.tell(|| Control::Stats(tx.clone()));
        drop(tx);
        let end = Instant::now() + Duration::from_secs(2);
        let mut out = Vec::new();
        while out.len() < self.controls.len() {
            let left = end.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(r) => out.push(r),
                Err(_) => break,
            }
        }
        out.sort_by_key(|r| r.index);
        out
    }

    fn stop(self) -> Vec<WorkerReport> {
        self.tell(|| Control::Stop);
        let mut out = Vec::new();
        for (i, h) in self.handles.into_iter().enumerate() {
            match h.join() {
                Ok(r) => out.push(r),
                Err(_) => log::error!("worker {i} panicked"),
            }
        }
        out
    }
}

pub fn run(
    config_path: &Path,
    config: xdhcp_config::Config,
    signals: Signals,
    mut setup: XdpSetup,
) -> Result<(), StartError> {
    let n = setup.queues;
    let dhcp4 = config.dhcp4;
    let rt = Arc::new(RuntimeV4::new(dhcp4.clone()));
    let opts = StoreOptions::new(&config.xdhcp, &dhcp4.lease_database);
    let starts =
        shard_logs::open_shards(&dhcp4.lease_database, &rt, n, &opts).map_err(StartError)?;
    let recovered: usize = starts.iter().map(|s| s.own.len()).sum();
    log::info!(
        "recovered {recovered} lease(s) from {} ({n} shard log(s); {})",
        starts[0].store.describe(),
        opts.describe()
    );
    let names: Vec<String> = setup.ports.iter().map(|p| p.ifname.clone()).collect();
    let link_view: Vec<Link> = links(&names, &dhcp4.interfaces);
    let mesh = Arc::new(Mesh::new(n).map_err(|e| StartError(format!("eventfd: {e}")))?);
    let mut per_worker: Vec<Vec<XskSocket>> = (0..n).map(|_| Vec::new()).collect();
    for port in &mut setup.ports {
        for (q, s) in port.sockets.drain(..).enumerate() {
            per_worker[q].push(s);
        }
    }
    let cores = pick_cores(n, config.xdhcp.cores.as_deref());
    let mut workers = Workers {
        handles: Vec::with_capacity(n),
        controls: Vec::with_capacity(n),
        mesh: mesh.clone(),
    };
    for (i, (start, xsks)) in starts.into_iter().zip(per_worker).enumerate() {
        let ShardStart {
            store,
            own,
            foreign,
        } = start;
        let shard = ShardV4::partitioned(rt.clone(), Partition::new(i, n), own, foreign);
        let (tx, rx) = mpsc::channel();
        let w = Worker::new(
            i,
            shard,
            store,
            xsks,
            link_view.clone(),
            dhcp4.interfaces.clone(),
            mesh.clone(),
            rx,
        );
        let core = cores[i];
        let queues = names.join(", ");
        let h = std::thread::Builder::new()
            .name(format!("xdhcp-w{i}"))
            .spawn(move || {
                let pinned = core_affinity::set_for_current(core_affinity::CoreId { id: core });
                log::info!(
                    "worker {i}: shard {i} of {n}, queue {i} of {queues}, {}",
                    if pinned {
                        format!("pinned to CPU {core}")
                    } else {
                        format!("not pinned (CPU {core} refused)")
                    }
                );
                w.run()
            })
            .map_err(|e| StartError(format!("cannot start worker {i}: {e}")))?;
        workers.handles.push(h);
        workers.controls.push(tx);
    }
    let udp = match UdpSocket4::bind(SERVER_PORT) {
        Ok(u) => u,
        Err(e) => {
            workers.stop();
            return Err(StartError(e.to_string()));
        }
    };
    log::info!(
        "xdhcpd {} started: serving {} subnet(s) on {} (AF_XDP, XDP {} mode, {n} worker(s))",
        env!("CARGO_PKG_VERSION"),
        rt.subnets.len(),
        names.join(", "),
        setup.mode_name()
    );
    let mut scratch = vec![0u8; 2048];
    let mut result = Ok(());
    let lfc_every = opts.lfc_interval;
    let mut next_lfc = (!lfc_every.is_zero()).then(|| Instant::now() + lfc_every);
    loop {
        let until_lfc = next_lfc.map_or(Duration::from_secs(1), |t| {
            t.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        wait(
            signals.fd(),
            udp.fd(),
            until_lfc.min(Duration::from_secs(1)),
        );
        if signals.take_stop() {
            log::info!("shutting down");
            break;
        }
        if signals.take_reload() {
            reload(config_path, &workers, &dhcp4, &config.xdhcp);
        }
        if signals.take_stats() {
            log_statistics(&workers.reports(), &setup);
        }
        // Whatever reaches the kernel's socket is not served here (see the module comment).
        while let Ok(Some(_)) = udp.recv(&mut scratch) {}
        if next_lfc.is_some_and(|t| Instant::now() >= t) {
            // Each worker rolls its log and compacts it on a side thread.
            workers.tell(|| Control::Compact);
            next_lfc = Some(Instant::now() + lfc_every);
        }
        if let Some(i) = workers.handles.iter().position(|h| h.is_finished()) {
            result = Err(StartError(format!("worker {i} stopped unexpectedly")));
            break;
        }
    }
    let reports = workers.stop();
    log_statistics(&reports, &setup);
    for port in setup.ports.drain(..) {
        let name = port.ifname.clone();
        drop(port);
        log::info!("XDP program detached from {name}");
    }
    result
}

/// Worker i's CPU: `cores[i % len]`, else i mod the number of CPUs.
fn pick_cores(n: usize, cores: Option<&[usize]>) -> Vec<usize> {
    let nproc = std::thread::available_parallelism().map_or(1, |p| p.get());
    (0..n)
        .map(|i| match cores {
            Some(c) if !c.is_empty() => c[i % c.len()],
            _ => i % nproc,
        })
        .collect()
}

fn wait(signal_fd: i32, udp_fd: i32, timeout: Duration) {
    let mut fds = [
        libc::pollfd {
            fd: signal_fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: udp_fd,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: `fds` is a valid array of two pollfd structures.
    unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout.as_millis() as i32) };
}

fn reload(
    path: &Path,
    workers: &Workers,
    current: &xdhcp_config::Dhcp4Config,
    xdhcp: &xdhcp_config::XdhcpConfig,
) {
    match xdhcp_config::load_file(path) {
        Ok(cfg) => {
            if lease_log_path(&cfg.dhcp4.lease_database) != lease_log_path(&current.lease_database)
            {
                log::warn!(
                    "lease-database changed in {}: restart xdhcpd to switch lease files; \
                     keeping the current one",
                    path.display()
                );
            }
            let names = |c: &xdhcp_config::Dhcp4Config| {
                let mut v: Vec<String> = c.interfaces.iter().map(|s| s.name.clone()).collect();
                v.sort();
                v.dedup();
                v
            };
            if names(&cfg.dhcp4) != names(current) || cfg.xdhcp != *xdhcp {
                log::warn!(
                    "interfaces-config or the xdhcp map changed in {}: restart xdhcpd to \
                     attach to other interfaces or change queues, cores or I/O mode",
                    path.display()
                );
            }
            let rt = Arc::new(RuntimeV4::new(cfg.dhcp4.clone()));
            let specs = cfg.dhcp4.interfaces.clone();
            workers.tell(|| Control::Reload {
                rt: rt.clone(),
                specs: specs.clone(),
            });
            log::info!(
                "configuration reloaded from {}: {} subnet(s), handed to {} worker(s)",
                path.display(),
                rt.subnets.len(),
                workers.controls.len()
            );
        }
        Err(e) => log::error!("configuration reload failed, keeping the old one: {e}"),
    }
}

/// One `statistics:` line: the shards' Kea counters summed by name, then each worker's
/// I/O counters (`worker[i].name`) and the XDP program's (`xdp.name`).
fn log_statistics(reports: &[WorkerReport], setup: &XdpSetup) {
    let mut order: Vec<String> = Vec::new();
    let mut sums: HashMap<String, u64> = HashMap::new();
    for r in reports {
        for (name, v) in &r.stats {
            match sums.get_mut(name) {
                Some(s) => *s += v,
                None => {
                    order.push(name.clone());
                    sums.insert(name.clone(), *v);
                }
            }
        }
    }
    let mut line = String::from("statistics:");
    for name in &order {
        line.push_str(&format!(" {name}={}", sums[name]));
    }
    let mut store = StoreCounters::default();
    for r in reports {
        store.add(&r.store);
    }
    line.push_str(&store.stat_text());
    for r in reports {
        for (name, v) in r.io.named() {
            line.push_str(&format!(" worker[{}].{name}={v}", r.index));
        }
        line.push_str(&format!(" worker[{}].leases={}", r.index, r.leases));
    }
    let mut xdp = QueueCounters::default();
    for p in &setup.ports {
        if let Ok(c) = p.prog.counters() {
            xdp.add(&QueueCounters::total(c.iter()));
        }
    }
    line.push_str(&format!(
        " xdp.steered={} xdp.passed={} xdp.malformed={}",
        xdp.steered, xdp.passed, xdp.malformed
    ));
    super::v6::append_statistics(&mut line);
    log::info!("{line}");
}
