//! DHCPv6 counters under Kea 1.4's statistic names (fact sheet §h.3). Plain integers owned
//! by the shard thread; the side thread asks for a snapshot instead of reading them.

/// Global counters, in Kea's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter6 {
    Received,
    ReceiveDrop,
    ParseFailed,
    SolicitReceived,
    AdvertiseReceived,
    RequestReceived,
    ReplyReceived,
    RenewReceived,
    RebindReceived,
    ReleaseReceived,
    DeclineReceived,
    InfRequestReceived,
    Dhcpv4QueryReceived,
    Dhcpv4ResponseReceived,
    UnknownReceived,
    Sent,
    AdvertiseSent,
    ReplySent,
    Dhcpv4ResponseSent,
    DeclinedAddresses,
    ReclaimedDeclinedAddresses,
    ReclaimedLeases,
}

impl Counter6 {
    pub const ALL: [Counter6; 22] = [
        Counter6::Received,
        Counter6::ReceiveDrop,
        Counter6::ParseFailed,
        Counter6::SolicitReceived,
        Counter6::AdvertiseReceived,
        Counter6::RequestReceived,
        Counter6::ReplyReceived,
        Counter6::RenewReceived,
        Counter6::RebindReceived,
        Counter6::ReleaseReceived,
        Counter6::DeclineReceived,
        Counter6::InfRequestReceived,
        Counter6::Dhcpv4QueryReceived,
        Counter6::Dhcpv4ResponseReceived,
        Counter6::UnknownReceived,
        Counter6::Sent,
        Counter6::AdvertiseSent,
        Counter6::ReplySent,
        Counter6::Dhcpv4ResponseSent,
        Counter6::DeclinedAddresses,
        Counter6::ReclaimedDeclinedAddresses,
        Counter6::ReclaimedLeases,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Counter6::Received => "pkt6-received",
            Counter6::ReceiveDrop => "pkt6-receive-drop",
            Counter6::ParseFailed => "pkt6-parse-failed",
            Counter6::SolicitReceived => "pkt6-solicit-received",
            Counter6::AdvertiseReceived => "pkt6-advertise-received",
            Counter6::RequestReceived => "pkt6-request-received",
            Counter6::ReplyReceived => "pkt6-reply-received",
            Counter6::RenewReceived => "pkt6-renew-received",
            Counter6::RebindReceived => "pkt6-rebind-received",
            Counter6::ReleaseReceived => "pkt6-release-received",
            Counter6::DeclineReceived => "pkt6-decline-received",
            Counter6::InfRequestReceived => "pkt6-infrequest-received",
            Counter6::Dhcpv4QueryReceived => "pkt6-dhcpv4-query-received",
            Counter6::Dhcpv4ResponseReceived => "pkt6-dhcpv4-response-received",
            Counter6::UnknownReceived => "pkt6-unknown-received",
            Counter6::Sent => "pkt6-sent",
            Counter6::AdvertiseSent => "pkt6-advertise-sent",
            Counter6::ReplySent => "pkt6-reply-sent",
            Counter6::Dhcpv4ResponseSent => "pkt6-dhcpv4-response-sent",
            Counter6::DeclinedAddresses => "declined-addresses",
            Counter6::ReclaimedDeclinedAddresses => "reclaimed-declined-addresses",
            Counter6::ReclaimedLeases => "reclaimed-leases",
        }
    }
}

/// Per-subnet counters (`subnet[<id>].<name>`). Kea's statistics are int64: a pool
/// larger than that (a /64 has 2^64 addresses) is reported as `i64::MAX`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubnetCounters6 {
    pub total_nas: u64,
    pub assigned_nas: u64,
    pub total_pds: u64,
    pub assigned_pds: u64,
    pub declined_addresses: u64,
    pub reclaimed_declined_addresses: u64,
    pub reclaimed_leases: u64,
}

/// The largest value a Kea statistic holds.
pub(super) const STAT_MAX: u64 = i64::MAX as u64;

/// A pool size as a statistic value (saturating at Kea's int64 limit).
pub(super) fn stat_size(n: u128) -> u64 {
    u64::try_from(n).unwrap_or(STAT_MAX).min(STAT_MAX)
}

/// All DHCPv6 counters of one shard.
#[derive(Clone, Debug, Default)]
pub struct Stats6 {
    global: [u64; Counter6::ALL.len()],
    /// Which global counters have been set at least once: Kea reports a statistic only
    /// after its first event.
    seen: [bool; Counter6::ALL.len()],
    /// Indexed like the configuration's subnets; `(subnet id, counters)`.
    pub subnets: Vec<(u32, SubnetCounters6)>,
}

impl Stats6 {
    pub fn bump(&mut self, c: Counter6) {
        self.global[c as usize] += 1;
        self.seen[c as usize] = true;
    }

    pub fn add(&mut self, c: Counter6, delta: i64) {
        let v = &mut self.global[c as usize];
        *v = v.saturating_add_signed(delta);
        self.seen[c as usize] = true;
    }

    pub fn set(&mut self, c: Counter6, v: u64) {
        self.global[c as usize] = v;
        self.seen[c as usize] = true;
    }

    pub fn get(&self, c: Counter6) -> u64 {
        self.global[c as usize]
    }

    pub fn subnet_mut(&mut self, index: usize) -> &mut SubnetCounters6 {
        &mut self.subnets[index].1
    }

    /// The counters of the subnet with this id.
    pub fn subnet(&self, id: u32) -> Option<&SubnetCounters6> {
        self.subnets.iter().find(|(i, _)| *i == id).map(|(_, c)| c)
    }

    /// Every statistic that exists, as `(name, value)`, in a stable order.
    pub fn snapshot(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for c in Counter6::ALL {
            if self.seen[c as usize] {
                out.push((c.name().to_string(), self.global[c as usize]));
            }
        }
        for (id, s) in &self.subnets {
            for (name, v) in [
                ("total-nas", s.total_nas),
                ("assigned-nas", s.assigned_nas),
                ("total-pds", s.total_pds),
                ("assigned-pds", s.assigned_pds),
                ("declined-addresses", s.declined_addresses),
                (
                    "reclaimed-declined-addresses",
                    s.reclaimed_declined_addresses,
                ),
                ("reclaimed-leases", s.reclaimed_leases),
            ] {
                out.push((format!("subnet[{id}].{name}"), v));
            }
        }
        out
    }
}
