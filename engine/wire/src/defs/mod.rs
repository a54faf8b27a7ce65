//! Kea 1.4's DHCPv4 option definitions and the text encoders the config
//! loader uses to turn `option-data` into wire bytes.

pub(crate) mod encode;
mod table;

pub use encode::{EncodeError, encode_csv, encode_hex};

/// Kea's option data types (config spelling in [`DataType::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // one variant per Kea type name
pub enum DataType {
    Empty,
    Binary,
    Boolean,
    Int8,
    Int16,
    Int32,
    Uint8,
    Uint16,
    Uint32,
    Ipv4Address,
    Ipv6Address,
    Ipv6Prefix,
    Psid,
    String,
    Fqdn,
    Tuple,
    Record,
}

impl DataType {
    /// The name Kea uses in configs (`binary` for hex data).
    pub fn name(self) -> &'static str {
        use DataType::*;
        match self {
            Empty => "empty",
            Binary => "binary",
            Boolean => "boolean",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Uint8 => "uint8",
            Uint16 => "uint16",
            Uint32 => "uint32",
            Ipv4Address => "ipv4-address",
            Ipv6Address => "ipv6-address",
            Ipv6Prefix => "ipv6-prefix",
            Psid => "psid",
            String => "string",
            Fqdn => "fqdn",
            Tuple => "tuple",
            Record => "record",
        }
    }

    /// Parses a Kea type name (for user-defined options).
    pub fn from_name(name: &str) -> Option<DataType> {
        use DataType::*;
        [
            Empty,
            Binary,
            Boolean,
            Int8,
            Int16,
            Int32,
            Uint8,
            Uint16,
            Uint32,
            Ipv4Address,
            Ipv6Address,
            Ipv6Prefix,
            Psid,
            String,
            Fqdn,
            Tuple,
            Record,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}

/// One option definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef {
    /// Kea name, e.g. "domain-name-servers".
    pub name: &'static str,
    /// Option code within `space`.
    pub code: u8,
    /// "dhcp4", "vendor-4491" or "vendor-encapsulated-options-space".
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

/// The space of the standard DHCPv4 options.
pub const DHCP4_SPACE: &str = "dhcp4";
/// The space of DOCSIS 3.0 vendor (4491) options.
pub const DOCSIS_SPACE: &str = "vendor-4491";

/// Name of Kea's last-resort definition of option 43.
const LAST_RESORT_43: &str = "vendor-encapsulated-options";

/// Every definition.
pub fn all() -> &'static [OptionDef] {
    table::TABLE
}

/// Kea 1.4 falls back to the "last resort" definitions (only option 43)
/// when a `dhcp4` lookup misses (LibDHCP::getLastResortOptionDef), so a
/// config may name "vendor-encapsulated-options" in the `dhcp4` space.
fn last_resort(space: &str) -> Option<&'static OptionDef> {
    if space != DHCP4_SPACE {
        return None;
    }
    table::TABLE.iter().find(|d| d.name == LAST_RESORT_43)
}

/// Looks a definition up by space and name.
pub fn find_by_name(space: &str, name: &str) -> Option<&'static OptionDef> {
    table::TABLE
        .iter()
        .find(|d| d.space == space && d.name == name)
        .or_else(|| last_resort(space).filter(|d| d.name == name))
}

/// Looks a definition up by space and code.
pub fn find_by_code(space: &str, code: u8) -> Option<&'static OptionDef> {
    table::TABLE
        .iter()
        .find(|d| d.space == space && d.code == code)
        .or_else(|| last_resort(space).filter(|d| d.code == code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let d = find_by_name("dhcp4", "domain-search").unwrap();
        assert_eq!((d.code, d.data_type, d.array), (119, DataType::Fqdn, true));
        assert_eq!(find_by_code("dhcp4", 81).unwrap().record.len(), 4);
        assert_eq!(find_by_code("vendor-4491", 2).unwrap().name, "tftp-servers");
        assert_eq!(find_by_code("dhcp4", 43).unwrap().name, LAST_RESORT_43);
        assert_eq!(
            find_by_name("vendor-encapsulated-options-space", LAST_RESORT_43)
                .unwrap()
                .code,
            43
        );
        assert!(find_by_code("vendor-4491", 3).is_none());
        assert!(find_by_name("dhcp6", "routers").is_none());
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
            assert_eq!(DataType::from_name(d.data_type.name()), Some(d.data_type));
        }
        assert_eq!(all().iter().filter(|d| d.space == "dhcp4").count(), 113);
    }
}
