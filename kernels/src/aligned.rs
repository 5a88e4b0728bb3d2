//! [`AlignedVec`]: a fixed-length heap buffer whose first element sits on a
//! chosen power-of-two boundary (64 bytes by default: one cache line, one
//! AVX-512 register).

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// The default alignment in bytes.
pub const DEFAULT_ALIGN: usize = 64;

/// Why a buffer could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BufferError {
    /// The alignment is not a power of two, or is below the element's own.
    BadAlignment(usize),
    /// `len * size_of::<T>()` (rounded to the alignment) overflows `isize`.
    TooLarge(usize),
    /// The allocator returned null.
    OutOfMemory(usize),
}

impl fmt::Display for BufferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BufferError::BadAlignment(a) => write!(
                f,
                "alignment {a} is not a power of two at least the element's alignment"
            ),
            BufferError::TooLarge(n) => write!(f, "a buffer of {n} elements is too large"),
            BufferError::OutOfMemory(b) => write!(f, "out of memory allocating {b} bytes"),
        }
    }
}

impl std::error::Error for BufferError {}

/// Element types an [`AlignedVec`] or [`crate::Arena`] may hold: plain
/// numbers for which all-zero bytes are a valid value (zero).
///
/// # Safety
/// Implementors must be `Copy`, have no padding, no drop glue, and accept
/// the all-zero bit pattern.
pub unsafe trait Plain: Copy + Send + Sync + 'static {}
// SAFETY: primitive numbers: no padding, zero bits are the value 0.
unsafe impl Plain for f32 {}
// SAFETY: as above.
unsafe impl Plain for f64 {}
// SAFETY: as above.
unsafe impl Plain for u8 {}
// SAFETY: as above.
unsafe impl Plain for u32 {}
// SAFETY: as above.
unsafe impl Plain for i32 {}
// SAFETY: as above.
unsafe impl Plain for u64 {}

/// A heap buffer of `len` elements starting on an `align`-byte boundary.
/// Derefs to `[T]`. Its length is fixed at construction.
///
/// ```
/// use simdpar_kernels::AlignedVec;
/// let v = AlignedVec::from_slice(&[1.0f32, 2.0, 3.0]);
/// assert_eq!(v.as_ptr() as usize % 64, 0);
/// assert_eq!(&v[..], &[1.0, 2.0, 3.0]);
/// ```
pub struct AlignedVec<T: Plain> {
    ptr: NonNull<T>,
    len: usize,
    align: usize,
}

// SAFETY: AlignedVec owns its elements like a Vec<T>.
unsafe impl<T: Plain> Send for AlignedVec<T> {}
// SAFETY: shared access only hands out &[T].
unsafe impl<T: Plain> Sync for AlignedVec<T> {}

impl<T: Plain> AlignedVec<T> {
    fn layout(len: usize, align: usize) -> Result<Layout, BufferError> {
        if !align.is_power_of_two() || align < std::mem::align_of::<T>() {
            return Err(BufferError::BadAlignment(align));
        }
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .ok_or(BufferError::TooLarge(len))?;
        Layout::from_size_align(bytes, align).map_err(|_| BufferError::TooLarge(len))
    }

    /// `len` zeros, aligned to `align` bytes (a power of two, at least the
    /// element's alignment).
    pub fn try_zeroed_aligned(len: usize, align: usize) -> Result<Self, BufferError> {
        let layout = Self::layout(len, align)?;
        let ptr = if layout.size() == 0 {
            // A dangling but aligned pointer: valid for zero-sized access.
            NonNull::new(std::ptr::without_provenance_mut::<T>(align)).expect("align > 0")
        } else {
            // SAFETY: the layout has a non-zero size.
            let p = unsafe { alloc_zeroed(layout) };
            NonNull::new(p.cast::<T>()).ok_or(BufferError::OutOfMemory(layout.size()))?
        };
        Ok(AlignedVec { ptr, len, align })
    }

    /// `len` zeros, 64-byte aligned. Panics, like `Vec`, if the size
    /// overflows or memory runs out; see [`Self::try_zeroed_aligned`].
    pub fn zeroed(len: usize) -> Self {
        Self::try_zeroed_aligned(len, DEFAULT_ALIGN).unwrap_or_else(|e| panic!("AlignedVec: {e}"))
    }

    /// A copy of `src`, aligned to `align` bytes.
    pub fn try_from_slice_aligned(src: &[T], align: usize) -> Result<Self, BufferError> {
        let mut v = Self::try_zeroed_aligned(src.len(), align)?;
        v.copy_from_slice(src);
        Ok(v)
    }

    /// A 64-byte aligned copy of `src`. Panics like [`Self::zeroed`].
    pub fn from_slice(src: &[T]) -> Self {
        Self::try_from_slice_aligned(src, DEFAULT_ALIGN)
            .unwrap_or_else(|e| panic!("AlignedVec: {e}"))
    }

    /// The alignment of the first element, in bytes.
    pub fn alignment(&self) -> usize {
        self.align
    }

    /// Number of elements. (An inherent method, so owners that hand out
    /// pieces of the buffer, like the arena, can read it without creating a
    /// reference to the whole buffer through `Deref`.)
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` for a buffer of no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The buffer's pointer with the allocation's own provenance (not
    /// derived from a shared reference), for owners such as the arena that
    /// hand out disjoint mutable pieces.
    pub(crate) fn raw_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T: Plain> Deref for AlignedVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: ptr is valid for len initialized elements (zeroed at
        // construction, Plain accepts zero bits), or dangling with len 0.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Plain> DerefMut for AlignedVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in deref, and &mut self gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Plain> Drop for AlignedVec<T> {
    fn drop(&mut self) {
        let layout = Self::layout(self.len, self.align).expect("valid at construction");
        if layout.size() != 0 {
            // SAFETY: allocated with exactly this layout.
            unsafe { dealloc(self.ptr.as_ptr().cast(), layout) }
        }
    }
}

impl<T: Plain> Clone for AlignedVec<T> {
    fn clone(&self) -> Self {
        Self::try_from_slice_aligned(self, self.align).unwrap_or_else(|e| panic!("AlignedVec: {e}"))
    }
}

impl<T: Plain + fmt::Debug> fmt::Debug for AlignedVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_and_contents() {
        for align in [4, 8, 16, 64, 128, 4096] {
            for len in [0, 1, 7, 100] {
                let v = AlignedVec::<f32>::try_zeroed_aligned(len, align).unwrap();
                assert_eq!(v.as_ptr() as usize % align, 0);
                assert_eq!(v.len(), len);
                assert!(v.iter().all(|&x| x == 0.0));
            }
        }
        let v = AlignedVec::from_slice(&[1.5f64, -2.0]);
        let w = v.clone();
        assert_eq!(&w[..], &[1.5, -2.0]);
        assert_eq!(w.as_ptr() as usize % 64, 0);
    }

    #[test]
    fn bad_alignment_and_overflow_are_errors() {
        assert_eq!(
            AlignedVec::<f32>::try_zeroed_aligned(4, 48).unwrap_err(),
            BufferError::BadAlignment(48)
        );
        assert_eq!(
            AlignedVec::<f64>::try_zeroed_aligned(4, 4).unwrap_err(),
            BufferError::BadAlignment(4)
        );
        assert!(matches!(
            AlignedVec::<f64>::try_zeroed_aligned(usize::MAX / 4, 64),
            Err(BufferError::TooLarge(_))
        ));
    }
}
