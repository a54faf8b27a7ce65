//! Iterative allocation cursors (like Kea's iterative allocator), one per pool and
//! pd-pool. A /64 pool cannot have a bitmap, so the allocator walks candidates from the
//! cursor and checks the lease table and the reservations, a bounded number of times.

/// A position in a range of `last + 1` candidates (offsets `0..=last`), wrapping.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cursor {
    next: u128,
    last: u128,
}

impl Cursor {
    /// A cursor over `size` candidates (`size` saturates at `u128::MAX`, which then
    /// stands for 2^128).
    pub fn new(last: u128) -> Cursor {
        Cursor { next: 0, last }
    }

    /// The next offset; the cursor moves past it.
    pub fn take(&mut self) -> u128 {
        let o = self.next;
        self.next = if o >= self.last { 0 } else { o + 1 };
        o
    }

    /// Moves the cursor past `offset` unless it is already further: after a restart the
    /// cursor resumes behind the leases it finds, instead of walking them again.
    pub fn skip_past(&mut self, offset: u128) {
        if offset >= self.next && offset < self.last {
            self.next = offset + 1;
        } else if offset >= self.last {
            self.next = 0;
        }
    }

    /// How many candidates the range has, saturating.
    pub fn size(&self) -> u128 {
        self.last.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps() {
        let mut c = Cursor::new(2);
        let v: Vec<u128> = (0..7).map(|_| c.take()).collect();
        assert_eq!(v, [0, 1, 2, 0, 1, 2, 0]);
        let mut c = Cursor::new(u128::MAX);
        assert_eq!(c.take(), 0);
        assert_eq!(c.size(), u128::MAX);
    }
}
