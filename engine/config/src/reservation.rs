//! Host reservations (`subnet4[]/reservations[]`).

use std::net::Ipv4Addr;

use crate::json::{Pos, Spanned, Value};
use crate::option_data::{self, OptionData};
use crate::walk::{self, Res, child, err};

/// A static host reservation inside a subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation4 {
    pub identifier: HostIdentifier,
    /// `None` when no address is reserved (hostname/options only), also for
    /// `"0.0.0.0"` as Kea does.
    pub ip_address: Option<Ipv4Addr>,
    pub hostname: Option<String>,
    pub option_data: Vec<OptionData>,
    pub next_server: Option<Ipv4Addr>,
    pub server_hostname: Option<String>,
    pub boot_file_name: Option<String>,
    pub client_classes: Vec<String>,
}

/// The identifier of a reservation (exactly one per reservation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostIdentifier {
    HwAddress(Vec<u8>),
    ClientId(Vec<u8>),
    CircuitId(Vec<u8>),
    Duid(Vec<u8>),
    /// Flexible identifier. Kea accepts these reservations in any
    /// configuration, but they only ever match when the `flex_id` hook library
    /// computes an identifier for the packet; xdhcp has no such hook yet, so
    /// these reservations are stored but never match.
    FlexId(Vec<u8>),
}

impl HostIdentifier {
    pub fn kind(&self) -> IdentifierType {
        match self {
            HostIdentifier::HwAddress(_) => IdentifierType::HwAddress,
            HostIdentifier::ClientId(_) => IdentifierType::ClientId,
            HostIdentifier::CircuitId(_) => IdentifierType::CircuitId,
            HostIdentifier::Duid(_) => IdentifierType::Duid,
            HostIdentifier::FlexId(_) => IdentifierType::FlexId,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            HostIdentifier::HwAddress(b)
            | HostIdentifier::ClientId(b)
            | HostIdentifier::CircuitId(b)
            | HostIdentifier::Duid(b)
            | HostIdentifier::FlexId(b) => b,
        }
    }
}

/// Identifier types, as listed in `host-reservation-identifiers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierType {
    HwAddress,
    Duid,
    CircuitId,
    ClientId,
    FlexId,
}

impl IdentifierType {
    /// The Kea configuration name (`hw-address`, `duid`, ...).
    pub fn kea_name(self) -> &'static str {
        match self {
            IdentifierType::HwAddress => "hw-address",
            IdentifierType::Duid => "duid",
            IdentifierType::CircuitId => "circuit-id",
            IdentifierType::ClientId => "client-id",
            IdentifierType::FlexId => "flex-id",
        }
    }

    pub fn from_kea_name(s: &str) -> Option<IdentifierType> {
        Some(match s {
            "hw-address" => IdentifierType::HwAddress,
            "duid" => IdentifierType::Duid,
            "circuit-id" => IdentifierType::CircuitId,
            "client-id" => IdentifierType::ClientId,
            "flex-id" => IdentifierType::FlexId,
            _ => return None,
        })
    }
}

/// Kea's default `host-reservation-identifiers` for DHCPv4.
pub const DEFAULT_IDENTIFIER_TYPES: [IdentifierType; 4] = [
    IdentifierType::HwAddress,
    IdentifierType::Duid,
    IdentifierType::CircuitId,
    IdentifierType::ClientId,
];

fn hex_digit(c: char) -> Option<u8> {
    c.to_digit(16).map(|d| d as u8)
}

/// Colon-separated hex, each group 1 or 2 digits (Kea's HWAddr::fromText).
pub(crate) fn parse_colon_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.split(':')
        .map(|g| {
            let ds: Vec<u8> = g.chars().map(hex_digit).collect::<Option<_>>()?;
            match ds.as_slice() {
                [a] => Some(*a),
                [a, b] => Some(a * 16 + b),
                _ => None,
            }
        })
        .collect()
}

/// Kea's decodeFormattedHexString: `0x0102`, `0102`, `01:02`, `01 02`
/// (groups of 1-2 digits with a separator; odd-length plain hex gets a leading 0).
pub(crate) fn parse_formatted_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    for sep in [':', ' '] {
        if s.contains(sep) {
            return s
                .split(sep)
                .map(|g| {
                    let ds: Vec<u8> = g.chars().map(hex_digit).collect::<Option<_>>()?;
                    match ds.as_slice() {
                        [a] => Some(*a),
                        [a, b] => Some(a * 16 + b),
                        _ => None,
                    }
                })
                .collect();
        }
    }
    let body = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if body.is_empty() {
        return None;
    }
    let mut ds: Vec<u8> = body.chars().map(hex_digit).collect::<Option<_>>()?;
    if ds.len() % 2 == 1 {
        ds.insert(0, 0);
    }
    Some(ds.chunks(2).map(|p| p[0] * 16 + p[1]).collect())
}

/// Parses an identifier value of the given type (text form from the config).
pub(crate) fn parse_identifier(kind: IdentifierType, s: &str) -> Result<Vec<u8>, String> {
    let quoted = s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'');
    let bytes = match kind {
        IdentifierType::HwAddress => parse_colon_hex(s).ok_or_else(|| {
            format!("'{s}' is not a valid hardware address (expected hex bytes separated by ':', e.g. 1a:1b:1c:1d:1e:1f)")
        })?,
        IdentifierType::Duid => parse_formatted_hex(s).ok_or_else(|| {
            format!("'{s}' is not a valid DUID (expected hex bytes, e.g. 01:02:03:04)")
        })?,
        IdentifierType::ClientId | IdentifierType::CircuitId | IdentifierType::FlexId => {
            if quoted {
                s.as_bytes()[1..s.len() - 1].to_vec()
            } else {
                parse_formatted_hex(s).ok_or_else(|| {
                    format!(
                        "'{s}' is not a valid {} (expected hex bytes such as 01:02:03 or 'quoted text')",
                        kind.kea_name()
                    )
                })?
            }
        }
    };
    let (min, max) = match kind {
        IdentifierType::HwAddress => (1, 20),
        IdentifierType::ClientId => (2, 128),
        _ => (1, 128),
    };
    if bytes.len() < min || bytes.len() > max {
        return Err(format!(
            "{} '{s}' has {} bytes, expected {min} to {max}",
            kind.kea_name(),
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Checks a DHCPv4 `sname` value (64-byte field including the final NUL).
pub(crate) fn check_sname(v: &Spanned<Value>, path: &str, key: &str) -> Res<String> {
    check_field_len(v, path, key, 63)
}

/// Checks a DHCPv4 `file` value (128-byte field including the final NUL).
pub(crate) fn check_file(v: &Spanned<Value>, path: &str, key: &str) -> Res<String> {
    check_field_len(v, path, key, 127)
}

/// Reads a string of at most `max` bytes.
fn check_field_len(v: &Spanned<Value>, path: &str, key: &str, max: usize) -> Res<String> {
    let s = walk::string(v, path, key)?;
    if s.len() > max {
        return Err(err(
            &v.pos,
            path,
            key,
            format!(
                "'{key}' must be at most {max} bytes long, it is {}",
                s.len()
            ),
        ));
    }
    Ok(s.to_string())
}

impl HostIdentifier {
    /// The identifier of type `kind` with value `bytes`.
    pub(crate) fn new(kind: IdentifierType, bytes: Vec<u8>) -> HostIdentifier {
        match kind {
            IdentifierType::HwAddress => HostIdentifier::HwAddress(bytes),
            IdentifierType::Duid => HostIdentifier::Duid(bytes),
            IdentifierType::CircuitId => HostIdentifier::CircuitId(bytes),
            IdentifierType::ClientId => HostIdentifier::ClientId(bytes),
            IdentifierType::FlexId => HostIdentifier::FlexId(bytes),
        }
    }
}

/// The identifier key of a reservation being read, with the key that gave it.
pub(crate) type IdentifierSlot<'a> = Option<(HostIdentifier, &'a Spanned<String>)>;

/// Reads the identifier key `k` (of type `kind`) of a reservation at `path`
/// into `slot`, refusing a second identifier.
pub(crate) fn take_identifier<'a>(
    kind: IdentifierType,
    k: &'a Spanned<String>,
    v: &Spanned<Value>,
    path: &str,
    slot: &mut IdentifierSlot<'a>,
) -> Res<()> {
    let key = k.value.as_str();
    let p = child(path, key);
    let s = walk::string(v, &p, key)?;
    if let Some((_, first)) = slot {
        return Err(err(
            &k.pos,
            &p,
            key,
            format!(
                "'{key}': a reservation must have exactly one identifier, '{}' was already given",
                first.value
            ),
        ));
    }
    let bytes =
        parse_identifier(kind, s).map_err(|m| err(&v.pos, &p, key, format!("'{key}': {m}")))?;
    *slot = Some((HostIdentifier::new(kind, bytes), k));
    Ok(())
}

/// Reads a reservation's `hostname` (at most 255 characters; empty: none).
pub(crate) fn hostname(v: &Spanned<Value>, path: &str, key: &str) -> Res<Option<String>> {
    let s = walk::string(v, path, key)?;
    if s.len() > 255 {
        return Err(err(
            &v.pos,
            path,
            key,
            "'hostname' must be at most 255 characters long",
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_string()))
}

/// Reads a reservation's `client-classes` list of names.
pub(crate) fn client_classes(v: &Spanned<Value>, path: &str, key: &str) -> Res<Vec<String>> {
    let items = walk::list(v, path, key)?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| walk::string(item, &walk::index(path, i), key).map(str::to_string))
        .collect()
}

/// A parsed reservation with the positions needed for cross-checks.
pub(crate) struct Parsed {
    pub r: Reservation4,
    pub ip_pos: Option<Pos>,
    pub id_pos: Pos,
    pub id_key: String,
}

pub(crate) fn parse(v: &Spanned<Value>, path: &str) -> Res<Parsed> {
    let entries = walk::map(v, path, "reservations")?;
    let mut identifier: IdentifierSlot = None;
    let mut r = Reservation4 {
        identifier: HostIdentifier::HwAddress(Vec::new()),
        ip_address: None,
        hostname: None,
        option_data: Vec::new(),
        next_server: None,
        server_hostname: None,
        boot_file_name: None,
        client_classes: Vec::new(),
    };
    let mut ip_pos = None;
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        if let Some(kind) = IdentifierType::from_kea_name(key) {
            take_identifier(kind, k, val, path, &mut identifier)?;
            continue;
        }
        match key {
            "ip-address" => {
                let a = walk::ipv4(val, &p, key)?;
                if !a.is_unspecified() {
                    r.ip_address = Some(a);
                    ip_pos = Some(val.pos.clone());
                }
            }
            "hostname" => {
                if let Some(h) = hostname(val, &p, key)? {
                    r.hostname = Some(h);
                }
            }
            "option-data" => r.option_data = option_data::parse_list(val, &p)?,
            "next-server" => r.next_server = Some(walk::ipv4(val, &p, key)?),
            "server-hostname" => r.server_hostname = Some(check_sname(val, &p, key)?),
            "boot-file-name" => r.boot_file_name = Some(check_file(val, &p, key)?),
            "client-classes" => r.client_classes.extend(client_classes(val, &p, key)?),
            _ => {
                if ctx.take(k, val, path)? {
                    continue;
                }
                return Err(walk::unexpected(k, path));
            }
        }
    }
    let _ = ctx.finish();
    match identifier {
        Some((id, k)) => {
            r.identifier = id;
            Ok(Parsed {
                r,
                ip_pos,
                id_pos: k.pos.clone(),
                id_key: k.value.clone(),
            })
        }
        None => Err(err(
            &v.pos,
            path,
            "",
            "a reservation needs one identifier: 'hw-address', 'client-id', 'duid', 'circuit-id' or 'flex-id'",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms() {
        assert_eq!(parse_colon_hex("1a:b:0c"), Some(vec![0x1a, 0x0b, 0x0c]));
        assert_eq!(parse_colon_hex("1a1b"), None);
        assert_eq!(parse_colon_hex("1a::1b"), None);
        assert_eq!(parse_formatted_hex("0x0102"), Some(vec![1, 2]));
        assert_eq!(parse_formatted_hex("102"), Some(vec![1, 2]));
        assert_eq!(parse_formatted_hex("01 02"), Some(vec![1, 2]));
        assert_eq!(parse_formatted_hex("zz"), None);
        assert_eq!(
            parse_identifier(IdentifierType::FlexId, "'s0mEVaLue'").unwrap(),
            b"s0mEVaLue".to_vec()
        );
        assert!(parse_identifier(IdentifierType::HwAddress, "'abc'").is_err());
        assert!(parse_identifier(IdentifierType::ClientId, "01").is_err());
    }
}
