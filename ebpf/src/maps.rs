//! Rust mirror of the layouts and constants shared with `src/bpf/xdp_dhcp.c`. Keep both sides
//! in step: the kernel copies these bytes verbatim between the program and user space.

/// Entries in the `xsks` and `counters` maps: the highest RX queue index the program can steer
/// is `MAX_QUEUES - 1` (C: `MAX_QUEUES`).
pub const MAX_QUEUES: u32 = 64;

/// Mark bit in `steer_ports`: steer UDP to this destination port when carried over IPv4.
pub const STEER_V4: u8 = 1;

/// Mark bit in `steer_ports`: steer UDP to this destination port when carried over IPv6.
pub const STEER_V6: u8 = 2;

/// Entries in `steer_ports`: one per UDP destination port.
pub const PORT_ENTRIES: u32 = 65536;

/// Per-RX-queue packet counters kept by the program (C: `struct queue_counters`), one copy per
/// CPU in the kernel; [`crate::XdpProgram::counters`] returns them summed.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounters {
    /// Frames redirected into the queue's AF_XDP socket.
    pub steered: u64,
    /// Frames handed to the kernel: not DHCP, or DHCP with no socket registered on the queue.
    pub passed: u64,
    /// Frames too short or with inconsistent headers (also handed to the kernel).
    pub malformed: u64,
}

impl QueueCounters {
    /// Adds another set of counters to this one (saturating: they are statistics).
    pub fn add(&mut self, other: &QueueCounters) {
        self.steered = self.steered.saturating_add(other.steered);
        self.passed = self.passed.saturating_add(other.passed);
        self.malformed = self.malformed.saturating_add(other.malformed);
    }

    /// The sum of a set of counters, e.g. over all queues.
    pub fn total<'a>(all: impl IntoIterator<Item = &'a QueueCounters>) -> QueueCounters {
        let mut sum = QueueCounters::default();
        for c in all {
            sum.add(c);
        }
        sum
    }
}

// SAFETY: QueueCounters is repr(C), made of u64 only (no padding, no pointers), so every bit
// pattern is a valid value and it can be copied to and from the kernel's map bytes.
unsafe impl aya::Pod for QueueCounters {}

/// Whether `mark` only uses the bits the program understands.
pub const fn valid_mark(mark: u8) -> bool {
    mark & !(STEER_V4 | STEER_V6) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_counters_layout_matches_c() {
        assert_eq!(size_of::<QueueCounters>(), 24);
        assert_eq!(align_of::<QueueCounters>(), 8);
        assert_eq!(std::mem::offset_of!(QueueCounters, steered), 0);
        assert_eq!(std::mem::offset_of!(QueueCounters, passed), 8);
        assert_eq!(std::mem::offset_of!(QueueCounters, malformed), 16);
    }

    #[test]
    fn constants_match_c_source() {
        let src = include_str!("bpf/xdp_dhcp.c");
        assert!(src.contains(&format!("#define MAX_QUEUES {MAX_QUEUES}")));
        assert!(src.contains(&format!("#define STEER_V4 {STEER_V4}")));
        assert!(src.contains(&format!("#define STEER_V6 {STEER_V6}")));
        assert!(src.contains(&format!("__uint(max_entries, {PORT_ENTRIES});")));
    }

    #[test]
    fn marks_and_totals() {
        assert!(valid_mark(0) && valid_mark(STEER_V4 | STEER_V6));
        assert!(!valid_mark(4));
        let a = QueueCounters {
            steered: 1,
            passed: 2,
            malformed: 3,
        };
        let b = QueueCounters {
            steered: 10,
            passed: u64::MAX,
            malformed: 0,
        };
        let t = QueueCounters::total([&a, &b]);
        assert_eq!(
            t,
            QueueCounters {
                steered: 11,
                passed: u64::MAX,
                malformed: 3
            }
        );
    }
}
