//! One vector register's worth of elements, per instruction set.
//!
//! Each family (`reduce`, `map`, `mandelbrot`) writes its algorithm once,
//! generic over [`SimdVec`]; each ISA file here says how to load, add, compare
//! and count with its registers. The family's `<isa>.rs` files then
//! instantiate the generic algorithm inside a `#[target_feature]` function,
//! where every method below inlines into straight-line vector code.
//!
//! Every method is `unsafe` because it may execute instructions of its ISA:
//! callers must hold that ISA's token (see `simdpar_dispatch`), and pointer
//! arguments must be valid for `LANES` elements.

use crate::Element;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub(crate) mod avx2;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub(crate) mod avx512;
#[cfg(target_arch = "aarch64")]
pub(crate) mod neon;
pub(crate) mod portable;

/// Each ISA's kernel shim, described once: the token type that proves the
/// CPU has it, the `#[target_feature]` attribute its kernels compile under,
/// and its f32 and f64 vector types. A family's `<isa>.rs` is one call,
/// `crate::simd::isa_shim!(avx2 => map_isa);`, which hands these to the
/// family's macro in the one grammar every family macro takes:
///
/// `isa = <Isa>; [<attributes>] [token: <token type>]; f32 = <vector>, f64 = <vector>`
///
/// (`portable` has neither attribute nor token: `wide` uses only the
/// build's baseline instructions).
macro_rules! isa_shim {
    // One row per ISA: its name (the `Isa` variant and the token type),
    // target features, f32 and f64 vectors (in `crate::simd`).
    (avx2 => $family:ident) => {
        crate::simd::isa_shim!(@row $family, Avx2, "avx2,fma", avx2::F32x8, avx2::F64x4);
    };
    (avx512 => $family:ident) => {
        crate::simd::isa_shim!(@row $family, Avx512, "avx512f", avx512::F32x16, avx512::F64x8);
    };
    (neon => $family:ident) => {
        crate::simd::isa_shim!(@row $family, Neon, "neon", neon::F32x4, neon::F64x2);
    };
    // No features and no token: `wide` uses only the build's baseline.
    (portable => $family:ident) => {
        $family! {
            isa = simdpar_dispatch::Isa::Portable; [] [];
            f32 = crate::simd::portable::F32x4, f64 = crate::simd::portable::F64x2
        }
    };
    (@row $family:ident, $isa:ident, $features:literal, $m32:ident::$v32:ident, $m64:ident::$v64:ident) => {
        $family! {
            isa = simdpar_dispatch::Isa::$isa;
            [#[target_feature(enable = $features)]] [token: simdpar_dispatch::$isa];
            f32 = crate::simd::$m32::$v32, f64 = crate::simd::$m64::$v64
        }
    };
}
pub(crate) use isa_shim;

/// The largest number of lanes of any vector type (AVX-512 f32).
pub(crate) const MAX_LANES: usize = 16;

/// A vector of `LANES` elements of type `Elem`, with the few operations the
/// kernels need. Implementations must be exact IEEE-754 operations on each
/// lane (no fused multiply-add, no flush-to-zero), so that every ISA gives
/// the same bits as the scalar oracle.
pub(crate) trait SimdVec: Copy {
    /// The element type.
    type Elem: Element;
    /// A per-lane boolean (a vector mask or a mask register).
    type Mask: Copy;
    /// Per-lane iteration counters (Mandelbrot).
    type Counter: Copy;
    /// Lanes per vector (a power of two, at most [`MAX_LANES`]).
    const LANES: usize;

    /// Every lane set to `x`.
    unsafe fn splat(x: Self::Elem) -> Self;
    /// Loads `LANES` elements from `p` (any alignment).
    unsafe fn load(p: *const Self::Elem) -> Self;
    /// Stores `LANES` elements to `p` (any alignment).
    unsafe fn store(self, p: *mut Self::Elem);
    /// Non-temporal store of `LANES` elements to `p`, which must be aligned
    /// to the vector size. ISAs without such stores use a plain store.
    unsafe fn stream(self, p: *mut Self::Elem);
    /// Orders earlier non-temporal stores before later stores.
    unsafe fn stream_fence();
    /// Hints that the cache line holding byte address `p` will be read
    /// soon (a software prefetch into L1). Never faults, whatever `p` points
    /// to, and changes no result; the default does nothing (ISAs where it
    /// has not been measured).
    #[inline(always)]
    unsafe fn prefetch(_p: *const u8) {}
    /// Lane-wise `self + o`.
    unsafe fn add(self, o: Self) -> Self;
    /// Lane-wise `self - o`.
    unsafe fn sub(self, o: Self) -> Self;
    /// Lane-wise `self * o`.
    unsafe fn mul(self, o: Self) -> Self;
    /// Lane-wise `m ? if_true : if_false`: each lane is one of the two
    /// inputs' lanes, bits unchanged (NaN payloads included).
    unsafe fn select(m: Self::Mask, if_true: Self, if_false: Self) -> Self;
    /// Lane-wise `m ? self : o * self`. A lane in `m` keeps its bits, or is
    /// computed as `self * 1`, which gives the same bits for every value
    /// but a NaN. The default multiplies every lane and selects; an ISA
    /// where a select costs more than building the factor `m ? 1 : o`
    /// overrides it.
    #[inline(always)]
    unsafe fn mul_unless(self, m: Self::Mask, o: Self) -> Self {
        // SAFETY: the caller's guarantees, passed on.
        unsafe { Self::select(m, self, o.mul(self)) }
    }
    /// Folds the lanes by halving: lane `j += lane j + LANES/2` for the lower
    /// half, repeated until one lane is left, which is returned.
    unsafe fn reduce_halving(self) -> Self::Elem;
    /// Lane-wise `!(self > o)` (true for NaN).
    unsafe fn not_greater(self, o: Self) -> Self::Mask;
    /// Lane-wise `self > o` (false for NaN).
    unsafe fn greater(self, o: Self) -> Self::Mask;
    /// Lane-wise `a && b`.
    unsafe fn mask_and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// `true` if any lane is set.
    unsafe fn mask_any(m: Self::Mask) -> bool;
    /// All counters zero.
    unsafe fn counter_zero() -> Self::Counter;
    /// Adds one to the counters of the lanes set in `m`.
    unsafe fn counter_inc(c: Self::Counter, m: Self::Mask) -> Self::Counter;
    /// Writes the `LANES` counters to `out`.
    unsafe fn counter_store(c: Self::Counter, out: *mut u32);

    // Partial vectors (tails). Each reads or writes exactly `count`
    // elements: never a byte outside them. The defaults go through a local
    // buffer; ISAs with masked loads and stores override them, which also
    // keeps their kernels free of `memcpy` calls (leaf functions).

    /// Loads `count < LANES` elements from `p` into lanes `0..count`; the
    /// other lanes are `fill`.
    #[inline(always)]
    unsafe fn load_partial(p: *const Self::Elem, count: usize, fill: Self::Elem) -> Self {
        let mut buf = [fill; MAX_LANES];
        // SAFETY: the caller guarantees `count` readable elements at p, and
        // count < LANES <= MAX_LANES.
        unsafe {
            core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), count);
            Self::load(buf.as_ptr())
        }
    }
    /// Stores lanes `0..count` (`count < LANES`) to `p`.
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut Self::Elem, count: usize) {
        let mut buf = [Self::Elem::ZERO; MAX_LANES];
        // SAFETY: the caller guarantees `count` writable elements at p, and
        // count < LANES <= MAX_LANES.
        unsafe {
            self.store(buf.as_mut_ptr());
            core::ptr::copy_nonoverlapping(buf.as_ptr(), p, count);
        }
    }
    /// Writes the first `count <= LANES` counters to `out`.
    #[inline(always)]
    unsafe fn counter_store_partial(c: Self::Counter, out: *mut u32, count: usize) {
        let mut buf = [0u32; MAX_LANES];
        // SAFETY: the caller guarantees `count` writable u32 at out, and
        // count <= LANES <= MAX_LANES.
        unsafe {
            Self::counter_store(c, buf.as_mut_ptr());
            core::ptr::copy_nonoverlapping(buf.as_ptr(), out, count);
        }
    }
}
