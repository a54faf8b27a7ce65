//! DHCPv6 `option-data` entries (any `Dhcp6` scope), encoded to wire bytes at
//! load time with Kea 1.4's DHCPv6 option definitions.

use xdhcp_wire::defs6::{self, EncodeError};

use crate::json::{Spanned, Value};
use crate::option_data::{OptionDefinition, parse_entries};
use crate::walk::Res;

/// One configured DHCPv6 option, already encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionData6 {
    pub code: u16,
    /// The name given in the configuration or found in the definition.
    pub name: Option<String>,
    /// Option space: `dhcp6` (default), `vendor-<enterprise-id>` (the server
    /// packs these into option 17 under that enterprise), a softwire46
    /// container space (`s46-cont-mape-options`, ...) or another space.
    pub space: String,
    /// Option payload (without code and length), already encoded.
    pub data: Vec<u8>,
    pub always_send: bool,
    /// Whether `data` was given in CSV form (false: hex string).
    pub csv_format: bool,
}

impl OptionData6 {
    /// The enterprise number if the option lives in a `vendor-<n>` space.
    pub fn vendor_enterprise(&self) -> Option<u32> {
        self.space.strip_prefix("vendor-")?.parse().ok()
    }
}

impl OptionDefinition for defs6::OptionDef {
    type Code = u16;
    const DEFAULT_SPACE: &'static str = defs6::DHCP6_SPACE;
    const MAX_CODE: i64 = 65535;

    fn find_by_name(space: &str, name: &str) -> Option<&'static Self> {
        defs6::find_by_name(space, name)
    }
    fn find_by_code(space: &str, code: u16) -> Option<&'static Self> {
        defs6::find_by_code(space, code)
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn code(&self) -> u16 {
        self.code
    }
    fn code_from_int(i: i64) -> u16 {
        i as u16
    }
    fn encode_csv(&self, data: &str) -> Result<Vec<u8>, EncodeError> {
        defs6::encode_csv(self, data)
    }
    fn reserved_code(space: &str, code: u16) -> Option<String> {
        (space == defs6::DHCP6_SPACE && code == 0)
            .then(|| "'code': invalid option code 0: reserved in the dhcp6 space".to_string())
    }
    fn payload_too_long(len: usize) -> Option<String> {
        (len > usize::from(u16::MAX)).then(|| {
            format!("'data': the option payload is {len} bytes long, a DHCPv6 option holds at most 65535")
        })
    }
}

/// Parses an `option-data` list at `path` (which ends with `option-data`).
pub(crate) fn parse_list(v: &Spanned<Value>, path: &str) -> Res<Vec<OptionData6>> {
    parse_entries::<defs6::OptionDef>(v, path).map(|list| {
        list.into_iter()
            .map(|o| OptionData6 {
                code: o.code,
                name: o.name,
                space: o.space,
                data: o.data,
                always_send: o.always_send,
                csv_format: o.csv_format,
            })
            .collect()
    })
}
