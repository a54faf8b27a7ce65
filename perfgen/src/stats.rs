//! Counters and latency histograms (microseconds, HDR).

use hdrhistogram::Histogram;

use crate::pacer::{Nanos, SEC};

/// Latency histogram with exact min/max/mean/stddev kept beside it.
#[derive(Debug, Clone)]
pub struct Latency {
    hist: Histogram<u64>,
    count: u64,
    sum_ns: f64,
    sumsq_ms: f64,
    min_ns: u64,
    max_ns: u64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency::new(3)
    }
}

impl Latency {
    /// A histogram from 1 µs to 10 min with `sigfig` significant digits.
    pub fn new(sigfig: u8) -> Latency {
        Latency {
            hist: Histogram::new_with_bounds(1, 600_000_000, sigfig).expect("valid bounds"),
            count: 0,
            sum_ns: 0.0,
            sumsq_ms: 0.0,
            min_ns: u64::MAX,
            max_ns: 0,
        }
    }

    /// Records one delay.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        let us = (ns / 1000).clamp(1, 600_000_000);
        self.hist.saturating_record(us);
        self.count += 1;
        self.sum_ns += ns as f64;
        let ms = ns as f64 / 1e6;
        self.sumsq_ms += ms * ms;
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Smallest delay in µs (0 when empty).
    pub fn min_us(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.min_ns as f64 / 1e3
        }
    }
    /// Largest delay in µs.
    pub fn max_us(&self) -> f64 {
        self.max_ns as f64 / 1e3
    }
    /// Mean in µs.
    pub fn avg_us(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ns / self.count as f64 / 1e3
        }
    }
    /// Population standard deviation in ms (perfdhcp prints ms).
    pub fn stddev_ms(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let n = self.count as f64;
        let mean = self.sum_ns / n / 1e6;
        (self.sumsq_ms / n - mean * mean).max(0.0).sqrt()
    }
    /// Quantile (0..1) in µs from the histogram.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.hist.value_at_quantile(q) as f64
        }
    }
    /// Adds another histogram's samples.
    pub fn merge(&mut self, o: &Latency) {
        let _ = self.hist.add(&o.hist);
        self.count += o.count;
        self.sum_ns += o.sum_ns;
        self.sumsq_ms += o.sumsq_ms;
        self.min_ns = self.min_ns.min(o.min_ns);
        self.max_ns = self.max_ns.max(o.max_ns);
    }
}

/// Counters of one message exchange type (DISCOVER-OFFER, ...).
#[derive(Debug, Clone, Default)]
pub struct PhaseStats {
    /// Requests sent.
    pub sent: u64,
    /// Matching replies received in time.
    pub received: u64,
    /// Requests whose reply never came within the drop timeout (or by exit).
    pub drops: u64,
    /// Replies that matched no outstanding request (late, duplicate, foreign).
    pub orphans: u64,
    /// Negative replies (NAK, status codes): received, exchange failed.
    pub rejected: u64,
    /// Request-to-reply delay.
    pub latency: Latency,
}

/// Activity within one second of the run (for the chart).
#[derive(Debug, Clone)]
pub struct Second {
    /// Exchanges started.
    pub started: u64,
    /// Exchanges completed.
    pub completed: u64,
    /// Requests dropped (timed out).
    pub drops: u64,
    /// Exchange latency of those completed in this second.
    pub latency: Latency,
}

impl Default for Second {
    fn default() -> Self {
        Second {
            started: 0,
            completed: 0,
            drops: 0,
            latency: Latency::new(2),
        }
    }
}

/// Per-second series, indexed from the start of the run.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Start of second 0.
    pub t0: Nanos,
    /// One entry per second.
    pub seconds: Vec<Second>,
}

impl Series {
    /// The bucket for `now`.
    #[inline]
    pub fn at(&mut self, now: Nanos) -> &mut Second {
        let i = (now.saturating_sub(self.t0) / SEC) as usize;
        if i >= self.seconds.len() {
            self.seconds.resize_with(i + 1, Second::default);
        }
        &mut self.seconds[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_summary() {
        let mut l = Latency::default();
        for ms in [1u64, 2, 3, 4] {
            l.record(ms * 1_000_000);
        }
        assert_eq!(l.count(), 4);
        assert_eq!(l.min_us(), 1000.0);
        assert_eq!(l.max_us(), 4000.0);
        assert_eq!(l.avg_us(), 2500.0);
        assert!((l.stddev_ms() - 1.118).abs() < 0.001);
        let p50 = l.quantile_us(0.5);
        assert!((1999.0..=2001.0).contains(&p50), "{p50}");
    }

    #[test]
    fn empty_is_zero() {
        let l = Latency::default();
        assert_eq!(l.min_us(), 0.0);
        assert_eq!(l.quantile_us(0.99), 0.0);
        assert_eq!(l.stddev_ms(), 0.0);
    }
}
