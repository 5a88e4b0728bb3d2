//! Reductions: [`sum`] and [`row_sums`], in one fixed summation order.
//!
//! # The summation order (shared by every ISA and every thread count)
//!
//! Let `L` be [`Element::SUM_LANES`] (64 for f32, 32 for f64) and `B` be
//! [`Element::SUM_BLOCK`] (1024 for f32, 512 for f64, so each lane adds at
//! most 16 terms per block). `L` is wider than any register on purpose:
//! an AVX2 core keeps 8 independent add chains in flight (AVX-512: 4, NEON:
//! 16), which measured 1.4x faster in L1 than 32 lanes, with the same
//! accuracy (16 terms per lane).
//!
//! 1. **Blocks.** `x` is cut into blocks of `B` elements (the last may be
//!    shorter).
//! 2. **Lanes.** Within a block, element `i` (counted from the block start)
//!    is added to lane `i % L`, in increasing `i`. Lanes start at `-0.0`, the
//!    exact identity of addition.
//! 3. **Lane tree.** The `L` lanes are folded by halving: lane `j += lane j + w`
//!    for `j < w`, with `w = L/2, L/4, ..., 1`. Lane 0 is the block sum.
//! 4. **Block tree.** Block sums are combined pairwise: the sum of blocks
//!    `[lo, hi)` is `sum[lo, lo+P) + sum[lo+P, hi)` where `P` is the largest
//!    power of two below `hi - lo`.
//! 5. The sum of no elements is `+0.0`.
//! 6. **NaN.** A sum that is NaN (a NaN input, or `+Inf` and `-Inf` meeting
//!    in an addition) is returned as [`Element::CANONICAL_NAN`]: positive,
//!    quiet, payload zero (`f32` bits `0x7fc0_0000`, `f64`
//!    `0x7ff8_0000_0000_0000`). The additions themselves propagate
//!    whichever NaN the hardware picks (x86 makes `Inf - Inf` a negative
//!    NaN, Arm a positive one, and which operand's payload survives depends
//!    on the operand order), so every result is checked once on its way
//!    out: one compare per sum, per row of `row_sums`, per
//!    [`accumulator::SumAccumulator`] result.
//!
//! Every ISA computes exactly these additions (vector accumulators hold
//! whole groups of lanes), and the parallel driver splits work only at the
//! block tree's own split points, so results are **bitwise identical** across
//! `scalar`, `portable`, `avx2`, `avx512`, `neon` and any number of threads.
//! The error bound is that of pairwise summation with 16-term leaves:
//! `|error| <= (16 + log2(L) + ceil(log2(n / B)) + 1) * eps * sum(|x|)`
//! (to first order), as good as NumPy's pairwise sum.
//!
//! Whether a sum is NaN depends only on the values, never on the path, so
//! with rule 6 the bits are the same for NaN results too.
//!
//! `row_sums(m)[r]` is `sum(row r)`, bit for bit.
//!
//! How the input is read does not change the order: beyond the last-level
//! cache the loops also prefetch 2 KiB ahead of their loads ([`Fetch`]),
//! and `sum` reads the complete subtrees of at least
//! [`READ_STREAMS_FROM_BYTES`](crate::plan::READ_STREAMS_FROM_BYTES) of
//! its block tree as 1, 2 or 4 interleaved streams ([`Streams`]: the
//! equal sub-subtrees side by side, each with its own stack; a subtree
//! beyond [`READ_STREAMS_UP_TO_BYTES`](crate::plan::READ_STREAMS_UP_TO_BYTES)
//! as its subtrees of that size in turn), with the same additions;
//! `row_sums` of a matrix of that size reads that many rows far apart side
//! by side, each row in its own order.
//!
//! The order also lets a sum be assembled from pieces summed apart (a
//! stream, the chunks of a distributed array, other processes): see
//! [`accumulator::SumAccumulator`], whose result is bitwise that of `sum` for
//! any cut, with the same error bound.

pub mod accumulator;
pub(crate) mod generic;
pub mod portable;
pub mod scalar;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod avx2;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod avx512;
#[cfg(target_arch = "aarch64")]
pub mod neon;

pub use crate::vocab::{Fetch, Streams};

use crate::vocab::Kernel;
use crate::{Element, KernelError};
use simdpar_dispatch::Isa;

/// The reduction kernels of one ISA for one dtype (function pointers
/// resolved once; see [`Element`]). Only reachable for supported ISAs.
pub(crate) struct ReduceTable<T: 'static> {
    pub(crate) isa: Isa,
    /// Sum of a slice in the fixed order, its large subtrees read as the
    /// plan's stream count for this ISA and dtype
    /// ([`crate::plan::read_streams`], looked up only for inputs of at
    /// least [`READ_STREAMS_FROM_BYTES`](crate::plan::READ_STREAMS_FROM_BYTES)).
    pub(crate) sum: unsafe fn(&[T], Fetch) -> T,
    /// The same with the stream count given.
    pub(crate) sum_streams: unsafe fn(&[T], Fetch, Streams) -> T,
    /// `out[r] = sum(matrix[r*cols..(r+1)*cols])` for `r < out.len()`;
    /// requires `matrix.len() >= out.len() * cols`.
    pub(crate) row_sums: unsafe fn(&[T], usize, &mut [T], Fetch),
}

crate::isa_tables!(ReduceTable);

/// The kernels and the read policy (prefetch, streams) of a
/// single-threaded reduction over `len` elements, from one table lookup.
#[inline]
fn serial_plan<T: Element>(
    kernel: Kernel,
    len: usize,
) -> (&'static ReduceTable<T>, Fetch, Streams) {
    let (isa, fetch, streams) = crate::plan::serial_reduce(kernel, T::DTYPE, len);
    (table_for::<T>(isa), fetch, streams)
}

/// Sum of `x` in simdpar's fixed order (see the module docs): bitwise the
/// same on every ISA and thread count; `+0.0` for an empty slice; a NaN sum
/// is [`Element::CANONICAL_NAN`].
///
/// ```
/// assert_eq!(simdpar_kernels::sum(&[1.0f32, 2.0, 3.0]), 6.0);
/// ```
#[inline]
pub fn sum<T: Element>(x: &[T]) -> T {
    let (t, fetch, streams) = serial_plan::<T>(Kernel::Sum, x.len());
    // SAFETY: `serial_plan` returns the table of a supported ISA.
    unsafe { (t.sum_streams)(x, fetch, streams) }
}

/// Checks a row-major matrix shape: `matrix.len() == rows * cols`.
pub(crate) fn check_matrix(len: usize, rows: usize, cols: usize) -> Result<(), KernelError> {
    match rows.checked_mul(cols) {
        Some(n) if n == len => Ok(()),
        _ => Err(KernelError::BadShape { len, rows, cols }),
    }
}

/// Sums each row of a row-major `rows x cols` matrix into `out`, where
/// `rows = out.len()`: `out[r] = sum(matrix[r*cols .. (r+1)*cols])` bit for bit.
///
/// Errors (nothing written) when `matrix.len() != out.len() * cols`.
///
/// ```
/// let m = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let mut out = [0.0; 2];
/// simdpar_kernels::row_sums(&m, 3, &mut out).unwrap();
/// assert_eq!(out, [6.0, 15.0]);
/// ```
pub fn row_sums<T: Element>(matrix: &[T], cols: usize, out: &mut [T]) -> Result<(), KernelError> {
    check_matrix(matrix.len(), out.len(), cols)?;
    let (t, fetch, _) = serial_plan::<T>(Kernel::RowSums, matrix.len());
    // SAFETY: supported ISA; the shape was checked above.
    unsafe { (t.row_sums)(matrix, cols, out, fetch) };
    Ok(())
}

/// The split point of the block tree for `count >= 2` blocks: the largest
/// power of two strictly below `count`.
#[inline]
pub(crate) fn split_blocks(count: usize) -> usize {
    debug_assert!(count >= 2);
    1 << (usize::BITS - 1 - (count - 1).leading_zeros())
}

/// Generates an ISA file's reductions for f32 and f64: the entry points the
/// tables hold (compiled under the ISA's attributes), the public functions
/// that take the ISA's token (none for `portable`), and the two tables. The
/// grammar and each ISA's arguments: [`crate::simd::isa_shim`].
macro_rules! reduce_isa {
    (isa = $isa:expr; [$($tf:tt)*] [$($tok:ident : $token:ty)?]; f32 = $v32:ty, f64 = $v64:ty) => {
        use crate::reduce::{ReduceTable, generic};
        use crate::vocab::{Dtype, Fetch, Streams};

        $($tf)*
        unsafe fn sum_f32_tf(x: &[f32], fetch: Fetch, streams: Streams) -> f32 {
            // SAFETY: the caller holds the ISA's proof.
            unsafe { generic::sum::<$v32>(x, fetch, streams) }
        }
        $($tf)*
        unsafe fn sum_f64_tf(x: &[f64], fetch: Fetch, streams: Streams) -> f64 {
            // SAFETY: as above.
            unsafe { generic::sum::<$v64>(x, fetch, streams) }
        }
        /// The table's `sum`: the plan's stream count, looked up only
        /// where some subtree can be large enough to stream (outside the
        /// leaf kernel, which stays free of calls).
        unsafe fn sum_f32_planned(x: &[f32], fetch: Fetch) -> f32 {
            let streams = crate::plan::read_streams_for(Dtype::F32, $isa, size_of_val(x));
            // SAFETY: as above.
            unsafe { sum_f32_tf(x, fetch, streams) }
        }
        /// As [`sum_f32_planned`].
        unsafe fn sum_f64_planned(x: &[f64], fetch: Fetch) -> f64 {
            let streams = crate::plan::read_streams_for(Dtype::F64, $isa, size_of_val(x));
            // SAFETY: as above.
            unsafe { sum_f64_tf(x, fetch, streams) }
        }
        $($tf)*
        unsafe fn row_sums_f32_tf(m: &[f32], cols: usize, out: &mut [f32], fetch: Fetch) {
            // SAFETY: as above.
            unsafe { generic::row_sums::<$v32>(m, cols, out, fetch) }
        }
        $($tf)*
        unsafe fn row_sums_f64_tf(m: &[f64], cols: usize, out: &mut [f64], fetch: Fetch) {
            // SAFETY: as above.
            unsafe { generic::row_sums::<$v64>(m, cols, out, fetch) }
        }
        $($tf)*
        unsafe fn row_sums_f32_streams_tf(m: &[f32], cols: usize, out: &mut [f32], fetch: Fetch, streams: Streams) {
            // SAFETY: as above.
            unsafe { generic::row_sums_streams::<$v32>(m, cols, out, fetch, streams) }
        }
        $($tf)*
        unsafe fn row_sums_f64_streams_tf(m: &[f64], cols: usize, out: &mut [f64], fetch: Fetch, streams: Streams) {
            // SAFETY: as above.
            unsafe { generic::row_sums_streams::<$v64>(m, cols, out, fetch, streams) }
        }
        /// `row_sums` with `streams` rows side by side where the matrix is
        /// large enough to stream, else the one-row loop.
        unsafe fn row_sums_f32_read(m: &[f32], cols: usize, out: &mut [f32], fetch: Fetch, streams: Streams) {
            if streams == Streams::One || size_of_val(m) < crate::plan::READ_STREAMS_FROM_BYTES {
                // SAFETY: as above.
                unsafe { row_sums_f32_tf(m, cols, out, fetch) }
            } else {
                // SAFETY: as above.
                unsafe { row_sums_f32_streams_tf(m, cols, out, fetch, streams) }
            }
        }
        /// As [`row_sums_f32_read`].
        unsafe fn row_sums_f64_read(m: &[f64], cols: usize, out: &mut [f64], fetch: Fetch, streams: Streams) {
            if streams == Streams::One || size_of_val(m) < crate::plan::READ_STREAMS_FROM_BYTES {
                // SAFETY: as above.
                unsafe { row_sums_f64_tf(m, cols, out, fetch) }
            } else {
                // SAFETY: as above.
                unsafe { row_sums_f64_streams_tf(m, cols, out, fetch, streams) }
            }
        }
        /// The table's `row_sums`: the plan's stream count (that of `sum`
        /// for the dtype), looked up only where the rows are large enough
        /// to stream.
        unsafe fn row_sums_f32_planned(m: &[f32], cols: usize, out: &mut [f32], fetch: Fetch) {
            let streams = crate::plan::read_streams_for(Dtype::F32, $isa, size_of_val(m));
            // SAFETY: as above.
            unsafe { row_sums_f32_read(m, cols, out, fetch, streams) }
        }
        /// As [`row_sums_f32_planned`].
        unsafe fn row_sums_f64_planned(m: &[f64], cols: usize, out: &mut [f64], fetch: Fetch) {
            let streams = crate::plan::read_streams_for(Dtype::F64, $isa, size_of_val(m));
            // SAFETY: as above.
            unsafe { row_sums_f64_read(m, cols, out, fetch, streams) }
        }

        /// Sum in the fixed order (see [`crate::reduce`]) on this ISA,
        /// reading as `fetch` says and its large subtrees as this ISA's
        /// built-in stream count
        /// ([`default_read_streams`](crate::plan::default_read_streams));
        /// the bits depend on neither.
        pub fn sum_f32($($tok: $token,)? x: &[f32], fetch: Fetch) -> f32 {
            $(let _ = $tok;)?
            // SAFETY: the token (or the portable baseline) proves support.
            unsafe { sum_f32_tf(x, fetch, crate::plan::default_read_streams($isa)) }
        }
        /// Sum in the fixed order (see [`crate::reduce`]) on this ISA,
        /// reading as `fetch` says and its large subtrees as this ISA's
        /// built-in stream count
        /// ([`default_read_streams`](crate::plan::default_read_streams));
        /// the bits depend on neither.
        pub fn sum_f64($($tok: $token,)? x: &[f64], fetch: Fetch) -> f64 {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { sum_f64_tf(x, fetch, crate::plan::default_read_streams($isa)) }
        }
        /// [`sum_f32`] with its large subtrees read as `streams`
        /// interleaved streams (the bits are the same for every count).
        pub fn sum_f32_streams($($tok: $token,)? x: &[f32], fetch: Fetch, streams: Streams) -> f32 {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { sum_f32_tf(x, fetch, streams) }
        }
        /// [`sum_f64`] with its large subtrees read as `streams`
        /// interleaved streams (the bits are the same for every count).
        pub fn sum_f64_streams($($tok: $token,)? x: &[f64], fetch: Fetch, streams: Streams) -> f64 {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { sum_f64_tf(x, fetch, streams) }
        }
        /// Row sums of the first `out.len()` rows of `cols` columns on this ISA
        /// (rows missing from `matrix` are left untouched), large matrices
        /// read as this ISA's built-in stream count of rows side by side
        /// ([`default_read_streams`](crate::plan::default_read_streams)).
        pub fn row_sums_f32($($tok: $token,)? matrix: &[f32], cols: usize, out: &mut [f32], fetch: Fetch) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { row_sums_f32_read(matrix, cols, out, fetch, crate::plan::default_read_streams($isa)) }
        }
        /// Row sums of the first `out.len()` rows of `cols` columns on this ISA
        /// (rows missing from `matrix` are left untouched), large matrices
        /// read as this ISA's built-in stream count of rows side by side
        /// ([`default_read_streams`](crate::plan::default_read_streams)).
        pub fn row_sums_f64($($tok: $token,)? matrix: &[f64], cols: usize, out: &mut [f64], fetch: Fetch) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { row_sums_f64_read(matrix, cols, out, fetch, crate::plan::default_read_streams($isa)) }
        }
        /// [`row_sums_f32`] reading `streams` rows side by side (the bits
        /// are the same for every count).
        pub fn row_sums_f32_streams($($tok: $token,)? matrix: &[f32], cols: usize, out: &mut [f32], fetch: Fetch, streams: Streams) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { row_sums_f32_read(matrix, cols, out, fetch, streams) }
        }
        /// [`row_sums_f64`] reading `streams` rows side by side (the bits
        /// are the same for every count).
        pub fn row_sums_f64_streams($($tok: $token,)? matrix: &[f64], cols: usize, out: &mut [f64], fetch: Fetch, streams: Streams) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { row_sums_f64_read(matrix, cols, out, fetch, streams) }
        }

        pub(crate) static TABLE_F32: ReduceTable<f32> = ReduceTable {
            isa: $isa,
            sum: sum_f32_planned,
            sum_streams: sum_f32_tf,
            row_sums: row_sums_f32_planned,
        };
        pub(crate) static TABLE_F64: ReduceTable<f64> = ReduceTable {
            isa: $isa,
            sum: sum_f64_planned,
            sum_streams: sum_f64_tf,
            row_sums: row_sums_f64_planned,
        };
    };
}
pub(crate) use reduce_isa;
