//! `subnet6[]` entries with their address pools, prefix delegation pools and
//! reservations.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use crate::compat::Scope;
use crate::json::{Pos, Spanned, Value};
use crate::option_data6::{self, OptionData6};
use crate::reservation::HostIdentifier;
use crate::reservation6::{self, Reservation6};
use crate::subnet::{NetworkKeys, ReservationMode, timer_order_error};
use crate::walk::{self, Res, child, err, index};

#[derive(Debug, Clone, PartialEq)]
pub struct Subnet6 {
    /// Auto-assigned like Kea when 0/absent: highest id so far + 1.
    pub id: u32,
    /// Network address (bits beyond `prefix_len` cleared).
    pub prefix: Ipv6Addr,
    pub prefix_len: u8,
    pub pools: Vec<Pool6>,
    pub pd_pools: Vec<PdPool>,
    /// Lifetimes and timers, resolved with global inheritance.
    pub preferred_lifetime: u32,
    pub valid_lifetime: u32,
    pub renew_timer: u32,
    pub rebind_timer: u32,
    pub rapid_commit: bool,
    /// Directly attached interface (`interface`).
    pub interface: Option<String>,
    /// Relayed traffic: the relay's interface-id option value (`interface-id`).
    pub interface_id: Option<Vec<u8>>,
    /// `relay` `ip-address` / `ip-addresses`.
    pub relay_addresses: Vec<Ipv6Addr>,
    pub option_data: Vec<OptionData6>,
    pub reservation_mode: ReservationMode,
    pub reservations: Vec<Reservation6>,
    pub user_context: Option<Value>,
}

impl Subnet6 {
    /// Whether `a` lies inside this subnet's prefix.
    pub fn contains(&self, a: Ipv6Addr) -> bool {
        in_prefix6(self.prefix, self.prefix_len, a)
    }
}

/// An address pool (IA_NA): inclusive range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool6 {
    pub start: Ipv6Addr,
    pub end: Ipv6Addr,
    pub option_data: Vec<OptionData6>,
}

impl Pool6 {
    pub fn contains(&self, a: Ipv6Addr) -> bool {
        self.start <= a && a <= self.end
    }

    /// Number of addresses in the pool (saturating at `u128::MAX` for `::/0`).
    pub fn size(&self) -> u128 {
        (u128::from(self.end) - u128::from(self.start)).saturating_add(1)
    }
}

/// A prefix delegation pool (IA_PD): delegates `/delegated_len` prefixes
/// carved out of `prefix/prefix_len`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdPool {
    pub prefix: Ipv6Addr,
    pub prefix_len: u8,
    pub delegated_len: u8,
    /// RFC 6603 excluded prefix (sent in the pd-exclude option), inside a
    /// delegated prefix and longer than `delegated_len`.
    pub excluded_prefix: Option<(Ipv6Addr, u8)>,
    pub option_data: Vec<OptionData6>,
}

impl PdPool {
    /// Number of prefixes the pool can delegate (saturating).
    pub fn capacity(&self) -> u128 {
        let bits = u32::from(self.delegated_len - self.prefix_len);
        1u128.checked_shl(bits).unwrap_or(u128::MAX)
    }

    /// Whether the delegated prefix `p/len` comes from this pool.
    pub fn contains(&self, p: Ipv6Addr, len: u8) -> bool {
        len == self.delegated_len && in_prefix6(self.prefix, self.prefix_len, p)
    }
}

/// The netmask of a `/len` IPv6 prefix as an integer.
pub(crate) fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    }
}

pub(crate) fn in_prefix6(prefix: Ipv6Addr, len: u8, a: Ipv6Addr) -> bool {
    u128::from(a) & mask6(len) == u128::from(prefix) & mask6(len)
}

/// Parses `address/len` (len 0..128), keeping any bits beyond `len`.
pub(crate) fn parse_prefix6(s: &str) -> Option<(Ipv6Addr, u8)> {
    let (a, l) = s.trim().split_once('/')?;
    let addr = walk::parse_ipv6(a)?;
    let l = l.trim();
    if l.is_empty() || l.len() > 3 || !l.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let len: u8 = l.parse().ok()?;
    (len <= 128).then_some((addr, len))
}

/// Parses a pool string: `a - b` (blanks optional) or `prefix/len`.
pub(crate) fn parse_pool6_range(s: &str) -> Result<(Ipv6Addr, Ipv6Addr), String> {
    if let Some((a, b)) = s.split_once('-') {
        let start = walk::parse_ipv6(a)
            .ok_or_else(|| format!("'{}' is not a valid IPv6 address", a.trim()))?;
        let end = walk::parse_ipv6(b)
            .ok_or_else(|| format!("'{}' is not a valid IPv6 address", b.trim()))?;
        if start > end {
            return Err(format!("pool start {start} is greater than pool end {end}"));
        }
        Ok((start, end))
    } else if s.contains('/') {
        let (addr, len) = parse_prefix6(s).ok_or_else(|| {
            format!("'{s}' is not a valid prefix (expected 'address/len' with len 0..128)")
        })?;
        let m = mask6(len);
        let first = u128::from(addr) & m;
        Ok((Ipv6Addr::from(first), Ipv6Addr::from(first | !m)))
    } else {
        Err(format!(
            "'{s}' is not a valid pool (expected 'first - last' or 'prefix/len')"
        ))
    }
}

/// Values inherited from the `Dhcp6` global scope.
#[derive(Debug, Clone)]
pub(crate) struct Inherited6 {
    pub preferred_lifetime: u32,
    pub valid_lifetime: u32,
    pub renew_timer: u32,
    pub rebind_timer: u32,
    pub rapid_commit: bool,
    pub reservation_mode: ReservationMode,
}

/// What a [`Site6`] is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SiteKind {
    Pool,
    PdPool,
}

/// A pool or pd-pool as an inclusive integer range, for overlap checks
/// within and across subnets.
#[derive(Debug, Clone)]
pub(crate) struct Site6 {
    pub start: u128,
    pub end: u128,
    pub kind: SiteKind,
    /// `a - b` or `prefix/len (delegated /n)`.
    pub label: String,
    pub pos: Pos,
    /// JSON path of the element to blame (`.../pool` or `.../prefix`).
    pub path: String,
    pub key: &'static str,
    pub seq: usize,
}

impl Site6 {
    fn describe(&self) -> String {
        match self.kind {
            SiteKind::Pool => format!("pool {}", self.label),
            SiteKind::PdPool => format!("pd-pool {}", self.label),
        }
    }
}

/// Error for `later` overlapping `earlier`.
pub(crate) fn overlap_error(
    later: &Site6,
    earlier: &Site6,
    same_subnet: bool,
) -> crate::ConfigError {
    err(
        &later.pos,
        &later.path,
        later.key,
        format!(
            "'{}': {} overlaps with {} ({}){}",
            later.key,
            later.describe(),
            earlier.describe(),
            earlier.path,
            if same_subnet {
                " in the same subnet"
            } else {
                ""
            }
        ),
    )
}

/// Result of parsing one subnet (id still to be assigned).
pub(crate) struct ParsedSubnet6 {
    pub subnet: Subnet6,
    pub explicit_id: Option<(u32, Pos)>,
    pub sites: Vec<Site6>,
    pub subnet_pos: Pos,
}

/// Parses one `subnet6[i]` at `path`.
pub(crate) fn parse(
    v: &Spanned<Value>,
    path: &str,
    inh: &Inherited6,
    seq: &mut usize,
    warnings: &mut Vec<String>,
) -> Res<ParsedSubnet6> {
    let entries = walk::map(v, path, "subnet6")?;
    let mut cidr: Option<(Ipv6Addr, u8, Pos)> = None;
    let mut explicit_id = None;
    let mut pools_v = None;
    let mut pd_pools_v = None;
    let mut res_v = None;
    let mut option_data = Vec::new();
    let mut preferred = None;
    let mut valid = None;
    let mut renew: Option<(u32, Pos)> = None;
    let mut rebind: Option<(u32, Pos)> = None;
    let mut rapid_commit = inh.rapid_commit;
    let mut interface: Option<(String, Pos)> = None;
    let mut interface_id: Option<(Vec<u8>, Pos)> = None;
    let mut relay = Vec::new();
    let mut keys = NetworkKeys::new(Scope::Subnet6);

    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "subnet" => {
                let s = walk::string(val, &p, key)?;
                let (a, l) = parse_prefix6(s).ok_or_else(|| {
                    err(
                        &val.pos,
                        &p,
                        key,
                        format!(
                            "'subnet': '{s}' is not a valid IPv6 prefix (expected 'address/len' with len 0..128)"
                        ),
                    )
                })?;
                let net = Ipv6Addr::from(u128::from(a) & mask6(l));
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
            "pd-pools" => {
                walk::list(val, &p, key)?;
                pd_pools_v = Some(val);
            }
            "reservations" => {
                walk::list(val, &p, key)?;
                res_v = Some(val);
            }
            "option-data" => option_data = option_data6::parse_list(val, &p)?,
            "preferred-lifetime" => preferred = Some(walk::u32_(val, &p, key)?),
            "valid-lifetime" => valid = Some(walk::u32_(val, &p, key)?),
            "renew-timer" => renew = Some((walk::u32_(val, &p, key)?, val.pos.clone())),
            "rebind-timer" => rebind = Some((walk::u32_(val, &p, key)?, val.pos.clone())),
            "rapid-commit" => rapid_commit = walk::boolean(val, &p, key)?,
            "interface" => {
                let s = walk::string(val, &p, key)?;
                interface = (!s.is_empty()).then(|| (s.to_string(), k.pos.clone()));
            }
            "interface-id" => {
                let s = walk::string(val, &p, key)?;
                interface_id = (!s.is_empty()).then(|| (s.as_bytes().to_vec(), k.pos.clone()));
            }
            "relay" => relay = walk::relay_addresses(val, &p, walk::ipv6)?,
            _ => keys.take(k, val, path)?,
        }
    }

    let Some((prefix, prefix_len, subnet_pos)) = cidr else {
        return Err(err(
            &v.pos,
            &child(path, "subnet"),
            "subnet",
            "missing mandatory 'subnet' (e.g. \"subnet\": \"2001:db8:1::/64\")",
        ));
    };
    if let (Some((ifname, _)), Some((_, idpos))) = (&interface, &interface_id) {
        return Err(err(
            idpos,
            &child(path, "interface-id"),
            "interface-id",
            format!(
                "'interface-id': 'interface' ({ifname}) and 'interface-id' are mutually exclusive in a subnet"
            ),
        ));
    }
    let (user_context, reservation_mode) = keys.finish(inh.reservation_mode, path)?;

    // Lifetimes and timers with inheritance and consistency checks.
    let preferred_lifetime = preferred.unwrap_or(inh.preferred_lifetime);
    let valid_lifetime = valid.unwrap_or(inh.valid_lifetime);
    let renew_timer = renew.as_ref().map_or(inh.renew_timer, |r| r.0);
    let rebind_timer = rebind.as_ref().map_or(inh.rebind_timer, |r| r.0);
    if renew_timer > rebind_timer && (renew.is_some() || rebind.is_some()) {
        let (renew_pos, rebind_pos) = (renew.as_ref().map(|r| &r.1), rebind.as_ref().map(|r| &r.1));
        return Err(timer_order_error(
            path,
            renew_pos,
            rebind_pos,
            &v.pos,
            renew_timer,
            rebind_timer,
        ));
    }
    lifetime_warnings(
        &v.pos,
        path,
        preferred_lifetime,
        valid_lifetime,
        renew_timer,
        rebind_timer,
        warnings,
    );

    let mut sites: Vec<Site6> = Vec::new();

    // Address pools.
    let mut pools = Vec::new();
    if let Some(pv) = pools_v {
        let ppath = child(path, "pools");
        for (i, item) in walk::list(pv, &ppath, "pools")?.iter().enumerate() {
            let ip = index(&ppath, i);
            let (pool, mut site) = parse_pool(item, &ip, prefix, prefix_len)?;
            if let Some(other) = sites
                .iter()
                .find(|s| s.start <= site.end && site.start <= s.end)
            {
                return Err(overlap_error(&site, other, true));
            }
            *seq += 1;
            site.seq = *seq;
            sites.push(site);
            pools.push(pool);
        }
    }

    // Prefix delegation pools.
    let mut pd_pools = Vec::new();
    if let Some(pv) = pd_pools_v {
        let ppath = child(path, "pd-pools");
        for (i, item) in walk::list(pv, &ppath, "pd-pools")?.iter().enumerate() {
            let ip = index(&ppath, i);
            let (pool, mut site) = parse_pd_pool(item, &ip, warnings)?;
            if let Some(other) = sites
                .iter()
                .find(|s| s.start <= site.end && site.start <= s.end)
            {
                return Err(overlap_error(&site, other, true));
            }
            *seq += 1;
            site.seq = *seq;
            sites.push(site);
            pd_pools.push(pool);
        }
    }

    // Reservations.
    let mut reservations = Vec::new();
    if let Some(rv) = res_v {
        let rpath = child(path, "reservations");
        let mut by_addr: HashMap<Ipv6Addr, String> = HashMap::new();
        let mut by_prefix: HashMap<(Ipv6Addr, u8), String> = HashMap::new();
        let mut by_id: HashMap<HostIdentifier, String> = HashMap::new();
        for (i, item) in walk::list(rv, &rpath, "reservations")?.iter().enumerate() {
            let ip = index(&rpath, i);
            let parsed = reservation6::parse(item, &ip, warnings)?;
            for (a, (apos, apath)) in parsed.r.ip_addresses.iter().zip(&parsed.ip_sites) {
                if !in_prefix6(prefix, prefix_len, *a) {
                    return Err(err(
                        apos,
                        apath,
                        "ip-addresses",
                        format!(
                            "'ip-addresses': reserved address {a} is not inside the subnet {prefix}/{prefix_len}"
                        ),
                    ));
                }
                if let Some(first) = by_addr.get(a) {
                    return Err(err(
                        apos,
                        apath,
                        "ip-addresses",
                        format!(
                            "'ip-addresses': there is already a reservation for {a} in this subnet ({first})"
                        ),
                    ));
                }
                by_addr.insert(*a, ip.clone());
            }
            for (pf, (ppos, ppath)) in parsed.r.prefixes.iter().zip(&parsed.prefix_sites) {
                if let Some(first) = by_prefix.get(pf) {
                    return Err(err(
                        ppos,
                        ppath,
                        "prefixes",
                        format!(
                            "'prefixes': there is already a reservation for {}/{} in this subnet ({first})",
                            pf.0, pf.1
                        ),
                    ));
                }
                by_prefix.insert(*pf, ip.clone());
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

    Ok(ParsedSubnet6 {
        subnet: Subnet6 {
            id: explicit_id.as_ref().map_or(0, |e| e.0),
            prefix,
            prefix_len,
            pools,
            pd_pools,
            preferred_lifetime,
            valid_lifetime,
            renew_timer,
            rebind_timer,
            rapid_commit,
            interface: interface.map(|i| i.0),
            interface_id: interface_id.map(|i| i.0),
            relay_addresses: relay,
            option_data,
            reservation_mode,
            reservations,
            user_context,
        },
        explicit_id,
        sites,
        subnet_pos,
    })
}

/// Warnings (not errors, as Kea accepts these) about lifetimes that make
/// clients misbehave.
pub(crate) fn lifetime_warnings(
    pos: &Pos,
    path: &str,
    preferred: u32,
    valid: u32,
    renew: u32,
    rebind: u32,
    warnings: &mut Vec<String>,
) {
    if preferred > valid {
        warnings.push(format!(
            "{pos}: {path}: preferred-lifetime ({preferred}) is greater than valid-lifetime \
             ({valid}); clients discard such addresses (RFC 8415 section 21.6)"
        ));
    }
    for (name, t) in [("renew-timer", renew), ("rebind-timer", rebind)] {
        if t != 0 && t >= valid {
            warnings.push(format!(
                "{pos}: {path}: {name} ({t}) is not less than valid-lifetime ({valid}); \
                 clients will not renew/rebind in time"
            ));
        }
    }
}

fn parse_pool(
    v: &Spanned<Value>,
    path: &str,
    prefix: Ipv6Addr,
    prefix_len: u8,
) -> Res<(Pool6, Site6)> {
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
                let (start, end) = parse_pool6_range(s)
                    .map_err(|m| err(&val.pos, &p, key, format!("'pool': {m}")))?;
                if !in_prefix6(prefix, prefix_len, start) || !in_prefix6(prefix, prefix_len, end) {
                    return Err(err(
                        &val.pos,
                        &p,
                        key,
                        format!(
                            "'pool': pool {start} - {end} is not inside the subnet {prefix}/{prefix_len}"
                        ),
                    ));
                }
                range = Some((start, end, val.pos.clone()));
            }
            "option-data" => option_data = option_data6::parse_list(val, &p)?,
            _ => ctx.take_other(k, val, path, Scope::Pool)?,
        }
    }
    let _ = ctx.finish();
    let Some((start, end, pos)) = range else {
        return Err(err(
            &v.pos,
            &child(path, "pool"),
            "pool",
            "missing mandatory 'pool' (e.g. \"pool\": \"2001:db8:1::100 - 2001:db8:1::1ff\")",
        ));
    };
    Ok((
        Pool6 {
            start,
            end,
            option_data,
        },
        Site6 {
            start: u128::from(start),
            end: u128::from(end),
            kind: SiteKind::Pool,
            label: format!("{start} - {end}"),
            pos,
            path: child(path, "pool"),
            key: "pool",
            seq: 0,
        },
    ))
}

fn parse_pd_pool(
    v: &Spanned<Value>,
    path: &str,
    warnings: &mut Vec<String>,
) -> Res<(PdPool, Site6)> {
    let entries = walk::map(v, path, "pd-pools")?;
    let mut prefix: Option<(Ipv6Addr, &Spanned<Value>)> = None;
    let mut prefix_len: Option<(u8, &Spanned<Value>)> = None;
    let mut delegated_len: Option<(u8, &Spanned<Value>)> = None;
    let mut excluded: Option<(Ipv6Addr, &Spanned<Value>)> = None;
    let mut excluded_len: Option<(u8, &Spanned<Value>)> = None;
    let mut option_data = Vec::new();
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "prefix" => prefix = Some((walk::ipv6(val, &p, key)?, val)),
            "prefix-len" => prefix_len = Some((walk::int_range(val, &p, key, 1, 128)? as u8, val)),
            "delegated-len" => {
                delegated_len = Some((walk::int_range(val, &p, key, 1, 128)? as u8, val))
            }
            "excluded-prefix" => excluded = Some((walk::ipv6(val, &p, key)?, val)),
            "excluded-prefix-len" => {
                excluded_len = Some((walk::int_range(val, &p, key, 0, 128)? as u8, val))
            }
            "option-data" => option_data = option_data6::parse_list(val, &p)?,
            _ => ctx.take_other(k, val, path, Scope::Pool)?,
        }
    }
    let _ = ctx.finish();
    let missing = |key: &str, example: &str| {
        err(
            &v.pos,
            &child(path, key),
            key,
            format!("missing mandatory '{key}' in a pd-pool (e.g. \"{key}\": {example})"),
        )
    };
    let (addr, pval) = prefix.ok_or_else(|| missing("prefix", "\"2001:db8:8000::\""))?;
    let (plen, _) = prefix_len.ok_or_else(|| missing("prefix-len", "48"))?;
    let (dlen, dval) = delegated_len.ok_or_else(|| missing("delegated-len", "64"))?;
    let ppath = child(path, "prefix");
    let net = Ipv6Addr::from(u128::from(addr) & mask6(plen));
    if net != addr {
        warnings.push(format!(
            "{}: {ppath}: '{addr}' has bits set beyond prefix-len {plen}; using {net}/{plen}",
            pval.pos
        ));
    }
    if dlen < plen {
        return Err(err(
            &dval.pos,
            &child(path, "delegated-len"),
            "delegated-len",
            format!(
                "'delegated-len': delegated length {dlen} must be greater than or equal to prefix-len {plen}"
            ),
        ));
    }

    // RFC 6603 excluded prefix: "::" with length 0 (Kea's default) means none.
    let excluded_prefix = match (excluded, excluded_len) {
        (None, None) => None,
        (Some((a, _)), None) if a.is_unspecified() => None,
        (None, Some((0, _))) => None,
        (Some((a, _)), Some((0, _))) if a.is_unspecified() => None,
        (Some((_, ev)), None) => {
            return Err(err(
                &ev.pos,
                &child(path, "excluded-prefix"),
                "excluded-prefix",
                "'excluded-prefix': requires 'excluded-prefix-len'",
            ));
        }
        (None, Some((_, lv))) => {
            return Err(err(
                &lv.pos,
                &child(path, "excluded-prefix-len"),
                "excluded-prefix-len",
                "'excluded-prefix-len': requires 'excluded-prefix'",
            ));
        }
        (Some((ea, ev)), Some((elen, lv))) => {
            if elen <= dlen {
                return Err(err(
                    &lv.pos,
                    &child(path, "excluded-prefix-len"),
                    "excluded-prefix-len",
                    format!(
                        "'excluded-prefix-len': excluded prefix length {elen} must be greater than delegated-len {dlen} (RFC 6603)"
                    ),
                ));
            }
            let epath = child(path, "excluded-prefix");
            if u128::from(ea) & !mask6(elen) != 0 {
                return Err(err(
                    &ev.pos,
                    &epath,
                    "excluded-prefix",
                    format!(
                        "'excluded-prefix': {ea} has bits set beyond excluded-prefix-len {elen}"
                    ),
                ));
            }
            if !in_prefix6(net, plen, ea) {
                return Err(err(
                    &ev.pos,
                    &epath,
                    "excluded-prefix",
                    format!(
                        "'excluded-prefix': {ea}/{elen} is not inside a delegated prefix of {net}/{plen} (RFC 6603)"
                    ),
                ));
            }
            Some((ea, elen))
        }
    };

    let start = u128::from(net);
    let end = start | !mask6(plen);
    Ok((
        PdPool {
            prefix: net,
            prefix_len: plen,
            delegated_len: dlen,
            excluded_prefix,
            option_data,
        },
        Site6 {
            start,
            end,
            kind: SiteKind::PdPool,
            label: format!("{net}/{plen} (delegated /{dlen})"),
            pos: pval.pos.clone(),
            path: ppath,
            key: "prefix",
            seq: 0,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse_pool6_range("2001:db8::1-2001:db8::9").unwrap(),
            (a("2001:db8::1"), a("2001:db8::9"))
        );
        assert_eq!(
            parse_pool6_range(" 2001:db8:1::/80 ").unwrap(),
            (a("2001:db8:1::"), a("2001:db8:1::ffff:ffff:ffff"))
        );
        assert_eq!(
            parse_pool6_range("::/0").unwrap(),
            (a("::"), Ipv6Addr::from(u128::MAX))
        );
        assert!(parse_pool6_range("2001:db8::9 - 2001:db8::1").is_err());
        assert!(parse_pool6_range("2001:db8::1").is_err());
        assert!(parse_pool6_range("2001:db8::/129").is_err());
        assert!(parse_pool6_range("192.0.2.1 - 192.0.2.9").is_err());
        assert_eq!(parse_prefix6("2001:db8::/32"), Some((a("2001:db8::"), 32)));
        assert_eq!(parse_prefix6("2001:db8::"), None);
        assert_eq!(parse_prefix6("2001:db8::/0128"), None);
        assert!(in_prefix6(a("::"), 0, a("2001:db8::1")));
        assert!(in_prefix6(a("2001:db8::"), 128, a("2001:db8::")));
        assert!(!in_prefix6(a("2001:db8::"), 128, a("2001:db8::1")));
        assert_eq!(mask6(64), 0xffff_ffff_ffff_ffff_0000_0000_0000_0000);
    }

    #[test]
    fn pd_capacity() {
        let p = PdPool {
            prefix: a("2001:db8::"),
            prefix_len: 48,
            delegated_len: 64,
            excluded_prefix: None,
            option_data: vec![],
        };
        assert_eq!(p.capacity(), 65536);
        assert!(p.contains(a("2001:db8:0:ff::"), 64));
        assert!(!p.contains(a("2001:db8:0:ff::"), 56));
        let all = PdPool {
            prefix_len: 0,
            delegated_len: 128,
            ..p
        };
        assert_eq!(all.capacity(), u128::MAX);
    }
}
