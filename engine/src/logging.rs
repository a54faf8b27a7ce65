//! Logging configured the Kea way (`loggers` with `output-options` and `severity`): lines
//! go to stdout, stderr, or a file; `-d` forces debug to stderr. Kea's logger names map to
//! xdhcp's: the first logger whose name starts with `kea-dhcp4` (or any, if none does)
//! sets the level.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use xdhcp_config::{LogOutput, Logging, Severity};

enum Sink {
    Stdout,
    Stderr,
    File(Mutex<File>),
}

struct Logger {
    level: log::LevelFilter,
    sinks: Vec<Sink>,
}

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= self.level
    }

    fn log(&self, r: &log::Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let line = format!(
            "{} {:<5} [xdhcpd] {}\n",
            timestamp(SystemTime::now()),
            r.level(),
            r.args()
        );
        for sink in &self.sinks {
            let _ = match sink {
                Sink::Stdout => std::io::stdout().lock().write_all(line.as_bytes()),
                Sink::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
                Sink::File(f) => match f.lock() {
                    Ok(mut f) => f.write_all(line.as_bytes()),
                    Err(_) => Ok(()),
                },
            };
        }
    }

    fn flush(&self) {
        let _ = std::io::stdout().flush();
    }
}

/// Installs the process logger. Call once, before anything logs.
pub fn init(cfg: &Logging, debug: bool) {
    let chosen = cfg
        .loggers
        .iter()
        .find(|l| l.name.starts_with("kea-dhcp4") || l.name.starts_with("xdhcp"))
        .or_else(|| cfg.loggers.first());
    let mut level = chosen.map_or(log::LevelFilter::Info, |l| match l.severity {
        Severity::Fatal | Severity::Error => log::LevelFilter::Error,
        Severity::Warn => log::LevelFilter::Warn,
        Severity::Info => log::LevelFilter::Info,
        Severity::Debug => log::LevelFilter::Debug,
        Severity::None => log::LevelFilter::Off,
    });
    let mut sinks = Vec::new();
    for out in chosen.map(|l| l.outputs.as_slice()).unwrap_or(&[]) {
        match out {
            LogOutput::Stdout => sinks.push(Sink::Stdout),
            LogOutput::Stderr => sinks.push(Sink::Stderr),
            // syslog is not wired yet: keep the lines visible on stderr.
            LogOutput::Syslog(_) => sinks.push(Sink::Stderr),
            LogOutput::File { path, .. } => {
                match OpenOptions::new().create(true).append(true).open(path) {
                    Ok(f) => sinks.push(Sink::File(Mutex::new(f))),
                    Err(e) => eprintln!("cannot open log file {}: {e}", path.display()),
                }
            }
        }
    }
    if debug {
        level = log::LevelFilter::Debug;
        if !sinks.iter().any(|s| matches!(s, Sink::Stderr)) {
            sinks.push(Sink::Stderr);
        }
    }
    if sinks.is_empty() {
        sinks.push(Sink::Stderr);
    }
    let _ = log::set_boxed_logger(Box::new(Logger { level, sinks }));
    log::set_max_level(level);
}

/// `YYYY-MM-DD HH:MM:SS.mmm` in UTC.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_utc_timestamps() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_956_743_123);
        assert_eq!(timestamp(t), "2026-11-29 12:52:23.123");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01 00:00:00.000");
    }
}
