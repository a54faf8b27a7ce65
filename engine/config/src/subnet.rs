//! `subnet4[]` entries with their pools, and the reservation mode.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;
use std::net::Ipv4Addr;

use crate::compat::{self, Scope};
use crate::error::ConfigError;
use crate::json::{Pos, Spanned, Value};
use crate::option_data::{self, OptionData};
use crate::reservation::{self, HostIdentifier, Reservation4};
use crate::walk::{self, Res, child, err, index};

#[derive(Debug, Clone, PartialEq)]
pub struct Subnet4 {
    /// Auto-assigned like Kea when 0/absent: highest id so far + 1.
    pub id: u32,
    /// Network address (host bits cleared).
    pub prefix: Ipv4Addr,
    pub prefix_len: u8,
    pub pools: Vec<Pool4>,
    pub option_data: Vec<OptionData>,
    /// Resolved with global inheritance.
    pub valid_lifetime: u32,
    pub renew_timer: Option<u32>,
    pub rebind_timer: Option<u32>,
    pub interface: Option<String>,
    pub relay_addresses: Vec<Ipv4Addr>,
    pub match_client_id: bool,
    pub next_server: Ipv4Addr,
    pub server_hostname: String,
    pub boot_file_name: String,
    pub reservation_mode: ReservationMode,
    pub reservations: Vec<Reservation4>,
    pub user_context: Option<Value>,
    /// Newest dialect: `authoritative` may be set per subnet (inherited from global).
    pub authoritative: bool,
}

impl Subnet4 {
    /// Whether `a` lies inside this subnet's prefix.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        in_prefix(self.prefix, self.prefix_len, a)
    }

    /// The subnet mask.
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(mask(self.prefix_len))
    }
}

/// An address pool: inclusive range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool4 {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
    pub option_data: Vec<OptionData>,
}

impl Pool4 {
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        self.start <= a && a <= self.end
    }

    /// Number of addresses in the pool.
    pub fn size(&self) -> u64 {
        u64::from(u32::from(self.end)) - u64::from(u32::from(self.start)) + 1
    }
}

/// Which reservations the server looks up (Kea's `reservation-mode` or the
/// newest `reservations-global` / `-in-subnet` / `-out-of-pool` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReservationMode {
    pub global: bool,
    pub in_subnet: bool,
    /// Reserved addresses are all outside the pools (server may skip checks).
    pub out_of_pool: bool,
}

impl Default for ReservationMode {
    /// Kea's default: `"all"`.
    fn default() -> Self {
        ReservationMode {
            global: false,
            in_subnet: true,
            out_of_pool: false,
        }
    }
}

impl ReservationMode {
    /// From the 1.4 `reservation-mode` value.
    pub fn from_kea_mode(s: &str) -> Option<ReservationMode> {
        let (global, in_subnet, out_of_pool) = match s {
            "all" => (false, true, false),
            "out-of-pool" => (false, true, true),
            "disabled" => (false, false, false),
            "global" => (true, false, false),
            _ => return None,
        };
        Some(ReservationMode {
            global,
            in_subnet,
            out_of_pool,
        })
    }
}

pub(crate) fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

pub(crate) fn in_prefix(prefix: Ipv4Addr, len: u8, a: Ipv4Addr) -> bool {
    u32::from(a) & mask(len) == u32::from(prefix) & mask(len)
}

/// Parses `a.b.c.d/len`.
pub(crate) fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (a, l) = s.trim().split_once('/')?;
    let addr = walk::parse_ipv4(a)?;
    let l = l.trim();
    if l.is_empty() || l.len() > 2 || !l.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let len: u8 = l.parse().ok()?;
    (len <= 32).then_some((addr, len))
}

/// Parses a pool string: `a - b` (blanks optional) or `prefix/len`.
pub(crate) fn parse_pool_range(s: &str) -> Result<(Ipv4Addr, Ipv4Addr), String> {
    if let Some((a, b)) = s.split_once('-') {
        let start = walk::parse_ipv4(a)
            .ok_or_else(|| format!("'{}' is not a valid IPv4 address", a.trim()))?;
        let end = walk::parse_ipv4(b)
            .ok_or_else(|| format!("'{}' is not a valid IPv4 address", b.trim()))?;
        if start > end {
            return Err(format!("pool start {start} is greater than pool end {end}"));
        }
        Ok((start, end))
    } else if s.contains('/') {
        let (addr, len) = parse_cidr(s).ok_or_else(|| {
            format!("'{s}' is not a valid prefix (expected 'a.b.c.d/len' with len 0..32)")
        })?;
        let m = mask(len);
        let first = u32::from(addr) & m;
        Ok((Ipv4Addr::from(first), Ipv4Addr::from(first | !m)))
    } else {
        Err(format!(
            "'{s}' is not a valid pool (expected 'first - last' or 'prefix/len')"
        ))
    }
}

/// Values inherited from the global scope.
#[derive(Debug, Clone)]
pub(crate) struct Inherited {
    pub valid_lifetime: u32,
    pub renew_timer: Option<u32>,
    pub rebind_timer: Option<u32>,
    pub match_client_id: bool,
    pub next_server: Ipv4Addr,
    pub server_hostname: String,
    pub boot_file_name: String,
    pub reservation_mode: ReservationMode,
    pub authoritative: bool,
}

/// A pool with the information needed for cross-subnet overlap checks.
pub(crate) struct PoolSite {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
    pub pos: Pos,
    pub path: String,
    pub seq: usize,
}

/// Result of parsing one subnet (id still to be assigned).
pub(crate) struct ParsedSubnet {
    pub subnet: Subnet4,
    /// Explicit id (None when absent or 0) and the position of its value.
    pub explicit_id: Option<(u32, Pos)>,
    pub pools: Vec<PoolSite>,
    pub subnet_pos: Pos,
}

/// Gives the subnets of one `subnet4` / `subnet6` list their ids the way Kea
/// does (absent or 0: highest id so far + 1) and refuses repeated ids and
/// repeated prefixes.
pub(crate) struct SubnetRegistry<A> {
    ids: HashMap<u32, String>,
    prefixes: HashMap<(A, u8), String>,
    max_id: u32,
}

impl<A: Copy + Eq + Hash + Display> SubnetRegistry<A> {
    pub(crate) fn new() -> Self {
        SubnetRegistry {
            ids: HashMap::new(),
            prefixes: HashMap::new(),
            max_id: 0,
        }
    }

    /// Registers the subnet at `path` (its map at `pos`, its `subnet` value at
    /// `subnet_pos`) and returns its id.
    pub(crate) fn register(
        &mut self,
        path: &str,
        pos: &Pos,
        explicit_id: &Option<(u32, Pos)>,
        prefix: (A, u8),
        subnet_pos: &Pos,
    ) -> Res<u32> {
        let id = match explicit_id {
            Some((id, id_pos)) => {
                if let Some(first) = self.ids.get(id) {
                    return Err(err(
                        id_pos,
                        &child(path, "id"),
                        "id",
                        format!("'id': duplicate subnet id {id} (already used by {first})"),
                    ));
                }
                *id
            }
            None => {
                if self.max_id >= u32::MAX - 1 {
                    return Err(err(
                        pos,
                        &child(path, "id"),
                        "id",
                        "cannot assign a subnet id automatically: ids exhausted",
                    ));
                }
                let id = self.max_id + 1;
                if let Some(first) = self.ids.get(&id) {
                    return Err(err(
                        pos,
                        &child(path, "id"),
                        "id",
                        format!(
                            "automatically assigned subnet id {id} is already used by {first}; give this subnet an explicit 'id'"
                        ),
                    ));
                }
                id
            }
        };
        self.max_id = self.max_id.max(id);
        self.ids.insert(id, path.to_string());
        if let Some(first) = self.prefixes.get(&prefix) {
            return Err(err(
                subnet_pos,
                &child(path, "subnet"),
                "subnet",
                format!(
                    "'subnet': a subnet with the prefix {}/{} already exists ({first})",
                    prefix.0, prefix.1
                ),
            ));
        }
        self.prefixes.insert(prefix, path.to_string());
        Ok(id)
    }
}

/// The first overlap among ranges from several subnets, as `(later, earlier)`
/// in configuration order. `bounds` gives an item's inclusive range and its
/// sequence number; `items` ends up sorted by range start.
pub(crate) fn first_overlap<T, P: Ord + Copy>(
    items: &mut [T],
    bounds: impl Fn(&T) -> (P, P, usize),
) -> Option<(&T, &T)> {
    items.sort_by_key(|t| {
        let (start, _, seq) = bounds(t);
        (start, seq)
    });
    let mut widest: Option<usize> = None;
    for n in 0..items.len() {
        if let Some(w) = widest {
            let ((_, a_end, a_seq), (b_start, _, b_seq)) = (bounds(&items[w]), bounds(&items[n]));
            if b_start <= a_end {
                let (a, b) = (&items[w], &items[n]);
                return Some(if a_seq > b_seq { (a, b) } else { (b, a) });
            }
        }
        if widest.is_none_or(|w| bounds(&items[n]).1 > bounds(&items[w]).1) {
            widest = Some(n);
        }
    }
    None
}

/// The keys every network scope (`Dhcp4`, `Dhcp6`, `subnet4[i]`,
/// `subnet6[i]`) takes besides its own: `user-context` / `comment`, the
/// reservation mode keys and the Kea keys of `scope` xdhcp tolerates.
pub(crate) struct NetworkKeys {
    ctx: walk::Context,
    modes: ModeKeys,
    scope: Scope,
}

impl NetworkKeys {
    pub(crate) fn new(scope: Scope) -> Self {
        NetworkKeys {
            ctx: walk::Context::default(),
            modes: ModeKeys::default(),
            scope,
        }
    }

    /// Handles a key the scope's own keys did not; refuses an unknown one.
    pub(crate) fn take(&mut self, k: &Spanned<String>, v: &Spanned<Value>, path: &str) -> Res<()> {
        if self.ctx.take(k, v, path)?
            || self.modes.take(k, v, path)?
            || compat::check(self.scope, k, v, path)?
        {
            return Ok(());
        }
        Err(walk::unexpected(k, path))
    }

    /// The scope's user context and its reservation mode resolved against
    /// the `inherited` one.
    pub(crate) fn finish(
        self,
        inherited: ReservationMode,
        path: &str,
    ) -> Res<(Option<Value>, ReservationMode)> {
        let mode = self.modes.resolve(inherited, path)?;
        Ok((self.ctx.finish(), mode))
    }
}

/// The error for renew-timer `t1` greater than rebind-timer `t2` in the scope
/// at `path`: blamed on the scope's `renew-timer` value (at `renew`), else on
/// its `rebind-timer` value, else on the scope itself (`scope_pos`).
pub(crate) fn timer_order_error(
    path: &str,
    renew: Option<&Pos>,
    rebind: Option<&Pos>,
    scope_pos: &Pos,
    t1: u32,
    t2: u32,
) -> ConfigError {
    let (key, pos) = match (renew, rebind) {
        (Some(p), _) => ("renew-timer", p),
        (None, Some(p)) => ("rebind-timer", p),
        (None, None) => ("renew-timer", scope_pos),
    };
    err(
        pos,
        &child(path, key),
        key,
        format!("the value of renew-timer ({t1}) is greater than the value of rebind-timer ({t2})"),
    )
}

/// Reads `reservation-mode` and the `reservations-*` flags of one scope.
#[derive(Default)]
pub(crate) struct ModeKeys {
    mode: Option<(ReservationMode, Pos)>,
    global: Option<(bool, Pos)>,
    in_subnet: Option<(bool, Pos)>,
    out_of_pool: Option<(bool, Pos)>,
}

impl ModeKeys {
    /// Handles the key if it is one of these; returns false otherwise.
    pub(crate) fn take(
        &mut self,
        k: &Spanned<String>,
        v: &Spanned<Value>,
        path: &str,
    ) -> Res<bool> {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "reservation-mode" => {
                let s = walk::string(v, &p, key)?;
                let m = ReservationMode::from_kea_mode(s).ok_or_else(|| {
                    err(
                        &v.pos,
                        &p,
                        key,
                        format!(
                            "'reservation-mode': invalid value '{s}' (expected all, out-of-pool, disabled or global)"
                        ),
                    )
                })?;
                self.mode = Some((m, k.pos.clone()));
            }
            "reservations-global" => {
                self.global = Some((walk::boolean(v, &p, key)?, k.pos.clone()))
            }
            "reservations-in-subnet" => {
                self.in_subnet = Some((walk::boolean(v, &p, key)?, k.pos.clone()))
            }
            "reservations-out-of-pool" => {
                self.out_of_pool = Some((walk::boolean(v, &p, key)?, k.pos.clone()))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Resolves against the inherited mode.
    pub(crate) fn resolve(self, inherited: ReservationMode, path: &str) -> Res<ReservationMode> {
        if let Some((_, mpos)) = &self.mode {
            let flag = [
                ("reservations-global", &self.global),
                ("reservations-in-subnet", &self.in_subnet),
                ("reservations-out-of-pool", &self.out_of_pool),
            ]
            .into_iter()
            .find_map(|(n, f)| f.as_ref().map(|_| n));
            if let Some(n) = flag {
                return Err(err(
                    mpos,
                    &child(path, "reservation-mode"),
                    "reservation-mode",
                    format!("invalid use of both 'reservation-mode' and '{n}' in the same scope"),
                ));
            }
        }
        if let Some((m, _)) = self.mode {
            return Ok(m);
        }
        Ok(ReservationMode {
            global: self.global.map_or(inherited.global, |f| f.0),
            in_subnet: self.in_subnet.map_or(inherited.in_subnet, |f| f.0),
            out_of_pool: self.out_of_pool.map_or(inherited.out_of_pool, |f| f.0),
        })
    }
}

/// Parses one `subnet4[i]` at `path`.
pub(crate) fn parse(
    v: &Spanned<Value>,
    path: &str,
    inh: &Inherited,
    pool_seq: &mut usize,
    warnings: &mut Vec<String>,
) -> Res<ParsedSubnet> {
    let entries = walk::map(v, path, "subnet4")?;
    let mut cidr: Option<(Ipv4Addr, u8, Pos)> = None;
    let mut explicit_id = None;
    let mut pools_v = None;
    let mut res_v = None;
    let mut option_data = Vec::new();
    let mut valid = None;
    let mut renew: Option<(u32, Pos)> = None;
    let mut rebind: Option<(u32, Pos)> = None;
    let mut interface = None;
    let mut relay = Vec::new();
    let mut match_client_id = inh.match_client_id;
    let mut next_server = inh.next_server;
    let mut server_hostname = inh.server_hostname.clone();
    let mut boot_file_name = inh.boot_file_name.clone();
    let mut authoritative = inh.authoritative;
    let mut keys = NetworkKeys::new(Scope::Subnet);

    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "subnet" => {
                let s = walk::string(val, &p, key)?;
                let (a, l) = parse_cidr(s).ok_or_else(|| {
                    err(
                        &val.pos,
                        &p,
                        key,
                        format!("'subnet': '{s}' is not a valid IPv4 prefix (expected 'a.b.c.d/len' with len 0..32)"),
                    )
                })?;
                let net = Ipv4Addr::from(u32::from(a) & mask(l));
                if net != a {
                    warnings.push(format!(
                        "{}: {p}: '{s}' has host bits set; using {net}/{l}",
                        val.pos
                    ));
                }
                cidr = Some((net, l, val.pos.clone()));
            }
            "id" => {
                let id = walk::int_range(val, &p, key, 0, i64::from(u32::MAX - 1))? as u32;
                if id != 0 {
                    explicit_id = Some((id, val.pos.clone()));
                }
            }
            "pools" => {
                walk::list(val, &p, key)?;
                pools_v = Some(val);
            }
            "reservations" => {
                walk::list(val, &p, key)?;
                res_v = Some(val);
            }
            "option-data" => option_data = option_data::parse_list(val, &p)?,
            "valid-lifetime" => valid = Some(walk::u32_(val, &p, key)?),
            "renew-timer" => renew = Some((walk::u32_(val, &p, key)?, val.pos.clone())),
            "rebind-timer" => rebind = Some((walk::u32_(val, &p, key)?, val.pos.clone())),
            "interface" => {
                let s = walk::string(val, &p, key)?;
                if !s.is_empty() {
                    interface = Some(s.to_string());
                }
            }
            "relay" => relay = walk::relay_addresses(val, &p, walk::ipv4)?,
            "match-client-id" => match_client_id = walk::boolean(val, &p, key)?,
            "authoritative" => authoritative = walk::boolean(val, &p, key)?,
            "next-server" => next_server = walk::ipv4(val, &p, key)?,
            "server-hostname" => server_hostname = reservation::check_sname(val, &p, key)?,
            "boot-file-name" => boot_file_name = reservation::check_file(val, &p, key)?,
            _ => keys.take(k, val, path)?,
        }
    }

    let Some((prefix, prefix_len, subnet_pos)) = cidr else {
        return Err(err(
            &v.pos,
            &child(path, "subnet"),
            "subnet",
            "missing mandatory 'subnet' (e.g. \"subnet\": \"192.0.2.0/24\")",
        ));
    };
    let (user_context, reservation_mode) = keys.finish(inh.reservation_mode, path)?;

    // Timers with inheritance and consistency checks (Kea rejects renew > rebind).
    let valid_lifetime = valid.unwrap_or(inh.valid_lifetime);
    let renew_timer = renew.as_ref().map(|r| r.0).or(inh.renew_timer);
    let rebind_timer = rebind.as_ref().map(|r| r.0).or(inh.rebind_timer);
    if let (Some(t1), Some(t2)) = (renew_timer, rebind_timer)
        && t1 > t2
        && (renew.is_some() || rebind.is_some())
    {
        let (renew_pos, rebind_pos) = (renew.as_ref().map(|r| &r.1), rebind.as_ref().map(|r| &r.1));
        return Err(timer_order_error(
            path, renew_pos, rebind_pos, &v.pos, t1, t2,
        ));
    }
    for (name, t) in [("renew-timer", renew_timer), ("rebind-timer", rebind_timer)] {
        if let Some(t) = t
            && t >= valid_lifetime
        {
            warnings.push(format!(
                "{}: {path}: {name} ({t}) is not less than valid-lifetime ({valid_lifetime}); \
                 clients will not renew/rebind in time",
                v.pos
            ));
        }
    }

    // Pools.
    let mut pools = Vec::new();
    let mut sites: Vec<PoolSite> = Vec::new();
    if let Some(pv) = pools_v {
        let ppath = child(path, "pools");
        for (i, item) in walk::list(pv, &ppath, "pools")?.iter().enumerate() {
            let ip = index(&ppath, i);
            let (pool, site) = parse_pool(item, &ip, prefix, prefix_len)?;
            if let Some(other) = sites
                .iter()
                .find(|s| s.start <= pool.end && pool.start <= s.end)
            {
                return Err(err(
                    &site.pos,
                    &site.path,
                    "pool",
                    format!(
                        "pool {} - {} overlaps with pool {} - {} ({}) in the same subnet",
                        pool.start, pool.end, other.start, other.end, other.path
                    ),
                ));
            }
            *pool_seq += 1;
            sites.push(PoolSite {
                seq: *pool_seq,
                ..site
            });
            pools.push(pool);
        }
    }

    // Reservations.
    let mut reservations = Vec::new();
    if let Some(rv) = res_v {
        let rpath = child(path, "reservations");
        let mut by_addr: HashMap<Ipv4Addr, String> = HashMap::new();
        let mut by_id: HashMap<HostIdentifier, String> = HashMap::new();
        for (i, item) in walk::list(rv, &rpath, "reservations")?.iter().enumerate() {
            let ip = index(&rpath, i);
            let parsed = reservation::parse(item, &ip)?;
            if let (Some(a), Some(apos)) = (parsed.r.ip_address, &parsed.ip_pos) {
                if !in_prefix(prefix, prefix_len, a) {
                    return Err(err(
                        apos,
                        &child(&ip, "ip-address"),
                        "ip-address",
                        format!(
                            "'ip-address': reserved address {a} is not inside the subnet {prefix}/{prefix_len}"
                        ),
                    ));
                }
                if let Some(first) = by_addr.get(&a) {
                    return Err(err(
                        apos,
                        &child(&ip, "ip-address"),
                        "ip-address",
                        format!(
                            "'ip-address': there is already a reservation for {a} in this subnet ({first})"
                        ),
                    ));
                }
                by_addr.insert(a, ip.clone());
            }
            if let Some(first) = by_id.get(&parsed.r.identifier) {
                return Err(err(
                    &parsed.id_pos,
                    &child(&ip, &parsed.id_key),
                    &parsed.id_key,
                    format!(
                        "'{}': there is already a reservation for this identifier in this subnet ({first})",
                        parsed.id_key
                    ),
                ));
            }
            by_id.insert(parsed.r.identifier.clone(), ip.clone());
            reservations.push(parsed.r);
        }
    }

    Ok(ParsedSubnet {
        subnet: Subnet4 {
            id: explicit_id.as_ref().map_or(0, |e| e.0),
            prefix,
            prefix_len,
            pools,
            option_data,
            valid_lifetime,
            renew_timer,
            rebind_timer,
            interface,
            relay_addresses: relay,
            match_client_id,
            next_server,
            server_hostname,
            boot_file_name,
            reservation_mode,
            reservations,
            user_context,
            authoritative,
        },
        explicit_id,
        pools: sites,
        subnet_pos,
    })
}

/// The largest pool xdhcp takes (a /8): each pool keeps a bitmap of its addresses.
pub const MAX_POOL_SIZE: u64 = 1 << 24;

fn parse_pool(
    v: &Spanned<Value>,
    path: &str,
    prefix: Ipv4Addr,
    prefix_len: u8,
) -> Res<(Pool4, PoolSite)> {
    let entries = walk::map(v, path, "pools")?;
    let mut range = None;
    let mut option_data = Vec::new();
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "pool" => {
                let s = walk::string(val, &p, key)?;
                let (start, end) = parse_pool_range(s)
                    .map_err(|m| err(&val.pos, &p, key, format!("'pool': {m}")))?;
                if !in_prefix(prefix, prefix_len, start) || !in_prefix(prefix, prefix_len, end) {
                    return Err(err(
                        &val.pos,
                        &p,
                        key,
                        format!(
                            "'pool': pool {start} - {end} is not inside the subnet {prefix}/{prefix_len}"
                        ),
                    ));
                }
                let size = u64::from(u32::from(end)) - u64::from(u32::from(start)) + 1;
                if size > MAX_POOL_SIZE {
                    return Err(err(
                        &val.pos,
                        &p,
                        key,
                        format!(
                            "'pool': pool {start} - {end} holds {size} addresses; xdhcp supports \
                             at most {MAX_POOL_SIZE} per pool (split it into several pools)"
                        ),
                    ));
                }
                range = Some((start, end, val.pos.clone()));
            }
            "option-data" => option_data = option_data::parse_list(val, &p)?,
            _ => ctx.take_other(k, val, path, Scope::Pool)?,
        }
    }
    let _ = ctx.finish();
    let Some((start, end, pos)) = range else {
        return Err(err(
            &v.pos,
            &child(path, "pool"),
            "pool",
            "missing mandatory 'pool' (e.g. \"pool\": \"192.0.2.10 - 192.0.2.100\")",
        ));
    };
    Ok((
        Pool4 {
            start,
            end,
            option_data,
        },
        PoolSite {
            start,
            end,
            pos,
            path: child(path, "pool"),
            seq: 0,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let a = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(
            parse_pool_range("192.0.2.1-192.0.2.9").unwrap(),
            (a("192.0.2.1"), a("192.0.2.9"))
        );
        assert_eq!(
            parse_pool_range("192.0.2.64/26").unwrap(),
            (a("192.0.2.64"), a("192.0.2.127"))
        );
        assert!(parse_pool_range("192.0.2.9 - 192.0.2.1").is_err());
        assert!(parse_pool_range("192.0.2.1").is_err());
        assert!(parse_pool_range("192.0.2.0/33").is_err());
        assert_eq!(parse_cidr("10.0.0.0/8"), Some((a("10.0.0.0"), 8)));
        assert_eq!(parse_cidr("10.0.0.0"), None);
        assert!(in_prefix(a("10.0.0.0"), 0, a("1.2.3.4")));
    }
}
