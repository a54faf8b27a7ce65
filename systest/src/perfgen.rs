//! Runs xdhcp's own load generator (`perfgen --json`) in the client namespace and reads
//! its report.

use crate::util::ns_command;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// `target/debug/perfgen` (or `PERFGEN_BIN`); built by the test script before the tests.
pub fn perfgen_bin() -> PathBuf {
    let p = std::env::var_os("PERFGEN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target/debug/perfgen"));
    assert!(
        p.is_file(),
        "perfgen binary not found at {}: run `cargo build -p xdhcp-perfgen` first (or set PERFGEN_BIN)",
        p.display()
    );
    p
}

/// The parts of perfgen's JSON report the tests check.
#[derive(Debug)]
pub struct PerfgenReport {
    pub started: u64,
    pub completed: u64,
    pub drops: u64,
    pub exit_code: i32,
    pub json: serde_json::Value,
}

/// Runs `perfgen -4 --json ARGS... SERVER` in `ns`, saving ACKed leases to `acks`.
pub fn run_perfgen(ns: &str, args: &[&str], server: &str, acks: &Path) -> PerfgenReport {
    let bin = perfgen_bin();
    let mut c = ns_command(ns, "timeout");
    c.arg("60")
        .arg(&bin)
        .args(args)
        .arg("--json")
        .arg("--save-acks")
        .arg(acks)
        .arg(server)
        .stdin(Stdio::null());
    let out = c.output().expect("run perfgen");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "perfgen printed no JSON report ({e}); exit {:?}\nstdout:\n{text}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let n = |k: &str| {
        json[k]
            .as_u64()
            .unwrap_or_else(|| panic!("no {k} in {json}"))
    };
    PerfgenReport {
        started: n("exchanges_started"),
        completed: n("exchanges_completed"),
        drops: n("drops"),
        exit_code: out.status.code().unwrap_or(-1),
        json,
    }
}

/// `address,identity` lines of a `--save-acks` file.
pub fn read_acks(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (a, id) = l.split_once(',')?;
            Some((a.to_string(), id.to_string()))
        })
        .collect()
}
