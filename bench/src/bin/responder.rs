//! `responder`: a trivial, stateless DHCPv4 relay-mode responder that answers every
//! DISCOVER with an OFFER and every REQUEST with an ACK at once. It exists only to
//! measure load generators' ceilings; it is not a DHCP server. With `-6` it answers
//! DHCPv6 Relay-forwards instead (ADVERTISE/REPLY with an address and a prefix).

use clap::Parser;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use xdhcp_bench::batch::{self, Rings, UdpSocket};
use xdhcp_bench::responder::ResponderV4;
use xdhcp_bench::responder6::ResponderV6;

#[derive(Parser)]
#[command(
    name = "responder",
    about = "Trivial stateless DHCPv4/DHCPv6 responder (relay mode) for measuring load generators"
)]
struct Cli {
    /// Address to bind (DHCPv4: also the server identifier when --server-id is not
    /// given). Default 0.0.0.0, or :: with -6.
    #[arg(long)]
    addr: Option<IpAddr>,
    /// UDP port to bind (default 67, or 547 with -6).
    #[arg(long)]
    port: Option<u16>,
    /// UDP port of the relays replies are sent to (at giaddr).
    #[arg(long, default_value_t = 67)]
    reply_port: u16,
    /// Server identifier (option 54); default --addr, or 198.18.0.1 when --addr is 0.0.0.0.
    #[arg(long)]
    server_id: Option<Ipv4Addr>,
    /// DHCPv4 network addresses are derived into, as ADDR/LEN.
    #[arg(long, default_value = "198.18.0.0/15")]
    net: String,
    /// Bind the socket to this interface (SO_BINDTODEVICE): needed to broadcast replies
    /// to clients on the link (layer-2 load), which have no address yet.
    #[arg(long, value_name = "IFACE")]
    bind_device: Option<String>,
    /// Stop by itself after this many seconds (default: run until SIGTERM/SIGINT).
    #[arg(long)]
    exit_after: Option<u64>,
    /// DHCPv6 relay mode: addresses from 2001:db8:1::/64, /56 prefixes from
    /// 2001:db8:8000::/33, replies to the relay's source address and port.
    #[arg(short = '6')]
    v6: bool,
}

fn parse_net(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (a, l) = s.split_once('/')?;
    let len: u8 = l.parse().ok()?;
    (8..=30).contains(&len).then_some(())?;
    Some((a.parse().ok()?, len))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    batch::install_stop_handlers();
    if cli.v6 {
        return serve6(&cli);
    }
    let addr = match cli.addr {
        None => Ipv4Addr::UNSPECIFIED,
        Some(IpAddr::V4(a)) => a,
        Some(IpAddr::V6(_)) => {
            eprintln!("responder: an IPv6 --addr needs -6");
            return ExitCode::from(2);
        }
    };
    let port = cli.port.unwrap_or(67);
    let Some((net, len)) = parse_net(&cli.net) else {
        eprintln!("responder: --net must be ADDR/LEN with LEN 8..=30");
        return ExitCode::from(2);
    };
    let server_id = cli.server_id.unwrap_or(if addr.is_unspecified() {
        Ipv4Addr::new(198, 18, 0, 1)
    } else {
        addr
    });
    let Some(sock) = bind(
        SocketAddr::new(IpAddr::V4(addr), port),
        cli.bind_device.as_deref(),
    ) else {
        return ExitCode::from(1);
    };
    let mut responder = ResponderV4::new(server_id, net, len);
    let mut rings = Rings::new();
    eprintln!(
        "responder: listening on {addr}:{port}, replies to giaddr:{}, addresses from {net}/{len}",
        cli.reply_port
    );
    let start = Instant::now();
    let until = cli.exit_after.map(|s| start + Duration::from_secs(s));
    let r = xdhcp_bench::serve_v4(&sock, &mut responder, &mut rings, cli.reply_port, until);
    let secs = start.elapsed().as_secs_f64();
    println!("responder: {} in {secs:.1} s", responder.counters);
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("responder: receive failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn bind(at: SocketAddr, device: Option<&str>) -> Option<UdpSocket> {
    match UdpSocket::bind(at, 200) {
        Ok(s) => match device.map(|d| s.bind_device(d)) {
            Some(Err(e)) => {
                eprintln!(
                    "responder: cannot bind to device {}: {e}",
                    device.unwrap_or("")
                );
                None
            }
            _ => Some(s),
        },
        Err(e) => {
            eprintln!("responder: cannot bind {at}: {e}");
            None
        }
    }
}

fn serve6(cli: &Cli) -> ExitCode {
    let addr = match cli.addr {
        None => Ipv6Addr::UNSPECIFIED,
        Some(IpAddr::V6(a)) => a,
        Some(IpAddr::V4(_)) => {
            eprintln!("responder: -6 needs an IPv6 --addr");
            return ExitCode::from(2);
        }
    };
    let port = cli.port.unwrap_or(547);
    let Some(sock) = bind(
        SocketAddr::new(IpAddr::V6(addr), port),
        cli.bind_device.as_deref(),
    ) else {
        return ExitCode::from(1);
    };
    let mut responder = ResponderV6::default();
    let mut rings = Rings::new();
    eprintln!("responder: DHCPv6 on [{addr}]:{port}, Relay-reply to the relay's source");
    let start = Instant::now();
    let until = cli.exit_after.map(|s| start + Duration::from_secs(s));
    let r = xdhcp_bench::serve_v6(&sock, &mut responder, &mut rings, until);
    println!(
        "responder: {} in {:.1} s",
        responder.counters,
        start.elapsed().as_secs_f64()
    );
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("responder: receive failed: {e}");
            ExitCode::from(1)
        }
    }
}
