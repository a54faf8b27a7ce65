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
        let stdout = std::io::stdout();
        return match daemon::dump_leases(&cfg.dhcp4.lease_database, &mut stdout.lock()) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xdhcpd: {e}");
                ExitCode::from(1)
            }
        };
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

/// Loads the configuration and refuses what this build cannot serve yet, by name: the
/// loader understands `Dhcp6`, but the DHCPv6 service is not wired into the daemon, and a
/// section that would be silently ignored is worse than an error.
fn load(path: &std::path::Path) -> Result<xdhcp_config::Config, String> {
    let cfg = xdhcp_config::load_file(path).map_err(|e| e.to_string())?;
    if cfg.dhcp6.is_some() {
        return Err(format!(
            "{}: 'Dhcp6' is not supported yet by xdhcpd (the DHCPv6 service is not served \
             yet); remove the section or run Kea's kea-dhcp6 for it",
            path.display()
        ));
    }
    Ok(cfg)
}
