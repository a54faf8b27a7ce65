//! Loader semantics: inheritance, id assignment, option resolution, dialects.

use std::net::Ipv4Addr;

use xdhcp_config::*;

fn ok(text: &str) -> Config {
    load_str(text, "t.json").unwrap_or_else(|e| panic!("{e}"))
}

fn fails(text: &str, substring: &str) -> ConfigError {
    match load_str(text, "t.json") {
        Ok(_) => panic!("loaded, expected error containing {substring:?}"),
        Err(e) => {
            assert!(e.to_string().contains(substring), "{e}");
            e
        }
    }
}

fn dhcp4(body: &str) -> String {
    format!("{{ \"Dhcp4\": {{ {body} }} }}")
}

#[test]
fn subnet_ids_are_assigned_like_kea() {
    let c = ok(&dhcp4(
        r#""subnet4": [ { "subnet": "10.0.1.0/24", "id": 5 }, { "subnet": "10.0.2.0/24" },
                        { "subnet": "10.0.3.0/24", "id": 2 }, { "subnet": "10.0.4.0/24", "id": 0 } ]"#,
    ));
    let ids: Vec<u32> = c.dhcp4.subnets.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![5, 6, 2, 7]);
    let e = fails(
        &dhcp4(
            r#""subnet4": [ { "subnet": "10.0.1.0/24" }, { "subnet": "10.0.2.0/24", "id": 1 } ]"#,
        ),
        "duplicate subnet id 1",
    );
    assert_eq!(e.path, "Dhcp4/subnet4[1]/id");
    fails(
        &dhcp4(r#""subnet4": [ { "subnet": "10.0.1.0/24" }, { "subnet": "10.0.1.0/24" } ]"#),
        "already exists",
    );
}

#[test]
fn inheritance_and_overrides() {
    let c = ok(&dhcp4(
        r#""valid-lifetime": 1000, "renew-timer": 100, "rebind-timer": 200, "match-client-id": false,
           "next-server": "10.0.0.1", "server-hostname": "srv", "boot-file-name": "boot",
           "authoritative": true, "reservations-out-of-pool": true,
           "subnet4": [
             { "subnet": "10.0.1.0/24" },
             { "subnet": "10.0.2.0/24", "valid-lifetime": 50, "renew-timer": 10, "rebind-timer": 20,
               "match-client-id": true, "next-server": "10.0.2.1", "server-hostname": "s2",
               "boot-file-name": "b2", "authoritative": false, "reservations-in-subnet": false }
           ]"#,
    ));
    let [a, b] = &c.dhcp4.subnets[..] else {
        panic!()
    };
    assert_eq!(
        (a.valid_lifetime, a.renew_timer, a.rebind_timer),
        (1000, Some(100), Some(200))
    );
    assert!(!a.match_client_id && a.authoritative);
    assert_eq!(
        (
            a.next_server,
            a.server_hostname.as_str(),
            a.boot_file_name.as_str()
        ),
        ("10.0.0.1".parse::<Ipv4Addr>().unwrap(), "srv", "boot")
    );
    assert_eq!(
        a.reservation_mode,
        ReservationMode {
            global: false,
            in_subnet: true,
            out_of_pool: true
        }
    );
    assert_eq!(
        (b.valid_lifetime, b.renew_timer, b.rebind_timer),
        (50, Some(10), Some(20))
    );
    assert!(b.match_client_id && !b.authoritative);
    assert_eq!(b.server_hostname, "s2");
    assert_eq!(
        b.reservation_mode,
        ReservationMode {
            global: false,
            in_subnet: false,
            out_of_pool: true
        }
    );
    // Subnet timers that contradict the global ones.
    let e = fails(
        &dhcp4(
            r#""renew-timer": 100, "subnet4": [ { "subnet": "10.0.1.0/24", "rebind-timer": 50 } ]"#,
        ),
        "renew-timer (100) is greater than the value of rebind-timer (50)",
    );
    assert_eq!(e.path, "Dhcp4/subnet4[0]/rebind-timer");
    fails(
        &dhcp4(r#""renew-timer": 100, "rebind-timer": 50"#),
        "greater than",
    );
    // Timers not below valid-lifetime: only a warning.
    let c = ok(&dhcp4(
        r#""valid-lifetime": 100, "renew-timer": 100, "rebind-timer": 200"#,
    ));
    assert_eq!(
        c.warnings.len(),
        0,
        "global-only timers are checked per subnet"
    );
    let c = ok(&dhcp4(
        r#""valid-lifetime": 100, "rebind-timer": 200, "subnet4": [ { "subnet": "10.0.1.0/24" } ]"#,
    ));
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    fails(
        &dhcp4(&format!(r#""server-hostname": "{}""#, "x".repeat(64))),
        "at most 63 bytes",
    );
}

#[test]
fn comment_goes_into_user_context() {
    let c = ok(&dhcp4(r#""comment": "hello", "user-context": { "a": 1 }"#));
    assert_eq!(
        c.dhcp4.user_context.unwrap().to_json(),
        r#"{"a":1,"comment":"hello"}"#
    );
    let c = ok(&dhcp4(r#""comment": "only""#));
    assert_eq!(
        c.dhcp4.user_context.unwrap().to_json(),
        r#"{"comment":"only"}"#
    );
    fails(
        &dhcp4(r#""user-context": 5"#),
        "expected a map, got an integer",
    );
    fails(&dhcp4(r#""comment": []"#), "expected a string, got a list");
    // Accepted in nested scopes too.
    ok(&dhcp4(
        r#""interfaces-config": { "interfaces": [], "comment": "x" },
           "option-data": [ { "name": "routers", "data": "10.0.0.1", "comment": "gw" } ],
           "loggers": [ { "name": "kea-dhcp4", "comment": "l", "user-context": {} } ],
           "subnet4": [ { "subnet": "10.0.0.0/24", "comment": "s",
             "pools": [ { "pool": "10.0.0.5 - 10.0.0.6", "comment": "p" } ],
             "reservations": [ { "hw-address": "01:02:03:04:05:06", "comment": "r" } ] } ]"#,
    ));
}

#[test]
fn option_resolution() {
    let c = ok(&dhcp4(
        r#""option-data": [
            { "code": 3, "data": "10.0.0.1" },
            { "name": "routers", "code": 3, "data": "10.0.0.2" },
            { "code": 250, "data": "01:02" },
            { "code": 251, "csv-format": false, "data": "" },
            { "name": "vendor-encapsulated-options", "data": "" },
            { "code": 1, "space": "vendor-encapsulated-options-space", "csv-format": false, "data": "0a0b" }
        ]"#,
    ));
    let o = &c.dhcp4.option_data;
    assert_eq!(
        (o[0].code, o[0].name.as_deref(), o[0].data.as_slice()),
        (3, Some("routers"), &[10, 0, 0, 1][..])
    );
    assert_eq!(o[1].data, vec![10, 0, 0, 2]);
    assert_eq!(
        (
            o[2].code,
            o[2].name.as_deref(),
            o[2].csv_format,
            o[2].data.as_slice()
        ),
        (250, None, false, &[1, 2][..])
    );
    assert!(o[3].data.is_empty());
    assert_eq!(o[4].code, 43);
    assert_eq!(
        (o[5].space.as_str(), o[5].data.as_slice()),
        ("vendor-encapsulated-options-space", &[10, 11][..])
    );
    let e = fails(
        &dhcp4(r#""option-data": [ { "name": "routers", "code": 6, "data": "10.0.0.1" } ]"#),
        "does not match",
    );
    assert_eq!(e.key, "name");
    fails(
        &dhcp4(r#""option-data": [ { "code": 0, "data": "" } ]"#),
        "reserved for PAD",
    );
    fails(
        &dhcp4(r#""option-data": [ { "code": 256, "data": "" } ]"#),
        "out of range",
    );
    fails(
        &dhcp4(r#""option-data": [ { "data": "1" } ]"#),
        "must have a 'name' or a 'code'",
    );
    fails(
        &dhcp4(r#""option-data": [ { "code": 250, "csv-format": false, "data": "xyz" } ]"#),
        "invalid hex data",
    );
    fails(
        &dhcp4(
            r#""option-data": [ { "name": "routers", "data": "1.2.3.4", "never-send": true } ]"#,
        ),
        "'never-send' is not supported yet by xdhcp",
    );
}

#[test]
fn reservation_rules() {
    let sub = |res: &str| {
        dhcp4(&format!(
            r#""subnet4": [ {{ "subnet": "10.0.0.0/24", "reservations": [ {res} ] }} ]"#
        ))
    };
    let c = ok(&sub(
        r#"{ "client-id": "'abc'", "hostname": "h" }, { "circuit-id": "0x0102" }, { "duid": "01 02 03", "ip-address": "0.0.0.0" }"#,
    ));
    let r = &c.dhcp4.subnets[0].reservations;
    assert_eq!(r[0].identifier, HostIdentifier::ClientId(b"abc".to_vec()));
    assert_eq!(r[0].ip_address, None);
    assert_eq!(r[1].identifier, HostIdentifier::CircuitId(vec![1, 2]));
    assert_eq!(r[2].identifier, HostIdentifier::Duid(vec![1, 2, 3]));
    fails(
        &sub(r#"{ "ip-address": "10.0.0.5" }"#),
        "needs one identifier",
    );
    let e = fails(
        &sub(r#"{ "hw-address": "01:02:03:04:05:06" }, { "hw-address": "1:2:3:4:5:6" }"#),
        "already a reservation for this identifier",
    );
    assert_eq!(e.path, "Dhcp4/subnet4[0]/reservations[1]/hw-address");
    fails(
        &sub(r#"{ "hw-address": "01:02:03:04:05:06", "ip-addresses": [] }"#),
        "unexpected key 'ip-addresses'",
    );
}

#[test]
fn dialect_rules() {
    fails(
        r#"{ "Dhcp4": { "loggers": [] }, "Logging": { "loggers": [] } }"#,
        "both inside 'Dhcp4' and in the top-level 'Logging'",
    );
    fails("[1]", "top level must be a map");
    fails(r#"{ "Dhcp4": { }, "Foo": 1 }"#, "unexpected key 'Foo'");
    fails(
        r#"{ "Dhcp4": { }, "Control-agent": { } }"#,
        "'Control-agent' is not supported yet",
    );
    fails(
        &dhcp4(r#""multi-threading": { "enable-multi-threading": true }"#),
        "'multi-threading' is not supported yet",
    );
    fails(
        &dhcp4(r#""ddns-send-updates": true"#),
        "'ddns-send-updates' is not supported yet",
    );
    ok(&dhcp4(
        r#""ddns-send-updates": false, "reservations": [], "ip-reservations-unique": true"#,
    ));
    fails(
        &dhcp4(r#""subnet4": [ { "subnet": "10.0.0.0/8", "client-class": "foo" } ]"#),
        "'client-class' is not supported yet",
    );
    fails(
        &dhcp4(r#""subnet4": [ { "subnet": "10.0.0.0/8", "4o6-subnet": "2001:db8::/64" } ]"#),
        "'4o6-subnet' is not supported yet",
    );
    fails(
        &dhcp4(
            r#""subnet4": [ { "subnet": "10.0.0.0/8", "pools": [ { "pool": "10.0.0.1-10.0.0.2", "client-class": "x" } ] } ]"#,
        ),
        "'client-class' is not supported yet",
    );
    fails(
        &dhcp4(r#""reservation-mode": "sometimes""#),
        "invalid value 'sometimes'",
    );
    fails(
        &dhcp4(r#""host-reservation-identifiers": [ "hw-address", "hw-address" ]"#),
        "duplicate host reservation identifier",
    );
    fails(
        &dhcp4(r#""interfaces-config": { "interfaces": [ "eth0/300.1.1.1" ] }"#),
        "not a valid IPv4 address",
    );
    fails(
        &dhcp4(r#""lease-database": { "persist": true }"#),
        "must include 'type'",
    );
    let c = ok(&dhcp4(
        r#""interfaces-config": { "interfaces": [ "*" ], "outbound-interface": "use-routing", "re-detect": false }"#,
    ));
    assert!(c.dhcp4.interfaces[0].is_wildcard());
    assert_eq!(c.dhcp4.outbound_interface, OutboundInterface::UseRouting);
    let c = ok("{ \"Dhcp4\": { \"valid-lifetime\": 5, }, }");
    assert_eq!(c.warnings.len(), 2, "trailing commas warn");
}

#[test]
fn subnet_host_bits_warn() {
    let c = ok(&dhcp4(
        r#""subnet4": [ { "subnet": "10.0.0.7/24", "pools": [ { "pool": "10.0.0.10 - 10.0.0.20" } ] } ]"#,
    ));
    assert_eq!(
        c.dhcp4.subnets[0].prefix,
        "10.0.0.0".parse::<Ipv4Addr>().unwrap()
    );
    assert_eq!(
        c.dhcp4.subnets[0].netmask(),
        "255.255.255.0".parse::<Ipv4Addr>().unwrap()
    );
    assert_eq!(c.warnings.len(), 1);
}
