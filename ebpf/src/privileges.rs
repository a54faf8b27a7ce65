//! Tells up front which capabilities the process lacks, so a missing privilege is reported as
//! such instead of as a bare EPERM from whichever syscall happens to come first.

use std::fs;

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_BPF: u32 = 39;

/// The effective capability set of this process, from /proc/self/status.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caps(u64);

impl Caps {
    /// Reads the effective set; `None` when /proc is unavailable (then nothing is checked
    /// beforehand and the kernel's EPERM is reported instead).
    pub(crate) fn current() -> Option<Caps> {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        parse_cap_eff(&status).map(Caps)
    }

    fn has(self, cap: u32) -> bool {
        self.0 & (1u64 << cap) != 0
    }

    /// What is missing to load and attach an XDP program, if anything.
    pub(crate) fn missing_for_xdp(self) -> Option<&'static str> {
        let bpf = self.has(CAP_BPF) || self.has(CAP_SYS_ADMIN);
        match (bpf, self.has(CAP_NET_ADMIN)) {
            (true, true) => None,
            (false, true) => Some("CAP_BPF"),
            (true, false) => Some("CAP_NET_ADMIN"),
            (false, false) => Some("CAP_BPF and CAP_NET_ADMIN"),
        }
    }

    /// What is missing to open an AF_XDP socket, if anything.
    pub(crate) fn missing_for_xsk(self) -> Option<&'static str> {
        (!self.has(CAP_NET_RAW)).then_some("CAP_NET_RAW")
    }
}

fn parse_cap_eff(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_judges_capabilities() {
        let root = parse_cap_eff("Name:\tx\nCapEff:\t000001ffffffffff\n").unwrap();
        assert_eq!(Caps(root).missing_for_xdp(), None);
        assert_eq!(Caps(root).missing_for_xsk(), None);
        assert_eq!(Caps(0).missing_for_xdp(), Some("CAP_BPF and CAP_NET_ADMIN"));
        assert_eq!(Caps(1 << CAP_NET_ADMIN).missing_for_xdp(), Some("CAP_BPF"));
        assert_eq!(Caps(1 << CAP_BPF).missing_for_xdp(), Some("CAP_NET_ADMIN"));
        assert_eq!(
            Caps(1 << CAP_SYS_ADMIN | 1 << CAP_NET_ADMIN).missing_for_xdp(),
            None
        );
        assert_eq!(Caps(0).missing_for_xsk(), Some("CAP_NET_RAW"));
        assert!(parse_cap_eff("CapEff:\tzz\n").is_none());
        assert!(Caps::current().is_some());
    }
}
