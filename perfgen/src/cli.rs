//! Command line: perfdhcp's common flags with the same meaning, plus
//! perfgen's own long options.

use clap::{Parser, ValueEnum};

/// How packets reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportKind {
    /// Relay mode over plain UDP (perfdhcp's way).
    Udp,
    /// Whole Ethernet frames on an interface: AF_XDP when the XDP program
    /// attaches, else an AF_PACKET socket (with a note saying why).
    L2,
    /// Same as l2: the best layer-2 transport available.
    Auto,
    /// Layer 2 through AF_XDP only (an error when it cannot attach).
    Afxdp,
    /// Layer 2 through an AF_PACKET socket only.
    Packet,
}

impl TransportKind {
    /// Whether this is a layer-2 transport (whole frames on `-l IFACE`).
    pub fn is_l2(self) -> bool {
        self != TransportKind::Udp
    }
}

/// Where the XDP program runs (`--xdp-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum XdpModeArg {
    /// In the driver (fastest; not every driver can).
    Native,
    /// In the generic stack (works everywhere).
    Generic,
    /// Native, else generic.
    Auto,
}

/// perfgen: a fast DHCPv4/DHCPv6 load generator with perfdhcp's flags.
#[derive(Debug, Clone, Parser)]
#[command(name = "perfgen", version, disable_help_flag = false)]
pub struct Cli {
    /// DHCPv4 (default).
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// DHCPv6.
    #[arg(short = '6')]
    pub v6: bool,
    /// Exchanges started per second (absent: as fast as possible, bounded
    /// by --window outstanding exchanges).
    #[arg(short = 'r', value_name = "RATE")]
    pub rate: Option<f64>,
    /// Number of simulated clients (client i uses base MAC/DUID + i).
    #[arg(short = 'R', value_name = "N", default_value_t = 1)]
    pub clients: u32,
    /// Total exchanges to start (with -p: whichever comes first).
    #[arg(short = 'n', value_name = "NUM")]
    pub num: Option<u64>,
    /// Test period in seconds (fractional ok).
    #[arg(short = 'p', value_name = "SECS")]
    pub period: Option<f64>,
    /// Abort after N drops or N% drops (checked after 10 expected replies).
    #[arg(short = 'D', value_name = "N|N%")]
    pub max_drops: Option<String>,
    /// Seconds after which an unanswered request counts as dropped.
    #[arg(short = 'd', value_name = "SECS", default_value_t = 1.0)]
    pub drop_timeout: f64,
    /// Periodic report interval in seconds.
    #[arg(short = 't', value_name = "SECS")]
    pub report_interval: Option<f64>,
    /// Local address (relay mode) or interface (layer-2 mode).
    #[arg(short = 'l', value_name = "ADDR|IFACE")]
    pub local: Option<String>,
    /// Base MAC or DUID: mac=00:0c:01:02:03:04 or duid=0003000100...
    #[arg(short = 'b', value_name = "mac=..|duid=..")]
    pub base: Vec<String>,
    /// Lease types (v6): address-only, prefix-only, address-and-prefix.
    #[arg(short = 'e', value_name = "TYPE", default_value = "address-only")]
    pub lease_type: String,
    /// perfdhcp's thread mode: accepted and ignored (perfgen picks its threading).
    #[arg(short = 'g', value_name = "single|multi")]
    pub thread_mode: Option<String>,
    /// After the exit condition keep receiving this many microseconds
    /// (default: until every outstanding request is answered or dropped).
    #[arg(short = 'W', value_name = "USECS")]
    pub exit_wait: Option<u64>,
    /// Extended output letters: e = exit reason, i = rate details, a = arguments.
    #[arg(short = 'x', value_name = "LETTERS", default_value = "")]
    pub extended: String,
    /// Only the first exchange (DISCOVER-OFFER / SOLICIT-ADVERTISE).
    #[arg(short = 'i')]
    pub first_only: bool,
    /// Renewals per second of bound clients.
    #[arg(short = 'f', value_name = "RATE")]
    pub renew_rate: Option<f64>,
    /// Releases per second of bound clients.
    #[arg(short = 'F', value_name = "RATE")]
    pub release_rate: Option<f64>,
    /// Server address (v6 also `all` = ff02::1:2).
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,

    /// Find the highest rate that holds (<= 2.5 % of exchanges unanswered
    /// within 1 s): start at -r (or 1000), x1.5 while it holds, then bisect.
    #[arg(long)]
    pub max_rate_search: bool,
    /// Length of each search step in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub step_secs: f64,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write an SVG chart (rate, drops, p50/p99 latency per second).
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<String>,
    /// Append `address,client-identity` per completed exchange to FILE.
    #[arg(long, value_name = "FILE")]
    pub save_acks: Option<String>,
    /// Packet transport.
    #[arg(long, value_enum, default_value_t = TransportKind::Udp)]
    pub transport: TransportKind,
    /// Where the XDP program of the AF_XDP transport runs.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = XdpModeArg::Auto)]
    pub xdp_mode: XdpModeArg,
    /// Max outstanding exchanges when -r is absent.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub window: usize,
    /// Send every datagram on its own (as perfdhcp does) instead of runs of equal-sized
    /// datagrams as one UDP GSO message: to rule GSO out when a server misses packets.
    #[arg(long)]
    pub no_gso: bool,
    /// Packets per sendmmsg/recvmmsg batch (1..64).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub batch: usize,
}

/// `-D` value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxDrops {
    /// Absolute number.
    Count(u64),
    /// Percentage of requests.
    Percent(f64),
}

/// Parses `-D N` / `-D N%`.
pub fn parse_max_drops(s: &str) -> Result<MaxDrops, String> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        let v: f64 = p
            .trim()
            .parse()
            .map_err(|_| format!("bad -D value {s:?}"))?;
        if !(0.0..=100.0).contains(&v) {
            return Err(format!("-D percentage out of range: {s:?}"));
        }
        return Ok(MaxDrops::Percent(v));
    }
    s.parse()
        .map(MaxDrops::Count)
        .map_err(|_| format!("bad -D value {s:?}"))
}

/// Parses `aa:bb:cc:dd:ee:ff` (also `-` separators).
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() != 6 {
        return Err(format!("bad MAC {s:?}"));
    }
    let mut m = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        m[i] = u8::from_str_radix(p, 16).map_err(|_| format!("bad MAC {s:?}"))?;
    }
    Ok(m)
}

/// Parses a hex string (with optional `:` separators).
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let clean: String = s.chars().filter(|c| *c != ':' && *c != '-').collect();
    if !clean.len().is_multiple_of(2) || clean.is_empty() {
        return Err(format!("bad hex {s:?}"));
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).map_err(|_| format!("bad hex {s:?}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfdhcp_style_command_lines_parse() {
        let c = Cli::try_parse_from([
            "perfgen",
            "-4",
            "-r",
            "1000",
            "-p",
            "5",
            "-R",
            "5000",
            "-l",
            "198.18.0.1",
            "-W",
            "1000000",
            "-g",
            "single",
            "-x",
            "ei",
            "-D",
            "5%",
            "192.0.2.1",
        ])
        .unwrap();
        assert_eq!(c.rate, Some(1000.0));
        assert_eq!(c.period, Some(5.0));
        assert_eq!(c.clients, 5000);
        assert_eq!(c.exit_wait, Some(1_000_000));
        assert_eq!(c.server.as_deref(), Some("192.0.2.1"));
        assert_eq!(
            parse_max_drops(c.max_drops.as_deref().unwrap()),
            Ok(MaxDrops::Percent(5.0))
        );
        let c = Cli::try_parse_from(["perfgen", "-6", "-e", "address-and-prefix", "all"]).unwrap();
        assert!(c.v6);
        assert!(Cli::try_parse_from(["perfgen", "-4", "-6"]).is_err());
        let c = Cli::try_parse_from(["perfgen", "--transport", "afxdp", "-l", "eth0"]).unwrap();
        assert_eq!(
            (c.transport, c.xdp_mode),
            (TransportKind::Afxdp, XdpModeArg::Auto)
        );
        let c = Cli::try_parse_from(["perfgen", "--transport", "packet", "--xdp-mode", "generic"])
            .unwrap();
        assert_eq!(
            (c.transport, c.xdp_mode),
            (TransportKind::Packet, XdpModeArg::Generic)
        );
        assert!(c.transport.is_l2() && !TransportKind::Udp.is_l2());
        assert!(Cli::try_parse_from(["perfgen", "--xdp-mode", "offload"]).is_err());
        assert!(Cli::try_parse_from(["perfgen", "-r", "x"]).is_err());
    }

    #[test]
    fn values() {
        assert_eq!(parse_max_drops("10"), Ok(MaxDrops::Count(10)));
        assert!(parse_max_drops("x%").is_err());
        assert_eq!(parse_mac("00:0c:01:02:03:04"), Ok([0, 0x0c, 1, 2, 3, 4]));
        assert!(parse_mac("00:0c:01").is_err());
        assert_eq!(parse_hex("00:03:00:01"), Ok(vec![0, 3, 0, 1]));
    }
}
