//! The `xdhcpd` process around the sans-I/O core: loads the configuration, recovers the
//! lease log, runs the receive → handle → persist → send loop on the UDP backend, and
//! reacts to signals (TERM/INT stop, HUP reloads, USR1 logs the statistics).

mod lease_store;
mod listener;
mod signals;

pub use lease_store::{dump_leases, lease_log_path};

use crate::core::v4::{RuntimeV4, ShardV4};
use lease_store::LeaseStore;
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
    let dhcp4 = config.dhcp4;
    let mut store = LeaseStore::open(&dhcp4.lease_database).map_err(StartError)?;
    let recovered = store.take_recovered();
    log::info!(
        "recovered {} lease(s) from {}",
        recovered.len(),
        store.describe()
    );
    let mut listener = Listener::open(&dhcp4).map_err(StartError)?;
    let reclaim_every = Duration::from_secs(u64::from(
        dhcp4
            .expired_leases_processing
            .reclaim_timer_wait_time
            .max(1),
    ));
    let rt = Arc::new(RuntimeV4::new(dhcp4));
    let mut shard = ShardV4::new(rt, recovered);
    log::info!(
        "xdhcpd {} started: serving {} subnet(s) on {}",
        env!("CARGO_PKG_VERSION"),
        shard.runtime().subnets.len(),
        listener.describe()
    );
    let mut next_reclaim = Instant::now() + reclaim_every;
    loop {
        let timeout = next_reclaim.saturating_duration_since(Instant::now());
        listener.wait(signals.fd(), timeout.min(Duration::from_secs(5)));
        if signals.take_stop() {
            log::info!("shutting down");
            break;
        }
        if signals.take_reload() {
            reload(config_path, &mut shard, &mut listener, &store);
        }
        if signals.take_stats() {
            log_statistics(&shard);
        }
        listener.serve_batch(&mut shard, &mut store, unix_now);
        if Instant::now() >= next_reclaim {
            reclaim(&mut shard, &mut store);
            next_reclaim = Instant::now() + reclaim_every;
        }
        listener.refresh_interfaces_if_due();
    }
    store.close();
    log_statistics(&shard);
    Ok(())
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

/// One `statistics:` line with every counter in Kea's names.
pub fn log_statistics(shard: &ShardV4) {
    let mut line = String::from("statistics:");
    for (name, v) in shard.stats.snapshot() {
        line.push_str(&format!(" {name}={v}"));
    }
    log::info!("{line}");
}

/// The lease log path that `lease-database` names (also used by `--dump-leases`).
pub fn lease_path_for(cfg: &xdhcp_config::Dhcp4Config) -> Option<PathBuf> {
    lease_log_path(&cfg.lease_database)
}
