//! Test 7: `xdhcpd -t FILE` rejects every broken config of the corpus in
//! engine/config/tests/data/broken/ (EXPECTED.tsv: `file<TAB>expected stderr
//! substring`) with exit 1, and accepts a good config with exit 0.

use xdhcp_systest::*;

#[test]
fn broken_configs_are_rejected() {
    let kind = ServerKind::from_env();
    if kind == ServerKind::Kea {
        eprintln!("skipped for Kea: the expected messages are xdhcpd's");
        return;
    }
    let dir = workspace_root().join("engine/config/tests/data/broken");
    let tsv = dir.join("EXPECTED.tsv");
    let text = std::fs::read_to_string(&tsv).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: the broken-config corpus (file<TAB>expected substring) is missing; \
             it belongs to the config crate (engine/config/tests/data/broken/)",
            tsv.display()
        )
    });
    let mut checked = 0;
    let mut failures = Vec::new();
    for (no, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((file, expected)) = line.split_once('\t') else {
            panic!("{}:{}: no TAB in {line:?}", tsv.display(), no + 1);
        };
        let path = dir.join(file.trim());
        assert!(
            path.is_file(),
            "{}:{}: {} does not exist",
            tsv.display(),
            no + 1,
            path.display()
        );
        let out = kind.check_config(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        checked += 1;
        if out.status.code() != Some(1) || !stderr.contains(expected.trim()) {
            failures.push(format!(
                "{file}: exit {:?}, expected 1 and stderr containing {expected:?}; stderr: {}",
                out.status.code(),
                stderr.trim()
            ));
        }
    }
    assert!(checked > 0, "{} lists no files", tsv.display());
    assert!(
        failures.is_empty(),
        "{} of {checked} broken configs misjudged:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn good_config_is_accepted() {
    let kind = ServerKind::from_env();
    let dir = TempDir::new("cfg");
    // "*" (all interfaces): Kea -t checks that named interfaces exist.
    let cfg = ServerConfig::new(&["*"]).lifetimes(3600, 900, 1800).subnet(
        Subnet::new(1, "192.0.2.0/24")
            .pool("192.0.2.100", "192.0.2.199")
            .reservation("02:00:00:00:00:42", "192.0.2.42")
            .option("routers", "192.0.2.1"),
    );
    let file = dir.join("good.json");
    std::fs::write(
        &file,
        cfg.render(&dir.join("leases4.csv").to_string_lossy(), &[]),
    )
    .unwrap();
    let out = kind.check_config(&file);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{kind:?} -t rejected a good config: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn version_is_printed() {
    let kind = ServerKind::from_env();
    let out = std::process::Command::new(kind.binary())
        .arg("-v")
        .output()
        .expect("run -v");
    assert!(out.status.success(), "{kind:?} -v failed");
    assert!(!out.stdout.is_empty(), "{kind:?} -v printed nothing");
}

/// A file with both `Dhcp4` and `Dhcp6` (Kea 1.x allowed that) is valid for xdhcpd, which
/// serves both from one process.
#[test]
fn a_file_with_dhcp4_and_dhcp6_is_accepted() {
    let kind = ServerKind::from_env();
    if kind != ServerKind::Xdhcpd {
        eprintln!("skipped: Kea 2.2 refuses a file with both sections");
        return;
    }
    let file = workspace_root().join("engine/config/tests/data/kea14/dhcp4-and-dhcp6.json");
    let out = kind.check_config(&file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
}
