//! Kea memfile CSV (fact sheet §c): import of DHCPv4 and DHCPv6 lease files of the
//! Kea 1.4 schema up to the newest (journal semantics, `&#xNN` unescaping, Kea's header
//! and row checks, the LFC file set), export in the newest schema (or 1.4's, which is
//! what Kea 1.4's kea-lfc writes), and an LFC run that produces exactly what kea-lfc
//! produces.
//!
//! Differences from Kea, all on rows Kea would also find odd: a row whose `expire` is
//! below its `valid_lifetime` (a negative cltt) is rejected; lease states this build
//! cannot store (v6 state 4 "registered") are rejected; `user_context` is checked to be
//! a JSON map only by shape (`{` ... `}`), and kept verbatim.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::hash::Hash;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use crate::{Ident, Lease4, Lease6, Lease6Type, LeaseState};

/// The header line Kea 2.4+ writes for DHCPv4 lease files (schema 3.0).
pub const V4_HEADER: &str = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id";
/// Kea 1.4's DHCPv4 header (schema 2.0).
pub const V4_HEADER_1_4: &str =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state";
/// The header line Kea 2.4+ writes for DHCPv6 lease files (schema 5.0).
pub const V6_HEADER: &str = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id";
/// Kea 1.4's DHCPv6 header (schema 3.0).
pub const V6_HEADER_1_4: &str = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state";

/// Columns up to `hostname` are the minimum a file must have (schema 1.0).
const V4_MIN_COLUMNS: usize = 9;
const V6_MIN_COLUMNS: usize = 12;
/// Kea's `MAX_LEASE_ERRORS`.
pub const MAX_ROW_ERRORS: usize = 100;
const HWADDR_MAX: usize = 20;
const DUID_MAX: usize = 130;

/// Which Kea a file is read or written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeaSchema {
    /// Kea 1.4: 1.4 columns, no escaping, an empty v4 hwaddr only for declined leases,
    /// non-PD `prefix_len` kept as read.
    V1_4,
    /// Newest Kea: all columns, `&#xNN` escaping, an empty v4 hwaddr allowed with a
    /// client-id, non-PD `prefix_len` read as 128.
    #[default]
    Newest,
}

/// How to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// Whose column set and row rules to apply.
    pub rules: KeaSchema,
    /// A file with more invalid rows than this fails to load (Kea: 100, configurable
    /// as `max-row-errors` in newest Kea); 0 = no limit.
    pub max_errors: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            rules: KeaSchema::Newest,
            max_errors: MAX_ROW_ERRORS,
        }
    }
}

/// An invalid row, skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: Option<PathBuf>,
    /// 1-based line number (the header is line 1).
    pub line: usize,
    pub reason: String,
}

/// Result of an import: the surviving leases after journal replay, ordered by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvImport<L> {
    pub leases: Vec<L>,
    /// Rows read (valid or not), over all files.
    pub rows: usize,
    /// Rows with `valid_lifetime` 0 that removed a lease.
    pub deletes: usize,
    pub errors: Vec<RowError>,
    /// A file had fewer columns than the schema (Kea then runs an LFC at once to
    /// rewrite it).
    pub needs_upgrade: bool,
}

/// Why an import failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum CsvError {
    Io {
        path: Option<PathBuf>,
        source: io::Error,
    },
    /// Header missing, too short, or whose names do not match the schema.
    BadHeader {
        path: Option<PathBuf>,
        reason: String,
    },
    /// More invalid rows than allowed.
    TooManyErrors {
        path: Option<PathBuf>,
        errors: usize,
        max: usize,
    },
}

fn show(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(|| "lease file".to_string(), |p| p.display().to_string())
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::Io { path, source } => write!(f, "{}: {source}", show(path)),
            CsvError::BadHeader { path, reason } => {
                write!(
                    f,
                    "{}: not a Kea lease file of this family: {reason}",
                    show(path)
                )
            }
            CsvError::TooManyErrors { path, errors, max } => write!(
                f,
                "{}: {errors} invalid rows, more than the {max} allowed; fix or remove the file",
                show(path)
            ),
        }
    }
}

impl std::error::Error for CsvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CsvError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------ parsing

/// Kea's `&#xNN` unescaping: `&#x` and two hex digits (either case) become that byte;
/// anything else is kept.
pub fn unescape(text: &str) -> String {
    if !text.contains("&#x") {
        return text.to_string();
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let digits = (b[i..].starts_with(b"&#x") && i + 5 <= b.len())
            .then(|| (hex_val(b[i + 3]), hex_val(b[i + 4])));
        if let Some((Some(h), Some(l))) = digits {
            out.push(h << 4 | l);
            i += 5;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Kea's escaping: `,` and `&` (and, as Kea 3.3 does, control and non-ASCII bytes)
/// become `&#x` and two lowercase hex digits.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    push_escaped(&mut s, text);
    s
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Colon-separated hex, groups of one or two digits; empty text is no bytes.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(':')
        .map(|g| {
            let ok = (1..=2).contains(&g.len()) && g.bytes().all(|c| c.is_ascii_hexdigit());
            if ok {
                u8::from_str_radix(g, 16).map_err(|e| e.to_string())
            } else {
                Err(format!("'{text}' is not colon-separated hex"))
            }
        })
        .collect()
}

fn num<T: std::str::FromStr>(v: &str, col: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{col} '{v}' is not a valid number"))
}

fn flag(v: &str, col: &str) -> Result<bool, String> {
    match v {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("{col} '{v}' is not 0 or 1")),
    }
}

fn state(v: &str) -> Result<LeaseState, String> {
    let code: u32 = num(v, "state")?;
    u8::try_from(code)
        .ok()
        .and_then(LeaseState::from_code)
        .ok_or_else(|| format!("lease state {code} is not supported"))
}

fn context(v: Option<&str>, rules: KeaSchema) -> Result<Option<String>, String> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let v = if rules == KeaSchema::Newest {
        unescape(v)
    } else {
        v.to_string()
    };
    let t = v.trim();
    if !(t.starts_with('{') && t.ends_with('}')) {
        return Err(format!("user context '{v}' is not a JSON map"));
    }
    Ok(Some(v))
}

fn cltt(expire: &str, valid: u32) -> Result<u64, String> {
    let expire: u64 = num(expire, "expire")?;
    expire
        .checked_sub(u64::from(valid))
        .ok_or_else(|| format!("expire {expire} is before valid lifetime {valid}"))
}

/// One lease family's CSV description.
trait CsvLease: Sized + Clone {
    type Addr: Hash + Eq + Copy + Ord;
    const COLUMNS: &'static [&'static str];
    const COLUMNS_1_4: usize;
    const MIN_COLUMNS: usize;
    fn defaults(col: usize) -> &'static str;
    fn parse(
        v: &[&str],
        rules: KeaSchema,
        file: Option<&Path>,
        line: usize,
    ) -> Result<Self, String>;
    fn addr(&self) -> Self::Addr;
    fn valid(&self) -> u32;
}

impl CsvLease for Lease4 {
    type Addr = u32;
    const COLUMNS: &'static [&'static str] = &[
        "address",
        "hwaddr",
        "client_id",
        "valid_lifetime",
        "expire",
        "subnet_id",
        "fqdn_fwd",
        "fqdn_rev",
        "hostname",
        "state",
        "user_context",
        "pool_id",
    ];
    const COLUMNS_1_4: usize = 10;
    const MIN_COLUMNS: usize = V4_MIN_COLUMNS;

    fn defaults(col: usize) -> &'static str {
        match Self::COLUMNS[col] {
            "state" | "pool_id" => "0",
            _ => "",
        }
    }

    fn parse(v: &[&str], rules: KeaSchema, _: Option<&Path>, _: usize) -> Result<Lease4, String> {
        let address: Ipv4Addr = v[0]
            .parse()
            .map_err(|_| format!("'{}' is not an IPv4 address", v[0]))?;
        let hwaddr = parse_hex(v[1])?;
        if hwaddr.len() > HWADDR_MAX {
            return Err(format!("hardware address longer than {HWADDR_MAX} bytes"));
        }
        let client_id = if v[2].is_empty() {
            None
        } else {
            let c = parse_hex(v[2])?;
            if !(2..=255).contains(&c.len()) {
                return Err(format!("client-id of {} bytes (2 to 255 allowed)", c.len()));
            }
            Some(Ident::new(&c))
        };
        let valid_lifetime: u32 = num(v[3], "valid_lifetime")?;
        let cltt = cltt(v[4], valid_lifetime)?;
        let subnet_id = num(v[5], "subnet_id")?;
        let fqdn_fwd = flag(v[6], "fqdn_fwd")?;
        let fqdn_rev = flag(v[7], "fqdn_rev")?;
        let hostname = match rules {
            KeaSchema::Newest => unescape(v[8]),
            KeaSchema::V1_4 => v[8].to_string(),
        };
        let state = state(v[9])?;
        let needs_hw = match rules {
            KeaSchema::V1_4 => true,
            KeaSchema::Newest => client_id.is_none(),
        };
        if hwaddr.is_empty() && needs_hw && state != LeaseState::Declined {
            return Err(match rules {
                KeaSchema::V1_4 => {
                    "a blank hardware address is only valid for declined leases".into()
                }
                KeaSchema::Newest => "lease has neither hardware address nor client-id".into(),
            });
        }
        let user_context = context(v.get(10).copied(), rules)?;
        if let Some(p) = v.get(11) {
            let _: u32 = num(p, "pool_id")?;
        }
        Ok(Lease4 {
            address,
            hwaddr: Ident::new(&hwaddr),
            htype: 1,
            client_id,
            subnet_id,
            valid_lifetime,
            cltt,
            fqdn_fwd,
            fqdn_rev,
            hostname,
            state,
            user_context,
        })
    }

    fn addr(&self) -> u32 {
        u32::from(self.address)
    }

    fn valid(&self) -> u32 {
        self.valid_lifetime
    }
}

impl CsvLease for Lease6 {
    type Addr = u128;
    const COLUMNS: &'static [&'static str] = &[
        "address",
        "duid",
        "valid_lifetime",
        "expire",
        "subnet_id",
        "pref_lifetime",
        "lease_type",
        "iaid",
        "prefix_len",
        "fqdn_fwd",
        "fqdn_rev",
        "hostname",
        "hwaddr",
        "state",
        "user_context",
        "hwtype",
        "hwaddr_source",
        "pool_id",
    ];
    const COLUMNS_1_4: usize = 14;
    const MIN_COLUMNS: usize = V6_MIN_COLUMNS;

    fn defaults(col: usize) -> &'static str {
        match Self::COLUMNS[col] {
            "state" | "pool_id" => "0",
            _ => "",
        }
    }

    fn parse(
        v: &[&str],
        rules: KeaSchema,
        file: Option<&Path>,
        line: usize,
    ) -> Result<Lease6, String> {
        let address: Ipv6Addr = v[0]
            .parse()
            .map_err(|_| format!("'{}' is not an IPv6 address", v[0]))?;
        let duid = parse_hex(v[1])?;
        if duid.is_empty() || duid.len() > DUID_MAX {
            return Err(format!(
                "DUID of {} bytes (1 to {DUID_MAX} allowed)",
                duid.len()
            ));
        }
        let valid_lifetime: u32 = num(v[2], "valid_lifetime")?;
        let cltt = cltt(v[3], valid_lifetime)?;
        let subnet_id = num(v[4], "subnet_id")?;
        let preferred_lifetime = num(v[5], "pref_lifetime")?;
        let code: i32 = num(v[6], "lease_type")?;
        let lease_type = u8::try_from(code)
            .ok()
            .and_then(Lease6Type::from_code)
            .ok_or_else(|| format!("lease type {code} is not 0, 1 or 2"))?;
        let iaid = num(v[7], "iaid")?;
        let raw_len: i32 = num(v[8], "prefix_len")?;
        let prefix_len = match (rules, lease_type) {
            (KeaSchema::Newest, Lease6Type::Na | Lease6Type::Ta) => 128,
            _ => raw_len as u8, // Kea: static_cast<uint8_t>
        };
        let fqdn_fwd = flag(v[9], "fqdn_fwd")?;
        let fqdn_rev = flag(v[10], "fqdn_rev")?;
        let hostname = match rules {
            KeaSchema::Newest => unescape(v[11]),
            KeaSchema::V1_4 => v[11].to_string(),
        };
        // Kea logs a bad hardware address and carries on without one.
        let hwaddr = match parse_hex(v[12]) {
            Ok(h) if h.is_empty() => None,
            Ok(h) if h.len() <= HWADDR_MAX => Some(Ident::new(&h)),
            Ok(_) | Err(_) => {
                log::warn!(
                    "{} line {line}: ignoring invalid hardware address '{}'",
                    file.map_or_else(|| "lease file".into(), |p| p.display().to_string()),
                    v[12]
                );
                None
            }
        };
        let state = state(v[13])?;
        if duid == [0] && state != LeaseState::Declined {
            return Err("the empty DUID (00) is only valid for declined leases".into());
        }
        let user_context = context(v.get(14).copied(), rules)?;
        let htype = match v.get(15).filter(|t| !t.is_empty()) {
            Some(t) => num(t, "hwtype")?,
            None => u16::from(hwaddr.is_some()),
        };
        let hwaddr_source = match v.get(16).filter(|t| !t.is_empty()) {
            Some(t) => num(t, "hwaddr_source")?,
            None => 0,
        };
        if let Some(p) = v.get(17) {
            let _: u32 = num(p, "pool_id")?;
        }
        Ok(Lease6 {
            address,
            prefix_len,
            lease_type,
            duid: Ident::new(&duid),
            iaid,
            subnet_id,
            preferred_lifetime,
            valid_lifetime,
            cltt,
            fqdn_fwd,
            fqdn_rev,
            hostname,
            htype: if hwaddr.is_some() { htype } else { 0 },
            hwaddr_source: if hwaddr.is_some() { hwaddr_source } else { 0 },
            hwaddr,
            state,
            user_context,
        })
    }

    fn addr(&self) -> u128 {
        u128::from(self.address)
    }

    fn valid(&self) -> u32 {
        self.valid_lifetime
    }
}

/// Leases by address while files are replayed (Kea's lease storage).
struct Journal<L: CsvLease> {
    map: HashMap<L::Addr, L>,
    result: CsvImport<L>,
}

impl<L: CsvLease> Journal<L> {
    fn new() -> Self {
        Journal {
            map: HashMap::new(),
            result: CsvImport {
                leases: Vec::new(),
                rows: 0,
                deletes: 0,
                errors: Vec::new(),
                needs_upgrade: false,
            },
        }
    }

    fn load(
        &mut self,
        reader: impl BufRead,
        file: Option<&Path>,
        opts: &ImportOptions,
    ) -> Result<(), CsvError> {
        let io = |e| CsvError::Io {
            path: file.map(Path::to_path_buf),
            source: e,
        };
        let bad = |reason: String| CsvError::BadHeader {
            path: file.map(Path::to_path_buf),
            reason,
        };
        let defined = match opts.rules {
            KeaSchema::V1_4 => L::COLUMNS_1_4,
            KeaSchema::Newest => L::COLUMNS.len(),
        };
        let mut lines = reader.split(b'\n');
        let header = match lines.next() {
            Some(h) => h.map_err(io)?,
            None => return Err(bad("the file is empty (no header line)".into())),
        };
        let header = String::from_utf8_lossy(&header).into_owned();
        let names: Vec<&str> = header.split(',').collect();
        for (i, name) in names.iter().enumerate().take(defined) {
            if *name != L::COLUMNS[i] {
                return Err(bad(format!(
                    "column {} is '{name}', expected '{}'",
                    i + 1,
                    L::COLUMNS[i]
                )));
            }
        }
        if names.len() < L::MIN_COLUMNS {
            return Err(bad(format!(
                "{} columns, at least {} (up to hostname) needed",
                names.len(),
                L::MIN_COLUMNS
            )));
        }
        let hc = names.len();
        if hc < defined {
            self.result.needs_upgrade = true;
        }
        let mut errors = 0usize;
        for (n, line) in lines.enumerate() {
            let line = line.map_err(io)?;
            let lineno = n + 2;
            let text = String::from_utf8_lossy(&line);
            self.result.rows += 1;
            let mut values: Vec<&str> = text.split(',').collect();
            let count = values.len();
            let shape = if hc == defined {
                (count != defined).then(|| format!("{count} values, the schema has {defined}"))
            } else if hc < defined {
                if count < L::MIN_COLUMNS {
                    Some(format!("{count} values, too few columns to upgrade"))
                } else if count > defined {
                    Some(format!("{count} values, too many columns to upgrade"))
                } else {
                    None
                }
            } else if count < defined {
                Some(format!("{count} values, too few columns to downgrade"))
            } else {
                None
            };
            let parsed = match shape {
                Some(e) => Err(e),
                None => {
                    values.truncate(defined);
                    for c in values.len()..defined {
                        values.push(L::defaults(c));
                    }
                    L::parse(&values, opts.rules, file, lineno)
                }
            };
            match parsed {
                Ok(lease) => {
                    let key = lease.addr();
                    if lease.valid() == 0 {
                        if self.map.remove(&key).is_some() {
                            self.result.deletes += 1;
                        }
                    } else {
                        self.map.insert(key, lease);
                    }
                }
                Err(reason) => {
                    errors += 1;
                    self.result.errors.push(RowError {
                        file: file.map(Path::to_path_buf),
                        line: lineno,
                        reason,
                    });
                    if opts.max_errors > 0 && errors > opts.max_errors {
                        return Err(CsvError::TooManyErrors {
                            path: file.map(Path::to_path_buf),
                            errors,
                            max: opts.max_errors,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn load_path(&mut self, path: &Path, opts: &ImportOptions) -> Result<(), CsvError> {
        let f = File::open(path).map_err(|e| CsvError::Io {
            path: Some(path.to_path_buf()),
            source: e,
        })?;
        self.load(BufReader::new(f), Some(path), opts)
    }

    fn finish(self) -> CsvImport<L> {
        let mut leases: Vec<(L::Addr, L)> = self.map.into_iter().collect();
        leases.sort_unstable_by_key(|(a, _)| *a);
        CsvImport {
            leases: leases.into_iter().map(|(_, l)| l).collect(),
            ..self.result
        }
    }
}

/// Imports one DHCPv4 lease file (a journal: later rows replace earlier ones,
/// `valid_lifetime` 0 deletes). Invalid rows are skipped and listed.
pub fn import_v4(
    reader: impl BufRead,
    opts: &ImportOptions,
) -> Result<CsvImport<Lease4>, CsvError> {
    let mut j = Journal::new();
    j.load(reader, None, opts)?;
    Ok(j.finish())
}

/// [`import_v4`] for DHCPv6.
pub fn import_v6(
    reader: impl BufRead,
    opts: &ImportOptions,
) -> Result<CsvImport<Lease6>, CsvError> {
    let mut j = Journal::new();
    j.load(reader, None, opts)?;
    Ok(j.finish())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The files Kea's server loads at start-up for lease file `F`, in order: `F.completed`
/// if it exists, else `F.2` then `F.1` (each if present); then `F`.
pub fn startup_files(lease_file: &Path) -> Vec<PathBuf> {
    let completed = with_suffix(lease_file, ".completed");
    let mut out = Vec::new();
    if completed.exists() {
        out.push(completed);
    } else {
        out.extend(
            [".2", ".1"]
                .iter()
                .map(|s| with_suffix(lease_file, s))
                .filter(|p| p.exists()),
        );
    }
    if lease_file.exists() {
        out.push(lease_file.to_path_buf());
    }
    out
}

fn load_files<L: CsvLease>(
    files: &[PathBuf],
    opts: &ImportOptions,
) -> Result<CsvImport<L>, CsvError> {
    let mut j = Journal::new();
    for f in files {
        j.load_path(f, opts)?;
    }
    Ok(j.finish())
}

/// Loads a Kea DHCPv4 lease file set (`F` and its LFC files) as Kea's server does at
/// start-up, see [`startup_files`].
pub fn load_v4_files(
    lease_file: &Path,
    opts: &ImportOptions,
) -> Result<CsvImport<Lease4>, CsvError> {
    load_files(&startup_files(lease_file), opts)
}

/// [`load_v4_files`] for DHCPv6.
pub fn load_v6_files(
    lease_file: &Path,
    opts: &ImportOptions,
) -> Result<CsvImport<Lease6>, CsvError> {
    load_files(&startup_files(lease_file), opts)
}

// ------------------------------------------------------------------ writing

/// One CSV row (without the line end) for `lease`, newest schema.
pub fn v4_row(lease: &Lease4) -> String {
    v4_row_schema(lease, KeaSchema::Newest)
}

/// One CSV row for `lease` in the given schema (1.4: no escaping, 10 columns).
pub fn v4_row_schema(lease: &Lease4, schema: KeaSchema) -> String {
    let mut row = String::with_capacity(96);
    let _ = write!(row, "{},", lease.address);
    push_hex(&mut row, &lease.hwaddr);
    row.push(',');
    if let Some(cid) = &lease.client_id {
        push_hex(&mut row, cid);
    }
    let _ = write!(
        row,
        ",{},{},{},{},{},",
        lease.valid_lifetime,
        lease.expire(),
        lease.subnet_id,
        u8::from(lease.fqdn_fwd),
        u8::from(lease.fqdn_rev)
    );
    match schema {
        KeaSchema::V1_4 => {
            row.push_str(&lease.hostname);
            let _ = write!(row, ",{}", lease.state.code());
        }
        KeaSchema::Newest => {
            push_escaped(&mut row, &lease.hostname);
            let _ = write!(row, ",{},", lease.state.code());
            if let Some(ctx) = &lease.user_context {
                push_escaped(&mut row, ctx);
            }
            row.push_str(",0");
        }
    }
    row
}

/// One CSV row (without the line end) for a DHCPv6 lease, newest schema.
pub fn v6_row(lease: &Lease6) -> String {
    v6_row_schema(lease, KeaSchema::Newest)
}

/// One DHCPv6 CSV row in the given schema (1.4: no escaping, 14 columns).
pub fn v6_row_schema(lease: &Lease6, schema: KeaSchema) -> String {
    let mut row = String::with_capacity(128);
    let _ = write!(row, "{},", lease.address);
    push_hex(&mut row, &lease.duid);
    let _ = write!(
        row,
        ",{},{},{},{},{},{},{},{},{},",
        lease.valid_lifetime,
        lease.expire(),
        lease.subnet_id,
        lease.preferred_lifetime,
        lease.lease_type.code(),
        lease.iaid,
        lease.prefix_len,
        u8::from(lease.fqdn_fwd),
        u8::from(lease.fqdn_rev)
    );
    match schema {
        KeaSchema::V1_4 => row.push_str(&lease.hostname),
        KeaSchema::Newest => push_escaped(&mut row, &lease.hostname),
    }
    row.push(',');
    if let Some(hw) = &lease.hwaddr {
        push_hex(&mut row, hw);
    }
    let _ = write!(row, ",{}", lease.state.code());
    if schema == KeaSchema::Newest {
        row.push(',');
        if let Some(ctx) = &lease.user_context {
            push_escaped(&mut row, ctx);
        }
        let (t, s) = match lease.hwaddr {
            Some(_) => (lease.htype, lease.hwaddr_source),
            None => (0, 0),
        };
        let _ = write!(row, ",{t},{s},0");
    }
    row
}

/// How often the export progress callback runs (and once at the end).
const PROGRESS_EVERY: usize = 4096;

fn export<L>(
    leases: &[L],
    mut w: impl Write,
    header: &str,
    row: impl Fn(&L) -> String,
    mut on_progress: impl FnMut(usize, usize),
) -> io::Result<()> {
    let total = leases.len();
    writeln!(w, "{header}")?;
    on_progress(0, total);
    for (i, l) in leases.iter().enumerate() {
        w.write_all(row(l).as_bytes())?;
        w.write_all(b"\n")?;
        if (i + 1) % PROGRESS_EVERY == 0 && i + 1 != total {
            on_progress(i + 1, total);
        }
    }
    w.flush()?;
    if total > 0 {
        on_progress(total, total);
    }
    Ok(())
}

/// Writes `leases` as a Kea DHCPv4 lease file of the newest schema, in the order given.
/// `on_progress(done, total)` is called at the start, every 4096 leases and at the end.
pub fn export_v4(
    leases: &[Lease4],
    w: impl Write,
    on_progress: impl FnMut(usize, usize),
) -> io::Result<()> {
    export_v4_schema(leases, w, KeaSchema::Newest, on_progress)
}

/// [`export_v4`] in a chosen schema.
pub fn export_v4_schema(
    leases: &[Lease4],
    w: impl Write,
    schema: KeaSchema,
    on_progress: impl FnMut(usize, usize),
) -> io::Result<()> {
    let header = match schema {
        KeaSchema::V1_4 => V4_HEADER_1_4,
        KeaSchema::Newest => V4_HEADER,
    };
    export(leases, w, header, |l| v4_row_schema(l, schema), on_progress)
}

/// Writes `leases` as a Kea DHCPv6 lease file of the newest schema.
pub fn export_v6(
    leases: &[Lease6],
    w: impl Write,
    on_progress: impl FnMut(usize, usize),
) -> io::Result<()> {
    export_v6_schema(leases, w, KeaSchema::Newest, on_progress)
}

/// [`export_v6`] in a chosen schema.
pub fn export_v6_schema(
    leases: &[Lease6],
    w: impl Write,
    schema: KeaSchema,
    on_progress: impl FnMut(usize, usize),
) -> io::Result<()> {
    let header = match schema {
        KeaSchema::V1_4 => V6_HEADER_1_4,
        KeaSchema::Newest => V6_HEADER,
    };
    export(leases, w, header, |l| v6_row_schema(l, schema), on_progress)
}

// ------------------------------------------------------------------ LFC

/// What an LFC run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfcReport {
    /// Leases written to the new `F.2`.
    pub leases: usize,
    pub rows: usize,
    pub errors: Vec<RowError>,
    /// False when an earlier run's `F.completed` was only rotated.
    pub cleaned: bool,
}

fn lfc<L: CsvLease>(
    lease_file: &Path,
    schema: KeaSchema,
    opts: &ImportOptions,
    write: impl Fn(&[L], &mut BufWriter<File>) -> io::Result<()>,
) -> Result<LfcReport, CsvError> {
    let previous = with_suffix(lease_file, ".2");
    let input = with_suffix(lease_file, ".1");
    let output = with_suffix(lease_file, ".output");
    let completed = with_suffix(lease_file, ".completed");
    let io_at = |p: &Path| {
        let p = p.to_path_buf();
        move |e| CsvError::Io {
            path: Some(p),
            source: e,
        }
    };
    let mut report = LfcReport {
        leases: 0,
        rows: 0,
        errors: Vec::new(),
        cleaned: false,
    };
    if !completed.exists() {
        let files: Vec<PathBuf> = [previous.clone(), input.clone()]
            .into_iter()
            .filter(|p| p.exists())
            .collect();
        let opts = ImportOptions {
            rules: schema,
            ..*opts
        };
        let r: CsvImport<L> = load_files(&files, &opts)?;
        let f = File::create(&output).map_err(io_at(&output))?;
        let mut w = BufWriter::new(f);
        write(&r.leases, &mut w).map_err(io_at(&output))?;
        let f = w.into_inner().map_err(|e| io_at(&output)(e.into_error()))?;
        f.sync_all().map_err(io_at(&output))?;
        fs::rename(&output, &completed).map_err(io_at(&completed))?;
        report = LfcReport {
            leases: r.leases.len(),
            rows: r.rows,
            errors: r.errors,
            cleaned: true,
        };
    }
    for p in [&previous, &input] {
        match fs::remove_file(p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(p)(e)),
        }
    }
    fs::rename(&completed, &previous).map_err(io_at(&previous))?;
    Ok(report)
}

/// Runs Kea's lease file cleanup for DHCPv4 lease file `F` as kea-lfc does: unless
/// `F.completed` exists, load `F.2` then `F.1` (journal rules, Kea `schema`'s row
/// checks), write the surviving leases ordered by address in `schema` to `F.output`,
/// rename it to `F.completed`; then delete `F.2` and `F.1` and rename `F.completed` to
/// `F.2`. (Kea's server first renames `F` to `F.1`; that is the caller's step.)
pub fn lfc_v4(
    lease_file: &Path,
    schema: KeaSchema,
    opts: &ImportOptions,
) -> Result<LfcReport, CsvError> {
    lfc::<Lease4>(lease_file, schema, opts, |l, w| {
        export_v4_schema(l, w, schema, |_, _| {})
    })
}

/// [`lfc_v4`] for DHCPv6.
pub fn lfc_v6(
    lease_file: &Path,
    schema: KeaSchema,
    opts: &ImportOptions,
) -> Result<LfcReport, CsvError> {
    lfc::<Lease6>(lease_file, schema, opts, |l, w| {
        export_v6_schema(l, w, schema, |_, _| {})
    })
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
}

fn push_escaped(out: &mut String, text: &str) {
    for b in text.bytes() {
        if b == b',' || b == b'&' || !(0x20..=0x7e).contains(&b) {
            let _ = write!(out, "&#x{b:02x}");
        } else {
            out.push(char::from(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LeaseState;
    use std::net::Ipv4Addr;

    #[test]
    fn writes_kea_rows() {
        let lease = Lease4 {
            address: Ipv4Addr::new(192, 0, 2, 10),
            hwaddr: vec![0x0a, 0x1b, 0, 1, 2, 3].into(),
            htype: 1,
            client_id: Some(vec![1, 0x0a, 0x1b].into()),
            subnet_id: 7,
            valid_lifetime: 3600,
            cltt: 1_000_000,
            fqdn_fwd: true,
            fqdn_rev: false,
            hostname: "a,b&c.example.".into(),
            state: LeaseState::Default,
            user_context: None,
        };
        assert_eq!(
            v4_row(&lease),
            "192.0.2.10,0a:1b:00:01:02:03,01:0a:1b,3600,1003600,7,1,0,a&#x2cb&#x26c.example.,0,,0"
        );
    }
}
