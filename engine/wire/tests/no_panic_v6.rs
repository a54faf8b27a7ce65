//! Every DHCPv6/IPv6 parser and accessor must survive arbitrary input and
//! arbitrary mutations of valid input without panicking.

mod common;

use std::net::Ipv6Addr;

use proptest::prelude::*;
use xdhcp_wire::{dhcpv6, ethernet, frame, ipv6, udp};

fn layers(bytes: &[u8]) {
    if let Ok(p) = ipv6::Packet::new_checked(bytes) {
        let _ = (
            p.src(),
            p.dst(),
            p.next_header(),
            p.hop_limit(),
            p.traffic_class(),
        );
        let _ = p.payload();
        if let Some((proto, upper)) = p.upper_layer() {
            assert!(upper.len() <= p.payload().len());
            let _ = proto;
        }
    }
    if let Ok(d) = udp::Datagram::new_checked(bytes) {
        let _ = d.verify_checksum_v6(Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED);
    }
    if let Ok(f) = frame::parse_udp6(bytes) {
        let _ = (
            f.eth_dst,
            f.eth_src,
            f.ip_src,
            f.ip_dst,
            f.hop_limit,
            f.src_port,
        );
        common::exercise6(f.payload);
    }
}

/// Option-shaped bytes: small codes and lengths so structure is likely.
fn optionish() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => any::<u8>(),
            2 => Just(0u8),
            1 => prop_oneof![Just(3u8), Just(5), Just(9), Just(12), Just(13), Just(17), Just(25), Just(26)],
            1 => 1u8..40,
        ],
        0..400,
    )
}

/// A valid UDP/IPv6 frame around a capture (with optional hop-by-hop).
fn valid_frame(which: usize, vlans: usize) -> Vec<u8> {
    let (_, payload) = common::v6_captures().swap_remove(which);
    let tags = [
        ethernet::VlanTag {
            tpid: 0x88a8,
            tci: 7,
        },
        ethernet::VlanTag {
            tpid: 0x8100,
            tci: 9,
        },
    ];
    let h = frame::udp6_header_len(vlans);
    let mut buf = vec![0u8; h + payload.len()];
    buf[h..].copy_from_slice(&payload);
    frame::write_udp6(
        &mut buf,
        frame::multicast_mac(frame::ALL_DHCP_RELAY_AGENTS_AND_SERVERS),
        [2, 0, 0, 0, 0, 1],
        &tags[..vlans],
        "fe80::1".parse().unwrap(),
        frame::ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
        546,
        547,
        payload.len(),
    )
    .unwrap();
    assert_eq!(frame::parse_udp6(&buf).unwrap().payload, &payload[..]);
    buf
}

fn mutate(mut v: Vec<u8>, edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    for &(i, b) in edits {
        if !v.is_empty() {
            let i = i % v.len();
            v[i] = b;
        }
    }
    if let Some(c) = cut {
        v.truncate(c % (v.len() + 1));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        common::exercise6(&bytes);
        layers(&bytes);
        common::exercise6_options(dhcpv6::Options::new(&bytes));
    }

    #[test]
    fn arbitrary_options(head in prop_oneof![Just(vec![1u8, 2, 3, 4]), Just(vec![7, 0, 0, 1]), Just({
        let mut h = vec![12u8, 0];
        h.extend([0u8; 32]);
        h
    })], tail in optionish()) {
        let mut v = head;
        v.extend(tail);
        common::exercise6(&v);
    }

    #[test]
    fn mutated_captures(
        which in 0usize..common::V6_CAPTURES.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let (_, base) = common::v6_captures().swap_remove(which);
        common::exercise6(&mutate(base, &edits, cut));
    }

    #[test]
    fn mutated_frames(
        which in 0usize..common::V6_CAPTURES.len(),
        vlans in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        layers(&mutate(valid_frame(which, vlans), &edits, cut));
    }

    /// Extension-header chains of random shape in front of UDP.
    #[test]
    fn extension_chains(
        exts in proptest::collection::vec((prop_oneof![Just(0u8), Just(43), Just(44), Just(60), any::<u8>()], 0u8..4), 0..10),
        tail in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut payload = Vec::new();
        let mut first = 17u8;
        for (i, (kind, len)) in exts.iter().enumerate() {
            if i == 0 {
                first = *kind;
            }
            let next = exts.get(i + 1).map_or(17, |e| e.0);
            payload.push(next);
            payload.push(*len);
            payload.extend(std::iter::repeat_n(0u8, usize::from(*len) * 8 + 6));
        }
        payload.extend(tail);
        let mut b = vec![0u8; 40 + payload.len()];
        let _ = ipv6::write_header(&mut b, Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, first, 1, payload.len());
        b[40..].copy_from_slice(&payload);
        layers(&b);
    }
}
