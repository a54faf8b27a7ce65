//! Bounds-checked big-endian reads and writes shared by every module, so the
//! "never index untrusted data" rule is enforced in one place.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Reads one byte; 0 when out of range (callers validated lengths already).
#[inline]
pub(crate) fn u8_at(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

/// Reads a big-endian u16; 0 when out of range.
#[inline]
pub(crate) fn u16_at(buf: &[u8], at: usize) -> u16 {
    match buf.get(at..at.wrapping_add(2)) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// Reads a big-endian u32; 0 when out of range.
#[inline]
pub(crate) fn u32_at(buf: &[u8], at: usize) -> u32 {
    match buf.get(at..at.wrapping_add(4)) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Reads an IPv4 address; 0.0.0.0 when out of range.
#[inline]
pub(crate) fn ipv4_at(buf: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32_at(buf, at))
}

/// Reads an IPv6 address; `::` when out of range.
#[inline]
pub(crate) fn ipv6_at(buf: &[u8], at: usize) -> Ipv6Addr {
    let mut out = [0u8; 16];
    if let Some(src) = buf.get(at..at.wrapping_add(16)) {
        out.copy_from_slice(src);
    }
    Ipv6Addr::from(out)
}

/// Reads a 6-byte MAC address; zeros when out of range.
#[inline]
pub(crate) fn mac_at(buf: &[u8], at: usize) -> [u8; 6] {
    let mut out = [0u8; 6];
    if let Some(src) = buf.get(at..at.wrapping_add(6)) {
        out.copy_from_slice(src);
    }
    out
}

/// Copies `src` to `buf[at..]`; false (and nothing written) if it does not fit.
#[inline]
#[must_use]
pub(crate) fn put(buf: &mut [u8], at: usize, src: &[u8]) -> bool {
    match at
        .checked_add(src.len())
        .and_then(|end| buf.get_mut(at..end))
    {
        Some(dst) => {
            dst.copy_from_slice(src);
            true
        }
        None => false,
    }
}

/// Fills `buf[from..to]` with zeros, clamped to the buffer.
#[inline]
pub(crate) fn zero(buf: &mut [u8], from: usize, to: usize) {
    let to = to.min(buf.len());
    if let Some(dst) = buf.get_mut(from.min(to)..to) {
        dst.fill(0);
    }
}
