//! Kea memfile CSV: import of the 1.4 and newest schemas, journal rules, error limits,
//! export with escaping, and Kea's own samples and LFC vectors.

// `is_multiple_of` needs Rust 1.87+; keep the plain form like the other tests.
#![allow(clippy::manual_is_multiple_of)]

use std::fs;
use std::io::Cursor;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use xdhcp_storage::kea_csv::{
    self, CsvError, ImportOptions, KeaSchema, V4_HEADER, V4_HEADER_1_4, V6_HEADER_1_4,
};
use xdhcp_storage::{Lease4, Lease6, Lease6Type, LeaseState};

fn data(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/kea-compat/data")
        .join(rel);
    assert!(
        p.exists(),
        "Kea sample {} is missing: these tests need /work/shared/kea-compat/data (shared/ next to the repository)",
        p.display()
    );
    p
}

fn read(rel: &str) -> String {
    fs::read_to_string(data(rel)).unwrap()
}

fn rules(rules: KeaSchema) -> ImportOptions {
    ImportOptions {
        rules,
        ..ImportOptions::default()
    }
}

#[test]
fn newest_v4_sample_imports_and_exports_byte_for_byte() {
    let text = read("leases/lease4-newest-schema-escaped.csv");
    let r = kea_csv::import_v4(Cursor::new(&text), &ImportOptions::default()).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.leases.len(), 3);
    assert!(!r.needs_upgrade);
    let l = &r.leases[2];
    assert_eq!(l.address, Ipv4Addr::new(0, 0, 0, 12));
    assert_eq!(l.hostname, "three,example,com");
    assert_eq!(l.user_context.as_deref(), Some(r#"{ "a": 1, "b": "c" }"#));
    assert_eq!(l.state, LeaseState::ExpiredReclaimed);
    assert_eq!(l.cltt, 1_643_212_345 - 40);
    assert!(r.leases[1].hwaddr.is_empty());
    assert_eq!(r.leases[1].client_id.as_deref(), Some(&b"123"[..]));
    let mut out = Vec::new();
    let mut progress = Vec::new();
    kea_csv::export_v4(&r.leases, &mut out, |d, t| progress.push((d, t))).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), text);
    assert_eq!(progress.first(), Some(&(0, 3)));
    assert_eq!(progress.last(), Some(&(3, 3)));
}

#[test]
fn newest_v6_sample_imports_and_exports_byte_for_byte() {
    let text = read("leases/lease6-newest-schema-escaped.csv");
    let r = kea_csv::import_v6(Cursor::new(&text), &ImportOptions::default()).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.leases.len(), 4);
    let l = &r.leases[0];
    assert_eq!(l.address, "::10".parse::<Ipv6Addr>().unwrap());
    assert_eq!((l.htype, l.hwaddr_source), (90, 16));
    assert_eq!(l.hwaddr.as_deref(), Some(&b"80"[..]));
    assert_eq!(l.prefix_len, 128);
    assert_eq!(r.leases[3].hwaddr, None);
    assert_eq!(r.leases[2].hostname, "three,example,com");
    let mut out = Vec::new();
    kea_csv::export_v6(&r.leases, &mut out, |_, _| {}).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), text);
}

#[test]
fn kea_1_4_v4_sample() {
    let text = read("leases/lease4-kea1.4-sample.csv");
    // Kea 1.4 rules: row 2 (empty hwaddr, state 0) is invalid.
    let r = kea_csv::import_v4(Cursor::new(&text), &rules(KeaSchema::V1_4)).unwrap();
    assert_eq!(r.rows, 3);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, 3);
    assert!(
        r.errors[0].reason.contains("blank hardware address"),
        "{:?}",
        r.errors
    );
    assert_eq!(r.leases.len(), 2);
    assert_eq!(r.leases[0].hwaddr, [6, 7, 8, 9, 0x0a, 0xbc]);
    assert_eq!(r.leases[1].state, LeaseState::Declined);
    assert_eq!(r.leases[1].client_id.as_deref(), Some(&[0x0a, 0, 1, 4][..]));
    // Newest rules: a client-id is enough, so row 2 replaces row 1; the file is old.
    let r = kea_csv::import_v4(Cursor::new(&text), &ImportOptions::default()).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.needs_upgrade);
    assert!(r.leases[0].hwaddr.is_empty());
    assert_eq!(
        r.leases[0].client_id.as_deref(),
        Some(&[0x0a, 0x11, 1, 4][..])
    );
    assert_eq!(r.leases[0].user_context, None);
}

#[test]
fn kea_1_4_v6_sample() {
    let text = read("leases/lease6-kea1.4-sample.csv");
    for schema in [KeaSchema::V1_4, KeaSchema::Newest] {
        let r = kea_csv::import_v6(Cursor::new(&text), &rules(schema)).unwrap();
        assert_eq!(r.rows, 4);
        assert_eq!(r.errors.len(), 1, "{schema:?}");
        assert_eq!(r.errors[0].line, 3);
        // Row 4 deletes 3000:1:: which was never leased: nothing to delete.
        assert_eq!(r.deletes, 0);
        let addrs: Vec<String> = r.leases.iter().map(|l| l.address.to_string()).collect();
        assert_eq!(addrs, ["2001:db8:1::1", "2001:db8:2::10"]);
        let expect_len = if schema == KeaSchema::V1_4 { 0 } else { 128 };
        assert_eq!(r.leases[0].prefix_len, expect_len);
        assert_eq!(r.leases[0].state, LeaseState::Declined);
    }
}

fn copy_lfc(family: &str, names: &[&str], dir: &Path) {
    for n in names {
        fs::copy(data(&format!("lfc/{family}/{n}")), dir.join(n)).unwrap();
    }
}

#[test]
fn lfc_v4_matches_kea_lfc_output() {
    let d = tempfile::tempdir().unwrap();
    copy_lfc("v4", &["kea-leases4.csv.2", "kea-leases4.csv.1"], d.path());
    let f = d.path().join("kea-leases4.csv");
    let rep = kea_csv::lfc_v4(&f, KeaSchema::V1_4, &ImportOptions::default()).unwrap();
    assert!(rep.cleaned);
    assert_eq!(rep.leases, 2);
    assert_eq!(rep.errors.len(), 1);
    assert_eq!(
        fs::read_to_string(d.path().join("kea-leases4.csv.2")).unwrap(),
        read("lfc/v4/expected.kea-leases4.csv.2")
    );
    assert!(!d.path().join("kea-leases4.csv.1").exists());
    assert!(!d.path().join("kea-leases4.csv.completed").exists());
    assert!(!d.path().join("kea-leases4.csv.output").exists());

    // Only the previous file present.
    let d = tempfile::tempdir().unwrap();
    copy_lfc("v4", &["kea-leases4.csv.2"], d.path());
    let f = d.path().join("kea-leases4.csv");
    kea_csv::lfc_v4(&f, KeaSchema::V1_4, &ImportOptions::default()).unwrap();
    assert_eq!(
        fs::read_to_string(d.path().join("kea-leases4.csv.2")).unwrap(),
        read("lfc/v4/expected-if-only-.2-present.csv")
    );
}

#[test]
fn lfc_v6_matches_kea_lfc_output() {
    let d = tempfile::tempdir().unwrap();
    copy_lfc("v6", &["kea-leases6.csv.2", "kea-leases6.csv.1"], d.path());
    let f = d.path().join("kea-leases6.csv");
    let rep = kea_csv::lfc_v6(&f, KeaSchema::V1_4, &ImportOptions::default()).unwrap();
    assert_eq!(rep.leases, 3);
    assert_eq!(
        fs::read_to_string(d.path().join("kea-leases6.csv.2")).unwrap(),
        read("lfc/v6/expected.kea-leases6.csv.2")
    );
}

#[test]
fn lfc_with_a_finished_output_only_rotates() {
    let d = tempfile::tempdir().unwrap();
    copy_lfc("v4", &["kea-leases4.csv.2", "kea-leases4.csv.1"], d.path());
    let done = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n";
    fs::write(d.path().join("kea-leases4.csv.completed"), done).unwrap();
    let f = d.path().join("kea-leases4.csv");
    let rep = kea_csv::lfc_v4(&f, KeaSchema::V1_4, &ImportOptions::default()).unwrap();
    assert!(!rep.cleaned);
    assert_eq!(
        fs::read_to_string(d.path().join("kea-leases4.csv.2")).unwrap(),
        done
    );
    assert!(!d.path().join("kea-leases4.csv.1").exists());
}

#[test]
fn startup_load_order_follows_kea() {
    let d = tempfile::tempdir().unwrap();
    copy_lfc("v4", &["kea-leases4.csv.2", "kea-leases4.csv.1"], d.path());
    let f = d.path().join("kea-leases4.csv");
    // F deletes 192.0.3.15 and adds 192.0.2.9.
    fs::write(
        &f,
        format!(
            "{V4_HEADER_1_4}\n192.0.3.15,dd:de:ba:0d:1b:2e:3e:4f,0a:00:01:04,0,150,7,0,0,,1\n192.0.2.9,01:02:03:04:05:06,,100,1100,7,0,0,,0\n"
        ),
    )
    .unwrap();
    let files = kea_csv::startup_files(&f);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["kea-leases4.csv.2", "kea-leases4.csv.1", "kea-leases4.csv"]
    );
    let r = kea_csv::load_v4_files(&f, &rules(KeaSchema::V1_4)).unwrap();
    let addrs: Vec<String> = r.leases.iter().map(|l| l.address.to_string()).collect();
    assert_eq!(addrs, ["192.0.2.1", "192.0.2.9"]);
    assert_eq!(r.leases[0].cltt, 600);
    // With F.completed, .2 and .1 are not read.
    fs::write(
        d.path().join("kea-leases4.csv.completed"),
        format!("{V4_HEADER}\n"),
    )
    .unwrap();
    let r = kea_csv::load_v4_files(&f, &ImportOptions::default()).unwrap();
    let addrs: Vec<String> = r.leases.iter().map(|l| l.address.to_string()).collect();
    assert_eq!(addrs, ["192.0.2.9"]);
}

#[test]
fn headers_are_checked_as_kea_does() {
    let o = ImportOptions::default();
    for bad in [
        "",
        "address,hwaddr,client_id\n",
        "address,hw,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n",
        "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname\n",
    ] {
        let e = kea_csv::import_v4(Cursor::new(bad), &o).unwrap_err();
        assert!(matches!(e, CsvError::BadHeader { .. }), "{bad:?}: {e}");
    }
    // Schema 1.0 (ends at hostname) loads; extra unknown columns are dropped.
    let v10 = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n10.0.0.1,01:02,,10,20,1,0,0,h\n";
    let r = kea_csv::import_v4(Cursor::new(v10), &o).unwrap();
    assert_eq!(r.leases.len(), 1);
    assert!(r.needs_upgrade);
    let future = format!(
        "{V4_HEADER},future\n10.0.0.1,01:02,,10,20,1,0,0,h,0,,0,x\n10.0.0.2,01:02,,10,20,1,0,0,h,0,,0\n10.0.0.3,01:02,,10,20,1,0,0,h,0\n"
    );
    let r = kea_csv::import_v4(Cursor::new(future), &o).unwrap();
    assert_eq!(r.leases.len(), 2);
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].reason.contains("too few columns to downgrade"));
    // v6 header with the 1.4 rules.
    let r = kea_csv::import_v6(
        Cursor::new(format!("{V6_HEADER_1_4}\n")),
        &rules(KeaSchema::V1_4),
    )
    .unwrap();
    assert!(r.leases.is_empty());
}

#[test]
fn invalid_rows_are_skipped_and_loading_stops_after_100() {
    let good = "10.0.0.1,01:02:03:04:05:06,,100,200,1,0,0,,0,,0\n";
    let bad = "10.0.0.x,01:02:03:04:05:06,,100,200,1,0,0,,0,,0\n";
    let file = |bads: usize| format!("{V4_HEADER}\n{good}{}", bad.repeat(bads));
    let r = kea_csv::import_v4(Cursor::new(file(100)), &ImportOptions::default()).unwrap();
    assert_eq!(r.errors.len(), 100);
    assert_eq!(r.leases.len(), 1);
    let e = kea_csv::import_v4(Cursor::new(file(101)), &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            CsvError::TooManyErrors {
                errors: 101,
                max: 100,
                ..
            }
        ),
        "{e}"
    );
    let unlimited = ImportOptions {
        max_errors: 0,
        ..ImportOptions::default()
    };
    assert!(kea_csv::import_v4(Cursor::new(file(500)), &unlimited).is_ok());
    // Each kind of bad value is reported, not fatal.
    let rows = [
        "10.0.0.2,zz,,100,200,1,0,0,,0,,0",
        "10.0.0.3,01:02,,100,200,1,true,0,,0,,0",
        "10.0.0.4,01:02,,100,50,1,0,0,,0,,0",
        "10.0.0.5,01:02,,100,200,1,0,0,,7,,0",
        "10.0.0.6,01:02,,100,200,1,0,0,,0,[1],0",
        "10.0.0.7,01:02,01,100,200,1,0,0,,0,,0",
        "10.0.0.8,,,100,200,1,0,0,,0,,0",
        "10.0.0.9,01:02,,100,200,1,0,0,,0,,0,extra",
    ];
    let r = kea_csv::import_v4(
        Cursor::new(format!("{V4_HEADER}\n{}\n", rows.join("\n"))),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(r.errors.len(), rows.len(), "{:?}", r.errors);
    assert!(r.leases.is_empty());
}

#[test]
fn journal_rules() {
    let text = format!(
        "{V4_HEADER}\n\
         10.0.0.1,01:02:03:04:05:06,,100,200,1,0,0,a,0,,0\n\
         10.0.0.2,01:02:03:04:05:06,,0,200,1,0,0,b,0,,0\n\
         10.0.0.1,01:02:03:04:05:06,,100,300,1,0,0,c,0,,0\n\
         10.0.0.3,01:02:03:04:05:06,,100,300,1,0,0,d,0,,0\n\
         10.0.0.3,01:02:03:04:05:06,,0,300,1,0,0,d,0,,0\n"
    );
    let r = kea_csv::import_v4(Cursor::new(text), &ImportOptions::default()).unwrap();
    assert_eq!(r.leases.len(), 1);
    assert_eq!(r.leases[0].hostname, "c");
    assert_eq!(r.leases[0].cltt, 200);
    assert_eq!(r.deletes, 1);
}

#[test]
fn unescaping_matches_kea() {
    assert_eq!(kea_csv::unescape("a&#x2cb&#x26c"), "a,b&c");
    assert_eq!(kea_csv::unescape("&#x2C&#x"), ",&#x");
    assert_eq!(kea_csv::unescape("&#xzz&#x4"), "&#xzz&#x4");
    assert_eq!(kea_csv::unescape("&#xc3&#xa9"), "é");
    assert_eq!(kea_csv::escape("é,&\n"), "&#xc3&#xa9&#x2c&#x26&#x0a");
}

prop_compose! {
    fn arb_lease4()(
        a in any::<u32>(), hw in proptest::collection::vec(any::<u8>(), 1..20),
        cid in proptest::option::of(proptest::collection::vec(any::<u8>(), 2..40)),
        valid in 1u32.., cltt in 0u64..4_000_000_000, sid in any::<u32>(),
        fwd in any::<bool>(), rev in any::<bool>(), host in "\\PC{0,30}", st in 0u8..4,
        ctx in proptest::option::of("\\{\\PC{0,20}\\}"),
    ) -> Lease4 {
        Lease4 { address: Ipv4Addr::from(a), hwaddr: hw.into(), htype: 1, client_id: cid.map(Into::into),
            subnet_id: sid, valid_lifetime: valid, cltt, fqdn_fwd: fwd, fqdn_rev: rev, hostname: host,
            state: LeaseState::from_code(st).unwrap(), user_context: ctx }
    }
}

prop_compose! {
    fn arb_lease6()(
        a in any::<u128>(), t in 0u8..3, plen in 1u8..=128, duid in proptest::collection::vec(any::<u8>(), 2..40),
        iaid in any::<u32>(), sid in any::<u32>(), pref in any::<u32>(), valid in 1u32.., cltt in 0u64..4_000_000_000,
        fwd in any::<bool>(), host in "\\PC{0,30}", hw in proptest::option::of((proptest::collection::vec(any::<u8>(), 1..20), any::<u16>(), any::<u32>())),
        st in 0u8..4, ctx in proptest::option::of("\\{\\PC{0,20}\\}"),
    ) -> Lease6 {
        let lease_type = Lease6Type::from_code(t).unwrap();
        Lease6 { address: Ipv6Addr::from(a), prefix_len: if lease_type == Lease6Type::Pd { plen } else { 128 },
            lease_type, duid: duid.into(), iaid, subnet_id: sid, preferred_lifetime: pref, valid_lifetime: valid,
            cltt, fqdn_fwd: fwd, fqdn_rev: false, hostname: host,
            htype: hw.as_ref().map_or(0, |h| h.1), hwaddr_source: hw.as_ref().map_or(0, |h| h.2),
            hwaddr: hw.map(|h| h.0.into()), state: LeaseState::from_code(st).unwrap(), user_context: ctx }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn export_import_round_trip(
        mut v4 in proptest::collection::vec(arb_lease4(), 0..20),
        mut v6 in proptest::collection::vec(arb_lease6(), 0..20),
    ) {
        v4.sort_by_key(|l| u32::from(l.address));
        v4.dedup_by_key(|l| u32::from(l.address));
        v6.sort_by_key(|l| u128::from(l.address));
        v6.dedup_by_key(|l| u128::from(l.address));
        let mut out = Vec::new();
        kea_csv::export_v4(&v4, &mut out, |_, _| {}).unwrap();
        let r = kea_csv::import_v4(Cursor::new(&out), &ImportOptions::default()).unwrap();
        prop_assert!(r.errors.is_empty(), "{:?}", r.errors);
        prop_assert_eq!(&r.leases, &v4);
        let mut out = Vec::new();
        kea_csv::export_v6(&v6, &mut out, |_, _| {}).unwrap();
        let r = kea_csv::import_v6(Cursor::new(&out), &ImportOptions::default()).unwrap();
        prop_assert!(r.errors.is_empty(), "{:?}", r.errors);
        prop_assert_eq!(&r.leases, &v6);
    }
}
