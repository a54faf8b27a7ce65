//! Differential tests against `dhcproto` 0.15's v6 module on the Kea
//! captures and on generated messages: same message type, transaction id
//! (or relay header), and the same bytes for every option.
//!
//! dhcproto decodes option contents and re-sorts each list by code, so
//! both sides are brought to a canonical form: containers (IA_NA, IA_TA,
//! IA_PD, IAADDR, IAPREFIX) become their fixed part plus the sorted
//! canonical list of their options; other options are their data bytes.
//! Two dhcproto quirks are worked around, not compared:
//! - it parses RELAY_MSG contents as a relay message even when they hold a
//!   client message, and parses vendor-opts sub-options as top-level
//!   DHCPv6 options (DOCSIS sub-option 3 then fails as an IA_NA and its
//!   walk stops silently). Both options are renamed to unused codes in the
//!   copy given to dhcproto, so it reads them as opaque bytes; the relayed
//!   message is then compared recursively;
//! - its encoder writes wrong lengths for user-class/vendor-class, so
//!   those are rebuilt from its decoded fields.
//!
//! dhcproto can also panic (integer underflow in debug builds) on short
//! status-code/vendor-class options, so it runs under `catch_unwind`.

mod common;

use std::net::Ipv6Addr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use dhcproto::v6::{self, DhcpOption, DhcpOptions};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use proptest::prelude::*;
use xdhcp_wire::dhcpv6::{Builder, Dhcpv6, Message, MessageType, Options, RelayBuilder, code};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Canon {
    Raw(Vec<u8>),
    Container(Vec<u8>, Vec<(u16, Canon)>),
}

/// Codes hidden from dhcproto (see the module docs), and their stand-ins.
const HIDDEN: [(u16, u16); 2] = [(code::RELAY_MSG, 0xff09), (code::VENDOR_OPTS, 0xff11)];

fn fixed_len(code: u16) -> Option<usize> {
    match code {
        code::IA_NA | code::IA_PD => Some(12),
        code::IA_TA => Some(4),
        code::IAADDR => Some(24),
        code::IAPREFIX => Some(25),
        _ => None,
    }
}

fn ours_list(o: Options<'_>) -> Vec<(u16, Canon)> {
    let mut v: Vec<_> = o.iter().map(|r| (r.code, ours(r.code, r.data))).collect();
    v.sort();
    v
}

fn ours(code: u16, data: &[u8]) -> Canon {
    match fixed_len(code) {
        Some(n) if data.len() >= n => {
            Canon::Container(data[..n].to_vec(), ours_list(Options::new(&data[n..])))
        }
        _ => Canon::Raw(data.to_vec()),
    }
}

fn theirs_list(o: &DhcpOptions) -> Vec<(u16, Canon)> {
    let mut v: Vec<_> = o.iter().map(theirs).collect();
    v.sort();
    v
}

fn tuples(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend((i.len() as u16).to_be_bytes());
        out.extend(i);
    }
    out
}

fn theirs(o: &DhcpOption) -> (u16, Canon) {
    let c =
        |parts: &[&[u8]], opts: &DhcpOptions| Canon::Container(parts.concat(), theirs_list(opts));
    match o {
        DhcpOption::IANA(x) => (
            3,
            c(
                &[
                    &x.id.to_be_bytes(),
                    &x.t1.to_be_bytes(),
                    &x.t2.to_be_bytes(),
                ],
                &x.opts,
            ),
        ),
        DhcpOption::IAPD(x) => (
            25,
            c(
                &[
                    &x.id.to_be_bytes(),
                    &x.t1.to_be_bytes(),
                    &x.t2.to_be_bytes(),
                ],
                &x.opts,
            ),
        ),
        DhcpOption::IATA(x) => (4, c(&[&x.id.to_be_bytes()], &x.opts)),
        DhcpOption::IAAddr(x) => (
            5,
            c(
                &[
                    &x.addr.octets(),
                    &x.preferred_life.to_be_bytes(),
                    &x.valid_life.to_be_bytes(),
                ],
                &x.opts,
            ),
        ),
        DhcpOption::IAPrefix(x) => (
            26,
            c(
                &[
                    &x.preferred_lifetime.to_be_bytes(),
                    &x.valid_lifetime.to_be_bytes(),
                    &[x.prefix_len],
                    &x.prefix_ip.octets(),
                ],
                &x.opts,
            ),
        ),
        DhcpOption::UserClass(u) => (15, Canon::Raw(tuples(&u.data))),
        DhcpOption::VendorClass(v) => {
            let mut d = v.num.to_be_bytes().to_vec();
            d.extend(tuples(&v.data));
            (16, Canon::Raw(d))
        }
        other => {
            let mut buf = Vec::new();
            other.encode(&mut Encoder::new(&mut buf)).unwrap();
            let code = u16::from_be_bytes([buf[0], buf[1]]);
            let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
            assert_eq!(
                len,
                buf.len() - 4,
                "dhcproto re-encoded {other:?} inconsistently"
            );
            let code = HIDDEN.iter().find(|h| h.1 == code).map_or(code, |h| h.0);
            (code, Canon::Raw(buf[4..].to_vec()))
        }
    }
}

/// Renames the hidden codes among the top-level options starting at `at`.
fn hide(bytes: &mut [u8], mut at: usize) {
    while at + 4 <= bytes.len() {
        let c = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        if let Some(h) = HIDDEN.iter().find(|h| h.0 == c) {
            bytes[at..at + 2].copy_from_slice(&h.1.to_be_bytes());
        }
        at += 4 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
}

fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| TestCaseError::fail(format!("dhcproto panicked decoding {what}")))
}

/// Compares one message (and, for relays, everything inside) with dhcproto.
fn compare(bytes: &[u8]) -> Result<(), TestCaseError> {
    let ours_msg = Dhcpv6::parse(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut copy = bytes.to_vec();
    match ours_msg {
        Dhcpv6::Client(m) => {
            hide(&mut copy, 4);
            let t = guarded("message", || v6::Message::decode(&mut Decoder::new(&copy)))?
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(m.msg_type() as u8, u8::from(t.msg_type()));
            prop_assert_eq!(m.transaction_id(), t.xid_num());
            prop_assert_eq!(ours_list(m.options()), theirs_list(t.opts()));
        }
        Dhcpv6::Relay(r) => {
            hide(&mut copy, 34);
            let t = guarded("relay", || {
                v6::RelayMessage::decode(&mut Decoder::new(&copy))
            })?
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(r.msg_type() as u8, u8::from(t.msg_type()));
            prop_assert_eq!(r.hop_count(), t.hop_count());
            prop_assert_eq!(r.link_address(), t.link_addr());
            prop_assert_eq!(r.peer_address(), t.peer_addr());
            prop_assert_eq!(ours_list(r.options()), theirs_list(t.opts()));
            if let Some(inner) = r.relay_message() {
                compare(inner)?;
            }
        }
    }
    Ok(())
}

#[test]
fn kea_captures_match_dhcproto() {
    let mut compared = 0;
    for (name, bytes) in common::v6_captures() {
        if name == "v6-SolicitWithTruncatedVIVSO.hex" {
            continue;
        }
        compare(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        compared += 1;
    }
    assert_eq!(compared, 7);
}

/// v6-SolicitWithTruncatedVIVSO: vendor-opts of length 1, then 3 stray
/// bytes. We reject the message; dhcproto must not make us panic either
/// way, and its own behaviour (error, silent truncation, or a debug-build
/// underflow panic) is only recorded.
#[test]
fn truncated_vivso() {
    let bytes = common::capture("v6-SolicitWithTruncatedVIVSO.hex");
    assert!(Message::new_checked(&bytes).is_err());
    common::exercise6(&bytes);
    let theirs = catch_unwind(|| v6::Message::decode(&mut Decoder::new(&bytes)).is_ok());
    eprintln!("dhcproto on truncated VIVSO: {theirs:?} (Ok(true)=accepted, Err=panicked)");
    // The same message with the vendor option fixed parses on both sides.
    let good = common::capture("v6-SolicitWithVIVSO.hex");
    compare(&good).unwrap();
}

fn ascii(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0x20u8..0x7f, 0..max)
}

fn blob(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// An IAADDR: address, lifetimes, optional status code.
type GenAddr = (u128, u32, u32, Option<(u16, Vec<u8>)>);
/// A relay level: hop count, link, peer, interface-id, extra options.
type GenRelay = (u8, u128, u128, Option<Vec<u8>>, Vec<(u16, Vec<u8>)>);

/// One top-level option, well-formed for dhcproto's typed decoders.
#[derive(Debug, Clone)]
enum Gen {
    Opaque(u16, Vec<u8>),
    ClientId(Vec<u8>),
    ServerId(Vec<u8>),
    Elapsed(u16),
    Preference(u8),
    RapidCommit,
    Oro(Vec<u16>),
    Status(u16, Vec<u8>),
    VendorClass(u32, Vec<Vec<u8>>),
    UserClass(Vec<Vec<u8>>),
    VendorOpts(u32, Vec<u8>),
    IaNa(u32, u32, u32, Vec<GenAddr>),
    IaTa(u32, Vec<GenAddr>),
    IaPd(u32, u32, u32, Vec<(u32, u32, u8, u128)>),
}

/// Codes dhcproto keeps as raw bytes.
fn opaque_code() -> impl Strategy<Value = u16> {
    prop_oneof![Just(10u16), 27u16..=55, 57u16..=60, 62u16..=2000]
}

fn gen_option() -> impl Strategy<Value = Gen> {
    let addr = || {
        (
            any::<u128>(),
            any::<u32>(),
            any::<u32>(),
            proptest::option::of((any::<u16>(), ascii(20))),
        )
    };
    prop_oneof![
        4 => (opaque_code(), blob(40)).prop_map(|(c, d)| Gen::Opaque(c, d)),
        1 => blob(20).prop_map(Gen::ClientId),
        1 => blob(20).prop_map(Gen::ServerId),
        1 => any::<u16>().prop_map(Gen::Elapsed),
        1 => any::<u8>().prop_map(Gen::Preference),
        1 => Just(Gen::RapidCommit),
        1 => proptest::collection::vec(any::<u16>(), 0..8).prop_map(Gen::Oro),
        1 => (any::<u16>(), ascii(30)).prop_map(|(c, m)| Gen::Status(c, m)),
        1 => (any::<u32>(), proptest::collection::vec(blob(10), 0..3)).prop_map(|(n, d)| Gen::VendorClass(n, d)),
        1 => proptest::collection::vec(blob(10), 0..3).prop_map(Gen::UserClass),
        1 => (any::<u32>(), blob(30)).prop_map(|(n, d)| Gen::VendorOpts(n, d)),
        2 => (any::<u32>(), any::<u32>(), any::<u32>(), proptest::collection::vec(addr(), 0..3))
            .prop_map(|(i, a, b, v)| Gen::IaNa(i, a, b, v)),
        1 => (any::<u32>(), proptest::collection::vec(addr(), 0..2)).prop_map(|(i, v)| Gen::IaTa(i, v)),
        2 => (any::<u32>(), any::<u32>(), any::<u32>(),
              proptest::collection::vec((any::<u32>(), any::<u32>(), any::<u8>(), any::<u128>()), 0..3))
            .prop_map(|(i, a, b, v)| Gen::IaPd(i, a, b, v)),
    ]
}

type BResult = Result<(), xdhcp_wire::dhcpv6::BuildError>;

fn write(w: &mut xdhcp_wire::dhcpv6::OptionWriter<'_>, g: &Gen) -> BResult {
    let addrs = |w: &mut xdhcp_wire::dhcpv6::OptionWriter<'_>, v: &[GenAddr]| -> BResult {
        for (a, p, l, st) in v {
            let n = w.iaaddr(Ipv6Addr::from(*a), *p, *l)?;
            if let Some((c, m)) = st {
                w.status_code(*c, m)?;
            }
            w.end(n)?;
        }
        Ok(())
    };
    match g {
        Gen::Opaque(c, d) => w.option(*c, d),
        Gen::ClientId(d) => w.client_id(d),
        Gen::ServerId(d) => w.server_id(d),
        Gen::Elapsed(v) => w.elapsed_time(*v),
        Gen::Preference(v) => w.preference(*v),
        Gen::RapidCommit => w.rapid_commit(),
        Gen::Oro(v) => w.oro(v),
        Gen::Status(c, m) => w.status_code(*c, m),
        Gen::VendorClass(n, d) => {
            w.option_parts(code::VENDOR_CLASS, &[&n.to_be_bytes(), &tuples(d)])
        }
        Gen::UserClass(d) => w.option(code::USER_CLASS, &tuples(d)),
        Gen::VendorOpts(n, d) => w.option_parts(code::VENDOR_OPTS, &[&n.to_be_bytes(), d]),
        Gen::IaNa(i, t1, t2, v) => {
            let n = w.ia_na(*i, *t1, *t2)?;
            addrs(w, v)?;
            w.end(n)
        }
        Gen::IaTa(i, v) => {
            let n = w.ia_ta(*i)?;
            addrs(w, v)?;
            w.end(n)
        }
        Gen::IaPd(i, t1, t2, v) => {
            let n = w.ia_pd(*i, *t1, *t2)?;
            for (p, l, len, pfx) in v {
                let x = w.iaprefix(*p, *l, *len, Ipv6Addr::from(*pfx))?;
                w.end(x)?;
            }
            w.end(n)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn generated_messages_match(
        t in 1u8..=11,
        xid in any::<u32>(),
        opts in proptest::collection::vec(gen_option(), 0..12),
        relays in proptest::collection::vec(
            (any::<u8>(), any::<u128>(), any::<u128>(), proptest::option::of(blob(8)),
             proptest::collection::vec((opaque_code(), blob(12)), 0..3)),
            0..4,
        ),
    ) {
        let mut buf = vec![0u8; 16384];
        let build = |buf: &mut [u8]| -> Result<usize, xdhcp_wire::dhcpv6::BuildError> {
            let mut b = Builder::new(buf, MessageType::from_u8(t).unwrap(), xid)?;
            for g in &opts {
                write(&mut b, g)?;
            }
            b.finish()
        };
        fn wrap(
            buf: &mut [u8],
            relays: &[GenRelay],
            inner: &dyn Fn(&mut [u8]) -> Result<usize, xdhcp_wire::dhcpv6::BuildError>,
        ) -> Result<usize, xdhcp_wire::dhcpv6::BuildError> {
            let Some(((hop, link, peer, ifid, extra), rest)) = relays.split_first() else {
                return inner(buf);
            };
            let mut r = RelayBuilder::new(
                buf,
                MessageType::RelayForw,
                *hop,
                Ipv6Addr::from(*link),
                Ipv6Addr::from(*peer),
            )?;
            if let Some(id) = ifid {
                r.interface_id(id)?;
            }
            for (c, d) in extra {
                r.option(*c, d)?;
            }
            r.relay_msg_with(|b| wrap(b, rest, inner))?;
            r.finish()
        }
        let n = wrap(&mut buf, &relays, &build).unwrap();
        compare(&buf[..n])?;
    }
}
