//! Behaviour of the lease log on disk: round trips, replay semantics and
//! recovery from torn or corrupted files.

// `is_multiple_of` needs Rust 1.87; the workspace targets 1.85.
#![allow(clippy::manual_is_multiple_of)]

use std::collections::BTreeMap;
use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use xdhcp_storage::{
    FORMAT_VERSION, Lease4, LeaseLog, LeaseState, MAX_RECORD_BODY, Record, Replay, StorageError,
    merge_replays, read_log,
};

const HEADER_LEN: u64 = 64;

fn lease(n: u32) -> Lease4 {
    Lease4 {
        address: Ipv4Addr::from(0x0a00_0000 + n),
        hwaddr: vec![0, 0x16, 0x3e, 0, (n >> 8) as u8, n as u8].into(),
        htype: 1,
        client_id: if n % 3 == 0 {
            None
        } else {
            Some(vec![1, n as u8].into())
        },
        subnet_id: n % 7,
        valid_lifetime: 3600 + n,
        cltt: 1_700_000_000 + u64::from(n),
        fqdn_fwd: n % 2 == 0,
        fqdn_rev: n % 4 == 0,
        hostname: if n % 5 == 0 {
            String::new()
        } else {
            format!("host-{n}.example.")
        },
        state: LeaseState::from_code((n % 4) as u8).unwrap(),
        user_context: if n % 2 == 0 {
            None
        } else {
            Some(format!(r#"{{"n":{n}}}"#))
        },
    }
}

fn del(n: u32) -> Record {
    Record::Delete4 {
        address: Ipv4Addr::from(0x0a00_0000 + n),
        at: u64::from(n),
    }
}

/// Reference model: what replay of `records` must produce.
fn model(records: &[Record]) -> Vec<Lease4> {
    let mut m = BTreeMap::new();
    for r in records {
        match r {
            Record::Lease4(l) => {
                m.insert(u32::from(l.address), l.clone());
            }
            Record::Delete4 { address, .. } => {
                m.remove(&u32::from(*address));
            }
            _ => unreachable!(),
        }
    }
    m.into_values().collect()
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `records` one append each; returns the file bytes and the end
/// offset of every record.
fn build(path: &Path, records: &[Record]) -> (Vec<u8>, Vec<u64>) {
    let (mut log, replay) = LeaseLog::open(path).unwrap();
    assert_eq!(replay, Replay::default());
    let mut ends = Vec::new();
    for r in records {
        log.append_one(r).unwrap();
        ends.push(log.file_len());
    }
    drop(log);
    let bytes = fs::read(path).unwrap();
    assert_eq!(bytes.len() as u64, *ends.last().unwrap_or(&HEADER_LEN));
    (bytes, ends)
}

fn small_log() -> Vec<Record> {
    vec![
        Record::Lease4(lease(1)),
        Record::Lease4(lease(2)),
        Record::Lease4(lease(3)),
        del(2),
        Record::Lease4(Lease4 {
            hostname: "renamed".into(),
            ..lease(1)
        }),
        Record::Lease4(lease(4)),
    ]
}

// ---------------------------------------------------------------- round trip

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => Just(Vec::new()),
        1 => Just(vec![0xa5; u16::MAX as usize]),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => ".{0,40}",
        1 => Just(String::new()),
        1 => Just("h".repeat(u16::MAX as usize)),
    ]
}

fn arb_state() -> impl Strategy<Value = LeaseState> {
    prop_oneof![
        Just(LeaseState::Default),
        Just(LeaseState::Declined),
        Just(LeaseState::ExpiredReclaimed),
        Just(LeaseState::Released),
    ]
}

prop_compose! {
    /// Addresses from a small range so updates of the same address happen.
    fn arb_lease()(
        addr in prop_oneof![0u32..16, any::<u32>()],
        hwaddr in arb_bytes(),
        htype in any::<u8>(),
        client_id in proptest::option::of(arb_bytes()),
        subnet_id in any::<u32>(),
        valid_lifetime in any::<u32>(),
        cltt in any::<u64>(),
        fqdn_fwd in any::<bool>(),
        fqdn_rev in any::<bool>(),
        hostname in arb_string(),
        state in arb_state(),
        user_context in proptest::option::of(arb_string()),
    ) -> Lease4 {
        Lease4 {
            address: Ipv4Addr::from(addr),
            hwaddr: hwaddr.into(), htype, client_id: client_id.map(Into::into), subnet_id, valid_lifetime, cltt,
            fqdn_fwd, fqdn_rev, hostname, state, user_context,
        }
    }
}

fn arb_record() -> impl Strategy<Value = Record> {
    prop_oneof![
        4 => arb_lease().prop_map(Record::Lease4),
        1 => (0u32..16).prop_map(|a| Record::Delete4 { address: Ipv4Addr::from(a), at: u64::from(a) }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_records_round_trip(
        records in proptest::collection::vec(arb_record(), 0..12),
        batched in any::<bool>(),
    ) {
        let d = dir();
        let path = d.path().join("leases.log");
        let (mut log, _) = LeaseLog::open(&path).unwrap();
        if batched {
            let last = log.append(&records).unwrap();
            prop_assert_eq!(last, records.len() as u64);
        } else {
            for (i, r) in records.iter().enumerate() {
                prop_assert_eq!(log.append_one(r).unwrap(), i as u64 + 1);
            }
        }
        drop(log);
        let expected = model(&records);
        let ro = read_log(&path).unwrap();
        prop_assert_eq!(&ro.leases, &expected);
        prop_assert_eq!(ro.records_read, records.len() as u64);
        prop_assert_eq!(&ro.cut, &None);
        let (log, replay) = LeaseLog::open(&path).unwrap();
        prop_assert_eq!(replay, ro);
        prop_assert_eq!(log.next_seq(), records.len() as u64 + 1);
    }
}

#[test]
fn maximum_size_lease_round_trips() {
    let d = dir();
    let path = d.path().join("leases.log");
    let big16 = vec![0xee; u16::MAX as usize];
    let mut l = Lease4 {
        address: Ipv4Addr::BROADCAST,
        hwaddr: big16.clone().into(),
        htype: u8::MAX,
        client_id: Some(big16.clone().into()),
        subnet_id: u32::MAX,
        valid_lifetime: u32::MAX,
        cltt: u64::MAX,
        fqdn_fwd: true,
        fqdn_rev: true,
        hostname: "é".repeat(u16::MAX as usize / 2),
        state: LeaseState::Released,
        user_context: Some(String::new()),
    };
    // Fill the record to exactly MAX_RECORD_BODY.
    let used = 9 + 1 + 4 + 3 + 4 + 4 + 8 + (2 + 65535) * 2 + 2 + l.hostname.len() + 4;
    l.user_context = Some("x".repeat(MAX_RECORD_BODY - used));
    assert_eq!(l.expire(), u64::MAX);

    let (mut log, _) = LeaseLog::open(&path).unwrap();
    log.append_one(&Record::Lease4(l.clone())).unwrap();
    assert_eq!(log.file_len(), HEADER_LEN + 8 + MAX_RECORD_BODY as u64);

    // One byte more does not fit: error, nothing written, log still usable.
    let mut too_big = l.clone();
    too_big.user_context.as_mut().unwrap().push('x');
    let before = log.file_len();
    let err = log
        .append(&[Record::Lease4(lease(1)), Record::Lease4(too_big)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::RecordTooLarge {
                field: "record",
                ..
            }
        ),
        "{err}"
    );
    let mut wide = lease(1);
    wide.hwaddr = vec![0; 65536].into();
    let err = log.append_one(&Record::Lease4(wide)).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::RecordTooLarge {
                field: "hwaddr",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(log.file_len(), before);
    assert_eq!(log.append_one(&Record::Lease4(lease(1))).unwrap(), 2);
    drop(log);

    let (_, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay.leases, vec![lease(1), l]);
    assert_eq!(replay.cut, None);
}

// ---------------------------------------------------------- replay semantics

#[test]
fn replay_semantics() {
    let d = dir();
    let path = d.path().join("leases.log");
    let updated = Lease4 {
        valid_lifetime: 7,
        state: LeaseState::Declined,
        hwaddr: Default::default(),
        ..lease(1)
    };
    let records = vec![
        Record::Lease4(lease(1)),
        Record::Lease4(lease(2)),
        Record::Lease4(lease(3)),
        Record::Lease4(updated.clone()), // update replaces
        del(2),                          // delete removes
        del(9),                          // delete of unknown address is harmless
        del(3),
        Record::Lease4(lease(3)), // re-added after delete
    ];
    let (mut log, _) = LeaseLog::open(&path).unwrap();
    assert_eq!(log.append(&records[..3]).unwrap(), 3);
    assert_eq!(log.append(&[]).unwrap(), 3);
    assert_eq!(log.append(&records[3..]).unwrap(), 8);
    drop(log);

    let (mut log, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay.records_read, 8);
    assert_eq!(replay.cut, None);
    assert_eq!(replay.leases, vec![updated, lease(3)]);
    assert_eq!(replay.leases, model(&records));
    // Sequence numbers continue after reopen.
    assert_eq!(log.append_one(&del(1)).unwrap(), 9);
    drop(log);
    assert_eq!(read_log(&path).unwrap().leases, vec![lease(3)]);
}

// ------------------------------------------------------------ damaged files

#[test]
fn torn_tail_at_every_offset() {
    let d = dir();
    let src = d.path().join("src.log");
    let records = small_log();
    let (bytes, ends) = build(&src, &records);
    let extra = Record::Lease4(lease(99));

    for t in 0..=bytes.len() {
        let path = d.path().join(format!("t{t}.log"));
        fs::write(&path, &bytes[..t]).unwrap();
        let t64 = t as u64;
        let k = ends.iter().filter(|&&e| e <= t64).count();
        let good_end = if k == 0 { HEADER_LEN } else { ends[k - 1] };
        let clean = t == 0 || t64 == HEADER_LEN || ends.contains(&t64);

        // Read-only replay reports but does not modify.
        let ro = read_log(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().len(),
            t64,
            "read_log modified t={t}"
        );
        assert_eq!(ro.records_read, k as u64, "t={t}");
        assert_eq!(ro.leases, model(&records[..k]), "t={t}");
        assert_eq!(ro.cut.is_none(), clean, "t={t}: {:?}", ro.cut);

        let (mut log, replay) = LeaseLog::open(&path).unwrap();
        assert_eq!(replay, ro, "t={t}");
        if let Some(cut) = &replay.cut {
            let offset = if t64 < HEADER_LEN { 0 } else { good_end };
            assert_eq!(cut.offset, offset, "t={t}");
            assert_eq!(cut.bytes_cut, t64 - offset, "t={t}");
        }
        assert_eq!(fs::metadata(&path).unwrap().len(), good_end, "t={t}");
        assert_eq!(log.file_len(), good_end);

        assert_eq!(log.append_one(&extra).unwrap(), k as u64 + 1);
        drop(log);
        let (_, again) = LeaseLog::open(&path).unwrap();
        let mut expect: Vec<Record> = records[..k].to_vec();
        expect.push(extra.clone());
        assert_eq!(again.cut, None, "t={t}");
        assert_eq!(again.records_read, k as u64 + 1, "t={t}");
        assert_eq!(again.leases, model(&expect), "t={t}");
        fs::remove_file(&path).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn bit_flip_in_records_cuts_at_damaged_record(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let d = dir();
        let path = d.path().join("leases.log");
        let records = small_log();
        let (mut bytes, ends) = build(&path, &records);
        let at = HEADER_LEN as usize + pos.index(bytes.len() - HEADER_LEN as usize);
        bytes[at] ^= 1 << bit;
        fs::write(&path, &bytes).unwrap();

        // Index of the damaged record and where it starts.
        let idx = ends.iter().filter(|&&e| e <= at as u64).count();
        let start = if idx == 0 { HEADER_LEN } else { ends[idx - 1] };

        let ro = read_log(&path).unwrap();
        prop_assert_eq!(fs::read(&path).unwrap(), bytes.clone());
        prop_assert_eq!(ro.records_read, idx as u64);
        prop_assert_eq!(&ro.leases, &model(&records[..idx]));
        let cut = ro.cut.clone().expect("damage must be reported");
        prop_assert_eq!(cut.offset, start);
        prop_assert_eq!(cut.bytes_cut, bytes.len() as u64 - start);

        let (mut log, replay) = LeaseLog::open(&path).unwrap();
        prop_assert_eq!(&replay, &ro);
        prop_assert_eq!(fs::metadata(&path).unwrap().len(), start);
        log.append_one(&Record::Lease4(lease(50))).unwrap();
        drop(log);
        let again = read_log(&path).unwrap();
        prop_assert_eq!(again.cut, None);
        prop_assert_eq!(again.records_read, idx as u64 + 1);
    }

    #[test]
    fn bit_flip_in_header_is_refused_untouched(at in 0usize..64, bit in 0u8..8) {
        let d = dir();
        let path = d.path().join("leases.log");
        let (mut bytes, _) = build(&path, &small_log());
        bytes[at] ^= 1 << bit;
        fs::write(&path, &bytes).unwrap();
        let err = LeaseLog::open(&path).unwrap_err();
        prop_assert!(matches!(
            err,
            StorageError::NotALeaseLog { .. }
                | StorageError::UnsupportedVersion { .. }
                | StorageError::CorruptHeader { .. }
        ), "{}", err);
        prop_assert!(read_log(&path).is_err());
        prop_assert_eq!(fs::read(&path).unwrap(), bytes);
    }
}

#[test]
fn garbage_tails_are_cut_with_reason() {
    let d = dir();
    let src = d.path().join("src.log");
    let records = small_log();
    let (bytes, ends) = build(&src, &records);
    let first = bytes[HEADER_LEN as usize..ends[0] as usize].to_vec();

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("impossible record length 0", vec![0; 300]),
        (
            "impossible record length",
            0xffff_ffffu32.to_le_bytes().repeat(3),
        ),
        ("sequence 1 does not follow 6", first.clone()),
        ("torn record", first[..first.len() - 1].to_vec()),
        ("checksum mismatch", {
            let mut f = first.clone();
            f[20] ^= 0x80;
            f
        }),
        ("record does not decode: unknown record kind 9", {
            let body = [100u64.to_le_bytes().as_slice(), &[9u8]].concat();
            let mut r = (body.len() as u32).to_le_bytes().to_vec();
            r.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
            r.extend_from_slice(&body);
            r
        }),
    ];
    for (reason, tail) in cases {
        let path = d.path().join("case.log");
        fs::write(&path, [bytes.as_slice(), &tail].concat()).unwrap();
        let (_, replay) = LeaseLog::open(&path).unwrap();
        let cut = replay.cut.expect(reason);
        assert!(cut.reason.contains(reason), "{reason:?} not in {cut}");
        assert_eq!(cut.offset, bytes.len() as u64);
        assert_eq!(cut.bytes_cut, tail.len() as u64);
        assert_eq!(
            cut.to_string(),
            format!(
                "cut {} bytes at offset {}: {}",
                tail.len(),
                bytes.len(),
                cut.reason
            )
        );
        assert_eq!(replay.records_read, records.len() as u64);
        assert_eq!(replay.leases, model(&records));
        assert_eq!(fs::read(&path).unwrap(), bytes);
    }
}

#[test]
fn not_a_lease_log_is_refused_untouched() {
    let d = dir();
    let path = d.path().join("kea-leases4.csv");
    let csv = b"address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n";
    fs::write(&path, csv).unwrap();
    let err = LeaseLog::open(&path).unwrap_err();
    assert!(matches!(err, StorageError::NotALeaseLog { .. }), "{err}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    assert!(matches!(
        read_log(&path),
        Err(StorageError::NotALeaseLog { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), csv);

    // Short foreign file.
    fs::write(&path, b"X!").unwrap();
    assert!(matches!(
        LeaseLog::open(&path),
        Err(StorageError::NotALeaseLog { .. })
    ));

    // A directory.
    let err = LeaseLog::open(d.path()).unwrap_err();
    assert!(matches!(err, StorageError::NotARegularFile { .. }), "{err}");
    assert!(matches!(
        read_log(d.path()),
        Err(StorageError::NotARegularFile { .. })
    ));
}

#[test]
fn newer_format_version_is_refused_untouched() {
    let d = dir();
    let path = d.path().join("leases.log");
    let (mut bytes, _) = build(&path, &small_log());
    bytes[8] = (FORMAT_VERSION + 1) as u8;
    fs::write(&path, &bytes).unwrap();
    let err = LeaseLog::open(&path).unwrap_err();
    assert!(
        matches!(err, StorageError::UnsupportedVersion { version: 3, .. }),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
fn missing_empty_and_header_only_files_are_fine() {
    let d = dir();
    // Missing file in a missing directory.
    let path: PathBuf = d.path().join("a/b/leases.log");
    let (mut log, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay, Replay::default());
    assert_eq!(log.header().format_version, 1);
    assert!(log.header().writer.starts_with("xdhcp-storage"));
    assert_eq!(fs::metadata(&path).unwrap().len(), HEADER_LEN);
    log.sync().unwrap();
    assert_eq!(log.path(), path);
    drop(log);

    // Header only.
    assert_eq!(read_log(&path).unwrap(), Replay::default());
    let (log, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay, Replay::default());
    assert_eq!(log.next_seq(), 1);
    drop(log);

    // Empty file.
    fs::write(&path, b"").unwrap();
    assert_eq!(read_log(&path).unwrap(), Replay::default());
    let (mut log, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay, Replay::default());
    log.append_one(&Record::Lease4(lease(1))).unwrap();
    drop(log);
    assert_eq!(read_log(&path).unwrap().leases, vec![lease(1)]);
}

#[test]
fn rewrite_keeps_exactly_the_live_set() {
    let d = dir();
    let path = d.path().join("leases.log");
    let (mut log, _) = LeaseLog::open(&path).unwrap();
    for round in 0..5 {
        for n in 0..50 {
            log.append_one(&Record::Lease4(Lease4 {
                cltt: round,
                ..lease(n)
            }))
            .unwrap();
        }
    }
    for n in 0..50 {
        if n % 3 == 0 {
            log.append_one(&del(n)).unwrap();
        }
    }
    let before = log.file_len();
    let seq = log.next_seq();
    let live = read_log(&path).unwrap().leases;
    assert_eq!(live.len(), 33);

    log.rewrite(&live).unwrap();
    assert!(log.file_len() < before);
    assert_eq!(log.next_seq(), seq + live.len() as u64);
    assert_eq!(fs::metadata(&path).unwrap().len(), log.file_len());
    // Appends after a rewrite land in the new file.
    log.append_one(&del(1)).unwrap();
    drop(log);
    let names: Vec<_> = fs::read_dir(d.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "temp file left behind");

    let (mut log, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay.cut, None);
    assert_eq!(replay.records_read, live.len() as u64 + 1);
    let expected: Vec<Lease4> = live
        .iter()
        .filter(|l| l.address != lease(1).address)
        .cloned()
        .collect();
    assert_eq!(replay.leases, expected);

    // Rewriting to nothing keeps sequence numbers monotonic across restarts.
    let seq = log.next_seq();
    log.rewrite(&[]).unwrap();
    drop(log);
    let (log, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay, Replay::default());
    assert_eq!(log.next_seq(), seq);
    assert_eq!(log.header().seq_base, seq - 1);
}

#[test]
fn hundred_thousand_appends_replay() {
    let d = dir();
    let path = d.path().join("leases.log");
    let (mut log, _) = LeaseLog::open(&path).unwrap();
    let n = 100_000u32;
    for i in 0..n {
        // 20k addresses, each updated five times; every 10th record deletes.
        let rec = if i % 10 == 9 {
            del(i % 20_000)
        } else {
            Record::Lease4(Lease4 {
                cltt: u64::from(i),
                ..lease(i % 20_000)
            })
        };
        assert_eq!(log.append_one(&rec).unwrap(), u64::from(i) + 1);
    }
    log.sync().unwrap();
    drop(log);
    let (_, replay) = LeaseLog::open(&path).unwrap();
    assert_eq!(replay.records_read, u64::from(n));
    assert_eq!(replay.cut, None);
    // Address a survives iff its last record (i = a + 80000) is not a delete.
    let expected: Vec<u32> = (0..20_000).filter(|a| (a + 80_000) % 10 != 9).collect();
    let got: Vec<u32> = replay
        .leases
        .iter()
        .map(|l| u32::from(l.address) - 0x0a00_0000)
        .collect();
    assert_eq!(got, expected);
    assert!(
        replay
            .leases
            .iter()
            .all(|l| l.cltt == u64::from(u32::from(l.address) - 0x0a00_0000 + 80_000))
    );
}

#[test]
fn merging_shard_logs_orders_by_time_and_prefers_leases_on_ties() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.xlog");
    let b = dir.path().join("b.xlog");
    let mut la = LeaseLog::open(&a).unwrap().0;
    let mut lb = LeaseLog::open(&b).unwrap().0;
    let mut l1 = lease(1);
    l1.cltt = 100;
    let mut l2 = lease(2);
    l2.cltt = 100;
    // Shard A leased .1 and .2, then released .2 at 150; shard B took .2 over at 150
    // and renewed .1 earlier than A's record (so A's newer record wins).
    la.append(&[Record::Lease4(l1.clone()), Record::Lease4(l2.clone())])
        .unwrap();
    la.append(&[Record::Delete4 {
        address: l2.address,
        at: 150,
    }])
    .unwrap();
    let mut l2b = l2.clone();
    l2b.cltt = 150;
    l2b.hwaddr = vec![9, 9, 9, 9, 9, 9].into();
    let mut l1old = l1.clone();
    l1old.cltt = 50;
    lb.append(&[Record::Lease4(l2b.clone()), Record::Lease4(l1old)])
        .unwrap();
    // Address .3: leased in B at 10, deleted in A at 20.
    let mut l3 = lease(3);
    l3.cltt = 10;
    lb.append_one(&Record::Lease4(l3.clone())).unwrap();
    la.append_one(&Record::Delete4 {
        address: l3.address,
        at: 20,
    })
    .unwrap();
    let merged = merge_replays(&[read_log(&a).unwrap(), read_log(&b).unwrap()]);
    assert_eq!(merged, vec![l1, l2b]);
}
