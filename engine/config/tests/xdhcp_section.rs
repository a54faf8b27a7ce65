//! The top-level `xdhcp` map: defaults when absent, every key parsed, errors positioned.

use xdhcp_config::*;

const DHCP4: &str = r#""Dhcp4": { "interfaces-config": { "interfaces": ["eth0"] },
    "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24" } ] }"#;

fn with(xdhcp: &str) -> Result<Config, ConfigError> {
    load_str(&format!("{{ {DHCP4},\n \"xdhcp\": {xdhcp} }}"), "t.json")
}

#[test]
fn absent_means_defaults() {
    let c = load_str(&format!("{{ {DHCP4} }}"), "t.json").unwrap();
    assert_eq!(c.xdhcp, XdhcpConfig::default());
    assert_eq!(c.xdhcp.io_mode, IoMode::Auto);
    assert_eq!(c.xdhcp.xdp_mode, XdpMode::Auto);
    assert_eq!(c.xdhcp.queues, None);
    assert_eq!(c.xdhcp.cores, None);
}

#[test]
fn every_key_is_read() {
    let c = with(
        r#"{ "io-mode": "xdp", "xdp-mode": "generic", "queues": 2, "cores": [1, 0],
             "comment": "fast path" }"#,
    )
    .unwrap();
    assert_eq!(
        c.xdhcp,
        XdhcpConfig {
            io_mode: IoMode::Xdp,
            xdp_mode: XdpMode::Generic,
            queues: Some(2),
            cores: Some(vec![1, 0]),
            ..XdhcpConfig::default()
        }
    );
    assert_eq!(c.xdhcp.durability, Durability::DurableBeforeReply);
    assert_eq!(c.xdhcp.commit_window_us, 0);
    assert_eq!(c.xdhcp.segment_size, None);
    let c = with(
        r#"{ "durability": "written-before-reply", "commit-window-us": 200,
             "segment-size": 1048576 }"#,
    )
    .unwrap();
    assert_eq!(c.xdhcp.durability, Durability::WrittenBeforeReply);
    assert_eq!(c.xdhcp.commit_window_us, 200);
    assert_eq!(c.xdhcp.segment_size, Some(1 << 20));
    for (text, io, xdp) in [
        (r#"{ "io-mode": "udp" }"#, IoMode::Udp, XdpMode::Auto),
        (
            r#"{ "io-mode": "auto", "xdp-mode": "native" }"#,
            IoMode::Auto,
            XdpMode::Native,
        ),
        (r#"{ "xdp-mode": "auto" }"#, IoMode::Auto, XdpMode::Auto),
    ] {
        let c = with(text).unwrap();
        assert_eq!((c.xdhcp.io_mode, c.xdhcp.xdp_mode), (io, xdp), "{text}");
    }
}

#[test]
fn errors_name_key_path_and_line() {
    for (text, path, line, msg) in [
        (
            r#"{ "io-mode": "dpdk" }"#,
            "xdhcp/io-mode",
            3,
            "unknown I/O mode 'dpdk'",
        ),
        (
            r#"{ "xdp-mode": "offload" }"#,
            "xdhcp/xdp-mode",
            3,
            "unknown XDP mode 'offload'",
        ),
        (
            r#"{ "queues": 0 }"#,
            "xdhcp/queues",
            3,
            "value 0 is out of range",
        ),
        (
            r#"{ "queues": 65 }"#,
            "xdhcp/queues",
            3,
            "value 65 is out of range",
        ),
        (
            r#"{ "queues": "2" }"#,
            "xdhcp/queues",
            3,
            "expected an integer",
        ),
        (r#"{ "cores": [] }"#, "xdhcp/cores", 3, "at least one CPU"),
        (
            r#"{ "cores": [0, 0] }"#,
            "xdhcp/cores[1]",
            3,
            "CPU 0 is listed twice",
        ),
        (r#"{ "cores": [-1] }"#, "xdhcp/cores[0]", 3, "out of range"),
        (
            r#"{ "io_mode": "xdp" }"#,
            "xdhcp/io_mode",
            3,
            "unexpected key 'io_mode' in xdhcp",
        ),
        (r#"[ "xdp" ]"#, "xdhcp", 3, "expected a map"),
        (
            r#"{ "durability": "eventually" }"#,
            "xdhcp/durability",
            3,
            "unknown policy 'eventually'",
        ),
        (
            r#"{ "commit-window-us": -1 }"#,
            "xdhcp/commit-window-us",
            3,
            "out of range",
        ),
        (
            r#"{ "segment-size": 100 }"#,
            "xdhcp/segment-size",
            3,
            "value 100 is out of range",
        ),
    ] {
        let e = with(text).expect_err(text);
        assert_eq!(e.path, path, "{text}: {e}");
        assert_eq!(e.line, line, "{text}: {e}");
        assert!(e.message.contains(msg), "{text}: {e}");
        assert!(e.to_string().starts_with("t.json:3:"), "{e}");
    }
}
