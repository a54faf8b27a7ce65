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

pub const V6_CAPTURES: [&str; 8] = [
    "v6-SimpleSolicit.hex",
    "v6-RelayedSolicit.hex",
    "v6-DocsisRelayedSolicit.hex",
    "v6-eRouterRelayedSolicit.hex",
    "v6-CableLabsShortVendorClass.hex",
    "v6-Relayed2xRSOO.hex",
    "v6-SolicitWithVIVSO.hex",
    "v6-SolicitWithTruncatedVIVSO.hex",
];

pub fn v6_captures() -> Vec<(&'static str, Vec<u8>)> {
    V6_CAPTURES.into_iter().map(|n| (n, capture(n))).collect()
}

/// Calls every accessor of an option list (recursively into IAs), so a
/// panic anywhere shows up; returns the number of options seen.
pub fn exercise6_options(o: xdhcp_wire::dhcpv6::Options<'_>) -> usize {
    use xdhcp_wire::dhcpv6::{IaAddr, IaPrefix, Options};
    let mut n = 0;
    for r in o.iter() {
        n += 1;
        assert_eq!(
            o.get_all(r.code).next().map(|d| d.len()),
            o.get(r.code).map(|d| d.len())
        );
    }
    let _ = (
        o.client_id(),
        o.server_id(),
        o.elapsed_time(),
        o.rapid_commit(),
    );
    let _ = (
        o.status_code(),
        o.interface_id(),
        o.preference(),
        o.unicast(),
    );
    let _ = (
        o.reconf_accept(),
        o.relay_message(),
        o.as_bytes(),
        o.is_empty(),
    );
    let _ = o.oro().count();
    if let Some(v) = o.vendor_opts(4491) {
        n += exercise6_options(v);
    }
    let _ = Options::new_checked(o.as_bytes());
    let leaf = |a: Options<'_>| {
        let _ = (a.status_code(), a.iter().count());
    };
    for ia in o.ia_nas() {
        let _ = (ia.iaid, ia.t1, ia.t2);
        n += exercise6_options(ia.options);
        for a in ia.addresses() {
            let IaAddr {
                addr,
                preferred,
                valid,
                options,
            } = a;
            let _ = (addr, preferred, valid);
            leaf(options);
        }
    }
    for ia in o.ia_tas() {
        let _ = ia.iaid;
        for a in ia.addresses() {
            leaf(a.options);
        }
    }
    for ia in o.ia_pds() {
        let _ = (ia.iaid, ia.t1, ia.t2);
        for p in ia.prefixes() {
            let IaPrefix {
                preferred,
                valid,
                prefix_len,
                prefix,
                options,
            } = p;
            let _ = (preferred, valid, prefix_len, prefix);
            leaf(options);
        }
    }
    n
}

/// Parses `bytes` every way a DHCPv6 message can be parsed and calls every
/// accessor of whatever is accepted.
pub fn exercise6(bytes: &[u8]) {
    use xdhcp_wire::dhcpv6::{Dhcpv6, Message, RelayMessage, unwrap_relays};
    if let Ok(m) = Message::new_checked(bytes) {
        let _ = (m.msg_type().name(), m.transaction_id(), m.as_bytes());
        assert!(m.transaction_id() <= 0x00ff_ffff);
        exercise6_options(m.options());
    }
    if let Ok(r) = RelayMessage::new_checked(bytes) {
        let _ = (
            r.msg_type(),
            r.hop_count(),
            r.link_address(),
            r.peer_address(),
        );
        let _ = (r.relay_message(), r.interface_id(), r.as_bytes());
        exercise6_options(r.options());
    }
    if let Ok(d) = Dhcpv6::parse(bytes) {
        let _ = (d.msg_type(), d.options().iter().count());
    }
    if let Ok((m, chain)) = unwrap_relays(bytes) {
        assert!(chain.len() <= 8);
        for l in chain.iter() {
            let _ = (l.msg_type, l.hop_count, l.link, l.peer, l.interface_id);
            exercise6_options(l.options);
        }
        let _ = chain.innermost();
        exercise6_options(m.options());
    }
}
