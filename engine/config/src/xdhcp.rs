//! The top-level `xdhcp` map: xdhcp's own settings beside `Dhcp4` (a Kea file never has
//! it, so Kea files load unchanged). Every key is optional:
//!
//! ```json
//! "xdhcp": {
//!     "io-mode": "auto",      // "auto" | "xdp" | "udp"
//!     "xdp-mode": "auto",     // "auto" | "native" | "generic"
//!     "queues": 2,            // RX queues served per interface (default: all it has)
//!     "cores": [0, 1],        // CPU ids the workers are pinned to (default: i mod nproc)
//!     "durability": "durable-before-reply",  // | "written-before-reply"
//!     "commit-window-us": 0,  // wait up to N µs to gather more before a group commit
//!     "segment-size": 67108864 // bytes per preallocated lease log segment
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

/// When a reply may leave, relative to the lease records it announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Durability {
    /// Replies wait until their lease records are on disk (fdatasync completed): a
    /// crash or power loss never forgets a lease a client was told about.
    #[default]
    DurableBeforeReply,
    /// Replies wait until the records are in the page cache (Kea memfile's behaviour):
    /// a process crash loses nothing, a power loss may lose the last moments.
    WrittenBeforeReply,
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
    /// What a reply waits for (`durability`).
    pub durability: Durability,
    /// Microseconds a shard may wait to gather more records before it starts a group
    /// commit (`commit-window-us`); 0 = commit on every loop iteration.
    pub commit_window_us: u32,
    /// Bytes of each preallocated lease log segment (`segment-size`); `None` = the
    /// storage default (64 MiB).
    pub segment_size: Option<u64>,
}

/// Largest `commit-window-us` (one second).
pub const MAX_COMMIT_WINDOW_US: i64 = 1_000_000;
/// Smallest and largest `segment-size`.
pub const MIN_SEGMENT_SIZE: i64 = 4096;
pub const MAX_SEGMENT_SIZE: i64 = 1 << 32;

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
            "durability" => {
                let s = walk::string(val, &p, key)?;
                out.durability = match s {
                    "durable-before-reply" => Durability::DurableBeforeReply,
                    "written-before-reply" => Durability::WrittenBeforeReply,
                    _ => {
                        return Err(err(
                            &val.pos,
                            &p,
                            key,
                            format!(
                                "'durability': unknown policy '{s}' (expected \
                                 durable-before-reply or written-before-reply)"
                            ),
                        ));
                    }
                };
            }
            "commit-window-us" => {
                out.commit_window_us =
                    walk::int_range(val, &p, key, 0, MAX_COMMIT_WINDOW_US)? as u32
            }
            "segment-size" => {
                out.segment_size =
                    Some(walk::int_range(val, &p, key, MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE)? as u64)
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
