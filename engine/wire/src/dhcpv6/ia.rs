//! Identity associations and their addresses/prefixes (RFC 8415 §21.4-
//! §21.6, §21.21, §21.22), as typed views over option data.

use std::marker::PhantomData;
use std::net::Ipv6Addr;

use super::code;
use super::options::{OptionIter, Options};
use crate::bytes::{ipv6_at, u8_at, u32_at};

/// A structured option type that can be read from its data; `None` when
/// the data is shorter than the fixed part (never for a checked message).
pub trait FromOption<'a>: Sized {
    /// The option code.
    const CODE: u16;
    /// Reads the option from its data bytes.
    fn from_data(data: &'a [u8]) -> Option<Self>;
}

/// Iterates the well-formed occurrences of `T` in an option list.
#[derive(Debug, Clone)]
pub struct Typed<'a, T> {
    inner: OptionIter<'a>,
    _t: PhantomData<T>,
}

impl<'a, T> Typed<'a, T> {
    pub(crate) fn new(inner: OptionIter<'a>) -> Self {
        Typed {
            inner,
            _t: PhantomData,
        }
    }
}

impl<'a, T: FromOption<'a>> Iterator for Typed<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.inner
            .by_ref()
            .filter(|o| o.code == T::CODE)
            .find_map(|o| T::from_data(o.data))
    }
}

/// Splits off a fixed part of `N` bytes.
fn split<const N: usize>(data: &[u8]) -> Option<(&[u8], Options<'_>)> {
    Some((data.get(..N)?, Options::new(data.get(N..)?)))
}

/// IA_NA (3): identity association for non-temporary addresses.
#[derive(Debug, Clone, Copy)]
pub struct IaNa<'a> {
    /// IAID.
    pub iaid: u32,
    /// T1 in seconds.
    pub t1: u32,
    /// T2 in seconds.
    pub t2: u32,
    /// The IA's options (IAADDR, STATUS_CODE...).
    pub options: Options<'a>,
}

impl<'a> FromOption<'a> for IaNa<'a> {
    const CODE: u16 = code::IA_NA;
    fn from_data(data: &'a [u8]) -> Option<Self> {
        let (f, options) = split::<12>(data)?;
        Some(IaNa {
            iaid: u32_at(f, 0),
            t1: u32_at(f, 4),
            t2: u32_at(f, 8),
            options,
        })
    }
}

impl<'a> IaNa<'a> {
    /// The IAADDR options.
    pub fn addresses(&self) -> Typed<'a, IaAddr<'a>> {
        self.options.typed()
    }
}

/// IA_TA (4): identity association for temporary addresses.
#[derive(Debug, Clone, Copy)]
pub struct IaTa<'a> {
    /// IAID.
    pub iaid: u32,
    /// The IA's options.
    pub options: Options<'a>,
}

impl<'a> FromOption<'a> for IaTa<'a> {
    const CODE: u16 = code::IA_TA;
    fn from_data(data: &'a [u8]) -> Option<Self> {
        let (f, options) = split::<4>(data)?;
        Some(IaTa {
            iaid: u32_at(f, 0),
            options,
        })
    }
}

impl<'a> IaTa<'a> {
    /// The IAADDR options.
    pub fn addresses(&self) -> Typed<'a, IaAddr<'a>> {
        self.options.typed()
    }
}

/// IA_PD (25): identity association for prefix delegation.
#[derive(Debug, Clone, Copy)]
pub struct IaPd<'a> {
    /// IAID.
    pub iaid: u32,
    /// T1 in seconds.
    pub t1: u32,
    /// T2 in seconds.
    pub t2: u32,
    /// The IA's options (IAPREFIX, STATUS_CODE...).
    pub options: Options<'a>,
}

impl<'a> FromOption<'a> for IaPd<'a> {
    const CODE: u16 = code::IA_PD;
    fn from_data(data: &'a [u8]) -> Option<Self> {
        let (f, options) = split::<12>(data)?;
        Some(IaPd {
            iaid: u32_at(f, 0),
            t1: u32_at(f, 4),
            t2: u32_at(f, 8),
            options,
        })
    }
}

impl<'a> IaPd<'a> {
    /// The IAPREFIX options.
    pub fn prefixes(&self) -> Typed<'a, IaPrefix<'a>> {
        self.options.typed()
    }
}

/// IAADDR (5): one address of an IA_NA/IA_TA.
#[derive(Debug, Clone, Copy)]
pub struct IaAddr<'a> {
    /// The address.
    pub addr: Ipv6Addr,
    /// Preferred lifetime in seconds.
    pub preferred: u32,
    /// Valid lifetime in seconds.
    pub valid: u32,
    /// The address's options (STATUS_CODE).
    pub options: Options<'a>,
}

impl<'a> FromOption<'a> for IaAddr<'a> {
    const CODE: u16 = code::IAADDR;
    fn from_data(data: &'a [u8]) -> Option<Self> {
        let (f, options) = split::<24>(data)?;
        Some(IaAddr {
            addr: ipv6_at(f, 0),
            preferred: u32_at(f, 16),
            valid: u32_at(f, 20),
            options,
        })
    }
}

/// IAPREFIX (26): one prefix of an IA_PD.
#[derive(Debug, Clone, Copy)]
pub struct IaPrefix<'a> {
    /// Preferred lifetime in seconds.
    pub preferred: u32,
    /// Valid lifetime in seconds.
    pub valid: u32,
    /// Prefix length in bits (as sent; may exceed 128 on hostile input).
    pub prefix_len: u8,
    /// The prefix.
    pub prefix: Ipv6Addr,
    /// The prefix's options (STATUS_CODE, PD_EXCLUDE).
    pub options: Options<'a>,
}

impl<'a> FromOption<'a> for IaPrefix<'a> {
    const CODE: u16 = code::IAPREFIX;
    fn from_data(data: &'a [u8]) -> Option<Self> {
        let (f, options) = split::<25>(data)?;
        Some(IaPrefix {
            preferred: u32_at(f, 0),
            valid: u32_at(f, 4),
            prefix_len: u8_at(f, 8),
            prefix: ipv6_at(f, 9),
            options,
        })
    }
}
