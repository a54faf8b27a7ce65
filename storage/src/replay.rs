//! What a replay produces, shared by the single-file and the segmented log, and the
//! merge of several shards' replays.

use hashbrown::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::lease::{Lease4, Lease6, Record};

/// What replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    /// Live leases, newest record per address, deletes applied; sorted by
    /// address so the result is deterministic.
    pub leases: Vec<Lease4>,
    /// Addresses whose last record in this log is a delete, with its time: what a
    /// merge with other shards' logs needs to order a delete against their leases.
    pub deleted: Vec<(Ipv4Addr, u64)>,
    /// Valid records read (leases and deletes, v4 and v6).
    pub records_read: u64,
    /// Set when a damaged tail ended the replay (single-file log; a segmented log
    /// reports its cuts in [`SegmentReplay::cuts`](crate::SegmentReplay::cuts)).
    pub cut: Option<CutReport>,
    /// Live DHCPv6 leases (newest record per address), sorted by address.
    pub leases6: Vec<Lease6>,
    /// DHCPv6 addresses whose last record is a delete, with its time.
    pub deleted6: Vec<(Ipv6Addr, u64)>,
}

/// A damaged tail: where it started, how long it was, why it was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutReport {
    pub offset: u64,
    pub bytes_cut: u64,
    pub reason: String,
}

impl fmt::Display for CutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cut {} bytes at offset {}: {}",
            self.bytes_cut, self.offset, self.reason
        )
    }
}

/// Newest record per address, applied in log order.
#[derive(Default)]
pub(crate) struct ReplayState {
    live4: HashMap<Ipv4Addr, Lease4>,
    tomb4: HashMap<Ipv4Addr, u64>,
    live6: HashMap<Ipv6Addr, Lease6>,
    tomb6: HashMap<Ipv6Addr, u64>,
    pub records_read: u64,
}

impl ReplayState {
    pub(crate) fn apply(&mut self, record: Record) {
        match record {
            Record::Lease4(l) => {
                self.tomb4.remove(&l.address);
                self.live4.insert(l.address, l);
            }
            Record::Delete4 { address, at } => {
                self.live4.remove(&address);
                self.tomb4.insert(address, at);
            }
            Record::Lease6(l) => {
                self.tomb6.remove(&l.address);
                self.live6.insert(l.address, l);
            }
            Record::Delete6 { address, at, .. } => {
                self.live6.remove(&address);
                self.tomb6.insert(address, at);
            }
        }
        self.records_read += 1;
    }

    pub(crate) fn finish(self, cut: Option<CutReport>) -> Replay {
        let mut leases: Vec<Lease4> = self.live4.into_values().collect();
        leases.sort_unstable_by_key(|l| u32::from(l.address));
        let mut deleted: Vec<(Ipv4Addr, u64)> = self.tomb4.into_iter().collect();
        deleted.sort_unstable_by_key(|(a, _)| u32::from(*a));
        let mut leases6: Vec<Lease6> = self.live6.into_values().collect();
        leases6.sort_unstable_by_key(|l| u128::from(l.address));
        let mut deleted6: Vec<(Ipv6Addr, u64)> = self.tomb6.into_iter().collect();
        deleted6.sort_unstable_by_key(|(a, _)| u128::from(*a));
        Replay {
            leases,
            deleted,
            records_read: self.records_read,
            cut,
            leases6,
            deleted6,
        }
    }
}

/// Merges the replays of several logs (one per shard) into one lease set. For each
/// address the newest record wins: a lease by its `cltt`, a delete by its `at`; on a tie
/// the lease wins, because an address is only handed out again after its delete.
pub fn merge_replays(replays: &[Replay]) -> Vec<Lease4> {
    let mut out = merge_by(
        replays.iter().map(|r| (&r.leases[..], &r.deleted[..])),
        |l: &Lease4| (l.address, l.cltt),
    );
    out.sort_unstable_by_key(|l| u32::from(l.address));
    out
}

/// [`merge_replays`] for the DHCPv6 leases, same rules.
pub fn merge_replays6(replays: &[Replay]) -> Vec<Lease6> {
    let mut out = merge_by(
        replays.iter().map(|r| (&r.leases6[..], &r.deleted6[..])),
        |l: &Lease6| (l.address, l.cltt),
    );
    out.sort_unstable_by_key(|l| u128::from(l.address));
    out
}

fn merge_by<'a, L: Clone + 'a, A: std::hash::Hash + Eq + Copy + 'a>(
    parts: impl Iterator<Item = (&'a [L], &'a [(A, u64)])>,
    key: impl Fn(&L) -> (A, u64),
) -> Vec<L> {
    let mut newest: HashMap<A, (u64, Option<&L>)> = HashMap::new();
    for (leases, deleted) in parts {
        for l in leases {
            let (addr, cltt) = key(l);
            let e = newest.entry(addr).or_insert((cltt, Some(l)));
            if cltt > e.0 || (cltt == e.0 && e.1.is_none()) {
                *e = (cltt, Some(l));
            }
        }
        for &(addr, at) in deleted {
            let e = newest.entry(addr).or_insert((at, None));
            if at > e.0 {
                *e = (at, None);
            }
        }
    }
    newest
        .into_values()
        .filter_map(|(_, l)| l.cloned())
        .collect()
}
