//! One lease log per shard: shard 0 writes `<base>.xlog`, shard i > 0 `<base>.<i>.xlog`
//! (`<base>.xlog` being the path `lease-database` names). At start-up every existing log
//! is read and merged (deletes carry a time, so the newest record per address wins),
//! leases are dealt to the shards that own their clients, and each shard's log is
//! rewritten with exactly its leases; logs of shard indexes that no longer exist are
//! removed. A change of the shard (queue) count is therefore safe in both directions.

use super::lease_store::{LeaseStore, lease_log_path};
use crate::core::v4::{Partition, RuntimeV4, owner_of_lease};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use xdhcp_config::LeaseDatabase;
use xdhcp_storage::{Lease4, LeaseLog, Replay, merge_replays, read_log};

/// The log of shard `index` for the base path `base` (`x.xlog` → `x.<i>.xlog`).
pub fn shard_log_path(base: &Path, index: usize) -> PathBuf {
    if index == 0 {
        return base.to_path_buf();
    }
    let name = base.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".xlog").unwrap_or(&name);
    base.with_file_name(format!("{stem}.{index}.xlog"))
}

/// Every existing shard log of `base`, as `(shard index, path)`, sorted by index.
pub fn existing_logs(base: &Path) -> Vec<(usize, PathBuf)> {
    let mut out = Vec::new();
    if base.is_file() {
        out.push((0, base.to_path_buf()));
    }
    let name = base.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".xlog").unwrap_or(&name).to_string();
    let dir = match base.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            let Some(mid) = f
                .strip_prefix(&stem)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.strip_suffix(".xlog"))
            else {
                continue;
            };
            if let Ok(i) = mid.parse::<usize>()
                && i > 0
                && mid == i.to_string()
                && e.path().is_file()
            {
                out.push((i, e.path()));
            }
        }
    }
    out.sort();
    out
}

/// What start-up hands each shard.
pub struct ShardStart {
    pub store: LeaseStore,
    /// The leases of this shard's clients.
    pub own: Vec<Lease4>,
    /// The addresses other shards hold.
    pub foreign: Vec<Ipv4Addr>,
}

/// Opens the logs of `count` shards, merging and redistributing what every existing log
/// holds (see the module comment).
pub fn open_shards(
    db: &LeaseDatabase,
    rt: &RuntimeV4,
    count: usize,
) -> Result<Vec<ShardStart>, String> {
    let Some(base) = lease_log_path(db) else {
        return Ok((0..count)
            .map(|_| ShardStart {
                store: LeaseStore::memory(),
                own: Vec::new(),
                foreign: Vec::new(),
            })
            .collect());
    };
    let existing = existing_logs(&base);
    let mut replays: Vec<Replay> = Vec::new();
    let mut logs: Vec<LeaseLog> = Vec::with_capacity(count);
    for i in 0..count {
        let path = shard_log_path(&base, i);
        let (log, replay) = LeaseLog::open(&path).map_err(|e| e.to_string())?;
        if let Some(cut) = &replay.cut {
            log::warn!("lease log {}: {cut}", path.display());
        }
        replays.push(replay);
        logs.push(log);
    }
    let stale: Vec<PathBuf> = existing
        .iter()
        .filter(|(i, _)| *i >= count)
        .map(|(_, p)| p.clone())
        .collect();
    for p in &stale {
        let replay = read_log(p).map_err(|e| e.to_string())?;
        if let Some(cut) = &replay.cut {
            log::warn!("lease log {}: {cut}", p.display());
        }
        replays.push(replay);
    }
    let merged = if replays.len() == 1 {
        std::mem::take(&mut replays[0].leases)
    } else {
        merge_replays(&replays)
    };
    let mut own: Vec<Vec<Lease4>> = vec![Vec::new(); count];
    for l in merged {
        let o = owner_of_lease(&l, count).unwrap_or_else(|| slice_owner(rt, count, l.address));
        own[o.min(count - 1)].push(l);
    }
    // Rewrite when the leases may have moved between logs; a single log that stays the
    // only one already holds exactly its leases.
    let moved = count > 1 || existing.len() > 1 || !stale.is_empty();
    if moved {
        for (log, mine) in logs.iter_mut().zip(&own) {
            log.rewrite(mine).map_err(|e| e.to_string())?;
        }
        for p in &stale {
            std::fs::remove_file(p)
                .map_err(|e| format!("cannot remove the stale lease log {}: {e}", p.display()))?;
            log::info!(
                "lease log {} merged into the logs of {count} shard(s) and removed",
                p.display()
            );
        }
    }
    let held: Vec<Vec<Ipv4Addr>> = own
        .iter()
        .map(|v| v.iter().map(|l| l.address).collect())
        .collect();
    Ok(logs
        .into_iter()
        .zip(own)
        .enumerate()
        .map(|(i, (log, mine))| ShardStart {
            store: LeaseStore::with_log(log),
            own: mine,
            foreign: held
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, v)| v.iter().copied())
                .collect(),
        })
        .collect())
}

/// The shard whose slice of a pool holds `addr` (declined leases have no client).
fn slice_owner(rt: &RuntimeV4, count: usize, addr: Ipv4Addr) -> usize {
    rt.subnets
        .iter()
        .flat_map(|s| s.cfg.pools.iter())
        .find(|p| p.contains(addr))
        .map_or(0, |p| Partition::slice_owner(count, p.start, p.end, addr))
}

/// Every lease of every shard log of `base`, merged.
pub fn read_all(base: &Path) -> Result<Option<Vec<Lease4>>, String> {
    let logs = existing_logs(base);
    if logs.is_empty() {
        return Ok(None);
    }
    let mut replays = Vec::with_capacity(logs.len());
    for (_, p) in &logs {
        replays.push(read_log(p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    Ok(Some(merge_replays(&replays)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xdhcp_storage::{LeaseState, Record};

    fn runtime() -> RuntimeV4 {
        let text = r#"{ "Dhcp4": { "interfaces-config": { "interfaces": ["eth0"] },
            "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24",
                           "pools": [ { "pool": "192.0.2.10 - 192.0.2.209" } ] } ] } }"#;
        RuntimeV4::new(xdhcp_config::load_str(text, "t.json").unwrap().dhcp4)
    }

    fn lease(i: u8, cltt: u64) -> Lease4 {
        Lease4 {
            address: Ipv4Addr::new(192, 0, 2, 10 + i),
            hwaddr: [2, 0, 0, 0, 0, i][..].into(),
            htype: 1,
            client_id: None,
            valid_lifetime: 3600,
            cltt,
            subnet_id: 1,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: String::new(),
            state: LeaseState::Default,
            user_context: None,
        }
    }

    fn db(dir: &Path) -> LeaseDatabase {
        LeaseDatabase {
            persist: true,
            name: Some(dir.join("leases4.csv")),
            lfc_interval: 0,
        }
    }

    #[test]
    fn paths_per_shard() {
        let b = Path::new("/var/lib/x/leases4.xlog");
        assert_eq!(shard_log_path(b, 0), b);
        assert_eq!(shard_log_path(b, 3), Path::new("/var/lib/x/leases4.3.xlog"));
    }

    #[test]
    fn shard_count_changes_keep_every_lease_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(dir.path());
        let rt = runtime();
        let base = lease_log_path(&db).unwrap();
        // One shard writes 40 leases, then deletes lease 5 later.
        {
            let mut s = open_shards(&db, &rt, 1).unwrap();
            let recs: Vec<Record> = (0..40).map(|i| Record::Lease4(lease(i, 100))).collect();
            s[0].store.append(&recs).unwrap();
            s[0].store
                .append(&[Record::Delete4 {
                    address: lease(5, 0).address,
                    at: 200,
                }])
                .unwrap();
        }
        // Three shards: leases dealt by owner, each log holds exactly its shard's.
        let s = open_shards(&db, &rt, 3).unwrap();
        let total: usize = s.iter().map(|x| x.own.len()).sum();
        assert_eq!(total, 39);
        for (i, x) in s.iter().enumerate() {
            assert!(x.own.iter().all(|l| owner_of_lease(l, 3) == Some(i)));
            assert_eq!(x.foreign.len(), 39 - x.own.len());
            let on_disk = read_log(&shard_log_path(&base, i)).unwrap().leases;
            assert_eq!(on_disk.len(), x.own.len());
        }
        assert!(s.iter().all(|x| !x.own.is_empty()));
        drop(s);
        assert_eq!(existing_logs(&base).len(), 3);
        assert_eq!(read_all(&base).unwrap().unwrap().len(), 39);
        // Back to two: the third log is merged and removed.
        let s = open_shards(&db, &rt, 2).unwrap();
        assert_eq!(s.iter().map(|x| x.own.len()).sum::<usize>(), 39);
        drop(s);
        assert_eq!(existing_logs(&base).len(), 2);
        let all = read_all(&base).unwrap().unwrap();
        assert_eq!(all.len(), 39);
        assert!(!all.iter().any(|l| l.address == lease(5, 0).address));
    }

    #[test]
    fn a_newer_delete_in_one_log_beats_an_older_lease_in_another() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(dir.path());
        let rt = runtime();
        let base = lease_log_path(&db).unwrap();
        {
            let mut s = open_shards(&db, &rt, 2).unwrap();
            s[0].store.append(&[Record::Lease4(lease(1, 100))]).unwrap();
            s[1].store
                .append(&[Record::Delete4 {
                    address: lease(1, 0).address,
                    at: 150,
                }])
                .unwrap();
            s[1].store.append(&[Record::Lease4(lease(2, 100))]).unwrap();
        }
        let all = read_all(&base).unwrap().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].address, lease(2, 0).address);
        let s = open_shards(&db, &rt, 1).unwrap();
        assert_eq!(s[0].own.len(), 1);
        drop(s);
        assert_eq!(existing_logs(&base), vec![(0, base.clone())]);
    }
}
