//! simdpar's compute kernels, written once per instruction set.
//!
//! * **Reductions** ([`reduce`]): [`sum`], [`row_sums`], in one fixed,
//!   documented summation order shared by every ISA and thread count.
//! * **Elementwise** ([`map`]): [`add`], [`multiply`], [`square`], [`scale`],
//!   [`leaky_relu`], in-place forms, [`add_assign`], [`multiply_assign`].
//! * **Mandelbrot** ([`mandelbrot()`]): iteration counts over a grid.
//! * **Parallel** ([`par`]): all of them on simdpar's own fork-safe pool.
//! * **Plans** ([`plan()`]): which ISA and how many threads a call runs, and why;
//!   the tuned profile it follows ([`plan::profile`]) and the tuner that
//!   measures one ([`plan::tune`]).
//! * **Buffers**: [`AlignedVec`] and [`Arena`].
//! * **Timing** ([`timing`]): the interleaved-rounds engine that the tuner
//!   and the benchmarks measure with.
//!
//! Every function here runs the ISA that [`plan()`] picks for its kernel,
//! dtype and size class on the calling thread (the one a scope, `set_isa`
//! or `SIMDPAR_ISA` forces, if any); each family module also exposes its ISA
//! files (`reduce::avx2`, `map::neon`, ...) whose functions take the ISA's
//! token, for callers that choose the path themselves.
//!
//! # Numerical contract
//!
//! * Elementwise kernels and Mandelbrot are **bitwise identical** to the
//!   scalar path on every ISA: each result is computed by the documented
//!   expression, one rounding per operation, no fused multiply-add.
//! * `sum` and `row_sums` follow one fixed reduction order (see [`reduce`]),
//!   so they too are bitwise identical across ISAs and across any number of
//!   threads, and as accurate as pairwise summation.
//! * ±Inf, -0.0 and subnormals give the same bits on every path; a NaN
//!   reduction result is the one canonical quiet NaN everywhere, and an
//!   elementwise NaN is NaN on every path (its sign and payload unspecified,
//!   as in IEEE 754 and NumPy).

/// Generates a family's dispatch tables: `table_f32` / `table_f64` (the
/// family's kernels for an ISA: its `TABLE_F32` / `TABLE_F64` statics, the
/// scalar ones for an ISA this build has no code for, which is never
/// selected since such an ISA is never active) and the marker type `Tables`
/// through which `T::table::<Tables>(isa)` finds them for any `T: Element`.
macro_rules! isa_tables {
    ($table:ident) => {
        crate::isa_tables!(@one $table, table_f32, f32, TABLE_F32);
        crate::isa_tables!(@one $table, table_f64, f64, TABLE_F64);

        /// This family's tables, for [`crate::element::sealed::Tables`].
        pub(crate) struct Tables;

        /// This family's kernels for `T` on `isa` (which must be supported
        /// for the kernels to be callable).
        #[inline(always)]
        pub(crate) fn table_for<T: crate::Element>(isa: Isa) -> &'static $table<T> {
            let t = T::table::<Tables>(isa);
            // Every ISA file registers its own ISA; an ISA this build has no
            // code for falls back to the scalar table (and is never active).
            debug_assert!(t.isa == isa || t.isa == Isa::Scalar, "{isa} table");
            t
        }

        impl crate::element::sealed::Tables for Tables {
            type Table<T: 'static> = $table<T>;
            #[inline(always)]
            fn f32(isa: Isa) -> &'static $table<f32> {
                table_f32(isa)
            }
            #[inline(always)]
            fn f64(isa: Isa) -> &'static $table<f64> {
                table_f64(isa)
            }
        }
    };
    (@one $table:ident, $name:ident, $t:ty, $field:ident) => {
        pub(crate) fn $name(isa: Isa) -> &'static $table<$t> {
            match isa {
                Isa::Portable => &portable::$field,
                #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
                Isa::Avx2 => &avx2::$field,
                #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
                Isa::Avx512 => &avx512::$field,
                #[cfg(target_arch = "aarch64")]
                Isa::Neon => &neon::$field,
                _ => &scalar::$field,
            }
        }
    };
}
pub(crate) use isa_tables;

pub mod aligned;
pub mod arena;
pub mod bandwidth;
mod element;
mod error;
pub mod mandelbrot;
pub mod map;
pub mod par;
pub mod plan;
pub mod reduce;
pub(crate) mod simd;
pub mod timing;
pub mod vocab;

pub use aligned::{AlignedVec, BufferError, Plain};
pub use arena::{Arena, ArenaError};
pub use element::Element;
pub use error::KernelError;
pub use mandelbrot::{MandelbrotGrid, mandelbrot};
pub use map::{
    add, add_assign, leaky_relu, leaky_relu_inplace, multiply, multiply_assign, scale,
    scale_inplace, square, square_inplace,
};
pub use par::Threads;
pub use plan::{Plan, Reason, plan};
pub use reduce::accumulator::{AccumulatorError, SumAccumulator};
pub use reduce::{row_sums, sum};
pub use simdpar_dispatch as dispatch;
pub use vocab::{Dtype, Family, Kernel, UnknownName};

/// Whether `SIMDPAR_CI=1` is set, which makes a skipped test fail (CI must
/// run every test): the one reader of the variable.
#[cfg(test)]
pub(crate) fn skips_fail() -> bool {
    std::env::var("SIMDPAR_CI").is_ok_and(|v| v == "1")
}

/// The ISA a call of `kernel` on `len` elements of `dtype` runs on this
/// thread now: the ISA forced by a scope, `set_isa` or `SIMDPAR_ISA` if any,
/// else the tuned profile's or the built-in choice for the call's size class
/// (capped by `SIMDPAR_MAX_ISA` / `SIMDPAR_DISABLE_ISA`); `len` counts as
/// in [`plan()`], which adds the thread count and the reason.
pub fn kernel_isa(kernel: Kernel, dtype: Dtype, len: usize) -> simdpar_dispatch::Isa {
    plan::isa_for(kernel, dtype, len)
}
