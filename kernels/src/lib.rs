//! simdpar's compute kernels, written once per instruction set.
//!
//! * **Reductions** ([`reduce`]): [`sum`], [`row_sums`], in one fixed,
//!   documented summation order shared by every ISA and thread count.
//! * **Elementwise** ([`map`]): [`add`], [`multiply`], [`square`], [`scale`],
//!   [`leaky_relu`], in-place forms, [`add_assign`], [`multiply_assign`].
//! * **Mandelbrot** ([`mandelbrot()`]): iteration counts over a grid.
//! * **Parallel** ([`par`]): rayon versions of all of them.
//! * **Buffers**: [`AlignedVec`] and [`Arena`].
//!
//! Every function here runs the ISA that [`simdpar_dispatch::active_isa`]
//! names on the calling thread; each family module also exposes its ISA
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
//! * NaN, ±Inf, -0.0 and subnormals give the same results on every path
//!   (NaN payloads aside).

/// Generates a family's `table_f32` / `table_f64`: the family's kernels for
/// an ISA (its `TABLE_F32` / `TABLE_F64` statics), the scalar ones for an ISA
/// this build has no code for (never selected: such an ISA is never active).
macro_rules! isa_tables {
    ($table:ident) => {
        crate::isa_tables!(@one $table, table_f32, f32, TABLE_F32);
        crate::isa_tables!(@one $table, table_f64, f64, TABLE_F64);
    };
    (@one $table:ident, $name:ident, $t:ty, $field:ident) => {
        #[doc(hidden)]
        pub fn $name(isa: Isa) -> &'static $table<$t> {
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
mod element;
mod error;
pub mod mandelbrot;
pub mod map;
pub mod par;
pub mod reduce;
pub(crate) mod simd;

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
pub use reduce::{row_sums, sum};
pub use simdpar_dispatch as dispatch;

/// The kernel names used in JSON, Python and reports, in a stable order.
pub const KERNEL_NAMES: [&str; 8] = [
    "sum",
    "row_sums",
    "add",
    "multiply",
    "square",
    "scale",
    "leaky_relu",
    "mandelbrot",
];

/// The dtype names used in JSON, Python and reports.
pub const DTYPE_NAMES: [&str; 2] = ["f32", "f64"];

/// The ISA that runs `kernel` for `dtype` on this thread now, or `None` for
/// an unknown kernel or dtype name.
pub fn kernel_isa(kernel: &str, dtype: &str) -> Option<simdpar_dispatch::Isa> {
    let isa = simdpar_dispatch::active_isa();
    let known = KERNEL_NAMES.contains(&kernel);
    let resolved = match dtype {
        "f32" => Some((
            reduce::table_f32(isa).isa(),
            map::table_f32(isa).isa(),
            mandelbrot::table_f32(isa).isa(),
        )),
        "f64" => Some((
            reduce::table_f64(isa).isa(),
            map::table_f64(isa).isa(),
            mandelbrot::table_f64(isa).isa(),
        )),
        _ => None,
    }?;
    if !known {
        return None;
    }
    Some(match kernel {
        "sum" | "row_sums" => resolved.0,
        "mandelbrot" => resolved.2,
        _ => resolved.1,
    })
}
