//! The DHCPv6 lease log: one `LeaseLog` at the v6 `lease-database` name with `.csv`
//! replaced by `.xlog` (`persist: false` keeps leases in memory only), replayed at
//! start-up, appended once per batch before that batch's replies leave; and the Kea v6
//! CSV view of it for `--dump-leases`.

use crate::core::v6::{LeaseChange6, ShardV6};
use hashbrown::HashMap;
use std::net::Ipv6Addr;
use std::path::PathBuf;
use xdhcp_config::LeaseDatabase;
use xdhcp_storage::{Lease6, Lease6Type, LeaseLog, RecordRef, kea_csv, merge_replays6, read_log};

/// Default v6 lease log when `lease-database` names no file.
const DEFAULT_LOG6: &str = "/var/lib/xdhcp/xdhcp-leases6.xlog";

/// The v6 lease log path for a `lease-database` entry: its `name` with `.csv` replaced
/// by `.xlog` (a Kea CSV file of that name is left alone), or the default; `None` when
/// `persist` is false.
pub fn lease_log_path6(db: &LeaseDatabase) -> Option<PathBuf> {
    if !db.persist {
        return None;
    }
    let name = db
        .name
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_LOG6));
    Some(match name.extension().and_then(|e| e.to_str()) {
        Some("xlog") => name,
        Some("csv") => name.with_extension("xlog"),
        _ => {
            let mut s = name.into_os_string();
            s.push(".xlog");
            PathBuf::from(s)
        }
    })
}

/// Prints the live DHCPv6 leases of the v6 lease log as Kea's v6 memfile CSV (newest
/// schema): the header line, then one row per lease.
pub fn dump_leases6(db: &LeaseDatabase, out: &mut dyn std::io::Write) -> Result<usize, String> {
    let Some(path) = lease_log_path6(db) else {
        return Err(
            "Dhcp6 lease-database has persist: false; there is no lease file to read".into(),
        );
    };
    if !path.exists() {
        return Err(format!(
            "no DHCPv6 lease log at {} (the server has not run with this configuration yet)",
            path.display()
        ));
    }
    let replay = read_log(&path).map_err(|e| e.to_string())?;
    let leases = merge_replays6(std::slice::from_ref(&replay));
    let w = |e: std::io::Error| e.to_string();
    writeln!(out, "{}", kea_csv::V6_HEADER).map_err(w)?;
    for lease in &leases {
        writeln!(out, "{}", kea_csv::v6_row(lease)).map_err(w)?;
    }
    Ok(leases.len())
}

pub struct Store6 {
    log: Option<LeaseLog>,
    changes: Vec<LeaseChange6>,
    /// Prefix length of every delegated prefix in the table, so a Delete6 record says
    /// what it deleted (the shard's change only names the prefix address).
    pd_len: HashMap<Ipv6Addr, u8>,
}

impl Store6 {
    /// Opens (creating if needed) and replays the log; returns the store and the live
    /// leases to start the shard with.
    pub fn open(db: &LeaseDatabase) -> Result<(Store6, Vec<Lease6>), String> {
        let mut store = Store6 {
            log: None,
            changes: Vec::with_capacity(64),
            pd_len: HashMap::new(),
        };
        let Some(path) = lease_log_path6(db) else {
            return Ok((store, Vec::new()));
        };
        let (log, replay) = LeaseLog::open(&path)
            .map_err(|e| format!("DHCPv6 lease log {}: {e}", path.display()))?;
        if !replay.leases.is_empty() {
            log::warn!(
                "DHCPv6 lease log {} holds {} DHCPv4 lease(s); they are ignored here",
                path.display(),
                replay.leases.len()
            );
        }
        let leases = merge_replays6(std::slice::from_ref(&replay));
        for l in &leases {
            if l.lease_type == Lease6Type::Pd {
                store.pd_len.insert(l.address, l.prefix_len);
            }
        }
        store.log = Some(log);
        Ok((store, leases))
    }

    pub fn describe(&self) -> String {
        match &self.log {
            Some(l) => l.path().display().to_string(),
            None => "memory (persist: false)".into(),
        }
    }

    pub fn path_buf(&self) -> Option<PathBuf> {
        self.log.as_ref().map(|l| l.path().to_path_buf())
    }

    /// Writes the shard's pending lease changes to the log (one write) before any reply
    /// of the batch leaves. Kea memfile semantics: written, not yet fsynced. On failure
    /// the changes stay queued for the next batch.
    pub fn persist(&mut self, shard: &mut ShardV6) -> Result<(), String> {
        shard.take_changes(&mut self.changes);
        if self.changes.is_empty() {
            return Ok(());
        }
        for change in &self.changes {
            match *change {
                LeaseChange6::Upsert(key) if key.lease_type == Lease6Type::Pd => {
                    if let Some(l) = shard.lease(key) {
                        self.pd_len.insert(key.address, l.prefix_len);
                    }
                }
                _ => {}
            }
        }
        let Some(log) = self.log.as_mut() else {
            self.forget_deleted();
            return Ok(());
        };
        let pd_len = &self.pd_len;
        let records = self.changes.iter().filter_map(|change| match *change {
            LeaseChange6::Upsert(key) => shard.lease(key).map(RecordRef::Lease6),
            LeaseChange6::Delete(key, at) => Some(RecordRef::Delete6 {
                address: key.address,
                prefix_len: match key.lease_type {
                    Lease6Type::Pd => pd_len.get(&key.address).copied().unwrap_or(0),
                    _ => 128,
                },
                lease_type: key.lease_type,
                at,
            }),
        });
        if let Err(e) = log.append_refs(records) {
            shard.requeue_changes(&self.changes);
            return Err(e.to_string());
        }
        self.forget_deleted();
        Ok(())
    }

    fn forget_deleted(&mut self) {
        for change in &self.changes {
            if let LeaseChange6::Delete(key, _) = *change
                && key.lease_type == Lease6Type::Pd
            {
                self.pd_len.remove(&key.address);
            }
        }
    }

    pub fn close(&mut self) {
        if let Some(log) = self.log.as_mut()
            && let Err(e) = log.sync()
        {
            log::error!("DHCPv6 lease log sync at shutdown failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_path_follows_the_csv_name() {
        let db = |name: &str| LeaseDatabase {
            name: Some(PathBuf::from(name)),
            ..LeaseDatabase::default()
        };
        assert_eq!(
            lease_log_path6(&db("/tmp/x/leases6.csv")),
            Some(PathBuf::from("/tmp/x/leases6.xlog"))
        );
        assert_eq!(
            lease_log_path6(&db("/tmp/x/l6")),
            Some(PathBuf::from("/tmp/x/l6.xlog"))
        );
        assert_eq!(
            lease_log_path6(&LeaseDatabase::default()),
            Some(PathBuf::from(DEFAULT_LOG6))
        );
        let mem = LeaseDatabase {
            persist: false,
            ..LeaseDatabase::default()
        };
        assert_eq!(lease_log_path6(&mem), None);
    }
}
