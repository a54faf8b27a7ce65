//! What can go wrong loading and attaching the XDP program, and the translation of aya's
//! and the kernel's errors into messages that say what is missing.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use aya::EbpfError;
use aya::programs::ProgramError;

use crate::maps::MAX_QUEUES;
use crate::netlink;

/// Why the program could not be loaded, attached or configured.
#[derive(Debug)]
pub enum XdpError {
    /// The process lacks the privileges the kernel demands.
    NotPermitted {
        /// What is missing, e.g. "CAP_BPF and CAP_NET_ADMIN".
        missing: String,
        /// What was refused.
        detail: String,
    },
    /// No interface of that name in this network namespace.
    UnknownInterface {
        /// The name asked for.
        ifname: String,
    },
    /// The driver cannot run XDP natively (only asked for [`AttachMode::Native`](super::AttachMode::Native)).
    NativeUnsupported {
        /// The interface.
        ifname: String,
        /// The kernel's errno and what it means for this driver.
        reason: String,
    },
    /// The verifier refused the program.
    Rejected {
        /// The kernel's errno.
        reason: String,
        /// The verifier's log.
        verifier_log: String,
    },
    /// Another XDP program holds the interface and is not ours to replace.
    Busy {
        /// The interface.
        ifname: String,
        /// What holds it.
        detail: String,
    },
    /// A port mark with bits the program does not know (valid: STEER_V4 | STEER_V6).
    InvalidPortMark {
        /// The port.
        port: u16,
        /// The mark.
        mark: u8,
    },
    /// A queue index outside the program's maps (0..MAX_QUEUES).
    InvalidQueue {
        /// The queue.
        queue: u32,
    },
    /// Any other failure of the object, a map or a syscall.
    Kernel {
        /// What was being done.
        op: &'static str,
        /// The error chain.
        detail: String,
    },
}

impl fmt::Display for XdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XdpError::NotPermitted { missing, detail } => write!(
                f,
                "not permitted: {detail}; run as root or grant {missing} \
                 (XDP needs CAP_BPF + CAP_NET_ADMIN, AF_XDP sockets CAP_NET_RAW)"
            ),
            XdpError::UnknownInterface { ifname } => {
                write!(
                    f,
                    "no network interface named {ifname:?} in this network namespace"
                )
            }
            XdpError::NativeUnsupported { ifname, reason } => write!(
                f,
                "interface {ifname} cannot run XDP in native (driver) mode: {reason}; \
                 use generic mode (or Auto)"
            ),
            XdpError::Rejected {
                reason,
                verifier_log,
            } => {
                write!(
                    f,
                    "the kernel refused the XDP program ({reason}); verifier log:\n{verifier_log}"
                )
            }
            XdpError::Busy { ifname, detail } => {
                write!(
                    f,
                    "interface {ifname} already runs an XDP program: {detail}"
                )
            }
            XdpError::InvalidPortMark { port, mark } => write!(
                f,
                "port {port}: mark {mark:#x} has unknown bits (only STEER_V4=1 and STEER_V6=2 exist)"
            ),
            XdpError::InvalidQueue { queue } => {
                write!(
                    f,
                    "queue {queue} is out of range: the program serves queues 0..{MAX_QUEUES}"
                )
            }
            XdpError::Kernel { op, detail } => write!(f, "{op} failed: {detail}"),
        }
    }
}

impl StdError for XdpError {}

/// Errors that mean "this driver/interface cannot run the program natively" rather than
/// "you may not" or "someone else is there".
pub(super) fn is_native_unsupported(e: &ProgramError) -> bool {
    !matches!(
        errno_in_chain(e),
        Some(libc::EPERM) | Some(libc::EACCES) | Some(libc::EBUSY) | Some(libc::EEXIST)
    )
}

pub(super) fn describe_native_failure(e: &ProgramError) -> String {
    let hint = match errno_in_chain(e) {
        Some(libc::EOPNOTSUPP) => "the driver has no native XDP support",
        Some(libc::ERANGE) => "the MTU (on veth: the peer's MTU) is too large for native XDP",
        Some(libc::ENOSPC) => {
            "veth: fewer RX queues than the peer has TX queues (ethtool -L ... rx N tx N)"
        }
        Some(libc::EINVAL) => "the driver refused the program or its settings (MTU, LRO, queues)",
        _ => "",
    };
    if hint.is_empty() {
        chain(e)
    } else {
        format!("{hint} ({})", chain(e))
    }
}

pub(super) fn from_program_error(op: &'static str, e: &ProgramError) -> XdpError {
    match e {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            if matches!(
                io_error.raw_os_error(),
                Some(libc::EPERM) | Some(libc::EACCES)
            ) && verifier_log.to_string().trim().is_empty()
            {
                XdpError::NotPermitted {
                    missing: "CAP_BPF".into(),
                    detail: format!("{op}: {io_error}"),
                }
            } else {
                XdpError::Rejected {
                    reason: io_error.to_string(),
                    verifier_log: verifier_log.to_string(),
                }
            }
        }
        _ if matches!(errno_in_chain(e), Some(libc::EPERM) | Some(libc::EACCES)) => {
            XdpError::NotPermitted {
                missing: "CAP_BPF".into(),
                detail: format!("{op}: {}", chain(e)),
            }
        }
        _ => kernel(op, e),
    }
}

pub(super) fn from_ebpf_error(op: &'static str, e: &EbpfError) -> XdpError {
    match e {
        EbpfError::ProgramError(pe) => from_program_error(op, pe),
        _ if matches!(errno_in_chain(e), Some(libc::EPERM) | Some(libc::EACCES)) => {
            XdpError::NotPermitted {
                missing: "CAP_BPF".into(),
                detail: format!("{op}: {}", chain(e)),
            }
        }
        _ => kernel(op, e),
    }
}

pub(super) fn from_netlink(op: &'static str, e: netlink::NlError) -> XdpError {
    match e.errno {
        Some(libc::EPERM) | Some(libc::EACCES) => XdpError::NotPermitted {
            missing: "CAP_NET_ADMIN".into(),
            detail: format!("{op}: {e}"),
        },
        _ => XdpError::Kernel {
            op,
            detail: e.to_string(),
        },
    }
}

pub(super) fn kernel(op: &'static str, e: &dyn StdError) -> XdpError {
    XdpError::Kernel {
        op,
        detail: chain(e),
    }
}

/// The error and its sources, joined, so no cause is lost in the message.
pub(super) fn chain(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// The first OS error code in an error's source chain.
pub(super) fn errno_in_chain(e: &(dyn StdError + 'static)) -> Option<i32> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        // Transparent variants forward source() past the io::Error they wrap: look inside.
        let code = if let Some(io) = err.downcast_ref::<io::Error>() {
            io.raw_os_error()
        } else if let Some(pe) = err.downcast_ref::<ProgramError>() {
            match pe {
                ProgramError::SyscallError(s) => s.io_error.raw_os_error(),
                ProgramError::IOError(io) => io.raw_os_error(),
                _ => None,
            }
        } else if let Some(nl) = err.downcast_ref::<aya::sys::NetlinkError>() {
            nl.raw_os_error()
        } else {
            None
        };
        if code.is_some() {
            return code;
        }
        cur = err.source();
    }
    None
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_is_found_through_the_chain() {
        let e = ProgramError::IOError(io::Error::from_raw_os_error(libc::EOPNOTSUPP));
        assert_eq!(errno_in_chain(&e), Some(libc::EOPNOTSUPP));
        assert!(is_native_unsupported(&e));
        assert!(describe_native_failure(&e).contains("no native XDP"));
        let e = ProgramError::IOError(io::Error::from_raw_os_error(libc::EBUSY));
        assert!(!is_native_unsupported(&e));
    }

    #[test]
    fn messages_say_what_is_missing() {
        let e = XdpError::NotPermitted {
            missing: "CAP_BPF".into(),
            detail: "x".into(),
        };
        assert!(e.to_string().contains("CAP_BPF"));
        let e = XdpError::InvalidPortMark { port: 67, mark: 4 };
        assert!(e.to_string().contains("67"));
        let e = XdpError::Rejected {
            reason: "EACCES".into(),
            verifier_log: "R1 invalid mem access".into(),
        };
        assert!(e.to_string().contains("R1 invalid mem access"));
        let e = XdpError::InvalidQueue { queue: 64 };
        assert!(e.to_string().contains("0..64"));
    }
}
