//! Kea memfile CSV output for DHCPv4 leases (fact sheet §c): the newest v4 header, colon
//! hex identifiers, `expire` = cltt + valid lifetime, and Kea's `&#xNN` escaping of
//! hostname and user context (1.7.6+), so Kea and tools that read its files accept it.

use crate::Lease4;
use std::fmt::Write as _;

/// The header line Kea 2.4+ writes for DHCPv4 lease files (schema 3.0).
pub const V4_HEADER: &str = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id";

/// One CSV row (without the line end) for `lease`.
pub fn v4_row(lease: &Lease4) -> String {
    let mut row = String::with_capacity(96);
    let _ = write!(row, "{},", lease.address);
    push_hex(&mut row, &lease.hwaddr);
    row.push(',');
    if let Some(cid) = &lease.client_id {
        push_hex(&mut row, cid);
    }
    let _ = write!(
        row,
        ",{},{},{},{},{},",
        lease.valid_lifetime,
        lease.expire(),
        lease.subnet_id,
        u8::from(lease.fqdn_fwd),
        u8::from(lease.fqdn_rev)
    );
    push_escaped(&mut row, &lease.hostname);
    let _ = write!(row, ",{},", lease.state.code());
    if let Some(ctx) = &lease.user_context {
        push_escaped(&mut row, ctx);
    }
    row.push_str(",0");
    row
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
}

/// Kea's escaping: `,` and `&` (and, as Kea 3.3 does, control and non-ASCII bytes)
/// become `&#x` and two lowercase hex digits.
fn push_escaped(out: &mut String, text: &str) {
    for b in text.bytes() {
        if b == b',' || b == b'&' || !(0x20..=0x7e).contains(&b) {
            let _ = write!(out, "&#x{b:02x}");
        } else {
            out.push(char::from(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LeaseState;
    use std::net::Ipv4Addr;

    #[test]
    fn writes_kea_rows() {
        let lease = Lease4 {
            address: Ipv4Addr::new(192, 0, 2, 10),
            hwaddr: vec![0x0a, 0x1b, 0, 1, 2, 3].into(),
            htype: 1,
            client_id: Some(vec![1, 0x0a, 0x1b].into()),
            subnet_id: 7,
            valid_lifetime: 3600,
            cltt: 1_000_000,
            fqdn_fwd: true,
            fqdn_rev: false,
            hostname: "a,b&c.example.".into(),
            state: LeaseState::Default,
            user_context: None,
        };
        assert_eq!(
            v4_row(&lease),
            "192.0.2.10,0a:1b:00:01:02:03,01:0a:1b,3600,1003600,7,1,0,a&#x2cb&#x26c.example.,0,,0"
        );
    }
}
