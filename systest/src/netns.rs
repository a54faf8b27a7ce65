//! Network-namespace topology: a server namespace and a client namespace
//! joined by one veth pair.
//!
//! ```text
//!   [server ns  xdt<pid>_<n>s]  vs 192.0.2.1/24 ==veth== xdt<pid>_<n>c  [client ns xdt<pid>_<n>c]
//!                                                          +- macvlan m<k> (fixed MAC) ...
//! ```
//! Names are unique per process and test, so tests run in parallel. IPv6 DAD
//! is off, MTU 1500. Everything is removed on drop; namespaces left by dead
//! test processes (prefix `xdt`) are swept once per process.

use crate::util::{must, next_seq, run, signal};
use std::sync::Once;

pub const PREFIX: &str = "xdt";
pub const SERVER_IF: &str = "vs";
pub const SERVER_ADDR: &str = "192.0.2.1";

pub struct Topology {
    pub server_ns: String,
    pub client_ns: String,
    /// Server-side veth (inside the server namespace), holds 192.0.2.1/24.
    pub server_if: String,
    /// Client-side veth (inside the client namespace), unnumbered unless asked.
    /// Unique host-wide, because dhcpcd keeps per-interface files on the host.
    pub client_if: String,
    namespaces: Vec<String>,
}

impl Topology {
    /// Creates both namespaces, the veth pair and 192.0.2.1/24 on the server side.
    pub fn new() -> Topology {
        let base = format!("{PREFIX}{}_{}", std::process::id(), next_seq());
        let mut t = Topology {
            server_ns: format!("{base}s"),
            client_ns: format!("{base}c"),
            server_if: SERVER_IF.to_string(),
            client_if: format!("{base}c"),
            namespaces: Vec::new(),
        };
        for ns in [t.server_ns.clone(), t.client_ns.clone()] {
            must("ip", &["netns", "add", &ns]);
            t.namespaces.push(ns.clone());
            must(
                "ip",
                &[
                    "netns",
                    "exec",
                    &ns,
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0",
                ],
            );
            must("ip", &["-n", &ns, "link", "set", "lo", "up"]);
        }
        must(
            "ip",
            &[
                "-n",
                &t.server_ns,
                "link",
                "add",
                &t.server_if,
                "mtu",
                "1500",
                "type",
                "veth",
                "peer",
                "name",
                &t.client_if,
                "mtu",
                "1500",
                "netns",
                &t.client_ns,
            ],
        );
        must(
            "ip",
            &[
                "-n",
                &t.server_ns,
                "addr",
                "add",
                &format!("{SERVER_ADDR}/24"),
                "dev",
                &t.server_if,
            ],
        );
        must(
            "ip",
            &["-n", &t.server_ns, "link", "set", &t.server_if, "up"],
        );
        must(
            "ip",
            &["-n", &t.client_ns, "link", "set", &t.client_if, "up"],
        );
        t
    }

    /// Adds a macvlan (mode bridge) with a fixed MAC on the client veth; returns its name.
    pub fn add_macvlan(&self, name: &str, mac: &str) -> String {
        must(
            "ip",
            &[
                "-n",
                &self.client_ns,
                "link",
                "add",
                name,
                "link",
                &self.client_if,
                "address",
                mac,
                "type",
                "macvlan",
                "mode",
                "bridge",
            ],
        );
        must("ip", &["-n", &self.client_ns, "link", "set", name, "up"]);
        name.to_string()
    }

    /// Adds an address (CIDR) on the client veth.
    pub fn client_addr(&self, cidr: &str) {
        must(
            "ip",
            &[
                "-n",
                &self.client_ns,
                "addr",
                "add",
                cidr,
                "dev",
                &self.client_if,
            ],
        );
    }

    /// Adds an on-link route on the client veth.
    pub fn client_route(&self, cidr: &str) {
        must(
            "ip",
            &[
                "-n",
                &self.client_ns,
                "route",
                "add",
                cidr,
                "dev",
                &self.client_if,
            ],
        );
    }

    /// Adds an on-link route on the server veth (towards relays / perfdhcp).
    pub fn server_route(&self, cidr: &str) {
        must(
            "ip",
            &[
                "-n",
                &self.server_ns,
                "route",
                "add",
                cidr,
                "dev",
                &self.server_if,
            ],
        );
    }

    /// Removes all addresses from an interface in the client namespace.
    pub fn flush_client_addrs(&self, ifname: &str) {
        must(
            "ip",
            &["-n", &self.client_ns, "addr", "flush", "dev", ifname],
        );
    }

    /// MAC address of an interface in the client namespace.
    pub fn client_mac(&self, ifname: &str) -> String {
        let out = must("ip", &["-n", &self.client_ns, "-o", "link", "show", ifname]);
        out.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .unwrap_or_default()
            .to_string()
    }
}

impl Default for Topology {
    fn default() -> Topology {
        Topology::new()
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        for ns in self.namespaces.iter().rev() {
            remove_namespace(ns);
        }
    }
}

/// Kills every process inside a namespace and deletes it.
pub fn remove_namespace(ns: &str) {
    for _ in 0..3 {
        let out = run("ip", &["netns", "pids", ns]);
        let pids: Vec<u32> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if pids.is_empty() {
            break;
        }
        for p in pids {
            signal(p, libc::SIGKILL);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = run("ip", &["netns", "del", ns]);
}

static SWEEP: Once = Once::new();

/// Once per process: removes namespaces and temp dirs named with PREFIX whose
/// creating process is gone.
pub fn sweep_stale_once() {
    SWEEP.call_once(|| {
        let me = std::process::id();
        let out = run("ip", &["netns", "list"]);
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if owner_pid(name, PREFIX, '_').is_some_and(|pid| pid != me && !pid_alive(pid)) {
                eprintln!("systest: removing stale namespace {name}");
                remove_namespace(name);
            }
        }
        if let Ok(rd) = std::fs::read_dir(std::env::temp_dir()) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if owner_pid(&name, "xdt-", '-').is_some_and(|pid| pid != me && !pid_alive(pid)) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    });
}

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn owner_pid(name: &str, prefix: &str, sep: char) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    let (pid, _) = rest.split_once(sep)?;
    pid.parse().ok()
}
