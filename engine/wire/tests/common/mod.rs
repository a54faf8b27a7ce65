//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use xdhcp_wire::dhcpv4::{Packet, relay_agent};

/// The Kea packet captures; a missing shared folder is a failure, not a skip.
pub fn capture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/kea-compat/data/pkt-captures");
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read Kea capture {} ({e}); the shared kea-compat folder must exist next to the repo",
            path.display()
        )
    });
    decode_hex(text.trim())
}

pub fn v4_captures() -> Vec<(&'static str, Vec<u8>)> {
    [
        "v4-RelayedDiscover.hex",
        "v4-RelayedDiscover2.hex",
        "v4-BadRelayedDiscover.hex",
    ]
    .into_iter()
    .map(|n| (n, capture(n)))
    .collect()
}

pub fn decode_hex(s: &str) -> Vec<u8> {
    assert!(s.len() & 1 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Calls every accessor and option lookup, so a panic anywhere shows up.
pub fn exercise(p: &Packet<'_>) {
    let _ = (
        p.op(),
        p.htype(),
        p.hlen(),
        p.hops(),
        p.xid(),
        p.secs(),
        p.flags(),
        p.broadcast(),
    );
    let _ = (p.ciaddr(), p.yiaddr(), p.siaddr(), p.giaddr(), p.overload());
    assert!(p.chaddr().len() <= 16);
    assert_eq!(p.sname_raw().len(), 64);
    assert_eq!(p.file_raw().len(), 128);
    let _ = (p.sname(), p.file(), p.as_bytes());
    let opts = p.options();
    let mut seen = 0usize;
    for o in opts.iter() {
        assert!(o.code != 0 && o.code != 255);
        seen += o.data.len();
    }
    let mut total = 0usize;
    let mut scratch = [0u8; 2048];
    for code in 0..=255u8 {
        if let Some(v) = opts.get(code) {
            total += v.len();
            assert_eq!(v.fragments().map(|f| f.len()).sum::<usize>(), v.len());
            assert_eq!(v.bytes().count(), v.len());
            let copied = v.copy_into(&mut scratch).expect("fits").to_vec();
            assert!(v.eq_bytes(&copied));
            if let Some(c) = v.contiguous() {
                assert_eq!(c, &copied[..]);
            }
            if !copied.is_empty() {
                assert!(v.contains(copied[0]));
                assert!(v.copy_into(&mut scratch[..copied.len() - 1]).is_none());
                assert!(!v.eq_bytes(&copied[1..]));
            }
            if code == 82 {
                for s in relay_agent::SubOptionIter::new(&copied) {
                    let _ = s;
                }
                let _ = relay_agent::sub_option(&copied, 1);
                let _ = relay_agent::sub_option(&copied, 2);
                let _ = relay_agent::is_well_formed(&copied);
            }
        }
    }
    assert_eq!(seen, total, "every occurrence belongs to exactly one get()");
    let _ = (
        opts.message_type(),
        opts.requested_ip(),
        opts.server_id(),
        opts.lease_time(),
    );
    let _ = (
        opts.max_message_size(),
        opts.client_id(),
        opts.parameter_request_list(),
    );
    let _ = (
        opts.host_name(),
        opts.vendor_class(),
        opts.relay_agent_info(),
        opts.overload(),
    );
}
