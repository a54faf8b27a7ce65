//! The shipped Kea examples and a Kea 1.4 dialect file load with the expected values.

use std::net::Ipv4Addr;
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

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn stdout_info_logger(c: &Config) {
    assert_eq!(
        c.logging.loggers,
        vec![Logger {
            name: "kea-dhcp4".into(),
            outputs: vec![LogOutput::Stdout],
            severity: Severity::Info,
            debuglevel: 0,
        }]
    );
}

#[test]
fn single_subnet() {
    let c = load("kea4/single-subnet.json");
    let d = &c.dhcp4;
    assert_eq!(
        d.interfaces,
        vec![InterfaceSpec {
            name: "eth0".into(),
            address: None
        }]
    );
    assert_eq!(d.socket_type, SocketType::Raw);
    assert_eq!(
        d.lease_database,
        LeaseDatabase {
            persist: true,
            name: None,
            lfc_interval: 3600
        }
    );
    assert_eq!(d.valid_lifetime, 4000);
    assert_eq!((d.renew_timer, d.rebind_timer), (None, None));
    assert_eq!(d.decline_probation_period, 86400);
    assert!(d.match_client_id && d.echo_client_id && !d.authoritative);
    assert_eq!(
        d.expired_leases_processing,
        ExpiredLeasesProcessing::default()
    );
    assert_eq!(
        d.host_reservation_identifiers,
        vec![
            IdentifierType::HwAddress,
            IdentifierType::Duid,
            IdentifierType::CircuitId,
            IdentifierType::ClientId
        ]
    );
    assert_eq!(d.subnets.len(), 1);
    let s = &d.subnets[0];
    assert_eq!((s.id, s.prefix, s.prefix_len), (1, ip("192.0.2.0"), 24));
    assert_eq!(
        s.pools,
        vec![Pool4 {
            start: ip("192.0.2.1"),
            end: ip("192.0.2.200"),
            option_data: vec![]
        }]
    );
    assert_eq!(s.interface.as_deref(), Some("eth0"));
    assert_eq!(s.valid_lifetime, 4000);
    assert_eq!(
        s.reservation_mode,
        ReservationMode {
            global: false,
            in_subnet: true,
            out_of_pool: false
        }
    );
    assert_eq!(s.next_server, Ipv4Addr::UNSPECIFIED);
    stdout_info_logger(&c);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // The source tree is kept.
    assert!(c.source.get("Dhcp4").is_some());
}

#[test]
fn several_subnets() {
    let c = load("kea4/several-subnets.json");
    let d = &c.dhcp4;
    assert_eq!(d.lease_database, LeaseDatabase::default());
    assert_eq!(d.valid_lifetime, 4000);
    assert_eq!((d.renew_timer, d.rebind_timer), (Some(1000), Some(2000)));
    assert!(!d.echo_client_id && d.match_client_id && !d.authoritative);
    let got: Vec<_> = d
        .subnets
        .iter()
        .map(|s| {
            (
                s.id,
                s.prefix,
                s.prefix_len,
                s.pools[0].start,
                s.pools[0].end,
                s.match_client_id,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                1,
                ip("192.0.2.0"),
                24,
                ip("192.0.2.1"),
                ip("192.0.2.200"),
                true
            ),
            (
                2,
                ip("192.0.3.0"),
                24,
                ip("192.0.3.100"),
                ip("192.0.3.200"),
                false
            ),
            (
                3,
                ip("192.0.4.0"),
                24,
                ip("192.0.4.1"),
                ip("192.0.4.254"),
                true
            ),
        ]
    );
    for s in &d.subnets {
        assert_eq!(
            (s.valid_lifetime, s.renew_timer, s.rebind_timer),
            (4000, Some(1000), Some(2000))
        );
        assert!(s.interface.is_none());
    }
    stdout_info_logger(&c);
}

fn opt(code: u8, name: &str, data: &[u8]) -> OptionData {
    OptionData {
        code,
        name: Some(name.into()),
        space: "dhcp4".into(),
        data: data.to_vec(),
        always_send: false,
        csv_format: true,
    }
}

#[test]
fn multiple_options() {
    let c = load("kea4/multiple-options.json");
    let s = &c.dhcp4.subnets[0];
    assert_eq!(s.id, 1);
    let mut search = Vec::new();
    search.extend_from_slice(b"\x08mydomain\x07example\x03com\x00");
    search.extend_from_slice(b"\x07example\x03com\x00");
    let mut bcast = opt(28, "broadcast-address", &[0xff, 0xff, 0x80, 0x00]);
    bcast.csv_format = false;
    let mut vci = opt(60, "vendor-class-identifier", b"isc");
    vci.always_send = true;
    let expected = vec![
        opt(6, "domain-name-servers", &[192, 0, 2, 1, 192, 0, 2, 2]),
        opt(3, "routers", &[192, 0, 2, 1]),
        opt(15, "domain-name", b"example.org"),
        opt(119, "domain-search", &search),
        bcast,
        opt(67, "boot-file-name", b"EST5EDT4,M3.2.0/02:00,M11.1.0/02:00"),
        opt(23, "default-ip-ttl", &[0xf0]),
        vci,
    ];
    assert_eq!(s.option_data, expected);
    assert_eq!(s.pools.len(), 2);
    assert_eq!(
        (s.pools[0].start, s.pools[0].end),
        (ip("192.0.2.10"), ip("192.0.2.100"))
    );
    assert!(s.pools[0].option_data.is_empty());
    assert_eq!(
        (s.pools[1].start, s.pools[1].end),
        (ip("192.0.2.101"), ip("192.0.2.200"))
    );
    assert_eq!(
        s.pools[1].option_data,
        vec![opt(6, "domain-name-servers", &[192, 0, 2, 3, 192, 0, 2, 4])]
    );
    stdout_info_logger(&c);
}

#[test]
fn reservations() {
    let c = load("kea4/reservations.json");
    let d = &c.dhcp4;
    assert_eq!(
        d.host_reservation_identifiers,
        vec![
            IdentifierType::CircuitId,
            IdentifierType::HwAddress,
            IdentifierType::Duid,
            IdentifierType::ClientId,
            IdentifierType::FlexId
        ]
    );
    let s = &d.subnets[0];
    assert_eq!(
        s.reservation_mode,
        ReservationMode {
            global: false,
            in_subnet: true,
            out_of_pool: false
        }
    );
    let r = &s.reservations;
    assert_eq!(r.len(), 6);
    assert_eq!(
        r[0].identifier,
        HostIdentifier::HwAddress(vec![0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f])
    );
    assert_eq!(r[0].ip_address, Some(ip("192.0.2.201")));
    assert_eq!(
        r[1].identifier,
        HostIdentifier::ClientId(vec![1, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66])
    );
    assert_eq!(r[1].hostname.as_deref(), Some("special-snowflake"));
    assert_eq!(r[2].identifier, HostIdentifier::Duid(vec![1, 2, 3, 4, 5]));
    assert_eq!(
        r[2].option_data,
        vec![opt(
            6,
            "domain-name-servers",
            &[10, 1, 1, 202, 10, 1, 1, 203]
        )]
    );
    assert_eq!(
        r[3].identifier,
        HostIdentifier::CircuitId(vec![1, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66])
    );
    assert_eq!(
        r[3].option_data[0],
        opt(125, "vivso-suboptions", &[0, 0, 0x11, 0x8b])
    );
    let tftp = &r[3].option_data[1];
    assert_eq!((tftp.code, tftp.space.as_str()), (2, "vendor-4491"));
    assert_eq!(tftp.data, vec![10, 1, 1, 202, 10, 1, 1, 203]);
    assert_eq!(tftp.vendor_enterprise(), Some(4491));
    assert_eq!(r[4].next_server, Some(ip("192.0.2.1")));
    assert_eq!(r[4].server_hostname.as_deref(), Some("hal9000"));
    assert_eq!(r[4].boot_file_name.as_deref(), Some("/dev/null"));
    assert_eq!(
        r[5].identifier,
        HostIdentifier::FlexId(b"s0mEVaLue".to_vec())
    );
    assert_eq!(r[5].ip_address, Some(ip("192.0.2.206")));
    stdout_info_logger(&c);
}

#[test]
fn kea14_dialect() {
    let c = load("kea14/kea14-dialect.json");
    let d = &c.dhcp4;
    assert_eq!(
        d.interfaces,
        vec![
            InterfaceSpec {
                name: "eth0".into(),
                address: Some(ip("192.0.2.1"))
            },
            InterfaceSpec {
                name: "eth1".into(),
                address: None
            },
        ]
    );
    assert_eq!(d.socket_type, SocketType::Udp);
    assert_eq!(
        d.lease_database,
        LeaseDatabase {
            persist: false,
            name: Some("/tmp/kea-leases4.csv".into()),
            lfc_interval: 0
        }
    );
    assert_eq!(d.expired_leases_processing.reclaim_timer_wait_time, 5);
    assert_eq!(d.expired_leases_processing.max_reclaim_time, 100);
    assert_eq!(d.expired_leases_processing.hold_reclaimed_time, 3600);
    assert_eq!(d.option_data[0], opt(15, "domain-name", b"example.com"));
    assert_eq!(
        d.option_data[1],
        OptionData {
            code: 252,
            name: None,
            space: "dhcp4".into(),
            data: vec![1, 2, 3],
            always_send: false,
            csv_format: false
        }
    );
    let out_of_pool = ReservationMode {
        global: false,
        in_subnet: true,
        out_of_pool: true,
    };
    assert_eq!(d.reservation_mode, out_of_pool);
    let s = &d.subnets;
    assert_eq!(s.len(), 3);
    // Auto-assigned ids: max so far + 1.
    assert_eq!((s[0].id, s[1].id, s[2].id), (1, 7, 8));
    assert_eq!(
        (s[0].pools[0].start, s[0].pools[0].end),
        (ip("192.0.2.64"), ip("192.0.2.127"))
    );
    assert_eq!(s[0].relay_addresses, vec![ip("192.0.2.254")]);
    assert_eq!(
        (s[0].valid_lifetime, s[0].renew_timer, s[0].rebind_timer),
        (600, Some(900), Some(1800))
    );
    assert_eq!(s[0].next_server, ip("192.0.2.254"));
    assert_eq!(s[0].boot_file_name, "pxelinux.0");
    assert_eq!(s[0].reservation_mode, out_of_pool);
    let ctx = s[0].user_context.as_ref().unwrap();
    assert_eq!(ctx.to_json(), r#"{"site":"lab","comment":"first"}"#);
    assert_eq!((s[1].valid_lifetime, s[1].rebind_timer), (3000, Some(2000)));
    assert_eq!(
        s[1].reservation_mode,
        ReservationMode {
            global: false,
            in_subnet: false,
            out_of_pool: false
        }
    );
    assert_eq!(
        s[2].relay_addresses,
        vec![ip("172.16.0.1"), ip("172.16.0.2")]
    );
    // The subnet with valid-lifetime 600 < timers gives warnings, not errors.
    assert!(!c.warnings.is_empty());
    assert_eq!(
        c.logging.loggers,
        vec![Logger {
            name: "kea-dhcp4".into(),
            outputs: vec![
                LogOutput::File {
                    path: "/var/log/kea-dhcp4.log".into(),
                    flush: false,
                    maxsize: 2048000,
                    maxver: 4
                },
                LogOutput::Syslog(Some("local7".into())),
            ],
            severity: Severity::Debug,
            debuglevel: 40,
        }]
    );
}

#[test]
fn load_str_and_defaults() {
    let c = load_str(r#"{ "Dhcp4": { } }"#, "inline").unwrap();
    assert_eq!(c.dhcp4, Dhcp4Config::default());
    assert!(c.logging.loggers.is_empty());
}

#[test]
fn tolerated_default_values() {
    let c = load_str(
        r#"{ "Dhcp4": {
            "hooks-libraries": [], "client-classes": [], "shared-networks": [],
            "multi-threading": { "enable-multi-threading": false, "thread-pool-size": 4 },
            "dhcp-ddns": { "enable-updates": false },
            "calculate-tee-times": false,
            "subnet4": [ { "subnet": "10.0.0.0/24", "pools": [ { "pool": "10.0.0.5-10.0.0.9", "client-classes": [] } ] } ]
        } }"#,
        "inline",
    )
    .unwrap();
    assert_eq!(c.dhcp4.subnets[0].id, 1);
}

#[test]
fn include_directive() {
    let dir = std::env::temp_dir().join(format!("xdhcp-config-incl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("subnets.json"),
        r#"[ { "subnet": "192.0.2.0/24", "id": 3, "pools": [ { "pool": "192.0.2.1 - 192.0.2.9" } ] } ]"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("kea.json"),
        "{ \"Dhcp4\": {\n \"subnet4\": <?include \"subnets.json\"?>\n } }\n",
    )
    .unwrap();
    let c = load_file(&dir.join("kea.json")).unwrap();
    assert_eq!(c.dhcp4.subnets[0].id, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Shows how every shipped example fares (run with --ignored --nocapture).
#[test]
#[ignore]
fn show_all_shared_examples() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kea-compat/examples/kea4");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut files: Vec<_> = rd.map(|e| e.unwrap().path()).collect();
    files.sort();
    for p in files {
        match load_file(&p) {
            Ok(_) => println!("OK   {}", p.display()),
            Err(e) => println!("ERR  {e}"),
        }
    }
}
