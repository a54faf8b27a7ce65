//! Where leases live on disk for the daemon: the lease log named by `lease-database`
//! (`persist: false` keeps them in memory only, as Kea's memfile does), and the Kea CSV
//! view of it for `--dump-leases`.

use crate::core::v4::{LeaseChange, ShardV4};
use std::path::PathBuf;
use xdhcp_config::LeaseDatabase;
use xdhcp_storage::{LeaseLog, Record, kea_csv};

/// Default lease log when `lease-database` names no file.
const DEFAULT_LOG: &str = "/var/lib/xdhcp/xdhcp-leases4.xlog";

/// The lease log path for a `lease-database` entry: its `name` with `.csv` replaced by
/// `.xlog` (a Kea CSV file of that name is left alone), or the default; `None` when
/// `persist` is false.
pub fn lease_log_path(db: &LeaseDatabase) -> Option<PathBuf> {
    if !db.persist {
        return None;
    }
    let name = db
        .name
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_LOG));
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

/// Prints the leases of the lease logs (every shard's, merged) as Kea memfile CSV
/// (newest v4 schema).
pub fn dump_leases(db: &LeaseDatabase, out: &mut dyn std::io::Write) -> Result<usize, String> {
    let Some(path) = lease_log_path(db) else {
        return Err("lease-database has persist: false; there is no lease file to read".into());
    };
    let Some(leases) = super::shard_logs::read_all(&path)? else {
        return Err(format!(
            "no lease log at {} (the server has not run with this configuration yet)",
            path.display()
        ));
    };
    let w = |e: std::io::Error| e.to_string();
    writeln!(out, "{}", kea_csv::V4_HEADER).map_err(w)?;
    for lease in &leases {
        writeln!(out, "{}", kea_csv::v4_row(lease)).map_err(w)?;
    }
    Ok(leases.len())
}

pub struct LeaseStore {
    log: Option<LeaseLog>,
    changes: Vec<LeaseChange>,
    records: Vec<Record>,
}

impl LeaseStore {
    /// A store that keeps nothing (`persist: false`).
    pub fn memory() -> LeaseStore {
        LeaseStore {
            log: None,
            changes: Vec::with_capacity(64),
            records: Vec::with_capacity(64),
        }
    }

    /// A store appending to an opened log.
    pub fn with_log(log: LeaseLog) -> LeaseStore {
        LeaseStore {
            log: Some(log),
            ..LeaseStore::memory()
        }
    }

    /// Appends records as they are (tests).
    #[cfg(test)]
    pub fn append(&mut self, records: &[Record]) -> Result<(), String> {
        match self.log.as_mut() {
            Some(log) => log.append(records).map(|_| ()).map_err(|e| e.to_string()),
            None => Ok(()),
        }
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
    /// of this batch leaves. Kea memfile semantics: written, not yet fsynced.
    pub fn persist(&mut self, shard: &mut ShardV4) -> Result<(), String> {
        shard.take_changes(&mut self.changes);
        let Some(log) = self.log.as_mut() else {
            return Ok(());
        };
        if self.changes.is_empty() {
            return Ok(());
        }
        self.records.clear();
        for change in &self.changes {
            match *change {
                LeaseChange::Upsert(addr) => {
                    if let Some(l) = shard.lease(addr) {
                        self.records.push(Record::Lease4(l.clone()));
                    }
                }
                LeaseChange::Delete(address, at) => {
                    self.records.push(Record::Delete4 { address, at })
                }
            }
        }
        if let Err(e) = log.append(&self.records) {
            // Keep the changes queued so the next batch writes them again.
            shard.requeue_changes(&self.changes);
            return Err(e.to_string());
        }
        Ok(())
    }

    pub fn close(&mut self) {
        if let Some(log) = self.log.as_mut()
            && let Err(e) = log.sync()
        {
            log::error!("lease log sync at shutdown failed: {e}");
        }
    }
}
