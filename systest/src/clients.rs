//! Real DHCP clients run non-interactively in the client namespace, each with
//! a hook script that only appends what it is told to a log (see TESTBED.md).

use crate::util::{TempDir, ns_command, signal, wait_for, write_script};
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::Duration;

/// One hook invocation: `reason` and the address it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookEvent {
    pub reason: String,
    pub ip: Option<Ipv4Addr>,
    /// Other `key=value` pairs the hook logged (e.g. `routers`, `dns`, `host`).
    pub extra: Vec<(String, String)>,
}

impl HookEvent {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `reason=X ip=Y ...` lines from a hook log.
pub fn read_events(log: &Path) -> Vec<HookEvent> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut reason = None;
            let mut ip = None;
            let mut extra = Vec::new();
            for tok in l.split_whitespace() {
                if let Some(r) = tok.strip_prefix("reason=") {
                    reason = Some(r.to_string());
                } else if let Some(a) = tok.strip_prefix("ip=") {
                    ip = a.parse().ok();
                } else if let Some((k, v)) = tok.split_once('=') {
                    extra.push((k.to_string(), v.to_string()));
                }
            }
            Some(HookEvent {
                reason: reason?,
                ip,
                extra,
            })
        })
        .collect()
}

/// Hook for dhclient: logs, and puts the leased address on the interface
/// (inside the namespace) so that unicast RENEW and RELEASE can be sent.
const DHCLIENT_HOOK: &str = r#"#!/bin/sh
join() { echo "$1" | tr ' ' ','; }
echo "reason=$reason ip=$new_ip_address old=$old_ip_address iface=$interface routers=$(join "$new_routers") dns=$(join "$new_domain_name_servers") host=$new_host_name domain=$new_domain_name" >> "@LOG@"
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    [ -n "$new_ip_address" ] && ip addr replace "$new_ip_address/${new_subnet_mask:-255.255.255.0}" dev "$interface" ;;
  RELEASE|EXPIRE|FAIL)
    [ -n "$old_ip_address" ] && ip addr del "$old_ip_address/${old_subnet_mask:-255.255.255.0}" dev "$interface" 2>/dev/null ;;
esac
exit 0
"#;

/// ISC dhclient (`dhclient -4 -d -1 -v -sf HOOK -lf LEASES -pf PID IFACE`).
pub struct Dhclient {
    pub ns: String,
    pub iface: String,
    dir: TempDir,
    child: Option<Child>,
    runs: usize,
}

impl Dhclient {
    pub fn new(ns: &str, iface: &str) -> Dhclient {
        let dir = TempDir::new("dhclient");
        let hook = DHCLIENT_HOOK.replace("@LOG@", &dir.join("hook.log").to_string_lossy());
        write_script(&dir.join("hook.sh"), &hook);
        Dhclient {
            ns: ns.to_string(),
            iface: iface.to_string(),
            dir,
            child: None,
            runs: 0,
        }
    }

    /// The lease file; reusing it on the next `start` makes dhclient INIT-REBOOT.
    pub fn lease_file(&self) -> PathBuf {
        self.dir.join("leases")
    }

    pub fn hook_log(&self) -> PathBuf {
        self.dir.join("hook.log")
    }

    fn common_args(&self) -> Vec<String> {
        vec![
            "-sf".into(),
            self.dir.join("hook.sh").to_string_lossy().into(),
            "-lf".into(),
            self.lease_file().to_string_lossy().into(),
            "-pf".into(),
            self.dir.join("pid").to_string_lossy().into(),
        ]
    }

    /// Starts dhclient in the foreground (bounded by `timeout 300`).
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "dhclient already running");
        self.runs += 1;
        let log = File::create(self.dir.join(&format!("dhclient-{}.log", self.runs))).expect("log");
        let mut c = ns_command(&self.ns, "timeout");
        c.args(["300", "dhclient", "-4", "-d", "-1", "-v"])
            .args(self.common_args())
            .arg(&self.iface)
            .stdout(log.try_clone().expect("dup"))
            .stderr(log);
        self.child = Some(c.spawn().expect("spawn dhclient"));
    }

    pub fn events(&self) -> Vec<HookEvent> {
        read_events(&self.hook_log())
    }

    /// Waits for a hook event with one of `reasons` at index >= `from`.
    pub fn wait_reason(&self, reasons: &[&str], from: usize, timeout: Duration) -> HookEvent {
        wait_for(timeout, || {
            self.events()
                .into_iter()
                .skip(from)
                .find(|e| reasons.contains(&e.reason.as_str()))
        })
        .unwrap_or_else(|| {
            panic!(
                "dhclient: none of {reasons:?} within {timeout:?}; hook events {:?}; output:\n{}",
                self.events(),
                self.output()
            )
        })
    }

    /// dhclient's own output of the latest run.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.join(&format!("dhclient-{}.log", self.runs)))
            .unwrap_or_default()
    }

    /// Stops the running dhclient with SIGTERM (no RELEASE is sent).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(c.id(), libc::SIGTERM);
            if wait_for(Duration::from_secs(5), || c.try_wait().ok().flatten()).is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    /// `dhclient -r`: sends DHCPRELEASE for the lease in the lease file.
    pub fn release(&mut self) -> Output {
        self.stop();
        let mut c = ns_command(&self.ns, "timeout");
        c.args(["30", "dhclient", "-4", "-r", "-v"])
            .args(self.common_args())
            .arg(&self.iface);
        c.output().expect("run dhclient -r")
    }
}

impl Drop for Dhclient {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "---- dhclient output ----\n{}\n---- end ----",
                self.output()
            );
        }
    }
}

/// busybox udhcpc, once (`-f -q -n -t 5 -T 2`): returns the hook events.
pub fn udhcpc_once(ns: &str, iface: &str) -> (Vec<HookEvent>, Output) {
    let dir = TempDir::new("udhcpc");
    let log = dir.join("hook.log");
    write_script(
        &dir.join("hook.sh"),
        &format!(
            "#!/bin/sh\necho \"reason=$1 ip=$ip iface=$interface\" >> \"{}\"\nexit 0\n",
            log.display()
        ),
    );
    let out = ns_command(ns, "timeout")
        .args([
            "60", "udhcpc", "-f", "-q", "-n", "-t", "5", "-T", "2", "-i", iface, "-s",
        ])
        .arg(dir.join("hook.sh"))
        .output()
        .expect("run udhcpc");
    (read_events(&log), out)
}

/// Removes what dhcpcd leaves on the host (new files under /var/lib/dhcpcd
/// and /run/dhcpcd) and in the namespace (addresses, routes), even on panic.
struct DhcpcdCleanup {
    ns: String,
    iface: String,
    before: Vec<PathBuf>,
}

const DHCPCD_DIRS: [&str; 2] = ["/var/lib/dhcpcd", "/run/dhcpcd"];

fn list_dhcpcd_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in DHCPCD_DIRS {
        if let Ok(rd) = std::fs::read_dir(d) {
            v.extend(rd.flatten().map(|e| e.path()));
        }
    }
    v
}

impl Drop for DhcpcdCleanup {
    fn drop(&mut self) {
        let _ = crate::util::run(
            "ip",
            &["-n", &self.ns, "route", "flush", "dev", &self.iface],
        );
        let _ = crate::util::run("ip", &["-n", &self.ns, "addr", "flush", "dev", &self.iface]);
        for p in list_dhcpcd_files() {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !self.before.contains(&p) || name.contains(&self.iface) {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

/// dhcpcd once (`-4 -B -1 -A -L -t 20 -f /dev/null -c HOOK`): returns the
/// hook events; cleans its host files and its addresses/routes afterwards.
pub fn dhcpcd_once(ns: &str, iface: &str) -> (Vec<HookEvent>, Output) {
    let _cleanup = DhcpcdCleanup {
        ns: ns.to_string(),
        iface: iface.to_string(),
        before: list_dhcpcd_files(),
    };
    let dir = TempDir::new("dhcpcd");
    let log = dir.join("hook.log");
    write_script(
        &dir.join("hook.sh"),
        &format!(
            "#!/bin/sh\necho \"reason=$reason ip=$new_ip_address iface=$interface\" >> \"{}\"\nexit 0\n",
            log.display()
        ),
    );
    let out = ns_command(ns, "timeout")
        .args([
            "60",
            "dhcpcd",
            "-4",
            "-B",
            "-1",
            "-A",
            "-L",
            "-t",
            "20",
            "-f",
            "/dev/null",
            "-c",
        ])
        .arg(dir.join("hook.sh"))
        .arg(iface)
        .output()
        .expect("run dhcpcd");
    (read_events(&log), out)
}
