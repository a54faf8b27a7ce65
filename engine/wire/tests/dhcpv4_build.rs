//! Builder behaviour: splitting (RFC 3396), overload (RFC 2131 §4.1 /
//! RFC 2132 §9.3), rollback, limits; plus build-then-parse round trips.

mod common;

use std::net::Ipv4Addr;

use proptest::prelude::*;
use xdhcp_wire::dhcpv4::{BOOTP_MIN_LEN, BuildError, Builder, MessageType, Packet, code};

#[test]
fn simple_reply() {
    let mut buf = [0xaau8; 1500];
    let mut b = Builder::new(&mut buf).unwrap();
    b.op(2);
    b.htype(1);
    b.hlen(6);
    b.xid(0x1234_5678);
    b.flags(0x8000);
    b.yiaddr(Ipv4Addr::new(192, 0, 2, 10));
    b.giaddr(Ipv4Addr::new(192, 0, 2, 1));
    b.chaddr(&[1, 2, 3, 4, 5, 6]).unwrap();
    b.message_type(MessageType::Offer).unwrap();
    b.server_id(Ipv4Addr::new(192, 0, 2, 2)).unwrap();
    b.option_u32(code::DHCP_LEASE_TIME, 4000).unwrap();
    b.option_ipv4(code::SUBNET_MASK, Ipv4Addr::new(255, 255, 255, 0))
        .unwrap();
    let n = b.finish().unwrap();
    assert_eq!(n, BOOTP_MIN_LEN);
    let p = Packet::new_checked(&buf[..n]).unwrap();
    assert_eq!((p.op(), p.xid(), p.broadcast()), (2, 0x1234_5678, true));
    assert_eq!(p.yiaddr(), Ipv4Addr::new(192, 0, 2, 10));
    assert_eq!(p.chaddr(), &[1, 2, 3, 4, 5, 6]);
    assert_eq!(p.sname(), Some(&[][..]));
    let o = p.options();
    assert_eq!(o.message_type(), Some(MessageType::Offer));
    assert_eq!(o.server_id(), Some(Ipv4Addr::new(192, 0, 2, 2)));
    assert_eq!(o.lease_time(), Some(4000));
    // Fixed header zeroed, padding after End zeroed.
    assert!(buf[12..16].iter().all(|&b| b == 0));
    let end = 240 + 3 + 6 + 6 + 6;
    assert_eq!(buf[end], 255);
    assert!(buf[end + 1..BOOTP_MIN_LEN].iter().all(|&b| b == 0));
}

#[test]
fn long_option_is_split() {
    let data: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
    let mut buf = [0u8; 1500];
    let mut b = Builder::new(&mut buf).unwrap();
    b.option(code::DHCP_MESSAGE, &data).unwrap();
    let n = b.finish().unwrap();
    assert_eq!(n, 240 + 2 + 255 + 2 + 255 + 2 + 90 + 1);
    let p = Packet::new_checked(&buf[..n]).unwrap();
    let lens: Vec<usize> = p.options().iter().map(|o| o.data.len()).collect();
    assert_eq!(lens, [255, 255, 90]);
    assert!(p.options().get(code::DHCP_MESSAGE).unwrap().eq_bytes(&data));
}

#[test]
fn option_parts_concatenate() {
    let mut buf = [0u8; 600];
    let mut b = Builder::new(&mut buf).unwrap();
    let big = [7u8; 300];
    b.option_parts(code::DHCP_AGENT_OPTIONS, &[&[1, 2], &big, &[], &[9]])
        .unwrap();
    let n = b.finish().unwrap();
    let p = Packet::new_checked(&buf[..n]).unwrap();
    let v = p.options().relay_agent_info().unwrap();
    let mut want = vec![1, 2];
    want.extend_from_slice(&big);
    want.push(9);
    assert!(v.eq_bytes(&want));
    assert_eq!(v.fragment_count(), 2);
}

/// Fills a 576-byte message so options must overload into file and sname.
#[test]
fn overload_file_then_sname() {
    let mut buf = [0u8; 1500];
    let mut b = Builder::new(&mut buf).unwrap();
    b.set_max_len(100); // floored to 576
    b.message_type(MessageType::Ack).unwrap();
    let big: Vec<u8> = (0..320u32).map(|i| (i % 251) as u8 + 1).collect();
    b.option(code::DHCP_MESSAGE, &big).unwrap();
    assert_eq!(b.overload(), 0);
    b.option(code::ROOT_PATH, &[b'r'; 100]).unwrap(); // whole in file
    assert_eq!(b.overload(), 1);
    b.option(code::MERIT_DUMP, &[b'm'; 40]).unwrap(); // file full -> sname
    assert_eq!(b.overload(), 3);
    assert_eq!(
        b.sname(b"x"),
        Err(BuildError::FieldInUse { field: "sname" })
    );
    assert_eq!(b.file(b"x"), Err(BuildError::FieldInUse { field: "file" }));
    assert_eq!(
        b.option(code::NIS_DOMAIN, &[1; 60]),
        Err(BuildError::NoSpace)
    );
    b.option(code::DHCP_RENEWAL_TIME, &[0, 0, 1, 0]).unwrap();
    let n = b.finish().unwrap();
    assert!(n <= 576);
    let p = Packet::new_checked(&buf[..n]).unwrap();
    common::exercise(&p);
    assert_eq!(p.overload(), 3);
    let o = p.options();
    assert!(o.get(code::DHCP_MESSAGE).unwrap().eq_bytes(&big));
    assert!(o.get(code::ROOT_PATH).unwrap().eq_bytes(&[b'r'; 100]));
    assert_eq!(o.get(code::ROOT_PATH).unwrap().fragment_count(), 1);
    assert!(o.get(code::MERIT_DUMP).unwrap().eq_bytes(&[b'm'; 40]));
    assert!(o.get(code::NIS_DOMAIN).is_none());
    assert!(o.get(code::DHCP_RENEWAL_TIME).is_some());
}

#[test]
fn overload_skips_fields_in_use_and_rolls_back() {
    let mut buf = [0u8; 576];
    let mut b = Builder::new(&mut buf).unwrap();
    b.file(b"pxelinux.0").unwrap();
    b.option(code::DHCP_MESSAGE, &[b'a'; 330]).unwrap();
    b.option(code::ROOT_PATH, &[b'r'; 50]).unwrap();
    assert_eq!(b.overload(), 2, "only sname is free");
    // Too big for what is left: fails, leaves no trace.
    assert_eq!(
        b.option(code::EXTENSIONS_PATH, &[b'e'; 200]),
        Err(BuildError::NoSpace)
    );
    assert_eq!(b.overload(), 2);
    let n = b.finish().unwrap();
    let p = Packet::new_checked(&buf[..n]).unwrap();
    assert_eq!(p.file(), Some(&b"pxelinux.0"[..]));
    assert_eq!(p.sname(), None);
    assert!(p.options().get(code::EXTENSIONS_PATH).is_none());
    assert!(
        p.options()
            .get(code::ROOT_PATH)
            .unwrap()
            .eq_bytes(&[b'r'; 50])
    );

    // A failed write that had spilled into file must clean file up.
    let mut buf = [0u8; 576];
    let mut b = Builder::new(&mut buf).unwrap();
    b.sname(b"srv").unwrap();
    b.option(code::DHCP_MESSAGE, &[b'a'; 300]).unwrap();
    assert_eq!(
        b.option(code::ROOT_PATH, &[b'r'; 255]),
        Err(BuildError::NoSpace)
    );
    assert_eq!(b.overload(), 0);
    let n = b.finish().unwrap();
    assert!(
        buf[108..236].iter().all(|&x| x == 0),
        "file zeroed after rollback"
    );
    let p = Packet::new_checked(&buf[..n]).unwrap();
    assert_eq!((p.sname(), p.file()), (Some(&b"srv"[..]), Some(&[][..])));
}

#[test]
fn limits_and_errors() {
    assert_eq!(
        Builder::new(&mut [0u8; 299]).unwrap_err(),
        BuildError::BufferTooSmall { len: 299 }
    );
    let mut buf = [0u8; 300];
    let mut b = Builder::new(&mut buf).unwrap();
    assert_eq!(b.chaddr(&[0; 17]), Err(BuildError::ChaddrTooLong));
    assert_eq!(
        b.sname(&[b'a'; 64]),
        Err(BuildError::FieldTooLong { field: "sname" })
    );
    b.sname(&[b'a'; 63]).unwrap();
    assert_eq!(
        b.file(&[b'a'; 128]),
        Err(BuildError::FieldTooLong { field: "file" })
    );
    b.file(&[b'a'; 127]).unwrap();
    assert_eq!(b.option(0, &[]), Err(BuildError::ReservedCode(0)));
    assert_eq!(b.option(255, &[]), Err(BuildError::ReservedCode(255)));
    b.option(code::RAPID_COMMIT, &[]).unwrap();
    assert_eq!(
        b.option(code::DHCP_MESSAGE, &[0; 60]),
        Err(BuildError::NoSpace)
    );
    b.option(code::DHCP_MESSAGE, &[0; 55]).unwrap();
    assert_eq!(b.finish(), Ok(300));
    let p = Packet::new_checked(&buf).unwrap();
    assert_eq!(p.sname().unwrap().len(), 63);
    assert_eq!(p.file().unwrap().len(), 127);
    assert!(p.options().get(code::RAPID_COMMIT).unwrap().is_empty());
    for e in [
        BuildError::NoSpace,
        BuildError::FieldInUse { field: "file" },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn max_message_size_option_semantics() {
    let mut buf = [0u8; 1500];
    let mut b = Builder::new(&mut buf).unwrap();
    b.set_max_message_size(576);
    b.option(code::DHCP_MESSAGE, &[1; 255]).unwrap();
    b.option(code::ROOT_PATH, &[1; 40]).unwrap();
    // 548 - 240 = 308 bytes of options field: 257 + 42 + 3 (52) + 1 > 300
    assert_eq!(b.overload(), 0);
    b.option(code::MERIT_DUMP, &[1; 10]).unwrap();
    assert_eq!(b.overload(), 1);
    let n = b.finish().unwrap();
    assert!(n <= 548);
}

#[derive(Debug, Clone)]
struct Case {
    op: u8,
    htype: u8,
    hlen: u8,
    hops: u8,
    xid: u32,
    secs: u16,
    flags: u16,
    addrs: [u32; 4],
    chaddr: Vec<u8>,
    sname: Option<Vec<u8>>,
    file: Option<Vec<u8>>,
    max_len: Option<usize>,
    buf_len: usize,
    opts: Vec<(u8, Vec<u8>, bool)>,
}

fn text(max: usize) -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::of(proptest::collection::vec(1u8..=255, 0..max))
}

fn case() -> impl Strategy<Value = Case> {
    let code = (1u8..=254).prop_filter("not overload", |c| *c != code::DHCP_OPTION_OVERLOAD);
    let opt = (
        code,
        prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 0..40),
            1 => proptest::collection::vec(any::<u8>(), 0..700),
        ],
        any::<bool>(),
    );
    (
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
        ),
        any::<[u32; 4]>(),
        proptest::collection::vec(any::<u8>(), 0..=16),
        text(64),
        text(128),
        proptest::option::of(0usize..1600),
        300usize..1600,
        proptest::collection::vec(opt, 0..16),
    )
        .prop_map(
            |(
                (op, htype, hlen, hops, xid, secs, flags),
                addrs,
                chaddr,
                sname,
                file,
                max_len,
                buf_len,
                opts,
            )| Case {
                op,
                htype,
                hlen,
                hops,
                xid,
                secs,
                flags,
                addrs,
                chaddr,
                sname,
                file,
                max_len,
                buf_len,
                opts,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn build_then_parse(c in case()) {
        let mut buf = vec![0x5au8; c.buf_len];
        let mut b = Builder::new(&mut buf).unwrap();
        b.op(c.op);
        b.htype(c.htype);
        b.hlen(c.hlen);
        b.hops(c.hops);
        b.xid(c.xid);
        b.secs(c.secs);
        b.flags(c.flags);
        b.ciaddr(c.addrs[0].into());
        b.yiaddr(c.addrs[1].into());
        b.siaddr(c.addrs[2].into());
        b.giaddr(c.addrs[3].into());
        b.chaddr(&c.chaddr).unwrap();
        let sname_ok = c.sname.as_ref().map(|s| b.sname(s).is_ok());
        let file_ok = c.file.as_ref().map(|s| b.file(s).is_ok());
        if let Some(m) = c.max_len {
            b.set_max_len(m);
        }
        let mut written: Vec<(u8, Vec<u8>)> = Vec::new();
        for (code, data, split) in &c.opts {
            let r = if *split && data.len() > 1 {
                let (a, z) = data.split_at(data.len() / 2);
                b.option_parts(*code, &[a, z])
            } else {
                b.option(*code, data)
            };
            match r {
                Ok(()) => written.push((*code, data.clone())),
                Err(e) => prop_assert_eq!(e, BuildError::NoSpace),
            }
        }
        let overload = b.overload();
        let n = b.finish().unwrap();
        let limit = c.buf_len.min(c.max_len.map_or(usize::MAX, |m| m.max(576)));
        prop_assert!(n >= BOOTP_MIN_LEN && n <= limit);
        let p = Packet::new_checked(&buf[..n]).unwrap();
        common::exercise(&p);
        prop_assert_eq!(p.overload(), overload);
        prop_assert_eq!((p.op(), p.htype(), p.hlen(), p.hops()), (c.op, c.htype, c.hlen, c.hops));
        prop_assert_eq!((p.xid(), p.secs(), p.flags()), (c.xid, c.secs, c.flags));
        prop_assert_eq!(
            [p.ciaddr(), p.yiaddr(), p.siaddr(), p.giaddr()],
            c.addrs.map(Ipv4Addr::from)
        );
        prop_assert_eq!(&p.as_bytes()[28..28 + c.chaddr.len()], &c.chaddr[..]);
        match (&c.sname, sname_ok) {
            (Some(s), Some(true)) => prop_assert_eq!(p.sname(), Some(&s[..])),
            _ if overload & 2 == 0 => prop_assert_eq!(p.sname(), Some(&[][..])),
            _ => prop_assert_eq!(p.sname(), None),
        }
        match (&c.file, file_ok) {
            (Some(s), Some(true)) => prop_assert_eq!(p.file(), Some(&s[..])),
            _ if overload & 1 == 0 => prop_assert_eq!(p.file(), Some(&[][..])),
            _ => prop_assert_eq!(p.file(), None),
        }
        let o = p.options();
        let mut codes: Vec<u8> = written.iter().map(|w| w.0).collect();
        codes.sort_unstable();
        codes.dedup();
        for code in &codes {
            let want: Vec<u8> = written.iter().filter(|w| w.0 == *code).flat_map(|w| w.1.clone()).collect();
            let got = o.get(*code).unwrap();
            prop_assert!(got.eq_bytes(&want), "code {}", code);
            if want.len() <= 255 && written.iter().filter(|w| w.0 == *code).count() == 1 && overload == 0 {
                prop_assert!(got.contiguous().is_some());
            }
        }
        let mut seen: Vec<u8> = o.iter().map(|r| r.code).filter(|c| *c != code::DHCP_OPTION_OVERLOAD).collect();
        seen.sort_unstable();
        seen.dedup();
        prop_assert_eq!(seen, codes);
    }
}
