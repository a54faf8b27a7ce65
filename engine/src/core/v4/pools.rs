//! Free-address tracking for the pools of one shard: a bitmap of addresses that have a
//! lease record, and an iterative cursor (like Kea's iterative allocator) so successive
//! clients get successive addresses and an offered address is not offered again soon.

use std::net::Ipv4Addr;

/// One pool's occupancy. Bit set = some lease record holds the address.
pub struct PoolState {
    pub start: u32,
    pub end: u32,
    words: Vec<u64>,
    cursor: u32,
    used: u32,
}

impl PoolState {
    pub fn new(start: Ipv4Addr, end: Ipv4Addr) -> PoolState {
        let (start, end) = (u32::from(start), u32::from(end));
        let size = (end - start) as usize + 1;
        PoolState {
            start,
            end,
            words: vec![0; size.div_ceil(64)],
            cursor: 0,
            used: 0,
        }
    }

    pub fn size(&self) -> u64 {
        u64::from(self.end - self.start) + 1
    }

    #[cfg(test)]
    pub fn used(&self) -> u32 {
        self.used
    }

    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        let a = u32::from(addr);
        a >= self.start && a <= self.end
    }

    /// Marks `addr` (which must be in the pool) as holding a lease record.
    pub fn set(&mut self, addr: Ipv4Addr) {
        let i = (u32::from(addr) - self.start) as usize;
        let bit = 1u64 << (i % 64);
        if self.words[i / 64] & bit == 0 {
            self.words[i / 64] |= bit;
            self.used += 1;
        }
    }

    pub fn clear(&mut self, addr: Ipv4Addr) {
        let i = (u32::from(addr) - self.start) as usize;
        let bit = 1u64 << (i % 64);
        if self.words[i / 64] & bit != 0 {
            self.words[i / 64] &= !bit;
            self.used -= 1;
        }
    }

    /// The next address without a lease record at or after the cursor (wrapping), for
    /// which `acceptable` holds; advances the cursor past it. Word-wise scan, so a nearly
    /// full pool costs one pass over its bitmap.
    pub fn next_free(&mut self, mut acceptable: impl FnMut(Ipv4Addr) -> bool) -> Option<Ipv4Addr> {
        if u64::from(self.used) >= self.size() {
            return None;
        }
        let size = (self.end - self.start) + 1;
        let cursor = self.cursor % size;
        for (lo, hi) in [(cursor, size), (0, cursor)] {
            let mut from = lo;
            while let Some(i) = self.first_clear(from, hi) {
                let addr = Ipv4Addr::from(self.start + i);
                if acceptable(addr) {
                    self.cursor = (i + 1) % size;
                    return Some(addr);
                }
                from = i + 1;
            }
        }
        None
    }

    /// Takes a run of free addresses out of the pool (marking them used) to lend to a
    /// peer shard: at most `max` and at most half of what is free (one if only one is),
    /// taken from the end, where the cursor reaches last.
    pub fn take_free_run(&mut self, max: u32) -> Option<(Ipv4Addr, Ipv4Addr)> {
        let size = self.end - self.start + 1;
        let free = size - self.used;
        let want = max.min(free / 2).max(1).min(free);
        if free == 0 {
            return None;
        }
        let is_free = |words: &[u64], i: u32| words[(i / 64) as usize] & (1 << (i % 64)) == 0;
        let mut i = size;
        while i > 0 {
            i -= 1;
            if !is_free(&self.words, i) {
                continue;
            }
            let last = i;
            let mut first = i;
            while first > 0 && last - first + 1 < want && is_free(&self.words, first - 1) {
                first -= 1;
            }
            for x in first..=last {
                self.set(Ipv4Addr::from(self.start + x));
            }
            return Some((
                Ipv4Addr::from(self.start + first),
                Ipv4Addr::from(self.start + last),
            ));
        }
        None
    }

    /// The first clear bit in `[from, to)`.
    fn first_clear(&self, from: u32, to: u32) -> Option<u32> {
        let mut i = from;
        while i < to {
            let w = (i / 64) as usize;
            let free = !self.words[w] >> (i % 64);
            if free != 0 {
                let candidate = i + free.trailing_zeros();
                return (candidate < to).then_some(candidate);
            }
            i = (w as u32 + 1) * 64;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: u32) -> PoolState {
        let start = u32::from(Ipv4Addr::new(198, 18, 0, 0));
        PoolState::new(Ipv4Addr::from(start), Ipv4Addr::from(start + n - 1))
    }

    #[test]
    fn hands_out_every_address_once() {
        for n in [1u32, 2, 63, 64, 65, 130, 1000] {
            let mut p = pool(n);
            let mut seen = std::collections::HashSet::new();
            while let Some(a) = p.next_free(|_| true) {
                assert!(p.contains(a));
                assert!(seen.insert(a), "{a} twice in pool of {n}");
                p.set(a);
            }
            assert_eq!(seen.len() as u32, n);
            assert_eq!(p.used(), n);
        }
    }

    #[test]
    fn wraps_and_finds_freed_addresses() {
        let mut p = pool(100);
        let mut all = vec![];
        while let Some(a) = p.next_free(|_| true) {
            p.set(a);
            all.push(a);
        }
        p.clear(all[3]);
        p.clear(all[97]);
        let a = p.next_free(|_| true).unwrap();
        p.set(a);
        let b = p.next_free(|_| true).unwrap();
        p.set(b);
        let mut got = [a, b];
        got.sort();
        assert_eq!(got, [all[3], all[97]]);
        assert_eq!(p.next_free(|_| true), None);
    }

    #[test]
    fn skips_unacceptable_addresses() {
        let mut p = pool(10);
        let first = Ipv4Addr::new(198, 18, 0, 0);
        let a = p.next_free(|a| a != first).unwrap();
        assert_eq!(a, Ipv4Addr::new(198, 18, 0, 1));
        let mut p = pool(3);
        assert_eq!(p.next_free(|_| false), None);
    }

    #[test]
    fn lends_runs_of_free_addresses_from_the_end() {
        let mut p = pool(100);
        // Half of what is free at most, from the end.
        let (a, b) = p.take_free_run(64).unwrap();
        assert_eq!(
            (a, b),
            (Ipv4Addr::new(198, 18, 0, 50), Ipv4Addr::new(198, 18, 0, 99))
        );
        let (a, b) = p.take_free_run(64).unwrap();
        assert_eq!(
            (a, b),
            (Ipv4Addr::new(198, 18, 0, 25), Ipv4Addr::new(198, 18, 0, 49))
        );
        while p.next_free(|_| true).map(|a| p.set(a)).is_some() {}
        assert_eq!(p.take_free_run(64), None);
    }
}
