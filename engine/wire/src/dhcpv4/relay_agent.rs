//! Relay Agent Information (option 82) sub-options, RFC 3046 §2.0: a
//! sequence of code/length/value triples with no Pad or End. Relays are
//! not always careful, so malformed input ends iteration instead of failing
//! the whole message.

pub use super::RawOption as SubOption;

/// Agent Circuit ID (RFC 3046 §3.1).
pub const CIRCUIT_ID: u8 = 1;
/// Agent Remote ID (RFC 3046 §3.2).
pub const REMOTE_ID: u8 = 2;
/// Link selection (RFC 3527).
pub const LINK_SELECTION: u8 = 5;
/// Subscriber ID (RFC 3993).
pub const SUBSCRIBER_ID: u8 = 6;
/// Server identifier override (RFC 5107).
pub const SERVER_ID_OVERRIDE: u8 = 11;
/// Relay agent identifier (RFC 6925).
pub const RELAY_ID: u8 = 12;

/// Iterates well-formed sub-options; stops at the first one whose length
/// runs past the value (then [`Self::is_malformed`] is true).
#[derive(Debug, Clone)]
pub struct SubOptionIter<'a> {
    rest: &'a [u8],
    malformed: bool,
}

impl<'a> SubOptionIter<'a> {
    /// Iterates the sub-options in `value` (the option 82 data).
    pub fn new(value: &'a [u8]) -> Self {
        SubOptionIter {
            rest: value,
            malformed: false,
        }
    }

    /// True once iteration stopped on a truncated sub-option.
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }
}

impl<'a> Iterator for SubOptionIter<'a> {
    type Item = SubOption<'a>;

    fn next(&mut self) -> Option<SubOption<'a>> {
        let (&code, after) = self.rest.split_first()?;
        let parsed = after.split_first().and_then(|(&len, body)| {
            let len = usize::from(len);
            Some((body.get(..len)?, body.get(len..)?))
        });
        match parsed {
            Some((data, rest)) => {
                self.rest = rest;
                Some(SubOption { code, data })
            }
            None => {
                self.rest = &[];
                self.malformed = true;
                None
            }
        }
    }
}

/// The first sub-option `code` in `value`, ignoring anything after a
/// malformed sub-option.
pub fn sub_option(value: &[u8], code: u8) -> Option<&[u8]> {
    SubOptionIter::new(value)
        .find(|s| s.code == code)
        .map(|s| s.data)
}

/// True when `value` is a clean sequence of sub-options.
pub fn is_well_formed(value: &[u8]) -> bool {
    let mut it = SubOptionIter::new(value);
    it.by_ref().for_each(drop);
    !it.is_malformed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circuit_and_remote_id() {
        let v = [
            1, 4, 0x20, 0, 0, 2, 2, 6, 0x20, 0xe5, 0x2a, 0xb8, 0x15, 0x14,
        ];
        assert_eq!(sub_option(&v, CIRCUIT_ID), Some(&[0x20, 0, 0, 2][..]));
        assert_eq!(
            sub_option(&v, REMOTE_ID),
            Some(&[0x20, 0xe5, 0x2a, 0xb8, 0x15, 0x14][..])
        );
        assert_eq!(sub_option(&v, 9), None);
        assert!(is_well_formed(&v));
    }

    #[test]
    fn malformed_stops() {
        // The option 82 of v4-BadRelayedDiscover: sub-option 0x51 claims 65 bytes.
        let v = [0x51, 0x41, 0, 1, 2, 3];
        assert_eq!(sub_option(&v, 0x51), None);
        assert_eq!(sub_option(&v, 1), None);
        assert!(!is_well_formed(&v));
        assert!(!is_well_formed(&[1]));
        assert!(is_well_formed(&[]));
        let v = [1, 1, 9, 2];
        assert_eq!(sub_option(&v, 1), Some(&[9][..]));
        assert_eq!(sub_option(&v, 2), None);
    }
}
