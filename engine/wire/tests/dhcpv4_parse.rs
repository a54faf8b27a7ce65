//! Hand-made DHCPv4 messages: overload, RFC 3396 concatenation, errors, and
//! the Kea captures read by our parser.

mod common;

use std::net::Ipv4Addr;

use xdhcp_wire::dhcpv4::{Error, MessageType, Packet, code, relay_agent};

/// A minimal valid header (BOOTREQUEST, Ethernet) with `opts` after the cookie.
fn msg(opts: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 240];
    m[0] = 1;
    m[1] = 1;
    m[2] = 6;
    m[4..8].copy_from_slice(&0xdeadbeefu32.to_be_bytes());
    m[10] = 0x80;
    m[28..34].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    m[236..240].copy_from_slice(&[99, 130, 83, 99]);
    m.extend_from_slice(opts);
    m
}

#[test]
fn header_fields() {
    let m = msg(&[53, 1, 1, 255]);
    let p = Packet::new_checked(&m).unwrap();
    assert_eq!(
        (p.op(), p.htype(), p.hlen(), p.xid()),
        (1, 1, 6, 0xdeadbeef)
    );
    assert!(p.broadcast());
    assert_eq!(p.chaddr(), &[2, 0, 0, 0, 0, 1]);
    assert_eq!(p.options().message_type(), Some(MessageType::Discover));
    assert_eq!(p.sname(), Some(&[][..]));
    assert_eq!(p.file(), Some(&[][..]));
}

#[test]
fn hlen_is_clamped() {
    let mut m = msg(&[255]);
    m[2] = 200;
    let p = Packet::new_checked(&m).unwrap();
    assert_eq!(p.chaddr().len(), 16);
}

#[test]
fn errors() {
    assert_eq!(
        Packet::new_checked(&[0u8; 239]).unwrap_err(),
        Error::Truncated { len: 239 }
    );
    let mut m = msg(&[255]);
    m[239] = 0;
    assert_eq!(
        Packet::new_checked(&m).unwrap_err(),
        Error::BadMagic([99, 130, 83, 0])
    );
    assert_eq!(
        Packet::new_checked(&msg(&[0, 12, 5, b'a'])).unwrap_err(),
        Error::BadOptionLength {
            code: 12,
            offset: 241
        }
    );
    assert_eq!(
        Packet::new_checked(&msg(&[12])).unwrap_err(),
        Error::BadOptionLength {
            code: 12,
            offset: 240
        }
    );
    assert_eq!(
        Packet::new_checked(&msg(&[52, 1, 4])).unwrap_err(),
        Error::BadOverload
    );
    assert_eq!(
        Packet::new_checked(&msg(&[52, 2, 1, 1])).unwrap_err(),
        Error::BadOverload
    );
    assert_eq!(
        Packet::new_checked(&msg(&[52, 1, 1, 52, 1, 1])).unwrap_err(),
        Error::BadOverload
    );
    // Overload into file, and file says overload again.
    let mut m = msg(&[52, 1, 1, 255]);
    m[108..111].copy_from_slice(&[52, 1, 3]);
    assert_eq!(
        Packet::new_checked(&m).unwrap_err(),
        Error::OverloadLoop { offset: 108 }
    );
    // Option in file running past the field.
    let mut m = msg(&[52, 1, 1, 255]);
    m[232..236].copy_from_slice(&[0, 0, 12, 3]);
    assert_eq!(
        Packet::new_checked(&m).unwrap_err(),
        Error::BadOptionLength {
            code: 12,
            offset: 234
        }
    );
    // ...but the same bytes are harmless text when not overloaded.
    let mut m = msg(&[255]);
    m[232..236].copy_from_slice(&[0, 0, 12, 3]);
    assert!(Packet::new_checked(&m).is_ok());
    for e in [
        Error::BadOverload,
        Error::OverloadLoop { offset: 3 },
        Error::Truncated { len: 1 },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn missing_end_and_garbage_after_end() {
    let p = msg(&[53, 1, 3, 0, 0]);
    assert!(Packet::new_checked(&p).is_ok());
    // Bytes after End are never parsed.
    let p = msg(&[53, 1, 3, 255, 12, 200]);
    let p = Packet::new_checked(&p).unwrap();
    assert_eq!(p.options().iter().count(), 1);
}

#[test]
fn overload_order_and_concatenation() {
    // RFC 3396: host-name split over options, file and sname, read in
    // options -> file -> sname order.
    let mut m = msg(&[52, 1, 3, 12, 2, b'a', b'b', 255]);
    m[108..113].copy_from_slice(&[12, 2, b'c', b'd', 255]);
    m[44..50].copy_from_slice(&[0, 12, 1, b'e', 61, 0]);
    m[50] = 255;
    let p = Packet::new_checked(&m).unwrap();
    common::exercise(&p);
    assert_eq!(p.overload(), 3);
    assert_eq!((p.sname(), p.file()), (None, None));
    let o = p.options();
    assert_eq!(o.overload(), Some(3));
    let h = o.host_name().unwrap();
    assert_eq!(h.len(), 5);
    assert_eq!(h.contiguous(), None);
    assert_eq!(h.fragment_count(), 3);
    assert!(h.eq_bytes(b"abcde"));
    assert!(!h.eq_bytes(b"abcdf"));
    assert!(!h.eq_bytes(b"abcd"));
    let mut buf = [0u8; 5];
    assert_eq!(h.copy_into(&mut buf), Some(&b"abcde"[..]));
    assert_eq!(h.bytes().collect::<Vec<_>>(), b"abcde");
    assert!(o.client_id().unwrap().is_empty());
    let codes: Vec<u8> = o.iter().map(|r| r.code).collect();
    assert_eq!(codes, [52, 12, 12, 12, 61]);
}

#[test]
fn file_only_overload_keeps_sname_text() {
    let mut m = msg(&[52, 1, 1, 255]);
    m[108..112].copy_from_slice(&[51, 4, 0, 0]);
    m[112..115].copy_from_slice(&[1, 0, 255]);
    m[44..48].copy_from_slice(b"srv\0");
    let p = Packet::new_checked(&m).unwrap();
    assert_eq!(p.sname(), Some(&b"srv"[..]));
    assert_eq!(p.file(), None);
    assert_eq!(p.options().lease_time(), Some(256));
}

#[test]
fn typed_helpers_check_lengths() {
    let m = msg(&[
        50, 3, 1, 2, 3, 54, 4, 10, 0, 0, 1, 57, 2, 5, 220, 53, 1, 99, 55, 3, 1, 3, 6, 255,
    ]);
    let p = Packet::new_checked(&m).unwrap();
    let o = p.options();
    assert_eq!(o.requested_ip(), None);
    assert_eq!(o.server_id(), Some(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(o.max_message_size(), Some(1500));
    assert_eq!(o.message_type(), None, "99 is not a message type");
    let prl = o.parameter_request_list().unwrap();
    assert!(prl.contains(code::ROUTERS) && !prl.contains(code::HOST_NAME));
    assert!(o.get(0).is_none() && o.get(255).is_none());
}

#[test]
fn kea_captures_parse() {
    for (name, bytes) in common::v4_captures() {
        let p = Packet::new_checked(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        common::exercise(&p);
        let o = p.options();
        assert_eq!(o.message_type(), Some(MessageType::Discover), "{name}");
        assert_eq!(p.giaddr(), Ipv4Addr::new(10, 254, 226, 1));
        assert_eq!(&p.chaddr()[..5], &[0x20, 0xe5, 0x2a, 0xb8, 0x15]);
        assert_eq!(o.max_message_size(), Some(1500));
        let vc = o.vendor_class().unwrap();
        assert!(
            vc.eq_bytes(b"docsis3.0:") || vc.eq_bytes(b"eRouter1.0"),
            "{name}"
        );
        let rai = o.relay_agent_info().unwrap().contiguous().unwrap();
        if name.starts_with("v4-Bad") {
            // Option 82 itself fits in the message (and there is no End, which
            // we tolerate), so the message is accepted; the malformation is a
            // sub-option 0x51 claiming 65 bytes of a 30-byte remainder.
            assert_eq!(rai.len(), 32);
            assert!(!relay_agent::is_well_formed(rai));
            assert_eq!(relay_agent::sub_option(rai, relay_agent::CIRCUIT_ID), None);
            assert_eq!(relay_agent::sub_option(rai, 0x51), None);
        } else {
            assert!(relay_agent::is_well_formed(rai));
            assert_eq!(
                relay_agent::sub_option(rai, relay_agent::CIRCUIT_ID),
                Some(&[0x20, 0, 0, 2][..])
            );
            assert_eq!(
                relay_agent::sub_option(rai, relay_agent::REMOTE_ID),
                Some(&[0x20, 0xe5, 0x2a, 0xb8, 0x15, 0x14][..])
            );
            assert_eq!(relay_agent::sub_option(rai, 9).map(|v| v.len()), Some(9));
        }
    }
}
