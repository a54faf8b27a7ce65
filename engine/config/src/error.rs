//! Configuration errors, always with a position and a JSON path.

use std::fmt;

use crate::json::Pos;

/// An error in a configuration file.
///
/// `Display` gives `"<file>:<line>:<col>: <path>: <message>"` (the path part
/// is left out for pure syntax errors, which have no JSON path yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    /// JSON path of the offending element, e.g. `Dhcp4/subnet4[0]/pools[1]/pool`.
    pub path: String,
    /// The key concerned (last map key of `path`), empty if none.
    pub key: String,
    pub message: String,
}

impl ConfigError {
    /// An error at `pos` for element `path` (whose last key is `key`).
    pub fn at(pos: &Pos, path: &str, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: pos.file.to_string(),
            line: pos.line,
            col: pos.col,
            path: path.to_string(),
            key: key.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        } else {
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.col, self.path, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}
