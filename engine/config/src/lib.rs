//! Kea-compatible configuration loading for xdhcp.
//!
//! Reads Kea DHCPv4 configuration files unchanged — both the Kea 1.4 dialect
//! (top-level `Logging`, `reservation-mode`) and the newest one (`loggers`
//! inside `Dhcp4`, `reservations-*` flags, `authoritative`) — into a typed
//! model with all inheritance resolved and all option data already encoded.
//! A `Dhcp6` object (alone, or beside `Dhcp4` in one file as Kea 1.4 allows)
//! is read into [`Dhcp6Config`].
//!
//! Every error carries file, line, column and the JSON path of the offending
//! element; keys that Kea accepts but xdhcp does not implement yet are refused
//! with "'<key>' is not supported yet by xdhcp" (unless their value is exactly
//! equivalent to the feature being absent, e.g. `"hooks-libraries": []`).

use std::path::Path;

mod compat;
pub mod dhcp4;
pub mod dhcp6;
pub mod error;
pub mod json;
pub mod logging;
pub mod option_data;
pub mod option_data6;
pub mod reservation;
pub mod reservation6;
pub mod subnet;
pub mod subnet6;
mod walk;
pub mod xdhcp;

pub use dhcp4::{
    Dhcp4Config, ExpiredLeasesProcessing, InterfaceSpec, LeaseDatabase, OutboundInterface,
    SocketType,
};
pub use dhcp6::{Dhcp6Config, DuidType, InterfaceSpec6, ServerIdConfig};
pub use error::ConfigError;
pub use json::{Pos, Spanned, Value};
pub use logging::{LogOutput, Logger, Logging, Severity};
pub use option_data::OptionData;
pub use option_data6::OptionData6;
pub use reservation::{HostIdentifier, IdentifierType, Reservation4};
pub use reservation6::Reservation6;
pub use subnet::{Pool4, ReservationMode, Subnet4};
pub use subnet6::{PdPool, Pool6, Subnet6};
pub use xdhcp::{Durability, IoMode, XdhcpConfig, XdpMode};

/// A loaded configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The `Dhcp4` object; Kea's defaults (no subnets) when the file has none.
    pub dhcp4: Dhcp4Config,
    /// Whether the file has a `Dhcp4` object (false: serve DHCPv6 only).
    pub has_dhcp4: bool,
    /// The `Dhcp6` object, if the file has one.
    pub dhcp6: Option<Dhcp6Config>,
    pub logging: Logging,
    /// xdhcp's own settings (the top-level `xdhcp` map; defaults when absent).
    pub xdhcp: XdhcpConfig,
    /// The parsed tree (whole file, comments dropped), kept for `config-get`.
    pub source: Value,
    /// Non-fatal findings, each prefixed with `file:line:col:` (what Kea would log as warnings).
    pub warnings: Vec<String>,
}

/// Loads a configuration file (`<?include?>` paths are relative to it).
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let parsed = json::parse_file(path)?;
    build(parsed)
}

/// Loads configuration text; `origin` names it in error messages (and, if it
/// is a path, `<?include?>` paths are resolved relative to its directory).
pub fn load_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let parsed = json::parse_str(text, origin)?;
    build(parsed)
}

fn build(parsed: json::Parsed) -> Result<Config, ConfigError> {
    let json::Parsed { root, mut warnings } = parsed;
    let entries = root.value.as_map().ok_or_else(|| {
        ConfigError::at(
            &root.pos,
            "",
            "",
            format!(
                "the top level must be a map (e.g. {{ \"Dhcp4\": {{ ... }} }}), got {}",
                root.value.type_name()
            ),
        )
    })?;
    let mut dhcp4 = None;
    let mut dhcp6 = None;
    let mut top_logging: Option<Vec<Logger>> = None;
    let mut xdhcp_cfg = XdhcpConfig::default();
    for (k, v) in entries {
        match k.value.as_str() {
            "Dhcp4" => dhcp4 = Some(dhcp4::parse(v, &mut warnings)?),
            "Dhcp6" => dhcp6 = Some(dhcp6::parse(v, &mut warnings)?),
            "Logging" => top_logging = Some(logging::parse_logging_map(v, "Logging")?),
            "xdhcp" => xdhcp_cfg = xdhcp::parse(v, "xdhcp")?,
            "DhcpDdns" | "Control-agent" | "Dhcp4o6" | "Netconf" => {
                return Err(walk::unsupported(k, ""));
            }
            _ => return Err(walk::unexpected(k, "")),
        }
    }
    if dhcp4.is_none() && dhcp6.is_none() {
        return Err(ConfigError::at(
            &root.pos,
            "Dhcp4",
            "Dhcp4",
            "missing mandatory 'Dhcp4' or 'Dhcp6' object at the top level",
        ));
    }
    let has_dhcp4 = dhcp4.is_some();
    let (dhcp4, inner_loggers) = dhcp4.unwrap_or_default();
    let (dhcp6, inner_loggers6) = dhcp6.map_or((None, None), |(c, l)| (Some(c), l));
    let loggers = dhcp6::combine_loggers(inner_loggers, inner_loggers6, top_logging)?;
    Ok(Config {
        dhcp4,
        has_dhcp4,
        dhcp6,
        logging: Logging { loggers },
        xdhcp: xdhcp_cfg,
        source: root.value,
        warnings,
    })
}
