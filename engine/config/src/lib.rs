//! Kea-compatible configuration loading for xdhcp.
//!
//! Reads Kea DHCPv4 configuration files unchanged — both the Kea 1.4 dialect
//! (top-level `Logging`, `reservation-mode`) and the newest one (`loggers`
//! inside `Dhcp4`, `reservations-*` flags, `authoritative`) — into a typed
//! model with all inheritance resolved and all option data already encoded.
//!
//! Every error carries file, line, column and the JSON path of the offending
//! element; keys that Kea accepts but xdhcp does not implement yet are refused
//! with "'<key>' is not supported yet by xdhcp" (unless their value is exactly
//! equivalent to the feature being absent, e.g. `"hooks-libraries": []`).

use std::path::Path;

mod compat;
pub mod dhcp4;
pub mod error;
pub mod json;
pub mod logging;
pub mod option_data;
pub mod reservation;
pub mod subnet;
mod walk;

pub use dhcp4::{
    Dhcp4Config, ExpiredLeasesProcessing, InterfaceSpec, LeaseDatabase, OutboundInterface,
    SocketType,
};
pub use error::ConfigError;
pub use json::{Pos, Spanned, Value};
pub use logging::{LogOutput, Logger, Logging, Severity};
pub use option_data::OptionData;
pub use reservation::{HostIdentifier, IdentifierType, Reservation4};
pub use subnet::{Pool4, ReservationMode, Subnet4};

/// A loaded configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub dhcp4: Dhcp4Config,
    pub logging: Logging,
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
    let mut top_logging: Option<Vec<Logger>> = None;
    for (k, v) in entries {
        match k.value.as_str() {
            "Dhcp4" => dhcp4 = Some(dhcp4::parse(v, &mut warnings)?),
            "Logging" => top_logging = Some(logging::parse_logging_map(v, "Logging")?),
            "Dhcp6" | "DhcpDdns" | "Control-agent" | "Dhcp4o6" | "Netconf" => {
                return Err(walk::unsupported(k, ""));
            }
            _ => return Err(walk::unexpected(k, "")),
        }
    }
    let Some((dhcp4, inner_loggers)) = dhcp4 else {
        return Err(ConfigError::at(
            &root.pos,
            "Dhcp4",
            "Dhcp4",
            "missing mandatory 'Dhcp4' object at the top level",
        ));
    };
    let loggers = match (inner_loggers, top_logging) {
        (Some((_, pos)), Some(_)) => {
            return Err(ConfigError::at(
                &pos,
                "Dhcp4/loggers",
                "loggers",
                "'loggers' given both inside 'Dhcp4' and in the top-level 'Logging'; keep only one",
            ));
        }
        (Some((l, _)), None) => l,
        (None, Some(l)) => l,
        (None, None) => Vec::new(),
    };
    Ok(Config {
        dhcp4,
        logging: Logging { loggers },
        source: root.value,
        warnings,
    })
}
