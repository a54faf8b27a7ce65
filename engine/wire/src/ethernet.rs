//! Ethernet II frames with up to two VLAN tags (802.1Q / 802.1ad QinQ).

use std::ops::Deref;

use crate::bytes::{mac_at, put, u16_at};
pub use crate::error::{BuildError, Error};

/// Named offsets of the untagged header.
mod field {
    pub const DST: usize = 0;
    pub const SRC: usize = 6;
    pub const ETHERTYPE: usize = 12;
}

/// Length of an untagged Ethernet header.
pub const HEADER_LEN: usize = 14;
/// Length added by each VLAN tag.
pub const VLAN_TAG_LEN: usize = 4;
/// Most tags we accept: one C-tag, optionally inside an S-tag.
pub const MAX_VLANS: usize = 2;
/// Ethertype of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethertype of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// Ethertype of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// TPID of an 802.1Q (customer) tag.
pub const TPID_8021Q: u16 = 0x8100;
/// TPID of an 802.1ad (service) tag.
pub const TPID_8021AD: u16 = 0x88a8;
/// The broadcast MAC address.
pub const BROADCAST: [u8; 6] = [0xff; 6];

/// One VLAN tag as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanTag {
    /// Tag protocol identifier (0x8100 or 0x88a8).
    pub tpid: u16,
    /// Tag control information: PCP (3 bits), DEI (1), VLAN id (12).
    pub tci: u16,
}

impl VlanTag {
    /// The 12-bit VLAN id.
    pub fn vid(&self) -> u16 {
        self.tci & 0x0fff
    }
}

/// Up to [`MAX_VLANS`] tags stored inline (outermost first), so views and
/// parsed frames stay `Copy` and allocation-free. Derefs to `&[VlanTag]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanStack {
    tags: [VlanTag; MAX_VLANS],
    len: usize,
}

impl VlanStack {
    /// Builds a stack from a slice; `TooManyVlans` if longer than two.
    pub fn from_slice(tags: &[VlanTag]) -> Result<Self, BuildError> {
        let mut s = VlanStack::default();
        for t in tags {
            s.push(*t).map_err(|_| BuildError::TooManyVlans)?;
        }
        Ok(s)
    }

    fn push(&mut self, tag: VlanTag) -> Result<(), Error> {
        let slot = self.tags.get_mut(self.len).ok_or(Error::TooManyVlans)?;
        *slot = tag;
        self.len += 1;
        Ok(())
    }

    /// The tags, outermost first.
    pub fn as_slice(&self) -> &[VlanTag] {
        self.tags.get(..self.len).unwrap_or(&[])
    }
}

impl Deref for VlanStack {
    type Target = [VlanTag];
    fn deref(&self) -> &[VlanTag] {
        self.as_slice()
    }
}

fn is_vlan_tpid(t: u16) -> bool {
    t == TPID_8021Q || t == TPID_8021AD
}

/// Checked view of an Ethernet II frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    buf: &'a [u8],
    vlans: VlanStack,
    header_len: usize,
}

impl<'a> Frame<'a> {
    /// Validates the header and up to two VLAN tags; a third tag is an error
    /// rather than silently treated as payload.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let mut vlans = VlanStack::default();
        let mut at = field::ETHERTYPE;
        loop {
            let t = u16_at(buf, at);
            if !is_vlan_tpid(t) {
                break;
            }
            // A tag needs its TCI plus the next type field.
            if buf.len() < at + VLAN_TAG_LEN + 2 {
                return Err(Error::Truncated);
            }
            vlans.push(VlanTag {
                tpid: t,
                tci: u16_at(buf, at + 2),
            })?;
            at += VLAN_TAG_LEN;
        }
        Ok(Frame {
            buf,
            vlans,
            header_len: at + 2,
        })
    }

    /// Destination MAC.
    pub fn dst(&self) -> [u8; 6] {
        mac_at(self.buf, field::DST)
    }

    /// Source MAC.
    pub fn src(&self) -> [u8; 6] {
        mac_at(self.buf, field::SRC)
    }

    /// VLAN tags, outermost first.
    pub fn vlans(&self) -> &[VlanTag] {
        self.vlans.as_slice()
    }

    /// The tag stack by value (for keeping after the buffer is gone).
    pub fn vlan_stack(&self) -> VlanStack {
        self.vlans
    }

    /// The inner ethertype (after all tags).
    pub fn ethertype(&self) -> u16 {
        u16_at(self.buf, self.header_len - 2)
    }

    /// Header length including tags.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Everything after the header (may include Ethernet padding).
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len..).unwrap_or(&[])
    }
}

/// Writes an Ethernet header with `vlans` (outermost first); returns its length.
pub fn write_header(
    buf: &mut [u8],
    dst: [u8; 6],
    src: [u8; 6],
    vlans: &[VlanTag],
    ethertype: u16,
) -> Result<usize, BuildError> {
    if vlans.len() > MAX_VLANS {
        return Err(BuildError::TooManyVlans);
    }
    let len = HEADER_LEN + VLAN_TAG_LEN * vlans.len();
    if buf.len() < len {
        return Err(BuildError::NoSpace);
    }
    let mut ok = put(buf, field::DST, &dst) && put(buf, field::SRC, &src);
    let mut at = field::ETHERTYPE;
    for v in vlans {
        ok &= put(buf, at, &v.tpid.to_be_bytes()) && put(buf, at + 2, &v.tci.to_be_bytes());
        at += VLAN_TAG_LEN;
    }
    ok &= put(buf, at, &ethertype.to_be_bytes());
    if ok {
        Ok(len)
    } else {
        Err(BuildError::NoSpace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qinq_round_trip() {
        let tags = [
            VlanTag {
                tpid: TPID_8021AD,
                tci: 0x0064,
            },
            VlanTag {
                tpid: TPID_8021Q,
                tci: 0x200a,
            },
        ];
        let mut buf = [0u8; 32];
        let n = write_header(
            &mut buf,
            BROADCAST,
            [2, 0, 0, 0, 0, 1],
            &tags,
            ETHERTYPE_IPV4,
        )
        .unwrap();
        assert_eq!(n, 22);
        let f = Frame::new_checked(&buf).unwrap();
        assert_eq!(f.vlans(), &tags);
        assert_eq!(f.ethertype(), ETHERTYPE_IPV4);
        assert_eq!(f.header_len(), 22);
        assert_eq!(f.payload().len(), 10);
        assert_eq!(f.dst(), BROADCAST);
        assert_eq!(f.src(), [2, 0, 0, 0, 0, 1]);
        assert_eq!(f.vlans()[1].vid(), 10);
    }

    #[test]
    fn three_tags_rejected() {
        let mut buf = [0u8; 40];
        buf[12..14].copy_from_slice(&TPID_8021AD.to_be_bytes());
        buf[16..18].copy_from_slice(&TPID_8021Q.to_be_bytes());
        buf[20..22].copy_from_slice(&TPID_8021Q.to_be_bytes());
        assert_eq!(Frame::new_checked(&buf).unwrap_err(), Error::TooManyVlans);
        let tags = [VlanTag::default(); 3];
        assert_eq!(
            write_header(&mut buf, BROADCAST, BROADCAST, &tags, 0x800),
            Err(BuildError::TooManyVlans)
        );
    }

    #[test]
    fn truncated_tag() {
        let mut buf = [0u8; 17];
        buf[12..14].copy_from_slice(&TPID_8021Q.to_be_bytes());
        assert_eq!(Frame::new_checked(&buf).unwrap_err(), Error::Truncated);
        assert_eq!(
            Frame::new_checked(&buf[..13]).unwrap_err(),
            Error::Truncated
        );
    }
}
