//! Wiring: command line -> protocol, transport, core -> run -> report.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use clap::Parser;

use crate::cli::{Cli, MaxDrops, TransportKind, XdpModeArg, parse_hex, parse_mac, parse_max_drops};
use crate::core::{Core, CoreConfig, PH_FIRST, PH_RELEASE, PH_RENEW, PH_SECOND, Proto};
use crate::pacer::{Nanos, Pacer, SEC};
use crate::report::{LatSummary, PhaseReport, Report, cpu_times};
use crate::run::{
    AckWriter, Clock, ExitReason, MonoClock, RunOptions, install_signal_handlers, run,
};
use crate::search::Search;
use crate::transport::afxdp::AfXdpTransport;
use crate::transport::packet::PacketTransport;
use crate::transport::udp::UdpTransport;
use crate::transport::{RxBatch, Transport, TxBatch};
use crate::v4::{V4, V4Options};
use crate::v6::{MAX_DUID, V6, V6Options, duid_ll};
use xdhcp_ebpf::AttachMode;

/// Exit status: bad command line.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: error.
pub const EXIT_ERROR: i32 = 1;
/// Exit status: ran, but some exchanges failed.
pub const EXIT_FAILED: i32 = 3;

/// Settings derived from the command line.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Core settings.
    pub core: CoreConfig,
    /// Loop settings (without the ack writer).
    pub period: Option<Nanos>,
    /// `-W`.
    pub exit_wait: Option<Nanos>,
    /// `-D`.
    pub max_drops: Option<MaxDrops>,
    /// `-t`.
    pub report_interval: Option<Nanos>,
    /// Batch size.
    pub batch: usize,
    /// Notes printed before the report.
    pub notes: Vec<String>,
}

fn secs(x: f64) -> Nanos {
    (x * 1e9).round() as Nanos
}

/// Validates the command line (everything but sockets).
pub fn plan(c: &Cli) -> Result<Plan, String> {
    let pos = |v: Option<f64>, f: &str| -> Result<(), String> {
        match v {
            Some(x) if !(x > 0.0 && x.is_finite()) => Err(format!("{f} must be positive")),
            _ => Ok(()),
        }
    };
    pos(c.rate, "-r")?;
    pos(c.period, "-p")?;
    pos(Some(c.drop_timeout), "-d")?;
    pos(c.report_interval, "-t")?;
    pos(c.renew_rate, "-f")?;
    pos(c.release_rate, "-F")?;
    if c.clients == 0 {
        return Err("-R must be at least 1".into());
    }
    if c.max_rate_search && (c.step_secs.is_nan() || c.step_secs <= 0.0) {
        return Err("--step-secs must be positive".into());
    }
    if c.first_only && (c.renew_rate.is_some() || c.release_rate.is_some()) {
        return Err("-i cannot be combined with -f/-F".into());
    }
    if let Some(r) = c.rate {
        let mix = c.renew_rate.unwrap_or(0.0) + c.release_rate.unwrap_or(0.0);
        if mix > r {
            return Err("-f plus -F must not exceed -r".into());
        }
    }
    if !(1..=64).contains(&c.batch) {
        return Err("--batch must be 1..64".into());
    }
    if c.window == 0 {
        return Err("--window must be positive".into());
    }
    match c.lease_type.as_str() {
        "address-only" => {}
        "prefix-only" | "address-and-prefix" if c.v6 => {}
        "prefix-only" | "address-and-prefix" => {
            return Err(format!("-e {} is DHCPv6 only", c.lease_type));
        }
        o => return Err(format!("bad -e value {o:?}")),
    }
    let max_drops = c.max_drops.as_deref().map(parse_max_drops).transpose()?;
    let mut notes = Vec::new();
    if let Some(g) = &c.thread_mode {
        if g != "single" && g != "multi" {
            return Err(format!("bad -g value {g:?}"));
        }
        notes.push(format!(
            "note: -g {g} accepted and ignored: perfgen runs one batched I/O thread"
        ));
    }
    let rate = c.rate;
    let max_backlog = rate.map_or(64, |r| Pacer::default_backlog(r, c.batch));
    let mut n = c.num;
    if c.max_rate_search {
        n = None;
    }
    // perfdhcp without -r, -n and -p does a single exchange (a ping).
    if rate.is_none() && n.is_none() && c.period.is_none() && !c.max_rate_search {
        n = Some(1);
    }
    Ok(Plan {
        core: CoreConfig {
            rate,
            renew_rate: c.renew_rate,
            release_rate: c.release_rate,
            clients: c.clients,
            first_only: c.first_only,
            drop_timeout: secs(c.drop_timeout),
            window: c.window,
            max_exchanges: n,
            record_acks: c.save_acks.is_some(),
            max_backlog,
        },
        period: c.period.map(secs),
        exit_wait: c.exit_wait.map(|us| us * 1000),
        max_drops,
        report_interval: c.report_interval.map(secs),
        batch: c.batch,
        notes,
    })
}

/// The report of a finished measurement.
pub fn make_report<P: Proto>(
    core: &Core<P>,
    family: u8,
    transport: &str,
    reason: &str,
    now: Nanos,
) -> Report {
    let names = core.proto().phase_names();
    let cfg = core.config();
    let mut phases = vec![PhaseReport::of(
        names[PH_FIRST],
        &core.stats[PH_FIRST],
        true,
    )];
    if !cfg.first_only {
        phases.push(PhaseReport::of(
            names[PH_SECOND],
            &core.stats[PH_SECOND],
            true,
        ));
    }
    if cfg.renew_rate.is_some() {
        phases.push(PhaseReport::of(
            names[PH_RENEW],
            &core.stats[PH_RENEW],
            true,
        ));
    }
    if cfg.release_rate.is_some() {
        phases.push(PhaseReport::of(
            names[PH_RELEASE],
            &core.stats[PH_RELEASE],
            core.proto().release_answered(),
        ));
    }
    let period = core.sending_period(now) as f64 / 1e9;
    let (u, s) = cpu_times();
    Report {
        family,
        transport: transport.to_string(),
        target_rate: cfg.rate,
        duration_s: period,
        started: core.started,
        completed: core.completed,
        drops: core.drops(),
        rate: if period > 0.0 {
            core.completed as f64 / period
        } else {
            0.0
        },
        latency: LatSummary::of(&core.exchange),
        phases,
        cpu_user: u,
        cpu_system: s,
        exit_reason: reason.to_string(),
        search: None,
        first_only: cfg.first_only,
        skipped: 0,
        locallimit: core.locallimit,
        unparsed: core.unparsed,
        notes: Vec::new(),
        transport_detail: String::new(),
        transport_counters: Vec::new(),
    }
}

/// IPv4 address of an interface (perfdhcp -4 -l IFACE).
fn iface_v4(name: &str) -> Option<Ipv4Addr> {
    let mut ifa: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs allocates a list we free below.
    if unsafe { libc::getifaddrs(&mut ifa) } != 0 {
        return None;
    }
    let mut cur = ifa;
    let mut found = None;
    while !cur.is_null() {
        // SAFETY: walking the list returned by getifaddrs.
        let e = unsafe { &*cur };
        if !e.ifa_addr.is_null() && !e.ifa_name.is_null() {
            // SAFETY: ifa_name is a C string, ifa_addr a sockaddr.
            let n = unsafe { std::ffi::CStr::from_ptr(e.ifa_name) };
            let fam = unsafe { (*e.ifa_addr).sa_family };
            if n.to_bytes() == name.as_bytes() && i32::from(fam) == libc::AF_INET {
                // SAFETY: AF_INET means sockaddr_in.
                let sin = unsafe { &*(e.ifa_addr as *const libc::sockaddr_in) };
                found = Some(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
                break;
            }
        }
        cur = e.ifa_next;
    }
    // SAFETY: list from getifaddrs.
    unsafe { libc::freeifaddrs(ifa) };
    found
}

fn base_mac(c: &Cli) -> Result<[u8; 6], String> {
    let mut m = [0x00, 0x0c, 0x01, 0x02, 0x03, 0x04];
    for b in &c.base {
        if let Some(v) = b.strip_prefix("mac=") {
            m = parse_mac(v)?;
        } else if b.starts_with("duid=") {
            if !c.v6 {
                return Err("-b duid= is DHCPv6 only".into());
            }
        } else {
            return Err(format!("bad -b value {b:?} (mac=.. or duid=..)"));
        }
    }
    Ok(m)
}

enum Outcome {
    Done(Box<Report>, i32),
    Usage(String),
    Error(String),
}

/// Entry point; returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run_cli(&cli) {
        Outcome::Done(r, code) => {
            if cli.json {
                println!("{}", r.json());
            } else {
                print!("{}", r.text(&cli.extended));
            }
            code
        }
        Outcome::Usage(m) => {
            eprintln!("perfgen: {m}");
            eprintln!("Try 'perfgen --help'.");
            EXIT_USAGE
        }
        Outcome::Error(m) => {
            eprintln!("perfgen: {m}");
            EXIT_ERROR
        }
    }
}

fn run_cli(cli: &Cli) -> Outcome {
    let plan = match plan(cli) {
        Ok(p) => p,
        Err(e) => return Outcome::Usage(e),
    };
    if cli.extended.contains('a') {
        eprintln!("perfgen arguments: {cli:?}");
    }
    if cli.v6 {
        return run_v6(cli, &plan);
    }
    let mac = match base_mac(cli) {
        Ok(m) => m,
        Err(e) => return Outcome::Usage(e),
    };
    let Some(local) = cli.local.as_deref() else {
        return Outcome::Usage(
            "-l is required: a local address (relay mode) or an interface (--transport l2)".into(),
        );
    };
    let mut notes = plan.notes.clone();
    let l2 = cli.transport.is_l2();
    let (transport, giaddr): (Box<dyn Transport>, Option<Ipv4Addr>) = if l2 {
        match open_l2(cli, local, false, None, mac, &mut notes) {
            Ok(t) => (t, None),
            Err(e) => return Outcome::Error(e),
        }
    } else {
        let lip = match local.parse::<Ipv4Addr>() {
            Ok(a) => a,
            Err(_) => match iface_v4(local) {
                Some(a) => a,
                None => {
                    return Outcome::Usage(format!(
                        "-l {local}: not an IPv4 address nor an interface with one"
                    ));
                }
            },
        };
        let Some(server) = cli.server.as_deref() else {
            return Outcome::Usage("relay mode needs the server address".into());
        };
        let sip: Ipv4Addr = match server.parse() {
            Ok(a) => a,
            Err(_) => return Outcome::Usage(format!("bad server address {server:?}")),
        };
        match UdpTransport::new(
            SocketAddr::new(IpAddr::V4(lip), 67),
            SocketAddr::new(IpAddr::V4(sip), 67),
        ) {
            Ok(mut t) => {
                t.set_gso(!cli.no_gso);
                (Box::new(t), Some(lip))
            }
            Err(e) => return Outcome::Error(e.to_string()),
        }
    };
    if cli.json {
        for n in &notes {
            eprintln!("{n}");
        }
    } else {
        for n in &notes {
            println!("{n}");
        }
    }
    let proto = V4::new(&V4Options {
        base_mac: mac,
        giaddr,
        broadcast: l2,
        clients: cli.clients,
    });
    drive(cli, &plan, proto, transport, 4)
}

/// The XDP attach mode `--xdp-mode` asks for.
pub fn attach_mode(m: XdpModeArg) -> AttachMode {
    match m {
        XdpModeArg::Native => AttachMode::Native,
        XdpModeArg::Generic => AttachMode::Generic,
        XdpModeArg::Auto => AttachMode::Auto,
    }
}

/// The note printed when `--transport l2|auto` cannot use AF_XDP.
pub fn fallback_note(ifname: &str, why: &str) -> String {
    format!("note: AF_XDP unavailable on {ifname} ({why}); using an AF_PACKET socket (layer 2)")
}

/// Opens the layer-2 transport `--transport` asks for on interface
/// `ifname`: AF_XDP (`afxdp`), the packet socket (`packet`), or AF_XDP
/// falling back to the packet socket with one note saying why (`l2`,
/// `auto`).
fn open_l2(
    cli: &Cli,
    ifname: &str,
    v6: bool,
    dst6: Option<Ipv6Addr>,
    mac: [u8; 6],
    notes: &mut Vec<String>,
) -> Result<Box<dyn Transport>, String> {
    let packet = || -> Result<Box<dyn Transport>, String> {
        let mut t = PacketTransport::new(ifname, v6, dst6).map_err(|e| e.to_string())?;
        t.set_clients(mac, cli.clients);
        Ok(Box::new(t))
    };
    let afxdp = || {
        AfXdpTransport::open(ifname, v6, dst6, attach_mode(cli.xdp_mode)).map(|mut t| {
            t.set_clients(mac, cli.clients);
            Box::new(t) as Box<dyn Transport>
        })
    };
    match cli.transport {
        TransportKind::Packet => packet(),
        TransportKind::Afxdp => afxdp().map_err(|e| format!("AF_XDP on {ifname}: {e}")),
        _ => match afxdp() {
            Ok(t) => Ok(t),
            Err(e) => {
                let why = e.to_string();
                let t = packet().map_err(|p| format!("AF_XDP unavailable ({why}); {p}"))?;
                notes.push(fallback_note(ifname, &why));
                Ok(t)
            }
        },
    }
}

fn run_v6(cli: &Cli, plan: &Plan) -> Outcome {
    let mac = match base_mac(cli) {
        Ok(m) => m,
        Err(e) => return Outcome::Usage(e),
    };
    let mut duid = duid_ll(mac);
    for b in &cli.base {
        if let Some(d) = b.strip_prefix("duid=") {
            match parse_hex(d) {
                Ok(v) if (6..=MAX_DUID).contains(&v.len()) => duid = v,
                _ => return Outcome::Usage(format!("bad DUID {d:?} (6..{MAX_DUID} bytes of hex)")),
            }
        }
    }
    let (na, pd) = match cli.lease_type.as_str() {
        "prefix-only" => (false, true),
        "address-and-prefix" => (true, true),
        _ => (true, false),
    };
    let Some(local) = cli.local.as_deref() else {
        return Outcome::Usage(
            "-l is required: a local IPv6 address (relay mode) or an interface (--transport l2)"
                .into(),
        );
    };
    let mut notes = plan.notes.clone();
    let server = cli.server.as_deref().unwrap_or("all");
    let server_ip: Option<Ipv6Addr> = match server {
        "all" => None,
        "servers" => Some(Ipv6Addr::new(0xff05, 0, 0, 0, 0, 0, 1, 3)),
        s => match s.parse() {
            Ok(a) => Some(a),
            Err(_) => return Outcome::Usage(format!("bad server address {s:?}")),
        },
    };
    let (transport, relay): (Box<dyn Transport>, Option<Ipv6Addr>) = if cli.transport.is_l2() {
        match open_l2(cli, local, true, server_ip, mac, &mut notes) {
            Ok(t) => (t, None),
            Err(e) => return Outcome::Error(e),
        }
    } else {
        let Ok(lip) = local.parse::<Ipv6Addr>() else {
            return Outcome::Usage(format!(
                "-l {local}: relay mode needs a local IPv6 address (the link-address)"
            ));
        };
        let Some(sip) = server_ip.filter(|a| !a.is_multicast()) else {
            return Outcome::Usage(
                "relay mode needs a unicast server address (`all` needs --transport l2)".into(),
            );
        };
        match UdpTransport::new(
            SocketAddr::new(IpAddr::V6(lip), 547),
            SocketAddr::new(IpAddr::V6(sip), 547),
        ) {
            Ok(mut t) => {
                t.set_gso(!cli.no_gso);
                (Box::new(t), Some(lip))
            }
            Err(e) => return Outcome::Error(e.to_string()),
        }
    };
    for n in &notes {
        eprintln!("{n}");
    }
    let proto = V6::new(V6Options {
        base_duid: duid,
        base_mac: mac,
        na,
        pd,
        relay,
        clients: cli.clients,
    });
    drive(cli, plan, proto, transport, 6)
}

fn drive<P: Proto>(
    cli: &Cli,
    plan: &Plan,
    proto: P,
    mut transport: Box<dyn Transport>,
    family: u8,
) -> Outcome {
    install_signal_handlers();
    let clock = MonoClock::new();
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32).rotate_left(13))
        .unwrap_or(0x1234_5678);
    let mut core = Core::new(proto, plan.core.clone(), clock.now(), salt);
    let mut tx = TxBatch::new(plan.batch, transport.headroom());
    let mut rx = RxBatch::new(plan.batch);
    let acks = match cli.save_acks.as_deref().map(AckWriter::create).transpose() {
        Ok(a) => a,
        Err(e) => return Outcome::Error(format!("--save-acks: {e}")),
    };
    let mut opts = RunOptions {
        period: plan.period,
        exit_wait: plan.exit_wait,
        max_drops: plan.max_drops,
        report_interval: plan.report_interval,
        report_to_stderr: cli.json,
        acks,
    };
    let tname = transport.name();
    let mut report;
    if cli.max_rate_search {
        let mut search = Search::new(cli.rate.unwrap_or(1000.0), cli.step_secs);
        let mut best: Option<Report> = None;
        let mut last: Option<Report> = None;
        opts.period = Some(secs(cli.step_secs));
        opts.exit_wait = None;
        opts.max_drops = None;
        while let Some(rate) = search.next_rate() {
            core.set_rate(Some(rate));
            core.restart(clock.now());
            let reason = match run(
                &mut core,
                transport.as_mut(),
                &clock,
                &mut opts,
                &mut tx,
                &mut rx,
            ) {
                Ok(r) => r,
                Err(e) => return Outcome::Error(format!("I/O: {e}")),
            };
            let held = search.record(rate, core.started, core.completed);
            let s = search.steps.last().cloned();
            if let Some(s) = s {
                eprintln!(
                    "step: rate {:.0}/s started {} completed {} lost {:.3} % -> {}",
                    s.rate,
                    s.started,
                    s.completed,
                    s.loss_pct,
                    if held { "held" } else { "failed" }
                );
            }
            let r = make_report(&core, family, tname, reason.line(), clock.now());
            if held {
                best = Some(r.clone());
            }
            last = Some(r);
            if reason == ExitReason::Interrupted {
                break;
            }
        }
        report = best.or(last).unwrap_or_default();
        report.exit_reason = if crate::run::INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed) {
            "Interrupted".into()
        } else {
            "Max rate search finished.".into()
        };
        report.search = Some((search.highest(), search.steps.clone()));
        let (u, s) = cpu_times();
        report.cpu_user = u;
        report.cpu_system = s;
        // CPU per exchange over the whole search
        let total: u64 = search.steps.iter().map(|s| s.completed).sum();
        if total > 0 && report.completed > 0 {
            let scale = report.completed as f64 / total as f64;
            report.cpu_user *= scale;
            report.cpu_system *= scale;
        }
    } else {
        let reason = match run(
            &mut core,
            transport.as_mut(),
            &clock,
            &mut opts,
            &mut tx,
            &mut rx,
        ) {
            Ok(r) => r,
            Err(e) => return Outcome::Error(format!("I/O: {e}")),
        };
        report = make_report(&core, family, tname, reason.line(), clock.now());
    }
    if let Some(st) = transport.stats() {
        report.transport_detail = st.detail;
        report.transport_counters = st.counters;
    }
    if let Some(path) = &cli.chart {
        let title = format!(
            "perfgen -{} {}",
            family,
            cli.rate
                .map_or("unlimited".to_string(), |r| format!("{r}/s"))
        );
        if let Err(e) = crate::chart::write_chart(path, &core.series, &title) {
            eprintln!("perfgen: {e}");
        }
    }
    let failed = report.drops > 0 || report.phases.iter().any(|p| p.rejected > 0);
    let code = if failed && !cli.max_rate_search {
        EXIT_FAILED
    } else {
        0
    };
    let _ = SEC;
    Outcome::Done(Box::new(report), code)
}
