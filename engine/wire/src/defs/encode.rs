//! Kea's text formats for option data (config time, so allocation is fine):
//! `csv-format: true` values per definition type, and raw hex for
//! `csv-format: false`.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{DataType, OptionDef};

/// Why option data text could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// `value` is not a valid `expected` (e.g. "an IPv4 address").
    Invalid {
        /// The offending text.
        value: String,
        /// What was expected, with article.
        expected: &'static str,
    },
    /// An integer outside its type's range.
    OutOfRange {
        /// The offending text.
        value: String,
        /// The Kea type name.
        data_type: &'static str,
    },
    /// csv data with no values for a type that needs one.
    NoValue,
    /// A record got fewer values than it has fields.
    TooFewValues {
        /// Fields in the record.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// Data given for an option of type `empty`.
    NotEmpty,
    /// Kea rejects empty string options.
    EmptyString,
    /// A name, label or tuple over its length limit.
    TooLong {
        /// The offending text.
        value: String,
        /// Which limit.
        what: &'static str,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Invalid { value, expected } => write!(f, "\"{value}\" is not {expected}"),
            EncodeError::OutOfRange { value, data_type } => {
                write!(f, "\"{value}\" is out of range for {data_type}")
            }
            EncodeError::NoValue => f.write_str("no option value specified"),
            EncodeError::TooFewValues { expected, got } => {
                write!(f, "record needs {expected} values, got {got}")
            }
            EncodeError::NotEmpty => f.write_str("option of type empty cannot carry data"),
            EncodeError::EmptyString => f.write_str("string option value must not be empty"),
            EncodeError::TooLong { value, what } => write!(f, "\"{value}\": {what}"),
        }
    }
}

impl std::error::Error for EncodeError {}

fn invalid(value: &str, expected: &'static str) -> EncodeError {
    EncodeError::Invalid {
        value: value.to_string(),
        expected,
    }
}

/// Splits csv data like Kea's `str::tokens(data, ",", true)`: `\,` is a
/// literal comma, `\\` a backslash, any other `\x` stays as is; empty
/// tokens (doubled commas) are dropped. Tokens are trimmed.
fn tokens(data: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut tok = String::new();
    let mut escaped = false;
    for c in data.chars() {
        match (c, escaped) {
            (',', false) => {
                if !tok.is_empty() {
                    out.push(std::mem::take(&mut tok));
                }
            }
            ('\\', false) => escaped = true,
            (',' | '\\', true) => {
                tok.push(c);
                escaped = false;
            }
            (_, true) => {
                tok.push('\\');
                tok.push(c);
                escaped = false;
            }
            (_, false) => tok.push(c),
        }
    }
    if escaped {
        tok.push('\\');
    }
    if !tok.is_empty() {
        out.push(tok);
    }
    out.into_iter().map(|t| t.trim().to_string()).collect()
}

/// The whole data as one string with Kea's escapes undone (a string option
/// keeps its commas).
fn unescape_whole(data: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in data.chars() {
        match (c, escaped) {
            ('\\', false) => escaped = true,
            (',' | '\\', true) => {
                out.push(c);
                escaped = false;
            }
            (_, true) => {
                out.push('\\');
                out.push(c);
                escaped = false;
            }
            (_, false) => out.push(c),
        }
    }
    if escaped {
        out.push('\\');
    }
    out.trim().to_string()
}

/// Encodes `option-data` text in csv format for `def` (Kea rules: values
/// are comma separated; arrays repeat the type; records take their fields
/// in order, an array record repeating its last field; extra values for a
/// scalar or non-array record are ignored, as Kea does).
pub fn encode_csv(def: &OptionDef, data: &str) -> Result<Vec<u8>, EncodeError> {
    encode_typed(
        Shape {
            data_type: def.data_type,
            array: def.array,
            record: def.record,
        },
        data,
        Universe::V4,
    )
}

/// Which protocol's encoding rules apply where they differ (only the
/// tuple length prefix: 1 byte in DHCPv4, 2 in DHCPv6, as Kea's
/// `OpaqueDataTuple` LTV 1 / LTV 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Universe {
    V4,
    V6,
}

/// The part of a definition the encoder needs (shared by v4 and v6 defs,
/// whose code widths differ).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape<'d> {
    pub(crate) data_type: DataType,
    pub(crate) array: bool,
    pub(crate) record: &'d [DataType],
}

/// [`encode_csv`] for any definition shape and universe.
pub(crate) fn encode_typed(
    def: Shape<'_>,
    data: &str,
    universe: Universe,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    match def.data_type {
        DataType::Empty => {
            if data.trim().is_empty() {
                Ok(out)
            } else {
                Err(EncodeError::NotEmpty)
            }
        }
        DataType::String if !def.array => {
            let s = unescape_whole(data);
            write_value(&mut out, DataType::String, &s, universe)?;
            Ok(out)
        }
        DataType::Record => {
            let toks = tokens(data);
            if toks.len() < def.record.len() || toks.is_empty() {
                return Err(EncodeError::TooFewValues {
                    expected: def.record.len(),
                    got: toks.len(),
                });
            }
            for (i, t) in toks.iter().enumerate() {
                let ty = match def.record.get(i) {
                    Some(&ty) => ty,
                    None if def.array => *def.record.last().unwrap_or(&DataType::Binary),
                    None => break,
                };
                write_value(&mut out, ty, t, universe)?;
            }
            Ok(out)
        }
        ty => {
            let toks = tokens(data);
            if toks.is_empty() {
                return Err(EncodeError::NoValue);
            }
            let n = if def.array { toks.len() } else { 1 };
            for t in toks.iter().take(n) {
                write_value(&mut out, ty, t, universe)?;
            }
            Ok(out)
        }
    }
}

/// Appends one value of scalar type `ty`.
fn write_value(
    out: &mut Vec<u8>,
    ty: DataType,
    v: &str,
    universe: Universe,
) -> Result<(), EncodeError> {
    match ty {
        DataType::Empty | DataType::Record => return Err(EncodeError::NotEmpty),
        DataType::Binary => out.extend(encode_hex(v)?),
        DataType::Boolean => out.push(parse_bool(v)?),
        DataType::Int8 => out.push(parse_int(v, ty, i8::MIN.into(), u8::MAX.into())? as u8),
        DataType::Int16 => {
            out.extend((parse_int(v, ty, i16::MIN.into(), u16::MAX.into())? as u16).to_be_bytes())
        }
        DataType::Int32 => {
            out.extend((parse_int(v, ty, i32::MIN.into(), u32::MAX.into())? as u32).to_be_bytes())
        }
        DataType::Uint8 => out.push(parse_int(v, ty, 0, u8::MAX.into())? as u8),
        DataType::Uint16 => {
            out.extend((parse_int(v, ty, 0, u16::MAX.into())? as u16).to_be_bytes())
        }
        DataType::Uint32 => {
            out.extend((parse_int(v, ty, 0, u32::MAX.into())? as u32).to_be_bytes())
        }
        DataType::Ipv4Address => {
            let ip: Ipv4Addr = v.parse().map_err(|_| invalid(v, "an IPv4 address"))?;
            out.extend(ip.octets());
        }
        DataType::Ipv6Address => {
            let ip: Ipv6Addr = v.parse().map_err(|_| invalid(v, "an IPv6 address"))?;
            out.extend(ip.octets());
        }
        DataType::Ipv6Prefix => write_prefix(out, v)?,
        DataType::Psid => write_psid(out, v)?,
        DataType::String => {
            if v.is_empty() {
                return Err(EncodeError::EmptyString);
            }
            out.extend(v.as_bytes());
        }
        DataType::Fqdn => write_fqdn(out, v)?,
        DataType::Tuple => {
            // Kea OpaqueDataTuple: LTV 1 in DHCPv4, LTV 2 in DHCPv6
            // (RFC 8415 §21.16 vendor-class data, §21.15 user-class).
            let too_long = |what| EncodeError::TooLong {
                value: v.to_string(),
                what,
            };
            match universe {
                Universe::V4 => {
                    let len = u8::try_from(v.len())
                        .map_err(|_| too_long("tuple longer than 255 bytes"))?;
                    out.push(len);
                }
                Universe::V6 => {
                    let len = u16::try_from(v.len())
                        .map_err(|_| too_long("tuple longer than 65535 bytes"))?;
                    out.extend(len.to_be_bytes());
                }
            }
            out.extend(v.as_bytes());
        }
    }
    Ok(())
}

fn parse_bool(v: &str) -> Result<u8, EncodeError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(1),
        "false" | "0" => Ok(0),
        _ => Err(invalid(v, "a boolean (true, false, 1 or 0)")),
    }
}

/// Decimal (optionally negative) or `0x` hex, range checked. Hex for a
/// signed type gives its bit pattern (0xff for int8 is -1), so `max` is the
/// unsigned maximum and decimals are checked against the signed one.
fn parse_int(v: &str, ty: DataType, min: i64, max: i64) -> Result<i64, EncodeError> {
    let out_of_range = || EncodeError::OutOfRange {
        value: v.to_string(),
        data_type: ty.name(),
    };
    let hex = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X"));
    let n: i64 = match hex {
        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            i64::from_str_radix(h, 16).map_err(|_| out_of_range())?
        }
        Some(_) => return Err(invalid(v, "an integer")),
        None => {
            let digits = v.strip_prefix('-').unwrap_or(v);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(v, "an integer"));
            }
            let n: i64 = v.parse().map_err(|_| out_of_range())?;
            let signed_max = if min < 0 { max / 2 } else { max };
            if n > signed_max {
                return Err(out_of_range());
            }
            n
        }
    };
    if n < min || n > max {
        return Err(out_of_range());
    }
    Ok(n)
}

/// RFC 1035 §3.1 wire format without compression: length-prefixed labels
/// and the root label. A trailing dot is accepted.
fn write_fqdn(out: &mut Vec<u8>, v: &str) -> Result<(), EncodeError> {
    if v.is_empty() {
        return Err(invalid(v, "a domain name"));
    }
    let name = v.strip_suffix('.').unwrap_or(v);
    let start = out.len();
    if !name.is_empty() {
        for label in name.split('.') {
            let len = u8::try_from(label.len())
                .ok()
                .filter(|l| (1..=63).contains(l))
                .ok_or_else(|| invalid(v, "a domain name (labels must be 1 to 63 bytes)"))?;
            out.push(len);
            out.extend(label.as_bytes());
        }
    }
    out.push(0);
    if out.len() - start > 255 {
        return Err(EncodeError::TooLong {
            value: v.to_string(),
            what: "domain name longer than 255 bytes",
        });
    }
    Ok(())
}

/// "2001:db8::/48": length byte then the significant prefix bytes (Kea's
/// `writePrefix`), host bits cleared.
fn write_prefix(out: &mut Vec<u8>, v: &str) -> Result<(), EncodeError> {
    let bad = || invalid(v, "an IPv6 prefix (address/length)");
    let (addr, len) = v.split_once('/').ok_or_else(bad)?;
    let addr: Ipv6Addr = addr.trim().parse().map_err(|_| bad())?;
    let len: u8 = len.trim().parse().map_err(|_| bad())?;
    if len > 128 {
        return Err(bad());
    }
    let bits = u128::from(addr) & (!0u128).checked_shl(128 - u32::from(len)).unwrap_or(0);
    out.push(len);
    out.extend(bits.to_be_bytes().iter().take(usize::from(len).div_ceil(8)));
    Ok(())
}

/// "psid/psid-len" (RFC 7597 §5.1, Kea's `writePsid`): length byte, then
/// the PSID left-aligned in 16 bits.
fn write_psid(out: &mut Vec<u8>, v: &str) -> Result<(), EncodeError> {
    let bad = || invalid(v, "a PSID (psid/psid-length)");
    let (psid, len) = v.split_once('/').ok_or_else(bad)?;
    let psid: u16 = psid.trim().parse().map_err(|_| bad())?;
    let len: u8 = len.trim().parse().map_err(|_| bad())?;
    if len > 16 || (len < 16 && u32::from(psid) >= 1u32 << len) {
        return Err(bad());
    }
    out.push(len);
    let aligned = if len == 0 { 0 } else { psid << (16 - len) };
    out.extend(aligned.to_be_bytes());
    Ok(())
}

/// Decodes `csv-format: false` data: hex digits with an optional `0x`
/// prefix, optionally grouped by ':' or spaces (groups of 1-2 digits, as
/// in "a:11:01:04"); an odd number of ungrouped digits gets a leading 0.
pub fn encode_hex(data: &str) -> Result<Vec<u8>, EncodeError> {
    let s = data.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let bad = || invalid(data, "a hex string");
    let sep = if s.contains(':') {
        Some(':')
    } else if s.contains(' ') {
        Some(' ')
    } else {
        None
    };
    let digit = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    match sep {
        Some(sep) => {
            for group in s.split(sep).filter(|g| sep == ':' || !g.is_empty()) {
                let mut v = 0u8;
                if group.is_empty() || group.len() > 2 {
                    return Err(bad());
                }
                for c in group.bytes() {
                    v = (v << 4) | digit(c).ok_or_else(bad)?;
                }
                out.push(v);
            }
        }
        None => {
            // Odd count: Kea pads with a leading zero nibble.
            let mut pending: Option<u8> = (s.len() & 1 == 1).then_some(0);
            for c in s.bytes() {
                let d = digit(c).ok_or_else(bad)?;
                match pending.take() {
                    Some(hi) => out.push((hi << 4) | d),
                    None => pending = Some(d),
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::find_by_name;
    use super::*;

    fn enc(name: &str, data: &str) -> Result<Vec<u8>, EncodeError> {
        encode_csv(find_by_name("dhcp4", name).unwrap(), data)
    }

    /// Every option-data entry of kea4/multiple-options.json.
    #[test]
    fn multiple_options_example() {
        assert_eq!(
            enc("domain-name-servers", "192.0.2.1, 192.0.2.2").unwrap(),
            [192, 0, 2, 1, 192, 0, 2, 2]
        );
        assert_eq!(
            enc("domain-name-servers", "192.0.2.3, 192.0.2.4").unwrap(),
            [192, 0, 2, 3, 192, 0, 2, 4]
        );
        assert_eq!(enc("routers", "192.0.2.1").unwrap(), [192, 0, 2, 1]);
        let d15 = super::super::find_by_code("dhcp4", 15).unwrap();
        assert_eq!(encode_csv(d15, "example.org").unwrap(), b"example.org");
        let mut ds = vec![8];
        ds.extend(b"mydomain\x07example\x03com\x00\x07example\x03com\x00");
        assert_eq!(
            enc("domain-search", "mydomain.example.com, example.com").unwrap(),
            ds
        );
        // csv-format false, broadcast-address
        assert_eq!(encode_hex("ffff8000").unwrap(), [0xff, 0xff, 0x80, 0x00]);
        // The JSON text "EST5EDT4\\,M3..." is the string EST5EDT4\,M3...
        assert_eq!(
            enc("boot-file-name", "EST5EDT4\\,M3.2.0/02:00\\,M11.1.0/02:00").unwrap(),
            b"EST5EDT4,M3.2.0/02:00,M11.1.0/02:00"
        );
        assert_eq!(enc("default-ip-ttl", "0xf0").unwrap(), [0xf0]);
        assert_eq!(enc("vendor-class-identifier", "isc").unwrap(), b"isc");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = enc("routers", "1.2.3").unwrap_err();
        assert_eq!(e.to_string(), "\"1.2.3\" is not an IPv4 address");
        assert_eq!(
            enc("default-ip-ttl", "256").unwrap_err().to_string(),
            "\"256\" is out of range for uint8"
        );
        assert!(enc("default-ip-ttl", "-1").is_err());
        assert!(enc("default-ip-ttl", "0x100").is_err());
        assert!(enc("default-ip-ttl", "abc").is_err());
        assert_eq!(enc("routers", "").unwrap_err(), EncodeError::NoValue);
        assert_eq!(
            enc("host-name", "  ").unwrap_err(),
            EncodeError::EmptyString
        );
        assert!(enc("domain-search", "a..b").is_err());
        assert!(encode_hex("xyz").is_err());
        assert!(encode_hex("1:234").is_err());
    }

    #[test]
    fn types() {
        assert_eq!(enc("time-offset", "-1").unwrap(), [0xff; 4]);
        assert_eq!(enc("time-offset", "-2147483648").unwrap(), [0x80, 0, 0, 0]);
        assert!(enc("time-offset", "2147483648").is_err());
        assert_eq!(enc("ip-forwarding", "true").unwrap(), [1]);
        assert_eq!(enc("ip-forwarding", "0").unwrap(), [0]);
        assert!(enc("ip-forwarding", "yes").is_err());
        assert_eq!(
            enc("path-mtu-plateau-table", "68, 0x5dc").unwrap(),
            [0, 68, 5, 0xdc]
        );
        assert_eq!(
            enc("dhcp-client-identifier", "01:02:0a").unwrap(),
            [1, 2, 10]
        );
        // fqdn record: flags, rcode1, rcode2, name
        assert_eq!(
            enc("fqdn", "1, 0, 0, a.b.").unwrap(),
            [1, 0, 0, 1, b'a', 1, b'b', 0]
        );
        assert!(enc("fqdn", "1, 0, 0").is_err());
        // array record repeats its last field
        assert_eq!(
            enc("slp-directory-agent", "true, 1.2.3.4, 5.6.7.8").unwrap(),
            [1, 1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(enc("uuid-guid", "0, 0102").unwrap(), [0, 1, 2]);
        assert_eq!(enc("v4-portparams", "0, 52/6").unwrap(), [0, 6, 0xd0, 0]);
        assert!(enc("v4-portparams", "0, 64/6").is_err());
        let mut sixrd = vec![16, 32];
        sixrd.extend("2001:db8::".parse::<Ipv6Addr>().unwrap().octets());
        sixrd.extend([192, 0, 2, 1]);
        assert_eq!(
            enc("option-6rd", "16, 32, 2001:db8::, 192.0.2.1").unwrap(),
            sixrd
        );
        assert_eq!(enc("dhcp-agent-options", "").unwrap(), Vec::<u8>::new());
        assert_eq!(
            enc("dhcp-agent-options", "01").unwrap_err(),
            EncodeError::NotEmpty
        );
        assert_eq!(enc("v4-access-domain", ".").unwrap(), [0]);
        let mut p = Vec::new();
        write_prefix(&mut p, "2001:db8:ffff::/36").unwrap();
        assert_eq!(p, [36, 0x20, 0x01, 0x0d, 0xb8, 0xf0]);
        assert!(enc("host-name", "a,b").unwrap() == b"a,b");
    }

    #[test]
    fn hex_forms() {
        assert_eq!(encode_hex("0x0a0B").unwrap(), [10, 11]);
        assert_eq!(encode_hex("abc").unwrap(), [0x0a, 0xbc]);
        assert_eq!(encode_hex("a:11:01:04").unwrap(), [0x0a, 0x11, 1, 4]);
        assert_eq!(encode_hex("0a 11 1").unwrap(), [0x0a, 0x11, 1]);
        assert_eq!(encode_hex("").unwrap(), Vec::<u8>::new());
        assert!(encode_hex("01::02").is_err());
    }

    #[test]
    fn kea_tokens() {
        assert_eq!(tokens("a,,b , \\,c\\\\,\\x"), ["a", "b", ",c\\", "\\x"]);
        assert_eq!(unescape_whole(" a\\,b\\\\c\\d\\ "), "a,b\\c\\d\\");
    }
}
