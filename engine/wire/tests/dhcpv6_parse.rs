//! DHCPv6 parsing of the Kea captures and of hand-built edge cases.

mod common;

use std::net::Ipv6Addr;

use xdhcp_wire::dhcpv6::{
    Dhcpv6, Error, HOP_COUNT_LIMIT, Message, MessageType, RelayBuilder, RelayMessage, code,
    unwrap_relays,
};

#[test]
fn simple_solicit() {
    let b = common::capture("v6-SimpleSolicit.hex");
    let m = Message::new_checked(&b).unwrap();
    assert_eq!(m.msg_type(), MessageType::Solicit);
    assert_eq!(m.transaction_id(), 0xcafe01);
    let o = m.options();
    assert_eq!(o.client_id().unwrap().len(), 10);
    let ia: Vec<_> = o.ia_nas().collect();
    assert_eq!(ia.len(), 1);
    assert_eq!((ia[0].iaid, ia[0].t1, ia[0].t2), (1, 0, 0));
    assert_eq!(ia[0].addresses().count(), 0);
    assert!(matches!(Dhcpv6::parse(&b), Ok(Dhcpv6::Client(_))));
    assert_eq!(
        RelayMessage::new_checked(&b).unwrap_err(),
        Error::NotRelay(MessageType::Solicit)
    );
}

#[test]
fn relayed_solicit() {
    let b = common::capture("v6-RelayedSolicit.hex");
    let r = RelayMessage::new_checked(&b).unwrap();
    assert_eq!(r.msg_type(), MessageType::RelayForw);
    assert_eq!(r.hop_count(), 5);
    assert_eq!(r.link_address(), Ipv6Addr::UNSPECIFIED);
    assert_eq!(r.peer_address(), "fc00::9".parse::<Ipv6Addr>().unwrap());
    assert_eq!(r.interface_id(), Some(&b"15"[..]));
    assert_eq!(
        Message::new_checked(&b).unwrap_err(),
        Error::UnexpectedRelay(MessageType::RelayForw)
    );
    let (m, chain) = unwrap_relays(&b).unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(chain[0].interface_id, Some(&b"15"[..]));
    assert_eq!(chain[0].hop_count, 5);
    assert_eq!(m.msg_type(), MessageType::Solicit);
    assert_eq!(m.transaction_id(), 0x051710);
    assert_eq!(m.options().oro().collect::<Vec<_>>(), [7]);
    assert_eq!(m.options().ia_nas().count(), 1);
}

#[test]
fn docsis_and_erouter() {
    let b = common::capture("v6-DocsisRelayedSolicit.hex");
    let (m, chain) = unwrap_relays(&b).unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(m.msg_type(), MessageType::Solicit);
    let o = m.options();
    assert!(o.rapid_commit());
    assert!(o.reconf_accept());
    let v = o.vendor_opts(4491).expect("DOCSIS vendor options");
    assert!(v.iter().count() > 5);
    assert_eq!(v.get(2), Some(&b"ECM"[..]));
    let ia = o.ia_nas().next().unwrap();
    assert_eq!(ia.addresses().count(), 1);

    let b = common::capture("v6-eRouterRelayedSolicit.hex");
    let (m, chain) = unwrap_relays(&b).unwrap();
    assert_eq!(chain.len(), 1);
    let o = m.options();
    assert_eq!(o.ia_pds().count(), 1);
    let pd = o.ia_pds().next().unwrap();
    let p = pd.prefixes().next().unwrap();
    assert_eq!(p.prefix_len, 56);
    assert_eq!(o.ia_nas().count(), 1);
    assert_eq!(o.elapsed_time(), Some(0));
}

#[test]
fn rsoo_and_vendor_cases() {
    let b = common::capture("v6-Relayed2xRSOO.hex");
    let (m, chain) = unwrap_relays(&b).unwrap();
    assert_eq!(chain.len(), 2, "relay-forw inside relay-forw");
    assert_eq!(chain[0].hop_count, 1);
    assert_eq!(chain[1].hop_count, 0);
    let rsoo = chain[1].options.get(code::RSOO).unwrap();
    assert_eq!(
        xdhcp_wire::dhcpv6::Options::new_checked(rsoo)
            .unwrap()
            .iter()
            .count(),
        2
    );
    assert_eq!(m.msg_type(), MessageType::Solicit);

    let b = common::capture("v6-CableLabsShortVendorClass.hex");
    let m = Message::new_checked(&b).unwrap();
    assert_eq!(
        m.options().get(code::VENDOR_CLASS),
        Some(&[0, 0, 0x11, 0x8b][..])
    );
    assert!(m.options().vendor_opts(4491).is_some());

    let b = common::capture("v6-SolicitWithVIVSO.hex");
    let m = Message::new_checked(&b).unwrap();
    assert_eq!(m.options().get(code::VENDOR_OPTS).unwrap().len(), 4);

    // The vendor option claims 1 byte; the 3 bytes after it cannot be an
    // option header. Kea stops parsing there and keeps the packet; we
    // reject it (an option running past the message is an error).
    let b = common::capture("v6-SolicitWithTruncatedVIVSO.hex");
    assert_eq!(
        Message::new_checked(&b).unwrap_err(),
        Error::BadOptionLength {
            code: 0x1e,
            offset: b.len() - 3
        }
    );
}

#[test]
fn every_capture_parses_or_fails_cleanly() {
    for (name, b) in common::v6_captures() {
        common::exercise6(&b);
        let ok = unwrap_relays(&b).is_ok();
        assert_eq!(ok, name != "v6-SolicitWithTruncatedVIVSO.hex", "{name}");
        for cut in 0..b.len() {
            common::exercise6(&b[..cut]);
        }
    }
}

/// Builds `levels` nested RELAY-FORWs around a SOLICIT, zero-copy.
fn nested(buf: &mut [u8], levels: usize) -> usize {
    fn level(
        buf: &mut [u8],
        i: usize,
        levels: usize,
    ) -> Result<usize, xdhcp_wire::dhcpv6::BuildError> {
        if i == levels {
            let mut b = xdhcp_wire::dhcpv6::Builder::new(buf, MessageType::Solicit, 7)?;
            b.client_id(&[1, 2, 3])?;
            return b.finish();
        }
        let mut r = RelayBuilder::new(
            buf,
            MessageType::RelayForw,
            (levels - 1 - i) as u8,
            Ipv6Addr::UNSPECIFIED,
            Ipv6Addr::LOCALHOST,
        )?;
        r.interface_id(&[i as u8])?;
        r.relay_msg_with(|inner| level(inner, i + 1, levels))?;
        r.finish()
    }
    level(buf, 0, levels).unwrap()
}

#[test]
fn relay_depth_limit() {
    let mut buf = [0u8; 2048];
    let n = nested(&mut buf, HOP_COUNT_LIMIT);
    let (m, chain) = unwrap_relays(&buf[..n]).unwrap();
    assert_eq!(chain.len(), HOP_COUNT_LIMIT);
    assert_eq!(m.options().client_id(), Some(&[1, 2, 3][..]));
    for (i, l) in chain.iter().enumerate() {
        assert_eq!(l.interface_id, Some(&[i as u8][..]));
    }
    let n = nested(&mut buf, HOP_COUNT_LIMIT + 1);
    assert_eq!(unwrap_relays(&buf[..n]).unwrap_err(), Error::TooManyRelays);
    // A relay without relay-msg.
    let mut r = RelayBuilder::new(
        &mut buf,
        MessageType::RelayForw,
        0,
        Ipv6Addr::UNSPECIFIED,
        Ipv6Addr::UNSPECIFIED,
    )
    .unwrap();
    r.interface_id(b"x").unwrap();
    let n = r.finish().unwrap();
    assert_eq!(
        unwrap_relays(&buf[..n]).unwrap_err(),
        Error::MissingRelayMessage { level: 0 }
    );
}

#[test]
fn header_errors() {
    assert_eq!(
        Message::new_checked(&[1, 0, 0]).unwrap_err(),
        Error::Truncated { len: 3 }
    );
    assert_eq!(
        Message::new_checked(&[0, 0, 0, 0]).unwrap_err(),
        Error::UnknownMessageType(0)
    );
    assert_eq!(
        Message::new_checked(&[200, 0, 0, 0]).unwrap_err(),
        Error::UnknownMessageType(200)
    );
    assert_eq!(
        RelayMessage::new_checked(&[12; 33]).unwrap_err(),
        Error::Truncated { len: 33 }
    );
    assert!(unwrap_relays(&[]).is_err());
    assert!(Dhcpv6::parse(&[]).is_err());
    let ok = Message::new_checked(&[11, 1, 2, 3]).unwrap();
    assert_eq!(ok.transaction_id(), 0x010203);
    assert!(ok.options().is_empty());
}
