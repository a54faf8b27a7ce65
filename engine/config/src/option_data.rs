//! `option-data` entries (any scope), encoded to wire bytes at load time.

use xdhcp_wire::defs;

use crate::compat::{self, Scope};
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
    let items = walk::list(v, path, "option-data")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_one(item, &index(path, i)))
        .collect()
}

fn parse_one(v: &Spanned<Value>, path: &str) -> Res<OptionData> {
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
                walk::int_range(val, &p, key, 0, 255)?;
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
            _ => {
                if ctx.take(k, val, path)? || compat::check(Scope::OptionData, k, val, path)? {
                    continue;
                }
                return Err(walk::unexpected(k, path));
            }
        }
    }
    let _ = ctx.finish();

    let space_name = space
        .and_then(|s| s.value.as_str())
        .unwrap_or("dhcp4")
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
    let code_num = code.and_then(|c| c.value.as_int()).map(|c| c as u8);

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
        (Some(n), None) => match defs::find_by_name(&space_name, n) {
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
            if space_name == "dhcp4" && (c == 0 || c == 255) {
                return Err(err(
                    cpos,
                    &child(path, "code"),
                    "code",
                    format!(
                        "'code': invalid option code {c}: reserved for {}",
                        if c == 0 { "PAD" } else { "END" }
                    ),
                ));
            }
            let by_code = defs::find_by_code(&space_name, c);
            if let Some(n) = n {
                let npos = &name.expect("name present").pos;
                let by_name = defs::find_by_name(&space_name, n);
                match (by_code, by_name) {
                    (Some(d), _) if d.name != n.as_str() => {
                        return Err(err(
                            npos,
                            &child(path, "name"),
                            "name",
                            format!(
                                "'name': option name '{n}' does not match code {c} (which is '{}')",
                                d.name
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
                                d.code
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
        (Some(d), None | Some(true)) => match defs::encode_csv(d, data_str) {
            Ok(b) => (b, true),
            Err(e) => {
                return Err(err(
                    data_pos,
                    &data_path,
                    "data",
                    format!(
                        "'data': invalid value '{data_str}' for option '{}' (code {}): {e}",
                        d.name, d.code
                    ),
                ));
            }
        },
        (None, Some(true)) => {
            let c = code_num.unwrap_or(0);
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
    let (code, name) = match def {
        Some(d) => (d.code, Some(name_str.unwrap_or_else(|| d.name.to_string()))),
        None => (code_num.unwrap_or(0), name_str),
    };
    Ok(OptionData {
        code,
        name,
        space: space_name,
        data: bytes,
        always_send,
        csv_format: csv_used,
    })
}
