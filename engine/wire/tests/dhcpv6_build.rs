//! DHCPv6 builders: build-then-parse round trips and limits.

mod common;

use std::net::Ipv6Addr;

use proptest::prelude::*;
use xdhcp_wire::dhcpv6::{
    BuildError, Builder, Message, MessageType, RelayBuilder, StatusCode, code, unwrap_relays,
};

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn solicit_with_ia_na_and_ia_pd() {
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, MessageType::Solicit, 0xab_cdef).unwrap();
    b.client_id(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]).unwrap();
    b.elapsed_time(0).unwrap();
    b.oro(&[code::DNS_SERVERS, code::DOMAIN_SEARCH]).unwrap();
    b.rapid_commit().unwrap();
    let na = b.ia_na(1, 0, 0).unwrap();
    b.end(na).unwrap();
    let pd = b.ia_pd(2, 0, 0).unwrap();
    let hint = b.iaprefix(0, 0, 56, Ipv6Addr::UNSPECIFIED).unwrap();
    b.end(hint).unwrap();
    b.end(pd).unwrap();
    let n = b.finish().unwrap();
    let m = Message::new_checked(&buf[..n]).unwrap();
    assert_eq!(
        (m.msg_type(), m.transaction_id()),
        (MessageType::Solicit, 0xab_cdef)
    );
    let o = m.options();
    assert_eq!(o.client_id().unwrap().len(), 10);
    assert_eq!(o.elapsed_time(), Some(0));
    assert_eq!(o.oro().collect::<Vec<_>>(), [23, 24]);
    assert!(o.rapid_commit());
    let na: Vec<_> = o.ia_nas().collect();
    assert_eq!((na.len(), na[0].iaid), (1, 1));
    assert!(na[0].options.is_empty());
    let pd = o.ia_pds().next().unwrap();
    assert_eq!(pd.iaid, 2);
    let p = pd.prefixes().next().unwrap();
    assert_eq!((p.prefix_len, p.prefix), (56, Ipv6Addr::UNSPECIFIED));
    // Exact bytes of the IA_NA: code 3, length 12, iaid 1, t1 0, t2 0.
    let at = n - (4 + 12 + 4 + 25) - 16;
    assert_eq!(
        &buf[at..at + 16],
        &[0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn reply_with_addresses_prefixes_and_status() {
    let mut buf = [0u8; 1024];
    let mut b = Builder::new(&mut buf, MessageType::Reply, 42).unwrap();
    b.server_id(b"\x00\x01server").unwrap();
    b.client_id(b"\x00\x03client").unwrap();
    b.preference(255).unwrap();
    let na = b.ia_na(7, 1800, 2880).unwrap();
    for i in 1..=2u16 {
        let a = b
            .iaaddr(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i), 3000, 4000)
            .unwrap();
        b.end(a).unwrap();
    }
    b.status_code(StatusCode::Success as u16, b"assigned")
        .unwrap();
    b.end(na).unwrap();
    let na2 = b.ia_na(8, 0, 0).unwrap();
    b.status_code(StatusCode::NoAddrsAvail.into(), b"pool exhausted")
        .unwrap();
    b.end(na2).unwrap();
    let pd = b.ia_pd(9, 100, 200).unwrap();
    let p = b.iaprefix(300, 400, 48, ip("2001:db8:1::")).unwrap();
    b.status_code(0, b"").unwrap();
    b.end(p).unwrap();
    b.end(pd).unwrap();
    b.status_code(StatusCode::UseMulticast as u16, b"").unwrap();
    let n = b.finish().unwrap();

    let m = Message::new_checked(&buf[..n]).unwrap();
    assert_eq!(m.msg_type(), MessageType::Reply);
    let o = m.options();
    assert_eq!(o.server_id(), Some(&b"\x00\x01server"[..]));
    assert_eq!(o.preference(), Some(255));
    assert_eq!(o.status_code(), Some((5, &b""[..])));
    let ias: Vec<_> = o.ia_nas().collect();
    assert_eq!(ias.len(), 2);
    assert_eq!((ias[0].iaid, ias[0].t1, ias[0].t2), (7, 1800, 2880));
    let addrs: Vec<_> = ias[0].addresses().collect();
    assert_eq!(addrs.len(), 2);
    assert_eq!(addrs[1].addr, ip("2001:db8::2"));
    assert_eq!((addrs[1].preferred, addrs[1].valid), (3000, 4000));
    assert_eq!(ias[0].options.status_code(), Some((0, &b"assigned"[..])));
    assert_eq!(
        ias[1].options.status_code(),
        Some((2, &b"pool exhausted"[..]))
    );
    assert_eq!(ias[1].addresses().count(), 0);
    let pd = o.ia_pds().next().unwrap();
    assert_eq!((pd.iaid, pd.t1, pd.t2), (9, 100, 200));
    let p = pd.prefixes().next().unwrap();
    assert_eq!((p.preferred, p.valid, p.prefix_len), (300, 400, 48));
    assert_eq!(p.prefix, ip("2001:db8:1::"));
    assert_eq!(p.options.status_code(), Some((0, &b""[..])));
    assert_eq!(StatusCode::from_u16(2), Some(StatusCode::NoAddrsAvail));
}

/// Three nested RELAY-FORWs around a SOLICIT, built zero-copy, then
/// unwrapped; and a RELAY-REPL chain built from the unwrapped levels.
#[test]
fn three_level_relay_forw() {
    let mut buf = [0u8; 1024];
    let mut r0 = RelayBuilder::new(
        &mut buf,
        MessageType::RelayForw,
        2,
        ip("2001:db8:0::1"),
        ip("fe80::2"),
    )
    .unwrap();
    r0.interface_id(b"eth0").unwrap();
    r0.relay_msg_with(|b1| {
        let mut r1 = RelayBuilder::new(
            b1,
            MessageType::RelayForw,
            1,
            ip("2001:db8:1::1"),
            ip("fe80::1"),
        )?;
        r1.option(code::REMOTE_ID, &[0, 0, 0x11, 0x8b, 1, 2])?;
        r1.relay_msg_with(|b2| {
            let mut r2 = RelayBuilder::new(
                b2,
                MessageType::RelayForw,
                0,
                ip("2001:db8:2::1"),
                ip("fe80::c"),
            )?;
            r2.interface_id(b"port7")?;
            // The innermost via begin/remaining_mut/advance instead of a closure.
            let nest = r2.begin(code::RELAY_MSG)?;
            let n = {
                let mut s = Builder::new(r2.remaining_mut(), MessageType::Solicit, 0x10203)?;
                s.client_id(b"duid")?;
                let na = s.ia_na(1, 0, 0)?;
                s.end(na)?;
                s.finish()?
            };
            r2.advance(n)?;
            r2.end(nest)?;
            r2.finish()
        })?;
        r1.finish()
    })
    .unwrap();
    let n = r0.finish().unwrap();

    let (m, chain) = unwrap_relays(&buf[..n]).unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(
        chain.iter().map(|l| l.hop_count).collect::<Vec<_>>(),
        [2, 1, 0]
    );
    assert_eq!(chain[0].interface_id, Some(&b"eth0"[..]));
    assert_eq!(chain[1].interface_id, None);
    assert_eq!(chain[1].options.get(code::REMOTE_ID).unwrap().len(), 6);
    assert_eq!(chain[2].interface_id, Some(&b"port7"[..]));
    assert_eq!(chain[2].link, ip("2001:db8:2::1"));
    assert_eq!(chain.innermost().unwrap().peer, ip("fe80::c"));
    assert_eq!(m.transaction_id(), 0x10203);
    assert_eq!(m.options().client_id(), Some(&b"duid"[..]));

    // Server side: wrap a REPLY in RELAY-REPLs mirroring the chain.
    fn wrap(
        buf: &mut [u8],
        levels: &[xdhcp_wire::dhcpv6::RelayLevel<'_>],
    ) -> Result<usize, BuildError> {
        let Some((l, rest)) = levels.split_first() else {
            let mut b = Builder::new(buf, MessageType::Reply, 0x10203)?;
            b.server_id(b"srv")?;
            return b.finish();
        };
        let mut r = RelayBuilder::new(buf, MessageType::RelayRepl, l.hop_count, l.link, l.peer)?;
        if let Some(id) = l.interface_id {
            r.interface_id(id)?;
        }
        r.relay_msg_with(|inner| wrap(inner, rest))?;
        r.finish()
    }
    let mut out = [0u8; 1024];
    let levels: Vec<_> = chain.iter().copied().collect();
    let k = wrap(&mut out, &levels).unwrap();
    let (reply, rchain) = unwrap_relays(&out[..k]).unwrap();
    assert_eq!(reply.msg_type(), MessageType::Reply);
    assert_eq!(rchain.len(), 3);
    for (a, b) in rchain.iter().zip(chain.iter()) {
        assert_eq!(a.msg_type, MessageType::RelayRepl);
        assert_eq!(
            (a.hop_count, a.link, a.peer, a.interface_id),
            (b.hop_count, b.link, b.peer, b.interface_id)
        );
    }
}

#[test]
fn overflow_is_no_space_never_panic() {
    for size in 0..200 {
        let mut buf = vec![0u8; size];
        let r = (|| {
            let mut b = Builder::new(&mut buf, MessageType::Request, 1)?;
            b.client_id(&[1; 20])?;
            let na = b.ia_na(1, 2, 3)?;
            let a = b.iaaddr(Ipv6Addr::LOCALHOST, 1, 2)?;
            b.status_code(0, b"ok")?;
            b.end(a)?;
            b.end(na)?;
            b.oro(&[1, 2, 3])?;
            b.relay_msg_with(|inner| Ok(inner.len()))?;
            b.finish()
        })();
        match r {
            Ok(n) => {
                assert!(n <= size);
                common::exercise6(&buf[..n]);
            }
            Err(e) => assert_eq!(e, BuildError::NoSpace, "size {size}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary flat options plus IAs round-trip exactly.
    #[test]
    fn generated_round_trip(
        xid in any::<u32>(),
        opts in proptest::collection::vec(((30u16..3000), proptest::collection::vec(any::<u8>(), 0..40)), 0..10),
        addrs in proptest::collection::vec((any::<u128>(), any::<u32>(), any::<u32>()), 0..4),
        prefixes in proptest::collection::vec((any::<u8>(), any::<u128>()), 0..4),
    ) {
        let mut buf = vec![0u8; 4096];
        let mut b = Builder::new(&mut buf, MessageType::Renew, xid).unwrap();
        for (c, d) in &opts {
            b.option(*c, d).unwrap();
        }
        let na = b.ia_na(1, 2, 3).unwrap();
        for (a, p, v) in &addrs {
            let n = b.iaaddr(Ipv6Addr::from(*a), *p, *v).unwrap();
            b.end(n).unwrap();
        }
        b.end(na).unwrap();
        let pd = b.ia_pd(4, 5, 6).unwrap();
        for (l, p) in &prefixes {
            let n = b.iaprefix(1, 2, *l, Ipv6Addr::from(*p)).unwrap();
            b.end(n).unwrap();
        }
        b.end(pd).unwrap();
        let n = b.finish().unwrap();
        let m = Message::new_checked(&buf[..n]).unwrap();
        prop_assert_eq!(m.transaction_id(), xid & 0xff_ffff);
        let got: Vec<_> = m.options().iter().filter(|o| o.code >= 30).map(|o| (o.code, o.data.to_vec())).collect();
        prop_assert_eq!(&got, &opts);
        let na = m.options().ia_nas().next().unwrap();
        let got: Vec<_> = na.addresses().map(|a| (u128::from(a.addr), a.preferred, a.valid)).collect();
        prop_assert_eq!(&got, &addrs);
        let pd = m.options().ia_pds().next().unwrap();
        let got: Vec<_> = pd.prefixes().map(|p| (p.prefix_len, u128::from(p.prefix))).collect();
        prop_assert_eq!(&got, &prefixes);
    }
}
