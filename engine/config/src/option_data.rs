//! `option-data` entries (any scope), encoded to wire bytes at load time.
//!
//! The parsing here serves both families: it is generic over
//! [`OptionDefinition`], implemented for the DHCPv4 definitions below and for
//! the DHCPv6 ones in [`crate::option_data6`].

use std::fmt::Display;

use xdhcp_wire::defs::{self, EncodeError};

use crate::compat::Scope;
use crate::json::{Spanned, Value};
use crate::walk::{self, Res, child, err, index};

/// One configured option, already encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionData {
    pub code: u8,
    /// The name given in the configuration or found in the definition.
    pub name: Option<String>,
    /// Option space: `dhcp4` (default), `vendor-<enterprise-id>` (the server
    /// packs these into option 125 under that enterprise) or another space such
    /// as `vendor-encapsulated-options-space` (option 43 sub-options).
    pub space: String,
    /// Option payload (without code and length), already encoded.
    pub data: Vec<u8>,
    pub always_send: bool,
    /// Whether `data` was given in CSV form (false: hex string).
    pub csv_format: bool,
}

impl OptionData {
    /// The enterprise number if the option lives in a `vendor-<n>` space.
    pub fn vendor_enterprise(&self) -> Option<u32> {
        self.space.strip_prefix("vendor-")?.parse().ok()
    }
}

/// An option definition of one family's table (DHCPv4 or DHCPv6): what
/// `option-data` parsing needs to resolve names and codes and encode data.
pub(crate) trait OptionDefinition: Sized + 'static {
    /// The option code (`u8` for DHCPv4, `u16` for DHCPv6).
    type Code: Copy + Display;
    /// The space of an entry without `space`.
    const DEFAULT_SPACE: &'static str;
    /// The largest `code` accepted.
    const MAX_CODE: i64;

    fn find_by_name(space: &str, name: &str) -> Option<&'static Self>;
    fn find_by_code(space: &str, code: Self::Code) -> Option<&'static Self>;
    fn name(&self) -> &'static str;
    fn code(&self) -> Self::Code;
    /// A `code` value already checked against `0..=MAX_CODE`.
    fn code_from_int(i: i64) -> Self::Code;
    /// Encodes CSV `data` for this definition.
    fn encode_csv(&self, data: &str) -> Result<Vec<u8>, EncodeError>;
    /// The error text when `code` is reserved in `space`.
    fn reserved_code(space: &str, code: Self::Code) -> Option<String>;
    /// The error text when an encoded payload of `len` bytes is too long.
    fn payload_too_long(_len: usize) -> Option<String> {
        None
    }
}

impl OptionDefinition for defs::OptionDef {
    type Code = u8;
    const DEFAULT_SPACE: &'static str = "dhcp4";
    const MAX_CODE: i64 = 255;

    fn find_by_name(space: &str, name: &str) -> Option<&'static Self> {
        defs::find_by_name(space, name)
    }
    fn find_by_code(space: &str, code: u8) -> Option<&'static Self> {
        defs::find_by_code(space, code)
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn code(&self) -> u8 {
        self.code
    }
    fn code_from_int(i: i64) -> u8 {
        i as u8
    }
    fn encode_csv(&self, data: &str) -> Result<Vec<u8>, EncodeError> {
        defs::encode_csv(self, data)
    }
    fn reserved_code(space: &str, code: u8) -> Option<String> {
        (space == "dhcp4" && (code == 0 || code == 255)).then(|| {
            format!(
                "'code': invalid option code {code}: reserved for {}",
                if code == 0 { "PAD" } else { "END" }
            )
        })
    }
}

/// One `option-data` entry, resolved and encoded, for either family.
pub(crate) struct ParsedOption<C> {
    pub code: C,
    pub name: Option<String>,
    pub space: String,
    pub data: Vec<u8>,
    pub always_send: bool,
    pub csv_format: bool,
}

/// Kea's option space name rule: letters, digits, '-' and '_'.
pub(crate) fn valid_space(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Parses an `option-data` list at `path` (which ends with `option-data`).
pub(crate) fn parse_list(v: &Spanned<Value>, path: &str) -> Res<Vec<OptionData>> {
    parse_entries::<defs::OptionDef>(v, path).map(|list| {
        list.into_iter()
            .map(|o| OptionData {
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

/// Parses an `option-data` list at `path` against the definitions `D`.
pub(crate) fn parse_entries<D: OptionDefinition>(
    v: &Spanned<Value>,
    path: &str,
) -> Res<Vec<ParsedOption<D::Code>>> {
    let items = walk::list(v, path, "option-data")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_one::<D>(item, &index(path, i)))
        .collect()
}

fn parse_one<D: OptionDefinition>(v: &Spanned<Value>, path: &str) -> Res<ParsedOption<D::Code>> {
    let entries = walk::map(v, path, "option-data")?;
    let mut name: Option<&Spanned<Value>> = None;
    let mut code: Option<&Spanned<Value>> = None;
    let mut space: Option<&Spanned<Value>> = None;
    let mut data: Option<&Spanned<Value>> = None;
    let mut csv: Option<bool> = None;
    let mut always_send = false;
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let p = child(path, &k.value);
        let key = k.value.as_str();
        match key {
            "name" => {
                walk::string(val, &p, key)?;
                name = Some(val);
            }
            "code" => {
                walk::int_range(val, &p, key, 0, D::MAX_CODE)?;
                code = Some(val);
            }
            "space" => {
                walk::string(val, &p, key)?;
                space = Some(val);
            }
            "data" => {
                walk::string(val, &p, key)?;
                data = Some(val);
            }
            "csv-format" => csv = Some(walk::boolean(val, &p, key)?),
            "always-send" => always_send = walk::boolean(val, &p, key)?,
            _ => ctx.take_other(k, val, path, Scope::OptionData)?,
        }
    }
    let _ = ctx.finish();

    let space_name = space
        .and_then(|s| s.value.as_str())
        .unwrap_or(D::DEFAULT_SPACE)
        .to_string();
    if let Some(s) = space
        && !valid_space(&space_name)
    {
        return Err(err(
            &s.pos,
            &child(path, "space"),
            "space",
            format!("'space': invalid option space name '{space_name}'"),
        ));
    }
    let name_str = name.and_then(|n| n.value.as_str()).map(str::to_string);
    let code_num = code
        .and_then(|c| c.value.as_int())
        .map(|c| D::code_from_int(c));

    // Resolve the definition.
    let def = match (&name_str, code_num) {
        (None, None) => {
            return Err(err(
                &v.pos,
                path,
                "name",
                "option data must have a 'name' or a 'code'",
            ));
        }
        (Some(n), None) => match D::find_by_name(&space_name, n) {
            Some(d) => Some(d),
            None => {
                let npos = &name.expect("name present").pos;
                return Err(err(
                    npos,
                    &child(path, "name"),
                    "name",
                    format!("'name': definition for the option '{space_name}.{n}' does not exist"),
                ));
            }
        },
        (n, Some(c)) => {
            let cpos = &code.expect("code present").pos;
            if let Some(msg) = D::reserved_code(&space_name, c) {
                return Err(err(cpos, &child(path, "code"), "code", msg));
            }
            let by_code = D::find_by_code(&space_name, c);
            if let Some(n) = n {
                let npos = &name.expect("name present").pos;
                let by_name = D::find_by_name(&space_name, n);
                match (by_code, by_name) {
                    (Some(d), _) if d.name() != n.as_str() => {
                        return Err(err(
                            npos,
                            &child(path, "name"),
                            "name",
                            format!(
                                "'name': option name '{n}' does not match code {c} (which is '{}')",
                                d.name()
                            ),
                        ));
                    }
                    (None, Some(d)) => {
                        return Err(err(
                            cpos,
                            &child(path, "code"),
                            "code",
                            format!(
                                "'code': option code {c} does not match name '{n}' (which has code {})",
                                d.code()
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            by_code
        }
    };

    let data_str = data.and_then(|d| d.value.as_str()).unwrap_or("");
    let data_pos = data.map(|d| &d.pos).unwrap_or(&v.pos);
    let data_path = child(path, "data");
    let (bytes, csv_used) = match (def, csv) {
        (Some(d), None | Some(true)) => match d.encode_csv(data_str) {
            Ok(b) => (b, true),
            Err(e) => {
                return Err(err(
                    data_pos,
                    &data_path,
                    "data",
                    format!(
                        "'data': invalid value '{data_str}' for option '{}' (code {}): {e}",
                        d.name(),
                        d.code()
                    ),
                ));
            }
        },
        (None, Some(true)) => {
            let c = code_num.unwrap_or(D::code_from_int(0));
            return Err(err(
                &code.expect("code present when no definition").pos,
                &child(path, "code"),
                "code",
                format!(
                    "'code': definition for the option '{space_name}.{c}' does not exist \
                     (needed because 'csv-format' is true; give the data in hex with \
                     \"csv-format\": false)"
                ),
            ));
        }
        (_, _) => match defs::encode_hex(data_str) {
            Ok(b) => (b, false),
            Err(e) => {
                return Err(err(
                    data_pos,
                    &data_path,
                    "data",
                    format!("'data': invalid hex data '{data_str}': {e}"),
                ));
            }
        },
    };
    if let Some(msg) = D::payload_too_long(bytes.len()) {
        return Err(err(data_pos, &data_path, "data", msg));
    }
    let (code, name) = match def {
        Some(d) => (
            d.code(),
            Some(name_str.unwrap_or_else(|| d.name().to_string())),
        ),
        None => (code_num.unwrap_or(D::code_from_int(0)), name_str),
    };
    Ok(ParsedOption {
        code,
        name,
        space: space_name,
        data: bytes,
        always_send,
        csv_format: csv_used,
    })
}
