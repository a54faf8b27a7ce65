//! How work is split between shards: a client belongs to the shard its identity hashes
//! to, and each shard allocates from its own contiguous slice of every pool. Both rules are
//! pure functions of the identity, the pool and the shard count, so every thread (and a
//! restart with the same count) computes the same answer without asking anyone.

use std::net::Ipv4Addr;
use xdhcp_storage::Lease4;
use xdhcp_wire::dhcpv4::Packet;

/// This shard's place among `count` shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    pub index: usize,
    pub count: usize,
}

impl Partition {
    /// One shard owning everything (the single-threaded server and the tests).
    pub const WHOLE: Partition = Partition { index: 0, count: 1 };

    pub fn new(index: usize, count: usize) -> Partition {
        assert!(count > 0 && index < count, "shard {index} of {count}");
        Partition { index, count }
    }

    /// This shard's part of the pool `start..=end`, or `None` when the pool has fewer
    /// addresses than there are shards and none falls to this one.
    pub fn slice_of(&self, start: Ipv4Addr, end: Ipv4Addr) -> Option<(Ipv4Addr, Ipv4Addr)> {
        let (s, e) = (u64::from(u32::from(start)), u64::from(u32::from(end)));
        let chunk = (e - s + 1).div_ceil(self.count as u64);
        let lo = s + chunk * self.index as u64;
        let hi = (lo + chunk - 1).min(e);
        (lo <= hi).then(|| (Ipv4Addr::from(lo as u32), Ipv4Addr::from(hi as u32)))
    }

    /// The shard whose slice of the pool `start..=end` holds `addr`.
    pub fn slice_owner(count: usize, start: Ipv4Addr, end: Ipv4Addr, addr: Ipv4Addr) -> usize {
        let (s, e) = (u64::from(u32::from(start)), u64::from(u32::from(end)));
        let chunk = (e - s + 1).div_ceil(count as u64);
        let off = u64::from(u32::from(addr)).saturating_sub(s);
        ((off / chunk) as usize).min(count - 1)
    }
}

/// FNV-1a: stable across processes and releases, so a restart with the same shard count
/// puts every client back on the shard that holds its lease.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The shard owning a client known by `id` (its client-id, else its hardware address).
pub fn owner_of_identity(id: &[u8], count: usize) -> usize {
    if count <= 1 {
        return 0;
    }
    (fnv1a(id) % count as u64) as usize
}

/// The shard owning the client of a received DHCPv4 message; `None` when it does not
/// parse (whoever received it counts it as malformed).
pub fn owner_of_packet(payload: &[u8], count: usize) -> Option<usize> {
    if count <= 1 {
        return Some(0);
    }
    let pkt = Packet::new_checked(payload).ok()?;
    let mut buf = [0u8; 255];
    let id = match pkt.options().client_id() {
        Some(v) if !v.is_empty() => v.copy_into(&mut buf)?,
        _ => pkt.chaddr(),
    };
    Some(owner_of_identity(id, count))
}

/// The shard owning the client of a stored lease (declined leases, which have no
/// client, stay with the shard whose slice holds the address).
pub fn owner_of_lease(lease: &Lease4, count: usize) -> Option<usize> {
    match lease.client_id.as_deref().filter(|c| !c.is_empty()) {
        Some(cid) => Some(owner_of_identity(cid, count)),
        None if !lease.hwaddr.is_empty() => Some(owner_of_identity(&lease.hwaddr, count)),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn slices_cover_the_pool_exactly_once() {
        for (n, count) in [(1u32, 1usize), (1, 2), (7, 2), (100, 3), (256, 4), (5, 8)] {
            let start = ip("198.18.0.0");
            let end = Ipv4Addr::from(u32::from(start) + n - 1);
            let mut covered = vec![0u8; n as usize];
            for i in 0..count {
                if let Some((a, b)) = Partition::new(i, count).slice_of(start, end) {
                    for x in u32::from(a)..=u32::from(b) {
                        covered[(x - u32::from(start)) as usize] += 1;
                        assert_eq!(
                            Partition::slice_owner(count, start, end, Ipv4Addr::from(x)),
                            i
                        );
                    }
                }
            }
            assert!(
                covered.iter().all(|c| *c == 1),
                "{n} addresses, {count} shards"
            );
        }
    }

    #[test]
    fn owners_are_spread_and_stable() {
        let mut per = [0usize; 2];
        for i in 0..1000u32 {
            let mac = [2, 0, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8];
            let o = owner_of_identity(&mac, 2);
            assert_eq!(o, owner_of_identity(&mac, 2));
            per[o] += 1;
        }
        assert!(per[0] > 400 && per[1] > 400, "{per:?}");
        assert_eq!(owner_of_identity(b"anything", 1), 0);
    }
}
