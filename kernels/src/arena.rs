//! [`Arena`]: one aligned block, handed out as aligned scratch slices by a
//! bump pointer, and reset in O(1).
//!
//! Slices borrow the arena, so [`Arena::reset`] (which needs `&mut self`)
//! cannot be called while any slice is alive: the borrow checker proves
//! that no slice outlives a reset.

use crate::aligned::{AlignedVec, BufferError, DEFAULT_ALIGN, Plain};
use std::cell::Cell;
use std::fmt;

/// Why an arena allocation failed. The arena is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArenaError {
    /// Not enough room left: `requested` bytes (after alignment padding)
    /// with `available` left of `capacity`.
    Exhausted {
        /// Bytes needed, padding included.
        requested: usize,
        /// Bytes left.
        available: usize,
        /// The arena's size.
        capacity: usize,
    },
    /// The alignment is not a power of two, below the element's alignment,
    /// or above the arena's own alignment.
    BadAlignment(usize),
    /// The slice's byte size overflows.
    TooLarge(usize),
}

impl fmt::Display for ArenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArenaError::Exhausted {
                requested,
                available,
                capacity,
            } => write!(
                f,
                "arena exhausted: {requested} bytes requested, {available} of {capacity} left"
            ),
            ArenaError::BadAlignment(a) => write!(f, "bad arena alignment {a}"),
            ArenaError::TooLarge(n) => write!(f, "a slice of {n} elements is too large"),
        }
    }
}

impl std::error::Error for ArenaError {}

/// A bump allocator over one aligned block of bytes.
///
/// ```
/// use simdpar_kernels::Arena;
/// let mut arena = Arena::new(1 << 16).unwrap();
/// for batch in 0..3 {
///     let scratch: &mut [f32] = arena.alloc(1000).unwrap();
///     scratch[0] = batch as f32;
///     let more: &mut [f64] = arena.alloc(10).unwrap();
///     more[9] = 1.0;
///     arena.reset(); // every slice above is dead here
/// }
/// ```
pub struct Arena {
    block: AlignedVec<u8>,
    used: Cell<usize>,
}

impl Arena {
    /// An arena of `capacity` bytes, 64-byte aligned.
    pub fn new(capacity: usize) -> Result<Arena, BufferError> {
        Arena::with_alignment(capacity, DEFAULT_ALIGN)
    }

    /// An arena of `capacity` bytes whose block starts on an `align`-byte
    /// boundary; slices may ask for any alignment up to `align`.
    pub fn with_alignment(capacity: usize, align: usize) -> Result<Arena, BufferError> {
        Ok(Arena {
            block: AlignedVec::try_zeroed_aligned(capacity, align)?,
            used: Cell::new(0),
        })
    }

    /// Total bytes.
    pub fn capacity(&self) -> usize {
        // `AlignedVec::len` is inherent: no `&[u8]` over the block is made,
        // which would invalidate the `&mut` slices already handed out.
        self.block.len()
    }

    /// Bytes handed out so far, padding included.
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// A zero-filled slice of `len` elements, 64-byte aligned (or the
    /// arena's alignment if smaller). `Err` when the arena is full.
    pub fn alloc<T: Plain>(&self, len: usize) -> Result<&mut [T], ArenaError> {
        self.alloc_aligned(
            len,
            DEFAULT_ALIGN
                .min(self.block.alignment())
                .max(align_of::<T>()),
        )
    }

    /// A zero-filled slice of `len` elements on an `align`-byte boundary
    /// (a power of two, at least `T`'s alignment, at most the arena's).
    // Handing out `&mut` from `&self` is the point of an arena: every slice
    // covers bytes no other live slice covers (see the SAFETY note below).
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_aligned<T: Plain>(
        &self,
        len: usize,
        align: usize,
    ) -> Result<&mut [T], ArenaError> {
        if !align.is_power_of_two() || align < align_of::<T>() || align > self.block.alignment() {
            return Err(ArenaError::BadAlignment(align));
        }
        let bytes = len
            .checked_mul(size_of::<T>())
            .ok_or(ArenaError::TooLarge(len))?;
        let used = self.used.get();
        let start = used.next_multiple_of(align);
        let capacity = self.capacity();
        let end =
            start
                .checked_add(bytes)
                .filter(|&e| e <= capacity)
                .ok_or(ArenaError::Exhausted {
                    requested: (start - used).saturating_add(bytes),
                    available: capacity - used,
                    capacity,
                })?;
        self.used.set(end);
        // SAFETY: [start, end) lies inside the block, is aligned for T
        // (block aligned to >= align, start a multiple of align), and no
        // other live slice covers it: the bump pointer only moves forward
        // until `reset`, which needs `&mut self` and so cannot run while a
        // slice borrowed from `&self` lives.
        let slice = unsafe {
            let p = self.block.raw_ptr().add(start).cast::<T>();
            std::ptr::write_bytes(p, 0, len);
            std::slice::from_raw_parts_mut(p, len)
        };
        Ok(slice)
    }

    /// A copy of `src` in the arena.
    pub fn alloc_copy<T: Plain>(&self, src: &[T]) -> Result<&mut [T], ArenaError> {
        let s = self.alloc(src.len())?;
        s.copy_from_slice(src);
        Ok(s)
    }

    /// Forgets every slice handed out, in O(1). Needs `&mut self`, so it
    /// cannot be called while a slice from [`Arena::alloc`] is alive.
    pub fn reset(&mut self) {
        self.used.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_are_aligned_disjoint_and_zeroed() {
        let mut arena = Arena::new(4096).unwrap();
        for _ in 0..3 {
            let a: &mut [f32] = arena.alloc(3).unwrap();
            let b: &mut [f64] = arena.alloc(5).unwrap();
            let c: &mut [u8] = arena.alloc_aligned(7, 1).unwrap();
            assert_eq!(a.as_ptr() as usize % 64, 0);
            assert_eq!(b.as_ptr() as usize % 64, 0);
            assert!(a.iter().all(|&x| x == 0.0) && b.iter().all(|&x| x == 0.0));
            a.fill(1.0);
            b.fill(2.0);
            c.fill(3);
            assert!(a.iter().all(|&x| x == 1.0) && b.iter().all(|&x| x == 2.0));
            let a_end = a.as_ptr_range().end as usize;
            assert!(a_end <= b.as_ptr() as usize);
            arena.reset();
            assert_eq!(arena.used(), 0);
        }
    }

    #[test]
    fn exhaustion_is_an_error_and_changes_nothing() {
        let arena = Arena::new(256).unwrap();
        let _a: &mut [f32] = arena.alloc(32).unwrap();
        let used = arena.used();
        let e = arena.alloc::<f64>(100).unwrap_err();
        assert!(
            matches!(e, ArenaError::Exhausted { capacity: 256, .. }),
            "{e}"
        );
        assert_eq!(arena.used(), used);
        assert!(arena.alloc::<f32>(usize::MAX).is_err());
        assert_eq!(
            arena.alloc_aligned::<f32>(1, 128),
            Err(ArenaError::BadAlignment(128))
        );
        assert_eq!(
            arena.alloc_aligned::<f64>(1, 4),
            Err(ArenaError::BadAlignment(4))
        );
        let rest: &mut [u8] = arena.alloc_aligned(256 - used, 1).unwrap();
        assert_eq!(rest.len(), 256 - used);
    }
}
