//! DHCPv4 counters under Kea's statistic names (fact sheet §h.2). Plain integers owned by
//! the shard thread; the side thread asks for a snapshot instead of reading them.

/// Global packet counters, in Kea's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    Received,
    DiscoverReceived,
    OfferReceived,
    RequestReceived,
    AckReceived,
    NakReceived,
    ReleaseReceived,
    DeclineReceived,
    InformReceived,
    UnknownReceived,
    Sent,
    OfferSent,
    AckSent,
    NakSent,
    ParseFailed,
    ReceiveDrop,
    DeclinedAddresses,
    ReclaimedDeclinedAddresses,
    ReclaimedLeases,
}

impl Counter {
    pub const ALL: [Counter; 19] = [
        Counter::Received,
        Counter::DiscoverReceived,
        Counter::OfferReceived,
        Counter::RequestReceived,
        Counter::AckReceived,
        Counter::NakReceived,
        Counter::ReleaseReceived,
        Counter::DeclineReceived,
        Counter::InformReceived,
        Counter::UnknownReceived,
        Counter::Sent,
        Counter::OfferSent,
        Counter::AckSent,
        Counter::NakSent,
        Counter::ParseFailed,
        Counter::ReceiveDrop,
        Counter::DeclinedAddresses,
        Counter::ReclaimedDeclinedAddresses,
        Counter::ReclaimedLeases,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Counter::Received => "pkt4-received",
            Counter::DiscoverReceived => "pkt4-discover-received",
            Counter::OfferReceived => "pkt4-offer-received",
            Counter::RequestReceived => "pkt4-request-received",
            Counter::AckReceived => "pkt4-ack-received",
            Counter::NakReceived => "pkt4-nak-received",
            Counter::ReleaseReceived => "pkt4-release-received",
            Counter::DeclineReceived => "pkt4-decline-received",
            Counter::InformReceived => "pkt4-inform-received",
            Counter::UnknownReceived => "pkt4-unknown-received",
            Counter::Sent => "pkt4-sent",
            Counter::OfferSent => "pkt4-offer-sent",
            Counter::AckSent => "pkt4-ack-sent",
            Counter::NakSent => "pkt4-nak-sent",
            Counter::ParseFailed => "pkt4-parse-failed",
            Counter::ReceiveDrop => "pkt4-receive-drop",
            Counter::DeclinedAddresses => "declined-addresses",
            Counter::ReclaimedDeclinedAddresses => "reclaimed-declined-addresses",
            Counter::ReclaimedLeases => "reclaimed-leases",
        }
    }
}

/// Per-subnet counters (`subnet[<id>].<name>`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubnetCounters {
    pub total_addresses: u64,
    pub assigned_addresses: u64,
    pub declined_addresses: u64,
    pub reclaimed_declined_addresses: u64,
    pub reclaimed_leases: u64,
}

/// All DHCPv4 counters of one shard.
#[derive(Clone, Debug, Default)]
pub struct Stats4 {
    global: [u64; Counter::ALL.len()],
    /// Which global counters have been set at least once: Kea reports a statistic only
    /// after its first event.
    seen: [bool; Counter::ALL.len()],
    /// Indexed like the configuration's subnets; `(subnet id, counters)`.
    pub subnets: Vec<(u32, SubnetCounters)>,
}

impl Stats4 {
    pub fn bump(&mut self, c: Counter) {
        self.global[c as usize] += 1;
        self.seen[c as usize] = true;
    }

    pub fn add(&mut self, c: Counter, delta: i64) {
        let v = &mut self.global[c as usize];
        *v = v.saturating_add_signed(delta);
        self.seen[c as usize] = true;
    }

    pub fn set(&mut self, c: Counter, v: u64) {
        self.global[c as usize] = v;
        self.seen[c as usize] = true;
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.global[c as usize]
    }

    pub fn subnet_mut(&mut self, index: usize) -> &mut SubnetCounters {
        &mut self.subnets[index].1
    }

    /// Every statistic that exists, as `(name, value)`, in a stable order.
    pub fn snapshot(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for c in Counter::ALL {
            if self.seen[c as usize] {
                out.push((c.name().to_string(), self.global[c as usize]));
            }
        }
        for (id, s) in &self.subnets {
            for (name, v) in [
                ("total-addresses", s.total_addresses),
                ("assigned-addresses", s.assigned_addresses),
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
