//! The UMEM's memory: an anonymous, page-aligned mapping that the kernel pins and that frames
//! are read from and written to in place. Unmapped on drop.

use std::io;
use std::ptr::NonNull;

pub(super) struct UmemArea {
    ptr: NonNull<u8>,
    len: usize,
}

impl UmemArea {
    /// Maps `len` zeroed bytes.
    pub(super) fn new(len: usize) -> io::Result<UmemArea> {
        if len == 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: anonymous private mapping with no address hint; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>())
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        Ok(UmemArea { ptr, len })
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The whole area, for `Umem::new`.
    pub(super) fn as_non_null(&self) -> NonNull<[u8]> {
        NonNull::slice_from_raw_parts(self.ptr, self.len)
    }

    /// `len` bytes at `offset`, read-only.
    ///
    /// # Safety
    /// `offset + len <= self.len()`, and nobody (kernel included) writes the range while the
    /// slice lives.
    pub(super) unsafe fn slice(&self, offset: usize, len: usize) -> &[u8] {
        debug_assert!(offset + len <= self.len);
        // SAFETY: in bounds and unaliased per the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(offset), len) }
    }

    /// `len` bytes at `offset`, writable.
    ///
    /// # Safety
    /// `offset + len <= self.len()`, and nobody else (kernel included) reads or writes the
    /// range while the slice lives.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn slice_mut(&self, offset: usize, len: usize) -> &mut [u8] {
        debug_assert!(offset + len <= self.len);
        // SAFETY: in bounds and exclusive per the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(offset), len) }
    }
}

impl Drop for UmemArea {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly what mmap returned, unmapped once, here.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_page_aligned_zeroed_memory() {
        let a = UmemArea::new(8192).unwrap();
        assert_eq!(a.as_non_null().as_ptr() as *mut u8 as usize % 4096, 0);
        assert_eq!(a.len(), 8192);
        // SAFETY: in bounds, no other user.
        let s = unsafe { a.slice_mut(4096, 16) };
        assert!(s.iter().all(|&b| b == 0));
        s[0] = 7;
        // SAFETY: in bounds, the mutable slice is no longer used.
        assert_eq!(unsafe { a.slice(4096, 1) }, &[7]);
        assert!(UmemArea::new(0).is_err());
    }
}
