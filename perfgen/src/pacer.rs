//! Rate control by absolute schedule: exchange `k` (0-based) is due at
//! `start + k / rate`. The schedule never drifts because it is recomputed
//! from the start time on every call; a stalled generator catches up in
//! bursts of at most `max_backlog` packets, and older missed slots are
//! skipped (and counted) instead of being sent all at once.

/// Nanoseconds on the generator's monotonic clock.
pub type Nanos = u64;

/// One second in nanoseconds.
pub const SEC: Nanos = 1_000_000_000;

/// Absolute-time pacer for one stream of exchanges.
#[derive(Debug, Clone)]
pub struct Pacer {
    /// Rate in milli-exchanges per second (integer math, no float drift).
    rate_milli: u128,
    start: Nanos,
    issued: u64,
    max_backlog: u64,
    skipped: u64,
}

impl Pacer {
    /// A pacer for `rate` per second starting at `start`; the first slot is
    /// due at `start`. `max_backlog` bounds the burst after a stall.
    pub fn new(rate: f64, start: Nanos, max_backlog: u64) -> Pacer {
        let rate_milli = (rate * 1000.0).round().max(1.0) as u128;
        Pacer {
            rate_milli,
            start,
            issued: 0,
            max_backlog: max_backlog.max(1),
            skipped: 0,
        }
    }

    /// A sensible backlog bound: 10 ms worth of traffic, at least `batch`.
    pub fn default_backlog(rate: f64, batch: usize) -> u64 {
        ((rate / 100.0) as u64).max(batch as u64)
    }

    /// Slots due by `now` (inclusive) since the start.
    fn target(&self, now: Nanos) -> u64 {
        if now < self.start {
            return 0;
        }
        let elapsed = u128::from(now - self.start);
        (elapsed * self.rate_milli / 1_000_000_000_000) as u64 + 1
    }

    /// How many exchanges may start now (not yet taken). Slots older than
    /// the backlog bound are skipped for good.
    pub fn due(&mut self, now: Nanos) -> u64 {
        let n = self.target(now).saturating_sub(self.issued);
        if n > self.max_backlog {
            let skip = n - self.max_backlog;
            self.skipped += skip;
            self.issued += skip;
            return self.max_backlog;
        }
        n
    }

    /// Marks `n` due slots as used.
    pub fn take(&mut self, n: u64) {
        self.issued += n;
    }

    /// When the next slot is due.
    pub fn next_due(&self) -> Nanos {
        // smallest t with floor(t * rate) + 1 > issued, i.e. t*rate >= issued
        let need = u128::from(self.issued) * 1_000_000_000_000;
        let t = need.div_ceil(self.rate_milli);
        self.start
            .saturating_add(t.min(u128::from(u64::MAX)) as u64)
    }

    /// Slots used so far.
    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// Slots skipped because the generator fell too far behind.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polling at irregular times never sends ahead of schedule and never
    /// lags more than one slot behind (no drift).
    #[test]
    fn follows_absolute_schedule() {
        let rate = 1000.0;
        let mut p = Pacer::new(rate, 5 * SEC, 1_000_000);
        let mut now = 5 * SEC;
        let mut sent = 0u64;
        let mut step = 1u64;
        while now < 15 * SEC {
            let n = p.due(now);
            p.take(n);
            sent += n;
            let expected = (now - 5 * SEC) / 1_000_000 + 1; // 1 per ms
            assert_eq!(sent, expected, "at {now}");
            // irregular steps: 1 ns .. ~7 ms
            step = (step * 7919 + 13) % 7_000_000 + 1;
            now += step;
        }
        assert_eq!(p.skipped(), 0);
    }

    #[test]
    fn fractional_rates_do_not_drift() {
        let mut p = Pacer::new(333.3, 0, 1_000_000);
        let mut now = 0;
        while now <= 3600 * SEC {
            let n = p.due(now);
            p.take(n);
            now += 97 * 1_000_000; // 97 ms
        }
        // 333.3/s for 3600 s (+1 for the slot at t=0), within one slot
        let want = (333.3f64 * (now - 97_000_000) as f64 / 1e9) as u64 + 1;
        assert!(p.issued().abs_diff(want) <= 1, "{} vs {want}", p.issued());
    }

    #[test]
    fn next_due_is_exact() {
        let mut p = Pacer::new(4.0, 1000, 10);
        assert_eq!(p.next_due(), 1000);
        assert_eq!(p.due(1000), 1);
        p.take(1);
        assert_eq!(p.next_due(), 1000 + SEC / 4);
        assert_eq!(p.due(1000 + SEC / 4 - 1), 0);
        assert_eq!(p.due(1000 + SEC / 4), 1);
    }

    #[test]
    fn stall_catch_up_is_bounded() {
        let mut p = Pacer::new(10_000.0, 0, 100);
        assert_eq!(p.due(0), 1);
        p.take(1);
        // 1 s stall: 10,000 slots due, only 100 may burst
        let n = p.due(SEC);
        assert_eq!(n, 100);
        assert_eq!(p.skipped(), 10_001 - 100 - 1);
        p.take(n);
        // afterwards the schedule continues at the absolute position
        assert_eq!(p.due(SEC + 1_000_000), 10);
    }

    #[test]
    fn nothing_before_start() {
        let mut p = Pacer::new(100.0, SEC, 10);
        assert_eq!(p.due(SEC - 1), 0);
        assert_eq!(p.due(SEC), 1);
    }
}
