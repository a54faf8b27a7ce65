//! One segmented lease log per shard: shard i writes `<base>.d/shard-<i>/` (`<base>`
//! being the `.xlog` path `lease-database` names, see `lease_log_path`). At start-up
//! every log is read and merged (deletes carry a time, so the newest record per address
//! wins): the shards' segment logs, logs of shard indexes that no longer exist, the
//! single-file logs of older xdhcp versions (`<base>`, `<base>.<i>.xlog`) and, at the
//! very first start, the Kea memfile CSV that `lease-database` names (with its LFC
//! siblings, loaded in Kea's order). Leases are dealt to the shards that own their
//! clients, and each shard whose log does not hold exactly its leases gets them written
//! as its new base (a compaction, synced). Only after every shard's base is durable are
//! the older files removed (never the Kea CSV, which is only read) and the `STARTED`
//! marker written. A change of the shard (queue) count is therefore safe in both
//! directions, and a crash at any point of start-up loses nothing.

use super::lease_store::{LeaseStore, StoreOptions, kea_csv_path, lease_log_path};
use crate::core::v4::{Partition, RuntimeV4, owner_of_lease};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Instant;
use xdhcp_config::LeaseDatabase;
use xdhcp_storage::kea_csv::{self, ImportOptions};
use xdhcp_storage::{
    Lease4, Lease6, Replay, SegmentLog, merge_replays, merge_replays6, read_log, read_segments,
};

/// Written into the segment root once a start-up finished: from then on the Kea CSV
/// file is never imported again.
const STARTED: &str = "STARTED";

/// The directory holding every shard's segment log: `<base>.d`.
pub fn segment_root(base: &Path) -> PathBuf {
    let mut s = base.as_os_str().to_os_string();
    s.push(".d");
    PathBuf::from(s)
}

/// The segment log directory of shard `index`.
pub fn shard_dir(base: &Path, index: usize) -> PathBuf {
    segment_root(base).join(format!("shard-{index}"))
}

/// Every existing shard segment log directory of `base`, as `(index, dir)`, by index.
pub fn existing_shard_dirs(base: &Path) -> Vec<(usize, PathBuf)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(segment_root(base)) {
        for e in rd.flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            if let Some(i) = f
                .strip_prefix("shard-")
                .and_then(|n| n.parse::<usize>().ok().filter(|i| n == i.to_string()))
                && e.path().is_dir()
            {
                out.push((i, e.path()));
            }
        }
    }
    out.sort();
    out
}

/// The single-file log (older format) of shard `index` for the base path `base`
/// (`x.xlog` → `x.<i>.xlog`).
pub fn shard_log_path(base: &Path, index: usize) -> PathBuf {
    if index == 0 {
        return base.to_path_buf();
    }
    let name = base.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".xlog").unwrap_or(&name);
    base.with_file_name(format!("{stem}.{index}.xlog"))
}

/// Every existing single-file log (older format) of `base`, as `(shard index, path)`,
/// sorted by index.
pub fn existing_logs(base: &Path) -> Vec<(usize, PathBuf)> {
    let mut out = Vec::new();
    if base.is_file() {
        out.push((0, base.to_path_buf()));
    }
    let name = base.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".xlog").unwrap_or(&name).to_string();
    let dir = parent_dir(base);
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

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn sync_dir(dir: &Path) -> Result<(), String> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot sync directory {}: {e}", dir.display()))
}

/// What start-up hands each shard.
pub struct ShardStart {
    pub store: LeaseStore,
    /// The leases of this shard's clients.
    pub own: Vec<Lease4>,
    /// The addresses other shards hold.
    pub foreign: Vec<Ipv4Addr>,
}

/// The Kea CSV file set `lease-database` names, loaded as Kea loads it, when this is
/// the first start-up (no xdhcp log of any kind yet).
fn import_kea_csv(db: &LeaseDatabase) -> Result<Option<Replay>, String> {
    let Some(csv) = kea_csv_path(db) else {
        return Ok(None);
    };
    let files = kea_csv::startup_files(&csv);
    if files.is_empty() {
        return Ok(None);
    }
    let t = Instant::now();
    let import = kea_csv::load_v4_files(&csv, &ImportOptions::default()).map_err(|e| {
        format!("cannot import the Kea lease file (fix or move it, then start again): {e}")
    })?;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    log::info!(
        "imported {} lease(s) from Kea memfile {} in {:.1} ms: {} row(s) read, {} delete \
         row(s), {} invalid row(s) skipped (the CSV file is left untouched)",
        import.leases.len(),
        names.join(" + "),
        t.elapsed().as_secs_f64() * 1000.0,
        import.rows,
        import.deletes,
        import.errors.len()
    );
    for e in import.errors.iter().take(20) {
        log::warn!(
            "Kea lease file {} line {}: {} (row skipped)",
            e.file.as_deref().unwrap_or(&csv).display(),
            e.line,
            e.reason
        );
    }
    Ok(Some(Replay {
        leases: import.leases,
        ..Replay::default()
    }))
}

/// Opens the logs of `count` shards, merging and redistributing what every existing log
/// holds (see the module comment).
pub fn open_shards(
    db: &LeaseDatabase,
    rt: &RuntimeV4,
    count: usize,
    opts: &StoreOptions,
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
    let root = segment_root(&base);
    let legacy = existing_logs(&base);
    let first_start = !root.join(STARTED).exists();
    let imported = if first_start && legacy.is_empty() {
        import_kea_csv(db)?
    } else {
        None
    };

    // Extra sources (read only): older single-file logs, shard indexes >= count, Kea CSV.
    let mut extra: Vec<Replay> = Vec::new();
    for (_, p) in &legacy {
        let replay = read_log(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if let Some(cut) = &replay.cut {
            log::warn!("lease log {}: {cut}", p.display());
        }
        log::info!(
            "lease log {} (older single-file format): {} lease(s), migrating",
            p.display(),
            replay.leases.len()
        );
        extra.push(replay);
    }
    let stale: Vec<PathBuf> = existing_shard_dirs(&base)
        .into_iter()
        .filter(|(i, _)| *i >= count)
        .map(|(_, p)| p)
        .collect();
    for p in &stale {
        let r = read_segments(p).map_err(|e| format!("{}: {e}", p.display()))?;
        extra.push(r.replay);
    }
    extra.extend(imported);

    let mut logs: Vec<SegmentLog> = Vec::with_capacity(count);
    let mut replays: Vec<Replay> = Vec::with_capacity(count + extra.len());
    for i in 0..count {
        let dir = shard_dir(&base, i);
        let (log, r) = SegmentLog::open(&dir, opts.segment.clone())
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        logs.push(log);
        replays.push(r.replay);
    }
    replays.extend(extra);
    let merged = if replays.len() == 1 {
        replays[0].leases.clone()
    } else {
        merge_replays(&replays)
    };
    // DHCPv6 records in these logs (none today) are kept: each shard keeps its own,
    // the ones of removed sources go to shard 0.
    let moved6: Vec<Lease6> = if replays.len() > count {
        merge_replays6(&replays[count..])
    } else {
        Vec::new()
    };
    let mut own: Vec<Vec<Lease4>> = vec![Vec::new(); count];
    for l in merged {
        let o = owner_of_lease(&l, count).unwrap_or_else(|| slice_owner(rt, count, l.address));
        own[o.min(count - 1)].push(l);
    }
    // A shard whose log holds exactly its leases keeps it as it is; any other gets its
    // leases written as its new base.
    let mut rewritten = 0;
    for (i, log) in logs.iter_mut().enumerate() {
        let mut v6 = replays[i].leases6.clone();
        if i == 0 && !moved6.is_empty() {
            v6 = merge_replays6(&[
                Replay {
                    leases6: v6,
                    ..Replay::default()
                },
                Replay {
                    leases6: moved6.clone(),
                    ..Replay::default()
                },
            ]);
        }
        if replays[i].leases == own[i] && v6 == replays[i].leases6 {
            continue;
        }
        let t = Instant::now();
        let report = log
            .begin_compaction()
            .and_then(|ticket| ticket.compact(&own[i], &v6))
            .map_err(|e| {
                format!(
                    "{}: cannot write the shard's leases: {e}",
                    log.dir().display()
                )
            })?;
        rewritten += 1;
        log::info!(
            "lease log {}: {} lease(s) written as its base in {:.1} ms ({} bytes)",
            log.dir().display(),
            report.leases,
            t.elapsed().as_secs_f64() * 1000.0,
            report.bytes
        );
    }
    // Every shard's leases are durable now: the sources merged into them can go.
    for (_, p) in &legacy {
        std::fs::remove_file(p)
            .map_err(|e| format!("cannot remove the migrated lease log {}: {e}", p.display()))?;
        log::info!(
            "lease log {} migrated into the segment logs of {count} shard(s) and removed",
            p.display()
        );
    }
    if !legacy.is_empty() {
        sync_dir(&parent_dir(&base))?;
    }
    for p in &stale {
        std::fs::remove_dir_all(p)
            .map_err(|e| format!("cannot remove the stale lease log {}: {e}", p.display()))?;
        log::info!(
            "lease log {} merged into the logs of {count} shard(s) and removed",
            p.display()
        );
    }
    if first_start || !stale.is_empty() {
        let marker = root.join(STARTED);
        std::fs::write(
            &marker,
            b"xdhcp lease logs; the Kea CSV file is not imported again\n",
        )
        .and_then(|()| std::fs::File::open(&marker)?.sync_all())
        .map_err(|e| format!("{}: {e}", marker.display()))?;
        sync_dir(&root)?;
    }
    if rewritten > 0 {
        log::info!("lease logs: {rewritten} of {count} shard log(s) rewritten at start-up");
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
            store: LeaseStore::with_log(log, &base, format!("shard {i}"), opts.window),
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

/// Every lease of every log of `base` (segment logs of every shard, and single-file
/// logs not migrated yet), merged; read only, so it works while the server runs.
/// `None` when there is no log at all.
pub fn read_all(base: &Path) -> Result<Option<Vec<Lease4>>, String> {
    let legacy = existing_logs(base);
    let dirs = existing_shard_dirs(base);
    if legacy.is_empty() && dirs.is_empty() {
        return Ok(None);
    }
    let mut replays = Vec::with_capacity(legacy.len() + dirs.len());
    for (_, p) in &legacy {
        replays.push(read_log(p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    for (_, d) in &dirs {
        replays.push(
            read_segments(d)
                .map_err(|e| format!("{}: {e}", d.display()))?
                .replay,
        );
    }
    Ok(Some(merge_replays(&replays)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xdhcp_storage::{LeaseLog, LeaseState, Record};

    fn runtime() -> RuntimeV4 {
        let text = r#"{ "Dhcp4": { "interfaces-config": { "interfaces": ["eth0"] },
            "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24",
                           "pools": [ { "pool": "192.0.2.10 - 192.0.2.209" } ] } ] } }"#;
        RuntimeV4::new(xdhcp_config::load_str(text, "t.json").unwrap().dhcp4)
    }

    fn opts() -> StoreOptions {
        let mut o = StoreOptions::default();
        o.segment.segment_size = 1 << 16;
        o
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
        assert_eq!(
            shard_dir(b, 3),
            Path::new("/var/lib/x/leases4.xlog.d/shard-3")
        );
    }

    #[test]
    fn shard_count_changes_keep_every_lease_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(dir.path());
        let rt = runtime();
        let base = lease_log_path(&db).unwrap();
        // One shard writes 40 leases, then deletes lease 5 later.
        {
            let mut s = open_shards(&db, &rt, 1, &opts()).unwrap();
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
        let s = open_shards(&db, &rt, 3, &opts()).unwrap();
        let total: usize = s.iter().map(|x| x.own.len()).sum();
        assert_eq!(total, 39);
        for (i, x) in s.iter().enumerate() {
            assert!(x.own.iter().all(|l| owner_of_lease(l, 3) == Some(i)));
            assert_eq!(x.foreign.len(), 39 - x.own.len());
            let on_disk = read_segments(&shard_dir(&base, i)).unwrap().replay.leases;
            assert_eq!(on_disk, x.own);
        }
        assert!(s.iter().all(|x| !x.own.is_empty()));
        drop(s);
        assert_eq!(existing_shard_dirs(&base).len(), 3);
        assert_eq!(read_all(&base).unwrap().unwrap().len(), 39);
        // Back to two: the third log is merged and removed.
        let s = open_shards(&db, &rt, 2, &opts()).unwrap();
        assert_eq!(s.iter().map(|x| x.own.len()).sum::<usize>(), 39);
        drop(s);
        assert_eq!(existing_shard_dirs(&base).len(), 2);
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
            let mut s = open_shards(&db, &rt, 2, &opts()).unwrap();
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
        let s = open_shards(&db, &rt, 1, &opts()).unwrap();
        assert_eq!(s[0].own.len(), 1);
        drop(s);
        assert_eq!(existing_shard_dirs(&base), vec![(0, shard_dir(&base, 0))]);
    }

    #[test]
    fn single_file_logs_are_migrated_then_removed() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(dir.path());
        let rt = runtime();
        let base = lease_log_path(&db).unwrap();
        {
            let (mut l0, _) = LeaseLog::open(&shard_log_path(&base, 0)).unwrap();
            let (mut l1, _) = LeaseLog::open(&shard_log_path(&base, 1)).unwrap();
            l0.append(&[Record::Lease4(lease(1, 100)), Record::Lease4(lease(2, 100))])
                .unwrap();
            l1.append(&[
                Record::Lease4(lease(3, 100)),
                Record::Delete4 {
                    address: lease(2, 0).address,
                    at: 120,
                },
            ])
            .unwrap();
        }
        // A Kea CSV beside them is not imported: xdhcp has logs already.
        std::fs::write(
            dir.path().join("leases4.csv"),
            format!(
                "{}\n192.0.2.99,02:00:00:00:00:99,,3600,4000,1,0,0,,0,,0\n",
                kea_csv::V4_HEADER
            ),
        )
        .unwrap();
        let s = open_shards(&db, &rt, 1, &opts()).unwrap();
        let got: Vec<Ipv4Addr> = s[0].own.iter().map(|l| l.address).collect();
        assert_eq!(got, vec![lease(1, 0).address, lease(3, 0).address]);
        drop(s);
        assert!(existing_logs(&base).is_empty(), "old logs not removed");
        assert_eq!(read_all(&base).unwrap().unwrap().len(), 2);
        assert!(dir.path().join("leases4.csv").exists());
    }

    #[test]
    fn kea_csv_is_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(dir.path());
        let rt = runtime();
        let base = lease_log_path(&db).unwrap();
        let csv = dir.path().join("leases4.csv");
        let text = format!(
            "{}\n192.0.2.20,02:00:00:00:00:01,,3600,4000,1,0,0,a,0,,0\n\
             192.0.2.21,02:00:00:00:00:02,,3600,4000,1,0,0,b,0,,0\n\
             bogus,row\n",
            kea_csv::V4_HEADER
        );
        std::fs::write(&csv, &text).unwrap();
        // An LFC sibling is loaded first (Kea's order): its row is superseded.
        std::fs::write(
            dir.path().join("leases4.csv.1"),
            format!(
                "{}\n192.0.2.20,02:00:00:00:00:01,,3600,3000,1,0,0,old,0,,0\n",
                kea_csv::V4_HEADER
            ),
        )
        .unwrap();
        let s = open_shards(&db, &rt, 2, &opts()).unwrap();
        let mut all: Vec<Lease4> = s.iter().flat_map(|x| x.own.clone()).collect();
        all.sort_by_key(|l| l.address);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].hostname, "a");
        drop(s);
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), text, "CSV modified");
        assert_eq!(read_all(&base).unwrap().unwrap(), all);
        // The server's own changes are never overridden by the CSV again.
        {
            let mut s = open_shards(&db, &rt, 1, &opts()).unwrap();
            s[0].store
                .append(&[Record::Delete4 {
                    address: all[0].address,
                    at: 5000,
                }])
                .unwrap();
        }
        let s = open_shards(&db, &rt, 1, &opts()).unwrap();
        assert_eq!(s[0].own.len(), 1);
    }
}
