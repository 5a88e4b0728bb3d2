//! The fixed-order reduction written once over [`SimdVec`] (see the
//! [module docs](super) for the order). `L` lanes are held in
//! `L / V::LANES` vector accumulators: accumulator `k` holds lanes
//! `k*LANES .. (k+1)*LANES`.

use crate::Element;
use crate::simd::SimdVec;
use crate::vocab::Fetch;

/// How far ahead of the loads [`Fetch::Ahead`] prefetches, in bytes: 32
/// cache lines, the distance that paid on two threads without costing one
/// (`docs/measurements.md#prefetch-distance`).
const PREFETCH_AHEAD: usize = 2048;

/// Prefetches the lines of `bytes` bytes from `p + PREFETCH_AHEAD`.
#[inline(always)]
unsafe fn prefetch_ahead<V: SimdVec>(p: *const V::Elem, bytes: usize) {
    let base = p.cast::<u8>().wrapping_add(PREFETCH_AHEAD);
    let mut off = 0;
    while off < bytes {
        // SAFETY: a prefetch never faults; wrapping_add keeps the address
        // arithmetic defined past the end of the slice.
        unsafe { V::prefetch(base.wrapping_add(off)) };
        off += 64;
    }
}

/// Upper bound on accumulators (`L / LANES`: 64 / 4 for NEON f32).
const MAX_ACCS: usize = 16;

/// Sums of `R` blocks of `len <= SUM_BLOCK` elements each (starting at
/// `ps[r]`), each in the fixed lane order.
///
/// The kernels use `R = 1`: summing two adjacent blocks (or rows) per loop
/// was measured (interleaved medians, AVX2, `benches/` + an ad-hoc run) to be
/// slower at every size, 1.8x at DRAM size, where reading two streams 2 KiB
/// apart defeats the hardware prefetcher; in L1 the extra chains did not pay
/// either. `R` stays a parameter so the experiment is one line to repeat.
///
/// # Safety
/// Each `ps[r]` must be valid for `len` reads; the ISA of `V` must be usable.
/// With `AHEAD`, every loop step also prefetches the bytes it will read
/// [`PREFETCH_AHEAD`] bytes later (the additions are the same).
// Indexing `acc[r][k]` by lane group and block reads closest to the order
// the module docs define.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
unsafe fn block_sums<V: SimdVec, const R: usize, const AHEAD: bool>(
    ps: [*const V::Elem; R],
    len: usize,
) -> [V::Elem; R] {
    let lanes = V::Elem::SUM_LANES;
    let accs = lanes / V::LANES;
    let mut acc = [[unsafe { V::splat(V::Elem::NEG_ZERO) }; MAX_ACCS]; R];
    let full = len / lanes;
    let step_bytes = lanes * size_of::<V::Elem>();
    for c in 0..full {
        if AHEAD {
            for p in ps {
                // SAFETY: a hint only (see prefetch_ahead).
                unsafe { prefetch_ahead::<V>(p.wrapping_add(c * lanes), step_bytes) };
            }
        }
        for k in 0..accs {
            for r in 0..R {
                // SAFETY: c*lanes + k*LANES + LANES <= full*lanes <= len.
                acc[r][k] = unsafe { acc[r][k].add(V::load(ps[r].add(c * lanes + k * V::LANES))) };
            }
        }
    }
    let rest = len - full * lanes;
    if AHEAD && rest > 0 {
        for p in ps {
            // SAFETY: a hint only (see prefetch_ahead).
            unsafe {
                prefetch_ahead::<V>(p.wrapping_add(full * lanes), rest * size_of::<V::Elem>())
            };
        }
    }
    if rest > 0 {
        // The last partial group: element i goes to lane i; missing lanes
        // add -0.0, which changes nothing (so accumulators past the end are
        // skipped, and a partial vector is filled with -0.0).
        for k in 0..accs {
            let lo = k * V::LANES;
            for r in 0..R {
                // SAFETY: full*lanes + rest == len.
                let tail = unsafe { ps[r].add(full * lanes) };
                if rest >= lo + V::LANES {
                    // SAFETY: lo + LANES <= rest elements remain at tail.
                    acc[r][k] = unsafe { acc[r][k].add(V::load(tail.add(lo))) };
                } else if rest > lo {
                    // SAFETY: rest - lo < LANES elements remain at tail + lo.
                    let v = unsafe { V::load_partial(tail.add(lo), rest - lo, V::Elem::NEG_ZERO) };
                    acc[r][k] = unsafe { acc[r][k].add(v) };
                }
            }
        }
    }
    let mut out = [V::Elem::ZERO; R];
    for r in 0..R {
        let mut w = accs;
        while w > 1 {
            w /= 2;
            for k in 0..w {
                acc[r][k] = unsafe { acc[r][k].add(acc[r][k + w]) };
            }
        }
        out[r] = unsafe { acc[r][0].reduce_halving() };
    }
    out
}

/// Depth of the block-tree stack: one entry per bit of the block count.
const TREE_DEPTH: usize = usize::BITS as usize;

/// Adds the next block's sum to the block tree, evaluated as a binary
/// counter: equal-sized neighbours merge (left + right), which performs
/// exactly the additions of the recursive definition. The stack lives in the
/// caller's local arrays (passed by reference, never moved: a moved array
/// becomes a `memcpy` call, and the AVX-512 kernels must stay leaf code).
#[inline(always)]
fn tree_push<T: Element>(
    sums: &mut [T; TREE_DEPTH],
    sizes: &mut [usize; TREE_DEPTH],
    depth: &mut usize,
    mut s: T,
) {
    let mut size = 1;
    while *depth > 0 && sizes[*depth - 1] == size {
        *depth -= 1;
        s = sums[*depth] + s;
        size *= 2;
    }
    sums[*depth] = s;
    sizes[*depth] = size;
    *depth += 1;
}

/// Folds the remaining groups of the block tree, right to left (`depth >= 1`).
#[inline(always)]
fn tree_finish<T: Element>(sums: &[T; TREE_DEPTH], depth: usize) -> T {
    let mut total = sums[depth - 1];
    for d in (0..depth - 1).rev() {
        total = sums[d] + total;
    }
    total
}

/// Sum of `x` in the fixed order, block by block.
#[inline(always)]
pub(crate) unsafe fn sum<V: SimdVec>(x: &[V::Elem], fetch: Fetch) -> V::Elem {
    match fetch {
        // SAFETY: the caller's guarantees, passed on.
        Fetch::OnDemand => unsafe { sum_with::<V, false>(x) },
        Fetch::Ahead => unsafe { sum_with::<V, true>(x) },
    }
}

#[inline(always)]
unsafe fn sum_with<V: SimdVec, const AHEAD: bool>(x: &[V::Elem]) -> V::Elem {
    // One check per result: a NaN leaves as the canonical NaN, whatever
    // sign and payload the additions propagated (see `crate::reduce`).
    unsafe { tree_sum::<V, AHEAD>(x) }.canonical_nan()
}

/// The fixed-order sum of `x`, a NaN as the additions left it.
#[inline(always)]
unsafe fn tree_sum<V: SimdVec, const AHEAD: bool>(x: &[V::Elem]) -> V::Elem {
    if x.is_empty() {
        return V::Elem::ZERO;
    }
    let mut sums = [V::Elem::ZERO; TREE_DEPTH];
    let mut sizes = [0usize; TREE_DEPTH];
    let mut depth = 0;
    for block in x.chunks(V::Elem::SUM_BLOCK) {
        // SAFETY: the block's elements are inside x.
        let [s] = unsafe { block_sums::<V, 1, AHEAD>([block.as_ptr()], block.len()) };
        tree_push(&mut sums, &mut sizes, &mut depth, s);
    }
    tree_finish(&sums, depth)
}

/// `out[r] = sum(row r)` for `r < out.len()`, rows of `cols` elements.
#[inline(always)]
pub(crate) unsafe fn row_sums<V: SimdVec>(
    m: &[V::Elem],
    cols: usize,
    out: &mut [V::Elem],
    fetch: Fetch,
) {
    match fetch {
        // SAFETY: the caller's guarantees, passed on.
        Fetch::OnDemand => unsafe { row_sums_with::<V, false>(m, cols, out) },
        Fetch::Ahead => unsafe { row_sums_with::<V, true>(m, cols, out) },
    }
}

#[inline(always)]
unsafe fn row_sums_with<V: SimdVec, const AHEAD: bool>(
    m: &[V::Elem],
    cols: usize,
    out: &mut [V::Elem],
) {
    if cols == 0 {
        // Every row sums no elements: +0.0. The zero goes through black_box
        // so that LLVM does not turn the loop into a `memset` call (the
        // kernels are leaf functions; see tests/bochs).
        let zero = core::hint::black_box(V::Elem::ZERO);
        for o in out.iter_mut() {
            *o = zero;
        }
        return;
    }
    for (o, row) in out.iter_mut().zip(m.chunks_exact(cols)) {
        *o = if cols <= V::Elem::SUM_BLOCK {
            // SAFETY: the row's elements are inside m.
            let [s] = unsafe { block_sums::<V, 1, AHEAD>([row.as_ptr()], cols) };
            s
        } else {
            unsafe { tree_sum::<V, AHEAD>(row) }
        }
        // One check per row costs about nothing; a second pass over `out`
        // cost more (`docs/measurements.md#nan-check-per-row`).
        .canonical_nan();
    }
}
