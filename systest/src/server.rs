//! Runs the DHCP server under test (xdhcpd, or ISC Kea to prove the harness)
//! inside the server namespace.

use crate::config::{ServerConfig, q};
use crate::util::{TempDir, ns_command, run, signal, stop_child, wait_for};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    Xdhcpd,
    Kea,
}

impl ServerKind {
    /// `XDHCP_SYSTEST_SERVER=kea` selects Kea; anything else (or unset) xdhcpd.
    pub fn from_env() -> ServerKind {
        match std::env::var("XDHCP_SYSTEST_SERVER").as_deref() {
            Ok("kea") | Ok("kea-dhcp4") => ServerKind::Kea,
            _ => ServerKind::Xdhcpd,
        }
    }

    /// The server binary; for xdhcpd panics with a build hint when missing.
    pub fn binary(self) -> PathBuf {
        match self {
            ServerKind::Kea => crate::util::which("kea-dhcp4")
                .expect("kea-dhcp4 not installed; run scripts/setup.sh"),
            ServerKind::Xdhcpd => xdhcpd_bin(),
        }
    }

    /// Runs the config check (`xdhcpd -t FILE` / `kea-dhcp4 -t FILE`).
    pub fn check_config(self, file: &Path) -> Output {
        let mut c = Command::new(self.binary());
        c.arg("-t").arg(file).stdin(Stdio::null());
        let d = TempDir::new("check");
        if self == ServerKind::Kea {
            c.env("KEA_PIDFILE_DIR", d.path())
                .env("KEA_LOCKFILE_DIR", d.path());
        }
        c.output().expect("run config check")
    }
}

/// `XDHCPD_BIN`, else `<workspace>/target/debug/xdhcpd`.
pub fn xdhcpd_bin() -> PathBuf {
    let p = std::env::var_os("XDHCPD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target/debug/xdhcpd"));
    assert!(
        p.is_file(),
        "xdhcpd binary not found at {}: run `cargo build -p xdhcp-engine` first (or set XDHCPD_BIN; \
         XDHCP_SYSTEST_SERVER=kea runs the suite against ISC Kea)",
        p.display()
    );
    p
}

/// One row of a Kea memfile CSV lease table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub address: Ipv4Addr,
    pub hwaddr: String,
    pub client_id: String,
    pub valid_lifetime: u64,
    pub expire: u64,
    pub subnet_id: u32,
    pub hostname: String,
    pub state: u32,
}

/// Parses Kea memfile CSV (header line, then rows) without folding.
pub fn parse_lease_csv(text: &str) -> Vec<Lease> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let idx = |n: &str| cols.iter().position(|c| *c == n);
    let (ia, ih, ic, iv, ie, is, ihn, ist) = (
        idx("address"),
        idx("hwaddr"),
        idx("client_id"),
        idx("valid_lifetime"),
        idx("expire"),
        idx("subnet_id"),
        idx("hostname"),
        idx("state"),
    );
    assert!(
        ia.is_some(),
        "lease CSV has no `address` column: {header:?}"
    );
    let mut out = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(|s| s.trim()).unwrap_or("");
        let Ok(address) = get(ia).parse() else {
            panic!("bad lease row {l:?}");
        };
        out.push(Lease {
            address,
            hwaddr: get(ih).to_ascii_lowercase(),
            client_id: get(ic).to_string(),
            valid_lifetime: get(iv).parse().unwrap_or(0),
            expire: get(ie).parse().unwrap_or(0),
            subnet_id: get(is).parse().unwrap_or(0),
            hostname: get(ihn).to_string(),
            state: get(ist).parse().unwrap_or(0),
        });
    }
    out
}

/// Folds an append-only memfile (Kea's): last row per address wins; a row
/// with valid_lifetime 0 deletes; only state 0 (default) leases are live.
pub fn fold_memfile(rows: Vec<Lease>) -> Vec<Lease> {
    let mut m: BTreeMap<Ipv4Addr, Lease> = BTreeMap::new();
    for r in rows {
        if r.valid_lifetime == 0 {
            m.remove(&r.address);
        } else {
            m.insert(r.address, r);
        }
    }
    m.into_values().filter(|l| l.state == 0).collect()
}

/// Server statistics by Kea's names; missing ones read as 0.
#[derive(Clone, Debug, Default)]
pub struct Stats(pub BTreeMap<String, i64>);

impl Stats {
    pub fn get(&self, name: &str) -> i64 {
        self.0.get(name).copied().unwrap_or(0)
    }
    /// Parses the text after `statistics:` (`name=value` pairs).
    pub fn parse_line(line: &str) -> Stats {
        let rest = line.split_once("statistics:").map(|x| x.1).unwrap_or(line);
        let mut m = BTreeMap::new();
        for tok in rest.split_whitespace() {
            let kv = tok.split_once('=');
            if let Some((k, Ok(v))) = kv.map(|(k, v)| (k, v.trim_end_matches(',').parse())) {
                m.insert(k.to_string(), v);
            }
        }
        Stats(m)
    }
    /// Parses Kea's `statistic-get-all` answer: `"name": [ [ value, "time" ], ...]`.
    pub fn parse_kea_json(text: &str) -> Stats {
        let b = text.as_bytes();
        let mut m = BTreeMap::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'"' {
                i += 1;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let key = &text[start..j.min(b.len())];
            i = j + 1;
            let mut k = i;
            let skip = |k: &mut usize, c: u8| -> bool {
                while *k < b.len() && b[*k].is_ascii_whitespace() {
                    *k += 1;
                }
                if *k < b.len() && b[*k] == c {
                    *k += 1;
                    true
                } else {
                    false
                }
            };
            if skip(&mut k, b':') && skip(&mut k, b'[') && skip(&mut k, b'[') {
                while k < b.len() && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                let ns = k;
                while k < b.len() && (b[k].is_ascii_digit() || b[k] == b'-') {
                    k += 1;
                }
                if let Ok(v) = text[ns..k].parse() {
                    m.insert(key.to_string(), v);
                }
            }
        }
        Stats(m)
    }
}

pub struct Server {
    pub kind: ServerKind,
    pub ns: String,
    pub config: ServerConfig,
    pub config_path: PathBuf,
    /// The memfile `name` (a `.csv` path in the temp dir).
    pub lease_file: PathBuf,
    pub log_path: PathBuf,
    ctrl_sock: PathBuf,
    child: Option<Child>,
    dir: TempDir,
    /// Configuration text used whole instead of rendering `config` (see `start_text`).
    raw: Option<String>,
}

impl Server {
    /// The kind from the environment (`XDHCP_SYSTEST_SERVER`).
    pub fn start(ns: &str, config: &ServerConfig) -> Server {
        Server::start_kind(ServerKind::from_env(), ns, config)
    }

    pub fn start_kind(kind: ServerKind, ns: &str, config: &ServerConfig) -> Server {
        Server::start_prepared(kind, ns, config, |_| {})
    }

    /// [`start_kind`](Self::start_kind), with `prepare(lease_file)` run before the server
    /// starts (e.g. to put a Kea lease file where the configuration names it).
    pub fn start_prepared(
        kind: ServerKind,
        ns: &str,
        config: &ServerConfig,
        prepare: impl FnOnce(&Path),
    ) -> Server {
        let dir = TempDir::new("srv");
        let mut s = Server {
            kind,
            ns: ns.to_string(),
            config: config.clone(),
            config_path: dir.join("server.json"),
            lease_file: dir.join("leases4.csv"),
            log_path: dir.join("server.log"),
            ctrl_sock: dir.join("kea.sock"),
            child: None,
            dir,
            raw: None,
        };
        s.write_config();
        prepare(&s.lease_file);
        s.spawn();
        s
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The rendered configuration as written for this server kind.
    pub fn render(&self, config: &ServerConfig) -> String {
        let lease = self.lease_file.to_string_lossy();
        let extra = match self.kind {
            ServerKind::Xdhcpd => Vec::new(),
            ServerKind::Kea => vec![
                format!(
                    "\"control-socket\": {{ \"socket-type\": \"unix\", \"socket-name\": {} }}",
                    q(&self.ctrl_sock.to_string_lossy())
                ),
                format!(
                    "\"loggers\": [ {{ \"name\": \"kea-dhcp4\", \"output_options\": [ {{ \"output\": \"stdout\" }} ], {} }} ]",
                    if std::env::var("XDHCP_SYSTEST_DEBUG").as_deref() == Ok("1") {
                        "\"severity\": \"DEBUG\", \"debuglevel\": 99"
                    } else {
                        "\"severity\": \"INFO\""
                    }
                ),
            ],
        };
        config.render(&lease, &extra)
    }

    /// Starts a server on configuration text given whole (e.g. one of Kea's example
    /// files); every `@LEASES@` in it becomes this server's lease file path.
    pub fn start_text(kind: ServerKind, ns: &str, text: &str) -> Server {
        let dir = TempDir::new("srv");
        let lease_file = dir.join("leases4.csv");
        let raw = text.replace("@LEASES@", &lease_file.to_string_lossy());
        let mut s = Server {
            kind,
            ns: ns.to_string(),
            config: ServerConfig::new(&[]),
            config_path: dir.join("server.json"),
            lease_file,
            log_path: dir.join("server.log"),
            ctrl_sock: dir.join("kea.sock"),
            child: None,
            dir,
            raw: Some(raw),
        };
        s.write_config();
        s.spawn();
        s
    }

    fn write_config(&self) {
        let text = match &self.raw {
            Some(raw) => raw.clone(),
            None => self.render(&self.config),
        };
        std::fs::write(&self.config_path, text).expect("write config");
    }

    fn spawn(&mut self) {
        let bin = self.kind.binary();
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open server log");
        let mut c = ns_command(&self.ns, &bin.to_string_lossy());
        c.arg("-c").arg(&self.config_path);
        if self.kind == ServerKind::Xdhcpd
            && std::env::var("XDHCP_SYSTEST_DEBUG").as_deref() == Ok("1")
        {
            c.arg("-d");
        }
        if self.kind == ServerKind::Kea {
            c.env("KEA_PIDFILE_DIR", self.dir.path())
                .env("KEA_LOCKFILE_DIR", self.dir.path());
        }
        c.stdout(log.try_clone().expect("dup log")).stderr(log);
        let child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        self.child = Some(child);
        let ns = self.ns.clone();
        let ready = wait_for(Duration::from_secs(15), || {
            if !self.is_alive() {
                return Some(false);
            }
            let out = run("ip", &["netns", "exec", &ns, "ss", "-Huln", "sport = :67"]);
            (!out.stdout.is_empty()).then_some(true)
        });
        match ready {
            Some(true) => {}
            Some(false) => panic!("{:?} exited at start-up; log:\n{}", self.kind, self.log()),
            None => panic!(
                "{:?} not listening on :67 after 15 s; log:\n{}",
                self.kind,
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

    /// The server's log so far (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// SIGTERM, then waits up to 10 s (SIGKILL after); returns the exit status.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let child = self.child.take()?;
        stop_child(child, &format!("{:?}", self.kind))
    }

    /// SIGKILL (a crash: nothing is flushed or synced by the server) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), libc::SIGKILL);
            let _ = child.wait();
        }
    }

    /// Starts the server again (after [`kill`](Self::kill) or [`stop`](Self::stop)) with
    /// the same configuration file.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "server still running");
        self.spawn();
    }

    /// `xdhcpd --export-leases FILE -c CONFIG`.
    pub fn export_leases(&self, file: &Path) -> Output {
        Command::new(xdhcpd_bin())
            .arg("--export-leases")
            .arg(file)
            .arg("-c")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .output()
            .expect("run xdhcpd --export-leases")
    }

    /// Stops (expecting a clean exit 0) and starts again with the same config.
    pub fn restart(&mut self) {
        let st = self.stop().expect("server was running");
        assert!(
            st.success(),
            "{:?} did not exit 0 on SIGTERM ({st}); log:\n{}",
            self.kind,
            self.log()
        );
        self.spawn();
    }

    /// Optionally rewrites the config, then sends SIGHUP and checks the server survives.
    pub fn reload(&mut self, config: Option<&ServerConfig>) {
        if let Some(c) = config {
            self.config = c.clone();
            self.write_config();
        }
        signal(self.pid(), libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(1000));
        assert!(
            self.is_alive(),
            "server died on SIGHUP; log:\n{}",
            self.log()
        );
    }

    /// Current statistics: xdhcpd via SIGUSR1 and its `statistics:` log line,
    /// Kea via its control socket (`statistic-get-all`).
    pub fn stats(&mut self) -> Stats {
        match self.kind {
            ServerKind::Kea => {
                let text = kea_command(&self.ctrl_sock, "statistic-get-all");
                assert!(
                    text.contains("\"result\": 0"),
                    "Kea statistic-get-all failed: {text}"
                );
                Stats::parse_kea_json(&text)
            }
            ServerKind::Xdhcpd => {
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
                .unwrap_or_else(|| {
                    panic!(
                        "no new `statistics:` line within 5 s of SIGUSR1; log:\n{}",
                        self.log()
                    )
                });
                Stats::parse_line(&line)
            }
        }
    }

    /// The live leases: `xdhcpd --dump-leases` (rows as printed), or Kea's
    /// memfile CSV folded.
    pub fn leases(&self) -> Vec<Lease> {
        match self.kind {
            ServerKind::Xdhcpd => {
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
                parse_lease_csv(&String::from_utf8_lossy(&out.stdout))
            }
            ServerKind::Kea => {
                let text = std::fs::read_to_string(&self.lease_file).unwrap_or_default();
                fold_memfile(parse_lease_csv(&text))
            }
        }
    }

    /// The live lease for a MAC address (lowercase `aa:bb:..`), if any.
    pub fn lease_for(&self, mac: &str) -> Option<Lease> {
        let mac = mac.to_ascii_lowercase();
        self.leases().into_iter().find(|l| l.hwaddr == mac)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let st = self.stop();
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            eprintln!(
                "---- {:?} log tail ({}), exit {:?} ----\n{}\n---- end ----",
                self.kind,
                self.log_path.display(),
                st,
                tail.join("\n")
            );
        }
    }
}

/// Sends `{ "command": COMMAND }` to a Kea control socket and returns the answer.
pub fn kea_command(sock: &Path, command: &str) -> String {
    let mut s = std::os::unix::net::UnixStream::connect(sock)
        .unwrap_or_else(|e| panic!("connect Kea control socket {}: {e}", sock.display()));
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    write!(s, "{{ \"command\": \"{command}\" }}").expect("write Kea command");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_line() {
        let s = Stats::parse_line(
            "2025 INFO statistics: pkt4-received=12 pkt4-parse-failed=3 subnet[1].assigned-addresses=2",
        );
        assert_eq!(s.get("pkt4-received"), 12);
        assert_eq!(s.get("pkt4-parse-failed"), 3);
        assert_eq!(s.get("subnet[1].assigned-addresses"), 2);
        assert_eq!(s.get("nope"), 0);
    }

    #[test]
    fn parses_kea_stats() {
        let s = Stats::parse_kea_json(
            r#"{ "arguments": { "pkt4-received": [ [ 7, "2024-01-01 00:00:00.1" ], [ 0, "x" ] ], "subnet[1].total-addresses": [[100,"t"]] }, "result": 0 }"#,
        );
        assert_eq!(s.get("pkt4-received"), 7);
        assert_eq!(s.get("subnet[1].total-addresses"), 100);
    }

    #[test]
    fn folds_memfile() {
        let csv = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n\
                   192.0.2.100,02:00:00:00:00:01,,30,100,1,0,0,,0,,0\n\
                   192.0.2.101,02:00:00:00:00:02,,30,100,1,0,0,,0,,0\n\
                   192.0.2.100,02:00:00:00:00:01,,0,100,1,0,0,,0,,0\n";
        let rows = parse_lease_csv(csv);
        assert_eq!(rows.len(), 3);
        let live = fold_memfile(rows);
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].address, "192.0.2.101".parse::<Ipv4Addr>().unwrap());
    }
}
