//! Helpers to walk the positioned JSON tree with typed accessors that turn
//! every mismatch into a [`ConfigError`] carrying position and JSON path.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::compat::{self, Scope};
use crate::error::ConfigError;
use crate::json::{Pos, Spanned, Value};

pub(crate) type Entry = (Spanned<String>, Spanned<Value>);
pub(crate) type Res<T> = Result<T, ConfigError>;

/// `path/key` (or `key` at the top).
pub(crate) fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}/{key}")
    }
}

/// `path[i]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

pub(crate) fn err(pos: &Pos, path: &str, key: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::at(pos, path, key, msg)
}

fn type_err(v: &Spanned<Value>, path: &str, key: &str, expected: &str) -> ConfigError {
    err(
        &v.pos,
        path,
        key,
        format!("'{key}': expected {expected}, got {}", v.value.type_name()),
    )
}

/// Error for a key that Kea accepts but xdhcp does not implement.
pub(crate) fn unsupported(k: &Spanned<String>, path: &str) -> ConfigError {
    err(
        &k.pos,
        &child(path, &k.value),
        &k.value,
        format!("'{}' is not supported yet by xdhcp", k.value),
    )
}

/// Error for a key unknown in this scope.
pub(crate) fn unexpected(k: &Spanned<String>, path: &str) -> ConfigError {
    let scope = if path.is_empty() {
        "the top level"
    } else {
        path
    };
    err(
        &k.pos,
        &child(path, &k.value),
        &k.value,
        format!("unexpected key '{}' in {scope}", k.value),
    )
}

pub(crate) fn map<'a>(v: &'a Spanned<Value>, path: &str, key: &str) -> Res<&'a [Entry]> {
    v.value
        .as_map()
        .ok_or_else(|| type_err(v, path, key, "a map"))
}

pub(crate) fn list<'a>(v: &'a Spanned<Value>, path: &str, key: &str) -> Res<&'a [Spanned<Value>]> {
    v.value
        .as_array()
        .ok_or_else(|| type_err(v, path, key, "a list"))
}

pub(crate) fn string<'a>(v: &'a Spanned<Value>, path: &str, key: &str) -> Res<&'a str> {
    v.value
        .as_str()
        .ok_or_else(|| type_err(v, path, key, "a string"))
}

pub(crate) fn boolean(v: &Spanned<Value>, path: &str, key: &str) -> Res<bool> {
    v.value
        .as_bool()
        .ok_or_else(|| type_err(v, path, key, "a boolean"))
}

pub(crate) fn int_range(v: &Spanned<Value>, path: &str, key: &str, min: i64, max: i64) -> Res<i64> {
    let i = v
        .value
        .as_int()
        .ok_or_else(|| type_err(v, path, key, "an integer"))?;
    if i < min || i > max {
        return Err(err(
            &v.pos,
            path,
            key,
            format!("'{key}': value {i} is out of range ({min}..{max})"),
        ));
    }
    Ok(i)
}

pub(crate) fn u32_(v: &Spanned<Value>, path: &str, key: &str) -> Res<u32> {
    int_range(v, path, key, 0, u32::MAX as i64).map(|i| i as u32)
}

pub(crate) fn ipv4(v: &Spanned<Value>, path: &str, key: &str) -> Res<Ipv4Addr> {
    let s = string(v, path, key)?;
    parse_ipv4(s).ok_or_else(|| {
        err(
            &v.pos,
            path,
            key,
            format!("'{key}': '{s}' is not a valid IPv4 address"),
        )
    })
}

/// Strict dotted-quad parsing (std's parser, after trimming blanks like Kea).
pub(crate) fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    s.trim().parse::<Ipv4Addr>().ok()
}

pub(crate) fn ipv6(v: &Spanned<Value>, path: &str, key: &str) -> Res<Ipv6Addr> {
    let s = string(v, path, key)?;
    parse_ipv6(s).ok_or_else(|| {
        err(
            &v.pos,
            path,
            key,
            format!("'{key}': '{s}' is not a valid IPv6 address"),
        )
    })
}

/// IPv6 text parsing (std's parser, after trimming blanks like Kea).
pub(crate) fn parse_ipv6(s: &str) -> Option<Ipv6Addr> {
    s.trim().parse::<Ipv6Addr>().ok()
}

/// Reads a `user-context` value (must be a map).
pub(crate) fn user_context(v: &Spanned<Value>, path: &str, key: &str) -> Res<Value> {
    map(v, path, key)?;
    Ok(v.value.clone())
}

/// Accumulates `user-context` and `comment` of one scope the way Kea does:
/// the comment is stored inside the user context as `"comment"`.
#[derive(Default)]
pub(crate) struct Context {
    ctx: Option<Spanned<Value>>,
    comment: Option<(Spanned<String>, Spanned<Value>)>,
}

impl Context {
    /// Handles `user-context` / `comment`; returns false for other keys.
    pub(crate) fn take(
        &mut self,
        k: &Spanned<String>,
        v: &Spanned<Value>,
        path: &str,
    ) -> Res<bool> {
        let p = child(path, &k.value);
        match k.value.as_str() {
            "user-context" => {
                user_context(v, &p, &k.value)?;
                self.ctx = Some(v.clone());
                Ok(true)
            }
            "comment" => {
                string(v, &p, &k.value)?;
                self.comment = Some((k.clone(), v.clone()));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Handles `user-context` / `comment`, or a Kea key of `scope` that
    /// xdhcp tolerates; refuses any other key.
    pub(crate) fn take_other(
        &mut self,
        k: &Spanned<String>,
        v: &Spanned<Value>,
        path: &str,
        scope: Scope,
    ) -> Res<()> {
        if self.take(k, v, path)? || compat::check(scope, k, v, path)? {
            return Ok(());
        }
        Err(unexpected(k, path))
    }

    pub(crate) fn finish(self) -> Option<Value> {
        match (self.ctx, self.comment) {
            (None, None) => None,
            (Some(c), None) => Some(c.value),
            (ctx, Some(comment)) => {
                let mut entries = match ctx.map(|c| c.value) {
                    Some(Value::Map(m)) => m,
                    _ => Vec::new(),
                };
                if !entries.iter().any(|(k, _)| k.value == "comment") {
                    entries.push(comment);
                }
                Some(Value::Map(entries))
            }
        }
    }
}

/// Whether `v` equals a JSON value given as a closure check; used for keys
/// that are accepted only with their default / disabled value.
pub(crate) fn is_empty_list(v: &Spanned<Value>) -> bool {
    matches!(&v.value, Value::Array(a) if a.is_empty())
}

/// Checks that every entry of a map satisfies `ok(key, value)`.
pub(crate) fn map_all(v: &Spanned<Value>, ok: impl Fn(&str, &Value) -> bool) -> bool {
    match &v.value {
        Value::Map(m) => m.iter().all(|(k, v)| ok(&k.value, &v.value)),
        _ => false,
    }
}

/// `a`, `a or b`, `a, b or c`: the names a value may take, for messages.
pub(crate) fn one_of<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The names a string value may take, each with the value it stands for.
pub(crate) struct Choices<T: 'static> {
    /// Words the error for another name: `'<key>': <what> '<s>' (expected a, b or c)`.
    what: &'static str,
    names: &'static [(&'static str, T)],
    ignore_case: bool,
}

impl<T: Copy> Choices<T> {
    pub(crate) const fn new(what: &'static str, names: &'static [(&'static str, T)]) -> Self {
        Choices {
            what,
            names,
            ignore_case: false,
        }
    }

    /// The same choices with names compared without regard to ASCII case.
    pub(crate) const fn ignoring_case(self) -> Self {
        Choices {
            ignore_case: true,
            ..self
        }
    }

    /// Reads the string `v` (of `key` at `path`) and returns its value.
    pub(crate) fn read(&self, v: &Spanned<Value>, path: &str, key: &str) -> Res<T> {
        let s = string(v, path, key)?;
        self.names
            .iter()
            .find(|(name, _)| {
                if self.ignore_case {
                    s.eq_ignore_ascii_case(name)
                } else {
                    s == *name
                }
            })
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let expected = one_of(self.names.iter().map(|(name, _)| *name));
                let what = self.what;
                err(
                    &v.pos,
                    path,
                    key,
                    format!("'{key}': {what} '{s}' (expected {expected})"),
                )
            })
    }
}

/// Parses a `relay` map: `ip-address` or `ip-addresses` (not both), read
/// with `address`; unspecified single addresses and repeats are dropped.
pub(crate) fn relay_addresses<A: Copy + PartialEq + Into<IpAddr>>(
    v: &Spanned<Value>,
    path: &str,
    address: fn(&Spanned<Value>, &str, &str) -> Res<A>,
) -> Res<Vec<A>> {
    let entries = map(v, path, "relay")?;
    let mut out = Vec::new();
    let mut seen: Option<&str> = None;
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        if matches!(key, "ip-address" | "ip-addresses") {
            if let Some(other) = seen {
                return Err(err(
                    &k.pos,
                    &p,
                    key,
                    format!("'{key}': specify either '{other}' or '{key}' in relay, not both"),
                ));
            }
            seen = Some(key);
        }
        match key {
            "ip-address" => {
                let a = address(val, &p, key)?;
                if !a.into().is_unspecified() {
                    out.push(a);
                }
            }
            "ip-addresses" => {
                for (i, item) in list(val, &p, key)?.iter().enumerate() {
                    let a = address(item, &index(&p, i), key)?;
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
            }
            _ => return Err(unexpected(k, path)),
        }
    }
    Ok(out)
}
