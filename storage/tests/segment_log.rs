//! The segmented, memory-mapped log: round trips (v4 and v6), roll-over, recovery from
//! damage anywhere in any segment, group commit ordering, compaction while appending.

// `is_multiple_of` needs Rust 1.87+; keep the plain form like the other tests.
#![allow(clippy::manual_is_multiple_of)]

use std::collections::BTreeMap;
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use xdhcp_storage::{
    CommitBackend, CommittedUpTo, Durability, Lease4, Lease6, Lease6Type, LeaseLog, LeaseState,
    Record, RecordRef, SegmentLog, SegmentOptions, StorageError, read_log, read_segments,
};

const SMALL: u64 = 4096;

fn lease4(n: u32, cltt: u64) -> Lease4 {
    Lease4 {
        address: Ipv4Addr::from(0x0a00_0000 + n),
        hwaddr: vec![0, 0x16, 0x3e, 0, (n >> 8) as u8, n as u8].into(),
        htype: 1,
        client_id: (n % 3 != 0).then(|| vec![1, n as u8].into()),
        subnet_id: n % 7,
        valid_lifetime: 3600 + n,
        cltt,
        fqdn_fwd: n % 2 == 0,
        fqdn_rev: n % 4 == 0,
        hostname: if n % 5 == 0 {
            String::new()
        } else {
            format!("host-{n}.example.")
        },
        state: LeaseState::from_code((n % 4) as u8).unwrap(),
        user_context: (n % 2 == 1).then(|| format!(r#"{{"n":{n}}}"#)),
    }
}

fn lease6(n: u32, cltt: u64) -> Lease6 {
    let pd = n % 5 == 0;
    Lease6 {
        address: Ipv6Addr::from(
            0x2001_0db8_0000_0000_0000_0000_0000_0000u128
                + (u128::from(n) << if pd { 64 } else { 0 }),
        ),
        prefix_len: if pd { 64 } else { 128 },
        lease_type: if pd {
            Lease6Type::Pd
        } else if n % 7 == 0 {
            Lease6Type::Ta
        } else {
            Lease6Type::Na
        },
        duid: vec![0, 1, 0, 1, (n >> 8) as u8, n as u8, 9, 9, 9, 9].into(),
        iaid: n,
        subnet_id: 1 + n % 3,
        preferred_lifetime: 1800,
        valid_lifetime: 3600,
        cltt,
        fqdn_fwd: n % 2 == 0,
        fqdn_rev: false,
        hostname: format!("v6-{n}.example."),
        hwaddr: (n % 2 == 0).then(|| vec![2, 0, 0, 0, 0, n as u8].into()),
        htype: if n % 2 == 0 { 1 } else { 0 },
        hwaddr_source: if n % 2 == 0 { 4 } else { 0 },
        state: LeaseState::Default,
        user_context: (n % 3 == 0).then(|| "{ \"x\": 1 }".to_string()),
    }
}

fn del6(l: &Lease6, at: u64) -> Record {
    Record::Delete6 {
        address: l.address,
        prefix_len: l.prefix_len,
        lease_type: l.lease_type,
        at,
    }
}

/// What replay must produce: newest record per address (v4 and v6 separately).
fn model(records: &[Record]) -> (Vec<Lease4>, Vec<Lease6>) {
    let mut m4 = BTreeMap::new();
    let mut m6 = BTreeMap::new();
    for r in records {
        match r {
            Record::Lease4(l) => {
                m4.insert(u32::from(l.address), l.clone());
            }
            Record::Delete4 { address, .. } => {
                m4.remove(&u32::from(*address));
            }
            Record::Lease6(l) => {
                m6.insert(u128::from(l.address), l.clone());
            }
            Record::Delete6 { address, .. } => {
                m6.remove(&u128::from(*address));
            }
            _ => unreachable!(),
        }
    }
    (m4.into_values().collect(), m6.into_values().collect())
}

fn opts(size: u64) -> SegmentOptions {
    SegmentOptions {
        segment_size: size,
        ..SegmentOptions::default()
    }
}

fn mixed(n: u32) -> Vec<Record> {
    (0..n)
        .map(|i| match i % 6 {
            0..=2 => Record::Lease4(lease4(i % 40, u64::from(i))),
            3 => Record::Lease6(lease6(i % 30, u64::from(i))),
            4 => Record::Delete4 {
                address: lease4(i % 40, 0).address,
                at: u64::from(i),
            },
            _ => del6(&lease6((i + 3) % 30, 0), u64::from(i)),
        })
        .collect()
}

fn seg_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".xseg"))
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- round trips

fn arb_lease6() -> impl Strategy<Value = Lease6> {
    (
        (
            any::<u128>(),
            any::<u8>(),
            0u8..3,
            proptest::collection::vec(any::<u8>(), 1..40),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
        ),
        (
            any::<bool>(),
            any::<bool>(),
            ".{0,30}",
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
        ),
        (
            any::<u16>(),
            any::<u32>(),
            0u8..4,
            proptest::option::of(".{0,30}"),
        ),
    )
        .prop_map(
            |(
                (a, plen, t, duid),
                (iaid, sid, pref, valid, cltt),
                (fwd, rev, host, hw),
                (ht, src, st, ctx),
            )| Lease6 {
                address: Ipv6Addr::from(a % 16),
                prefix_len: plen,
                lease_type: Lease6Type::from_code(t).unwrap(),
                duid: duid.into(),
                iaid,
                subnet_id: sid,
                preferred_lifetime: pref,
                valid_lifetime: valid,
                cltt,
                fqdn_fwd: fwd,
                fqdn_rev: rev,
                hostname: host,
                hwaddr: hw.map(Into::into),
                htype: ht,
                hwaddr_source: src,
                state: LeaseState::from_code(st).unwrap(),
                user_context: ctx,
            },
        )
}

fn arb_record() -> impl Strategy<Value = Record> {
    prop_oneof![
        3 => (0u32..16, any::<u64>()).prop_map(|(n, c)| Record::Lease4(lease4(n, c))),
        1 => (0u32..16).prop_map(|n| Record::Delete4 { address: lease4(n, 0).address, at: u64::from(n) }),
        3 => arb_lease6().prop_map(Record::Lease6),
        1 => (0u128..16, any::<u8>()).prop_map(|(a, p)| Record::Delete6 {
            address: Ipv6Addr::from(a), prefix_len: p, lease_type: Lease6Type::Pd, at: 7 }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn v4_and_v6_records_round_trip_across_segments(
        records in proptest::collection::vec(arb_record(), 0..80),
        batch in 1usize..9,
    ) {
        let d = tempfile::tempdir().unwrap();
        let (mut log, replay) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
        prop_assert_eq!(replay.replay.records_read, 0);
        let mut last = 0;
        for chunk in records.chunks(batch) {
            last = log.append(chunk).unwrap();
        }
        prop_assert_eq!(last, records.len() as u64);
        drop(log);
        let (m4, m6) = model(&records);
        let ro = read_segments(d.path()).unwrap();
        prop_assert_eq!(&ro.replay.leases, &m4);
        prop_assert_eq!(&ro.replay.leases6, &m6);
        prop_assert_eq!(ro.replay.records_read, records.len() as u64);
        prop_assert!(ro.cuts.is_empty());
        let (log, rw) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
        prop_assert_eq!(&rw.replay, &ro.replay);
        prop_assert_eq!(log.next_seq(), records.len() as u64 + 1);
    }
}

#[test]
fn segments_roll_over_and_replay_in_order() {
    let d = tempfile::tempdir().unwrap();
    let (mut log, _) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    assert_eq!(log.position(), (1, 80));
    let records = mixed(600);
    for r in &records {
        log.append_one(r).unwrap();
    }
    let (seg, _) = log.position();
    assert!(
        seg > 5,
        "only {seg} segments for 600 records of 4 KiB segments"
    );
    // Every segment is preallocated to the configured size, plus one spare.
    let files = seg_files(d.path());
    assert_eq!(files.len() as u64, seg + 1);
    for f in &files {
        assert_eq!(fs::metadata(d.path().join(f)).unwrap().len(), SMALL);
    }
    log.commit().unwrap();
    drop(log);
    let (log, replay) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    assert!(replay.cuts.is_empty(), "{:?}", replay.cuts);
    assert_eq!(replay.segments as u64, seg);
    assert_eq!(replay.replay.records_read, 600);
    let (m4, m6) = model(&records);
    assert_eq!(replay.replay.leases, m4);
    assert_eq!(replay.replay.leases6, m6);
    assert_eq!(log.next_seq(), 601);
    assert_eq!(log.position().0, seg);
}

#[test]
fn too_large_records_are_refused_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    let (mut log, _) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    log.append_one(&Record::Lease4(lease4(1, 1))).unwrap();
    let pos = log.position();
    let mut big = lease6(2, 2);
    big.hostname = "h".repeat(5000); // fits the format, not a 4 KiB segment
    let err = log
        .append(&[Record::Lease4(lease4(3, 3)), Record::Lease6(big)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::RecordTooLarge6 {
                field: "record",
                ..
            }
        ),
        "{err}"
    );
    let mut wide = lease6(2, 2);
    wide.duid = vec![0; 70_000].into();
    let err = log.append_one(&Record::Lease6(wide)).unwrap_err();
    assert!(
        matches!(err, StorageError::RecordTooLarge6 { field: "duid", .. }),
        "{err}"
    );
    assert_eq!(log.position(), pos);
    assert_eq!(log.append_one(&Record::Lease4(lease4(4, 4))).unwrap(), 2);
}

#[test]
fn append_refs_borrows_from_the_table() {
    let d = tempfile::tempdir().unwrap();
    let (mut log, _) = SegmentLog::open(d.path(), opts(1 << 20)).unwrap();
    let table4: Vec<Lease4> = (0..10).map(|n| lease4(n, 5)).collect();
    let table6: Vec<Lease6> = (0..10).map(|n| lease6(n, 5)).collect();
    let seq = log
        .append_refs(
            table4
                .iter()
                .map(RecordRef::Lease4)
                .chain(table6.iter().map(RecordRef::Lease6))
                .chain(std::iter::once(RecordRef::Delete4 {
                    address: table4[0].address,
                    at: 9,
                })),
        )
        .unwrap();
    assert_eq!(seq, 21);
    drop(log);
    let r = read_segments(d.path()).unwrap();
    assert_eq!(r.replay.leases, table4[1..].to_vec());
    assert_eq!(r.replay.leases6.len(), 10);
    assert_eq!(r.replay.deleted, vec![(table4[0].address, 9)]);
}

// ---------------------------------------------------------------- recovery

/// Builds a log of `records` (one append each) and returns, per record, the segment
/// id and end offset it was written at.
fn build(dir: &Path, records: &[Record]) -> Vec<(u64, u64)> {
    let (mut log, _) = SegmentLog::open(dir, opts(SMALL)).unwrap();
    let mut ends = Vec::new();
    for r in records {
        log.append_one(r).unwrap();
        ends.push(log.position());
    }
    log.commit().unwrap();
    ends
}

#[derive(Debug, Clone)]
enum Damage {
    Flip { bit: u8 },
    Truncate,
    Zero { len: usize },
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        4 => (0u8..8).prop_map(|bit| Damage::Flip { bit }),
        1 => Just(Damage::Truncate),
        1 => (1usize..200).prop_map(|len| Damage::Zero { len }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Damage at a random offset of a random segment: replay keeps exactly the records
    /// that end before the damage, reports a cut, never panics; the repaired log takes
    /// new appends and replays cleanly.
    #[test]
    fn damage_anywhere_keeps_everything_before_and_nothing_after(
        seg_pick in any::<prop::sample::Index>(),
        off_pick in any::<prop::sample::Index>(),
        damage in arb_damage(),
    ) {
        let d = tempfile::tempdir().unwrap();
        let records = mixed(120);
        let ends = build(d.path(), &records);
        let last_seg = ends.last().unwrap().0;
        let seg = 1 + seg_pick.index(last_seg as usize) as u64;
        let path = d.path().join(format!("seg-{seg:016x}.xseg"));
        let mut bytes = fs::read(&path).unwrap();
        // Damage within the data region of the segment (up to the end of its records
        // or, for a flip, anywhere after the header: the zero tail is checked too).
        let used_end = ends.iter().filter(|e| e.0 == seg).map(|e| e.1).max().unwrap() as usize;
        let (off, kept) = match damage {
            Damage::Flip { bit } => {
                let off = 80 + off_pick.index(bytes.len() - 80);
                bytes[off] ^= 1 << bit;
                (off, None)
            }
            Damage::Truncate => {
                let off = 80 + off_pick.index(used_end - 80 + 1);
                bytes.truncate(off);
                // A cut exactly at a record boundary of the last segment is a clean end.
                (off, None)
            }
            Damage::Zero { len } => {
                let off = 80 + off_pick.index(used_end - 80);
                let end = (off + len).min(bytes.len());
                // Damage starts at the first byte that actually changes.
                let first = bytes[off..end].iter().position(|&b| b != 0);
                bytes[off..end].fill(0);
                match first {
                    Some(p) => (off + p, None),
                    None => (off, Some(records.len())),
                }
            }
        };
        fs::write(&path, &bytes).unwrap();
        let expect_kept = kept.unwrap_or_else(|| {
            ends.iter().filter(|&&(s, e)| s < seg || (s == seg && e as usize <= off)).count()
        });
        let (m4, m6) = model(&records[..expect_kept]);

        let ro = read_segments(d.path()).unwrap();
        prop_assert_eq!(fs::read(&path).unwrap(), bytes.clone(), "read_segments modified");
        prop_assert_eq!(ro.replay.records_read, expect_kept as u64);
        prop_assert_eq!(&ro.replay.leases, &m4);
        prop_assert_eq!(&ro.replay.leases6, &m6);
        // Losing the end of the last segment's data looks like records never written.
        let clean_truncate = seg == last_seg
            && match damage {
                Damage::Truncate => off == 80 || ends.iter().any(|&(s, e)| s == seg && e as usize == off),
                Damage::Zero { len } => off + len >= used_end,
                Damage::Flip { .. } => false,
            };
        if expect_kept < records.len() && !clean_truncate {
            let cut = ro.cuts.first().expect("damage must be reported");
            // A segment that ends cleanly but early shows as a seq gap at the next one.
            let next = d.path().join(format!("seg-{:016x}.xseg", seg + 1));
            prop_assert!(cut.segment == path || cut.segment == next, "{}", cut);
        }

        let (mut log, rw) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
        prop_assert_eq!(&rw.replay, &ro.replay);
        prop_assert_eq!(&rw.cuts, &ro.cuts);
        prop_assert_eq!(log.next_seq(), expect_kept as u64 + 1);
        log.append_one(&Record::Lease4(lease4(999, 1))).unwrap();
        log.commit().unwrap();
        drop(log);
        let again = read_segments(d.path()).unwrap();
        prop_assert!(again.cuts.is_empty(), "{:?}", again.cuts);
        prop_assert_eq!(again.replay.records_read, expect_kept as u64 + 1);
    }
}

#[test]
fn cut_report_names_segment_offset_bytes_and_reason() {
    let d = tempfile::tempdir().unwrap();
    let records = mixed(200);
    let ends = build(d.path(), &records);
    // Corrupt the 3rd record of segment 2.
    let in2: Vec<u64> = ends.iter().filter(|e| e.0 == 2).map(|e| e.1).collect();
    let start = in2[1];
    let path = d.path().join(format!("seg-{:016x}.xseg", 2));
    let mut bytes = fs::read(&path).unwrap();
    bytes[start as usize + 12] ^= 0xff;
    fs::write(&path, &bytes).unwrap();
    let r = read_segments(d.path()).unwrap();
    let cut = &r.cuts[0];
    assert_eq!(cut.segment, path);
    assert_eq!(cut.offset, start);
    // Up to the last non-zero byte: the last record may end in zero bytes.
    let used = *in2.last().unwrap() - start;
    assert!(
        cut.bytes_cut <= used && cut.bytes_cut + 8 > used,
        "{cut} vs {used}"
    );
    assert!(cut.reason.contains("checksum mismatch"), "{cut}");
    assert!(
        cut.to_string().contains("seg-0000000000000002.xseg: cut"),
        "{cut}"
    );
    // Every later segment is reported as untrusted.
    let last_seg = ends.last().unwrap().0;
    assert_eq!(r.cuts.len() as u64, 1 + (last_seg - 2));
    assert!(r.cuts[1..].iter().all(|c| c.reason.contains("not trusted")));
    let kept = ends.iter().filter(|e| e.0 == 1).count() + 2;
    assert_eq!(r.replay.records_read, kept as u64);
    // The writable open repairs: later segments are gone, new records follow.
    let (mut log, _) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    assert_eq!(log.position(), (2, start));
    assert_eq!(
        log.append_one(&Record::Lease4(lease4(1, 1))).unwrap(),
        kept as u64 + 1
    );
    assert_eq!(seg_files(d.path()).len(), 3, "{:?}", seg_files(d.path()));
}

#[test]
fn lost_segment_in_the_middle_is_a_cut() {
    let d = tempfile::tempdir().unwrap();
    let records = mixed(300);
    let ends = build(d.path(), &records);
    fs::remove_file(d.path().join(format!("seg-{:016x}.xseg", 3))).unwrap();
    let r = read_segments(d.path()).unwrap();
    let kept = ends.iter().filter(|e| e.0 < 3).count();
    assert_eq!(r.replay.records_read, kept as u64);
    assert!(
        r.cuts[0].reason.contains("segment ids jump"),
        "{:?}",
        r.cuts
    );
}

#[test]
fn damaged_or_newer_segment_header_is_refused_untouched() {
    let d = tempfile::tempdir().unwrap();
    build(d.path(), &mixed(50));
    let path = d.path().join(format!("seg-{:016x}.xseg", 1));
    let orig = fs::read(&path).unwrap();
    for (at, val) in [(20usize, 0x55u8), (8, 3), (0, b'Y')] {
        let mut b = orig.clone();
        b[at] = val;
        fs::write(&path, &b).unwrap();
        let err = SegmentLog::open(d.path(), opts(SMALL)).unwrap_err();
        assert!(
            matches!(
                err,
                StorageError::CorruptHeader { .. }
                    | StorageError::UnsupportedVersion { version: 3, .. }
                    | StorageError::NotALeaseLog { .. }
            ),
            "{err}"
        );
        assert!(read_segments(d.path()).is_err());
        assert_eq!(fs::read(&path).unwrap(), b);
    }
}

#[test]
fn one_writer_per_directory_and_lease_log_refuses_segments() {
    let d = tempfile::tempdir().unwrap();
    let (_log, _) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    let err = SegmentLog::open(d.path(), opts(SMALL)).unwrap_err();
    assert!(matches!(err, StorageError::Locked { .. }), "{err}");
    let seg = d.path().join(format!("seg-{:016x}.xseg", 1));
    let before = fs::read(&seg).unwrap();
    let err = LeaseLog::open(&seg).unwrap_err();
    assert!(matches!(err, StorageError::SegmentFile { .. }), "{err}");
    assert_eq!(fs::read(&seg).unwrap(), before);
    let err = SegmentLog::open(d.path(), opts(100)).unwrap_err();
    assert!(matches!(err, StorageError::InvalidOptions { .. }), "{err}");
}

#[test]
fn lease_log_takes_v6_records_and_upgrades_its_header() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("leases.log");
    let (mut log, _) = LeaseLog::open(&path).unwrap();
    log.append_one(&Record::Lease4(lease4(1, 1))).unwrap();
    assert_eq!(log.header().format_version, 1);
    log.append(&[
        Record::Lease6(lease6(1, 1)),
        Record::Lease6(lease6(2, 1)),
        del6(&lease6(2, 0), 5),
    ])
    .unwrap();
    assert_eq!(log.header().format_version, 2);
    drop(log);
    let r = read_log(&path).unwrap();
    assert_eq!(r.leases, vec![lease4(1, 1)]);
    assert_eq!(r.leases6, vec![lease6(1, 1)]);
    assert_eq!(r.deleted6, vec![(lease6(2, 0).address, 5)]);
    let (log, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(log.header().format_version, 2);
    assert_eq!(replay, r);
}

// ---------------------------------------------------------------- group commit

fn wait_commit(log: &mut SegmentLog) -> CommittedUpTo {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(c) = log.poll_commits().unwrap() {
            return c;
        }
        assert!(Instant::now() < deadline, "commit never completed");
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn nothing_is_reported_durable_before_its_fdatasync_ran_and_order_is_kept() {
    let gate = Arc::new(xdhcp_storage::__SyncGate::default());
    let d = tempfile::tempdir().unwrap();
    let o = SegmentOptions {
        segment_size: SMALL,
        commit_backend: CommitBackend::Thread,
        sync_gate: Some(Arc::clone(&gate)),
        ..SegmentOptions::default()
    };
    let (mut log, _) = SegmentLog::open(d.path(), o).unwrap();
    assert_eq!(log.commit_stats().backend, "thread");
    assert_eq!(log.commit_async().unwrap(), None, "nothing appended");
    log.append(&mixed(3)).unwrap();
    assert_eq!(log.commit_async().unwrap(), Some(3));
    assert_eq!(log.commit_async().unwrap(), None, "already requested");
    log.append(&mixed(40)).unwrap(); // rolls: two segments in the next commit
    assert_eq!(log.commit_async().unwrap(), Some(43));
    // The helper cannot sync: nothing may be reported, however often we ask.
    for _ in 0..50 {
        assert_eq!(log.poll_commits().unwrap(), None);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(log.durable_seq(), 0);
    assert_eq!(log.reply_ready_upto(), 0);
    assert_eq!(log.written_seq(), 43);
    gate.release(1);
    assert_eq!(wait_commit(&mut log), CommittedUpTo(3));
    assert_eq!(log.reply_ready_upto(), 3);
    for _ in 0..20 {
        assert_eq!(log.poll_commits().unwrap(), None);
    }
    gate.release(1);
    assert_eq!(wait_commit(&mut log), CommittedUpTo(43));
    gate.release(100);
    log.append(&mixed(2)).unwrap();
    assert_eq!(log.commit().unwrap(), CommittedUpTo(45));
    let s = log.commit_stats();
    assert_eq!(s.commits, 3);
    assert!(s.min_us <= s.max_us);
}

#[test]
fn written_before_reply_lets_replies_go_at_append() {
    let d = tempfile::tempdir().unwrap();
    let o = SegmentOptions {
        durability: Durability::WrittenBeforeReply,
        ..opts(SMALL)
    };
    let (mut log, _) = SegmentLog::open(d.path(), o).unwrap();
    log.append(&mixed(5)).unwrap();
    assert_eq!(log.reply_ready_upto(), 5);
    assert_eq!(log.durability(), Durability::WrittenBeforeReply);
}

#[test]
fn default_backend_reports_commits_in_order() {
    let d = tempfile::tempdir().unwrap();
    let (mut log, _) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    eprintln!("commit backend here: {}", log.commit_stats().backend);
    let mut requested = Vec::new();
    let mut seen = Vec::new();
    for i in 0..200u32 {
        log.append_one(&Record::Lease4(lease4(i % 50, u64::from(i))))
            .unwrap();
        if i % 7 == 0 {
            requested.push(log.commit_async().unwrap().unwrap());
        }
        if let Some(c) = log.poll_commits().unwrap() {
            seen.push(c.0);
        }
    }
    let last = log.commit().unwrap().0;
    assert_eq!(last, 200);
    seen.push(last);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    // Each report is a seq some commit covered (or the final blocking one).
    assert!(
        seen.iter().all(|s| requested.contains(s) || *s == 200),
        "{seen:?} {requested:?}"
    );
    assert!(log.commit_stats().commits >= 1);
}

// ---------------------------------------------------------------- compaction

#[test]
fn compaction_while_appending_from_another_thread() {
    let d = tempfile::tempdir().unwrap();
    let (mut log, _) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    let mut all: Vec<Record> = Vec::new();
    let push = |log: &mut SegmentLog, all: &mut Vec<Record>, r: Record| {
        log.append_one(&r).unwrap();
        all.push(r);
    };
    for i in 0..1500u32 {
        push(
            &mut log,
            &mut all,
            Record::Lease4(lease4(i % 100, u64::from(i))),
        );
        if i % 4 == 0 {
            push(
                &mut log,
                &mut all,
                Record::Lease6(lease6(i % 60, u64::from(i))),
            );
        }
        if i % 9 == 0 {
            push(
                &mut log,
                &mut all,
                Record::Delete4 {
                    address: lease4((i + 50) % 100, 0).address,
                    at: 1,
                },
            );
        }
    }
    for round in 0..2u32 {
        let before = seg_files(d.path()).len();
        let ticket = log.begin_compaction().unwrap();
        assert_eq!(ticket.covered_upto(), all.len() as u64);
        assert!(matches!(
            log.begin_compaction(),
            Err(StorageError::CompactionInProgress { .. })
        ));
        let side = std::thread::spawn(move || ticket.compact_covered().unwrap());
        // The shard keeps appending (and rolling) while the side thread compacts.
        let mut i = 0u32;
        while !side.is_finished() || i < 300 {
            let n = 2000 + round * 1000 + i;
            push(
                &mut log,
                &mut all,
                Record::Lease4(lease4(n % 130, u64::from(n))),
            );
            if i % 5 == 0 {
                push(&mut log, &mut all, del6(&lease6(n % 60, 0), 2));
            }
            if i % 50 == 0 {
                log.commit_async().unwrap();
                log.poll_commits().unwrap();
            }
            i += 1;
        }
        let report = side.join().unwrap();
        assert_eq!(report.generation, u64::from(round) + 1);
        assert!(!report.segments.is_empty());
        assert!(!report.removed.is_empty());
        assert!(seg_files(d.path()).len() < before + 40);
    }
    log.commit().unwrap();
    drop(log);
    let (m4, m6) = model(&all);
    let r = read_segments(d.path()).unwrap();
    assert!(r.cuts.is_empty(), "{:?}", r.cuts);
    assert_eq!(r.replay.leases, m4);
    assert_eq!(r.replay.leases6, m6);
    let (log, rw) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    assert_eq!(rw.replay, r.replay);
    assert_eq!(log.next_seq(), all.len() as u64 + 1);
}

#[test]
fn interrupted_compaction_leaves_the_old_state_and_garbage_is_removed() {
    let d = tempfile::tempdir().unwrap();
    let records = mixed(400);
    build(d.path(), &records);
    // A crash mid-compaction leaves unreferenced base files and a manifest tmp.
    fs::write(
        d.path().join("base-0000000000000001-000000.xseg"),
        b"partial",
    )
    .unwrap();
    fs::write(d.path().join("MANIFEST.tmp"), b"partial").unwrap();
    let (mut log, r) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    assert!(r.cuts.is_empty());
    assert_eq!(r.replay.records_read, 400);
    assert!(!d.path().join("MANIFEST.tmp").exists());
    assert!(!d.path().join("base-0000000000000001-000000.xseg").exists());
    // A ticket dropped without compacting changes nothing.
    let t = log.begin_compaction().unwrap();
    drop(t);
    let t = log.begin_compaction().unwrap();
    let rep = t.compact_covered().unwrap();
    assert_eq!(rep.generation, 1);
    drop(log);
    let (m4, m6) = model(&records);
    let (_, r) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    assert_eq!(r.replay.leases, m4);
    assert_eq!(r.replay.leases6, m6);
    assert_eq!(r.replay.records_read as usize, m4.len() + m6.len());
}

#[test]
fn compaction_with_a_caller_snapshot() {
    let d = tempfile::tempdir().unwrap();
    let (mut log, _) = SegmentLog::open(d.path(), opts(SMALL)).unwrap();
    let records = mixed(500);
    log.append(&records).unwrap();
    let ticket = log.begin_compaction().unwrap();
    let (m4, m6) = model(&records);
    let rep = ticket.compact(&m4, &m6).unwrap();
    assert_eq!(rep.leases, m4.len() + m6.len());
    assert_eq!(rep.covered_upto, 500);
    log.append_one(&Record::Lease4(lease4(7, 7))).unwrap();
    drop(log);
    let r = read_segments(d.path()).unwrap();
    let mut all = records.clone();
    all.push(Record::Lease4(lease4(7, 7)));
    assert_eq!((r.replay.leases, r.replay.leases6), model(&all));
}

// ---------------------------------------------------------------- scale

#[test]
fn a_million_leases_recover() {
    let d = tempfile::tempdir().unwrap();
    let n = 1_000_000u32;
    {
        let (mut log, _) = SegmentLog::open(d.path(), SegmentOptions::default()).unwrap();
        let mut batch = Vec::with_capacity(1000);
        for i in 0..n {
            batch.push(lease4(i, u64::from(i)));
            if batch.len() == 1000 {
                log.append_refs(batch.iter().map(RecordRef::Lease4))
                    .unwrap();
                batch.clear();
            }
        }
        log.commit().unwrap();
    }
    let t = Instant::now();
    let (log, r) = SegmentLog::open(d.path(), SegmentOptions::default()).unwrap();
    eprintln!(
        "recovered {} leases from {} segments in {:?} (debug build)",
        r.replay.leases.len(),
        r.segments,
        t.elapsed()
    );
    assert!(r.cuts.is_empty());
    assert_eq!(r.replay.leases.len(), n as usize);
    assert_eq!(log.next_seq(), u64::from(n) + 1);
    for i in [0u32, 1, 4999, 777_777, n - 1] {
        assert_eq!(r.replay.leases[i as usize], lease4(i, u64::from(i)));
    }
}

/// Regression: a blocking commit while a coalesced commit waits for the one in flight
/// must submit it, not wait forever.
#[test]
fn blocking_commit_after_coalesced_requests_returns() {
    for backend in [CommitBackend::Auto, CommitBackend::Thread] {
        let d = tempfile::tempdir().unwrap();
        let o = SegmentOptions {
            commit_backend: backend,
            ..opts(SMALL)
        };
        let (mut log, _) = SegmentLog::open(d.path(), o).unwrap();
        for i in 0..50u32 {
            log.append(&mixed(3 + i % 5)).unwrap();
            log.commit_async().unwrap();
            if i % 3 == 0 {
                log.poll_commits().unwrap();
            }
        }
        let w = log.written_seq();
        assert_eq!(log.commit().unwrap(), CommittedUpTo(w));
        assert_eq!(log.durable_seq(), w);
    }
}
