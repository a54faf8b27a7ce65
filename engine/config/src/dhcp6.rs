//! The `Dhcp6` object: global parameters, the server DUID and the subnet list.

use std::net::Ipv6Addr;
use std::path::PathBuf;

use crate::compat::Scope;
use crate::dhcp4::{
    ExpiredLeasesProcessing, InnerLoggers, LeaseDatabase, parse_identifier_types,
    parse_interface_list, split_interface,
};
use crate::json::{Pos, Spanned, Value};
use crate::logging::{self, Logger};
use crate::option_data6::{self, OptionData6};
use crate::reservation::{IdentifierType, parse_formatted_hex};
use crate::reservation6::V6_IDENTIFIERS;
use crate::subnet::{
    NetworkKeys, ReservationMode, SubnetRegistry, first_overlap, timer_order_error,
};
use crate::subnet6::{self, Inherited6, Site6, Subnet6, overlap_error};
use crate::walk::{self, Choices, Res, child, err, index};

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
    let mut keys = NetworkKeys::new(Scope::Global6);

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
                c.host_reservation_identifiers = parse_identifier_types(
                    val,
                    &p,
                    &V6_IDENTIFIERS,
                    "DHCPv6 host reservation identifier",
                )?;
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
            _ => keys.take(k, val, path)?,
        }
    }
    (c.user_context, c.reservation_mode) = keys.finish(ReservationMode::default(), path)?;

    if c.renew_timer > c.rebind_timer {
        return Err(timer_order_error(
            path,
            renew_pos.as_ref(),
            rebind_pos.as_ref(),
            &v.pos,
            c.renew_timer,
            c.rebind_timer,
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
    let mut registry = SubnetRegistry::new();
    let mut all_sites: Vec<Site6> = Vec::new();
    let mut seq = 0usize;
    for (i, item) in walk::list(v, path, "subnet6")?.iter().enumerate() {
        let sp = index(path, i);
        let mut ps = subnet6::parse(item, &sp, &inh, &mut seq, warnings)?;
        ps.subnet.id = registry.register(
            &sp,
            &item.pos,
            &ps.explicit_id,
            (ps.subnet.prefix, ps.subnet.prefix_len),
            &ps.subnet_pos,
        )?;
        all_sites.append(&mut ps.sites);
        out.push(ps.subnet);
    }

    // Pools and pd-pools must not overlap across subnets either (nor an
    // address pool with a delegated prefix).
    if let Some((later, earlier)) = first_overlap(&mut all_sites, |s| (s.start, s.end, s.seq)) {
        return Err(overlap_error(later, earlier, false));
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
            "interfaces" => c.interfaces = parse_interface_list(val, &p, key, parse_interface)?,
            "re-detect" => c.re_detect = walk::boolean(val, &p, key)?,
            _ => ctx.take_other(k, val, path, Scope::Interfaces)?,
        }
    }
    Ok(())
}

fn parse_interface(s: &str) -> Result<InterfaceSpec6, String> {
    let (name, address) = split_interface(s, |a| {
        let addr = walk::parse_ipv6(a)
            .ok_or_else(|| format!("'{s}': '{a}' is not a valid IPv6 address"))?;
        if addr.is_multicast() || addr.is_unspecified() {
            return Err(format!("'{s}': {addr} is not a unicast address"));
        }
        Ok(addr)
    })?;
    Ok(InterfaceSpec6 { name, address })
}

/// `server-id/type`.
const DUID_TYPES: Choices<DuidType> = Choices::new(
    "invalid server DUID type",
    &[
        ("LLT", DuidType::Llt),
        ("EN", DuidType::En),
        ("LL", DuidType::Ll),
    ],
);

fn parse_server_id(v: &Spanned<Value>, path: &str) -> Res<ServerIdConfig> {
    let entries = walk::map(v, path, "server-id")?;
    let mut s = ServerIdConfig::default();
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "type" => s.kind = DUID_TYPES.read(val, &p, key)?,
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
