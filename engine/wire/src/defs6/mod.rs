//! Kea 1.4's DHCPv6 option definitions and the csv encoder for them. The
//! data types, hex decoder and value encoders are those of [`crate::defs`];
//! only the code width (16 bits) and the tuple length prefix (2 bytes)
//! differ.

mod table;

use crate::defs::encode::{Shape, Universe, encode_typed};
pub use crate::defs::{DataType, EncodeError, encode_hex};

/// One DHCPv6 option definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef {
    /// Kea name, e.g. "dns-servers".
    pub name: &'static str,
    /// Option code within `space`.
    pub code: u16,
    /// "dhcp6", "vendor-2495", "vendor-4491" or a softwire46 container
    /// space ("s46-cont-mape-options", ...).
    pub space: &'static str,
    /// Value type ([`DataType::Record`] means see `record`).
    pub data_type: DataType,
    /// Whether the value repeats (for records: the last field repeats).
    pub array: bool,
    /// Field types of a record, in order; empty otherwise.
    pub record: &'static [DataType],
    /// Option space carried inside this option, "" if none.
    pub encapsulates: &'static str,
}

/// The space of the standard DHCPv6 options.
pub const DHCP6_SPACE: &str = "dhcp6";
/// The space of ISC's (enterprise 2495) DHCPv4-over-DHCPv6 options.
pub const ISC_SPACE: &str = "vendor-2495";
/// The space of DOCSIS 3.0 vendor (4491) options.
pub const DOCSIS_SPACE: &str = "vendor-4491";

/// Every definition.
pub fn all() -> &'static [OptionDef] {
    table::TABLE
}

/// Looks a definition up by space and name.
pub fn find_by_name(space: &str, name: &str) -> Option<&'static OptionDef> {
    table::TABLE
        .iter()
        .find(|d| d.space == space && d.name == name)
}

/// Looks a definition up by space and code.
pub fn find_by_code(space: &str, code: u16) -> Option<&'static OptionDef> {
    table::TABLE
        .iter()
        .find(|d| d.space == space && d.code == code)
}

/// Encodes `option-data` text in csv format for `def`, with the same
/// rules as [`crate::defs::encode_csv`] (tuples get a 2-byte length).
pub fn encode_csv(def: &OptionDef, data: &str) -> Result<Vec<u8>, EncodeError> {
    encode_typed(
        Shape {
            data_type: def.data_type,
            array: def.array,
            record: def.record,
        },
        data,
        Universe::V6,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn enc(name: &str, data: &str) -> Result<Vec<u8>, EncodeError> {
        encode_csv(find_by_name(DHCP6_SPACE, name).unwrap(), data)
    }

    fn ip(s: &str) -> [u8; 16] {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    #[test]
    fn lookups() {
        let d = find_by_name("dhcp6", "dns-servers").unwrap();
        assert_eq!(
            (d.code, d.data_type, d.array),
            (23, DataType::Ipv6Address, true)
        );
        assert_eq!(find_by_code("dhcp6", 26).unwrap().record.len(), 4);
        assert_eq!(find_by_code("dhcp6", 704).unwrap().name, "timestamp");
        assert_eq!(
            find_by_code(DOCSIS_SPACE, 1026).unwrap().name,
            "cmts-cm-mac"
        );
        assert_eq!(
            find_by_code(ISC_SPACE, 60001).unwrap().name,
            "4o6-source-address"
        );
        assert_eq!(
            find_by_name("s46-cont-mapt-options", "s46-dmr")
                .unwrap()
                .code,
            91
        );
        assert!(find_by_name("dhcp4", "dns-servers").is_none());
        assert!(find_by_code("dhcp6", 10).is_none());
    }

    #[test]
    fn table_is_consistent() {
        for d in all() {
            assert_eq!(find_by_name(d.space, d.name), Some(d), "{}", d.name);
            assert_eq!(find_by_code(d.space, d.code), Some(d), "{}", d.name);
            assert_eq!(
                d.data_type == DataType::Record,
                !d.record.is_empty(),
                "{}",
                d.name
            );
        }
        assert_eq!(all().iter().filter(|d| d.space == DHCP6_SPACE).count(), 76);
    }

    #[test]
    fn encode_v6_types() {
        let mut dns = ip("2001:db8::1").to_vec();
        dns.extend(ip("2001:db8::2"));
        assert_eq!(enc("dns-servers", "2001:db8::1, 2001:db8::2").unwrap(), dns);
        assert!(enc("dns-servers", "192.0.2.1").is_err());
        assert_eq!(
            enc("domain-search", "example.com").unwrap(),
            b"\x07example\x03com\x00"
        );
        assert_eq!(enc("preference", "255").unwrap(), [255]);
        assert_eq!(enc("oro", "23, 24").unwrap(), [0, 23, 0, 24]);
        assert_eq!(enc("rapid-commit", "").unwrap(), Vec::<u8>::new());
        assert_eq!(enc("rapid-commit", "1").unwrap_err(), EncodeError::NotEmpty);
        assert_eq!(enc("serverid", "0001000a").unwrap(), [0, 1, 0, 10]);
        assert_eq!(
            enc("new-posix-timezone", "EST5EDT4\\,M3").unwrap(),
            b"EST5EDT4,M3"
        );
        assert_eq!(
            enc("information-refresh-time", "3600").unwrap(),
            [0, 0, 0x0e, 0x10]
        );
        // Tuples carry a 2-byte length in DHCPv6.
        assert_eq!(
            enc("bootfile-param", "root=/dev/sda, quiet").unwrap(),
            b"\x00\x0droot=/dev/sda\x00\x05quiet"
        );
        // ipv6-prefix: length byte then the significant bytes.
        assert_eq!(
            enc("pd-exclude", "2001:db8::/48").unwrap(),
            [48, 0x20, 1, 0x0d, 0xb8, 0, 0]
        );
        assert!(enc("pd-exclude", "2001:db8::/129").is_err());
        assert!(enc("pd-exclude", "2001:db8::").is_err());
        // records
        assert_eq!(
            enc("status-code", "0, all good").unwrap(),
            b"\x00\x00all good"
        );
        let ia = vec![0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x15, 0x18];
        assert_eq!(enc("ia-na", "1, 3600, 5400").unwrap(), ia);
        let mut pfx = vec![0, 0, 0, 1, 0, 0, 0, 2, 56];
        pfx.extend(ip("2001:db8:1::"));
        assert_eq!(enc("iaprefix", "1, 2, 56, 2001:db8:1::").unwrap(), pfx);
        assert_eq!(
            enc("client-fqdn", "1, host.example.").unwrap(),
            b"\x01\x04host\x07example\x00"
        );
        assert_eq!(
            enc("vendor-class", "4491, 0a0b").unwrap(),
            [0, 0, 0x11, 0x8b, 0x0a, 0x0b]
        );
        let mut rdnss = ip("2001:db8::53").to_vec();
        rdnss.push(3);
        rdnss.extend(b"\x01a\x00\x01b\x00");
        assert_eq!(
            enc("rdnss-selection", "2001:db8::53, 3, a., b.").unwrap(),
            rdnss
        );
        assert!(enc("ia-na", "1, 2").is_err());
        // softwire46 records with psid and prefix fields
        let rule = find_by_name("s46-cont-mape-options", "s46-rule").unwrap();
        let mut r = vec![1, 16, 8, 192, 0, 2, 0, 32];
        r.extend([0x20, 0x01, 0x0d, 0xb8]);
        assert_eq!(
            encode_csv(rule, "1, 16, 8, 192.0.2.0, 2001:db8::/32").unwrap(),
            r
        );
        let pp = find_by_name("s46-rule-options", "s46-portparams").unwrap();
        assert_eq!(encode_csv(pp, "0, 52/6").unwrap(), [0, 6, 0xd0, 0]);
        let docsis = find_by_name(DOCSIS_SPACE, "tftp-servers").unwrap();
        assert_eq!(
            encode_csv(docsis, "2001:db8::1").unwrap(),
            ip("2001:db8::1")
        );
        let isc = find_by_name(ISC_SPACE, "4o6-source-port").unwrap();
        assert_eq!(encode_csv(isc, "547").unwrap(), [2, 0x23]);
        assert!(encode_csv(isc, "65536").is_err());
    }
}
