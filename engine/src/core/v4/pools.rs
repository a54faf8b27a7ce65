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
}
