//! Append throughput and commit latency of a SegmentLog, group commit on and off.
//! `cargo run --release -p xdhcp-storage --example append_rate [DIR]`
//!
//! Modes (batches of BATCH records, like a shard loop handling a burst):
//! - off:    append only (WrittenBeforeReply, no fdatasync at all);
//! - group:  append, `commit_async` per batch, `poll_commits` (replies would be held
//!   until their seq is durable; syncs overlap with appends);
//! - sync:   append, blocking `commit` per batch (one fdatasync round trip per batch);
//! - paced:  group commit at a steady 64k records/s (a batch of 64 every millisecond),
//!   the latency a shard would add to replies under a realistic load.

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Instant;

use xdhcp_storage::{
    CommitBackend, Durability, Lease4, LeaseState, RecordRef, SegmentLog, SegmentOptions,
};

const BATCH: usize = 64;

fn lease(i: u32) -> Lease4 {
    Lease4 {
        address: Ipv4Addr::from(0x0a00_0000 + (i % 500_000)),
        hwaddr: [0x00, 0x16, 0x3e, (i >> 16) as u8, (i >> 8) as u8, i as u8].into(),
        htype: 1,
        client_id: Some(
            [
                1,
                0x00,
                0x16,
                0x3e,
                (i >> 16) as u8,
                (i >> 8) as u8,
                i as u8,
            ]
            .into(),
        ),
        subnet_id: 1,
        valid_lifetime: 3600,
        cltt: 1_700_000_000 + u64::from(i),
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        state: LeaseState::Default,
        user_context: None,
    }
}

fn run(dir: &Path, mode: &str, backend: CommitBackend, total: usize, leases: &[Lease4]) {
    let _ = std::fs::remove_dir_all(dir);
    let opts = SegmentOptions {
        durability: if mode == "off" {
            Durability::WrittenBeforeReply
        } else {
            Durability::DurableBeforeReply
        },
        commit_backend: backend,
        ..SegmentOptions::default()
    };
    let (mut log, _) = SegmentLog::open(dir, opts).expect("open");
    let t = Instant::now();
    let mut done = 0usize;
    let mut tick = Instant::now();
    while done < total {
        if mode == "paced" {
            tick += std::time::Duration::from_millis(1);
            while Instant::now() < tick {
                log.poll_commits().expect("poll");
                std::hint::spin_loop();
            }
        }
        let start = done % leases.len();
        let chunk = &leases[start..(start + BATCH).min(leases.len())];
        log.append_refs(chunk.iter().map(RecordRef::Lease4))
            .expect("append");
        done += chunk.len();
        match mode {
            "group" | "paced" => {
                log.commit_async().expect("commit_async");
                log.poll_commits().expect("poll");
            }
            "sync" => {
                log.commit().expect("commit");
            }
            _ => {}
        }
    }
    let appended = t.elapsed();
    let last = log.commit().expect("final commit");
    let all = t.elapsed();
    let s = log.commit_stats();
    println!(
        "{mode:5} backend={:8} records={done:>8} append {:>10.0} rec/s  until durable {:>10.0} rec/s  (last seq {})",
        s.backend,
        done as f64 / appended.as_secs_f64(),
        done as f64 / all.as_secs_f64(),
        last.0
    );
    if s.commits > 0 {
        println!(
            "      commits={} latency us: min {} avg {:.0} p50 {} p90 {} p99 {} p99.9 {} max {}",
            s.commits, s.min_us, s.avg_us, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us
        );
    }
}

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let base = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let leases: Vec<Lease4> = (0..100_000).map(lease).collect();
    let dir = base.join("rate");
    run(&dir, "off", CommitBackend::Auto, 4_000_000, &leases);
    for backend in [CommitBackend::Auto, CommitBackend::Thread] {
        run(&dir, "group", backend, 1_000_000, &leases);
        run(&dir, "sync", backend, 100_000, &leases);
        run(&dir, "paced", backend, 128_000, &leases);
    }
}
