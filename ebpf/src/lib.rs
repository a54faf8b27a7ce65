//! xdhcp's XDP side: the XDP program that steers DHCP frames into per-queue AF_XDP sockets,
//! the loader that attaches it and fills its maps, and the AF_XDP socket that the engine reads
//! DHCP frames from and writes replies to.
//!
//! * [`XDP_DHCP_OBJECT`]: the compiled program (built by build.rs from `src/bpf/xdp_dhcp.c`).
//! * [`maps`]: the Rust mirror of the layouts shared with the program.
//! * [`loader`]: [`XdpProgram`], which attaches the program to an interface and detaches it on
//!   drop.
//! * [`xsk`]: [`XskSocket`], one AF_XDP socket with its own UMEM, bound to one queue.
//!
//! Everything that touches the kernel needs root, or CAP_BPF + CAP_NET_ADMIN (+ CAP_NET_RAW
//! for the socket); see `README.md` in this crate for what the kernel demands of the driver.

pub mod loader;
pub mod maps;
mod netlink;
mod object;
mod privileges;
pub mod xsk;

pub use loader::{AttachMode, XdpError, XdpProgram};
pub use maps::{MAX_QUEUES, QueueCounters, STEER_V4, STEER_V6};
pub use object::XDP_DHCP_OBJECT;
pub use xsk::{TxFrame, XskConfig, XskError, XskSocket, XskStats};
