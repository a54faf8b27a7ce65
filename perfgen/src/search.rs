//! Maximum-rate search (sans-I/O): start at a rate, multiply by 1.5 while
//! steps hold, then bisect between the highest rate that held and the
//! lowest that failed. A step holds when at most 2.5 % of its exchanges got
//! no reply within the drop timeout (ISC's criterion) and the generator
//! really started (nearly) the requested number of exchanges.

/// ISC's loss threshold.
pub const MAX_LOSS_PCT: f64 = 2.5;
/// A step must start at least this share of the scheduled exchanges.
pub const MIN_SENT_SHARE: f64 = 0.95;

/// One measured step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Target rate.
    pub rate: f64,
    /// Exchanges started.
    pub started: u64,
    /// Exchanges completed in time.
    pub completed: u64,
    /// Lost share in percent.
    pub loss_pct: f64,
    /// Whether the step held.
    pub held: bool,
    /// Whether the generator could not start the scheduled exchanges.
    pub sender_limited: bool,
}

/// Search state.
#[derive(Debug, Clone)]
pub struct Search {
    start: f64,
    step_secs: f64,
    lo: Option<f64>,
    hi: Option<f64>,
    /// Stop bisecting when hi/lo is within this factor.
    pub precision: f64,
    /// Hard step limit.
    pub max_steps: usize,
    /// Every step so far.
    pub steps: Vec<Step>,
}

impl Search {
    /// A search starting at `start` with steps of `step_secs`.
    pub fn new(start: f64, step_secs: f64) -> Search {
        Search {
            start: start.max(1.0),
            step_secs,
            lo: None,
            hi: None,
            precision: 0.03,
            max_steps: 25,
            steps: Vec::new(),
        }
    }

    /// The next rate to try, None when done.
    pub fn next_rate(&self) -> Option<f64> {
        if self.steps.len() >= self.max_steps {
            return None;
        }
        match (self.lo, self.hi) {
            (None, None) => Some(self.start),
            (Some(l), None) => Some((l * 1.5).round()),
            (None, Some(h)) => (h > 20.0).then(|| (h / 2.0).round()),
            (Some(l), Some(h)) => {
                let mid = ((l + h) / 2.0).round();
                (h / l > 1.0 + self.precision && mid > l && mid < h).then_some(mid)
            }
        }
    }

    /// Records a step's outcome; returns whether it held.
    pub fn record(&mut self, rate: f64, started: u64, completed: u64) -> bool {
        let lost = started.saturating_sub(completed);
        let loss_pct = if started == 0 {
            100.0
        } else {
            lost as f64 * 100.0 / started as f64
        };
        let scheduled = rate * self.step_secs;
        let sender_limited = (started as f64) < scheduled * MIN_SENT_SHARE;
        let held = loss_pct <= MAX_LOSS_PCT && !sender_limited && started > 0;
        if held {
            self.lo = Some(self.lo.map_or(rate, |l| l.max(rate)));
        } else {
            self.hi = Some(self.hi.map_or(rate, |h| h.min(rate)));
        }
        self.steps.push(Step {
            rate,
            started,
            completed,
            loss_pct,
            held,
            sender_limited,
        });
        held
    }

    /// Highest rate that held.
    pub fn highest(&self) -> Option<f64> {
        self.lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that answers everything up to `cap`/s and nothing above.
    fn simulate(cap: f64, start: f64) -> Search {
        let mut s = Search::new(start, 5.0);
        while let Some(r) = s.next_rate() {
            let started = (r * 5.0) as u64;
            let completed = (cap.min(r) * 5.0) as u64;
            s.record(r, started, completed);
        }
        s
    }

    #[test]
    fn finds_capacity_from_below() {
        for cap in [1500.0, 37_000.0, 123_456.0] {
            let s = simulate(cap, 1000.0);
            let h = s.highest().unwrap();
            // 2.5 % loss tolerated: held rate may exceed cap by up to 1/0.975
            assert!(h <= cap / 0.975 + 1.0, "cap {cap} found {h}");
            assert!(h >= cap * 0.97, "cap {cap} found {h}");
            // first steps multiply by 1.5
            assert_eq!(s.steps[1].rate, 1500.0);
            assert!(s.steps.len() < 25);
        }
    }

    #[test]
    fn finds_capacity_from_above() {
        let s = simulate(800.0, 10_000.0);
        let h = s.highest().unwrap();
        assert!((780.0..=821.0).contains(&h), "{h}");
        assert!(!s.steps[0].held);
        assert_eq!(s.steps[1].rate, 5000.0);
    }

    #[test]
    fn sender_limited_steps_do_not_hold() {
        let mut s = Search::new(1000.0, 5.0);
        assert!(!s.record(1000.0, 4000, 4000));
        assert!(s.steps[0].sender_limited);
        assert!(s.record(500.0, 2500, 2450));
        assert!(!s.record(600.0, 3000, 2900)); // 3.3 % lost
        assert_eq!(s.highest(), Some(500.0));
    }

    #[test]
    fn nothing_holds() {
        let s = simulate(0.0, 1000.0);
        assert_eq!(s.highest(), None);
        assert!(s.steps.len() <= 8);
    }
}
