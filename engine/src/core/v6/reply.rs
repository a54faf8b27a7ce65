//! What a reply says (a `Plan`, decided by `process`, kept on the stack) and how it is
//! written: the client/server message built in place inside Relay-reply messages nested
//! like the request (hop count, link and peer addresses copied, interface-id echoed),
//! with options chosen from reservation > pool > subnet > global (Kea's precedence) and
//! sent when the client asked for them (ORO) or they are marked `always-send`.

use super::ReplyKind6;
use super::runtime::RuntimeV6;
use std::net::Ipv6Addr;
use xdhcp_config::OptionData6;
use xdhcp_wire::dhcpv6::{
    BuildError, Builder, Message, MessageType, OptionWriter, RelayBuilder, RelayLevel, StatusCode,
    code,
};

/// The most IAs answered in one message; further ones are ignored.
pub const MAX_IAS: usize = 16;
/// The most addresses or prefixes in one answered IA.
pub const MAX_ENTRIES: usize = 8;

/// What happens to the lease behind an entry once the reply is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Action {
    #[default]
    None,
    /// A new lease for the IA (its previous lease, if another, is given up).
    Allocate,
    /// The client's lease, extended.
    Extend,
    /// The lease is no longer valid: removed.
    Delete,
}

/// One IAADDR or IAPREFIX of a reply.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub addr: Ipv6Addr,
    /// 128 for addresses.
    pub plen: u8,
    pub preferred: u32,
    pub valid: u32,
    /// RFC 6603 excluded prefix of the prefix's pool.
    pub exclude: Option<(Ipv6Addr, u8)>,
    pub action: Action,
}

impl Default for Entry {
    fn default() -> Entry {
        Entry {
            addr: Ipv6Addr::UNSPECIFIED,
            plen: 128,
            preferred: 0,
            valid: 0,
            exclude: None,
            action: Action::None,
        }
    }
}

/// One IA_NA or IA_PD of a reply.
#[derive(Clone, Copy, Debug, Default)]
pub struct IaPlan {
    pub pd: bool,
    pub iaid: u32,
    pub t1: u32,
    pub t2: u32,
    pub status: Option<(StatusCode, &'static str)>,
    pub entries: [Entry; MAX_ENTRIES],
    pub n: usize,
}

impl IaPlan {
    pub fn new(pd: bool, iaid: u32) -> IaPlan {
        IaPlan {
            pd,
            iaid,
            ..IaPlan::default()
        }
    }

    /// Adds an entry; beyond `MAX_ENTRIES` it is left out.
    pub fn push(&mut self, e: Entry) {
        if let Some(slot) = self.entries.get_mut(self.n) {
            *slot = e;
            self.n += 1;
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries[..self.n]
    }
}

/// Everything a reply says.
pub struct Plan {
    pub kind: ReplyKind6,
    pub ias: [IaPlan; MAX_IAS],
    pub n: usize,
    /// Top-level status code.
    pub status: Option<(StatusCode, &'static str)>,
    pub rapid_commit: bool,
    /// Whether configured options are added.
    pub with_options: bool,
    pub subnet: Option<usize>,
    pub reservation: Option<usize>,
}

impl Plan {
    pub fn new(kind: ReplyKind6) -> Plan {
        Plan {
            kind,
            ias: [IaPlan::default(); MAX_IAS],
            n: 0,
            status: None,
            rapid_commit: false,
            with_options: false,
            subnet: None,
            reservation: None,
        }
    }

    pub fn push(&mut self, ia: IaPlan) {
        if let Some(slot) = self.ias.get_mut(self.n) {
            *slot = ia;
            self.n += 1;
        }
    }

    pub fn ias(&self) -> &[IaPlan] {
        &self.ias[..self.n]
    }

    /// Whether this reply already answers the IA (a message naming an IA twice gets
    /// the first one answered).
    pub fn answers(&self, pd: bool, iaid: u32) -> bool {
        self.ias().iter().any(|ia| ia.pd == pd && ia.iaid == iaid)
    }

    /// Makes sure no address or prefix is given to two IAs of one reply (a Rebind can
    /// name, in one IA, an expired lease another of its IAs holds): the extension of a
    /// binding wins, else the first IA; the other gets it with lifetimes 0.
    pub fn resolve_conflicts(&mut self) {
        let rank = |a: Action| u8::from(a != Action::Extend);
        for i in 0..self.n {
            for j in 0..self.ias[i].n {
                let e = self.ias[i].entries[j];
                if e.valid == 0 {
                    continue;
                }
                let beaten = self.ias[..self.n].iter().enumerate().any(|(k, ia)| {
                    ia.pd == self.ias[i].pd
                        && ia.entries().iter().enumerate().any(|(m, o)| {
                            o.addr == e.addr
                                && o.valid > 0
                                && (k, m) != (i, j)
                                && (rank(o.action), k, m) < (rank(e.action), i, j)
                        })
                });
                if beaten {
                    let d = &mut self.ias[i].entries[j];
                    d.preferred = 0;
                    d.valid = 0;
                    d.action = Action::None;
                }
            }
            if self.ias[i].entries().iter().all(|e| e.valid == 0) {
                self.ias[i].t1 = 0;
                self.ias[i].t2 = 0;
            }
        }
    }

    /// Whether an address or prefix is already given out in this reply.
    pub fn holds(&self, pd: bool, addr: Ipv6Addr) -> bool {
        self.ias()
            .iter()
            .any(|ia| ia.pd == pd && ia.entries().iter().any(|e| e.addr == addr && e.valid > 0))
    }
}

/// Options the server writes itself; configured values for them are ignored.
const SERVER_OWNED: [u16; 18] = [
    code::CLIENTID,
    code::SERVERID,
    code::IA_NA,
    code::IA_TA,
    code::IAADDR,
    code::ORO,
    code::PREFERENCE,
    code::ELAPSED_TIME,
    code::RELAY_MSG,
    code::AUTH,
    code::STATUS_CODE,
    code::RAPID_COMMIT,
    code::INTERFACE_ID,
    code::RECONF_MSG,
    code::RECONF_ACCEPT,
    code::IA_PD,
    code::IAPREFIX,
    code::PD_EXCLUDE,
];

/// Writes the reply into `out`, wrapped in a Relay-reply per relay level; returns its
/// length.
pub fn write(
    rt: &RuntimeV6,
    req: &Message<'_>,
    relays: &[RelayLevel<'_>],
    plan: &Plan,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    wrap(relays, out, &mut |buf| write_message(rt, req, plan, buf))
}

/// RFC 8415 §19.3: one Relay-reply per Relay-forward, outermost first, each copying the
/// hop count, link and peer addresses and echoing the interface-id; the innermost holds
/// the reply built directly in place (no copy).
fn wrap(
    levels: &[RelayLevel<'_>],
    buf: &mut [u8],
    inner: &mut dyn FnMut(&mut [u8]) -> Result<usize, BuildError>,
) -> Result<usize, BuildError> {
    let Some((level, rest)) = levels.split_first() else {
        return inner(buf);
    };
    let mut rb = RelayBuilder::new(
        buf,
        MessageType::RelayRepl,
        level.hop_count,
        level.link,
        level.peer,
    )?;
    if let Some(id) = level.interface_id {
        rb.interface_id(id)?;
    }
    rb.relay_msg_with(|b| wrap(rest, b, inner))?;
    rb.finish()
}

fn write_message(
    rt: &RuntimeV6,
    req: &Message<'_>,
    plan: &Plan,
    buf: &mut [u8],
) -> Result<usize, BuildError> {
    let t = match plan.kind {
        ReplyKind6::Advertise => MessageType::Advertise,
        ReplyKind6::Reply => MessageType::Reply,
    };
    let mut b = Builder::new(buf, t, req.transaction_id())?;
    b.server_id(&rt.server_duid)?;
    if let Some(cid) = req.options().client_id() {
        b.client_id(cid)?;
    }
    if let Some((c, text)) = plan.status {
        b.status_code(c as u16, text.as_bytes())?;
    }
    if plan.rapid_commit {
        b.rapid_commit()?;
    }
    for ia in plan.ias() {
        let nest = if ia.pd {
            b.ia_pd(ia.iaid, ia.t1, ia.t2)?
        } else {
            b.ia_na(ia.iaid, ia.t1, ia.t2)?
        };
        for e in ia.entries() {
            if ia.pd {
                let p = b.iaprefix(e.preferred, e.valid, e.plen, e.addr)?;
                if let Some(x) = e.exclude.filter(|_| e.valid > 0) {
                    write_pd_exclude(&mut b, e.plen, x)?;
                }
                b.end(p)?;
            } else {
                let a = b.iaaddr(e.addr, e.preferred, e.valid)?;
                b.end(a)?;
            }
        }
        if let Some((c, text)) = ia.status {
            b.status_code(c as u16, text.as_bytes())?;
        }
        b.end(nest)?;
    }
    if plan.with_options {
        write_options(rt, req, plan, &mut b);
    }
    b.finish()
}

/// RFC 6603 §4.2: the excluded prefix's length and its bits after the delegated length.
fn write_pd_exclude(
    w: &mut OptionWriter<'_>,
    delegated_len: u8,
    (excluded, len): (Ipv6Addr, u8),
) -> Result<(), BuildError> {
    if len <= delegated_len || delegated_len == 0 || len > 128 {
        return Ok(());
    }
    let bits = u128::from(excluded) << delegated_len;
    let n = usize::from(len - delegated_len).div_ceil(8);
    let bytes = bits.to_be_bytes();
    w.option_parts(code::PD_EXCLUDE, &[&[len], &bytes[..n]])
}

/// Adds one configured option; one that does not fit is left out (and logged) rather
/// than losing the whole reply.
fn add_optional(w: &mut OptionWriter<'_>, c: u16, data: &[u8]) {
    if let Err(e) = w.option(c, data) {
        log::debug!("option {c} left out of a reply: {e}");
    }
}

/// The configured options this reply carries.
fn write_options(rt: &RuntimeV6, req: &Message<'_>, plan: &Plan, w: &mut OptionWriter<'_>) {
    let requested = |c: u16| req.options().oro().any(|x| x == c);
    let subnet = plan.subnet.map(|si| &rt.subnets[si]);
    let reservation = match (subnet, plan.reservation) {
        (Some(s), Some(r)) => Some(s.reservation(r)),
        _ => None,
    };
    // The pool of the first address (else prefix) given out.
    let pool_opts: &[OptionData6] = subnet
        .and_then(|s| {
            let e = plan
                .ias()
                .iter()
                .flat_map(|ia| ia.entries().iter().map(move |e| (ia.pd, e)))
                .find(|(_, e)| e.valid > 0)?;
            match e {
                (false, e) => s
                    .pool_of(u128::from(e.addr))
                    .map(|i| &s.cfg.pools[i].option_data[..]),
                (true, e) => s
                    .pd_pool_of(u128::from(e.addr), e.plen)
                    .map(|i| &s.cfg.pd_pools[i].option_data[..]),
            }
        })
        .unwrap_or(&[]);
    let layers: [&[OptionData6]; 4] = [
        reservation.map_or(&[][..], |r| &r.option_data[..]),
        pool_opts,
        subnet.map_or(&[][..], |s| &s.cfg.option_data[..]),
        &rt.cfg.option_data[..],
    ];
    let dhcp6 = |o: &&OptionData6| o.space == "dhcp6";
    // Preference (RFC 8415 §21.8) only when configured, and only in an Advertise.
    if plan.kind == ReplyKind6::Advertise
        && let Some(p) = layers
            .iter()
            .flat_map(|l| l.iter())
            .filter(dhcp6)
            .find(|o| o.code == code::PREFERENCE)
    {
        add_optional(w, code::PREFERENCE, &p.data);
    }
    for (li, layer) in layers.iter().enumerate() {
        for (oi, opt) in layer.iter().enumerate().filter(|(_, o)| dhcp6(o)) {
            if SERVER_OWNED.contains(&opt.code) {
                continue;
            }
            // The first layer (and first entry) defining a code decides for it.
            let shadowed = layers[..li]
                .iter()
                .flat_map(|l| l.iter())
                .chain(layer[..oi].iter())
                .filter(dhcp6)
                .any(|o| o.code == opt.code);
            if shadowed || !(opt.always_send || requested(opt.code)) {
                continue;
            }
            if opt.code == code::VENDOR_OPTS {
                write_vendor_opts(&layers, opt, w);
            } else {
                add_optional(w, opt.code, &opt.data);
            }
        }
    }
}

/// Vendor-specific Information (17): the configured enterprise number, then the options
/// configured in that enterprise's space (`vendor-<number>`).
fn write_vendor_opts(layers: &[&[OptionData6]; 4], vendor: &OptionData6, w: &mut OptionWriter<'_>) {
    let Some(enterprise) = vendor.data.get(..4) else {
        return;
    };
    let id = u32::from_be_bytes([enterprise[0], enterprise[1], enterprise[2], enterprise[3]]);
    let Ok(nest) = w.begin(code::VENDOR_OPTS) else {
        return;
    };
    let all = || layers.iter().flat_map(|l| l.iter());
    let mut r = w.write_raw(&vendor.data);
    for (i, o) in all().enumerate() {
        if r.is_err() {
            break;
        }
        if o.vendor_enterprise() != Some(id)
            || all()
                .take(i)
                .any(|p| p.vendor_enterprise() == Some(id) && p.code == o.code)
        {
            continue;
        }
        r = w.option(o.code, &o.data);
    }
    // On failure the nest is still closed: the reply stays well-formed, with what fit.
    if let Err(e) = r.and(w.end(nest)) {
        log::debug!("vendor-opts left incomplete in a reply: {e}");
    }
}
