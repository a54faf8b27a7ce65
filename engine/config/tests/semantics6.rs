//! `Dhcp6` loader semantics: defaults, inheritance, ids, pools and pd-pools,
//! reservations, options, refused keys, and how it sits beside `Dhcp4`.

use std::net::Ipv6Addr;

use xdhcp_config::*;

fn ok(text: &str) -> Config {
    load_str(text, "t.json").unwrap_or_else(|e| panic!("{e}"))
}

fn fails(text: &str, substring: &str) -> ConfigError {
    match load_str(text, "t.json") {
        Ok(_) => panic!("loaded, expected error containing {substring:?}"),
        Err(e) => {
            assert!(e.to_string().contains(substring), "{e}");
            assert!(e.to_string().starts_with("t.json:"), "{e}");
            e
        }
    }
}

fn dhcp6(body: &str) -> String {
    format!("{{ \"Dhcp6\": {{ {body} }} }}")
}

fn v6(c: &Config) -> &Dhcp6Config {
    c.dhcp6.as_ref().unwrap()
}

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// One subnet 2001:db8:1::/64 with extra keys.
fn sub(extra: &str) -> String {
    dhcp6(&format!(
        r#""subnet6": [ {{ "subnet": "2001:db8:1::/64" {}{extra} }} ]"#,
        if extra.is_empty() { "" } else { ", " }
    ))
}

#[test]
fn dhcp6_only_and_defaults() {
    let c = ok(r#"{ "Dhcp6": { } }"#);
    assert!(!c.has_dhcp4);
    assert_eq!(c.dhcp4, Dhcp4Config::default());
    assert_eq!(v6(&c), &Dhcp6Config::default());
    let d = v6(&c);
    assert_eq!(
        (
            d.preferred_lifetime,
            d.valid_lifetime,
            d.renew_timer,
            d.rebind_timer,
            d.decline_probation_period,
            d.rapid_commit
        ),
        (3600, 7200, 900, 1800, 86400, false)
    );
    assert_eq!(
        d.host_reservation_identifiers,
        vec![IdentifierType::HwAddress, IdentifierType::Duid]
    );
    assert!(d.server_id.persist && d.server_id.identifier.is_none());
    // Only Dhcp4: no Dhcp6.
    let c = ok(r#"{ "Dhcp4": { } }"#);
    assert!(c.has_dhcp4 && c.dhcp6.is_none());
    // Neither: an error at the top-level map.
    let e = fails(
        r#"{ "xdhcp": { } }"#,
        "missing mandatory 'Dhcp4' or 'Dhcp6'",
    );
    assert_eq!((e.line, e.path.as_str()), (1, "Dhcp4"));
    fails(r#"{ "Dhcp6": [] }"#, "'Dhcp6': expected a map, got a list");
}

#[test]
fn inheritance_and_overrides() {
    let c = ok(&dhcp6(
        r#""preferred-lifetime": 100, "valid-lifetime": 200, "renew-timer": 50,
           "rebind-timer": 80, "rapid-commit": true, "reservation-mode": "disabled",
           "subnet6": [
             { "subnet": "2001:db8:1::/64" },
             { "subnet": "2001:db8:2::/64", "preferred-lifetime": 1000, "valid-lifetime": 2000,
               "renew-timer": 500, "rebind-timer": 800, "rapid-commit": false,
               "reservations-in-subnet": true }
           ]"#,
    ));
    let s = &v6(&c).subnets;
    let t = |s: &Subnet6| {
        (
            s.preferred_lifetime,
            s.valid_lifetime,
            s.renew_timer,
            s.rebind_timer,
            s.rapid_commit,
            s.reservation_mode.in_subnet,
        )
    };
    assert_eq!(t(&s[0]), (100, 200, 50, 80, true, false));
    assert_eq!(t(&s[1]), (1000, 2000, 500, 800, false, true));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn timers_and_warnings() {
    // renew > rebind, at the subnet (against the inherited rebind-timer).
    let e = fails(
        &sub(r#""renew-timer": 3000"#),
        "renew-timer (3000) is greater",
    );
    assert_eq!(e.path, "Dhcp6/subnet6[0]/renew-timer");
    let e = fails(&sub(r#""rebind-timer": 100"#), "rebind-timer (100)");
    assert_eq!(e.key, "rebind-timer");
    // Global: explicit rebind below the default renew.
    let e = fails(&dhcp6(r#""rebind-timer": 600"#), "renew-timer (900)");
    assert_eq!(e.path, "Dhcp6/rebind-timer");
    // preferred > valid and timers >= valid are accepted with warnings.
    let c = ok(&sub(
        r#""preferred-lifetime": 9000, "valid-lifetime": 1000"#,
    ));
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("preferred-lifetime (9000) is greater than valid-lifetime"));
    assert!(c.warnings[1].contains("rebind-timer (1800) is not less than valid-lifetime"));
    // Zero timers let the client choose: no warning.
    let c = ok(&sub(
        r#""renew-timer": 0, "rebind-timer": 0, "valid-lifetime": 10, "preferred-lifetime": 5"#,
    ));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn subnet_ids_prefixes_and_host_bits() {
    let c = ok(&dhcp6(
        r#""subnet6": [ { "subnet": "2001:db8:1::/64", "id": 5 }, { "subnet": "2001:db8:2::1/64" },
                        { "subnet": "2001:db8:3::/64", "id": 0 } ]"#,
    ));
    let d = v6(&c);
    assert_eq!(
        d.subnets.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![5, 6, 7]
    );
    assert_eq!(d.subnets[1].prefix, ip("2001:db8:2::"));
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("has host bits set; using 2001:db8:2::/64"));
    fails(
        &dhcp6(
            r#""subnet6": [ { "subnet": "2001:db8:1::/64" }, { "subnet": "2001:db8:1::/64" } ]"#,
        ),
        "a subnet with the prefix 2001:db8:1::/64 already exists",
    );
    fails(
        &dhcp6(r#""subnet6": [ { "subnet": "192.0.2.0/24" } ]"#),
        "is not a valid IPv6 prefix",
    );
    fails(
        &dhcp6(r#""subnet6": [ { "id": 1 } ]"#),
        "missing mandatory 'subnet'",
    );
}

#[test]
fn pools_and_pd_pools() {
    let c = ok(&sub(
        r#""pools": [ { "pool": "2001:db8:1::10-2001:db8:1::1f" }, { "pool": "2001:db8:1:0:1::/80", "comment": "p" } ],
           "pd-pools": [ { "prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 48 },
                         { "prefix": "2001:db8:200::1", "prefix-len": 48, "delegated-len": 48,
                           "excluded-prefix": "::", "excluded-prefix-len": 0 } ]"#,
    ));
    let s = &v6(&c).subnets[0];
    assert_eq!(
        (s.pools[1].start, s.pools[1].end),
        (ip("2001:db8:1:0:1::"), ip("2001:db8:1:0:1:ffff:ffff:ffff"))
    );
    assert_eq!(s.pd_pools[0].capacity(), 256);
    assert_eq!(s.pd_pools[1].prefix, ip("2001:db8:200::"));
    assert_eq!(s.pd_pools[1].excluded_prefix, None);
    assert_eq!(s.pd_pools[1].capacity(), 1);
    assert!(
        c.warnings[0].contains("bits set beyond prefix-len 48"),
        "{:?}",
        c.warnings
    );

    let e = fails(
        &sub(
            r#""pools": [ { "pool": "2001:db8:1::1-2001:db8:1::9" }, { "pool": "2001:db8:1::9-2001:db8:1::20" } ]"#,
        ),
        "overlaps with pool 2001:db8:1::1 - 2001:db8:1::9",
    );
    assert_eq!(e.path, "Dhcp6/subnet6[0]/pools[1]/pool");
    fails(
        &sub(r#""pools": [ { "pool": "2001:db8:1::9-2001:db8:1::1" } ]"#),
        "is greater than pool end",
    );
    fails(
        &sub(r#""pools": [ { "pool": "2001:db8:1::9" } ]"#),
        "is not a valid pool",
    );
    fails(&sub(r#""pools": [ { } ]"#), "missing mandatory 'pool'");
    // pd-pools of two subnets overlap.
    let e = fails(
        &dhcp6(
            r#""subnet6": [
              { "subnet": "2001:db8:1::/64", "pd-pools": [ { "prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 56 } ] },
              { "subnet": "2001:db8:2::/64", "pd-pools": [ { "prefix": "2001:db8:100:ff00::", "prefix-len": 56, "delegated-len": 64 } ] } ]"#,
        ),
        "overlaps with pd-pool 2001:db8:100::/40 (delegated /56) (Dhcp6/subnet6[0]/pd-pools[0]/prefix)",
    );
    assert_eq!(e.path, "Dhcp6/subnet6[1]/pd-pools[0]/prefix");
    let pd = |body: &str| sub(&format!(r#""pd-pools": [ {{ {body} }} ]"#));
    fails(
        &pd(r#""prefix": "2001:db8:100::", "prefix-len": 40"#),
        "missing mandatory 'delegated-len' in a pd-pool",
    );
    fails(
        &pd(r#""prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 129"#),
        "'delegated-len': value 129 is out of range (1..128)",
    );
    fails(
        &pd(
            r#""prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 64, "excluded-prefix": "2001:db8:100::""#,
        ),
        "'excluded-prefix': requires 'excluded-prefix-len'",
    );
    fails(
        &pd(
            r#""prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 64, "excluded-prefix": "2001:db8:100::1", "excluded-prefix-len": 72"#,
        ),
        "has bits set beyond excluded-prefix-len 72",
    );
    fails(
        &pd(
            r#""prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 64, "client-classes": [ "a" ]"#,
        ),
        "'client-classes' is not supported yet by xdhcp",
    );
    // The default (empty) value of an unsupported pd-pool key is tolerated.
    ok(&pd(
        r#""prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 64, "client-classes": [], "pool-id": 0"#,
    ));
}

#[test]
fn subnet_interfaces_and_relays() {
    let c = ok(&sub(
        r#""interface-id": "port-7", "relay": { "ip-addresses": [ "2001:db8::1", "2001:db8::2", "2001:db8::1" ] }"#,
    ));
    let s = &v6(&c).subnets[0];
    assert_eq!(s.interface_id, Some(b"port-7".to_vec()));
    assert_eq!(
        s.relay_addresses,
        vec![ip("2001:db8::1"), ip("2001:db8::2")]
    );
    fails(
        &sub(r#""relay": { "ip-address": "192.0.2.1" }"#),
        "'192.0.2.1' is not a valid IPv6 address",
    );
    let c = ok(&dhcp6(
        r#""interfaces-config": { "interfaces": [ "*", "eth0/fe80::1", "eth0/fe80::1" ], "comment": "c" }"#,
    ));
    assert_eq!(
        v6(&c).interfaces,
        vec![
            InterfaceSpec6 {
                name: "*".into(),
                address: None
            },
            InterfaceSpec6 {
                name: "eth0".into(),
                address: Some(ip("fe80::1"))
            }
        ]
    );
    assert!(v6(&c).interfaces[0].is_wildcard());
    fails(
        &dhcp6(r#""interfaces-config": { "interfaces": [ "eth0/192.0.2.1" ] }"#),
        "is not a valid IPv6 address",
    );
    fails(
        &dhcp6(r#""interfaces-config": { "interfaces": [ "*/2001:db8::1" ] }"#),
        "'*' cannot have an address",
    );
    fails(
        &dhcp6(r#""interfaces-config": { "dhcp-socket-type": "udp" }"#),
        "unexpected key 'dhcp-socket-type' in Dhcp6/interfaces-config",
    );
}

#[test]
fn reservation_rules() {
    let res = |r: &str| sub(&format!(r#""reservations": [ {r} ]"#));
    let c = ok(&res(
        r#"{ "duid": "0x000100", "hostname": "h", "prefixes": [ "2001:db8:8000::1/48" ], "comment": "r" },
           { "hw-address": "0:1:2:3:4:5", "client-classes": [ "a" ], "excluded-prefixes": [] },
           { "flex-id": "01:02" }"#,
    ));
    let r = &v6(&c).subnets[0].reservations;
    assert_eq!(r[0].identifier, HostIdentifier::Duid(vec![0, 1, 0]));
    assert_eq!(r[0].prefixes, vec![(ip("2001:db8:8000::"), 48)]);
    assert!(c.warnings[0].contains("bits set beyond the prefix length"));
    assert_eq!(
        r[1].identifier,
        HostIdentifier::HwAddress(vec![0, 1, 2, 3, 4, 5])
    );
    assert_eq!(r[2].identifier, HostIdentifier::FlexId(vec![1, 2]));
    fails(
        &res(r#"{ "ip-addresses": [ "2001:db8:1::1" ] }"#),
        "needs one identifier",
    );
    fails(
        &res(r#"{ "circuit-id": "01" }"#),
        "'circuit-id' is a DHCPv4 identifier",
    );
    fails(
        &res(r#"{ "duid": "01:02", "ip-address": "2001:db8:1::1" }"#),
        "unexpected key 'ip-address'",
    );
    let e = fails(
        &res(
            r#"{ "duid": "01:02", "ip-addresses": [ "2001:db8:1::1" ] }, { "duid": "03", "ip-addresses": [ "2001:db8:1::1" ] }"#,
        ),
        "there is already a reservation for 2001:db8:1::1 in this subnet (Dhcp6/subnet6[0]/reservations[0])",
    );
    assert_eq!(e.path, "Dhcp6/subnet6[0]/reservations[1]/ip-addresses[0]");
    fails(
        &res(r#"{ "duid": "01:02" }, { "duid": "1:2" }"#),
        "already a reservation for this identifier",
    );
    fails(
        &res(
            r#"{ "duid": "01", "prefixes": [ "2001:db8:8000::/48" ] }, { "duid": "02", "prefixes": [ "2001:db8:8000::/48" ] }"#,
        ),
        "there is already a reservation for 2001:db8:8000::/48",
    );
    fails(
        &res(r#"{ "duid": "01", "prefixes": [ "2001:db8:8000::/0" ] }"#),
        "is not a valid IPv6 prefix",
    );
    fails(
        &res(r#"{ "duid": "01", "ip-addresses": [ "ff02::1" ] }"#),
        "cannot be reserved",
    );
    fails(
        &res(r#"{ "duid": "01", "ip-addresses": [ "2001:db8:1::5", "2001:db8:1::5" ] }"#),
        "is listed twice",
    );
    fails(
        &res(r#"{ "duid": "01", "excluded-prefixes": [ "2001:db8::/64" ] }"#),
        "'excluded-prefixes' is not supported yet by xdhcp",
    );
    fails(
        &dhcp6(r#""host-reservation-identifiers": [ "duid", "client-id" ]"#),
        "invalid DHCPv6 host reservation identifier 'client-id'",
    );
}

#[test]
fn option_resolution() {
    let c = ok(&dhcp6(
        r#""option-data": [
            { "code": 23, "data": "2001:db8::1" },
            { "name": "dns-servers", "code": 23, "data": "2001:db8::2", "always-send": true },
            { "code": 65000, "data": "01:02" },
            { "code": 1026, "space": "vendor-4491", "data": "00:11:22:33:44:55" },
            { "name": "s46-dmr", "space": "s46-cont-mapt-options", "data": "2001:db8::/64" },
            { "name": "information-refresh-time", "data": "3600", "comment": "x" }
        ]"#,
    ));
    let o = &v6(&c).option_data;
    assert_eq!(
        (o[0].code, o[0].name.as_deref(), o[0].space.as_str()),
        (23, Some("dns-servers"), "dhcp6")
    );
    assert!(o[1].always_send);
    assert_eq!(
        (
            o[2].code,
            o[2].name.as_deref(),
            o[2].csv_format,
            o[2].data.as_slice()
        ),
        (65000, None, false, &[1, 2][..])
    );
    assert_eq!(
        (
            o[3].name.as_deref(),
            o[3].vendor_enterprise(),
            o[3].data.len()
        ),
        (Some("cmts-cm-mac"), Some(4491), 6)
    );
    assert_eq!(o[4].code, 91);
    assert_eq!(o[5].data, vec![0, 0, 0x0e, 0x10]);
    let e = fails(
        &dhcp6(r#""option-data": [ { "name": "dns-servers", "code": 24, "data": "" } ]"#),
        "does not match",
    );
    assert_eq!(e.key, "name");
    fails(
        &dhcp6(r#""option-data": [ { "code": 0, "data": "" } ]"#),
        "invalid option code 0",
    );
    fails(
        &dhcp6(r#""option-data": [ { "code": 65536, "data": "" } ]"#),
        "out of range",
    );
    fails(
        &dhcp6(r#""option-data": [ { "code": 65000, "csv-format": true, "data": "x" } ]"#),
        "definition for the option 'dhcp6.65000' does not exist",
    );
    fails(
        &dhcp6(r#""option-data": [ { "name": "routers", "data": "2001:db8::1" } ]"#),
        "'dhcp6.routers' does not exist",
    );
    fails(
        &dhcp6(r#""option-data": [ { "name": "dns-servers", "space": "bad space", "data": "" } ]"#),
        "invalid option space name",
    );
}

#[test]
fn server_id_and_data_directory() {
    let c = ok(&dhcp6(
        r#""server-id": { "type": "LL", "identifier": "0a:0b:0c:0d:0e:0f", "htype": 1, "comment": "s" },
           "data-directory": "/var/lib/xdhcp""#,
    ));
    let d = v6(&c);
    assert_eq!(d.server_id.kind, DuidType::Ll);
    assert_eq!(d.server_id.identifier, Some(vec![10, 11, 12, 13, 14, 15]));
    assert_eq!(d.server_id.htype, Some(1));
    assert_eq!(d.data_directory, Some("/var/lib/xdhcp".into()));
    fails(
        &dhcp6(r#""server-id": { "identifier": "xyz" }"#),
        "'identifier': 'xyz' is not a valid hex string",
    );
    fails(&dhcp6(r#""server-id": { "htype": 65536 }"#), "out of range");
    fails(
        &dhcp6(r#""server-id": { "foo": 1 }"#),
        "unexpected key 'foo' in Dhcp6/server-id",
    );
}

#[test]
fn refused_and_tolerated_keys() {
    let c = ok(&dhcp6(
        r#""hooks-libraries": [], "client-classes": [], "shared-networks": [], "option-def": [],
           "relay-supplied-options": [ "65" ], "mac-sources": [ "any" ], "dhcp4o6-port": 0,
           "multi-threading": { "enable-multi-threading": false },
           "dhcp-ddns": { "enable-updates": false }, "pd-allocator": "iterative",
           "allocator": "iterative", "allow-address-registration": false,
           "ddns-send-updates": false, "calculate-tee-times": false,
           "comment": "top", "user-context": { "a": 1 },
           "subnet6": [ { "subnet": "2001:db8:1::/64", "require-client-classes": [], "comment": "s" } ]"#,
    ));
    let d = v6(&c);
    assert_eq!(
        d.user_context.as_ref().map(|u| u.to_json()),
        Some(r#"{"a":1,"comment":"top"}"#.to_string())
    );
    assert_eq!(
        d.subnets[0].user_context.as_ref().map(|u| u.to_json()),
        Some(r#"{"comment":"s"}"#.to_string())
    );
    for (body, key) in [
        (
            r#""relay-supplied-options": [ "110" ]"#,
            "relay-supplied-options",
        ),
        (r#""dhcp4o6-port": 6767"#, "dhcp4o6-port"),
        (r#""pd-allocator": "random""#, "pd-allocator"),
        (r#""min-preferred-lifetime": 10"#, "min-preferred-lifetime"),
        (r#""hosts-database": { "type": "mysql" }"#, "hosts-database"),
        (
            r#""control-socket": { "socket-type": "unix", "socket-name": "/tmp/s" }"#,
            "control-socket",
        ),
        (r#""ddns-send-updates": true"#, "ddns-send-updates"),
        (r#""reservations": [ { "duid": "01" } ]"#, "reservations"),
    ] {
        let e = fails(
            &dhcp6(body),
            &format!("'{key}' is not supported yet by xdhcp"),
        );
        assert_eq!(
            (e.path.as_str(), e.key.as_str()),
            (format!("Dhcp6/{key}").as_str(), key)
        );
    }
    let e = fails(
        &sub(r#""client-class": "x""#),
        "'client-class' is not supported yet",
    );
    assert_eq!(e.path, "Dhcp6/subnet6[0]/client-class");
    // DHCPv4-only keys are unknown in Dhcp6.
    for key in ["next-server", "authoritative", "subnet4", "echo-client-id"] {
        fails(
            &dhcp6(&format!(r#""{key}": 1"#)),
            &format!("unexpected key '{key}' in Dhcp6"),
        );
    }
    fails(
        &sub(r#""match-client-id": true"#),
        "unexpected key 'match-client-id'",
    );
    fails(
        &dhcp6(r#""lease-database": { "type": "postgresql" }"#),
        "'postgresql' is not supported yet by xdhcp",
    );
}

#[test]
fn both_sections_and_loggers() {
    let c = ok(r#"{
        "Dhcp4": { "loggers": [ { "name": "kea-dhcp4" } ],
                   "subnet4": [ { "subnet": "10.0.0.0/24", "id": 4 } ] },
        "Dhcp6": { "loggers": [ { "name": "kea-dhcp6", "severity": "WARN" } ],
                   "subnet6": [ { "subnet": "2001:db8:1::/64", "id": 4 } ] } }"#);
    assert!(c.has_dhcp4);
    // Subnet ids are per protocol: the same id in v4 and v6 is fine.
    assert_eq!(c.dhcp4.subnets[0].id, 4);
    assert_eq!(v6(&c).subnets[0].id, 4);
    let names: Vec<_> = c
        .logging
        .loggers
        .iter()
        .map(|l| (l.name.as_str(), l.severity))
        .collect();
    assert_eq!(
        names,
        vec![("kea-dhcp4", Severity::Info), ("kea-dhcp6", Severity::Warn)]
    );
    let e = fails(
        r#"{ "Dhcp4": { }, "Dhcp6": { "loggers": [] }, "Logging": { "loggers": [] } }"#,
        "'loggers' given both inside 'Dhcp6'",
    );
    assert_eq!(e.path, "Dhcp6/loggers");
    // Errors in Dhcp6 are reported even when Dhcp4 is fine.
    let e = fails(
        r#"{ "Dhcp4": { },
  "Dhcp6": { "valid-lifetime": "x" } }"#,
        "'valid-lifetime': expected an integer, got a string",
    );
    assert_eq!(
        (e.line, e.col, e.path.as_str()),
        (2, 32, "Dhcp6/valid-lifetime")
    );
    fails(
        r#"{ "Dhcp6": { }, "Dhcp4o6": { } }"#,
        "'Dhcp4o6' is not supported yet by xdhcp",
    );
}
