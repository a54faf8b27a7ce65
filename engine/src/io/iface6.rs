//! The host's interfaces as the DHCPv6 service sees them: index, name, hardware address,
//! flags and IPv6 addresses (with prefix lengths), read with getifaddrs(3).

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::io;
use std::net::Ipv6Addr;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interface6 {
    pub index: u32,
    pub name: String,
    pub mac: [u8; 6],
    /// Every IPv6 address with its prefix length, in the kernel's order.
    pub addrs: Vec<(Ipv6Addr, u8)>,
    pub up: bool,
    pub loopback: bool,
    pub multicast: bool,
}

impl Interface6 {
    /// The first link-local address, if the interface has one.
    pub fn link_local(&self) -> Option<Ipv6Addr> {
        self.addrs
            .iter()
            .map(|a| a.0)
            .find(super::udp6::is_link_local)
    }
}

/// Every interface on the host, by index.
pub fn list() -> io::Result<BTreeMap<u32, Interface6>> {
    let mut out: BTreeMap<String, Interface6> = BTreeMap::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned and is not freed yet.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let entry = out.entry(name.clone()).or_insert_with(|| Interface6 {
            name,
            ..Interface6::default()
        });
        entry.up |= ifa.ifa_flags & libc::IFF_UP as u32 != 0;
        entry.loopback |= ifa.ifa_flags & libc::IFF_LOOPBACK as u32 != 0;
        entry.multicast |= ifa.ifa_flags & libc::IFF_MULTICAST as u32 != 0;
        if ifa.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points at a sockaddr of the given family.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family == libc::AF_INET6 {
            // SAFETY: family AF_INET6 means the sockaddr is a sockaddr_in6.
            let sin6 = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
            let addr = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let prefix = if ifa.ifa_netmask.is_null() {
                128
            } else {
                // SAFETY: the netmask of an AF_INET6 address is a sockaddr_in6 too.
                let m = unsafe { &*(ifa.ifa_netmask as *const libc::sockaddr_in6) };
                u128::from_be_bytes(m.sin6_addr.s6_addr).count_ones() as u8
            };
            entry.addrs.push((addr, prefix));
        } else if family == libc::AF_PACKET {
            // SAFETY: family AF_PACKET means the sockaddr is a sockaddr_ll.
            let sll = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_ll) };
            entry.index = sll.sll_ifindex as u32;
            if sll.sll_halen == 6 {
                entry.mac.copy_from_slice(&sll.sll_addr[..6]);
            }
        }
    }
    // SAFETY: `head` came from getifaddrs and is freed exactly once.
    unsafe { libc::freeifaddrs(head) };
    let mut by_index = BTreeMap::new();
    for (_, mut iface) in out {
        if iface.index == 0 {
            let c = std::ffi::CString::new(iface.name.as_str()).unwrap_or_default();
            // SAFETY: `c` is a valid NUL-terminated string.
            iface.index = unsafe { libc::if_nametoindex(c.as_ptr()) };
        }
        if iface.index != 0 {
            by_index.insert(iface.index, iface);
        }
    }
    Ok(by_index)
}
