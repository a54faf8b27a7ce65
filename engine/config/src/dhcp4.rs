//! The `Dhcp4` object: global parameters and the subnet list.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::compat::{self, Scope};
use crate::json::{Pos, Spanned, Value};
use crate::logging::{self, Logger};
use crate::option_data::{self, OptionData};
use crate::reservation::{self, DEFAULT_IDENTIFIER_TYPES, IdentifierType};
use crate::subnet::{
    self, Inherited, NetworkKeys, ReservationMode, Subnet4, SubnetRegistry, first_overlap,
    timer_order_error,
};
use crate::walk::{self, Choices, Res, child, err, index};

#[derive(Debug, Clone, PartialEq)]
pub struct Dhcp4Config {
    pub interfaces: Vec<InterfaceSpec>,
    pub socket_type: SocketType,
    pub lease_database: LeaseDatabase,
    pub valid_lifetime: u32,
    pub renew_timer: Option<u32>,
    pub rebind_timer: Option<u32>,
    pub decline_probation_period: u32,
    pub match_client_id: bool,
    pub echo_client_id: bool,
    pub authoritative: bool,
    pub next_server: Ipv4Addr,
    pub server_hostname: String,
    pub boot_file_name: String,
    pub option_data: Vec<OptionData>,
    pub expired_leases_processing: ExpiredLeasesProcessing,
    pub host_reservation_identifiers: Vec<IdentifierType>,
    pub subnets: Vec<Subnet4>,
    pub user_context: Option<Value>,
    /// `interfaces-config/outbound-interface`.
    pub outbound_interface: OutboundInterface,
    /// `interfaces-config/re-detect` (default true).
    pub re_detect: bool,
    /// Global reservation mode (already applied to every subnet).
    pub reservation_mode: ReservationMode,
}

impl Default for Dhcp4Config {
    /// Kea 1.4 defaults, no interfaces and no subnets.
    fn default() -> Self {
        Dhcp4Config {
            interfaces: Vec::new(),
            socket_type: SocketType::Raw,
            lease_database: LeaseDatabase::default(),
            valid_lifetime: 7200,
            renew_timer: None,
            rebind_timer: None,
            decline_probation_period: 86400,
            match_client_id: true,
            echo_client_id: true,
            authoritative: false,
            next_server: Ipv4Addr::UNSPECIFIED,
            server_hostname: String::new(),
            boot_file_name: String::new(),
            option_data: Vec::new(),
            expired_leases_processing: ExpiredLeasesProcessing::default(),
            host_reservation_identifiers: DEFAULT_IDENTIFIER_TYPES.to_vec(),
            subnets: Vec::new(),
            user_context: None,
            outbound_interface: OutboundInterface::SameAsInbound,
            re_detect: true,
            reservation_mode: ReservationMode::default(),
        }
    }
}

impl Dhcp4Config {
    pub fn subnet_by_id(&self, id: u32) -> Option<&Subnet4> {
        self.subnets.iter().find(|s| s.id == id)
    }
}

/// One entry of `interfaces-config/interfaces`: `"eth0"`, `"eth0/192.0.2.1"` or `"*"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InterfaceSpec {
    /// Interface name; `"*"` means all interfaces.
    pub name: String,
    pub address: Option<Ipv4Addr>,
}

impl InterfaceSpec {
    pub fn is_wildcard(&self) -> bool {
        self.name == "*"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SocketType {
    #[default]
    Raw,
    Udp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutboundInterface {
    #[default]
    SameAsInbound,
    UseRouting,
}

/// Memfile lease database (the only type xdhcp supports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseDatabase {
    pub persist: bool,
    /// Lease file; `None` = Kea's default location.
    pub name: Option<PathBuf>,
    /// Seconds between lease file cleanups (0 = never).
    pub lfc_interval: u32,
}

impl Default for LeaseDatabase {
    fn default() -> Self {
        LeaseDatabase {
            persist: true,
            name: None,
            lfc_interval: 3600,
        }
    }
}

/// `expired-leases-processing` (times in seconds except `max_reclaim_time`, in ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpiredLeasesProcessing {
    pub reclaim_timer_wait_time: u32,
    pub flush_reclaimed_timer_wait_time: u32,
    pub hold_reclaimed_time: u32,
    pub max_reclaim_leases: u32,
    pub max_reclaim_time: u32,
    pub unwarned_reclaim_cycles: u32,
}

impl Default for ExpiredLeasesProcessing {
    fn default() -> Self {
        ExpiredLeasesProcessing {
            reclaim_timer_wait_time: 10,
            flush_reclaimed_timer_wait_time: 25,
            hold_reclaimed_time: 3600,
            max_reclaim_leases: 100,
            max_reclaim_time: 250,
            unwarned_reclaim_cycles: 5,
        }
    }
}

/// Loggers given inside `Dhcp4` (newest dialect) with the position of the key.
pub(crate) type InnerLoggers = Option<(Vec<Logger>, Pos)>;

/// Parses the `Dhcp4` map. Returns the config and the loggers given inside it.
pub(crate) fn parse(
    v: &Spanned<Value>,
    warnings: &mut Vec<String>,
) -> Res<(Dhcp4Config, InnerLoggers)> {
    let path = "Dhcp4";
    let entries = walk::map(v, "Dhcp4", "Dhcp4")?;
    let mut c = Dhcp4Config::default();
    let mut subnets_v: Option<&Spanned<Value>> = None;
    let mut loggers = None;
    let mut renew_pos = None;
    let mut keys = NetworkKeys::new(Scope::Global);

    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "valid-lifetime" => c.valid_lifetime = walk::u32_(val, &p, key)?,
            "renew-timer" => {
                c.renew_timer = Some(walk::u32_(val, &p, key)?);
                renew_pos = Some(val.pos.clone());
            }
            "rebind-timer" => c.rebind_timer = Some(walk::u32_(val, &p, key)?),
            "decline-probation-period" => c.decline_probation_period = walk::u32_(val, &p, key)?,
            "match-client-id" => c.match_client_id = walk::boolean(val, &p, key)?,
            "echo-client-id" => c.echo_client_id = walk::boolean(val, &p, key)?,
            "authoritative" => c.authoritative = walk::boolean(val, &p, key)?,
            "next-server" => c.next_server = walk::ipv4(val, &p, key)?,
            "server-hostname" => c.server_hostname = reservation::check_sname(val, &p, key)?,
            "boot-file-name" => c.boot_file_name = reservation::check_file(val, &p, key)?,
            "option-data" => c.option_data = option_data::parse_list(val, &p)?,
            "interfaces-config" => parse_interfaces(val, &p, &mut c)?,
            "lease-database" => c.lease_database = parse_lease_db(val, &p)?,
            "expired-leases-processing" => {
                c.expired_leases_processing = parse_expired(val, &p)?;
            }
            "host-reservation-identifiers" => {
                c.host_reservation_identifiers = parse_identifier_types(
                    val,
                    &p,
                    &V4_IDENTIFIERS,
                    "host reservation identifier",
                )?;
            }
            "subnet4" => {
                walk::list(val, &p, key)?;
                subnets_v = Some(val);
            }
            "loggers" => loggers = Some((logging::parse_loggers(val, &p)?, k.pos.clone())),
            _ => keys.take(k, val, path)?,
        }
    }
    (c.user_context, c.reservation_mode) = keys.finish(ReservationMode::default(), path)?;

    if let (Some(t1), Some(t2)) = (c.renew_timer, c.rebind_timer)
        && t1 > t2
    {
        return Err(timer_order_error(
            path,
            renew_pos.as_ref(),
            None,
            &v.pos,
            t1,
            t2,
        ));
    }

    if let Some(sv) = subnets_v {
        c.subnets = parse_subnets(sv, &c, warnings)?;
    }
    Ok((c, loggers))
}

fn parse_subnets(
    v: &Spanned<Value>,
    c: &Dhcp4Config,
    warnings: &mut Vec<String>,
) -> Res<Vec<Subnet4>> {
    let path = "Dhcp4/subnet4";
    let inh = Inherited {
        valid_lifetime: c.valid_lifetime,
        renew_timer: c.renew_timer,
        rebind_timer: c.rebind_timer,
        match_client_id: c.match_client_id,
        next_server: c.next_server,
        server_hostname: c.server_hostname.clone(),
        boot_file_name: c.boot_file_name.clone(),
        reservation_mode: c.reservation_mode,
        authoritative: c.authoritative,
    };
    let mut out: Vec<Subnet4> = Vec::new();
    let mut registry = SubnetRegistry::new();
    let mut all_pools = Vec::new();
    let mut pool_seq = 0usize;
    for (i, item) in walk::list(v, path, "subnet4")?.iter().enumerate() {
        let sp = index(path, i);
        let mut ps = subnet::parse(item, &sp, &inh, &mut pool_seq, warnings)?;
        ps.subnet.id = registry.register(
            &sp,
            &item.pos,
            &ps.explicit_id,
            (ps.subnet.prefix, ps.subnet.prefix_len),
            &ps.subnet_pos,
        )?;
        all_pools.append(&mut ps.pools);
        out.push(ps.subnet);
    }

    // Pools must not overlap across subnets either.
    if let Some((later, earlier)) = first_overlap(&mut all_pools, |p| (p.start, p.end, p.seq)) {
        return Err(err(
            &later.pos,
            &later.path,
            "pool",
            format!(
                "'pool': pool {} - {} overlaps with pool {} - {} ({})",
                later.start, later.end, earlier.start, earlier.end, earlier.path
            ),
        ));
    }
    Ok(out)
}

/// `interfaces-config/dhcp-socket-type`.
const SOCKET_TYPES: Choices<SocketType> = Choices::new(
    "invalid value",
    &[("raw", SocketType::Raw), ("udp", SocketType::Udp)],
);

/// `interfaces-config/outbound-interface`.
const OUTBOUND_INTERFACES: Choices<OutboundInterface> = Choices::new(
    "invalid value",
    &[
        ("same-as-inbound", OutboundInterface::SameAsInbound),
        ("use-routing", OutboundInterface::UseRouting),
    ],
);

fn parse_interfaces(v: &Spanned<Value>, path: &str, c: &mut Dhcp4Config) -> Res<()> {
    let entries = walk::map(v, path, "interfaces-config")?;
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "interfaces" => c.interfaces = parse_interface_list(val, &p, key, parse_interface)?,
            "dhcp-socket-type" => c.socket_type = SOCKET_TYPES.read(val, &p, key)?,
            "outbound-interface" => {
                c.outbound_interface = OUTBOUND_INTERFACES.read(val, &p, key)?
            }
            "re-detect" => c.re_detect = walk::boolean(val, &p, key)?,
            _ => ctx.take_other(k, val, path, Scope::Interfaces)?,
        }
    }
    Ok(())
}

/// Reads an `interfaces` list, each entry read by `parse`; repeats are dropped.
pub(crate) fn parse_interface_list<S: PartialEq>(
    v: &Spanned<Value>,
    path: &str,
    key: &str,
    parse: fn(&str) -> Result<S, String>,
) -> Res<Vec<S>> {
    let mut out = Vec::new();
    for (i, item) in walk::list(v, path, key)?.iter().enumerate() {
        let ip = index(path, i);
        let s = walk::string(item, &ip, key)?;
        let spec = parse(s).map_err(|m| err(&item.pos, &ip, key, format!("'interfaces': {m}")))?;
        if !out.contains(&spec) {
            out.push(spec);
        }
    }
    Ok(out)
}

/// Splits an `interfaces` entry `name` or `name/address`, reading the address
/// with `address`; refuses an empty name and `*` with an address.
pub(crate) fn split_interface<A>(
    s: &str,
    address: impl Fn(&str) -> Result<A, String>,
) -> Result<(String, Option<A>), String> {
    let (name, addr) = match s.split_once('/') {
        Some((n, a)) => (n.trim(), Some(address(a)?)),
        None => (s.trim(), None),
    };
    if name.is_empty() {
        return Err(format!("'{s}': empty interface name"));
    }
    if name == "*" && addr.is_some() {
        return Err(format!("'{s}': '*' cannot have an address"));
    }
    Ok((name.to_string(), addr))
}

fn parse_interface(s: &str) -> Result<InterfaceSpec, String> {
    let (name, address) = split_interface(s, |a| {
        walk::parse_ipv4(a).ok_or_else(|| format!("'{s}': '{a}' is not a valid IPv4 address"))
    })?;
    Ok(InterfaceSpec { name, address })
}

pub(crate) fn parse_lease_db(v: &Spanned<Value>, path: &str) -> Res<LeaseDatabase> {
    let entries = walk::map(v, path, "lease-database")?;
    let mut db = LeaseDatabase::default();
    let mut ty = None;
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "type" => {
                let s = walk::string(val, &p, key)?;
                match s {
                    "memfile" => {}
                    "mysql" | "postgresql" | "cql" => {
                        return Err(err(
                            &val.pos,
                            &p,
                            key,
                            format!(
                                "'type': lease database type '{s}' is not supported yet by xdhcp (use memfile)"
                            ),
                        ));
                    }
                    _ => {
                        return Err(err(
                            &val.pos,
                            &p,
                            key,
                            format!("'type': unknown lease database type '{s}' (expected memfile)"),
                        ));
                    }
                }
                ty = Some(());
            }
            "persist" => db.persist = walk::boolean(val, &p, key)?,
            "name" => {
                let s = walk::string(val, &p, key)?;
                db.name = (!s.is_empty()).then(|| PathBuf::from(s));
            }
            "lfc-interval" => db.lfc_interval = walk::u32_(val, &p, key)?,
            _ => {
                if compat::check(Scope::LeaseDatabase, k, val, path)? {
                    continue;
                }
                return Err(walk::unexpected(k, path));
            }
        }
    }
    if ty.is_none() {
        return Err(err(
            &v.pos,
            &child(path, "type"),
            "type",
            "database access parameters must include 'type' (e.g. \"type\": \"memfile\")",
        ));
    }
    Ok(db)
}

pub(crate) fn parse_expired(v: &Spanned<Value>, path: &str) -> Res<ExpiredLeasesProcessing> {
    let entries = walk::map(v, path, "expired-leases-processing")?;
    let mut e = ExpiredLeasesProcessing::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        let slot = match key {
            "reclaim-timer-wait-time" => &mut e.reclaim_timer_wait_time,
            "flush-reclaimed-timer-wait-time" => &mut e.flush_reclaimed_timer_wait_time,
            "hold-reclaimed-time" => &mut e.hold_reclaimed_time,
            "max-reclaim-leases" => &mut e.max_reclaim_leases,
            "max-reclaim-time" => &mut e.max_reclaim_time,
            "unwarned-reclaim-cycles" => &mut e.unwarned_reclaim_cycles,
            _ => return Err(walk::unexpected(k, path)),
        };
        *slot = walk::u32_(val, &p, key)?;
    }
    Ok(e)
}

/// Every identifier type a DHCPv4 reservation may use.
const V4_IDENTIFIERS: [IdentifierType; 5] = [
    IdentifierType::HwAddress,
    IdentifierType::Duid,
    IdentifierType::CircuitId,
    IdentifierType::ClientId,
    IdentifierType::FlexId,
];

/// Reads `host-reservation-identifiers`: names of the `accepted` types
/// (`what` names them in the error for another), each at most once.
pub(crate) fn parse_identifier_types(
    v: &Spanned<Value>,
    path: &str,
    accepted: &[IdentifierType],
    what: &str,
) -> Res<Vec<IdentifierType>> {
    let key = "host-reservation-identifiers";
    let mut out = Vec::new();
    for (i, item) in walk::list(v, path, key)?.iter().enumerate() {
        let ip = index(path, i);
        let s = walk::string(item, &ip, key)?;
        let t = IdentifierType::from_kea_name(s)
            .filter(|t| accepted.contains(t))
            .ok_or_else(|| {
                let expected = walk::one_of(accepted.iter().map(|t| t.kea_name()));
                err(
                    &item.pos,
                    &ip,
                    key,
                    format!("'{key}': invalid {what} '{s}' (expected {expected})"),
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
