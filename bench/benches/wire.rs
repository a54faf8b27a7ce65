//! Wire codec micro-benchmarks: parse and build of realistic relayed DHCPv4 messages
//! (client-id, parameter request list, hostname, vendor class, option 82), and of
//! DHCPv6 SOLICIT (in a Relay-forward with interface-id and remote-id) and REPLY, both
//! with IA_NA + IA_PD.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use std::net::Ipv4Addr;
use std::net::Ipv6Addr;
use xdhcp_bench::fixtures::{ClientMsg, RELAY_INFO, ServerAck, hostname, mac};
use xdhcp_bench::fixtures6::{ClientMsg6, ServerReply6, duid_llt, relay_forw};
use xdhcp_wire::dhcpv4::{Packet, relay_agent};
use xdhcp_wire::dhcpv6::{self, MessageType as Mt6, unwrap_relays};

const RELAY: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const YIADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 7, 42);

/// What a server reads from every message: all of it that drives a decision.
#[inline(never)]
fn parse(bytes: &[u8]) -> (u32, usize, u64) {
    let p = Packet::new_checked(bytes).expect("valid message");
    let o = p.options();
    let mut acc = u64::from(o.message_type().map_or(0, |t| t as u8));
    acc += o.client_id().map_or(0, |c| c.len() as u64);
    acc += o.parameter_request_list().map_or(0, |c| c.len() as u64);
    acc += o.host_name().map_or(0, |c| c.len() as u64);
    acc += o.vendor_class().map_or(0, |c| c.len() as u64);
    acc += o.requested_ip().map_or(0, |a| u64::from(u32::from(a)));
    acc += o.server_id().map_or(0, |a| u64::from(u32::from(a)));
    acc += o.lease_time().map_or(0, u64::from);
    acc += u64::from(o.max_message_size().unwrap_or(0));
    if let Some(ri) = o.relay_agent_info().and_then(|v| v.contiguous()) {
        acc += relay_agent::sub_option(ri, 1).map_or(0, |c| c.len() as u64);
        acc += relay_agent::sub_option(ri, 2).map_or(0, |c| c.len() as u64);
    }
    (p.xid(), p.chaddr().len(), acc)
}

/// What a DHCPv6 server reads: the relay chain, identifiers, ORO and every IA with
/// its addresses/prefixes.
#[inline(never)]
fn parse6(bytes: &[u8]) -> (u32, usize, u128) {
    let (msg, chain) = unwrap_relays(bytes).expect("valid message");
    let o = msg.options();
    let mut acc = o.client_id().map_or(0, |d| d.len() as u128);
    acc += o.server_id().map_or(0, |d| d.len() as u128);
    acc += o.oro().count() as u128;
    acc += u128::from(o.elapsed_time().unwrap_or(0));
    for ia in o.ia_nas() {
        acc += u128::from(ia.iaid ^ ia.t1 ^ ia.t2);
        for a in ia.addresses() {
            acc ^= u128::from(a.addr) ^ u128::from(a.valid);
        }
    }
    for ia in o.ia_pds() {
        acc += u128::from(ia.iaid ^ ia.t1 ^ ia.t2);
        for p in ia.prefixes() {
            acc ^= u128::from(p.prefix) ^ u128::from(p.prefix_len);
        }
    }
    for l in chain.iter() {
        acc ^= u128::from(l.peer) ^ l.interface_id.map_or(0, |i| i.len() as u128);
    }
    (msg.transaction_id(), chain.len(), acc)
}

fn bench6(c: &mut Criterion) {
    let link: Ipv6Addr = "2001:db8:1::1".parse().unwrap();
    let peer: Ipv6Addr = "fe80::42:ff:fe00:1234".parse().unwrap();
    let duid = duid_llt(0x1234);
    let solicit = ClientMsg6 {
        kind: Mt6::Solicit,
        xid: 0x12_3456,
        duid: &duid,
        iaid: 1,
        server_duid: None,
        addr: None,
        prefix: None,
    };
    let reply = ServerReply6 {
        kind: Mt6::Reply,
        xid: 0x12_3456,
        client_duid: &duid,
        iaid: 1,
        addr: "2001:db8:1::1:0:1234".parse().unwrap(),
        prefix: "2001:db8:8000:1200::".parse().unwrap(),
        prefix_len: 56,
    };
    let mut sbuf = [0u8; 1500];
    let slen = relay_forw(&mut sbuf, link, peer, |b| solicit.build(b)).unwrap();
    let mut rbuf = [0u8; 1500];
    let rlen = reply.build(&mut rbuf).unwrap();

    let mut g = c.benchmark_group("wire/dhcpv6");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse/relayed_solicit", |b| {
        b.iter(|| parse6(black_box(&sbuf[..slen])))
    });
    g.bench_function("parse/reply", |b| {
        b.iter(|| parse6(black_box(&rbuf[..rlen])))
    });
    let mut out = [0u8; 1500];
    g.bench_function("build/relayed_solicit", |b| {
        b.iter(|| {
            let m = black_box(solicit);
            relay_forw(black_box(&mut out), link, peer, |buf| m.build(buf)).unwrap()
        })
    });
    g.bench_function("build/reply", |b| {
        b.iter(|| black_box(reply).build(black_box(&mut out)).unwrap())
    });
    g.bench_function("build/relay_reply", |b| {
        b.iter(|| {
            let m = black_box(reply);
            let mut r =
                dhcpv6::RelayBuilder::new(black_box(&mut out), Mt6::RelayRepl, 0, link, peer)
                    .unwrap();
            r.interface_id(b"Gi1/0/24:vlan100").unwrap();
            r.relay_msg_with(|buf| m.build(buf)).unwrap();
            r.finish().unwrap()
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let mut hbuf = [0u8; 13];
    let host = hostname(0x1234, &mut hbuf);
    let m = mac(0x1234);
    let discover = ClientMsg::discover(m, 0x1111, RELAY, host);
    let request = ClientMsg::selecting(m, 0x2222, RELAY, YIADDR, SERVER, host);
    let ack = ServerAck {
        mac: m,
        xid: 0x2222,
        yiaddr: YIADDR,
        giaddr: RELAY,
        server_id: SERVER,
        hostname: host,
        relay_info: Some(&RELAY_INFO),
    };
    let mut bufs = [[0u8; 1500]; 3];
    let lens = [
        discover.build(&mut bufs[0]).unwrap(),
        request.build(&mut bufs[1]).unwrap(),
        ack.build(&mut bufs[2]).unwrap(),
    ];

    let mut g = c.benchmark_group("wire/dhcpv4");
    g.throughput(Throughput::Elements(1));
    for (i, name) in ["discover", "request", "ack"].into_iter().enumerate() {
        let bytes = &bufs[i][..lens[i]];
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| parse(black_box(bytes)))
        });
    }
    let mut out = [0u8; 1500];
    g.bench_function("build/discover", |b| {
        b.iter(|| black_box(discover).build(black_box(&mut out)).unwrap())
    });
    g.bench_function("build/request", |b| {
        b.iter(|| black_box(request).build(black_box(&mut out)).unwrap())
    });
    g.bench_function("build/ack", |b| {
        b.iter(|| black_box(ack).build(black_box(&mut out)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench, bench6);
criterion_main!(benches);
