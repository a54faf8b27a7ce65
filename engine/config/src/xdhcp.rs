//! The top-level `xdhcp` map: xdhcp's own settings beside `Dhcp4` (a Kea file never has
//! it, so Kea files load unchanged). Every key is optional:
//!
//! ```json
//! "xdhcp": {
//!     "io-mode": "auto",      // "auto" | "xdp" | "udp"
//!     "xdp-mode": "auto",     // "auto" | "native" | "generic"
//!     "queues": 2,            // RX queues served per interface (default: all it has)
//!     "cores": [0, 1]         // CPU ids the workers are pinned to (default: i mod nproc)
//! }
//! ```

use crate::json::{Spanned, Value};
use crate::walk::{self, Res, child, err, index};

/// Which I/O backend serves DHCPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IoMode {
    /// AF_XDP when the XDP program attaches, else the UDP backend (with one log line
    /// saying why).
    #[default]
    Auto,
    /// AF_XDP only: start-up fails when it cannot attach.
    Xdp,
    /// The portable UDP (+ packet socket) backend, one thread.
    Udp,
}

/// Where the XDP program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum XdpMode {
    /// Native, falling back to generic.
    #[default]
    Auto,
    Native,
    Generic,
}

/// The `xdhcp` map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XdhcpConfig {
    pub io_mode: IoMode,
    pub xdp_mode: XdpMode,
    /// RX queues served per interface; `None` = every queue the interface has.
    pub queues: Option<u32>,
    /// CPU ids to pin workers to (worker i on `cores[i % len]`); `None` = worker i on
    /// CPU i mod nproc.
    pub cores: Option<Vec<usize>>,
}

/// The most queues served per interface (the XDP program's XSKMAP size).
pub const MAX_QUEUES: i64 = 64;

pub(crate) fn parse(v: &Spanned<Value>, path: &str) -> Res<XdhcpConfig> {
    let entries = walk::map(v, path, path)?;
    let mut out = XdhcpConfig::default();
    let mut ctx = walk::Context::default();
    for (k, val) in entries {
        let key = k.value.as_str();
        let p = child(path, key);
        match key {
            "io-mode" => {
                let s = walk::string(val, &p, key)?;
                out.io_mode = match s {
                    "auto" => IoMode::Auto,
                    "xdp" => IoMode::Xdp,
                    "udp" => IoMode::Udp,
                    _ => {
                        return Err(err(
                            &val.pos,
                            &p,
                            key,
                            format!(
                                "'io-mode': unknown I/O mode '{s}' (expected auto, xdp or udp)"
                            ),
                        ));
                    }
                };
            }
            "xdp-mode" => {
                let s = walk::string(val, &p, key)?;
                out.xdp_mode = match s {
                    "auto" => XdpMode::Auto,
                    "native" => XdpMode::Native,
                    "generic" => XdpMode::Generic,
                    _ => {
                        return Err(err(
                            &val.pos,
                            &p,
                            key,
                            format!(
                                "'xdp-mode': unknown XDP mode '{s}' (expected auto, native or generic)"
                            ),
                        ));
                    }
                };
            }
            "queues" => out.queues = Some(walk::int_range(val, &p, key, 1, MAX_QUEUES)? as u32),
            "cores" => {
                let items = walk::list(val, &p, key)?;
                if items.is_empty() {
                    return Err(err(
                        &val.pos,
                        &p,
                        key,
                        "'cores': must list at least one CPU id (leave it out for the default)",
                    ));
                }
                let mut cores = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let c = walk::int_range(item, &index(&p, i), key, 0, 4095)? as usize;
                    if cores.contains(&c) {
                        return Err(err(
                            &item.pos,
                            &index(&p, i),
                            key,
                            format!("'cores': CPU {c} is listed twice"),
                        ));
                    }
                    cores.push(c);
                }
                out.cores = Some(cores);
            }
            _ => {
                if ctx.take(k, val, path)? {
                    continue;
                }
                return Err(walk::unexpected(k, path));
            }
        }
    }
    Ok(out)
}
