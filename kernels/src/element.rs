//! The element types simdpar computes on: `f32` and `f64`.

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Sub};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
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
    /// `f32` or `f64`: the dtype name used in JSON, Python and reports.
    const NAME: &'static str;
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

    #[doc(hidden)]
    fn reduce_table(isa: simdpar_dispatch::Isa) -> &'static crate::reduce::ReduceTable<Self>;
    #[doc(hidden)]
    fn map_table(isa: simdpar_dispatch::Isa) -> &'static crate::map::MapTable<Self>;
    #[doc(hidden)]
    fn mandelbrot_table(
        isa: simdpar_dispatch::Isa,
    ) -> &'static crate::mandelbrot::MandelbrotTable<Self>;
}

macro_rules! element {
    ($t:ty, $name:literal, $lanes:literal, $block:literal, $suffix:ident) => {
        impl Element for $t {
            const NAME: &'static str = $name;
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
            fn reduce_table(
                isa: simdpar_dispatch::Isa,
            ) -> &'static crate::reduce::ReduceTable<Self> {
                crate::reduce::$suffix(isa)
            }
            fn map_table(isa: simdpar_dispatch::Isa) -> &'static crate::map::MapTable<Self> {
                crate::map::$suffix(isa)
            }
            fn mandelbrot_table(
                isa: simdpar_dispatch::Isa,
            ) -> &'static crate::mandelbrot::MandelbrotTable<Self> {
                crate::mandelbrot::$suffix(isa)
            }
        }
    };
}

element!(f32, "f32", 64, 1024, table_f32);
element!(f64, "f64", 32, 512, table_f64);

/// Hides a value from the optimizer so that loops in the scalar oracle stay
/// one element at a time (LLVM cannot vectorize through it).
#[inline(always)]
pub(crate) fn opaque<T>(x: T) -> T {
    std::hint::black_box(x)
}
