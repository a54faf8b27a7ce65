//! RFC 8415 §18.3 message processing, as Kea 1.4 does it: which addresses and prefixes a
//! client gets, which bindings are extended, released or declined, and what the reply
//! says. Decisions go into a `Plan`; leases change only once the reply is written.

use super::client::ClientV6;
use super::leases::Lease6Key;
use super::reply::{self, Action, Entry, IaPlan, Plan};
use super::select::select_subnet;
use super::shard::ShardV6;
use super::stats::Counter6;
use super::{Context6, Reply6, ReplyKind6};
use std::net::{Ipv6Addr, SocketAddrV6};
use xdhcp_config::IdentifierType;
use xdhcp_storage::{Ident, Lease6, Lease6Type, LeaseState};
use xdhcp_wire::dhcpv6::{
    CLIENT_PORT_V6, Message, MessageType, Options, RelayChain, SERVER_PORT_V6, StatusCode, code,
    unwrap_relays,
};

/// How many candidates the allocator checks for one IA before answering
/// NoAddrsAvail / NoPrefixAvail (Kea's iterative allocator bounds its attempts too).
const MAX_ATTEMPTS: u128 = 1000;

/// How many addresses or prefixes of one IA the client may list that are looked at.
const MAX_LISTED: usize = reply::MAX_ENTRIES;

/// Kea's placeholder DUID for declined leases.
const DECLINED_DUID: [u8; 1] = [0];

/// DUID length limits (RFC 8415 §11.1: at most 128 bytes after the 2-byte type).
const MIN_DUID_LEN: usize = 3;
const MAX_DUID_LEN: usize = 130;

/// An address or prefix the allocator chose.
#[derive(Clone, Copy)]
struct Choice {
    addr: u128,
    plen: u8,
}

impl ShardV6 {
    /// Handles one received DHCPv6 message (the UDP payload) at `now` (Unix seconds),
    /// writing any reply into `out`. Lease changes queue up in `take_changes`.
    pub fn handle(
        &mut self,
        now: u64,
        payload: &[u8],
        ctx: &Context6<'_>,
        out: &mut [u8],
    ) -> Option<Reply6> {
        self.stats.bump(Counter6::Received);
        let (msg, chain) = match unwrap_relays(payload) {
            Ok(m) => m,
            Err(e) => {
                self.stats.bump(Counter6::ParseFailed);
                self.stats.bump(Counter6::ReceiveDrop);
                log::debug!("dropped malformed DHCPv6 packet from {}: {e}", ctx.src);
                return None;
            }
        };
        let t = msg.msg_type();
        self.count_received(t);
        if !self.enabled || chain.iter().any(|l| l.msg_type != MessageType::RelayForw) {
            self.stats.bump(Counter6::ReceiveDrop);
            return None;
        }
        let reply = self.dispatch(now, &msg, &chain, ctx, out);
        if let Some(r) = &reply {
            self.stats.bump(Counter6::Sent);
            self.stats.bump(match r.kind {
                ReplyKind6::Advertise => Counter6::AdvertiseSent,
                ReplyKind6::Reply => Counter6::ReplySent,
            });
        }
        reply
    }

    fn count_received(&mut self, t: MessageType) {
        self.stats.bump(match t {
            MessageType::Solicit => Counter6::SolicitReceived,
            MessageType::Advertise => Counter6::AdvertiseReceived,
            MessageType::Request => Counter6::RequestReceived,
            MessageType::Reply => Counter6::ReplyReceived,
            MessageType::Renew => Counter6::RenewReceived,
            MessageType::Rebind => Counter6::RebindReceived,
            MessageType::Release => Counter6::ReleaseReceived,
            MessageType::Decline => Counter6::DeclineReceived,
            MessageType::InformationRequest => Counter6::InfRequestReceived,
            MessageType::Dhcpv4Query => Counter6::Dhcpv4QueryReceived,
            MessageType::Dhcpv4Response => Counter6::Dhcpv4ResponseReceived,
            _ => Counter6::UnknownReceived,
        });
    }

    fn drop_msg(&mut self, why: &str, t: MessageType, ctx: &Context6<'_>) -> Option<Reply6> {
        self.stats.bump(Counter6::ReceiveDrop);
        log::debug!("dropped DHCPv6 {t} from {}: {why}", ctx.src);
        None
    }

    fn dispatch(
        &mut self,
        now: u64,
        msg: &Message<'_>,
        chain: &RelayChain<'_>,
        ctx: &Context6<'_>,
        out: &mut [u8],
    ) -> Option<Reply6> {
        use MessageType as M;
        let t = msg.msg_type();
        let opts = msg.options();
        // RFC 8415 §16 and Kea's sanity check: which identifiers each message must,
        // may or must not carry.
        let (client_id_required, server_id) = match t {
            M::Solicit | M::Confirm | M::Rebind => (true, Presence::Forbidden),
            M::Request | M::Renew | M::Release | M::Decline => (true, Presence::Required),
            M::InformationRequest => (false, Presence::Optional),
            _ => return self.drop_msg("not a message a server answers", t, ctx),
        };
        let cids = opts.get_all(code::CLIENTID).count();
        if cids > 1 || (client_id_required && cids == 0) {
            return self.drop_msg("bad client identifier", t, ctx);
        }
        if let Some(cid) = opts.client_id()
            && !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&cid.len())
        {
            return self.drop_msg("bad client identifier length", t, ctx);
        }
        let sids = opts.get_all(code::SERVERID).count();
        match (server_id, sids) {
            (Presence::Required, 0) | (Presence::Forbidden, 1..) | (_, 2..) => {
                return self.drop_msg("bad server identifier", t, ctx);
            }
            _ => {}
        }
        if let Some(sid) = opts.server_id()
            && sid != &self.rt.server_duid[..]
        {
            return self.drop_msg("server identifier is another server's", t, ctx);
        }
        let client = ClientV6::read(msg, chain, ctx);
        let si = select_subnet(&self.rt, chain, ctx);
        // RFC 8415 §16 and §18.4: multicast-only messages sent to a unicast address are
        // dropped; the others are answered with UseMulticast unless unicast is allowed.
        if chain.is_empty() && !ctx.dst.is_multicast() {
            match t {
                M::Solicit | M::Confirm | M::Rebind | M::InformationRequest => {
                    return self.drop_msg("sent to a unicast address", t, ctx);
                }
                _ if !self.rt.unicast_allowed(ctx.dst, si) => {
                    let mut plan = Plan::new(ReplyKind6::Reply);
                    plan.status = Some((StatusCode::UseMulticast, "Please use multicast"));
                    return self.finish(msg, chain, ctx, &plan, out);
                }
                _ => {}
            }
        }
        let reservation = si.and_then(|si| self.find_reservation(si, &client));
        let mut plan = Plan::new(ReplyKind6::Reply);
        plan.subnet = si;
        plan.reservation = reservation;
        match t {
            M::Solicit => {
                let rapid = opts.rapid_commit()
                    && si.is_some_and(|si| self.rt.subnets[si].cfg.rapid_commit);
                if !rapid {
                    plan.kind = ReplyKind6::Advertise;
                }
                plan.rapid_commit = rapid;
                plan.with_options = true;
                self.assign(now, msg, &client, ctx, &mut plan);
                self.finish_and_apply(now, msg, chain, ctx, &client, &plan, out)
            }
            M::Request => {
                plan.with_options = true;
                self.assign(now, msg, &client, ctx, &mut plan);
                self.finish_and_apply(now, msg, chain, ctx, &client, &plan, out)
            }
            M::Renew | M::Rebind => {
                let rebind = t == M::Rebind;
                // RFC 8415 §18.3.5: when the server cannot tell whether the leases are
                // appropriate for the client's link, it discards the Rebind.
                if rebind && si.is_none() {
                    return self.drop_msg("no subnet for the client's link", t, ctx);
                }
                plan.with_options = true;
                self.extend(now, msg, &client, ctx, rebind, &mut plan);
                plan.resolve_conflicts();
                self.finish_and_apply(now, msg, chain, ctx, &client, &plan, out)
            }
            M::Release => {
                self.release(now, msg, &client, &mut plan);
                self.finish(msg, chain, ctx, &plan, out)
            }
            M::Decline => {
                self.decline(now, msg, &client, &mut plan);
                self.finish(msg, chain, ctx, &plan, out)
            }
            M::Confirm => {
                let Some(si) = si else {
                    return self.drop_msg("no subnet for the client's link", t, ctx);
                };
                let s = &self.rt.subnets[si];
                let mut any = false;
                let mut on_link = true;
                let addrs = opts
                    .ia_nas()
                    .flat_map(|ia| ia.addresses().map(|a| a.addr))
                    .chain(opts.ia_tas().flat_map(|ia| ia.addresses().map(|a| a.addr)));
                for a in addrs {
                    any = true;
                    on_link &= s.contains(a);
                }
                // RFC 8415 §18.3.3: no addresses, no reply.
                if !any {
                    return self.drop_msg("no addresses to confirm", t, ctx);
                }
                plan.status = Some(if on_link {
                    (StatusCode::Success, "All addresses are on-link")
                } else {
                    (
                        StatusCode::NotOnLink,
                        "Some of the addresses are not on link",
                    )
                });
                self.finish(msg, chain, ctx, &plan, out)
            }
            M::InformationRequest => {
                plan.with_options = true;
                self.finish(msg, chain, ctx, &plan, out)
            }
            _ => None,
        }
    }

    /// Writes the reply; `None` (and a log line) if it does not fit `out`.
    fn finish(
        &mut self,
        msg: &Message<'_>,
        chain: &RelayChain<'_>,
        ctx: &Context6<'_>,
        plan: &Plan,
        out: &mut [u8],
    ) -> Option<Reply6> {
        let len = match reply::write(&self.rt, msg, chain, plan, out) {
            Ok(n) => n,
            Err(e) => {
                log::warn!(
                    "cannot build the reply to {} from {}: {e}",
                    msg.msg_type(),
                    ctx.src
                );
                return None;
            }
        };
        // Direct: back to the client; relayed: to the relay that sent it (§19.3).
        let port = if chain.is_empty() {
            CLIENT_PORT_V6
        } else {
            SERVER_PORT_V6
        };
        Some(Reply6 {
            len,
            kind: plan.kind,
            dest: SocketAddrV6::new(ctx.src, port, 0, ctx.iface_index),
        })
    }

    /// Writes the reply, then makes the plan's lease changes (a lease is committed only
    /// when its reply exists). An Advertise commits nothing.
    #[allow(clippy::too_many_arguments)]
    fn finish_and_apply(
        &mut self,
        now: u64,
        msg: &Message<'_>,
        chain: &RelayChain<'_>,
        ctx: &Context6<'_>,
        client: &ClientV6<'_>,
        plan: &Plan,
        out: &mut [u8],
    ) -> Option<Reply6> {
        let reply = self.finish(msg, chain, ctx, plan, out)?;
        if plan.kind == ReplyKind6::Reply
            && let Some(si) = plan.subnet
        {
            for ia in plan.ias() {
                for e in ia.entries() {
                    self.apply(now, si, client, ia, e, plan.reservation);
                }
            }
        }
        Some(reply)
    }

    fn apply(
        &mut self,
        now: u64,
        si: usize,
        client: &ClientV6<'_>,
        ia: &IaPlan,
        e: &Entry,
        reservation: Option<usize>,
    ) {
        let t = if ia.pd {
            Lease6Type::Pd
        } else {
            Lease6Type::Na
        };
        let key = Lease6Key::new(t, e.addr);
        match e.action {
            Action::None => {}
            Action::Delete => self.delete(now, key),
            Action::Allocate | Action::Extend => {
                let rt = self.rt.clone();
                let subnet = &rt.subnets[si];
                if e.action == Action::Allocate
                    && let Some(prev) = self.leases.find_ia(subnet.cfg.id, t, client.duid, ia.iaid)
                    && prev.address != e.addr
                {
                    let prev = Lease6Key::of(prev);
                    self.delete(now, prev);
                }
                let mut lease = match self.leases.get(key) {
                    Some(l) if owned(l, client.duid, ia.iaid, t) => l.clone(),
                    _ => Lease6 {
                        address: e.addr,
                        prefix_len: e.plen,
                        lease_type: t,
                        duid: Ident::new(client.duid),
                        iaid: ia.iaid,
                        subnet_id: subnet.cfg.id,
                        preferred_lifetime: 0,
                        valid_lifetime: 0,
                        cltt: now,
                        fqdn_fwd: false,
                        fqdn_rev: false,
                        hostname: reservation
                            .and_then(|r| subnet.reservation(r).hostname.clone())
                            .unwrap_or_default(),
                        hwaddr: None,
                        htype: 0,
                        hwaddr_source: 0,
                        state: LeaseState::Default,
                        user_context: None,
                    },
                };
                lease.subnet_id = subnet.cfg.id;
                lease.prefix_len = e.plen;
                lease.preferred_lifetime = e.preferred;
                lease.valid_lifetime = e.valid;
                lease.cltt = now;
                lease.state = LeaseState::Default;
                if let Some(hw) = &client.hwaddr {
                    lease.hwaddr = Some(Ident::new(hw.as_slice()));
                    lease.htype = hw.htype;
                    lease.hwaddr_source = hw.source;
                }
                self.store(lease);
            }
        }
    }

    /// The reservation matching this client in subnet `si`, trying identifier types in
    /// the configured `host-reservation-identifiers` order.
    fn find_reservation(&self, si: usize, client: &ClientV6<'_>) -> Option<usize> {
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
                    IdentifierType::Duid => Some(client.duid),
                    IdentifierType::HwAddress => client.hwaddr.as_ref().map(|h| h.as_slice()),
                    _ => None,
                }?;
                s.lookup(*kind, id)
            })
    }

    /// The preferred and valid lifetimes and T1/T2 of subnet `si`.
    fn lifetimes(&self, si: usize) -> (u32, u32, u32, u32) {
        let c = &self.rt.subnets[si].cfg;
        let valid = c.valid_lifetime;
        (
            c.preferred_lifetime.min(valid),
            valid,
            c.renew_timer,
            c.rebind_timer,
        )
    }

    fn entry(&self, si: usize, pd: bool, addr: u128, plen: u8, action: Action) -> Entry {
        let (preferred, valid, _, _) = self.lifetimes(si);
        let s = &self.rt.subnets[si];
        let exclude = if pd {
            s.pd_pool_of(addr, plen).and_then(|i| s.pd_pools[i].exclude)
        } else {
            None
        };
        Entry {
            addr: Ipv6Addr::from(addr),
            plen,
            preferred,
            valid,
            exclude,
            action,
        }
    }

    /// T1/T2 for an IA that ends up holding a valid lease, 0 otherwise.
    fn set_timers(&self, si: usize, ia: &mut IaPlan) {
        if ia.entries().iter().any(|e| e.valid > 0) {
            let (_, _, t1, t2) = self.lifetimes(si);
            ia.t1 = t1;
            ia.t2 = t2;
        }
    }

    /// Solicit and Request: an address or prefix for every IA_NA and IA_PD.
    fn assign(
        &mut self,
        now: u64,
        msg: &Message<'_>,
        client: &ClientV6<'_>,
        ctx: &Context6<'_>,
        plan: &mut Plan,
    ) {
        let opts = msg.options();
        let ias = opts
            .ia_nas()
            .map(|ia| (false, ia.iaid, ia.options))
            .chain(opts.ia_pds().map(|ia| (true, ia.iaid, ia.options)));
        for (pd, iaid, ia_opts) in ias.take(reply::MAX_IAS) {
            if plan.answers(pd, iaid) {
                continue;
            }
            let mut ia = IaPlan::new(pd, iaid);
            let choice = plan.subnet.and_then(|si| {
                self.pick(now, si, client, pd, iaid, ia_opts, plan, ctx)
                    .map(|c| (si, c))
            });
            match choice {
                Some((si, c)) => {
                    ia.push(self.entry(si, pd, c.addr, c.plen, Action::Allocate));
                    self.set_timers(si, &mut ia);
                }
                None => {
                    if let Some(si) = plan.subnet {
                        self.warn_exhausted(now, si, pd, client);
                    }
                    ia.status = Some(if pd {
                        (StatusCode::NoPrefixAvail, "No prefixes available")
                    } else {
                        (StatusCode::NoAddrsAvail, "No addresses available")
                    });
                }
            }
            plan.push(ia);
        }
    }

    fn warn_exhausted(&mut self, now: u64, si: usize, pd: bool, client: &ClientV6<'_>) {
        // Once a minute per subnet, so a flood of Solicits cannot flood the log.
        if self.exhausted_warned[si].saturating_add(60) <= now {
            self.exhausted_warned[si] = now;
            log::warn!(
                "subnet {} has no {} left for {} (and others)",
                self.rt.subnets[si].cfg.id,
                if pd { "prefix" } else { "address" },
                Hex(client.duid)
            );
        }
    }

    /// Chooses for one IA: the client's lease, its reservation, the hint in the IA, then
    /// the pools' cursors.
    #[allow(clippy::too_many_arguments)]
    fn pick(
        &mut self,
        now: u64,
        si: usize,
        client: &ClientV6<'_>,
        pd: bool,
        iaid: u32,
        ia_opts: Options<'_>,
        plan: &Plan,
        ctx: &Context6<'_>,
    ) -> Option<Choice> {
        let t = if pd { Lease6Type::Pd } else { Lease6Type::Na };
        let subnet_id = self.rt.subnets[si].cfg.id;
        let usable = |shard: &ShardV6, c: Choice| {
            shard.usable(now, si, c, pd, client, iaid, plan.reservation, ctx)
                && !plan.holds(pd, Ipv6Addr::from(c.addr))
        };
        if let Some(l) = self.leases.find_ia(subnet_id, t, client.duid, iaid) {
            let c = Choice {
                addr: u128::from(l.address),
                plen: if pd { l.prefix_len } else { 128 },
            };
            if usable(self, c) {
                return Some(c);
            }
        }
        if let Some(r) = plan.reservation {
            let res = self.rt.subnets[si].reservation(r);
            let reserved = if pd {
                res.prefixes
                    .iter()
                    .map(|(p, l)| Choice {
                        addr: u128::from(*p),
                        plen: *l,
                    })
                    .find(|c| usable(self, *c))
            } else {
                res.ip_addresses
                    .iter()
                    .map(|a| Choice {
                        addr: u128::from(*a),
                        plen: 128,
                    })
                    .find(|c| usable(self, *c))
            };
            if reserved.is_some() {
                return reserved;
            }
        }
        let hint = if pd {
            ia_opts
                .typed::<xdhcp_wire::dhcpv6::IaPrefix>()
                .take(MAX_LISTED)
                .filter(|p| !p.prefix.is_unspecified() && p.prefix_len <= 128)
                .map(|p| Choice {
                    addr: u128::from(p.prefix) & super::runtime::mask(p.prefix_len),
                    plen: p.prefix_len,
                })
                .find(|c| usable(self, *c))
        } else {
            ia_opts
                .typed::<xdhcp_wire::dhcpv6::IaAddr>()
                .take(MAX_LISTED)
                .map(|a| Choice {
                    addr: u128::from(a.addr),
                    plen: 128,
                })
                .find(|c| usable(self, *c))
        };
        if hint.is_some() {
            return hint;
        }
        // The pools' cursors, a bounded number of candidates in all.
        let rt = self.rt.clone();
        let subnet = &rt.subnets[si];
        let mut budget = MAX_ATTEMPTS;
        let n = if pd {
            subnet.pd_pools.len()
        } else {
            subnet.pools.len()
        };
        for pi in 0..n {
            if budget == 0 {
                break;
            }
            let cursor = if pd {
                &self.pd_cursors[si][pi]
            } else {
                &self.na_cursors[si][pi]
            };
            let tries = cursor.size().min(budget);
            budget -= tries;
            for _ in 0..tries {
                let c = if pd {
                    let p = &subnet.pd_pools[pi];
                    Choice {
                        addr: p.prefix(self.pd_cursors[si][pi].take()),
                        plen: p.delegated_len,
                    }
                } else {
                    Choice {
                        addr: subnet.pools[pi].0 + self.na_cursors[si][pi].take(),
                        plen: 128,
                    }
                };
                if usable(self, c) {
                    return Some(c);
                }
            }
        }
        None
    }

    /// Whether `c` may be leased to this client's IA in subnet `si` right now.
    #[allow(clippy::too_many_arguments)]
    fn usable(
        &self,
        now: u64,
        si: usize,
        c: Choice,
        pd: bool,
        client: &ClientV6<'_>,
        iaid: u32,
        reservation: Option<usize>,
        ctx: &Context6<'_>,
    ) -> bool {
        if !self.valid_for_link(si, c, pd, reservation)
            || (!pd
                && ctx
                    .iface_addrs
                    .iter()
                    .any(|(a, _)| u128::from(*a) == c.addr))
        {
            return false;
        }
        let t = if pd { Lease6Type::Pd } else { Lease6Type::Na };
        match self.leases.get(Lease6Key::new(t, Ipv6Addr::from(c.addr))) {
            None => true,
            Some(l) => {
                let expired = l.expire() <= now
                    || matches!(l.state, LeaseState::ExpiredReclaimed | LeaseState::Released);
                expired
                    || (l.state == LeaseState::Default
                        && l.subnet_id == self.rt.subnets[si].cfg.id
                        && owned(l, client.duid, iaid, t))
            }
        }
    }

    /// Whether `c` belongs on subnet `si`'s link for a client with `reservation`: in a
    /// pool (address in the subnet) or reserved for it, and not reserved for another.
    fn valid_for_link(&self, si: usize, c: Choice, pd: bool, reservation: Option<usize>) -> bool {
        let s = &self.rt.subnets[si];
        if !pd && (c.plen != 128 || !s.contains(Ipv6Addr::from(c.addr))) {
            return false;
        }
        match s.reserved_for(c.addr, c.plen, pd) {
            Some(r) => Some(r) == reservation,
            None => {
                if pd {
                    s.pd_pool_of(c.addr, c.plen).is_some()
                } else {
                    s.pool_of(c.addr).is_some()
                }
            }
        }
    }

    /// Renew and Rebind (RFC 8415 §18.3.4, §18.3.5): extend the client's bindings.
    fn extend(
        &mut self,
        now: u64,
        msg: &Message<'_>,
        client: &ClientV6<'_>,
        ctx: &Context6<'_>,
        rebind: bool,
        plan: &mut Plan,
    ) {
        let opts = msg.options();
        let ias = opts
            .ia_nas()
            .map(|ia| (false, ia.iaid, ia.options))
            .chain(opts.ia_pds().map(|ia| (true, ia.iaid, ia.options)));
        for (pd, iaid, ia_opts) in ias.take(reply::MAX_IAS) {
            if plan.answers(pd, iaid) {
                continue;
            }
            let mut ia = IaPlan::new(pd, iaid);
            let Some(si) = plan.subnet else {
                ia.status = Some((StatusCode::NoBinding, "No binding for this IA"));
                plan.push(ia);
                continue;
            };
            self.extend_ia(now, si, client, ctx, rebind, ia_opts, plan, &mut ia);
            self.set_timers(si, &mut ia);
            plan.push(ia);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn extend_ia(
        &mut self,
        now: u64,
        si: usize,
        client: &ClientV6<'_>,
        ctx: &Context6<'_>,
        rebind: bool,
        ia_opts: Options<'_>,
        plan: &Plan,
        ia: &mut IaPlan,
    ) {
        let (pd, iaid) = (ia.pd, ia.iaid);
        let t = if pd { Lease6Type::Pd } else { Lease6Type::Na };
        let subnet_id = self.rt.subnets[si].cfg.id;
        let mut listed = [Choice { addr: 0, plen: 0 }; MAX_LISTED];
        let mut n = 0;
        let mut push = |c: Choice| {
            if n < MAX_LISTED && !listed[..n].iter().any(|l| l.addr == c.addr) {
                listed[n] = c;
                n += 1;
            }
        };
        if pd {
            for p in ia_opts.typed::<xdhcp_wire::dhcpv6::IaPrefix>() {
                push(Choice {
                    addr: u128::from(p.prefix),
                    plen: p.prefix_len,
                });
            }
        } else {
            for a in ia_opts.typed::<xdhcp_wire::dhcpv6::IaAddr>() {
                push(Choice {
                    addr: u128::from(a.addr),
                    plen: 128,
                });
            }
        }
        let listed = &listed[..n];
        let lease_of = |shard: &ShardV6, c: &Choice| {
            shard
                .leases
                .get(Lease6Key::new(t, Ipv6Addr::from(c.addr)))
                .filter(|l| owned(l, client.duid, iaid, t))
                .map(|l| l.subnet_id)
        };
        let bound = self
            .leases
            .find_ia(subnet_id, t, client.duid, iaid)
            .map(|l| Choice {
                addr: u128::from(l.address),
                plen: if pd { l.prefix_len } else { 128 },
            });
        let has_binding = bound.is_some() || listed.iter().any(|c| lease_of(self, c).is_some());
        if !has_binding {
            if !rebind || listed.is_empty() {
                ia.status = Some((StatusCode::NoBinding, "No binding for this IA"));
                return;
            }
            // A Rebind for leases this server does not know (its state was lost, or
            // another server made them): the first one appropriate for the link and free
            // is bound to the client (one lease per IA), the others get lifetimes 0
            // (RFC 8415 §18.3.5).
            let mut bound_one = false;
            for c in listed {
                let free = !bound_one
                    && self.usable(now, si, *c, pd, client, iaid, plan.reservation, ctx)
                    && !plan.holds(pd, Ipv6Addr::from(c.addr));
                bound_one |= free;
                ia.push(if free {
                    self.entry(si, pd, c.addr, c.plen, Action::Allocate)
                } else {
                    zero(c)
                });
            }
            return;
        }
        for c in listed {
            let e = match lease_of(self, c) {
                Some(sid) if sid == subnet_id => {
                    if self.valid_for_link(si, *c, pd, plan.reservation) {
                        self.entry(si, pd, c.addr, c.plen, Action::Extend)
                    } else {
                        // Out of the pools now, or reserved for another client.
                        Entry {
                            action: Action::Delete,
                            ..zero(c)
                        }
                    }
                }
                // The client's lease on another link, or not the client's at all.
                _ => zero(c),
            };
            ia.push(e);
        }
        if let Some(b) = bound.filter(|b| !listed.iter().any(|c| c.addr == b.addr)) {
            // Kea 1.4 takes back the delegated prefixes a client leaves out of its
            // IA_PD; bound addresses are extended whether listed or not.
            let e = if (pd && !listed.is_empty())
                || !self.valid_for_link(si, b, pd, plan.reservation)
            {
                Entry {
                    action: Action::Delete,
                    ..zero(&b)
                }
            } else {
                self.entry(si, pd, b.addr, b.plen, Action::Extend)
            };
            ia.push(e);
        }
    }

    /// Release (RFC 8415 §18.3.7): the client's listed leases are removed; IAs with none
    /// get NoBinding.
    fn release(&mut self, now: u64, msg: &Message<'_>, client: &ClientV6<'_>, plan: &mut Plan) {
        let opts = msg.options();
        let ias = opts
            .ia_nas()
            .map(|ia| (false, ia.iaid, ia.options))
            .chain(opts.ia_pds().map(|ia| (true, ia.iaid, ia.options)));
        for (pd, iaid, ia_opts) in ias.take(reply::MAX_IAS) {
            let t = if pd { Lease6Type::Pd } else { Lease6Type::Na };
            let mut found = false;
            for addr in listed_addresses(pd, ia_opts) {
                let key = Lease6Key::new(t, addr);
                if self
                    .leases
                    .get(key)
                    .is_some_and(|l| owned(l, client.duid, iaid, t))
                {
                    self.delete(now, key);
                    found = true;
                    log::info!("released {addr} from {}", Hex(client.duid));
                }
            }
            if !found {
                let mut ia = IaPlan::new(pd, iaid);
                ia.status = Some((StatusCode::NoBinding, "No binding for this IA"));
                plan.push(ia);
            }
        }
        plan.status = Some((StatusCode::Success, "Leases released. Thank you."));
    }

    /// Decline (RFC 8415 §18.3.8): the client's listed addresses are parked for the
    /// decline probation period, owned by Kea's placeholder DUID.
    fn decline(&mut self, now: u64, msg: &Message<'_>, client: &ClientV6<'_>, plan: &mut Plan) {
        let probation = self.rt.cfg.decline_probation_period;
        for na in msg.options().ia_nas().take(reply::MAX_IAS) {
            let mut found = false;
            for addr in listed_addresses(false, na.options) {
                let key = Lease6Key::new(Lease6Type::Na, addr);
                let Some(l) = self
                    .leases
                    .get(key)
                    .filter(|l| owned(l, client.duid, na.iaid, Lease6Type::Na))
                else {
                    continue;
                };
                let mut declined = l.clone();
                declined.duid = Ident::new(&DECLINED_DUID);
                declined.hwaddr = None;
                declined.htype = 0;
                declined.hwaddr_source = 0;
                declined.preferred_lifetime = 0;
                declined.valid_lifetime = probation;
                declined.cltt = now;
                declined.hostname.clear();
                declined.fqdn_fwd = false;
                declined.fqdn_rev = false;
                declined.state = LeaseState::Declined;
                log::warn!(
                    "{addr} declined by {}: in probation for {probation} s",
                    Hex(client.duid)
                );
                self.store(declined);
                found = true;
            }
            if !found {
                let mut ia = IaPlan::new(false, na.iaid);
                ia.status = Some((StatusCode::NoBinding, "No binding for this IA"));
                plan.push(ia);
            }
        }
        plan.status = Some((StatusCode::Success, "Declined addresses are parked."));
    }
}

/// Whether the client's message must, may or must not carry an option.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Presence {
    Required,
    Optional,
    Forbidden,
}

/// Whether `lease` is this client's lease for this IA.
fn owned(lease: &Lease6, duid: &[u8], iaid: u32, t: Lease6Type) -> bool {
    lease.state != LeaseState::Declined
        && lease.lease_type == t
        && lease.iaid == iaid
        && !duid.is_empty()
        && lease.duid == *duid
}

/// An entry returned with lifetimes 0 (RFC 8415: "no longer valid").
fn zero(c: &Choice) -> Entry {
    Entry {
        addr: Ipv6Addr::from(c.addr),
        plen: c.plen,
        ..Entry::default()
    }
}

/// The addresses (IA_NA) or prefixes (IA_PD) an IA lists, at most `MAX_LISTED`.
fn listed_addresses(pd: bool, ia_opts: Options<'_>) -> impl Iterator<Item = Ipv6Addr> + '_ {
    let prefixes = pd
        .then(|| {
            ia_opts
                .typed::<xdhcp_wire::dhcpv6::IaPrefix>()
                .map(|p| p.prefix)
        })
        .into_iter()
        .flatten();
    let addrs = (!pd)
        .then(|| {
            ia_opts
                .typed::<xdhcp_wire::dhcpv6::IaAddr>()
                .map(|a| a.addr)
        })
        .into_iter()
        .flatten();
    prefixes.chain(addrs).take(MAX_LISTED)
}

/// Colon-separated hex for log lines.
struct Hex<'a>(&'a [u8]);

impl std::fmt::Display for Hex<'_> {
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
