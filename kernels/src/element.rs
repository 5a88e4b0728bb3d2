//! The element types simdpar computes on: `f32` and `f64`.

use crate::vocab::Dtype;
use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Sub};

/// The seal of [`Element`], and the one hook a kernel family uses to find
/// its table for a dtype: each family implements [`sealed::Tables`] on a
/// marker type, and `T::table::<Family>(isa)` picks the `f32` or `f64` table
/// without `Element` knowing which families exist.
pub(crate) mod sealed {
    use simdpar_dispatch::Isa;

    /// A family's dispatch tables, one per dtype.
    pub trait Tables {
        /// The family's table type (its function pointers for one ISA).
        type Table<T: 'static>: 'static;
        /// The `f32` table of `isa`.
        fn f32(isa: Isa) -> &'static Self::Table<f32>;
        /// The `f64` table of `isa`.
        fn f64(isa: Isa) -> &'static Self::Table<f64>;
    }

    /// Implemented for `f32` and `f64` only.
    pub trait Sealed: Sized + 'static {
        /// The table of family `F` for this dtype and `isa`.
        fn table<F: Tables>(isa: Isa) -> &'static F::Table<Self>;
    }

    impl Sealed for f32 {
        #[inline(always)]
        fn table<F: Tables>(isa: Isa) -> &'static F::Table<f32> {
            F::f32(isa)
        }
    }

    impl Sealed for f64 {
        #[inline(always)]
        fn table<F: Tables>(isa: Isa) -> &'static F::Table<f64> {
            F::f64(isa)
        }
    }
}

/// A floating-point element type simdpar has kernels for (`f32`, `f64`).
/// Sealed: no other type can implement it.
pub trait Element:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + Default
    + Debug
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + 'static
{
    /// `f32` or `f64`: the dtype name used in JSON, Python and reports
    /// (`Self::DTYPE.name()`).
    const NAME: &'static str;
    /// The [`Dtype`] of this type.
    const DTYPE: Dtype;
    /// `+0.0`.
    const ZERO: Self;
    /// `-0.0`, the identity of addition (`-0.0 + x == x` for every x, `+0.0` included).
    const NEG_ZERO: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// Number of virtual accumulator lanes in the fixed summation order
    /// (see [`crate::reduce`]).
    const SUM_LANES: usize;
    /// Number of elements in one summation block (see [`crate::reduce`]).
    const SUM_BLOCK: usize;

    /// Converts a pixel index to this type (`i as f32`), exactly as the
    /// Mandelbrot definition does.
    fn from_index(i: usize) -> Self;
    /// Widens or narrows from `f64` (rounding to nearest for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Widens to `f64`.
    fn to_f64(self) -> f64;
    /// The bit pattern, widened to 64 bits, for bitwise comparisons.
    fn to_bits_u64(self) -> u64;
    /// `true` for NaN.
    fn is_nan(self) -> bool;

    /// The one NaN a reduction returns: positive, quiet, payload zero
    /// (the default quiet NaN: `0x7fc0_0000` for `f32`,
    /// `0x7ff8_0000_0000_0000` for `f64`). See [`crate::reduce`].
    const CANONICAL_NAN: Self;
    /// The element with IEEE-754 bits `bits` (the low 32 bits for `f32`),
    /// exactly: NaN sign and payload included.
    fn from_bits_u64(bits: u64) -> Self;
    /// `self`, except that every NaN becomes [`Self::CANONICAL_NAN`]. One
    /// compare and a select, no branch on the value's class otherwise.
    #[inline(always)]
    fn canonical_nan(self) -> Self {
        if self.is_nan() {
            Self::CANONICAL_NAN
        } else {
            self
        }
    }
}

macro_rules! element {
    ($t:ty, $bits:ty, $nan:literal, $dtype:expr, $lanes:literal, $block:literal) => {
        impl Element for $t {
            const CANONICAL_NAN: Self = <$t>::from_bits($nan);
            const NAME: &'static str = $dtype.name();
            const DTYPE: Dtype = $dtype;
            const ZERO: Self = 0.0;
            const NEG_ZERO: Self = -0.0;
            const EPSILON: Self = <$t>::EPSILON;
            const SUM_LANES: usize = $lanes;
            const SUM_BLOCK: usize = $block;
            #[inline(always)]
            fn from_index(i: usize) -> Self {
                i as $t
            }
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_bits_u64(self) -> u64 {
                self.to_bits() as u64
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn from_bits_u64(bits: u64) -> Self {
                <$t>::from_bits(bits as $bits)
            }
        }
    };
}

element!(f32, u32, 0x7fc0_0000, Dtype::F32, 64, 1024);
element!(f64, u64, 0x7ff8_0000_0000_0000, Dtype::F64, 32, 512);

/// Hides a value from the optimizer so that loops in the scalar oracle stay
/// one element at a time (LLVM cannot vectorize through it).
#[inline(always)]
pub(crate) fn opaque<T>(x: T) -> T {
    std::hint::black_box(x)
}
