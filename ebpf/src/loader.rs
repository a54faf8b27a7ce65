//! Loads the embedded XDP program, fills its port table, attaches it to one interface and
//! keeps it attached for as long as the [`XdpProgram`] lives.
//!
//! Attachment goes through a bpf_link when the kernel has XDP links (5.9+): the link is owned
//! by this process's file descriptor, so a crash or SIGKILL detaches the program with it and
//! nothing is left on the interface. Only on kernels without XDP links does aya fall back to
//! the legacy netlink attachment, which outlives the process; such a leftover `xdp_dhcp` is
//! removed by the next [`XdpProgram::attach`] (any other program is reported, never removed).

mod error;

pub use error::XdpError;

use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use aya::Ebpf;
use aya::maps::{Array, MapData, PerCpuArray, XskMap};
use aya::programs::links::LinkType;
use aya::programs::xdp::XdpLinkId;
use aya::programs::{ProgramError, Xdp, XdpMode, loaded_links, loaded_programs};

use error::{
    chain, describe_native_failure, errno_in_chain, from_ebpf_error, from_netlink,
    from_program_error, is_native_unsupported, kernel,
};

use crate::maps::{MAX_QUEUES, PORT_ENTRIES, QueueCounters, valid_mark};
use crate::netlink::{self, Attached};
use crate::object::XDP_DHCP_OBJECT;
use crate::privileges::Caps;

/// The program's name in the object and in the kernel.
pub const PROGRAM_NAME: &str = "xdp_dhcp";

/// Where the XDP program runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttachMode {
    /// In the driver, before any socket buffer is allocated (the fast path).
    Native,
    /// In the generic network stack, after the skb is built; works on every interface.
    Generic,
    /// Native, falling back to generic (with a log line) when the driver cannot run it.
    /// [`XdpProgram::mode`] reports which of the two attached.
    Auto,
}
/// The XDP program attached to one interface. Dropping it detaches the program.
pub struct XdpProgram {
    ifname: String,
    ifindex: u32,
    mode: AttachMode,
    link: Option<XdpLinkId>,
    xsks: XskMap<MapData>,
    ports: Array<MapData, u8>,
    counters: PerCpuArray<MapData, QueueCounters>,
    // Last: the maps and links above are released before the object that created them.
    ebpf: Ebpf,
}

impl fmt::Debug for XdpProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XdpProgram")
            .field("ifname", &self.ifname)
            .field("ifindex", &self.ifindex)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl XdpProgram {
    /// Loads the program, marks `ports` (UDP destination port, STEER_V4/STEER_V6 bits) in
    /// `steer_ports`, and attaches it to `ifname` (in the calling thread's network namespace).
    ///
    /// A legacy-attached `xdp_dhcp` left behind by a crashed run is replaced; any other program
    /// on the interface is an [`XdpError::Busy`].
    pub fn attach(
        ifname: &str,
        mode: AttachMode,
        ports: &[(u16, u8)],
    ) -> Result<XdpProgram, XdpError> {
        let ifindex = ifindex_of(ifname)?;
        if let Some(missing) = Caps::current().and_then(Caps::missing_for_xdp) {
            return Err(XdpError::NotPermitted {
                missing: missing.into(),
                detail: format!("attaching an XDP program to {ifname}"),
            });
        }
        for &(port, mark) in ports {
            if !valid_mark(mark) {
                return Err(XdpError::InvalidPortMark { port, mark });
            }
        }

        let mut ebpf = Ebpf::load(XDP_DHCP_OBJECT)
            .map_err(|e| from_ebpf_error("loading the BPF object", &e))?;
        let xsks = XskMap::try_from(take_map(&mut ebpf, "xsks")?)
            .map_err(|e| kernel("opening map xsks", &e))?;
        let ports_map = Array::try_from(take_map(&mut ebpf, "steer_ports")?)
            .map_err(|e| kernel("opening map steer_ports", &e))?;
        let counters = PerCpuArray::try_from(take_map(&mut ebpf, "counters")?)
            .map_err(|e| kernel("opening map counters", &e))?;

        let mut this = XdpProgram {
            ifname: ifname.to_string(),
            ifindex,
            mode,
            link: None,
            xsks,
            ports: ports_map,
            counters,
            ebpf,
        };
        this.set_ports(ports)?;
        this.program()?
            .load()
            .map_err(|e| from_program_error("loading the XDP program", &e))?;
        this.clear_stale_program()?;
        this.attach_in(mode)?;
        Ok(this)
    }

    /// Marks ports in `steer_ports` (mark 0 unmarks); takes effect at once.
    pub fn set_ports(&mut self, ports: &[(u16, u8)]) -> Result<(), XdpError> {
        for &(port, mark) in ports {
            if !valid_mark(mark) {
                return Err(XdpError::InvalidPortMark { port, mark });
            }
            debug_assert!(u32::from(port) < PORT_ENTRIES);
            self.ports
                .set(u32::from(port), mark, 0)
                .map_err(|e| kernel("writing steer_ports", &e))?;
        }
        Ok(())
    }

    /// Registers the AF_XDP socket `fd` (bound to RX queue `queue` of this interface) as the
    /// target for frames steered on that queue.
    pub fn register_socket(&mut self, queue: u32, fd: RawFd) -> Result<(), XdpError> {
        if queue >= MAX_QUEUES {
            return Err(XdpError::InvalidQueue { queue });
        }
        self.xsks
            .set(queue, fd, 0)
            .map_err(|e| kernel("writing xsks", &e))
    }

    /// Removes the socket of `queue`: its frames go to the kernel again.
    pub fn unregister_socket(&mut self, queue: u32) -> Result<(), XdpError> {
        if queue >= MAX_QUEUES {
            return Err(XdpError::InvalidQueue { queue });
        }
        match self.xsks.unset(queue) {
            Ok(()) => Ok(()),
            // Nothing registered there: already in the wanted state.
            Err(aya::maps::MapError::KeyNotFound | aya::maps::MapError::ElementNotFound) => Ok(()),
            Err(e) if errno_in_chain(&e) == Some(libc::ENOENT) => Ok(()),
            Err(e) => Err(kernel("clearing xsks", &e)),
        }
    }

    /// The counters of every queue (index = RX queue), each summed over all CPUs.
    pub fn counters(&self) -> Result<Vec<QueueCounters>, XdpError> {
        (0..MAX_QUEUES)
            .map(|q| {
                let per_cpu = self
                    .counters
                    .get(&q, 0)
                    .map_err(|e| kernel("reading counters", &e))?;
                Ok(QueueCounters::total(per_cpu.iter()))
            })
            .collect()
    }

    /// The mode that actually attached: [`AttachMode::Native`] or [`AttachMode::Generic`].
    pub fn mode(&self) -> AttachMode {
        self.mode
    }

    /// The interface name.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// The interface index (in the namespace the program was attached in).
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    fn program(&mut self) -> Result<&mut Xdp, XdpError> {
        let prog = self
            .ebpf
            .program_mut(PROGRAM_NAME)
            .ok_or_else(|| XdpError::Kernel {
                op: "finding the program",
                detail: format!("the object has no program {PROGRAM_NAME}"),
            })?;
        prog.try_into()
            .map_err(|e| from_program_error("finding the program", &e))
    }

    /// Attaches in `mode`, resolving Auto, and records the mode the kernel reports.
    fn attach_in(&mut self, mode: AttachMode) -> Result<(), XdpError> {
        let ifindex = self.ifindex;
        let result = match mode {
            AttachMode::Native | AttachMode::Auto => self.try_attach(XdpMode::Driver),
            AttachMode::Generic => self.try_attach(XdpMode::Skb),
        };
        let link = match (result, mode) {
            (Ok(link), _) => link,
            (Err(e), AttachMode::Auto) if is_native_unsupported(&e) => {
                log::warn!(
                    "{}: native XDP unavailable ({}), falling back to generic mode",
                    self.ifname,
                    describe_native_failure(&e)
                );
                self.try_attach(XdpMode::Skb)
                    .map_err(|e| self.attach_error(&e, XdpMode::Skb))?
            }
            (Err(e), AttachMode::Generic) => return Err(self.attach_error(&e, XdpMode::Skb)),
            (Err(e), _) => return Err(self.attach_error(&e, XdpMode::Driver)),
        };
        self.link = Some(link);
        // Ask the kernel where it really runs: that is what mode() reports.
        self.mode = match netlink::query_xdp(ifindex) {
            Ok(state) if state.attached == Attached::Generic => AttachMode::Generic,
            Ok(state) if state.attached == Attached::Driver => AttachMode::Native,
            Ok(state) => {
                return Err(XdpError::Kernel {
                    op: "checking the attachment",
                    detail: format!("the kernel reports {:?} after attaching", state.attached),
                });
            }
            Err(e) => return Err(from_netlink("checking the attachment", e)),
        };
        log::info!("{}: xdp_dhcp attached in {:?} mode", self.ifname, self.mode);
        Ok(())
    }

    fn try_attach(&mut self, mode: XdpMode) -> Result<XdpLinkId, ProgramError> {
        let ifindex = self.ifindex;
        self.program()
            .map_err(|e| ProgramError::IOError(io::Error::other(e.to_string())))?
            .attach_to_if_index(ifindex, mode)
    }

    fn attach_error(&self, e: &ProgramError, mode: XdpMode) -> XdpError {
        let errno = errno_in_chain(e);
        match errno {
            Some(libc::EPERM) | Some(libc::EACCES) => XdpError::NotPermitted {
                missing: "CAP_BPF and CAP_NET_ADMIN".into(),
                detail: format!("attaching to {}: {}", self.ifname, chain(e)),
            },
            Some(libc::EBUSY) | Some(libc::EEXIST) => XdpError::Busy {
                ifname: self.ifname.clone(),
                detail: format!(
                    "{} (native and generic programs cannot coexist, and a link held by a \
                     running process cannot be replaced)",
                    chain(e)
                ),
            },
            _ if mode == XdpMode::Driver && is_native_unsupported(e) => {
                XdpError::NativeUnsupported {
                    ifname: self.ifname.clone(),
                    reason: describe_native_failure(e),
                }
            }
            _ => XdpError::Kernel {
                op: "attaching the XDP program",
                detail: chain(e),
            },
        }
    }

    /// Makes room for the new attachment: a legacy (netlink) `xdp_dhcp` left by a crashed run
    /// is removed; anything else already attached is reported.
    fn clear_stale_program(&mut self) -> Result<(), XdpError> {
        let state = netlink::query_xdp(self.ifindex)
            .map_err(|e| from_netlink("reading the interface's XDP state", e))?;
        if state.attached == Attached::None {
            return Ok(());
        }
        let name = program_name(state.prog_id);
        let shown = name.as_deref().unwrap_or("?");
        if state.attached == Attached::Multi || state.attached == Attached::Hardware {
            return Err(XdpError::Busy {
                ifname: self.ifname.clone(),
                detail: format!(
                    "{:?} attachment (program id {}, {shown})",
                    state.attached, state.prog_id
                ),
            });
        }
        if held_by_link(state.prog_id) {
            return Err(XdpError::Busy {
                ifname: self.ifname.clone(),
                detail: format!(
                    "program {shown} (id {}) is held by a bpf_link of a live process, \
                     probably another xdhcp; stop it first",
                    state.prog_id
                ),
            });
        }
        if name.as_deref() != Some(PROGRAM_NAME) {
            return Err(XdpError::Busy {
                ifname: self.ifname.clone(),
                detail: format!(
                    "foreign program {shown} (id {}) attached without a link; remove it with \
                     `ip link set dev {} xdp off` if it is not needed",
                    state.prog_id, self.ifname
                ),
            });
        }
        let info = loaded_programs()
            .filter_map(Result::ok)
            .find(|p| p.id() == state.prog_id)
            .ok_or_else(|| XdpError::Kernel {
                op: "replacing a stale xdp_dhcp",
                detail: format!("program id {} vanished", state.prog_id),
            })?;
        let fd = info
            .fd()
            .map_err(|e| from_program_error("opening the stale xdp_dhcp", &e))?;
        log::warn!(
            "{}: removing xdp_dhcp (id {}) left attached without a link by an earlier run",
            self.ifname,
            state.prog_id
        );
        netlink::detach_legacy(
            self.ifindex,
            state.attached.mode_flag(),
            fd.as_fd().as_raw_fd(),
        )
        .map_err(|e| from_netlink("removing the stale xdp_dhcp", e))
    }
}

impl Drop for XdpProgram {
    fn drop(&mut self) {
        let Some(link) = self.link.take() else { return };
        let ifname = self.ifname.clone();
        match self.program() {
            Ok(prog) => {
                if let Err(e) = prog.detach(link) {
                    log::error!("{ifname}: detaching xdp_dhcp failed: {}", chain(&e));
                }
            }
            Err(e) => log::error!("{ifname}: detaching xdp_dhcp failed: {e}"),
        }
    }
}

fn ifindex_of(ifname: &str) -> Result<u32, XdpError> {
    let unknown = || XdpError::UnknownInterface {
        ifname: ifname.to_string(),
    };
    let c = CString::new(ifname).map_err(|_| unknown())?;
    // SAFETY: c is a valid NUL-terminated string for the duration of the call.
    let ifindex = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if ifindex == 0 {
        Err(unknown())
    } else {
        Ok(ifindex)
    }
}

fn take_map(ebpf: &mut Ebpf, name: &'static str) -> Result<aya::maps::Map, XdpError> {
    ebpf.take_map(name).ok_or_else(|| XdpError::Kernel {
        op: "finding a map",
        detail: format!("the object has no map {name}"),
    })
}

/// Name of a loaded program, by id.
fn program_name(id: u32) -> Option<String> {
    loaded_programs()
        .filter_map(Result::ok)
        .find(|p| p.id() == id)
        .and_then(|p| p.name_as_str().map(str::to_string))
}

/// Whether some XDP bpf_link (thus a live file descriptor somewhere) holds program `id`.
fn held_by_link(id: u32) -> bool {
    loaded_links()
        .filter_map(Result::ok)
        .any(|l| l.program_id() == id && matches!(l.link_type(), Ok(LinkType::Xdp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_interface_is_reported_before_anything_else() {
        let err = XdpProgram::attach("xdhcp-none0", AttachMode::Auto, &[]).unwrap_err();
        assert!(matches!(err, XdpError::UnknownInterface { .. }), "{err}");
        assert!(err.to_string().contains("xdhcp-none0"));
        let err = XdpProgram::attach("bad\0name", AttachMode::Auto, &[]).unwrap_err();
        assert!(matches!(err, XdpError::UnknownInterface { .. }), "{err}");
    }
}
