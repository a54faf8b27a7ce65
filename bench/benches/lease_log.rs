//! The lease log: append throughput (single records, batches of 64 as the daemon writes
//! per receive batch, and batches of 64 followed by fdatasync) and replay of 100,000
//! records. Files go to a temp dir under `$XDHCP_BENCH_DIR` (default: the system temp
//! dir), so the disk measured is the one chosen. A fresh log is started every 100,000
//! records (untimed), so files stay small however long criterion runs.

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use xdhcp_bench::fixtures::{client_id, mac};
use xdhcp_storage::{Lease4, LeaseLog, LeaseState, Record, read_log};

const NOW: u64 = 1_800_000_000;
const RECORDS: usize = 100_000;
const BASE: u32 = u32::from_be_bytes([198, 18, 0, 10]);

fn dir() -> TempDir {
    match std::env::var_os("XDHCP_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("create temp dir")
}

/// 100,000 distinct leases as the server writes them (MAC, client-id, hostname).
fn records() -> Vec<Record> {
    (0..RECORDS as u32)
        .map(|i| {
            let m = mac(i);
            Record::Lease4(Lease4 {
                address: Ipv4Addr::from(BASE + i),
                hwaddr: m[..].into(),
                htype: 1,
                client_id: Some(client_id(&m)[..].into()),
                subnet_id: 1,
                valid_lifetime: 3600,
                cltt: NOW + u64::from(i / 1000),
                fqdn_fwd: false,
                fqdn_rev: false,
                hostname: format!("host-{i:08x}"),
                state: LeaseState::Default,
                user_context: None,
            })
        })
        .collect()
}

/// Appends `iters` records in slices of `batch`, from a fresh log every `RECORDS`
/// records; only the appends (and syncs) are timed.
fn append(dir: &Path, recs: &[Record], iters: u64, batch: usize, sync: bool) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    let mut file_no = 0u64;
    while left > 0 {
        let path: PathBuf = dir.join(format!("append-{file_no}.xlog"));
        file_no += 1;
        let (mut log, _) = LeaseLog::open(&path).expect("open lease log");
        let n = left.min(RECORDS / batch);
        let t = Instant::now();
        for chunk in recs.chunks_exact(batch).take(n) {
            black_box(log.append(black_box(chunk)).expect("append"));
            if sync {
                log.sync().expect("sync");
            }
        }
        total += t.elapsed();
        drop(log);
        std::fs::remove_file(&path).expect("remove log");
        left -= n;
    }
    total
}

fn bench(c: &mut Criterion) {
    let dir = dir();
    let recs = records();

    let mut g = c.benchmark_group("lease_log/append");
    for (name, batch, sync) in [
        ("single", 1usize, false),
        ("batch", 64, false),
        ("batch_fdatasync", 64, true),
    ] {
        g.throughput(Throughput::Elements(batch as u64));
        if sync {
            g.sample_size(20);
        }
        g.bench_function(BenchmarkId::new(name, batch), |b| {
            b.iter_custom(|iters| append(dir.path(), &recs, iters, batch, sync))
        });
    }
    g.finish();

    // A log of 100,000 records to replay.
    let path = dir.path().join("replay.xlog");
    {
        let (mut log, _) = LeaseLog::open(&path).expect("open lease log");
        for chunk in recs.chunks(1000) {
            log.append(chunk).expect("append");
        }
        log.sync().expect("sync");
    }
    let mut g = c.benchmark_group("lease_log/replay");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("records", RECORDS), |b| {
        b.iter(|| {
            let r = read_log(black_box(&path)).expect("replay");
            assert_eq!(r.leases.len(), RECORDS);
            black_box(r.records_read)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
