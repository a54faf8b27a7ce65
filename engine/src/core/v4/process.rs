//! RFC 2131 message processing: which address a client gets, when it is NAKed, and which
//! lease records change. Replies are written by `reply`; this module decides.

use super::client::ClientView;
use super::reply::{ReplyKind, ReplySpec, build_reply};
use super::select::{reply_destination, select_subnet};
use super::shard::{ShardNote, ShardV4};
use super::stats::Counter;
use super::{Context, Reply};
use std::net::Ipv4Addr;
use xdhcp_config::IdentifierType;
use xdhcp_storage::{Ident, Lease4, LeaseState};
use xdhcp_wire::dhcpv4::{MessageType, Packet};

/// BOOTREQUEST: only requests from clients are served.
const BOOTREQUEST: u8 = 1;

impl ShardV4 {
    /// Handles one received DHCPv4 message (the UDP payload) at `now` (Unix seconds),
    /// writing any reply into `out`. Lease changes queue up in `take_changes`.
    pub fn handle(
        &mut self,
        now: u64,
        payload: &[u8],
        ctx: &Context<'_>,
        out: &mut [u8],
    ) -> Option<Reply> {
        self.handle_inner(now, payload, ctx, out, true)
    }

    /// `handle` for a message another shard rerouted here (see `take_reroute`): it is
    /// processed here whatever it names, so it can never bounce back.
    pub fn handle_rerouted(
        &mut self,
        now: u64,
        payload: &[u8],
        ctx: &Context<'_>,
        out: &mut [u8],
    ) -> Option<Reply> {
        self.handle_inner(now, payload, ctx, out, false)
    }

    fn handle_inner(
        &mut self,
        now: u64,
        payload: &[u8],
        ctx: &Context<'_>,
        out: &mut [u8],
        may_reroute: bool,
    ) -> Option<Reply> {
        let pkt = match Packet::new_checked(payload) {
            Ok(p) => p,
            Err(e) => {
                self.stats.bump(Counter::Received);
                self.stats.bump(Counter::ParseFailed);
                self.stats.bump(Counter::ReceiveDrop);
                log::debug!("dropped malformed DHCPv4 packet from {}: {e}", ctx.src);
                return None;
            }
        };
        let Some(msg_type) = pkt.options().message_type() else {
            self.stats.bump(Counter::Received);
            self.stats.bump(Counter::ParseFailed);
            self.stats.bump(Counter::ReceiveDrop);
            log::debug!(
                "dropped DHCPv4 packet without message type from {}",
                ctx.src
            );
            return None;
        };
        let client = ClientView::read(&pkt);
        if may_reroute && self.part.count > 1 {
            self.reroute = self.reroute_target(&pkt, &client, msg_type);
            if self.reroute.is_some() {
                return None;
            }
        }
        self.stats.bump(Counter::Received);
        self.count_received(msg_type);
        if pkt.op() != BOOTREQUEST || !self.enabled {
            self.stats.bump(Counter::ReceiveDrop);
            return None;
        }
        if client.chaddr.is_empty() && client.client_id.is_none() {
            // Nothing to key a lease on (Kea's sanity check drops these too).
            self.stats.bump(Counter::ReceiveDrop);
            return None;
        }
        let reply = match msg_type {
            MessageType::Discover => self.discover(now, &pkt, &client, ctx, out),
            MessageType::Request => self.request(now, &pkt, &client, ctx, out),
            MessageType::Release => {
                self.release(now, &pkt, &client, ctx);
                None
            }
            MessageType::Decline => {
                self.decline(now, &pkt, &client, ctx);
                None
            }
            MessageType::Inform => self.inform(&pkt, &client, ctx, out),
            _ => {
                self.stats.bump(Counter::ReceiveDrop);
                None
            }
        };
        if let Some(r) = &reply {
            self.stats.bump(Counter::Sent);
            self.stats.bump(match r.kind {
                ReplyKind::Offer => Counter::OfferSent,
                ReplyKind::Ack => Counter::AckSent,
                ReplyKind::Nak => Counter::NakSent,
            });
        }
        reply
    }

    /// A message about an address whose lease (if any) can only be in the shard owning
    /// that address's slice goes there: a renewal after lost state, or a release of a
    /// lease that shard made. The client's own leases are always here.
    fn reroute_target(
        &self,
        pkt: &Packet<'_>,
        client: &ClientView,
        t: MessageType,
    ) -> Option<usize> {
        let addr = match t {
            MessageType::Request if client.server_id.is_none() => {
                if pkt.ciaddr().is_unspecified() {
                    client.requested_ip?
                } else {
                    pkt.ciaddr()
                }
            }
            MessageType::Release => pkt.ciaddr(),
            MessageType::Decline => client.requested_ip?,
            _ => return None,
        };
        if self.leases.get(addr).is_some() {
            return None;
        }
        let si = self.rt.subnet_containing(addr)?;
        let cfg = &self.rt.subnets[si].cfg;
        if self
            .find_client_lease(
                cfg.id,
                client.chaddr.as_slice(),
                client.client_id(),
                cfg.match_client_id,
            )
            .is_some()
            || self.in_my_slices(si, addr)
            || self.foreign.contains(&u32::from(addr))
        {
            return None;
        }
        self.slice_owner(si, addr).filter(|o| *o != self.part.index)
    }

    fn count_received(&mut self, t: MessageType) {
        self.stats.bump(match t {
            MessageType::Discover => Counter::DiscoverReceived,
            MessageType::Offer => Counter::OfferReceived,
            MessageType::Request => Counter::RequestReceived,
            MessageType::Ack => Counter::AckReceived,
            MessageType::Nak => Counter::NakReceived,
            MessageType::Release => Counter::ReleaseReceived,
            MessageType::Decline => Counter::DeclineReceived,
            MessageType::Inform => Counter::InformReceived,
            _ => Counter::UnknownReceived,
        });
    }

    /// DHCPDISCOVER → DHCPOFFER. Nothing is persisted (as Kea 1.4); the pool cursor
    /// moves on so the next client is offered the next address.
    fn discover(
        &mut self,
        now: u64,
        pkt: &Packet<'_>,
        client: &ClientView,
        ctx: &Context<'_>,
        out: &mut [u8],
    ) -> Option<Reply> {
        let server_id = ctx.server_addr?;
        let Some(si) = select_subnet(&self.rt, pkt, client, ctx) else {
            log::debug!(
                "DISCOVER from {}: no subnet for it",
                hex(client.chaddr.as_slice())
            );
            return None;
        };
        let reservation = self.find_reservation(si, client);
        let Some(addr) = self.pick_address(now, si, client, reservation, ctx) else {
            // Once a minute per subnet, so a flood of DISCOVERs cannot flood the log.
            if self.exhausted_warned[si].saturating_add(60) <= now {
                self.exhausted_warned[si] = now;
                log::warn!(
                    "subnet {} has no address left for DISCOVER from {} (and others)",
                    self.rt.subnets[si].cfg.id,
                    hex(client.chaddr.as_slice())
                );
            }
            return None;
        };
        let spec = ReplySpec {
            kind: ReplyKind::Offer,
            subnet: Some(si),
            reservation,
            yiaddr: addr,
            server_id,
            lease_time: Some(self.rt.subnets[si].cfg.valid_lifetime),
        };
        build_reply(
            &self.rt,
            pkt,
            client,
            &spec,
            reply_destination(pkt, false, addr),
            out,
        )
    }

    /// DHCPREQUEST in its four states (RFC 2131 section 4.3.2).
    fn request(
        &mut self,
        now: u64,
        pkt: &Packet<'_>,
        client: &ClientView,
        ctx: &Context<'_>,
        out: &mut [u8],
    ) -> Option<Reply> {
        let server_id = ctx.server_addr?;
        let ciaddr = pkt.ciaddr();
        let selecting = client.server_id.is_some();
        if let Some(sid) = client.server_id {
            // The client chose another server's offer: nothing to do here.
            if sid != server_id && !self.is_own_address(sid, ctx) {
                return None;
            }
        }
        let wanted = match (client.requested_ip, ciaddr.is_unspecified()) {
            (Some(req), true) => req,
            (_, false) => ciaddr,
            (None, true) => {
                self.stats.bump(Counter::ReceiveDrop);
                return None;
            }
        };
        let nak = |shard: &mut ShardV4, out: &mut [u8]| -> Option<Reply> {
            let spec = ReplySpec {
                kind: ReplyKind::Nak,
                subnet: None,
                reservation: None,
                yiaddr: Ipv4Addr::UNSPECIFIED,
                server_id,
                lease_time: None,
            };
            build_reply(
                &shard.rt,
                pkt,
                client,
                &spec,
                reply_destination(pkt, true, Ipv4Addr::UNSPECIFIED),
                out,
            )
        };
        // INIT-REBOOT: no server identifier, requested address in option 50, no ciaddr.
        let init_reboot = !selecting && ciaddr.is_unspecified();
        let Some(si) = select_subnet(&self.rt, pkt, client, ctx) else {
            // A network we know nothing about: another server's business.
            return None;
        };
        let authoritative = self.rt.subnets[si].cfg.authoritative;
        if !self.rt.subnets[si].contains(wanted) {
            // RFC 2131 4.3.2: "Server SHOULD send a DHCPNAK message to the client if the
            // 'requested IP address' is incorrect, or is on the wrong network."
            return nak(self, out);
        }
        let subnet_cfg = &self.rt.subnets[si].cfg;
        let subnet_id = subnet_cfg.id;
        let match_cid = subnet_cfg.match_client_id;
        let reservation = self.find_reservation(si, client);
        let own = self
            .find_client_lease(
                subnet_id,
                client.chaddr.as_slice(),
                client.client_id(),
                match_cid,
            )
            .map(|l| l.address);
        if init_reboot {
            match own {
                // A known client remembering an address it does not hold (Kea NAKs).
                Some(a) if a != wanted => return nak(self, out),
                Some(_) => {}
                // "If the DHCP server has no record of this client, then it MUST remain
                // silent" - unless it is authoritative for the network.
                None if authoritative => return nak(self, out),
                None => return None,
            }
        }
        // SELECTING, a known INIT-REBOOT, RENEWING and REBINDING: ACK if the address is
        // (still, or again) free for this client, as Kea's allocation engine does.
        if !self.address_usable(now, si, wanted, client, reservation, ctx) {
            return nak(self, out);
        }
        let spec = ReplySpec {
            kind: ReplyKind::Ack,
            subnet: Some(si),
            reservation,
            yiaddr: wanted,
            server_id,
            lease_time: Some(self.rt.subnets[si].cfg.valid_lifetime),
        };
        // Build first: a lease is committed only when its ACK exists.
        let reply = build_reply(
            &self.rt,
            pkt,
            client,
            &spec,
            reply_destination(pkt, false, wanted),
            out,
        )?;
        self.commit(now, si, wanted, client, reservation, own);
        Some(reply)
    }

    /// DHCPRELEASE: the client gives its address back; the lease is removed.
    fn release(&mut self, now: u64, pkt: &Packet<'_>, client: &ClientView, ctx: &Context<'_>) {
        let addr = pkt.ciaddr();
        let Some(lease) = self.leases.get(addr) else {
            log::debug!("RELEASE of {addr}: no such lease");
            return;
        };
        let match_cid = self
            .rt
            .subnet_index_by_id(lease.subnet_id)
            .is_none_or(|si| self.rt.subnets[si].cfg.match_client_id);
        if !self.owns(lease, client, match_cid) {
            log::info!(
                "RELEASE of {addr} from {} ignored: the lease belongs to another client",
                hex(client.chaddr.as_slice())
            );
            return;
        }
        let _ = ctx;
        self.delete(now, addr);
        log::info!("released {addr} from {}", hex(client.chaddr.as_slice()));
    }

    /// DHCPDECLINE: the client found the address in use; park it for the probation period.
    fn decline(&mut self, now: u64, pkt: &Packet<'_>, client: &ClientView, ctx: &Context<'_>) {
        let Some(addr) = client.requested_ip else {
            return;
        };
        if let (Some(sid), Some(ours)) = (client.server_id, ctx.server_addr)
            && sid != ours
            && !self.is_own_address(sid, ctx)
        {
            return;
        }
        let Some(lease) = self.leases.get(addr) else {
            return;
        };
        let match_cid = self
            .rt
            .subnet_index_by_id(lease.subnet_id)
            .is_none_or(|si| self.rt.subnets[si].cfg.match_client_id);
        if !self.owns(lease, client, match_cid) {
            return;
        }
        let _ = pkt;
        let declined = Lease4 {
            address: addr,
            hwaddr: Ident::EMPTY,
            htype: 1,
            client_id: None,
            subnet_id: lease.subnet_id,
            valid_lifetime: self.rt.cfg.decline_probation_period,
            cltt: now,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: String::new(),
            state: LeaseState::Declined,
            user_context: None,
        };
        log::warn!(
            "{addr} declined by {}: in probation for {} s",
            hex(client.chaddr.as_slice()),
            declined.valid_lifetime
        );
        self.store(declined);
    }

    /// DHCPINFORM: configuration only, no lease, no lease time (RFC 2131 section 3.4).
    fn inform(
        &mut self,
        pkt: &Packet<'_>,
        client: &ClientView,
        ctx: &Context<'_>,
        out: &mut [u8],
    ) -> Option<Reply> {
        let server_id = ctx.server_addr?;
        let si = select_subnet(&self.rt, pkt, client, ctx);
        let reservation = si.and_then(|si| self.find_reservation(si, client));
        let spec = ReplySpec {
            kind: ReplyKind::Ack,
            subnet: si,
            reservation,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            server_id,
            lease_time: None,
        };
        // RFC 2131 4.3.5: the ACK goes to ciaddr; a relayed INFORM without one goes back
        // through the relay (with the broadcast bit, set in `build_reply`).
        let dest = if !pkt.ciaddr().is_unspecified() {
            super::Destination::Unicast(pkt.ciaddr())
        } else if !pkt.giaddr().is_unspecified() {
            super::Destination::Relay(pkt.giaddr())
        } else {
            super::Destination::Broadcast
        };
        build_reply(&self.rt, pkt, client, &spec, dest, out)
    }

    /// The reservation matching this client in subnet `si`, trying identifier types in
    /// the configured `host-reservation-identifiers` order.
    pub(super) fn find_reservation(&self, si: usize, client: &ClientView) -> Option<usize> {
        let s = &self.rt.subnets[si];
        if !s.has_reservations() || !s.cfg.reservation_mode.in_subnet {
            return None;
        }
        self.rt
            .cfg
            .host_reservation_identifiers
            .iter()
            .find_map(|kind| {
                let id = match kind {
                    IdentifierType::HwAddress => Some(client.chaddr.as_slice()),
                    IdentifierType::ClientId => client.client_id(),
                    IdentifierType::CircuitId => client.circuit_id(),
                    IdentifierType::Duid => client.duid.as_ref().map(|d| d.as_slice()),
                    IdentifierType::FlexId => None,
                }?;
                s.lookup(*kind, id)
            })
    }

    /// Chooses the address to offer: the client's lease, its reservation, the address it
    /// asked for, then the next free one (the order the issue and Kea agree on).
    fn pick_address(
        &mut self,
        now: u64,
        si: usize,
        client: &ClientView,
        reservation: Option<usize>,
        ctx: &Context<'_>,
    ) -> Option<Ipv4Addr> {
        let cfg = &self.rt.subnets[si].cfg;
        let own = self
            .find_client_lease(
                cfg.id,
                client.chaddr.as_slice(),
                client.client_id(),
                cfg.match_client_id,
            )
            .map(|l| l.address);
        let reserved = reservation.and_then(|r| self.rt.subnets[si].reservation(r).ip_address);
        for candidate in [own, reserved, client.requested_ip].into_iter().flatten() {
            if self.address_usable(now, si, candidate, client, reservation, ctx) {
                return Some(candidate);
            }
        }
        let rt = self.rt.clone();
        let subnet = &rt.subnets[si];
        for pool in &mut self.pools[si] {
            if let Some(a) =
                pool.next_free(|a| subnet.reserved_for(a).is_none() && !is_server_address(ctx, a))
            {
                return Some(a);
            }
        }
        // No address without a record: reuse one whose lease has expired. The scan
        // covers every lease, so after a fruitless one it waits for the next second.
        let found = if self.expired_scan_at[si] == now {
            None
        } else {
            let found = self
                .leases
                .iter()
                .filter(|l| l.subnet_id == subnet.cfg.id && l.expire() <= now)
                .map(|l| l.address)
                .find(|a| {
                    subnet.reserved_for(*a).is_none()
                        && self.in_pool(si, *a)
                        && !is_server_address(ctx, *a)
                });
            if found.is_none() {
                self.expired_scan_at[si] = now;
            }
            found
        };
        // Dry: ask a peer to lend a range, so the client's next try succeeds. One
        // request at a time: a lend (or a new second) allows the next.
        if found.is_none() && self.part.count > 1 && self.borrow_asked[si] < now {
            self.borrow_asked[si] = now;
            self.notes.push(ShardNote::Borrow {
                subnet_id: subnet.cfg.id,
            });
        }
        found
    }

    /// Whether `addr` lies in one of the subnet's configured pools (any shard's slice).
    fn in_pool(&self, si: usize, addr: Ipv4Addr) -> bool {
        self.rt.subnets[si]
            .cfg
            .pools
            .iter()
            .any(|p| p.contains(addr))
    }

    /// Whether `addr` may be leased to `client` in subnet `si` right now.
    pub(super) fn address_usable(
        &self,
        now: u64,
        si: usize,
        addr: Ipv4Addr,
        client: &ClientView,
        reservation: Option<usize>,
        ctx: &Context<'_>,
    ) -> bool {
        let subnet = &self.rt.subnets[si];
        if !subnet.contains(addr) || is_server_address(ctx, addr) {
            return false;
        }
        match subnet.reserved_for(addr) {
            Some(r) if Some(r) != reservation => return false,
            Some(_) => {}
            None => {
                if !self.in_pool(si, addr) {
                    return false;
                }
            }
        }
        match self.leases.get(addr) {
            // Without a record here the address must be this shard's to give: in its
            // slices and not held by a peer (a reserved address goes to its client only).
            None => {
                !self.foreign.contains(&u32::from(addr))
                    && (reservation.is_some_and(|r| subnet.reserved_for(addr) == Some(r))
                        || self.in_my_slices(si, addr))
            }
            Some(l) => {
                let active = l.expire() > now && l.state != LeaseState::ExpiredReclaimed;
                !active
                    || (l.state == LeaseState::Default
                        && l.subnet_id == subnet.cfg.id
                        && self.owns(l, client, subnet.cfg.match_client_id))
            }
        }
    }

    /// Whether `lease` belongs to the client that sent this message.
    pub(super) fn owns(&self, lease: &Lease4, client: &ClientView, match_cid: bool) -> bool {
        if match_cid && let (Some(a), Some(b)) = (client.client_id(), lease.client_id.as_deref()) {
            return a == b;
        }
        !lease.hwaddr.is_empty() && lease.hwaddr == client.chaddr.as_slice()
    }

    /// Writes the lease for an ACK; a client moving to another address in the same
    /// subnet gives up its old lease.
    fn commit(
        &mut self,
        now: u64,
        si: usize,
        addr: Ipv4Addr,
        client: &ClientView,
        reservation: Option<usize>,
        previous: Option<Ipv4Addr>,
    ) {
        let subnet = &self.rt.subnets[si];
        let hostname = reservation
            .and_then(|r| subnet.reservation(r).hostname.clone())
            .unwrap_or_default();
        let lease = Lease4 {
            address: addr,
            hwaddr: Ident::new(client.chaddr.as_slice()),
            htype: client.htype,
            client_id: client.client_id().map(Ident::new),
            subnet_id: subnet.cfg.id,
            valid_lifetime: subnet.cfg.valid_lifetime,
            cltt: now,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname,
            state: LeaseState::Default,
            user_context: None,
        };
        if let Some(prev) = previous.filter(|p| *p != addr) {
            self.delete(now, prev);
        }
        self.store(lease);
    }

    fn is_own_address(&self, addr: Ipv4Addr, ctx: &Context<'_>) -> bool {
        ctx.iface_addrs.iter().any(|(a, _)| *a == addr)
    }
}

/// A pool that covers the server's own address (Kea's examples have such pools) must
/// not hand that address out.
fn is_server_address(ctx: &Context<'_>, addr: Ipv4Addr) -> bool {
    ctx.server_addr == Some(addr) || ctx.iface_addrs.iter().any(|(a, _)| *a == addr)
}

/// Colon-separated hex for log lines.
pub(crate) fn hex(b: &[u8]) -> HexBytes<'_> {
    HexBytes(b)
}

pub(crate) struct HexBytes<'a>(&'a [u8]);

impl std::fmt::Display for HexBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
