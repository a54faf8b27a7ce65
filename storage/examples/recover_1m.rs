//! Writes 1M DHCPv4 leases into a SegmentLog and times recovery (open + replay).
//! `cargo run --release -p xdhcp-storage --example recover_1m [DIR]`

use std::net::Ipv4Addr;
use std::time::Instant;

use xdhcp_storage::{Lease4, LeaseState, RecordRef, SegmentLog, SegmentOptions, read_segments};

fn lease(i: u32) -> Lease4 {
    Lease4 {
        address: Ipv4Addr::from(0x0a00_0000 + i),
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
        subnet_id: 1 + i % 16,
        valid_lifetime: 3600,
        cltt: 1_700_000_000 + u64::from(i),
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: format!("host-{i}.example.org."),
        state: LeaseState::Default,
        user_context: None,
    }
}

fn main() {
    let n: u32 = 1_000_000;
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("shard0"));
    let leases: Vec<Lease4> = (0..n).map(lease).collect();

    let t = Instant::now();
    {
        let (mut log, _) = SegmentLog::open(&dir, SegmentOptions::default()).expect("open");
        for chunk in leases.chunks(256) {
            log.append_refs(chunk.iter().map(RecordRef::Lease4))
                .expect("append");
        }
        log.commit().expect("commit");
    }
    let write = t.elapsed();
    let bytes: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".xseg"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    println!(
        "wrote {n} leases in {write:?} ({:.0} leases/s, incl. final fdatasync); {} MiB of segments (preallocated)",
        f64::from(n) / write.as_secs_f64(),
        bytes >> 20
    );

    // Drop the page cache's advantage as far as we can without root tricks: this is a
    // warm-cache recovery (the common restart case).
    let t = Instant::now();
    let (log, replay) = SegmentLog::open(&dir, SegmentOptions::default()).expect("reopen");
    let open = t.elapsed();
    assert_eq!(replay.replay.leases.len(), n as usize);
    assert!(replay.cuts.is_empty());
    println!(
        "recovery (SegmentLog::open, warm page cache): {open:?} for {} leases from {} segments ({:.0} leases/s)",
        replay.replay.leases.len(),
        replay.segments,
        f64::from(n) / open.as_secs_f64()
    );
    drop(log);
    let t = Instant::now();
    let ro = read_segments(&dir).expect("read");
    println!("read_segments (read-only): {:?}", t.elapsed());
    assert_eq!(ro.replay.leases.len(), n as usize);

    // Compaction of the same set, then recovery from the compacted base.
    let (mut log, _) = SegmentLog::open(&dir, SegmentOptions::default()).expect("reopen");
    let t = Instant::now();
    let ticket = log.begin_compaction().expect("begin");
    let rep = ticket.compact(&ro.replay.leases, &[]).expect("compact");
    println!(
        "compaction of {} leases: {:?} ({} MiB base)",
        rep.leases,
        t.elapsed(),
        rep.bytes >> 20
    );
    drop(log);
    let t = Instant::now();
    let (_, r) = SegmentLog::open(&dir, SegmentOptions::default()).expect("reopen");
    println!("recovery after compaction: {:?}", t.elapsed());
    assert_eq!(r.replay.leases.len(), n as usize);
}
