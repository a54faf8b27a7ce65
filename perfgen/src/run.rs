//! The I/O loop around the sans-I/O core: one thread reads the clock once
//! per iteration, receives a batch, expires deadlines, fills and sends a
//! batch, and sleeps in ppoll only when nothing is due.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::MaxDrops;
use crate::core::{Core, PH_FIRST, PH_RELEASE, PH_RENEW, PH_SECOND, Proto};
use crate::pacer::{Nanos, SEC};
use crate::transport::{RxBatch, Transport, TxBatch};

/// Set by SIGINT/SIGTERM.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Installs the SIGINT/SIGTERM handler.
pub fn install_signal_handlers() {
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

/// A monotonic clock in nanoseconds.
pub trait Clock {
    /// Now.
    fn now(&self) -> Nanos;
}

/// The real monotonic clock.
pub struct MonoClock(std::time::Instant);

impl MonoClock {
    /// Starts at 1 s so that 0 never means "now".
    pub fn new() -> MonoClock {
        MonoClock(std::time::Instant::now())
    }
}

impl Default for MonoClock {
    fn default() -> Self {
        MonoClock::new()
    }
}

impl Clock for MonoClock {
    fn now(&self) -> Nanos {
        SEC + self.0.elapsed().as_nanos() as Nanos
    }
}

/// Why sending ended (perfdhcp's wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// `-n` reached.
    MaxRequests,
    /// `-p` elapsed.
    Period,
    /// `-D N` reached.
    MaxDrops,
    /// `-D N%` reached.
    MaxDropsPct,
    /// Signal.
    Interrupted,
}

impl ExitReason {
    /// perfdhcp's line.
    pub fn line(self) -> &'static str {
        match self {
            ExitReason::MaxRequests => "Reached max requests limit.",
            ExitReason::Period => "reached test-period.",
            ExitReason::MaxDrops => "Reached maximum drops number.",
            ExitReason::MaxDropsPct => "Reached maximum percentage of drops.",
            ExitReason::Interrupted => "Interrupted",
        }
    }
}

/// `--save-acks` writer: flushed every second and at exit.
pub struct AckWriter {
    w: BufWriter<File>,
    line: String,
    last_flush: Nanos,
}

impl AckWriter {
    /// Creates (truncates) the file.
    pub fn create(path: &str) -> io::Result<AckWriter> {
        Ok(AckWriter {
            w: BufWriter::with_capacity(1 << 20, File::create(path)?),
            line: String::with_capacity(128),
            last_flush: 0,
        })
    }

    /// Writes the core's pending acks.
    pub fn drain<P: Proto>(&mut self, core: &mut Core<P>, now: Nanos) -> io::Result<()> {
        if !core.acks.is_empty() {
            let acks = std::mem::take(&mut core.acks);
            for (client, lease) in &acks {
                self.line.clear();
                core.proto().ack_line(&mut self.line, *client, lease);
                self.line.push('\n');
                self.w.write_all(self.line.as_bytes())?;
            }
            core.acks = acks;
            core.acks.clear();
        }
        if now.saturating_sub(self.last_flush) >= SEC {
            self.w.flush()?;
            self.last_flush = now;
        }
        Ok(())
    }

    /// Final flush.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Loop settings.
#[derive(Default)]
pub struct RunOptions {
    /// Test period.
    pub period: Option<Nanos>,
    /// Exit wait after sending stops (None: until nothing is outstanding).
    pub exit_wait: Option<Nanos>,
    /// `-D`.
    pub max_drops: Option<MaxDrops>,
    /// `-t`.
    pub report_interval: Option<Nanos>,
    /// Where periodic reports go (stderr with --json).
    pub report_to_stderr: bool,
    /// `--save-acks`.
    pub acks: Option<AckWriter>,
}

fn check_drops<P: Proto>(core: &Core<P>, m: MaxDrops) -> Option<ExitReason> {
    let drops = core.drops();
    match m {
        MaxDrops::Count(n) => (n > 0 && drops >= n).then_some(ExitReason::MaxDrops),
        MaxDrops::Percent(p) => {
            let resolved: u64 = core.stats.iter().map(|s| s.received + s.drops).sum();
            (resolved >= 10 && drops as f64 * 100.0 / resolved as f64 > p)
                .then_some(ExitReason::MaxDropsPct)
        }
    }
}

/// perfdhcp's periodic line: `sent: a/b; received: c/d; drops: e/f`.
pub fn periodic_line<P: Proto>(core: &Core<P>) -> String {
    let ph: Vec<usize> = if core.config().first_only {
        vec![PH_FIRST]
    } else {
        vec![PH_FIRST, PH_SECOND]
    };
    let mut ph = ph;
    if core.config().renew_rate.is_some() {
        ph.push(PH_RENEW);
    }
    if core.config().release_rate.is_some() {
        ph.push(PH_RELEASE);
    }
    let j = |f: &dyn Fn(usize) -> u64| {
        ph.iter()
            .map(|&p| f(p).to_string())
            .collect::<Vec<_>>()
            .join("/")
    };
    format!(
        "sent: {}; received: {}; drops: {}",
        j(&|p| core.stats[p].sent),
        j(&|p| core.stats[p].received),
        j(&|p| core.stats[p].drops)
    )
}

/// Runs one measurement until an exit condition plus the exit wait; the
/// core must have been (re)started at the beginning. Returns why sending
/// stopped. Remaining outstanding requests are counted as drops.
pub fn run<P: Proto, T: Transport + ?Sized, C: Clock + ?Sized>(
    core: &mut Core<P>,
    transport: &mut T,
    clock: &C,
    opts: &mut RunOptions,
    tx: &mut TxBatch,
    rx: &mut RxBatch,
) -> io::Result<ExitReason> {
    let mut reason = None;
    let mut stop_at: Nanos = 0;
    let mut next_report = opts
        .report_interval
        .map(|i| core.t_begin + i)
        .unwrap_or(Nanos::MAX);
    let max_n = core.config().max_exchanges;
    loop {
        let now = clock.now();
        let mut got = 0;
        for _ in 0..4 {
            let n = transport.recv(rx)?;
            for i in 0..n {
                core.on_reply(now, rx.payload(i));
            }
            got += n;
            if n < rx.cap() {
                break;
            }
        }
        core.expire(now);
        if reason.is_none() {
            let r = if INTERRUPTED.load(Ordering::Relaxed) {
                Some(ExitReason::Interrupted)
            } else if opts.period.is_some_and(|p| now >= core.t_begin + p) {
                Some(ExitReason::Period)
            } else if max_n.is_some_and(|n| core.started >= n) {
                Some(ExitReason::MaxRequests)
            } else {
                opts.max_drops.and_then(|m| check_drops(core, m))
            };
            if let Some(r) = r {
                // The period ends exactly at its boundary, not at loop time.
                let t = match (r, opts.period) {
                    (ExitReason::Period, Some(p)) => core.t_begin + p,
                    _ => now,
                };
                if r == ExitReason::Period && t < now {
                    // start what was scheduled before the boundary
                    loop {
                        core.fill_at(now, t - 1, tx);
                        if tx.is_empty() {
                            break;
                        }
                        transport.send(tx)?;
                    }
                }
                core.stop_sending(t);
                reason = Some(r);
                stop_at = now;
            }
        }
        core.fill(now, tx);
        let sent = tx.len();
        if sent > 0 {
            transport.send(tx)?;
        }
        if let Some(a) = opts.acks.as_mut() {
            a.drain(core, now)?;
        }
        if now >= next_report {
            let line = periodic_line(core);
            if opts.report_to_stderr {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
            next_report += opts.report_interval.unwrap_or(SEC);
        }
        if let Some(r) = reason {
            let done = match opts.exit_wait {
                Some(w) => now >= stop_at + w,
                None => core.outstanding() == 0,
            };
            if done {
                core.finish(now);
                if let Some(a) = opts.acks.as_mut() {
                    a.drain(core, now)?;
                    a.flush()?;
                }
                return Ok(r);
            }
        }
        if got == 0 && sent == 0 {
            let mut until = core.next_event(now);
            if reason.is_none() {
                if let Some(p) = opts.period {
                    until = until.min(core.t_begin + p);
                }
            } else if let Some(w) = opts.exit_wait {
                until = until.min(stop_at + w);
            }
            until = until.min(next_report);
            let wait = until.saturating_sub(now).min(10_000_000);
            if wait > 0 {
                transport.wait(wait)?;
            }
        }
    }
}
