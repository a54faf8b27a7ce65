//! Which Kea keys xdhcp refuses as "not supported yet", and which of them are
//! nevertheless accepted when their value is exactly equivalent to Kea's
//! default or to the feature being disabled.

use crate::json::{Spanned, Value};
use crate::walk::{is_empty_list, map_all};

/// Scopes with their own sets of Kea keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Global,
    Subnet,
    Pool,
    OptionData,
    Interfaces,
    LeaseDatabase,
    Logger,
    /// The `Dhcp6` map.
    Global6,
    /// `subnet6[]` entries.
    Subnet6,
    /// `subnet6[]/reservations[]` entries.
    Reservation6,
}

/// Keys valid on both the global and the subnet level (newest dialect) that
/// xdhcp does not implement, in `Dhcp4` and in `Dhcp6` alike.
const NETWORK_UNSUPPORTED: &[&str] = &[
    "min-valid-lifetime",
    "max-valid-lifetime",
    "calculate-tee-times",
    "t1-percent",
    "t2-percent",
    "cache-threshold",
    "cache-max-age",
    "hostname-char-set",
    "hostname-char-replacement",
    "store-extended-info",
    "allocator",
    "adaptive-lease-time-threshold",
    "client-class",
    "client-classes",
    "require-client-classes",
    "evaluate-additional-classes",
];

/// [`NETWORK_UNSUPPORTED`] keys only DHCPv4 has.
const NETWORK4_ONLY_UNSUPPORTED: &[&str] = &["offer-lifetime"];

/// [`NETWORK_UNSUPPORTED`] keys only DHCPv6 has.
const NETWORK6_ONLY_UNSUPPORTED: &[&str] = &[
    "min-preferred-lifetime",
    "max-preferred-lifetime",
    "pd-allocator",
];

/// Global keys xdhcp does not implement, in `Dhcp4` and in `Dhcp6` alike.
const GLOBAL_UNSUPPORTED: &[&str] = &[
    "shared-networks",
    "hooks-libraries",
    "option-def",
    "hosts-database",
    "hosts-databases",
    "dhcp-ddns",
    "control-socket",
    "control-sockets",
    "dhcp4o6-port",
    "multi-threading",
    "dhcp-queue-control",
    "sanity-checks",
    "reservations",
    "config-control",
    "server-tag",
    "statistic-default-sample-count",
    "statistic-default-sample-age",
    "early-global-reservations-lookup",
    "ip-reservations-unique",
    "reservations-lookup-first",
    "compatibility",
    "parked-packet-limit",
];

/// [`GLOBAL_UNSUPPORTED`] keys only `Dhcp4` has.
const GLOBAL4_ONLY_UNSUPPORTED: &[&str] = &["stash-agent-options"];

/// [`GLOBAL_UNSUPPORTED`] keys only `Dhcp6` has.
const GLOBAL6_ONLY_UNSUPPORTED: &[&str] = &[
    "mac-sources",
    "relay-supplied-options",
    "allow-address-registration",
];

const SUBNET_UNSUPPORTED: &[&str] = &[
    "4o6-interface",
    "4o6-interface-id",
    "4o6-subnet",
    "interface-id",
    "rapid-commit",
];

const POOL_UNSUPPORTED: &[&str] = &[
    "client-class",
    "client-classes",
    "require-client-classes",
    "evaluate-additional-classes",
    "pool-id",
];

const OPTION_UNSUPPORTED: &[&str] = &["never-send", "client-classes"];

const INTERFACES_UNSUPPORTED: &[&str] = &[
    "service-sockets-require-all",
    "service-sockets-max-retries",
    "service-sockets-retry-wait-time",
];

const LEASE_DB_UNSUPPORTED: &[&str] = &[
    "max-row-errors",
    "host",
    "port",
    "user",
    "password",
    "connect-timeout",
    "read-timeout",
    "write-timeout",
    "tcp-user-timeout",
    "readonly",
    "contact-points",
    "keyspace",
    "max-reconnect-tries",
    "reconnect-wait-time",
    "on-fail",
    "retry-on-startup",
    "request-timeout",
    "tcp-keepalive",
    "tcp-nodelay",
    "consistency",
    "serial-consistency",
    "trust-anchor",
    "cert-file",
    "key-file",
    "cipher-list",
];

const LOGGER_UNSUPPORTED: &[&str] = &["pattern"];

const RESERVATION6_UNSUPPORTED: &[&str] = &["excluded-prefixes"];

/// Is `key` a Kea key of `scope` that xdhcp does not implement yet?
pub(crate) fn is_unsupported(scope: Scope, key: &str) -> bool {
    let ddns = key.starts_with("ddns-");
    let network4 =
        || NETWORK_UNSUPPORTED.contains(&key) || NETWORK4_ONLY_UNSUPPORTED.contains(&key);
    let network6 =
        || NETWORK_UNSUPPORTED.contains(&key) || NETWORK6_ONLY_UNSUPPORTED.contains(&key);
    match scope {
        Scope::Global => {
            ddns || GLOBAL_UNSUPPORTED.contains(&key)
                || GLOBAL4_ONLY_UNSUPPORTED.contains(&key)
                || network4()
        }
        Scope::Subnet => ddns || SUBNET_UNSUPPORTED.contains(&key) || network4(),
        Scope::Pool => ddns || POOL_UNSUPPORTED.contains(&key),
        Scope::OptionData => OPTION_UNSUPPORTED.contains(&key),
        Scope::Interfaces => INTERFACES_UNSUPPORTED.contains(&key),
        Scope::LeaseDatabase => LEASE_DB_UNSUPPORTED.contains(&key),
        Scope::Logger => LOGGER_UNSUPPORTED.contains(&key),
        Scope::Global6 => {
            ddns || GLOBAL_UNSUPPORTED.contains(&key)
                || GLOBAL6_ONLY_UNSUPPORTED.contains(&key)
                || network6()
        }
        Scope::Subnet6 => ddns || network6(),
        Scope::Reservation6 => RESERVATION6_UNSUPPORTED.contains(&key),
    }
}

/// Is this (unsupported) key's value exactly equivalent to the feature being
/// absent, so that it can be accepted silently?
pub(crate) fn is_tolerated(key: &str, v: &Spanned<Value>) -> bool {
    let val = &v.value;
    match key {
        "hooks-libraries"
        | "client-classes"
        | "shared-networks"
        | "option-def"
        | "reservations"
        | "hosts-databases"
        | "control-sockets"
        | "require-client-classes"
        | "evaluate-additional-classes"
        | "excluded-prefixes" => is_empty_list(v),
        // Kea's default list (option 65) or none: xdhcp copies no relay option.
        "relay-supplied-options" => match val {
            Value::Array(a) => a
                .iter()
                .all(|x| matches!(&x.value, Value::String(s) if s.trim() == "65")),
            _ => false,
        },
        "mac-sources" => match val {
            Value::Array(a) => {
                a.len() == 1 && matches!(&a[0].value, Value::String(s) if s == "any")
            }
            _ => false,
        },
        "pd-allocator" => matches!(val, Value::String(s) if s == "iterative"),
        "allow-address-registration" => matches!(val, Value::Bool(false)),
        "multi-threading" => {
            matches!(
                val.get("enable-multi-threading").map(|x| &x.value),
                Some(Value::Bool(false))
            ) && map_all(v, |k, x| match k {
                "enable-multi-threading" => true,
                "thread-pool-size" | "packet-queue-size" => matches!(x, Value::Int(i) if *i >= 0),
                _ => false,
            })
        }
        "dhcp-queue-control" => {
            matches!(
                val.get("enable-queue").map(|x| &x.value),
                Some(Value::Bool(false))
            ) && map_all(v, |k, x| match k {
                "enable-queue" => true,
                "queue-type" => matches!(x, Value::String(_)),
                "capacity" => matches!(x, Value::Int(i) if *i >= 0),
                _ => false,
            })
        }
        "dhcp-ddns" => {
            // Disabled DDNS (the default): other parameters are then unused.
            matches!(val, Value::Map(_))
                && matches!(
                    val.get("enable-updates").map(|x| &x.value),
                    None | Some(Value::Bool(false))
                )
        }
        "ddns-send-updates" => matches!(val, Value::Bool(false)),
        "calculate-tee-times"
        | "store-extended-info"
        | "early-global-reservations-lookup"
        | "reservations-lookup-first"
        | "stash-agent-options" => matches!(val, Value::Bool(false)),
        "ip-reservations-unique" => matches!(val, Value::Bool(true)),
        "offer-lifetime" | "dhcp4o6-port" => matches!(val, Value::Int(0)),
        "t1-percent" => matches!(val, Value::Float(x) if *x == 0.5),
        "t2-percent" => matches!(val, Value::Float(x) if *x == 0.875),
        "allocator" => matches!(val, Value::String(s) if s == "iterative"),
        "server-tag" => matches!(val, Value::String(s) if s.is_empty()),
        "max-row-errors" | "pool-id" => matches!(val, Value::Int(0)),
        "never-send" => matches!(val, Value::Bool(false)),
        _ => false,
    }
}

/// Checks an unsupported key: `Ok(true)` when handled (tolerated),
/// `Err` when refused, `Ok(false)` when `key` is not in the unsupported set.
pub(crate) fn check(
    scope: Scope,
    k: &Spanned<String>,
    v: &Spanned<Value>,
    path: &str,
) -> Result<bool, crate::ConfigError> {
    if !is_unsupported(scope, &k.value) {
        return Ok(false);
    }
    if is_tolerated(&k.value, v) {
        return Ok(true);
    }
    Err(crate::walk::unsupported(k, path))
}
