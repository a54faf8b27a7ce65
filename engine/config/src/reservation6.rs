//! DHCPv6 host reservations (`subnet6[]/reservations[]`).

use std::net::Ipv6Addr;

use crate::compat::Scope;
use crate::json::{Pos, Spanned, Value};
use crate::option_data6::{self, OptionData6};
use crate::reservation::{self, HostIdentifier, IdentifierSlot, IdentifierType, take_identifier};
use crate::subnet6::{mask6, parse_prefix6};
use crate::walk::{self, Res, child, err, index};

/// A static DHCPv6 host reservation inside a subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation6 {
    /// `Duid`, `HwAddress` or `FlexId` (the latter is stored but never
    /// matches: xdhcp has no flex_id hook).
    pub identifier: HostIdentifier,
    /// Reserved addresses (IA_NA).
    pub ip_addresses: Vec<Ipv6Addr>,
    /// Reserved prefixes (IA_PD), network address and length.
    pub prefixes: Vec<(Ipv6Addr, u8)>,
    pub hostname: Option<String>,
    pub option_data: Vec<OptionData6>,
    pub client_classes: Vec<String>,
}

/// The identifier types a DHCPv6 reservation may use.
pub(crate) const V6_IDENTIFIERS: [IdentifierType; 3] = [
    IdentifierType::HwAddress,
    IdentifierType::Duid,
    IdentifierType::FlexId,
];

/// A parsed reservation with the positions needed for cross-checks.
pub(crate) struct Parsed6 {
    pub r: Reservation6,
    /// Position and JSON path of each of `r.ip_addresses`.
    pub ip_sites: Vec<(Pos, String)>,
    /// Position and JSON path of each of `r.prefixes`.
    pub prefix_sites: Vec<(Pos, String)>,
    pub id_pos: Pos,
    pub id_key: String,
}

/// Parses one reservation at `path` (`.../reservations[i]`).
pub(crate) fn parse(v: &Spanned<Value>, path: &str, warnings: &mut Vec<String>) -> Res<Parsed6> {
    let entries = walk::map(v, path, "reservations")?;
    let mut identifier: IdentifierSlot = None;
    let mut r = Reservation6 {
        identifier: HostIdentifier::Duid(Vec::new()),
        ip_addresses: Vec::new(),
        prefixes: Vec::new(),
        hostname: None,
        option_data: Vec::new(),
        client_classes: Vec::new(),
    };
    let mut ip_sites: Vec<(Pos, String)> = Vec::new();
    let mut prefix_sites: Vec<(Pos, String)> = Vec::new();
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        if let Some(kind) = IdentifierType::from_kea_name(key) {
            if !V6_IDENTIFIERS.contains(&kind) {
                return Err(err(
                    &k.pos,
                    &p,
                    key,
                    format!(
                        "'{key}' is a DHCPv4 identifier; a DHCPv6 reservation takes 'duid', 'hw-address' or 'flex-id'"
                    ),
                ));
            }
            take_identifier(kind, k, val, path, &mut identifier)?;
            continue;
        }
        match key {
            "ip-addresses" => {
                for (i, item) in walk::list(val, &p, key)?.iter().enumerate() {
                    let ip = index(&p, i);
                    let a = walk::ipv6(item, &ip, key)?;
                    if a.is_multicast() || a.is_unspecified() {
                        return Err(err(
                            &item.pos,
                            &ip,
                            key,
                            format!("'{key}': {a} cannot be reserved (multicast or unspecified)"),
                        ));
                    }
                    if let Some(n) = r.ip_addresses.iter().position(|x| *x == a) {
                        return Err(err(
                            &item.pos,
                            &ip,
                            key,
                            format!("'{key}': {a} is listed twice ({})", ip_sites[n].1),
                        ));
                    }
                    r.ip_addresses.push(a);
                    ip_sites.push((item.pos.clone(), ip));
                }
            }
            "prefixes" => {
                for (i, item) in walk::list(val, &p, key)?.iter().enumerate() {
                    let ip = index(&p, i);
                    let s = walk::string(item, &ip, key)?;
                    let (a, len) = parse_prefix6(s).filter(|(_, l)| *l > 0).ok_or_else(|| {
                        err(
                            &item.pos,
                            &ip,
                            key,
                            format!(
                                "'{key}': '{s}' is not a valid IPv6 prefix (expected 'address/len' with len 1..128)"
                            ),
                        )
                    })?;
                    let net = Ipv6Addr::from(u128::from(a) & mask6(len));
                    if net != a {
                        warnings.push(format!(
                            "{}: {ip}: '{s}' has bits set beyond the prefix length; using {net}/{len}",
                            item.pos
                        ));
                    }
                    if let Some(n) = r.prefixes.iter().position(|x| *x == (net, len)) {
                        return Err(err(
                            &item.pos,
                            &ip,
                            key,
                            format!(
                                "'{key}': {net}/{len} is listed twice ({})",
                                prefix_sites[n].1
                            ),
                        ));
                    }
                    r.prefixes.push((net, len));
                    prefix_sites.push((item.pos.clone(), ip));
                }
            }
            "hostname" => {
                if let Some(h) = reservation::hostname(val, &p, key)? {
                    r.hostname = Some(h);
                }
            }
            "option-data" => r.option_data = option_data6::parse_list(val, &p)?,
            "client-classes" => r
                .client_classes
                .extend(reservation::client_classes(val, &p, key)?),
            _ => ctx.take_other(k, val, path, Scope::Reservation6)?,
        }
    }
    let _ = ctx.finish();
    match identifier {
        Some((id, k)) => {
            r.identifier = id;
            Ok(Parsed6 {
                r,
                ip_sites,
                prefix_sites,
                id_pos: k.pos.clone(),
                id_key: k.value.clone(),
            })
        }
        None => Err(err(
            &v.pos,
            path,
            "",
            "a DHCPv6 reservation needs one identifier: 'duid', 'hw-address' or 'flex-id'",
        )),
    }
}
