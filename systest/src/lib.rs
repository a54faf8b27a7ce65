//! System-test harness for xdhcp: real DHCP clients (dhclient, udhcpc, dhcpcd,
//! perfdhcp, raw frames) against a real server (xdhcpd, or ISC Kea for
//! checking the harness itself) in network namespaces that each test creates
//! and removes.
//!
//! Rules every test follows: only 192.0.2.0/24, 198.51.100.0/24 and
//! 198.18.0.0/15 are used; every load is bounded in time and count; all
//! namespaces, processes and files are removed by `Drop` guards, and stale
//! namespaces left by dead test processes are swept at start.

pub mod clients;
pub mod config;
pub mod netio;
pub mod netns;
pub mod perfdhcp;
pub mod perfgen;
pub mod rawpkt;
pub mod server;
pub mod util;
pub mod v6;

pub use clients::{Dhclient, HookEvent, dhcpcd_once, udhcpc_once};
pub use config::{ServerConfig, Subnet};
pub use netns::Topology;
pub use perfdhcp::{PerfResult, Perfdhcp};
pub use perfgen::{PerfgenReport, read_acks, run_perfgen};
pub use server::{Lease, Server, ServerKind, Stats};
pub use util::TempDir;

use std::path::{Path, PathBuf};

/// The cargo workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("systest crate has a parent folder")
        .to_path_buf()
}

/// The shared folder that sits beside the repository (`../shared`).
pub fn shared_dir() -> PathBuf {
    workspace_root()
        .parent()
        .map(|p| p.join("shared"))
        .unwrap_or_else(|| PathBuf::from("/work/shared"))
}

/// Common start of every system test: root check, tool check, stale sweep.
pub fn init(tools: &[&str]) {
    assert!(
        util::is_root(),
        "system tests need root (network namespaces); run them with sudo or via scripts/test.sh"
    );
    for t in tools {
        assert!(
            util::which(t).is_some(),
            "required tool `{t}` is not installed; run scripts/setup.sh"
        );
    }
    netns::sweep_stale_once();
}

/// The standard LAN config: subnet 1 = 192.0.2.0/24 on the server veth,
/// pool 192.0.2.100 - 192.0.2.199.
pub fn lan_config(topo: &Topology) -> ServerConfig {
    ServerConfig::new(&[&topo.server_if]).subnet(
        Subnet::new(1, "192.0.2.0/24")
            .pool("192.0.2.100", "192.0.2.199")
            .interface(&topo.server_if),
    )
}

/// Whether `ip` lies in the inclusive range `first..=last`.
pub fn in_range(ip: std::net::Ipv4Addr, first: &str, last: &str) -> bool {
    let f: std::net::Ipv4Addr = first.parse().expect("range start");
    let l: std::net::Ipv4Addr = last.parse().expect("range end");
    (u32::from(f)..=u32::from(l)).contains(&u32::from(ip))
}
