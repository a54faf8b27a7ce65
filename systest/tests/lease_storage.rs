//! Durable lease storage (xdhcpd only): a SIGKILL under load loses no lease a client was
//! told about (AF_XDP and UDP backends, three crashes each), `written-before-reply`
//! still serves, and leases round-trip through Kea's memfile CSV: a Kea lease file is
//! imported at the first start (a known client gets its old address back) and
//! `--export-leases` writes a file that Kea's own `kea-dhcp4` loads with the same leases
//! (read back through the lease_cmds hook's `lease4-get-all`).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use xdhcp_systest::server::kea_command;
use xdhcp_systest::util::{TempDir, wait_for};
use xdhcp_systest::*;

const RELAY: &str = "198.18.0.1";
const LEASE_CMDS: &str = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so";

fn relay_topology() -> Topology {
    let topo = Topology::new();
    topo.client_addr(&format!("{RELAY}/16"));
    topo.client_route("192.0.2.0/24");
    topo.server_route("198.18.0.0/16");
    topo
}

fn relay_config(topo: &Topology, xdhcp: &str) -> ServerConfig {
    lan_config(topo)
        .socket_type("udp")
        .subnet(Subnet::new(2, "198.18.0.0/16").pool("198.18.1.0", "198.18.255.254"))
        .xdhcp(xdhcp)
}

/// Warm-up: one exchange completes.
fn wait_answering(topo: &Topology, dir: &TempDir) {
    let warm = wait_for(Duration::from_secs(10), || {
        let w = run_perfgen(
            &topo.client_ns,
            &["-4", "-l", RELAY],
            "192.0.2.1",
            &dir.join("warm.csv"),
        );
        (w.completed == 1).then_some(())
    });
    assert!(warm.is_some(), "xdhcpd never answered a single exchange");
}

fn crash_under_load(xdhcp: &str, expect_xdp: bool) {
    init(&["ip", "ss"]);
    let topo = relay_topology();
    // Compaction (LFC) every second, so crashes also land during compactions.
    let cfg = relay_config(&topo, xdhcp).lfc_interval(1);
    let mut srv = Server::start_kind(ServerKind::Xdhcpd, &topo.server_ns, &cfg);
    assert_eq!(
        srv.log().contains("AF_XDP, XDP"),
        expect_xdp,
        "wrong backend; log:\n{}",
        srv.log()
    );
    let dir = TempDir::new("crash");
    wait_answering(&topo, &dir);
    let mut all_acks: Vec<(String, String)> = Vec::new();
    for round in 0..3 {
        let acks_file = dir.join(&format!("acks{round}.csv"));
        // Each round its own clients (perfgen's MACs follow its -b base).
        let base = format!("mac=02:{round:02x}:00:00:00:00");
        let ns = topo.client_ns.clone();
        let file = acks_file.clone();
        let load = std::thread::spawn(move || {
            run_perfgen(
                &ns,
                &[
                    "-4", "-r", "2000", "-p", "3", "-R", "20000", "-b", &base, "-l", RELAY, "-W",
                    "500000",
                ],
                "192.0.2.1",
                &file,
            )
        });
        std::thread::sleep(Duration::from_millis(800));
        let stats = srv.stats();
        assert!(
            stats.get("lease-log.commits") > 0,
            "no group commit counted: {:?}",
            stats.0
        );
        std::thread::sleep(Duration::from_millis(700));
        let killed_at = Instant::now();
        srv.kill();
        let report = load.join().expect("perfgen thread");
        let acks = read_acks(&acks_file);
        eprintln!(
            "round {round}: perfgen {} started, {} completed; {} ACKs saved; killed {:?} before perfgen ended",
            report.started,
            report.completed,
            acks.len(),
            killed_at.elapsed()
        );
        assert!(
            acks.len() > 200,
            "too few ACKs before the kill: {}",
            acks.len()
        );
        assert!(
            report.completed < report.started,
            "the kill did not interrupt the load: {}",
            report.json
        );
        all_acks.extend(acks);
        assert!(
            srv.log().contains("lease log compacted"),
            "no compaction ran under load; log:\n{}",
            srv.log()
        );
        srv.start_again();
        assert!(srv.log().contains("recovered"), "log:\n{}", srv.log());
        let leases: HashMap<String, String> = srv
            .leases()
            .into_iter()
            .map(|l| (l.address.to_string(), l.hwaddr))
            .collect();
        let lost: Vec<&(String, String)> = all_acks
            .iter()
            .filter(|(a, mac)| leases.get(a) != Some(mac))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} ACKed leases lost or given to another client after \
             SIGKILL, e.g. {:?}",
            lost.len(),
            all_acks.len(),
            &lost[..lost.len().min(5)]
        );
        // The restarted server serves again.
        wait_answering(&topo, &dir);
    }
    let st = srv.stop().expect("running");
    assert!(st.success(), "exit {st}; log:\n{}", srv.log());
}

#[test]
fn sigkill_under_load_loses_no_acked_lease_xdp() {
    crash_under_load(r#"{ "io-mode": "xdp", "segment-size": 1048576 }"#, true);
}

#[test]
fn sigkill_under_load_loses_no_acked_lease_udp() {
    crash_under_load(r#"{ "io-mode": "udp", "segment-size": 1048576 }"#, false);
}

#[test]
fn written_before_reply_still_serves() {
    init(&["ip", "ss"]);
    let topo = relay_topology();
    let cfg = relay_config(
        &topo,
        r#"{ "io-mode": "udp", "durability": "written-before-reply", "commit-window-us": 500 }"#,
    );
    let mut srv = Server::start_kind(ServerKind::Xdhcpd, &topo.server_ns, &cfg);
    assert!(
        srv.log()
            .contains("written-before-reply, commit window 500"),
        "{}",
        srv.log()
    );
    let dir = TempDir::new("wbr");
    wait_answering(&topo, &dir);
    let acks_file = dir.join("acks.csv");
    let r = run_perfgen(
        &topo.client_ns,
        &["-4", "-r", "500", "-p", "2", "-R", "5000", "-l", RELAY],
        "192.0.2.1",
        &acks_file,
    );
    assert_eq!(r.completed, r.started, "unfinished exchanges: {}", r.json);
    assert!(r.completed >= 900, "{}", r.json);
    let stats = srv.stats();
    assert!(stats.get("lease-log.commits") > 0, "{:?}", stats.0);
    srv.restart();
    let leases: HashMap<String, String> = srv
        .leases()
        .into_iter()
        .map(|l| (l.address.to_string(), l.hwaddr))
        .collect();
    for (a, mac) in read_acks(&acks_file) {
        assert_eq!(leases.get(&a), Some(&mac), "{a} lost over a clean restart");
    }
}

const MAC_KNOWN: &str = "02:00:00:00:0b:01";
const KNOWN_IP: &str = "192.0.2.150";

/// Kea's newest-schema sample (escaped hostname and user context, declined and
/// expired-reclaimed states), moved into 192.0.2.0/24 (subnet 1) and to the present,
/// plus one lease of a real client for the dhclient check.
fn kea_lease_file(now: u64) -> String {
    let sample =
        xdhcp_systest::shared_dir().join("kea-compat/data/leases/lease4-newest-schema-escaped.csv");
    let text =
        std::fs::read_to_string(&sample).unwrap_or_else(|e| panic!("{}: {e}", sample.display()));
    let mut lines = text.lines();
    let mut out = String::from(lines.next().expect("header"));
    out.push('\n');
    for (i, l) in lines.filter(|l| !l.trim().is_empty()).enumerate() {
        let mut f: Vec<String> = l.splitn(12, ',').map(String::from).collect();
        assert!(f.len() >= 10, "{l}");
        f[0] = format!("192.0.2.{}", 50 + i);
        f[3] = "3600".into();
        f[4] = (now + 3000 + i as u64).to_string();
        f[5] = "1".into();
        out.push_str(&f.join(","));
        out.push('\n');
    }
    out.push_str(&format!(
        "{KNOWN_IP},{MAC_KNOWN},,3600,{},1,0,0,known-host,0,,0\n",
        now + 3000
    ));
    out
}

fn unescape(s: &str) -> String {
    s.replace("&#x2c", ",")
}

#[test]
fn kea_lease_file_round_trip() {
    init(&["dhclient", "ip", "ss", "kea-dhcp4"]);
    assert!(Path::new(LEASE_CMDS).is_file(), "{LEASE_CMDS} missing");
    let topo = Topology::new();
    let m = topo.add_macvlan("m1", MAC_KNOWN);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let csv = kea_lease_file(now);
    let cfg = lan_config(&topo);
    let mut srv = Server::start_prepared(ServerKind::Xdhcpd, &topo.server_ns, &cfg, |lease_file| {
        std::fs::write(lease_file, &csv).expect("write Kea lease file");
    });
    let log = srv.log();
    assert!(
        log.contains("imported 4 lease(s) from Kea memfile"),
        "no import line:\n{log}"
    );
    assert_eq!(
        std::fs::read_to_string(&srv.lease_file).expect("lease file"),
        csv,
        "the Kea CSV file was modified"
    );
    // The known client (fresh dhclient: plain DISCOVER) gets its imported address back.
    let mut dc = Dhclient::new(&topo.client_ns, &m);
    dc.start();
    let ev = dc.wait_reason(&["BOUND"], 0, Duration::from_secs(30));
    dc.stop();
    assert_eq!(
        ev.ip.map(|i| i.to_string()).as_deref(),
        Some(KNOWN_IP),
        "the imported client did not get its address back"
    );
    let ours = srv.leases();
    assert_eq!(ours.len(), 4, "{ours:?}");
    let st = srv.stop().expect("running");
    assert!(st.success(), "{}", srv.log());

    // Export, then let Kea load it.
    let dir = TempDir::new("kea-rt");
    let exported = dir.join("exported.csv");
    let out = srv.export_leases(&exported);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "--export-leases failed: {stderr}");
    assert!(
        stderr.contains("exported 4 DHCPv4 lease(s)"),
        "no final count line: {stderr}"
    );
    let sock = dir.join("kea.sock");
    let kea_cfg = format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["{iface}"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "{lease}", "persist": true, "lfc-interval": 0 }},
  "control-socket": {{ "socket-type": "unix", "socket-name": "{sock}" }},
  "hooks-libraries": [ {{ "library": "{LEASE_CMDS}" }} ],
  "valid-lifetime": 3600,
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
                  "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "output_options": [ {{ "output": "stdout" }} ],
                 "severity": "INFO" }} ]
}} }}"#,
        iface = topo.server_if,
        lease = exported.display(),
        sock = sock.display()
    );
    let kea = Server::start_text(ServerKind::Kea, &topo.server_ns, &kea_cfg);
    let text = wait_for(Duration::from_secs(10), || {
        sock.exists()
            .then(|| kea_command(&sock, "lease4-get-all"))
            .filter(|t| t.contains("\"result\""))
    })
    .unwrap_or_else(|| panic!("Kea's control socket never answered; log:\n{}", kea.log()));
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("lease4-get-all answer is not JSON ({e}): {text}"));
    assert_eq!(json["result"], 0, "{text}");
    let theirs: HashMap<String, &serde_json::Value> = json["arguments"]["leases"]
        .as_array()
        .unwrap_or_else(|| panic!("no leases in {text}"))
        .iter()
        .map(|l| (l["ip-address"].as_str().unwrap_or("").to_string(), l))
        .collect();
    assert_eq!(theirs.len(), ours.len(), "{text}");
    for l in &ours {
        let k = theirs
            .get(&l.address.to_string())
            .unwrap_or_else(|| panic!("Kea lacks {}: {text}", l.address));
        let s = |key: &str| k[key].as_str().unwrap_or("").to_ascii_lowercase();
        let n = |key: &str| k[key].as_u64().unwrap_or(u64::MAX);
        assert_eq!(s("hw-address"), l.hwaddr, "{}: {k}", l.address);
        assert_eq!(s("client-id"), l.client_id.to_ascii_lowercase(), "{k}");
        assert_eq!(n("valid-lft"), l.valid_lifetime, "{k}");
        assert_eq!(n("cltt"), l.expire - l.valid_lifetime, "{k}");
        assert_eq!(n("subnet-id"), u64::from(l.subnet_id), "{k}");
        assert_eq!(k["hostname"].as_str().unwrap_or(""), unescape(&l.hostname));
        assert_eq!(n("state"), u64::from(l.state), "{k}");
    }
    assert!(theirs.contains_key(KNOWN_IP));
}
