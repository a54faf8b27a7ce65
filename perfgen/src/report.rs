//! Final report: perfdhcp's text layout (so its parsers keep working) with
//! extra lines, or one JSON object.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::search::Step;
use crate::stats::{Latency, PhaseStats};

/// Latency summary in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatSummary {
    /// Minimum.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
    /// Mean.
    pub avg: f64,
    /// Standard deviation (ms, as perfdhcp prints it).
    pub stddev_ms: f64,
    /// Samples.
    pub count: u64,
}

impl LatSummary {
    /// Summarises a histogram.
    pub fn of(l: &Latency) -> LatSummary {
        LatSummary {
            min: l.min_us(),
            p50: l.quantile_us(0.5),
            p99: l.quantile_us(0.99),
            p999: l.quantile_us(0.999),
            max: l.max_us(),
            avg: l.avg_us(),
            stddev_ms: l.stddev_ms(),
            count: l.count(),
        }
    }
    fn json(&self) -> Value {
        json!({"min": r3(self.min), "p50": r3(self.p50), "p99": r3(self.p99),
               "p999": r3(self.p999), "max": r3(self.max), "avg": r3(self.avg)})
    }
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One exchange type.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    /// perfdhcp's name (`DISCOVER-OFFER`, ...).
    pub name: &'static str,
    /// Requests sent.
    pub sent: u64,
    /// Replies received in time.
    pub received: u64,
    /// Requests unanswered.
    pub drops: u64,
    /// Unmatched replies.
    pub orphans: u64,
    /// Negative replies.
    pub rejected: u64,
    /// Whether replies are expected at all (v4 RELEASE has none).
    pub answered: bool,
    /// Delay summary.
    pub latency: LatSummary,
}

impl PhaseReport {
    /// From counters.
    pub fn of(name: &'static str, s: &PhaseStats, answered: bool) -> PhaseReport {
        PhaseReport {
            name,
            sent: s.sent,
            received: s.received,
            drops: s.drops,
            orphans: s.orphans,
            rejected: s.rejected,
            answered,
            latency: LatSummary::of(&s.latency),
        }
    }
}

/// Everything printed at the end.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// 4 or 6.
    pub family: u8,
    /// Transport name.
    pub transport: String,
    /// `-r`.
    pub target_rate: Option<f64>,
    /// Sending period in seconds.
    pub duration_s: f64,
    /// Exchanges started.
    pub started: u64,
    /// Exchanges completed.
    pub completed: u64,
    /// Requests dropped (all phases).
    pub drops: u64,
    /// Completed exchanges per second of sending period.
    pub rate: f64,
    /// Whole-exchange latency.
    pub latency: LatSummary,
    /// Per exchange type.
    pub phases: Vec<PhaseReport>,
    /// CPU seconds of perfgen (user, system).
    pub cpu_user: f64,
    /// System CPU seconds.
    pub cpu_system: f64,
    /// Exit reason line.
    pub exit_reason: String,
    /// Search result.
    pub search: Option<(Option<f64>, Vec<Step>)>,
    /// Only the first message pair (`-i`).
    pub first_only: bool,
    /// Pacer slots skipped because perfgen fell behind.
    pub skipped: u64,
    /// Exchanges not started because the table was full.
    pub locallimit: u64,
    /// Replies not understood.
    pub unparsed: u64,
    /// Extra lines (notes).
    pub notes: Vec<String>,
    /// How the transport ran (e.g. AF_XDP mode and queues); may be empty.
    pub transport_detail: String,
    /// The transport's own counters (AF_XDP socket drops, ...).
    pub transport_counters: Vec<(String, u64)>,
}

impl Report {
    /// CPU microseconds per completed exchange.
    pub fn cpu_us_per_exchange(&self) -> f64 {
        if self.completed == 0 {
            0.0
        } else {
            (self.cpu_user + self.cpu_system) * 1e6 / self.completed as f64
        }
    }

    /// perfdhcp-compatible text.
    pub fn text(&self, extended: &str) -> String {
        let mut o = String::new();
        for n in &self.notes {
            let _ = writeln!(o, "{n}");
        }
        let _ = writeln!(o, "{}", self.exit_reason);
        if let Some((best, steps)) = &self.search {
            let _ = writeln!(o, "***Max rate search***");
            for s in steps {
                let _ = writeln!(
                    o,
                    "step: rate {:.0}/s, started {}, completed {}, lost {:.3} %, {}{}",
                    s.rate,
                    s.started,
                    s.completed,
                    s.loss_pct,
                    if s.held { "held" } else { "failed" },
                    if s.sender_limited {
                        " (perfgen could not send the rate)"
                    } else {
                        ""
                    }
                );
            }
            match best {
                Some(b) => {
                    let _ = writeln!(o, "highest rate held: {b:.0} exchanges/second");
                }
                None => {
                    let _ = writeln!(o, "highest rate held: none");
                }
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(o, "***Rate statistics***");
        let what = if self.first_only { "2-way" } else { "4-way" };
        match self.target_rate {
            Some(r) => {
                let _ = writeln!(
                    o,
                    "Rate: {:.3} {what} exchanges/second, expected rate: {}",
                    self.rate,
                    fmt_num(r)
                );
            }
            None => {
                let _ = writeln!(o, "Rate: {:.3} {what} exchanges/second", self.rate);
            }
        }
        let _ = writeln!(o, "achieved rate: {:.3} exchanges/second", self.rate);
        if extended.contains('i') {
            let _ = writeln!(
                o,
                "rate details: sending period {:.6} s, exchanges started {}, completed {}, drops {}, \
                 schedule slots skipped {}, table-full (locallimit) {}, unparsed replies {}",
                self.duration_s,
                self.started,
                self.completed,
                self.drops,
                self.skipped,
                self.locallimit,
                self.unparsed
            );
        }
        if extended.contains('i') {
            let _ = write!(o, "transport: {}", self.transport);
            if !self.transport_detail.is_empty() {
                let _ = write!(o, ", {}", self.transport_detail);
            }
            let _ = writeln!(o);
            if !self.transport_counters.is_empty() {
                let c: Vec<String> = self
                    .transport_counters
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                let _ = writeln!(o, "transport counters: {}", c.join(", "));
            }
        }
        let _ = writeln!(o);
        for p in &self.phases {
            let _ = writeln!(o, "***Statistics for: {}***", p.name);
            let _ = writeln!(o, "sent packets: {}", p.sent);
            let _ = writeln!(o, "received packets: {}", p.received);
            let _ = writeln!(o, "drops: {}", p.drops);
            let ratio = if p.sent == 0 {
                0.0
            } else {
                p.drops as f64 * 100.0 / p.sent as f64
            };
            let _ = writeln!(o, "drops ratio: {ratio:.3} %");
            let _ = writeln!(o, "orphans: {}", p.orphans);
            let _ = writeln!(o, "rejected leases: {}", p.rejected);
            if p.received == 0 {
                let _ = writeln!(o, "Delay summary unavailable! No packets received.");
            } else {
                let l = &p.latency;
                let _ = writeln!(o, "min delay: {:.3} ms", l.min / 1e3);
                let _ = writeln!(o, "avg delay: {:.3} ms", l.avg / 1e3);
                let _ = writeln!(o, "max delay: {:.3} ms", l.max / 1e3);
                let _ = writeln!(o, "std deviation: {:.3} ms", l.stddev_ms);
                let _ = writeln!(o, "p50 delay: {:.3} ms", l.p50 / 1e3);
                let _ = writeln!(o, "p99 delay: {:.3} ms", l.p99 / 1e3);
                let _ = writeln!(o, "p99.9 delay: {:.3} ms", l.p999 / 1e3);
            }
            let ar = if self.duration_s > 0.0 {
                p.received as f64 / self.duration_s
            } else {
                0.0
            };
            let _ = writeln!(o, "achieved rate: {ar:.3} replies/second");
            let _ = writeln!(o, "collected packets: 0");
            let _ = writeln!(o);
        }
        let l = &self.latency;
        let _ = writeln!(o, "***Exchange latency***");
        let _ = writeln!(
            o,
            "exchange delay: min {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms, avg {:.3} ms",
            l.min / 1e3,
            l.p50 / 1e3,
            l.p99 / 1e3,
            l.p999 / 1e3,
            l.max / 1e3,
            l.avg / 1e3
        );
        let _ = writeln!(
            o,
            "perfgen cpu time: user {:.3} s, system {:.3} s, total {:.3} s, {:.3} us per completed exchange",
            self.cpu_user,
            self.cpu_system,
            self.cpu_user + self.cpu_system,
            self.cpu_us_per_exchange()
        );
        o
    }

    /// The JSON object the benchmark scripts parse.
    pub fn json(&self) -> Value {
        let phases: Vec<Value> = self
            .phases
            .iter()
            .map(|p| {
                json!({"name": p.name, "sent": p.sent, "received": p.received, "drops": p.drops,
                       "orphans": p.orphans, "rejected": p.rejected,
                       "latency_us": p.latency.json()})
            })
            .collect();
        let search = match &self.search {
            None => Value::Null,
            Some((best, steps)) => json!({
                "highest_rate": best,
                "steps": steps.iter().map(|s| json!({
                    "rate": s.rate, "started": s.started, "completed": s.completed,
                    "loss_pct": r3(s.loss_pct), "held": s.held, "sender_limited": s.sender_limited,
                })).collect::<Vec<_>>(),
            }),
        };
        json!({
            "family": self.family,
            "transport": self.transport,
            "target_rate": self.target_rate,
            "duration_s": (self.duration_s * 1e6).round() / 1e6,
            "exchanges_started": self.started,
            "exchanges_completed": self.completed,
            "drops": self.drops,
            "rate": r3(self.rate),
            "latency_us": self.latency.json(),
            "phases": phases,
            "cpu_s": {"user": r3(self.cpu_user), "system": r3(self.cpu_system)},
            "cpu_us_per_exchange": r3(self.cpu_us_per_exchange()),
            "exit_reason": self.exit_reason,
            "max_rate_search": search,
            "transport_detail": self.transport_detail,
            "transport_counters": self.transport_counters.iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect::<serde_json::Map<String, Value>>(),
        })
    }
}

fn fmt_num(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}

/// CPU time of this process (user, system) in seconds.
pub fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_utime), t(ru.ru_stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut s = PhaseStats {
            sent: 5000,
            received: 4990,
            drops: 10,
            orphans: 2,
            ..Default::default()
        };
        for i in 0..4990u64 {
            s.latency.record(200_000 + i * 100);
        }
        let mut r = PhaseStats {
            sent: 4990,
            received: 4990,
            ..Default::default()
        };
        r.latency.record(300_000);
        Report {
            family: 4,
            transport: "udp-relay".into(),
            target_rate: Some(1000.0),
            duration_s: 5.0,
            started: 5000,
            completed: 4990,
            drops: 10,
            rate: 998.0,
            latency: LatSummary::of(&s.latency),
            phases: vec![
                PhaseReport::of("DISCOVER-OFFER", &s, true),
                PhaseReport::of("REQUEST-ACK", &r, true),
            ],
            cpu_user: 0.5,
            cpu_system: 0.25,
            exit_reason: "reached test-period.".into(),
            ..Default::default()
        }
    }

    /// The same parser perfdhcp's users (and systest/src/perfdhcp.rs) use.
    fn perfdhcp_parse(text: &str) -> Vec<(String, [u64; 4])> {
        let mut ex: Vec<(String, [u64; 4])> = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            if let Some(n) = l.strip_prefix("***Statistics for:") {
                ex.push((n.trim().trim_end_matches('*').trim().to_string(), [0; 4]));
                continue;
            }
            let Some(cur) = ex.last_mut() else { continue };
            let Some((k, v)) = l.split_once(':') else {
                continue;
            };
            let Ok(v) = v.trim().parse::<u64>() else {
                continue;
            };
            match k.trim() {
                "sent packets" => cur.1[0] = v,
                "received packets" => cur.1[1] = v,
                "drops" => cur.1[2] = v,
                "orphans" => cur.1[3] = v,
                _ => {}
            }
        }
        ex
    }

    #[test]
    fn text_parses_like_perfdhcp() {
        let t = sample().text("ei");
        let ex = perfdhcp_parse(&t);
        assert_eq!(
            ex,
            vec![
                ("DISCOVER-OFFER".to_string(), [5000, 4990, 10, 2]),
                ("REQUEST-ACK".to_string(), [4990, 4990, 0, 0]),
            ]
        );
        assert!(t.contains("reached test-period.\n***Rate statistics***\n"));
        assert!(
            t.contains("Rate: 998.000 4-way exchanges/second, expected rate: 1000\n"),
            "{t}"
        );
        // the rate a perfdhcp script reads
        let rate: f64 = t
            .lines()
            .find_map(|l| l.strip_prefix("Rate: "))
            .and_then(|r| r.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(rate, 998.0);
        for k in [
            "drops ratio: 0.200 %",
            "min delay: 0.200 ms",
            "max delay: 0.699 ms",
            "avg delay: ",
            "std deviation: ",
            "p50 delay: ",
            "p99 delay: ",
            "p99.9 delay: ",
            "collected packets: 0",
            "achieved rate: ",
            "rate details: ",
            "0.750 s, 150.301 us per completed exchange",
        ] {
            assert!(t.contains(k), "missing {k:?} in\n{t}");
        }
    }

    #[test]
    fn json_has_the_benchmark_keys() {
        let mut r = sample();
        r.search = Some((
            Some(1500.0),
            vec![Step {
                rate: 1500.0,
                started: 7500,
                completed: 7500,
                loss_pct: 0.0,
                held: true,
                sender_limited: false,
            }],
        ));
        let s = r.json().to_string();
        let v: Value = serde_json::from_str(&s).unwrap();
        for k in [
            "family",
            "transport",
            "target_rate",
            "duration_s",
            "exchanges_started",
            "exchanges_completed",
            "drops",
            "rate",
            "latency_us",
            "phases",
            "cpu_s",
            "cpu_us_per_exchange",
            "exit_reason",
            "max_rate_search",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        assert_eq!(v["family"], 4);
        assert_eq!(v["transport"], "udp-relay");
        assert_eq!(v["target_rate"], 1000.0);
        assert_eq!(v["exchanges_completed"], 4990);
        for k in ["min", "p50", "p99", "p999", "max", "avg"] {
            assert!(v["latency_us"][k].is_number(), "latency_us.{k}");
            assert!(v["phases"][0]["latency_us"][k].is_number());
        }
        for k in ["name", "sent", "received", "drops", "orphans"] {
            assert!(v["phases"][1].get(k).is_some(), "phases.{k}");
        }
        assert_eq!(v["cpu_s"]["user"], 0.5);
        assert_eq!(v["max_rate_search"]["highest_rate"], 1500.0);
        for k in ["rate", "started", "completed", "loss_pct", "held"] {
            assert!(v["max_rate_search"]["steps"][0].get(k).is_some());
        }
        r.search = None;
        r.target_rate = None;
        let v = r.json();
        assert!(v["max_rate_search"].is_null());
        assert!(v["target_rate"].is_null());
    }

    #[test]
    fn transport_counters_in_extended_text_and_json() {
        let mut r = sample();
        r.transport = "afxdp".into();
        r.transport_detail = "AF_XDP on vc (XDP native mode, copy mode, queue 0)".into();
        r.transport_counters = vec![("xsk_rx_dropped".into(), 0), ("xsk_rx_ring_full".into(), 3)];
        let t = r.text("i");
        assert!(
            t.contains("transport: afxdp, AF_XDP on vc (XDP native mode, copy mode, queue 0)\n"),
            "{t}"
        );
        assert!(t.contains("transport counters: xsk_rx_dropped 0, xsk_rx_ring_full 3\n"));
        assert!(!r.text("").contains("transport counters"));
        let v = r.json();
        assert_eq!(v["transport"], "afxdp");
        assert_eq!(v["transport_counters"]["xsk_rx_ring_full"], 3);
        assert!(v["transport_detail"].as_str().unwrap().contains("native"));
        // the perfdhcp-style parse is unaffected
        assert_eq!(perfdhcp_parse(&t).len(), 2);
    }

    #[test]
    fn no_reply_phase_prints_perfdhcp_line() {
        let mut r = sample();
        r.phases[1].received = 0;
        let t = r.text("");
        assert!(t.contains("Delay summary unavailable! No packets received."));
        assert!(!t.contains("rate details"));
    }
}
