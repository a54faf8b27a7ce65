//! Logging: `Dhcp4/loggers` (newest dialect) or top-level `Logging/loggers` (1.4).

use std::path::PathBuf;

use crate::compat::{self, Scope};
use crate::json::{Spanned, Value};
use crate::walk::{self, Choices, Res, child, err, index};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Logging {
    pub loggers: Vec<Logger>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logger {
    /// e.g. `kea-dhcp4`, `kea-dhcp4.packets`.
    pub name: String,
    /// Never empty: a logger without `output-options` logs to stdout.
    pub outputs: Vec<LogOutput>,
    pub severity: Severity,
    /// 0..=99, meaningful with `Severity::Debug`.
    pub debuglevel: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOutput {
    Stdout,
    Stderr,
    /// `syslog` or `syslog:<name>`.
    Syslog(Option<String>),
    /// A file path; `maxsize` in bytes (0 = no rotation), `maxver` rotated versions kept.
    File {
        path: PathBuf,
        flush: bool,
        maxsize: u64,
        maxver: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Severity {
    Fatal,
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    None,
}

/// Kea's default `maxsize` (10240000 bytes).
pub const DEFAULT_MAXSIZE: u64 = 10_240_000;
/// Kea's default `maxver`.
pub const DEFAULT_MAXVER: u32 = 1;

/// Parses the `Logging` map of the 1.4 dialect (only `loggers` inside).
pub(crate) fn parse_logging_map(v: &Spanned<Value>, path: &str) -> Res<Vec<Logger>> {
    let entries = walk::map(v, path, "Logging")?;
    let mut loggers = Vec::new();
    for (k, val) in entries {
        match k.value.as_str() {
            "loggers" => loggers = parse_loggers(val, &child(path, "loggers"))?,
            _ => return Err(walk::unexpected(k, path)),
        }
    }
    Ok(loggers)
}

/// Parses a `loggers` list at `path`.
pub(crate) fn parse_loggers(v: &Spanned<Value>, path: &str) -> Res<Vec<Logger>> {
    let items = walk::list(v, path, "loggers")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_logger(item, &index(path, i)))
        .collect()
}

/// A logger's `severity` (any case, as Kea).
const SEVERITIES: Choices<Severity> = Choices::new(
    "unknown severity",
    &[
        ("FATAL", Severity::Fatal),
        ("ERROR", Severity::Error),
        ("WARN", Severity::Warn),
        ("INFO", Severity::Info),
        ("DEBUG", Severity::Debug),
        ("NONE", Severity::None),
    ],
)
.ignoring_case();

fn parse_logger(v: &Spanned<Value>, path: &str) -> Res<Logger> {
    let entries = walk::map(v, path, "loggers")?;
    let mut name = None;
    let mut outputs: Option<(&str, Vec<LogOutput>)> = None;
    let mut severity = Severity::Info;
    let mut debuglevel = 0u8;
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "name" => name = Some(walk::string(val, &p, key)?.to_string()),
            "output_options" | "output-options" => {
                if let Some((other, _)) = outputs {
                    return Err(err(
                        &k.pos,
                        &p,
                        key,
                        format!("'{key}': '{other}' was already given for this logger"),
                    ));
                }
                outputs = Some((key, parse_outputs(val, &p, key)?));
            }
            "severity" => severity = SEVERITIES.read(val, &p, key)?,
            "debuglevel" => debuglevel = walk::int_range(val, &p, key, 0, 99)? as u8,
            _ => ctx.take_other(k, val, path, Scope::Logger)?,
        }
    }
    let Some(name) = name else {
        return Err(err(
            &v.pos,
            &child(path, "name"),
            "name",
            "'name' is required for a logger",
        ));
    };
    let mut outputs = outputs.map(|(_, o)| o).unwrap_or_default();
    if outputs.is_empty() {
        outputs.push(LogOutput::Stdout);
    }
    Ok(Logger {
        name,
        outputs,
        severity,
        debuglevel,
    })
}

fn parse_outputs(v: &Spanned<Value>, path: &str, key: &str) -> Res<Vec<LogOutput>> {
    let items = walk::list(v, path, key)?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = index(path, i);
        let entries = walk::map(item, &ipath, key)?;
        let mut output: Option<(&Spanned<Value>, &str)> = None;
        let mut flush = true;
        let mut maxsize = DEFAULT_MAXSIZE;
        let mut maxver = DEFAULT_MAXVER;
        for (k, val) in entries {
            let kk = k.value.as_str();
            let p = child(&ipath, kk);
            match kk {
                "output" => output = Some((val, walk::string(val, &p, kk)?)),
                "flush" => flush = walk::boolean(val, &p, kk)?,
                "maxsize" => maxsize = walk::int_range(val, &p, kk, 0, i64::MAX)? as u64,
                "maxver" => maxver = walk::u32_(val, &p, kk)?,
                _ => {
                    if compat::check(Scope::Logger, k, val, &ipath)? {
                        continue;
                    }
                    return Err(walk::unexpected(k, &ipath));
                }
            }
        }
        let Some((oval, o)) = output else {
            return Err(err(
                &item.pos,
                &child(&ipath, "output"),
                "output",
                "'output' is required in output options",
            ));
        };
        let dest = match o {
            "stdout" => LogOutput::Stdout,
            "stderr" => LogOutput::Stderr,
            "syslog" => LogOutput::Syslog(None),
            "" => {
                return Err(err(
                    &oval.pos,
                    &child(&ipath, "output"),
                    "output",
                    "'output': must not be empty",
                ));
            }
            s => match s.strip_prefix("syslog:") {
                Some(facility) => LogOutput::Syslog(Some(facility.to_string())),
                None => LogOutput::File {
                    path: PathBuf::from(s),
                    flush,
                    maxsize,
                    maxver,
                },
            },
        };
        out.push(dest);
    }
    Ok(out)
}
