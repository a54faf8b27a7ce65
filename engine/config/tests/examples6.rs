//! The shipped Kea DHCPv6 examples load with the expected values; a file with
//! both `Dhcp4` and `Dhcp6` (Kea 1.4 style) loads both.

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use xdhcp_config::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn load(name: &str) -> Config {
    let p = data(name);
    match load_file(&p) {
        Ok(c) => c,
        Err(e) => panic!("{} failed to load: {e}", p.display()),
    }
}

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn v6(c: &Config) -> &Dhcp6Config {
    c.dhcp6.as_ref().expect("Dhcp6 loaded")
}

fn opt(code: u16, name: &str, data: &[u8]) -> OptionData6 {
    OptionData6 {
        code,
        name: Some(name.into()),
        space: "dhcp6".into(),
        data: data.to_vec(),
        always_send: false,
        csv_format: true,
    }
}

fn eth0() -> Vec<InterfaceSpec6> {
    vec![InterfaceSpec6 {
        name: "eth0".into(),
        address: None,
    }]
}

fn stdout_info_logger6(c: &Config) {
    assert_eq!(
        c.logging.loggers,
        vec![Logger {
            name: "kea-dhcp6".into(),
            outputs: vec![LogOutput::Stdout],
            severity: Severity::Info,
            debuglevel: 0,
        }]
    );
}

/// Lifetimes of the examples that set them all.
fn example_timers(d: &Dhcp6Config) {
    assert_eq!(
        (
            d.preferred_lifetime,
            d.valid_lifetime,
            d.renew_timer,
            d.rebind_timer
        ),
        (3000, 4000, 1000, 2000)
    );
}

fn slash80(n: u16) -> Pool6 {
    let start = Ipv6Addr::new(0x2001, 0xdb8, n, 0, 0, 0, 0, 0);
    Pool6 {
        start,
        end: Ipv6Addr::from(u128::from(start) | 0xffff_ffff_ffff),
        option_data: vec![],
    }
}

#[test]
fn simple() {
    let c = load("kea6/simple.json");
    assert!(!c.has_dhcp4);
    assert_eq!(c.dhcp4, Dhcp4Config::default());
    let d = v6(&c);
    assert_eq!(d.interfaces, eth0());
    assert!(d.re_detect);
    assert_eq!(d.lease_database, LeaseDatabase::default());
    example_timers(d);
    assert_eq!(d.decline_probation_period, 86400);
    assert!(!d.rapid_commit);
    assert!(d.option_data.is_empty());
    assert_eq!(d.server_id, ServerIdConfig::default());
    assert_eq!(d.server_id.kind, DuidType::Llt);
    assert!(d.server_id.persist);
    assert_eq!(
        d.host_reservation_identifiers,
        vec![IdentifierType::HwAddress, IdentifierType::Duid]
    );
    assert_eq!(
        d.expired_leases_processing,
        ExpiredLeasesProcessing::default()
    );
    assert_eq!(d.data_directory, None);
    assert_eq!(d.user_context, None);
    assert_eq!(d.subnets.len(), 1);
    let s = &d.subnets[0];
    assert_eq!((s.id, s.prefix, s.prefix_len), (1, ip("2001:db8:1::"), 64));
    assert_eq!(s.pools, vec![slash80(1)]);
    assert_eq!(s.pools[0].end, ip("2001:db8:1::ffff:ffff:ffff"));
    assert_eq!(s.pools[0].size(), 1 << 48);
    assert!(s.pd_pools.is_empty());
    assert_eq!(
        (
            s.preferred_lifetime,
            s.valid_lifetime,
            s.renew_timer,
            s.rebind_timer,
            s.rapid_commit
        ),
        (3000, 4000, 1000, 2000, false)
    );
    assert_eq!(s.interface.as_deref(), Some("eth0"));
    assert_eq!(s.interface_id, None);
    assert!(s.relay_addresses.is_empty());
    assert_eq!(s.reservation_mode, ReservationMode::default());
    assert!(s.reservations.is_empty() && s.option_data.is_empty());
    assert!(s.contains(ip("2001:db8:1::ffff")) && !s.contains(ip("2001:db8:2::1")));
    assert_eq!(d.subnet_by_id(1).map(|s| s.prefix_len), Some(64));
    stdout_info_logger6(&c);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(c.source.get("Dhcp6").is_some());
}

#[test]
fn several_subnets() {
    let c = load("kea6/several-subnets.json");
    let d = v6(&c);
    example_timers(d);
    let got: Vec<_> = d
        .subnets
        .iter()
        .map(|s| {
            (
                s.id,
                s.prefix,
                s.prefix_len,
                s.pools.clone(),
                s.interface.clone(),
            )
        })
        .collect();
    let want: Vec<_> = (1..=4u16)
        .map(|n| {
            (
                u32::from(n),
                Ipv6Addr::new(0x2001, 0xdb8, n, 0, 0, 0, 0, 0),
                64,
                vec![slash80(n)],
                None,
            )
        })
        .collect();
    assert_eq!(got, want);
    for s in &d.subnets {
        assert_eq!(
            (
                s.preferred_lifetime,
                s.valid_lifetime,
                s.renew_timer,
                s.rebind_timer
            ),
            (3000, 4000, 1000, 2000)
        );
    }
    stdout_info_logger6(&c);
}

#[test]
fn multiple_options() {
    let c = load("kea6/multiple-options.json");
    let d = v6(&c);
    example_timers(d);
    let s = &d.subnets[0];
    assert_eq!((s.id, s.prefix, s.prefix_len), (1, ip("2001:db8:1::"), 64));
    let o = |a: &str| ip(a).octets().to_vec();
    let mut dns = o("2001:db8:2::45");
    dns.extend(o("2001:db8:2::100"));
    let mut boot = b"\x00\x0eroot=/dev/sda2".to_vec();
    boot.extend(b"\x00\x05quiet\x00\x06splash");
    let want = vec![
        opt(23, "dns-servers", &dns),
        opt(12, "unicast", &o("2001:db8:1:0:ff00::1")),
        OptionData6 {
            csv_format: false,
            ..opt(31, "sntp-servers", &o("2001:db8::1"))
        },
        opt(
            41,
            "new-posix-timezone",
            b"EST5EDT4,M3.2.0/02:00,M11.1.0/02:00",
        ),
        opt(7, "preference", &[0xf0]),
        opt(60, "bootfile-param", &boot),
        OptionData6 {
            always_send: true,
            ..opt(40, "pana-agent", &o("2001:db8:2::123"))
        },
    ];
    assert_eq!(s.option_data, want);
    assert_eq!(
        s.pools,
        vec![
            Pool6 {
                start: ip("2001:db8:1::1"),
                end: ip("2001:db8:1::100"),
                option_data: vec![opt(12, "unicast", &o("3001:cafe::21"))],
            },
            Pool6 {
                start: ip("2001:db8:1::500"),
                end: ip("2001:db8:1::1000"),
                option_data: vec![],
            },
        ]
    );
    // Kea does not require delegated prefixes to come from the subnet prefix.
    assert_eq!(
        s.pd_pools,
        vec![PdPool {
            prefix: ip("2001:2b8:2::"),
            prefix_len: 56,
            delegated_len: 64,
            excluded_prefix: None,
            option_data: vec![opt(12, "unicast", &o("3001:cafe::12"))],
        }]
    );
    assert_eq!(s.pd_pools[0].capacity(), 256);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn reservations() {
    let c = load("kea6/reservations.json");
    let d = v6(&c);
    assert_eq!(
        d.host_reservation_identifiers,
        vec![
            IdentifierType::Duid,
            IdentifierType::HwAddress,
            IdentifierType::FlexId
        ]
    );
    let s = &d.subnets[0];
    assert_eq!((s.prefix, s.prefix_len), (ip("2001:db8:1::"), 48));
    assert_eq!(
        s.reservation_mode,
        ReservationMode {
            global: false,
            in_subnet: true,
            out_of_pool: false
        }
    );
    assert_eq!(
        (s.pools[0].start, s.pools[0].end),
        (ip("2001:db8:1::"), ip("2001:db8:1::ff"))
    );
    assert_eq!(
        s.pd_pools,
        vec![PdPool {
            prefix: ip("2001:db8:1:8000::"),
            prefix_len: 56,
            delegated_len: 64,
            excluded_prefix: None,
            option_data: vec![],
        }]
    );
    let r = &s.reservations;
    assert_eq!(r.len(), 4);
    assert_eq!(
        r[0],
        Reservation6 {
            identifier: HostIdentifier::Duid(vec![1, 2, 3, 4, 5, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e]),
            ip_addresses: vec![ip("2001:db8:1::100")],
            prefixes: vec![],
            hostname: None,
            option_data: vec![],
            client_classes: vec![],
        }
    );
    assert_eq!(
        r[1].identifier,
        HostIdentifier::HwAddress(vec![0, 1, 2, 3, 4, 5])
    );
    assert_eq!(r[1].ip_addresses, vec![ip("2001:db8:1::101")]);
    let srv = ip("3000:1::234").octets().to_vec();
    assert_eq!(
        r[1].option_data,
        vec![opt(23, "dns-servers", &srv), opt(27, "nis-servers", &srv)]
    );
    assert_eq!(r[1].client_classes, vec!["special_snowflake", "office"]);
    assert_eq!(
        r[2].identifier,
        HostIdentifier::Duid(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a])
    );
    assert_eq!(r[2].ip_addresses, vec![ip("2001:db8:1:cafe::1")]);
    // Prefix reservations need not be inside the subnet (as in Kea).
    assert_eq!(r[2].prefixes, vec![(ip("2001:db8:2:abcd::"), 64)]);
    assert_eq!(r[2].hostname.as_deref(), Some("foo.example.com"));
    assert_eq!(
        r[2].option_data,
        vec![
            opt(17, "vendor-opts", &[0, 0, 0x11, 0x8b]),
            OptionData6 {
                space: "vendor-4491".into(),
                ..opt(32, "tftp-servers", &srv)
            },
        ]
    );
    assert_eq!(r[2].option_data[1].vendor_enterprise(), Some(4491));
    assert_eq!(
        r[3].identifier,
        HostIdentifier::FlexId(b"somevalue".to_vec())
    );
    assert_eq!(r[3].ip_addresses, vec![ip("2001:db8:1:cafe::2")]);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn stateless() {
    let c = load("kea6/stateless.json");
    let d = v6(&c);
    assert!(d.subnets.is_empty());
    // Kea 1.4's defaults.
    assert_eq!(
        (
            d.preferred_lifetime,
            d.valid_lifetime,
            d.renew_timer,
            d.rebind_timer
        ),
        (3600, 7200, 900, 1800)
    );
    let mut dns = ip("2001:db8::1").octets().to_vec();
    dns.extend(ip("2001:db8::2").octets());
    assert_eq!(d.option_data, vec![opt(23, "dns-servers", &dns)]);
    assert!(c.logging.loggers.is_empty());
}

#[test]
fn duid() {
    let c = load("kea6/duid.json");
    assert_eq!(
        v6(&c).server_id,
        ServerIdConfig {
            kind: DuidType::Llt,
            identifier: Some(vec![0x12, 0xc4, 0xd5, 0xaf, 0x87, 0x0c]),
            time: None,
            htype: Some(1),
            enterprise_id: None,
            persist: true,
        }
    );
    example_timers(v6(&c));
}

#[test]
fn backends() {
    let c = load("kea6/backends.json");
    let d = v6(&c);
    assert_eq!(
        d.lease_database,
        LeaseDatabase {
            persist: true,
            name: None,
            lfc_interval: 3600
        }
    );
    assert_eq!(d.subnets[0].pools, vec![slash80(1)]);
}

/// The shipped kea6 examples that use features xdhcp lacks are refused by
/// the first such key, with its position.
#[test]
fn refused_shared_examples() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kea-compat/examples/kea6");
    if !dir.is_dir() {
        return;
    }
    let cases = [
        ("all-keys.json", 20, "allow-address-registration"),
        ("classify.json", 25, "client-classes"),
        ("comments.json", 17, "option-def"),
        (
            "ha-hot-standby-server1-with-tls.json",
            35,
            "hooks-libraries",
        ),
        ("ha-hot-standby-server2.json", 34, "hooks-libraries"),
        ("hooks.json", 44, "hooks-libraries"),
        ("leases-expiration.json", 22, "max-row-errors"),
        ("shared-network.json", 49, "shared-networks"),
    ];
    for (file, line, key) in cases {
        let e = load_file(&dir.join(file)).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (line, key), "{file}: {e}");
        assert!(
            e.message
                .contains(&format!("'{key}' is not supported yet by xdhcp")),
            "{e}"
        );
    }
    for file in [
        "backends.json",
        "duid.json",
        "multiple-options.json",
        "reservations.json",
        "several-subnets.json",
        "simple.json",
        "stateless.json",
    ] {
        load_file(&dir.join(file)).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn dhcp4_and_dhcp6_in_one_file() {
    let c = load("kea14/dhcp4-and-dhcp6.json");
    assert!(c.has_dhcp4);
    assert_eq!(c.dhcp4.subnets.len(), 1);
    assert_eq!(
        c.dhcp4.subnets[0].prefix,
        "192.0.2.0".parse::<std::net::Ipv4Addr>().unwrap()
    );
    assert_eq!(c.dhcp4.valid_lifetime, 4000);
    let d = v6(&c);
    assert_eq!(
        d.interfaces,
        vec![InterfaceSpec6 {
            name: "eth1".into(),
            address: Some(ip("2001:db8:ffff::1"))
        }]
    );
    assert!(!d.re_detect);
    assert_eq!(
        d.lease_database,
        LeaseDatabase {
            persist: true,
            name: Some("/tmp/kea-leases6.csv".into()),
            lfc_interval: 0
        }
    );
    assert_eq!(
        d.server_id,
        ServerIdConfig {
            kind: DuidType::En,
            identifier: Some(vec![0x01, 0x23, 0x45, 0x67, 0x89]),
            time: None,
            htype: None,
            enterprise_id: Some(2495),
            persist: false,
        }
    );
    assert!(d.rapid_commit);
    assert!(d.reservation_mode.out_of_pool);
    assert_eq!(d.subnets.len(), 1);
    let s = &d.subnets[0];
    assert_eq!((s.id, s.prefix, s.prefix_len), (1, ip("2001:db8:1::"), 64));
    // Inherited: lifetimes, rebind-timer, reservation mode; overridden: renew, rapid-commit.
    assert_eq!(
        (
            s.preferred_lifetime,
            s.valid_lifetime,
            s.renew_timer,
            s.rebind_timer,
            s.rapid_commit
        ),
        (3000, 4000, 1200, 1800, false)
    );
    assert!(s.reservation_mode.out_of_pool);
    assert_eq!(s.interface, None);
    assert_eq!(s.interface_id.as_deref(), Some(&b"ethx"[..]));
    assert_eq!(s.relay_addresses, vec![ip("2001:db8:1::ff")]);
    assert_eq!(
        s.pd_pools,
        vec![PdPool {
            prefix: ip("2001:db8:8000::"),
            prefix_len: 40,
            delegated_len: 56,
            excluded_prefix: Some((ip("2001:db8:8000:ff:ff00::"), 72)),
            option_data: vec![],
        }]
    );
    assert_eq!(
        s.reservations[0].prefixes,
        vec![(ip("2001:db8:9000::"), 56)]
    );
    assert_eq!(c.logging.loggers[1].outputs, vec![LogOutput::Stderr]);
    assert_eq!(
        c.logging
            .loggers
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        vec!["kea-dhcp4", "kea-dhcp6"]
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

/// Shows how every shipped kea6 example fares (run with --ignored --nocapture).
#[test]
#[ignore]
fn show_all_shared_examples6() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kea-compat/examples/kea6");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut files: Vec<_> = rd.map(|e| e.unwrap().path()).collect();
    files.sort();
    for p in files {
        match load_file(&p) {
            Ok(c) => println!("OK   {} {:?}", p.display(), c.warnings),
            Err(e) => println!("ERR  {e}"),
        }
    }
}
