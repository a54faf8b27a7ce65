//! Differential tests against `dhcproto` 0.15 on the Kea captures and on
//! generated messages: same header fields, same bytes for every option.
//!
//! dhcproto does not implement option overload and only joins *adjacent*
//! same-code options, so the generated cases avoid option 52 and compare
//! per code the concatenation of dhcproto's items with our `get()`.

mod common;

use std::collections::BTreeMap;

use dhcproto::{Decodable, Decoder, v4};
use proptest::prelude::*;
use xdhcp_wire::dhcpv4::{Builder, Packet, code, relay_agent};

/// Per-code concatenated data as dhcproto's borrowed parser sees it.
fn theirs(bytes: &[u8]) -> BTreeMap<u8, Vec<u8>> {
    let m = v4::borrowed::Message::new(bytes).unwrap();
    let mut out: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    for o in m.opts() {
        out.entry(u8::from(o.code()))
            .or_default()
            .extend_from_slice(o.data());
    }
    out
}

fn ours(p: &Packet<'_>) -> BTreeMap<u8, Vec<u8>> {
    let mut out = BTreeMap::new();
    for code in 1..=254u8 {
        if let Some(v) = p.options().get(code) {
            out.insert(code, v.bytes().collect());
        }
    }
    out
}

/// Compares header fields with dhcproto's owned decoder and options with
/// its borrowed one. The owned decoder only sees the fixed header: it
/// interprets option contents and (in debug builds) hits `debug_assert!`s
/// on unexpected lengths of some options (e.g. code 91 not 4 bytes), so
/// random option data would panic inside dhcproto itself.
fn compare(bytes: &[u8]) -> Result<(), TestCaseError> {
    let p = Packet::new_checked(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut header = bytes[..240].to_vec();
    header.push(255);
    let m = v4::Message::decode(&mut Decoder::new(&header))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(p.op(), u8::from(m.opcode()));
    prop_assert_eq!(p.htype(), u8::from(m.htype()));
    prop_assert_eq!(p.hlen(), m.hlen());
    prop_assert_eq!(p.hops(), m.hops());
    prop_assert_eq!(p.xid(), m.xid());
    prop_assert_eq!(p.secs(), m.secs());
    prop_assert_eq!(p.flags(), u16::from(m.flags()));
    prop_assert_eq!(p.broadcast(), m.flags().broadcast());
    prop_assert_eq!(p.ciaddr(), m.ciaddr());
    prop_assert_eq!(p.yiaddr(), m.yiaddr());
    prop_assert_eq!(p.siaddr(), m.siaddr());
    prop_assert_eq!(p.giaddr(), m.giaddr());
    if p.hlen() <= 16 {
        prop_assert_eq!(p.chaddr(), m.chaddr());
    }
    let b = v4::borrowed::Message::new(bytes).unwrap();
    prop_assert_eq!(p.sname().unwrap_or(&[]), b.sname());
    prop_assert_eq!(p.file().unwrap_or(&[]), b.fname());
    prop_assert_eq!(ours(&p), theirs(bytes));
    Ok(())
}

#[test]
fn kea_captures_match_dhcproto() {
    for (name, bytes) in common::v4_captures() {
        compare(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// v4-BadRelayedDiscover: option 82 is `52 20 51 41 00 01 ... 1d`, i.e. 32
/// bytes that fit in the message, but its first sub-option (0x51) claims 65
/// bytes. Neither parser rejects the message:
/// - ours accepts it (the option layer is well-formed; the missing End is
///   tolerated) and `relay_agent` reports the sub-options as malformed,
///   finding neither circuit-id nor remote-id;
/// - dhcproto's borrowed parser returns the same 32 raw bytes;
/// - dhcproto's owned parser also accepts it: its sub-option decoder stops
///   at the first bad sub-option and yields an empty relay-agent map, so
///   the circuit/remote ids are silently absent there too.
#[test]
fn bad_relayed_discover_behaviour() {
    let bytes = common::capture("v4-BadRelayedDiscover.hex");
    let p = Packet::new_checked(&bytes).expect("ours accepts it");
    let rai = p
        .options()
        .relay_agent_info()
        .unwrap()
        .contiguous()
        .unwrap();
    assert_eq!(
        theirs(&bytes)
            .get(&code::DHCP_AGENT_OPTIONS)
            .map(Vec::as_slice),
        Some(rai)
    );
    assert!(!relay_agent::is_well_formed(rai));
    assert_eq!(relay_agent::sub_option(rai, relay_agent::CIRCUIT_ID), None);
    assert_eq!(relay_agent::sub_option(rai, relay_agent::REMOTE_ID), None);

    let m = v4::Message::decode(&mut Decoder::new(&bytes)).expect("dhcproto decodes the header");
    match m.opts().get(v4::OptionCode::RelayAgentInformation) {
        Some(v4::DhcpOption::RelayAgentInformation(r)) => assert!(r.is_empty()),
        other => panic!("dhcproto now reads option 82 as {other:?}"),
    }
    assert!(m.opts().get(v4::OptionCode::MaxMessageSize).is_some());

    // The well-formed twin: both parsers see the sub-options.
    let good = common::capture("v4-RelayedDiscover.hex");
    let m = v4::Message::decode(&mut Decoder::new(&good)).unwrap();
    match m.opts().get(v4::OptionCode::RelayAgentInformation) {
        Some(v4::DhcpOption::RelayAgentInformation(r)) => {
            assert!(r.get(v4::relay::RelayCode::AgentCircuitId).is_some());
            assert!(r.get(v4::relay::RelayCode::AgentRemoteId).is_some());
        }
        other => panic!("dhcproto reads option 82 as {other:?}"),
    }
}

/// Options with distinct codes, no overload, all fitting in a big buffer.
fn options() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::btree_map(
        (1u8..=254).prop_filter("no overload", |c| *c != code::DHCP_OPTION_OVERLOAD),
        prop_oneof![
            4 => proptest::collection::vec(any::<u8>(), 0..30),
            1 => proptest::collection::vec(any::<u8>(), 200..600),
        ],
        0..12,
    )
    .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn generated_messages_match(
        header in proptest::collection::vec(any::<u8>(), 28),
        hlen in 0u8..=16,
        chaddr in proptest::collection::vec(any::<u8>(), 16),
        sname in proptest::collection::vec(1u8..=255, 0..63),
        file in proptest::collection::vec(1u8..=255, 0..127),
        opts in options(),
    ) {
        let mut buf = vec![0u8; 8192];
        let mut b = Builder::new(&mut buf).unwrap();
        b.op(header[0]);
        b.htype(header[1]);
        b.hlen(hlen);
        b.hops(header[3]);
        b.xid(u32::from_be_bytes([header[4], header[5], header[6], header[7]]));
        b.secs(u16::from_be_bytes([header[8], header[9]]));
        b.flags(u16::from_be_bytes([header[10], header[11]]));
        b.ciaddr([header[12], header[13], header[14], header[15]].into());
        b.yiaddr([header[16], header[17], header[18], header[19]].into());
        b.siaddr([header[20], header[21], header[22], header[23]].into());
        b.giaddr([header[24], header[25], header[26], header[27]].into());
        b.chaddr(&chaddr).unwrap();
        b.sname(&sname).unwrap();
        b.file(&file).unwrap();
        for (c, d) in &opts {
            b.option(*c, d).unwrap();
        }
        let n = b.finish().unwrap();
        compare(&buf[..n])?;
        let p = Packet::new_checked(&buf[..n]).unwrap();
        for (c, d) in &opts {
            prop_assert!(p.options().get(*c).unwrap().eq_bytes(d));
        }
    }

    /// Arbitrary option areas our parser accepts without overload must read
    /// the same in both parsers.
    #[test]
    fn arbitrary_option_areas_match(
        tail in proptest::collection::vec(
            prop_oneof![6 => any::<u8>(), 1 => Just(0u8), 1 => 1u8..5, 1 => Just(255u8)],
            0..300,
        ),
    ) {
        let mut m = vec![0u8; 236];
        m[0] = 1;
        m[2] = 6;
        m.extend_from_slice(&[99, 130, 83, 99]);
        m.extend(tail);
        if let Some(p) = Packet::new_checked(&m).ok().filter(|p| p.overload() == 0) {
            prop_assert_eq!(ours(&p), theirs(&m));
        }
    }
}
