//! Every parser must survive arbitrary input, and arbitrary mutations of
//! valid input, without panicking.

mod common;

use std::net::Ipv4Addr;

use proptest::prelude::*;
use xdhcp_wire::dhcpv4::{MAGIC_COOKIE, Packet, relay_agent};
use xdhcp_wire::{ethernet, frame, ipv4, udp};

fn dhcp(bytes: &[u8]) {
    if let Ok(p) = Packet::new_checked(bytes) {
        common::exercise(&p);
    }
}

fn layers(bytes: &[u8]) {
    if let Ok(f) = ethernet::Frame::new_checked(bytes) {
        let _ = (
            f.dst(),
            f.src(),
            f.vlans(),
            f.ethertype(),
            f.header_len(),
            f.payload(),
        );
    }
    if let Ok(p) = ipv4::Packet::new_checked(bytes) {
        let _ = (
            p.src(),
            p.dst(),
            p.protocol(),
            p.ttl(),
            p.header_len(),
            p.payload(),
        );
    }
    if let Ok(d) = udp::Datagram::new_checked(bytes) {
        let _ = (d.src_port(), d.dst_port(), d.payload());
        let _ = d.verify_checksum_v4(Ipv4Addr::LOCALHOST, Ipv4Addr::BROADCAST);
    }
    if let Ok(f) = frame::parse_udp4(bytes) {
        dhcp(f.payload);
    }
}

/// A header with a valid cookie and an arbitrary option area, so fuzzing
/// reaches the option walker instead of dying at the cookie check.
fn with_cookie() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), 236),
        proptest::collection::vec(
            prop_oneof![4 => any::<u8>(), 1 => Just(52u8), 1 => Just(0u8), 1 => Just(255u8), 1 => 1u8..4],
            0..400,
        ),
    )
        .prop_map(|(head, tail)| {
            let mut v = head;
            v.extend_from_slice(&MAGIC_COOKIE);
            v.extend(tail);
            v
        })
}

/// A valid UDP/IPv4 frame carrying a Kea capture, for mutation.
fn valid_frame(vlans: usize) -> Vec<u8> {
    let payload = common::capture("v4-RelayedDiscover.hex");
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
    let h = frame::udp4_header_len(vlans);
    let mut buf = vec![0u8; h + payload.len()];
    buf[h..].copy_from_slice(&payload);
    let n = frame::write_udp4(
        &mut buf,
        [0xff; 6],
        [2, 0, 0, 0, 0, 1],
        &tags[..vlans],
        Ipv4Addr::new(10, 254, 226, 1),
        Ipv4Addr::new(192, 0, 2, 2),
        67,
        67,
        payload.len(),
    )
    .unwrap();
    assert_eq!(n, buf.len());
    assert!(frame::parse_udp4(&buf).is_ok());
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
        dhcp(&bytes);
        layers(&bytes);
        for s in relay_agent::SubOptionIter::new(&bytes) {
            let _ = s;
        }
        let _ = relay_agent::sub_option(&bytes, 1);
    }

    #[test]
    fn arbitrary_options(bytes in with_cookie()) {
        dhcp(&bytes);
    }

    #[test]
    fn mutated_captures(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let (_, base) = common::v4_captures().swap_remove(which);
        dhcp(&mutate(base, &edits, cut));
    }

    #[test]
    fn mutated_frames(
        vlans in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        layers(&mutate(valid_frame(vlans), &edits, cut));
    }
}
