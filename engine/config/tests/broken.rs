//! Each file under tests/data/broken/ must fail to load with the expected
//! message, JSON path and line. EXPECTED.tsv (used by the system test running
//! `xdhcpd -t`) must list every file with a substring of its message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use xdhcp_config::load_file;

/// (file, line, JSON path, key, substring of the message)
const CASES: &[(&str, u32, &str, &str, &str)] = &[
    (
        "xdhcp-bad-io-mode.json",
        7,
        "xdhcp/io-mode",
        "io-mode",
        "'io-mode': unknown I/O mode 'dpdk' (expected auto, xdp or udp)",
    ),
    (
        "pool-too-large.json",
        4,
        "Dhcp4/subnet4[0]/pools[0]/pool",
        "pool",
        "supports at most 16777216 per pool",
    ),
    ("unterminated-comment.json", 5, "", "", "comment not closed"),
    (
        "trailing-garbage.json",
        5,
        "",
        "",
        "unexpected text after the end of the top-level value",
    ),
    (
        "wrong-type.json",
        3,
        "Dhcp4/valid-lifetime",
        "valid-lifetime",
        "'valid-lifetime': expected an integer, got a string",
    ),
    (
        "out-of-range.json",
        4,
        "Dhcp4/valid-lifetime",
        "valid-lifetime",
        "'valid-lifetime': value 4294967296 is out of range",
    ),
    (
        "unknown-key.json",
        4,
        "Dhcp4/valid-lifetim",
        "valid-lifetim",
        "unexpected key 'valid-lifetim'",
    ),
    (
        "unsupported-key.json",
        4,
        "Dhcp4/client-classes",
        "client-classes",
        "'client-classes' is not supported yet by xdhcp",
    ),
    (
        "unsupported-shared-networks.json",
        3,
        "Dhcp4/shared-networks",
        "shared-networks",
        "'shared-networks' is not supported yet by xdhcp",
    ),
    (
        "unsupported-hooks.json",
        3,
        "Dhcp4/hooks-libraries",
        "hooks-libraries",
        "'hooks-libraries' is not supported yet by xdhcp",
    ),
    (
        "bad-pool.json",
        5,
        "Dhcp4/subnet4[0]/pools[0]/pool",
        "pool",
        "'192.0.2.x' is not a valid IPv4 address",
    ),
    (
        "pool-outside-subnet.json",
        7,
        "Dhcp4/subnet4[0]/pools[1]/pool",
        "pool",
        "is not inside the subnet 192.0.2.0/24",
    ),
    (
        "overlapping-pools.json",
        7,
        "Dhcp4/subnet4[0]/pools[1]/pool",
        "pool",
        "overlaps with pool 192.0.2.10 - 192.0.2.100",
    ),
    (
        "overlapping-pools-across-subnets.json",
        10,
        "Dhcp4/subnet4[1]/pools[0]/pool",
        "pool",
        "overlaps with pool 10.0.0.1 - 10.0.1.255 (Dhcp4/subnet4[0]/pools[0]/pool)",
    ),
    (
        "duplicate-subnet-id.json",
        6,
        "Dhcp4/subnet4[1]/id",
        "id",
        "duplicate subnet id 5",
    ),
    (
        "bad-subnet-prefix.json",
        4,
        "Dhcp4/subnet4[0]/subnet",
        "subnet",
        "'192.0.2.0/33' is not a valid IPv4 prefix",
    ),
    (
        "missing-subnet.json",
        5,
        "Dhcp4/subnet4[1]/subnet",
        "subnet",
        "missing mandatory 'subnet'",
    ),
    (
        "bad-hw-address.json",
        6,
        "Dhcp4/subnet4[0]/reservations[0]/hw-address",
        "hw-address",
        "'1a:1b:zz:1d:1e:1f' is not a valid hardware address",
    ),
    (
        "two-identifiers.json",
        8,
        "Dhcp4/subnet4[0]/reservations[0]/client-id",
        "client-id",
        "a reservation must have exactly one identifier",
    ),
    (
        "reservation-outside-subnet.json",
        7,
        "Dhcp4/subnet4[0]/reservations[0]/ip-address",
        "ip-address",
        "reserved address 198.51.100.7 is not inside the subnet",
    ),
    (
        "duplicate-reservation-address.json",
        7,
        "Dhcp4/subnet4[0]/reservations[1]/ip-address",
        "ip-address",
        "there is already a reservation for 192.0.2.201",
    ),
    (
        "bad-option-data.json",
        5,
        "Dhcp4/option-data[0]/data",
        "data",
        "invalid value '192.0.2.300' for option 'routers'",
    ),
    (
        "unknown-option-name.json",
        4,
        "Dhcp4/option-data[0]/name",
        "name",
        "definition for the option 'dhcp4.domain-nameservers' does not exist",
    ),
    (
        "option-code-without-definition.json",
        4,
        "Dhcp4/option-data[0]/code",
        "code",
        "definition for the option 'dhcp4.222' does not exist",
    ),
    (
        "duplicate-key.json",
        5,
        "Dhcp4/valid-lifetime",
        "valid-lifetime",
        "duplicate key 'valid-lifetime'",
    ),
    (
        "renew-greater-than-rebind.json",
        5,
        "Dhcp4/subnet4[0]/renew-timer",
        "renew-timer",
        "the value of renew-timer (3000) is greater than the value of rebind-timer (2000)",
    ),
    (
        "missing-dhcp4.json",
        2,
        "Dhcp4",
        "Dhcp4",
        "missing mandatory 'Dhcp4'",
    ),
    (
        "unsupported-dhcp-ddns.json",
        3,
        "DhcpDdns",
        "DhcpDdns",
        "'DhcpDdns' is not supported yet by xdhcp",
    ),
    (
        "lease-database-mysql.json",
        3,
        "Dhcp4/lease-database/type",
        "type",
        "lease database type 'mysql' is not supported yet by xdhcp",
    ),
    (
        "bad-logger-severity.json",
        5,
        "Dhcp4/loggers[0]/severity",
        "severity",
        "unknown severity 'VERBOSE'",
    ),
    (
        "missing-include.json",
        3,
        "Dhcp4/subnet4",
        "subnet4",
        "cannot read included file",
    ),
    (
        "reservation-mode-and-flags.json",
        4,
        "Dhcp4/reservation-mode",
        "reservation-mode",
        "invalid use of both 'reservation-mode' and 'reservations-in-subnet'",
    ),
    (
        "v6-bad-option-data.json",
        4,
        "Dhcp6/option-data[0]/data",
        "data",
        "invalid value '192.0.2.53' for option 'dns-servers'",
    ),
    (
        "v6-bad-server-id-type.json",
        3,
        "Dhcp6/server-id/type",
        "type",
        "'type': invalid server DUID type 'UUID' (expected LLT, EN or LL)",
    ),
    (
        "v6-bad-subnet-prefix.json",
        3,
        "Dhcp6/subnet6[0]/subnet",
        "subnet",
        "'2001:db8:1::/129' is not a valid IPv6 prefix",
    ),
    (
        "v6-duplicate-subnet-id.json",
        5,
        "Dhcp6/subnet6[1]/id",
        "id",
        "duplicate subnet id 7",
    ),
    (
        "v6-excluded-prefix-len.json",
        9,
        "Dhcp6/subnet6[0]/pd-pools[0]/excluded-prefix-len",
        "excluded-prefix-len",
        "'excluded-prefix-len': excluded prefix length 64 must be greater than delegated-len 64 (RFC 6603)",
    ),
    (
        "v6-excluded-prefix-outside.json",
        8,
        "Dhcp6/subnet6[0]/pd-pools[0]/excluded-prefix",
        "excluded-prefix",
        "'excluded-prefix': 2001:db8:9000::/72 is not inside a delegated prefix of 2001:db8:8000::/48 (RFC 6603)",
    ),
    (
        "v6-interface-and-interface-id.json",
        5,
        "Dhcp6/subnet6[0]/interface-id",
        "interface-id",
        "'interface-id': 'interface' (eth0) and 'interface-id' are mutually exclusive in a subnet",
    ),
    (
        "v6-loggers-twice.json",
        3,
        "Dhcp6/loggers",
        "loggers",
        "'loggers' given both inside 'Dhcp6' and in the top-level 'Logging'",
    ),
    (
        "v6-overlapping-pools-across-subnets.json",
        8,
        "Dhcp6/subnet6[1]/pools[0]/pool",
        "pool",
        "overlaps with pool 2001:db8:1:: - 2001:db8:1:0:ffff:ffff:ffff:ffff (Dhcp6/subnet6[0]/pools[0]/pool)",
    ),
    (
        "v6-pd-pool-delegated-len.json",
        7,
        "Dhcp6/subnet6[0]/pd-pools[0]/delegated-len",
        "delegated-len",
        "'delegated-len': delegated length 48 must be greater than or equal to prefix-len 56",
    ),
    (
        "v6-pool-outside-subnet.json",
        6,
        "Dhcp6/subnet6[0]/pools[1]/pool",
        "pool",
        "is not inside the subnet 2001:db8:1::/64",
    ),
    (
        "v6-pool-overlaps-pd-pool.json",
        6,
        "Dhcp6/subnet6[0]/pd-pools[0]/prefix",
        "prefix",
        "pd-pool 2001:db8:1::/48 (delegated /64) overlaps with pool 2001:db8:1:ff::",
    ),
    (
        "v6-renew-greater-than-rebind.json",
        3,
        "Dhcp6/renew-timer",
        "renew-timer",
        "the value of renew-timer (2000) is greater than the value of rebind-timer (1800)",
    ),
    (
        "v6-reservation-bad-prefix.json",
        6,
        "Dhcp6/subnet6[0]/reservations[0]/prefixes[0]",
        "prefixes",
        "'2001:db8:8000::/129' is not a valid IPv6 prefix",
    ),
    (
        "v6-reservation-client-id.json",
        5,
        "Dhcp6/subnet6[0]/reservations[0]/client-id",
        "client-id",
        "'client-id' is a DHCPv4 identifier; a DHCPv6 reservation takes 'duid', 'hw-address' or 'flex-id'",
    ),
    (
        "v6-reservation-outside-subnet.json",
        7,
        "Dhcp6/subnet6[0]/reservations[0]/ip-addresses[1]",
        "ip-addresses",
        "reserved address 2001:db8:2::10 is not inside the subnet",
    ),
    (
        "v6-reservation-two-identifiers.json",
        7,
        "Dhcp6/subnet6[0]/reservations[0]/hw-address",
        "hw-address",
        "a reservation must have exactly one identifier",
    ),
    (
        "v6-unknown-option-name.json",
        5,
        "Dhcp6/subnet6[0]/option-data[0]/name",
        "name",
        "'name': definition for the option 'dhcp6.domain-name-servers' does not exist",
    ),
    (
        "v6-unsupported-mac-sources.json",
        3,
        "Dhcp6/mac-sources",
        "mac-sources",
        "'mac-sources' is not supported yet by xdhcp",
    ),
    (
        "v6-unsupported-shared-networks.json",
        4,
        "Dhcp6/shared-networks",
        "shared-networks",
        "'shared-networks' is not supported yet by xdhcp",
    ),
    (
        "v6-v4-only-key.json",
        4,
        "Dhcp6/match-client-id",
        "match-client-id",
        "unexpected key 'match-client-id' in Dhcp6",
    ),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/broken")
}

#[test]
fn broken_configs_fail_with_expected_errors() {
    let mut failures = Vec::new();
    for &(file, line, path, key, substring) in CASES {
        let p = dir().join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("// BROKEN:"),
            "{file}: first line must say what is wrong"
        );
        match load_file(&p) {
            Ok(_) => failures.push(format!("{file}: loaded without error")),
            Err(e) => {
                let shown = e.to_string();
                let ok = e.line == line
                    && e.path == path
                    && e.key == key
                    && e.message.contains(substring)
                    && e.file.ends_with(file)
                    && shown.starts_with(&format!("{}:{}:{}: ", e.file, e.line, e.col))
                    && (path.is_empty() || shown.contains(&format!(": {path}: ")));
                if !ok {
                    failures.push(format!(
                        "{file}: expected line {line} path {path:?} key {key:?} message containing {substring:?}, got line {} path {:?} key {:?}: {shown}",
                        e.line, e.path, e.key
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn expected_tsv_lists_every_case() {
    let tsv = std::fs::read_to_string(dir().join("EXPECTED.tsv")).unwrap();
    let mut listed = BTreeMap::new();
    for l in tsv
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (f, s) = l.split_once('\t').expect("file<TAB>substring");
        assert!(
            listed.insert(f.to_string(), s.to_string()).is_none(),
            "{f} listed twice"
        );
    }
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".json"))
        .collect();
    files.sort();
    let listed_files: Vec<String> = listed.keys().cloned().collect();
    assert_eq!(
        files, listed_files,
        "EXPECTED.tsv must list exactly the broken files"
    );
    for &(file, _, _, _, _) in CASES {
        assert!(
            listed.contains_key(file),
            "{file} missing from EXPECTED.tsv"
        );
    }
    assert_eq!(
        CASES.len(),
        files.len(),
        "every broken file needs a CASES entry"
    );
    for (f, s) in &listed {
        let e = load_file(&dir().join(f)).unwrap_err().to_string();
        assert!(e.contains(s.as_str()), "{f}: {e:?} does not contain {s:?}");
    }
}

#[test]
#[ignore]
fn show_messages() {
    for &(file, ..) in CASES {
        println!("{}", load_file(&dir().join(file)).unwrap_err());
    }
}

#[test]
#[ignore]
fn show_all_files() {
    let mut files: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for p in files {
        match load_file(&p) {
            Ok(_) => println!("LOADED {}", p.display()),
            Err(e) => println!(
                "{}\t{}\t{}\t{}\t{}",
                p.file_name().unwrap().to_string_lossy(),
                e.line,
                e.path,
                e.key,
                e.message
            ),
        }
    }
}
