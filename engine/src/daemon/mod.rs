//! The `xdhcpd` process around the sans-I/O core: loads the configuration, picks the I/O
//! backend (`xdhcp/io-mode`), recovers the lease logs, runs the receive → handle →
//! persist → send loop — one thread on the UDP backend, one pinned worker per RX queue on
//! the AF_XDP backend — and reacts to signals (TERM/INT stop, HUP reloads, USR1 logs the
//! statistics). A `Dhcp6` section starts the DHCPv6 service (`v6`) on its own thread; with
//! no `Dhcp4` section it is the only service.

mod lease_store;
mod listener;
mod shard_logs;
mod signals;
pub mod v6;
mod worker;
mod xdp_main;

pub use lease_store::{dump_leases, export_leases, kea_csv_path, lease_log_path};
pub use shard_logs::{existing_logs, segment_root, shard_dir, shard_log_path};

use crate::core::v4::{RuntimeV4, ShardV4};
use lease_store::{LeaseStore, StoreOptions};
use listener::Listener;
use signals::Signals;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why the daemon could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Seconds since the Unix epoch: the only clock the core ever sees, read here.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs the server until SIGTERM/SIGINT. `config_path` is re-read on SIGHUP.
pub fn run(config_path: &Path, config: xdhcp_config::Config) -> Result<(), StartError> {
    let signals = Signals::install().map_err(|e| StartError(format!("signals: {e}")))?;
    let dhcp4_db = config.has_dhcp4.then_some(&config.dhcp4.lease_database);
    let service6 = match &config.dhcp6 {
        Some(c6) => Some(v6::start(config_path, c6.clone(), dhcp4_db)?),
        None => None,
    };
    let service6 = match service6 {
        Some(s) if !config.has_dhcp4 => return v6::serve_only(&signals, s),
        other => other,
    };
    let result = match choose_backend(&config) {
        Ok(Some(setup)) => xdp_main::run(config_path, config, signals, setup),
        Ok(None) => run_udp(config_path, config, signals),
        Err(e) => Err(e),
    };
    if let Some(s) = service6 {
        s.stop();
    }
    result
}

/// The AF_XDP setup when `io-mode` asks for it and it works; `None` for the UDP backend.
/// With `io-mode: auto` a failure is one log line, then the UDP backend serves.
fn choose_backend(
    config: &xdhcp_config::Config,
) -> Result<Option<crate::io::afxdp::XdpSetup>, StartError> {
    use xdhcp_config::IoMode;
    let mode = config.xdhcp.io_mode;
    if mode == IoMode::Udp {
        return Ok(None);
    }
    let attempt = xdp_interfaces(&config.dhcp4)
        .and_then(|names| crate::io::afxdp::attach(&names, &config.xdhcp));
    match (attempt, mode) {
        (Ok(setup), _) => Ok(Some(setup)),
        (Err(why), IoMode::Xdp) => Err(StartError(format!(
            "io-mode xdp: {why} (set \"xdhcp\": {{ \"io-mode\": \"auto\" }} to fall back to UDP)"
        ))),
        (Err(why), _) => {
            log::warn!("AF_XDP not used, serving with the UDP backend: {why}");
            Ok(None)
        }
    }
}

/// The interfaces the XDP program goes on: every named one of `interfaces-config`.
fn xdp_interfaces(cfg: &xdhcp_config::Dhcp4Config) -> Result<Vec<String>, String> {
    if cfg.interfaces.iter().any(|s| s.is_wildcard()) {
        return Err(
            "interfaces-config lists \"*\"; the XDP path serves named interfaces only".into(),
        );
    }
    let mut names: Vec<String> = Vec::new();
    for s in &cfg.interfaces {
        if !names.contains(&s.name) {
            names.push(s.name.clone());
        }
    }
    if names.is_empty() {
        return Err("interfaces-config lists no interface".into());
    }
    let known = crate::io::iface::list().map_err(|e| format!("cannot list interfaces: {e}"))?;
    if let Some(missing) = names
        .iter()
        .find(|n| !known.values().any(|i| &i.name == *n))
    {
        return Err(format!("interface {missing} does not exist"));
    }
    Ok(names)
}

/// The single-threaded UDP backend (one shard).
fn run_udp(
    config_path: &Path,
    config: xdhcp_config::Config,
    signals: Signals,
) -> Result<(), StartError> {
    let dhcp4 = config.dhcp4;
    let rt = Arc::new(RuntimeV4::new(dhcp4.clone()));
    let opts = StoreOptions::new(&config.xdhcp, &dhcp4.lease_database);
    let mut start =
        shard_logs::open_shards(&dhcp4.lease_database, &rt, 1, &opts).map_err(StartError)?;
    let shard_start = start.pop().expect("one shard");
    let mut store = shard_start.store;
    let recovered = shard_start.own;
    log::info!(
        "recovered {} lease(s) from {} ({})",
        recovered.len(),
        store.describe(),
        opts.describe()
    );
    let mut listener = Listener::open(&dhcp4).map_err(StartError)?;
    let reclaim_every = Duration::from_secs(u64::from(
        dhcp4
            .expired_leases_processing
            .reclaim_timer_wait_time
            .max(1),
    ));
    let mut shard = ShardV4::new(rt, recovered);
    log::info!(
        "xdhcpd {} started: serving {} subnet(s) on {}",
        env!("CARGO_PKG_VERSION"),
        shard.runtime().subnets.len(),
        listener.describe()
    );
    let mut next_reclaim = Instant::now() + reclaim_every;
    let lfc_every = opts.lfc_interval;
    let mut next_lfc = (!lfc_every.is_zero()).then(|| Instant::now() + lfc_every);
    let mut result = Ok(());
    loop {
        let now = Instant::now();
        let mut timeout = next_reclaim
            .saturating_duration_since(now)
            .min(Duration::from_secs(5));
        if let Some(d) = store.next_deadline(now) {
            timeout = timeout.min(d);
        }
        listener.wait(signals.fd(), timeout);
        if signals.take_stop() {
            log::info!("shutting down");
            break;
        }
        if signals.take_reload() {
            reload(config_path, &mut shard, &mut listener, &store);
        }
        if signals.take_stats() {
            log_statistics(&shard, &store);
        }
        // Serve, then release what the commits allow; a failed commit stops the server
        // (no reply may leave for records that are not durable; a restart replays).
        let served = listener
            .serve_batch(&mut shard, &mut store, unix_now)
            .and_then(|()| store.tick(Instant::now()))
            .map(|ready| listener.release(ready));
        if let Err(e) = served {
            result = Err(StartError(e.to_string()));
            break;
        }
        if Instant::now() >= next_reclaim {
            reclaim(&mut shard, &mut store);
            next_reclaim = Instant::now() + reclaim_every;
        }
        if next_lfc.is_some_and(|t| Instant::now() >= t) {
            store.start_compaction();
            next_lfc = Some(Instant::now() + lfc_every);
        }
        listener.refresh_interfaces_if_due();
    }
    if store.close() && result.is_ok() {
        listener.release(u64::MAX);
    }
    log_statistics(&shard, &store);
    result
}

fn reclaim(shard: &mut ShardV4, store: &mut LeaseStore) {
    let elp = &shard.runtime().cfg.expired_leases_processing;
    let max = if elp.max_reclaim_leases == 0 {
        usize::MAX
    } else {
        elp.max_reclaim_leases as usize
    };
    let n = shard.reclaim(crate::daemon::unix_now(), max, false);
    if n > 0 {
        log::info!("reclaimed {n} expired lease(s)");
    }
    if let Err(e) = store.persist(shard) {
        log::error!("lease log write failed after reclamation: {e}");
    }
}

fn reload(path: &Path, shard: &mut ShardV4, listener: &mut Listener, store: &LeaseStore) {
    match xdhcp_config::load_file(path) {
        Ok(cfg) => {
            if lease_log_path(&cfg.dhcp4.lease_database) != store.path_buf() {
                log::warn!(
                    "lease-database changed in {}: restart xdhcpd to switch lease files; \
                     keeping the current one",
                    path.display()
                );
            }
            if cfg.xdhcp.io_mode == xdhcp_config::IoMode::Xdp {
                log::warn!("xdhcp/io-mode changed to xdp: restart xdhcpd to switch backends");
            }
            listener.reconfigure(&cfg.dhcp4);
            shard.reconfigure(Arc::new(RuntimeV4::new(cfg.dhcp4)));
            log::info!(
                "configuration reloaded from {}: {} subnet(s), {} lease(s) kept",
                path.display(),
                shard.runtime().subnets.len(),
                shard.lease_count()
            );
        }
        Err(e) => log::error!("configuration reload failed, keeping the old one: {e}"),
    }
}

/// One `statistics:` line with every counter in Kea's names, then the lease log's
/// (`lease-log.*`).
fn log_statistics(shard: &ShardV4, store: &LeaseStore) {
    let mut line = String::from("statistics:");
    for (name, v) in shard.stats.snapshot() {
        line.push_str(&format!(" {name}={v}"));
    }
    line.push_str(&store.counters().stat_text());
    v6::append_statistics(&mut line);
    log::info!("{line}");
}

/// The lease log path that `lease-database` names (also used by `--dump-leases`).
pub fn lease_path_for(cfg: &xdhcp_config::Dhcp4Config) -> Option<PathBuf> {
    lease_log_path(&cfg.lease_database)
}
