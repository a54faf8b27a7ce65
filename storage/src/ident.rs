//! Client identities (hardware addresses, client identifiers) stored inline: every
//! identity real clients send fits in 32 bytes, so making or copying a lease never touches
//! the heap on the hot path. Longer ones (allowed by RFC 2132: up to 255) go to the heap.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Identities up to this length are stored inline.
pub const INLINE_IDENT: usize = 32;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE_IDENT] },
    Heap(Box<[u8]>),
}

/// A byte string identifying a client: compare, hash and read it as `&[u8]`.
#[derive(Clone)]
pub struct Ident(Repr);

impl Ident {
    pub const EMPTY: Ident = Ident(Repr::Inline {
        len: 0,
        buf: [0; INLINE_IDENT],
    });

    pub fn new(bytes: &[u8]) -> Ident {
        if bytes.len() <= INLINE_IDENT {
            let mut buf = [0; INLINE_IDENT];
            buf[..bytes.len()].copy_from_slice(bytes);
            Ident(Repr::Inline {
                len: bytes.len() as u8,
                buf,
            })
        } else {
            Ident(Repr::Heap(bytes.into()))
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(b) => b,
        }
    }
}

impl Default for Ident {
    fn default() -> Ident {
        Ident::EMPTY
    }
}

impl Deref for Ident {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Ident {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Ident {
    fn eq(&self, other: &Ident) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Ident {}

impl PartialEq<[u8]> for Ident {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for Ident {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for Ident {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Ident {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// Hashes like the byte slice, whichever way it is stored.
impl Hash for Ident {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl From<&[u8]> for Ident {
    fn from(b: &[u8]) -> Ident {
        Ident::new(b)
    }
}

impl<const N: usize> From<[u8; N]> for Ident {
    fn from(b: [u8; N]) -> Ident {
        Ident::new(&b)
    }
}

impl From<Vec<u8>> for Ident {
    fn from(v: Vec<u8>) -> Ident {
        Ident::new(&v)
    }
}

/// Colon-separated hex, as Kea prints identities.
impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.as_slice().iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn h(x: &impl Hash) -> u64 {
        let mut s = DefaultHasher::new();
        x.hash(&mut s);
        s.finish()
    }

    #[test]
    fn inline_and_heap_behave_like_the_bytes() {
        for n in [0usize, 1, 6, 32, 33, 255] {
            let bytes: Vec<u8> = (0..n as u8).collect();
            let id = Ident::new(&bytes);
            assert_eq!(id.as_slice(), &bytes[..]);
            assert_eq!(id, bytes);
            assert_eq!(h(&id), h(&&bytes[..]));
            assert_eq!(id.clone(), id);
        }
        assert_ne!(Ident::new(&[1, 2]), Ident::new(&[1, 2, 0]));
        assert_eq!(format!("{:?}", Ident::new(&[0x0a, 1])), "0a:01");
    }
}
