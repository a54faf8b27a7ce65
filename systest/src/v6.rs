//! DHCPv6 pieces of the harness: the v6 topology (2001:db8:1::1/64 on the server side,
//! DAD off, link-local addresses ready), `Dhcp6` configurations, an xdhcpd runner that
//! waits for `[::]:547` (and `:67` when the file has a `Dhcp4` section too), and the v6
//! clients: ISC dhclient `-6 -N -P`, dhcpcd with `ia_na`/`ia_pd`, and `perfdhcp -6`.

use crate::config::{ServerConfig, q};
use crate::netns::Topology;
use crate::perfdhcp::PerfResult;
use crate::server::xdhcpd_bin;
use crate::util::{TempDir, must, ns_command, run, signal, stop_child, wait_for, write_script};
use crate::{Stats, server};
use std::fs::File;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

/// The server's global address on the LAN.
pub const SERVER6_ADDR: &str = "2001:db8:1::1";
/// An address for the client side when it plays a relay (perfgen, hand-built relays).
pub const RELAY6_ADDR: &str = "2001:db8:1::2";
/// The LAN's address pool and prefix-delegation pool.
pub const POOL6: (&str, &str) = ("2001:db8:1::100", "2001:db8:1::ffff");
pub const PD_POOL: (&str, u8, u8) = ("2001:db8:100::", 40, 56);

/// A topology for DHCPv6: [`Topology::new`] plus 2001:db8:1::1/64 on the server veth,
/// with both ends' link-local addresses (and the server's global one) usable.
pub fn topology6() -> Topology {
    let t = Topology::new();
    must(
        "ip",
        &[
            "-n",
            &t.server_ns,
            "addr",
            "add",
            &format!("{SERVER6_ADDR}/64"),
            "dev",
            &t.server_if,
        ],
    );
    wait_link_local(&t.server_ns, &t.server_if);
    wait_link_local(&t.client_ns, &t.client_if);
    wait_addr_ready(&t.server_ns, &t.server_if, SERVER6_ADDR);
    t
}

/// Waits until `ifname` in `ns` has a link-local address that is not tentative.
pub fn wait_link_local(ns: &str, ifname: &str) -> Ipv6Addr {
    wait_for(Duration::from_secs(10), || {
        let out = run(
            "ip",
            &[
                "-n", ns, "-6", "-o", "addr", "show", "dev", ifname, "scope", "link",
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| !l.contains("tentative"))
            .and_then(|l| l.split_whitespace().skip_while(|w| *w != "inet6").nth(1))
            .and_then(|a| a.split('/').next()?.parse().ok())
    })
    .unwrap_or_else(|| panic!("no usable link-local address on {ifname} in {ns} after 10 s"))
}

/// Waits until `addr` on `ifname` in `ns` is usable (present, not tentative).
pub fn wait_addr_ready(ns: &str, ifname: &str, addr: &str) {
    let ok = wait_for(Duration::from_secs(10), || {
        let out = run("ip", &["-n", ns, "-6", "-o", "addr", "show", "dev", ifname]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .any(|l| l.contains(&format!(" {addr}/")) && !l.contains("tentative"))
            .then_some(())
    });
    assert!(
        ok.is_some(),
        "{addr} not usable on {ifname} in {ns} after 10 s"
    );
}

/// Lifetimes of a `Dhcp6` section: preferred, valid, renew (T1), rebind (T2).
#[derive(Clone, Copy, Debug)]
pub struct Timers6 {
    pub preferred: u32,
    pub valid: u32,
    pub renew: u32,
    pub rebind: u32,
}

impl Default for Timers6 {
    fn default() -> Timers6 {
        Timers6 {
            preferred: 3000,
            valid: 4000,
            renew: 1000,
            rebind: 2000,
        }
    }
}

/// The body of a `Dhcp6` section for the standard LAN: subnet 2001:db8:1::/64 on
/// `server_if` with [`POOL6`] and [`PD_POOL`]. `interface` is the `interfaces-config`
/// entry (e.g. `"vs"` or `"vs/2001:db8:1::1"`). Lease file and server DUID go under
/// `@DIR@` (the server's folder, see [`Server6::start`]).
pub fn lan6_section(interface: &str, server_if: &str, t: Timers6) -> String {
    format!(
        r#"{{
    "interfaces-config": {{ "interfaces": [ {iface} ] }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases6.csv", "persist": true }},
    "data-directory": "@DIR@",
    "preferred-lifetime": {p}, "valid-lifetime": {v}, "renew-timer": {r}, "rebind-timer": {b},
    "expired-leases-processing": {{ "reclaim-timer-wait-time": 1, "hold-reclaimed-time": 3600 }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64", "interface": {sif},
        "pools": [ {{ "pool": "{p0} - {p1}" }} ],
        "pd-pools": [ {{ "prefix": "{pd}", "prefix-len": {pl}, "delegated-len": {dl} }} ] }} ]
  }}"#,
        iface = q(interface),
        sif = q(server_if),
        p = t.preferred,
        v = t.valid,
        r = t.renew,
        b = t.rebind,
        p0 = POOL6.0,
        p1 = POOL6.1,
        pd = PD_POOL.0,
        pl = PD_POOL.1,
        dl = PD_POOL.2,
    )
}

/// A whole file with only a `Dhcp6` section.
pub fn config6(section: &str) -> String {
    format!("{{\n  \"Dhcp6\": {section}\n}}\n")
}

/// A whole file with the `Dhcp4` section `v4` renders (lease file `@DIR@/leases4.csv`)
/// and the `Dhcp6` section `section`.
pub fn config46(v4: &ServerConfig, section: &str) -> String {
    let text = v4.render("@DIR@/leases4.csv", &[]);
    let body = text.trim_end();
    let body = body.strip_suffix('}').expect("a JSON object").trim_end();
    format!("{body},\n  \"Dhcp6\": {section}\n}}\n")
}

/// One row of Kea's DHCPv6 memfile CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease6Row {
    pub address: Ipv6Addr,
    pub duid: String,
    pub valid_lifetime: u64,
    pub expire: u64,
    pub subnet_id: u32,
    /// 0 = IA_NA, 1 = IA_TA, 2 = IA_PD.
    pub lease_type: u8,
    pub iaid: u32,
    pub prefix_len: u8,
    pub hwaddr: String,
    pub state: u32,
}

impl Lease6Row {
    pub fn is_pd(&self) -> bool {
        self.lease_type == 2
    }
}

/// The DHCPv6 block of `--dump-leases` output (from its `address,duid,` header on).
pub fn parse_v6_csv(text: &str) -> Vec<Lease6Row> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.starts_with("address,duid,"))
        .filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let cols: Vec<&str> = header.split(',').collect();
    let idx = |n: &str| {
        cols.iter()
            .position(|c| *c == n)
            .unwrap_or_else(|| panic!("no {n} column in {header:?}"))
    };
    let (ia, id, iv, ie, is, it, ii, ip, ih, ist) = (
        idx("address"),
        idx("duid"),
        idx("valid_lifetime"),
        idx("expire"),
        idx("subnet_id"),
        idx("lease_type"),
        idx("iaid"),
        idx("prefix_len"),
        idx("hwaddr"),
        idx("state"),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let g = |i: usize| f.get(i).copied().unwrap_or("").trim();
            Lease6Row {
                address: g(ia)
                    .parse()
                    .unwrap_or_else(|_| panic!("bad v6 lease row {l:?}")),
                duid: g(id).to_ascii_lowercase(),
                valid_lifetime: g(iv).parse().unwrap_or(0),
                expire: g(ie).parse().unwrap_or(0),
                subnet_id: g(is).parse().unwrap_or(0),
                lease_type: g(it).parse().unwrap_or(0),
                iaid: g(ii).parse().unwrap_or(0),
                prefix_len: g(ip).parse().unwrap_or(0),
                hwaddr: g(ih).to_ascii_lowercase(),
                state: g(ist).parse().unwrap_or(0),
            }
        })
        .collect()
}

/// xdhcpd run with a configuration given as text (`@DIR@` becomes its folder).
pub struct Server6 {
    pub ns: String,
    pub config_path: PathBuf,
    pub log_path: PathBuf,
    /// Whether the file has a `Dhcp4` section (then `:67` must be listening too).
    pub has_dhcp4: bool,
    child: Option<Child>,
    dir: TempDir,
}

impl Server6 {
    pub fn start(ns: &str, text: &str) -> Server6 {
        let dir = TempDir::new("srv6");
        let text = text.replace("@DIR@", &dir.path().to_string_lossy());
        let config_path = dir.join("server.json");
        std::fs::write(&config_path, &text).expect("write config");
        let mut s = Server6 {
            ns: ns.to_string(),
            config_path,
            log_path: dir.join("server.log"),
            has_dhcp4: text.contains("\"Dhcp4\""),
            child: None,
            dir,
        };
        s.spawn();
        s
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn spawn(&mut self) {
        let bin = xdhcpd_bin();
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open server log");
        let mut c = ns_command(&self.ns, &bin.to_string_lossy());
        c.arg("-c").arg(&self.config_path);
        if std::env::var("XDHCP_SYSTEST_DEBUG").as_deref() == Ok("1") {
            c.arg("-d");
        }
        c.stdout(log.try_clone().expect("dup log")).stderr(log);
        self.child = Some(c.spawn().expect("start xdhcpd"));
        let mut ports = vec![":547"];
        if self.has_dhcp4 {
            ports.push(":67");
        }
        let ns = self.ns.clone();
        let ready = wait_for(Duration::from_secs(15), || {
            if !self.is_alive() {
                return Some(false);
            }
            let all = ports.iter().all(|p| {
                let filter = format!("sport = {p}");
                let out = run("ip", &["netns", "exec", &ns, "ss", "-Huln", &filter]);
                !out.stdout.is_empty()
            });
            all.then_some(true)
        });
        match ready {
            Some(true) => {}
            Some(false) => panic!("xdhcpd exited at start-up; log:\n{}", self.log()),
            None => panic!(
                "xdhcpd not listening on {ports:?} after 15 s; log:\n{}",
                self.log()
            ),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    pub fn is_alive(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// SIGTERM, then waits up to 10 s (SIGKILL after).
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let child = self.child.take()?;
        stop_child(child, "xdhcpd")
    }

    /// Stops (expecting exit 0) and starts again with the same configuration.
    pub fn restart(&mut self) {
        let st = self.stop().expect("server was running");
        assert!(
            st.success(),
            "xdhcpd did not exit 0 on SIGTERM ({st}); log:\n{}",
            self.log()
        );
        self.spawn();
    }

    /// SIGHUP; checks the server survives.
    pub fn reload(&mut self) {
        signal(self.pid(), libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            self.is_alive(),
            "xdhcpd died on SIGHUP; log:\n{}",
            self.log()
        );
    }

    /// SIGUSR1 and the `statistics:` line it logs.
    pub fn stats(&mut self) -> Stats {
        let count = |s: &str| s.lines().filter(|l| l.contains("statistics:")).count();
        let before = count(&self.log());
        signal(self.pid(), libc::SIGUSR1);
        let line = wait_for(Duration::from_secs(5), || {
            let log = self.log();
            (count(&log) > before)
                .then(|| {
                    log.lines()
                        .rev()
                        .find(|l| l.contains("statistics:"))
                        .map(String::from)
                })
                .flatten()
        })
        .unwrap_or_else(|| panic!("no `statistics:` line after SIGUSR1; log:\n{}", self.log()));
        Stats::parse_line(&line)
    }

    /// `xdhcpd --dump-leases -c FILE` output.
    pub fn dump(&self) -> String {
        let out = Command::new(xdhcpd_bin())
            .arg("--dump-leases")
            .arg("-c")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .output()
            .expect("run xdhcpd --dump-leases");
        assert!(
            out.status.success(),
            "xdhcpd --dump-leases failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The live DHCPv6 leases (`--dump-leases`, v6 block).
    pub fn leases6(&self) -> Vec<Lease6Row> {
        parse_v6_csv(&self.dump())
    }

    /// The live DHCPv4 leases (`--dump-leases`, the v4 block before the v6 one).
    pub fn leases4(&self) -> Vec<server::Lease> {
        let text = self.dump();
        let v4: String = text
            .lines()
            .take_while(|l| !l.starts_with("address,duid,"))
            .collect::<Vec<_>>()
            .join("\n");
        server::parse_lease_csv(&v4)
    }

    /// The server DUID in the server-id file (colon hex), if written.
    pub fn server_id_file(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("kea-dhcp6-serverid"))
            .ok()
            .map(|s| s.trim().to_string())
    }
}

impl Drop for Server6 {
    fn drop(&mut self) {
        let st = self.stop();
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            eprintln!(
                "---- xdhcpd log tail ({}), exit {st:?} ----\n{}\n---- end ----",
                self.log_path.display(),
                tail.join("\n")
            );
        }
    }
}

/// One hook call of a v6 client: reason, address and prefix it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event6 {
    pub reason: String,
    pub addr: Option<Ipv6Addr>,
    pub prefix: Option<(Ipv6Addr, u8)>,
}

/// Reads `reason=R addr=A prefix=P/L` lines.
pub fn read_events6(log: &Path) -> Vec<Event6> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut ev = Event6 {
                reason: String::new(),
                addr: None,
                prefix: None,
            };
            for tok in l.split_whitespace() {
                if let Some(r) = tok.strip_prefix("reason=") {
                    ev.reason = r.to_string();
                } else if let Some(a) = tok.strip_prefix("addr=") {
                    ev.addr = a.parse().ok();
                } else if let Some(p) = tok.strip_prefix("prefix=") {
                    ev.prefix = p
                        .split_once('/')
                        .and_then(|(a, l)| Some((a.parse().ok()?, l.parse().ok()?)));
                }
            }
            (!ev.reason.is_empty()).then_some(ev)
        })
        .collect()
}

/// What a v6 client holds after its events: the newest address and prefix seen with
/// one of `reasons` from event index `from` on.
pub fn held(
    events: &[Event6],
    reasons: &[&str],
    from: usize,
) -> (Option<Ipv6Addr>, Option<(Ipv6Addr, u8)>) {
    let mut addr = None;
    let mut prefix = None;
    for e in events.iter().skip(from) {
        if reasons.contains(&e.reason.as_str()) {
            addr = e.addr.or(addr);
            prefix = e.prefix.or(prefix);
        }
    }
    (addr, prefix)
}

/// dhclient's hook: one line per call (it is called once per IA with `-N -P`).
const DHCLIENT6_HOOK: &str = r#"#!/bin/sh
echo "reason=$reason addr=$new_ip6_address prefix=$new_ip6_prefix old_addr=$old_ip6_address old_prefix=$old_ip6_prefix" >> "@LOG@"
exit 0
"#;

/// ISC dhclient for DHCPv6 asking for an address and a prefix in one exchange:
/// `dhclient -6 -N -P -D LL -d -1 -v -sf HOOK -lf LEASES -pf PID IFACE`. The DUID is
/// DUID-LL (from the interface MAC), so a fresh lease file keeps the client's identity.
pub struct Dhclient6 {
    pub ns: String,
    pub iface: String,
    dir: TempDir,
    child: Option<Child>,
    runs: usize,
}

impl Dhclient6 {
    pub fn new(ns: &str, iface: &str) -> Dhclient6 {
        let dir = TempDir::new("dhclient6");
        let hook = DHCLIENT6_HOOK.replace("@LOG@", &dir.join("hook.log").to_string_lossy());
        write_script(&dir.join("hook.sh"), &hook);
        Dhclient6 {
            ns: ns.to_string(),
            iface: iface.to_string(),
            dir,
            child: None,
            runs: 0,
        }
    }

    fn common_args(&self) -> Vec<String> {
        vec![
            "-N".into(),
            "-P".into(),
            "-D".into(),
            "LL".into(),
            "-sf".into(),
            self.dir.join("hook.sh").to_string_lossy().into(),
            "-lf".into(),
            self.dir.join("leases").to_string_lossy().into(),
            "-pf".into(),
            self.dir.join("pid").to_string_lossy().into(),
        ]
    }

    /// Starts dhclient in the foreground (bounded by `timeout 300`); it keeps running
    /// (and renewing) until stopped.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "dhclient already running");
        self.runs += 1;
        let log = File::create(self.dir.join(&format!("dhclient-{}.log", self.runs))).expect("log");
        let mut c = ns_command(&self.ns, "timeout");
        c.args(["300", "dhclient", "-6", "-d", "-1", "-v"])
            .args(self.common_args())
            .arg(&self.iface)
            .stdout(log.try_clone().expect("dup"))
            .stderr(log);
        self.child = Some(c.spawn().expect("spawn dhclient -6"));
    }

    pub fn events(&self) -> Vec<Event6> {
        read_events6(&self.dir.join("hook.log"))
    }

    /// Waits until the events from index `from` with one of `reasons` carry both an
    /// address and a prefix; returns them.
    pub fn wait_both(
        &self,
        reasons: &[&str],
        from: usize,
        timeout: Duration,
    ) -> (Ipv6Addr, (Ipv6Addr, u8)) {
        wait_for(timeout, || match held(&self.events(), reasons, from) {
            (Some(a), Some(p)) => Some((a, p)),
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!(
                "dhclient -6: no {reasons:?} with address and prefix within {timeout:?}; \
                 events {:?}; output:\n{}",
                self.events(),
                self.output()
            )
        })
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.join(&format!("dhclient-{}.log", self.runs)))
            .unwrap_or_default()
    }

    /// SIGTERM (no Release is sent).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(c.id(), libc::SIGTERM);
            if wait_for(Duration::from_secs(5), || c.try_wait().ok().flatten()).is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    /// `dhclient -6 -N -P -r`: sends a Release for what the lease file holds.
    pub fn release(&mut self) -> Output {
        self.stop();
        ns_command(&self.ns, "timeout")
            .args(["30", "dhclient", "-6", "-r", "-v"])
            .args(self.common_args())
            .arg(&self.iface)
            .output()
            .expect("run dhclient -6 -r")
    }
}

impl Drop for Dhclient6 {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "---- dhclient -6 output ----\n{}\n---- end ----",
                self.output()
            );
        }
    }
}

const DHCPCD_DIRS: [&str; 2] = ["/var/lib/dhcpcd", "/run/dhcpcd"];

fn dhcpcd_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in DHCPCD_DIRS {
        if let Ok(rd) = std::fs::read_dir(d) {
            v.extend(rd.flatten().map(|e| e.path()));
        }
    }
    v
}

/// dhcpcd for DHCPv6 (`-6 -B -f CONF -c HOOK IFACE` with `noipv6rs`, `ia_na 1`,
/// `ia_pd 2 -`). On drop it is stopped, its new host files under /var/lib/dhcpcd and
/// /run/dhcpcd are removed, and the global addresses it installed are flushed (the
/// link-local address stays, so later clients can still send).
pub struct Dhcpcd6 {
    pub ns: String,
    pub iface: String,
    dir: TempDir,
    child: Option<Child>,
    before: Vec<PathBuf>,
}

impl Dhcpcd6 {
    /// Starts dhcpcd; with `oneshot` it exits once bound (`-1`), else it keeps renewing.
    pub fn start(ns: &str, iface: &str, oneshot: bool) -> Dhcpcd6 {
        let dir = TempDir::new("dhcpcd6");
        let log = dir.join("hook.log");
        write_script(
            &dir.join("hook.sh"),
            &format!(
                "#!/bin/sh\necho \"reason=$reason addr=$new_dhcp6_ia_na1_ia_addr1 \
                 prefix=$new_dhcp6_ia_pd1_prefix1/$new_dhcp6_ia_pd1_prefix1_length\" >> \"{}\"\nexit 0\n",
                log.display()
            ),
        );
        std::fs::write(dir.join("dhcpcd.conf"), "noipv6rs\nia_na 1\nia_pd 2 -\n")
            .expect("write dhcpcd.conf");
        let before = dhcpcd_files();
        let out = File::create(dir.join("dhcpcd.log")).expect("log");
        let mut c = ns_command(ns, "timeout");
        c.args(["120", "dhcpcd", "-6", "-B", "-t", "30"]);
        if oneshot {
            c.arg("-1");
        }
        c.arg("-f")
            .arg(dir.join("dhcpcd.conf"))
            .arg("-c")
            .arg(dir.join("hook.sh"))
            .arg(iface)
            .stdout(out.try_clone().expect("dup"))
            .stderr(out);
        let child = c.spawn().expect("spawn dhcpcd");
        Dhcpcd6 {
            ns: ns.to_string(),
            iface: iface.to_string(),
            dir,
            child: Some(child),
            before,
        }
    }

    pub fn events(&self) -> Vec<Event6> {
        read_events6(&self.dir.join("hook.log"))
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.join("dhcpcd.log")).unwrap_or_default()
    }

    /// Waits for an event with one of `reasons` (index >= `from`) carrying both.
    pub fn wait_both(
        &self,
        reasons: &[&str],
        from: usize,
        timeout: Duration,
    ) -> (Ipv6Addr, (Ipv6Addr, u8)) {
        wait_for(timeout, || {
            self.events()
                .into_iter()
                .skip(from)
                .filter(|e| reasons.contains(&e.reason.as_str()))
                .find_map(|e| Some((e.addr?, e.prefix?)))
        })
        .unwrap_or_else(|| {
            panic!(
                "dhcpcd -6: no {reasons:?} with address and prefix within {timeout:?}; \
                 events {:?}; output:\n{}",
                self.events(),
                self.output()
            )
        })
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(c.id(), libc::SIGTERM);
            if wait_for(Duration::from_secs(5), || c.try_wait().ok().flatten()).is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

impl Drop for Dhcpcd6 {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "---- dhcpcd -6 output ----\n{}\n---- end ----",
                self.output()
            );
        }
        let _ = run(
            "ip",
            &[
                "-n",
                &self.ns,
                "-6",
                "addr",
                "flush",
                "dev",
                &self.iface,
                "scope",
                "global",
            ],
        );
        let _ = run(
            "ip",
            &["-n", &self.ns, "-6", "route", "flush", "proto", "dhcp"],
        );
        for p in dhcpcd_files() {
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

/// `perfdhcp -6 -g single -l IFACE -r RATE -p SECS -R CLIENTS -W 1000000` in `ns`,
/// bounded by `timeout`.
pub fn perfdhcp6(ns: &str, iface: &str, rate: u32, period: u32, clients: u32) -> PerfResult {
    let t = (period + 30).to_string();
    let args = [
        "-6".to_string(),
        "-g".into(),
        "single".into(),
        "-l".into(),
        iface.into(),
        "-r".into(),
        rate.to_string(),
        "-p".into(),
        period.to_string(),
        "-R".into(),
        clients.to_string(),
        "-W".into(),
        "1000000".into(),
    ];
    let out = ns_command(ns, "timeout")
        .arg(&t)
        .arg("perfdhcp")
        .args(args)
        .output()
        .expect("run perfdhcp -6");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = PerfResult::parse(&text);
    r.exit_code = out.status.code();
    r
}

/// perfdhcp's `non unique addresses: N` lines, summed.
pub fn non_unique_addresses(r: &PerfResult) -> u64 {
    r.output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("non unique addresses:"))
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .sum()
}
