//! `xdhcpd`: the xdhcp DHCP server. Takes Kea's command line where it overlaps
//! (`-c`, `-t`, `-v`, `-d`).

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use xdhcp_engine::{daemon, logging};

#[derive(Parser)]
#[command(
    name = "xdhcpd",
    about = "xdhcp DHCP server (Kea-compatible configuration)",
    disable_version_flag = true
)]
struct Cli {
    /// Run with this configuration file (Kea JSON).
    #[arg(short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check this configuration file and exit (0 = valid, 1 = invalid).
    #[arg(short = 't', value_name = "FILE", conflicts_with = "config")]
    test: Option<PathBuf>,
    /// Print the version and exit.
    #[arg(short = 'v')]
    version: bool,
    /// Verbose: debug logging to stderr.
    #[arg(short = 'd')]
    debug: bool,
    /// Print the leases in the lease log of the -c configuration as Kea memfile CSV.
    #[arg(long = "dump-leases", requires = "config")]
    dump_leases: bool,
    /// Write the DHCPv4 leases in the lease logs of the -c configuration to FILE as a
    /// Kea memfile CSV (newest schema) that kea-dhcp4 loads.
    #[arg(long = "export-leases", value_name = "FILE", requires = "config")]
    export_leases: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.version {
        println!("{}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if let Some(path) = &cli.test {
        return match load(path) {
            Ok(cfg) => {
                for w in &cfg.warnings {
                    eprintln!("warning: {w}");
                }
                println!("{}: configuration is valid", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        };
    }
    let Some(path) = &cli.config else {
        eprintln!(
            "xdhcpd: give a configuration with -c FILE (or -t FILE to check one); see --help"
        );
        return ExitCode::from(2);
    };
    let cfg = match load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if cli.dump_leases {
        return dump_leases(&cfg);
    }
    if let Some(file) = &cli.export_leases {
        return export_leases(&cfg, file);
    }
    logging::init(&cfg.logging, cli.debug);
    for w in &cfg.warnings {
        log::warn!("{w}");
    }
    match daemon::run(path, cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("xdhcpd: {e}");
            ExitCode::from(1)
        }
    }
}

/// `--dump-leases`: the DHCPv4 leases as Kea's v4 CSV when the file has a `Dhcp4` section
/// (or no `Dhcp6` one), then the DHCPv6 leases as Kea's v6 CSV when it has a `Dhcp6`
/// section (after an empty line when both are printed).
fn dump_leases(cfg: &xdhcp_config::Config) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let v4 = cfg.has_dhcp4 || cfg.dhcp6.is_none();
    if v4 && let Err(e) = daemon::dump_leases(&cfg.dhcp4.lease_database, &mut out) {
        eprintln!("xdhcpd: {e}");
        return ExitCode::from(1);
    }
    if let Some(c6) = &cfg.dhcp6 {
        use std::io::Write;
        if v4 {
            let _ = writeln!(out);
        }
        if let Err(e) = daemon::v6::dump_leases6(&c6.lease_database, &mut out) {
            eprintln!("xdhcpd: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

/// `--export-leases FILE`: progress on stderr when it is a terminal, one final count
/// line always.
fn export_leases(cfg: &xdhcp_config::Config, file: &std::path::Path) -> ExitCode {
    use std::io::{IsTerminal, Write};
    let tty = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if tty {
            let pct = (done * 100).checked_div(total).unwrap_or(100);
            eprint!("\rxdhcpd: exporting leases: {done}/{total} ({pct}%)");
            let _ = std::io::stderr().flush();
        }
    };
    match daemon::export_leases(&cfg.dhcp4.lease_database, file, progress) {
        Ok(n) => {
            if tty {
                eprintln!();
            }
            eprintln!(
                "xdhcpd: exported {n} DHCPv4 lease(s) to {} (Kea memfile CSV)",
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            if tty {
                eprintln!();
            }
            eprintln!("xdhcpd: {e}");
            ExitCode::from(1)
        }
    }
}

/// Loads the configuration (`Dhcp4`, `Dhcp6` or both).
fn load(path: &std::path::Path) -> Result<xdhcp_config::Config, String> {
    xdhcp_config::load_file(path).map_err(|e| e.to_string())
}
