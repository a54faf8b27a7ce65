//! What can go wrong with an AF_XDP socket, and its drop counters.

use std::fmt;

/// Why an AF_XDP socket could not be opened or used.
#[derive(Debug)]
pub enum XskError {
    /// The configuration cannot work (see [`XskConfig::validate`](super::XskConfig::validate)).
    InvalidConfig(String),
    /// The process lacks a privilege.
    NotPermitted {
        /// What is missing.
        missing: &'static str,
        /// What was refused.
        detail: String,
    },
    /// No interface of that name in this network namespace.
    UnknownInterface {
        /// The name asked for.
        ifname: String,
    },
    /// A frame longer than a UMEM frame.
    FrameTooLarge {
        /// The frame's length.
        len: usize,
        /// The UMEM frame size.
        max: usize,
    },
    /// A syscall failed.
    Sys {
        /// What was being done.
        op: &'static str,
        /// The errno.
        errno: i32,
        /// What it likely means here (may be empty).
        hint: &'static str,
    },
}

impl fmt::Display for XskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XskError::InvalidConfig(why) => write!(f, "invalid AF_XDP socket configuration: {why}"),
            XskError::NotPermitted { missing, detail } => {
                write!(f, "not permitted: {detail}; run as root or grant {missing}")
            }
            XskError::UnknownInterface { ifname } => {
                write!(
                    f,
                    "no network interface named {ifname:?} in this network namespace"
                )
            }
            XskError::FrameTooLarge { len, max } => {
                write!(
                    f,
                    "frame of {len} bytes does not fit a {max}-byte UMEM frame"
                )
            }
            XskError::Sys { op, errno, hint } => {
                write!(
                    f,
                    "{op} failed: {}",
                    std::io::Error::from_raw_os_error(*errno)
                )?;
                if !hint.is_empty() {
                    write!(f, " ({hint})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for XskError {}

pub(super) fn sys(op: &'static str, errno: i32) -> XskError {
    let hint = match errno {
        libc::EPERM | libc::EACCES => "needs CAP_NET_RAW (and CAP_NET_ADMIN)",
        libc::ENOMEM | libc::ENOBUFS => "not enough locked memory for the UMEM (RLIMIT_MEMLOCK?)",
        _ => "",
    };
    XskError::Sys { op, errno, hint }
}

/// AF_XDP socket statistics (XDP_STATISTICS), cumulative since open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XskStats {
    /// Frames dropped for reasons other than the two below.
    pub rx_dropped: u64,
    /// Invalid descriptors found in the fill ring.
    pub rx_invalid_descs: u64,
    /// Invalid descriptors found in the TX ring.
    pub tx_invalid_descs: u64,
    /// Frames dropped because the RX ring was full (the reader is too slow).
    pub rx_ring_full: u64,
    /// Times the kernel found the fill ring empty (frames not returned fast enough).
    pub rx_fill_ring_empty_descs: u64,
    /// Times the kernel found the TX ring empty when woken.
    pub tx_ring_empty_descs: u64,
    /// RX descriptors pointing outside their frame (counted here; never expected).
    pub rx_bad_descs: u64,
}
