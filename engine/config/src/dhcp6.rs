//! The `Dhcp6` object: global parameters, the server DUID and the subnet list.

use std::collections::HashMap;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use crate::compat::{self, Scope};
use crate::dhcp4::{ExpiredLeasesProcessing, InnerLoggers, LeaseDatabase};
use crate::json::{Pos, Spanned, Value};
use crate::logging::{self, Logger};
use crate::option_data6::{self, OptionData6};
use crate::reservation::{IdentifierType, parse_formatted_hex};
use crate::reservation6::V6_IDENTIFIERS;
use crate::subnet::{ModeKeys, ReservationMode};
use crate::subnet6::{self, Inherited6, Site6, Subnet6, overlap_error};
use crate::walk::{self, Res, child, err, index};

#[derive(Debug, Clone, PartialEq)]
pub struct Dhcp6Config {
    pub interfaces: Vec<InterfaceSpec6>,
    /// `interfaces-config/re-detect` (default true).
    pub re_detect: bool,
    pub lease_database: LeaseDatabase,
    pub preferred_lifetime: u32,
    pub valid_lifetime: u32,
    pub renew_timer: u32,
    pub rebind_timer: u32,
    pub decline_probation_period: u32,
    /// Global default for subnets (Kea: false).
    pub rapid_commit: bool,
    pub option_data: Vec<OptionData6>,
    pub subnets: Vec<Subnet6>,
    pub server_id: ServerIdConfig,
    pub host_reservation_identifiers: Vec<IdentifierType>,
    pub expired_leases_processing: ExpiredLeasesProcessing,
    /// `data-directory` (newest Kea): where the server DUID file is kept.
    pub data_directory: Option<PathBuf>,
    pub user_context: Option<Value>,
    /// Global reservation mode (already applied to every subnet).
    pub reservation_mode: ReservationMode,
}

/// Kea's default DHCPv6 `host-reservation-identifiers`.
pub const DEFAULT_IDENTIFIER_TYPES6: [IdentifierType; 2] =
    [IdentifierType::HwAddress, IdentifierType::Duid];

impl Default for Dhcp6Config {
    /// Kea 1.4 defaults, no interfaces and no subnets.
    fn default() -> Self {
        Dhcp6Config {
            interfaces: Vec::new(),
            re_detect: true,
            lease_database: LeaseDatabase::default(),
            preferred_lifetime: 3600,
            valid_lifetime: 7200,
            renew_timer: 900,
            rebind_timer: 1800,
            decline_probation_period: 86400,
            rapid_commit: false,
            option_data: Vec::new(),
            subnets: Vec::new(),
            server_id: ServerIdConfig::default(),
            host_reservation_identifiers: DEFAULT_IDENTIFIER_TYPES6.to_vec(),
            expired_leases_processing: ExpiredLeasesProcessing::default(),
            data_directory: None,
            user_context: None,
            reservation_mode: ReservationMode::default(),
        }
    }
}

impl Dhcp6Config {
    pub fn subnet_by_id(&self, id: u32) -> Option<&Subnet6> {
        self.subnets.iter().find(|s| s.id == id)
    }
}

/// One entry of `interfaces-config/interfaces`: `"eth0"`,
/// `"eth0/2001:db8::1"` (also listen on that unicast address) or `"*"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InterfaceSpec6 {
    /// Interface name; `"*"` means all interfaces.
    pub name: String,
    pub address: Option<Ipv6Addr>,
}

impl InterfaceSpec6 {
    pub fn is_wildcard(&self) -> bool {
        self.name == "*"
    }
}

/// DUID types the server may generate for itself (`server-id/type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DuidType {
    /// DUID-LLT: link-layer address plus time (Kea's default).
    #[default]
    Llt,
    /// DUID-EN: enterprise number plus identifier.
    En,
    /// DUID-LL: link-layer address.
    Ll,
}

/// `server-id`: how the server DUID is built. Values Kea treats as "generate
/// it" (empty identifier, time/htype/enterprise-id 0) are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerIdConfig {
    pub kind: DuidType,
    /// Link-layer address (LLT/LL) or identifier (EN).
    pub identifier: Option<Vec<u8>>,
    /// LLT time (seconds since 2000-01-01).
    pub time: Option<u32>,
    /// LLT/LL hardware type.
    pub htype: Option<u16>,
    /// EN enterprise number (`None`: ISC's 2495, as Kea).
    pub enterprise_id: Option<u32>,
    /// Store the DUID in a file and reuse it across restarts (default true).
    pub persist: bool,
}

impl Default for ServerIdConfig {
    fn default() -> Self {
        ServerIdConfig {
            kind: DuidType::Llt,
            identifier: None,
            time: None,
            htype: None,
            enterprise_id: None,
            persist: true,
        }
    }
}

/// Parses the `Dhcp6` map. Returns the config and the loggers given inside it.
pub(crate) fn parse(
    v: &Spanned<Value>,
    warnings: &mut Vec<String>,
) -> Res<(Dhcp6Config, InnerLoggers)> {
    let path = "Dhcp6";
    let entries = walk::map(v, path, path)?;
    let mut c = Dhcp6Config::default();
    let mut subnets_v: Option<&Spanned<Value>> = None;
    let mut loggers = None;
    let mut renew_pos: Option<Pos> = None;
    let mut rebind_pos: Option<Pos> = None;
    let mut modes = ModeKeys::default();
    let mut ctx = walk::Context::default();

    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "preferred-lifetime" => c.preferred_lifetime = walk::u32_(val, &p, key)?,
            "valid-lifetime" => c.valid_lifetime = walk::u32_(val, &p, key)?,
            "renew-timer" => {
                c.renew_timer = walk::u32_(val, &p, key)?;
                renew_pos = Some(val.pos.clone());
            }
            "rebind-timer" => {
                c.rebind_timer = walk::u32_(val, &p, key)?;
                rebind_pos = Some(val.pos.clone());
            }
            "decline-probation-period" => c.decline_probation_period = walk::u32_(val, &p, key)?,
            "rapid-commit" => c.rapid_commit = walk::boolean(val, &p, key)?,
            "option-data" => c.option_data = option_data6::parse_list(val, &p)?,
            "interfaces-config" => parse_interfaces(val, &p, &mut c)?,
            "lease-database" => c.lease_database = crate::dhcp4::parse_lease_db(val, &p)?,
            "expired-leases-processing" => {
                c.expired_leases_processing = crate::dhcp4::parse_expired(val, &p)?;
            }
            "host-reservation-identifiers" => {
                c.host_reservation_identifiers = parse_identifier_types(val, &p)?;
            }
            "server-id" => c.server_id = parse_server_id(val, &p)?,
            "data-directory" => {
                let s = walk::string(val, &p, key)?;
                c.data_directory = (!s.is_empty()).then(|| PathBuf::from(s));
            }
            "subnet6" => {
                walk::list(val, &p, key)?;
                subnets_v = Some(val);
            }
            "loggers" => loggers = Some((logging::parse_loggers(val, &p)?, k.pos.clone())),
            _ => {
                if ctx.take(k, val, path)?
                    || modes.take(k, val, path)?
                    || compat::check(Scope::Global6, k, val, path)?
                {
                    continue;
                }
                return Err(walk::unexpected(k, path));
            }
        }
    }
    c.user_context = ctx.finish();
    c.reservation_mode = modes.resolve(ReservationMode::default(), path)?;

    if c.renew_timer > c.rebind_timer {
        let (key, pos) = match (&renew_pos, &rebind_pos) {
            (Some(p), _) => ("renew-timer", p),
            (None, Some(p)) => ("rebind-timer", p),
            (None, None) => ("renew-timer", &v.pos),
        };
        return Err(err(
            pos,
            &child(path, key),
            key,
            format!(
                "the value of renew-timer ({}) is greater than the value of rebind-timer ({})",
                c.renew_timer, c.rebind_timer
            ),
        ));
    }
    if let Some(sv) = subnets_v {
        c.subnets = parse_subnets(sv, &c, warnings)?;
    }
    Ok((c, loggers))
}

fn parse_subnets(
    v: &Spanned<Value>,
    c: &Dhcp6Config,
    warnings: &mut Vec<String>,
) -> Res<Vec<Subnet6>> {
    let path = "Dhcp6/subnet6";
    let inh = Inherited6 {
        preferred_lifetime: c.preferred_lifetime,
        valid_lifetime: c.valid_lifetime,
        renew_timer: c.renew_timer,
        rebind_timer: c.rebind_timer,
        rapid_commit: c.rapid_commit,
        reservation_mode: c.reservation_mode,
    };
    let mut out: Vec<Subnet6> = Vec::new();
    let mut ids: HashMap<u32, String> = HashMap::new();
    let mut prefixes: HashMap<(Ipv6Addr, u8), String> = HashMap::new();
    let mut all_sites: Vec<Site6> = Vec::new();
    let mut seq = 0usize;
    let mut max_id = 0u32;
    for (i, item) in walk::list(v, path, "subnet6")?.iter().enumerate() {
        let sp = index(path, i);
        let mut ps = subnet6::parse(item, &sp, &inh, &mut seq, warnings)?;
        let id = match &ps.explicit_id {
            Some((id, pos)) => {
                if let Some(first) = ids.get(id) {
                    return Err(err(
                        pos,
                        &child(&sp, "id"),
                        "id",
                        format!("'id': duplicate subnet id {id} (already used by {first})"),
                    ));
                }
                *id
            }
            None => {
                if max_id >= u32::MAX - 1 {
                    return Err(err(
                        &item.pos,
                        &child(&sp, "id"),
                        "id",
                        "cannot assign a subnet id automatically: ids exhausted",
                    ));
                }
                let id = max_id + 1;
                if let Some(first) = ids.get(&id) {
                    return Err(err(
                        &item.pos,
                        &child(&sp, "id"),
                        "id",
                        format!(
                            "automatically assigned subnet id {id} is already used by {first}; give this subnet an explicit 'id'"
                        ),
                    ));
                }
                id
            }
        };
        max_id = max_id.max(id);
        ids.insert(id, sp.clone());
        ps.subnet.id = id;
        let key = (ps.subnet.prefix, ps.subnet.prefix_len);
        if let Some(first) = prefixes.get(&key) {
            return Err(err(
                &ps.subnet_pos,
                &child(&sp, "subnet"),
                "subnet",
                format!(
                    "'subnet': a subnet with the prefix {}/{} already exists ({first})",
                    key.0, key.1
                ),
            ));
        }
        prefixes.insert(key, sp.clone());
        all_sites.append(&mut ps.sites);
        out.push(ps.subnet);
    }

    // Pools and pd-pools must not overlap across subnets either (nor an
    // address pool with a delegated prefix).
    all_sites.sort_by_key(|s| (s.start, s.seq));
    let mut widest: Option<usize> = None;
    for n in 0..all_sites.len() {
        if let Some(w) = widest {
            let (a, b) = (&all_sites[w], &all_sites[n]);
            if b.start <= a.end {
                let (later, earlier) = if a.seq > b.seq { (a, b) } else { (b, a) };
                return Err(overlap_error(later, earlier, false));
            }
        }
        if widest.is_none_or(|w| all_sites[n].end > all_sites[w].end) {
            widest = Some(n);
        }
    }
    Ok(out)
}

fn parse_interfaces(v: &Spanned<Value>, path: &str, c: &mut Dhcp6Config) -> Res<()> {
    let entries = walk::map(v, path, "interfaces-config")?;
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "interfaces" => {
                c.interfaces.clear();
                for (i, item) in walk::list(val, &p, key)?.iter().enumerate() {
                    let ip = index(&p, i);
                    let s = walk::string(item, &ip, key)?;
                    let spec = parse_interface(s)
                        .map_err(|m| err(&item.pos, &ip, key, format!("'interfaces': {m}")))?;
                    if !c.interfaces.contains(&spec) {
                        c.interfaces.push(spec);
                    }
                }
            }
            "re-detect" => c.re_detect = walk::boolean(val, &p, key)?,
            _ => {
                if ctx.take(k, val, path)? || compat::check(Scope::Interfaces, k, val, path)? {
                    continue;
                }
                return Err(walk::unexpected(k, path));
            }
        }
    }
    Ok(())
}

fn parse_interface(s: &str) -> Result<InterfaceSpec6, String> {
    let (name, addr) = match s.split_once('/') {
        Some((n, a)) => {
            let addr = walk::parse_ipv6(a)
                .ok_or_else(|| format!("'{s}': '{a}' is not a valid IPv6 address"))?;
            if addr.is_multicast() || addr.is_unspecified() {
                return Err(format!("'{s}': {addr} is not a unicast address"));
            }
            (n.trim(), Some(addr))
        }
        None => (s.trim(), None),
    };
    if name.is_empty() {
        return Err(format!("'{s}': empty interface name"));
    }
    if name == "*" && addr.is_some() {
        return Err(format!("'{s}': '*' cannot have an address"));
    }
    Ok(InterfaceSpec6 {
        name: name.to_string(),
        address: addr,
    })
}

fn parse_identifier_types(v: &Spanned<Value>, path: &str) -> Res<Vec<IdentifierType>> {
    let key = "host-reservation-identifiers";
    let mut out = Vec::new();
    for (i, item) in walk::list(v, path, key)?.iter().enumerate() {
        let ip = index(path, i);
        let s = walk::string(item, &ip, key)?;
        let t = IdentifierType::from_kea_name(s)
            .filter(|t| V6_IDENTIFIERS.contains(t))
            .ok_or_else(|| {
                err(
                    &item.pos,
                    &ip,
                    key,
                    format!(
                        "'{key}': invalid DHCPv6 host reservation identifier '{s}' (expected hw-address, duid or flex-id)"
                    ),
                )
            })?;
        if out.contains(&t) {
            return Err(err(
                &item.pos,
                &ip,
                key,
                format!("'{key}': duplicate host reservation identifier '{s}'"),
            ));
        }
        out.push(t);
    }
    Ok(out)
}

fn parse_server_id(v: &Spanned<Value>, path: &str) -> Res<ServerIdConfig> {
    let entries = walk::map(v, path, "server-id")?;
    let mut s = ServerIdConfig::default();
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "type" => {
                let t = walk::string(val, &p, key)?;
                s.kind = match t {
                    "LLT" => DuidType::Llt,
                    "EN" => DuidType::En,
                    "LL" => DuidType::Ll,
                    _ => {
                        return Err(err(
                            &val.pos,
                            &p,
                            key,
                            format!(
                                "'type': invalid server DUID type '{t}' (expected LLT, EN or LL)"
                            ),
                        ));
                    }
                };
            }
            "identifier" => {
                let t = walk::string(val, &p, key)?;
                if !t.trim().is_empty() {
                    let bytes = parse_formatted_hex(t).ok_or_else(|| {
                        err(
                            &val.pos,
                            &p,
                            key,
                            format!("'identifier': '{t}' is not a valid hex string"),
                        )
                    })?;
                    // A DUID is at most 128 bytes; the longest header (EN) takes 6.
                    if bytes.len() > 122 {
                        return Err(err(
                            &val.pos,
                            &p,
                            key,
                            format!(
                                "'identifier': {} bytes is too long for a DUID (at most 122)",
                                bytes.len()
                            ),
                        ));
                    }
                    s.identifier = Some(bytes);
                }
            }
            "time" => s.time = Some(walk::u32_(val, &p, key)?).filter(|t| *t != 0),
            "htype" => {
                s.htype = Some(walk::int_range(val, &p, key, 0, 65535)? as u16).filter(|h| *h != 0)
            }
            "enterprise-id" => {
                s.enterprise_id = Some(walk::u32_(val, &p, key)?).filter(|e| *e != 0)
            }
            "persist" => s.persist = walk::boolean(val, &p, key)?,
            _ => {
                if ctx.take(k, val, path)? {
                    continue;
                }
                return Err(walk::unexpected(k, path));
            }
        }
    }
    Ok(s)
}

/// The loggers of the whole file: those inside `Dhcp4` followed by those
/// inside `Dhcp6` (newest dialect), or the top-level `Logging` ones (1.4
/// dialect); mixing both styles is an error.
pub(crate) fn combine_loggers(
    v4: InnerLoggers,
    v6: InnerLoggers,
    top: Option<Vec<Logger>>,
) -> Res<Vec<Logger>> {
    if top.is_some() {
        for (section, inner) in [("Dhcp4", &v4), ("Dhcp6", &v6)] {
            if let Some((_, pos)) = inner {
                return Err(err(
                    pos,
                    &format!("{section}/loggers"),
                    "loggers",
                    format!(
                        "'loggers' given both inside '{section}' and in the top-level 'Logging'; keep only one"
                    ),
                ));
            }
        }
    }
    let mut out = top.unwrap_or_default();
    out.extend(v4.map(|l| l.0).unwrap_or_default());
    out.extend(v6.map(|l| l.0).unwrap_or_default());
    Ok(out)
}
