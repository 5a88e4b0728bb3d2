//! Input and output buffers for the benchmarks: 64-byte aligned storage,
//! deterministic contents, and the three alignment patterns.

use simdpar::{AlignedVec, Element, Plain};

/// Where a buffer's first element sits relative to a 64-byte cache line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// 64-byte aligned.
    Aligned,
    /// One element past a line start: 4 bytes for f32 (8 for f64, the
    /// smallest legal offset of an `f64` slice).
    Off4,
    /// 4 bytes (f64: 8) before a line end: every 64-byte vector load
    /// straddles two lines, and so does every second 32-byte load (the most
    /// a contiguous stream can split).
    Split,
}

impl Align {
    /// All patterns, in table order.
    pub const ALL: [Align; 3] = [Align::Aligned, Align::Off4, Align::Split];

    /// Short name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Align::Aligned => "aligned",
            Align::Off4 => "offset4",
            Align::Split => "split",
        }
    }

    /// Offset of the first element, in elements of `size` bytes.
    pub fn offset_elems(self, size: usize) -> usize {
        match self {
            Align::Aligned => 0,
            Align::Off4 => 1,
            Align::Split => (64 - size) / size,
        }
    }
}

/// A 64-byte aligned allocation viewed at an offset of `off` elements.
pub struct Buf<T: Plain> {
    store: AlignedVec<T>,
    off: usize,
    len: usize,
}

impl<T: Plain + Element> Buf<T> {
    /// `len` elements at alignment `align`, filled with values from
    /// `[lo, hi)` (a fixed pseudo-random sequence seeded by `seed`; every
    /// page is written, so no timing ever reads the shared zero page).
    pub fn new(len: usize, align: Align, seed: u64, lo: f64, hi: f64) -> Self {
        let off = align.offset_elems(std::mem::size_of::<T>());
        let mut store = AlignedVec::<T>::zeroed(len + 16);
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for v in store.iter_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            *v = T::from_f64(lo + (hi - lo) * u);
        }
        Buf { store, off, len }
    }

    /// The elements.
    pub fn get(&self) -> &[T] {
        &self.store[self.off..self.off + self.len]
    }

    /// The elements, mutably.
    pub fn get_mut(&mut self) -> &mut [T] {
        &mut self.store[self.off..self.off + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_place_the_first_element() {
        for a in Align::ALL {
            let b = Buf::<f32>::new(100, a, 1, -1.0, 1.0);
            let addr = b.get().as_ptr() as usize % 64;
            assert_eq!(addr, a.offset_elems(4) * 4, "{a:?}");
            assert!(b.get().iter().all(|v| (-1.0..1.0).contains(v)));
            let d = Buf::<f64>::new(100, a, 1, 0.0, 1.0);
            assert_eq!(d.get().as_ptr() as usize % 64, a.offset_elems(8) * 8);
        }
        assert_eq!(Align::Split.offset_elems(4) * 4, 60);
    }
}
