//! The fixed-order reduction written once over [`SimdVec`] (see the
//! [module docs](super) for the order). `L` lanes are held in
//! `L / V::LANES` vector accumulators: accumulator `k` holds lanes
//! `k*LANES .. (k+1)*LANES`.

use super::split_blocks;
use crate::Element;
use crate::simd::SimdVec;

/// Upper bound on accumulators (`L / LANES` with L <= 32, LANES >= 2).
const MAX_ACCS: usize = 16;

/// Sum of one block (`x.len() <= SUM_BLOCK`) in the fixed lane order.
#[inline(always)]
unsafe fn block_sum<V: SimdVec>(x: &[V::Elem]) -> V::Elem {
    let lanes = V::Elem::SUM_LANES;
    let accs = lanes / V::LANES;
    let mut acc = [unsafe { V::splat(V::Elem::NEG_ZERO) }; MAX_ACCS];
    let full = x.len() / lanes;
    let p = x.as_ptr();
    for c in 0..full {
        for (k, a) in acc.iter_mut().enumerate().take(accs) {
            // SAFETY: c*lanes + k*LANES + LANES <= full*lanes <= x.len().
            *a = unsafe { a.add(V::load(p.add(c * lanes + k * V::LANES))) };
        }
    }
    let rest = x.len() - full * lanes;
    if rest > 0 {
        // The last partial group: element i goes to lane i; missing lanes
        // add -0.0, which changes nothing (so accumulators past the end are
        // skipped, and a partial vector is filled with -0.0).
        // SAFETY: full*lanes + rest == x.len().
        let tail = unsafe { p.add(full * lanes) };
        for (k, a) in acc.iter_mut().enumerate().take(accs) {
            let lo = k * V::LANES;
            if rest >= lo + V::LANES {
                // SAFETY: lo + LANES <= rest elements remain at tail.
                *a = unsafe { a.add(V::load(tail.add(lo))) };
            } else if rest > lo {
                // SAFETY: rest - lo < LANES elements remain at tail + lo.
                *a = unsafe { a.add(V::load_partial(tail.add(lo), rest - lo, V::Elem::NEG_ZERO)) };
            }
        }
    }
    let mut w = accs;
    while w > 1 {
        w /= 2;
        for k in 0..w {
            acc[k] = unsafe { acc[k].add(acc[k + w]) };
        }
    }
    unsafe { acc[0].reduce_halving() }
}

/// Sum of `x` in the fixed order. The block tree is evaluated with a stack
/// (a binary counter over blocks), which performs exactly the additions of
/// the recursive definition.
#[inline(always)]
pub(crate) unsafe fn sum<V: SimdVec>(x: &[V::Elem]) -> V::Elem {
    if x.is_empty() {
        return V::Elem::ZERO;
    }
    let mut sums = [V::Elem::ZERO; usize::BITS as usize];
    let mut sizes = [0usize; usize::BITS as usize];
    let mut depth = 0;
    for block in x.chunks(V::Elem::SUM_BLOCK) {
        let mut s = unsafe { block_sum::<V>(block) };
        let mut size = 1;
        while depth > 0 && sizes[depth - 1] == size {
            depth -= 1;
            s = sums[depth] + s;
            size *= 2;
        }
        sums[depth] = s;
        sizes[depth] = size;
        depth += 1;
    }
    let mut total = sums[depth - 1];
    for d in (0..depth - 1).rev() {
        total = sums[d] + total;
    }
    total
}

/// `out[r] = sum(row r)` for `r < out.len()`, rows of `cols` elements.
#[inline(always)]
pub(crate) unsafe fn row_sums<V: SimdVec>(m: &[V::Elem], cols: usize, out: &mut [V::Elem]) {
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
            unsafe { block_sum::<V>(row) }
        } else {
            unsafe { sum::<V>(row) }
        };
    }
}

/// Sum of blocks `[lo, hi)` of `x` with `sum_fn` at the leaves, splitting at
/// the block tree's own points so the result does not depend on `leaf_blocks`
/// or on the number of threads.
pub(crate) fn tree_sum_par<T: Element>(
    x: &[T],
    lo: usize,
    hi: usize,
    leaf_blocks: usize,
    sum_fn: unsafe fn(&[T]) -> T,
) -> T {
    let b = T::SUM_BLOCK;
    let count = hi - lo;
    if count <= leaf_blocks.max(1) {
        let end = (hi * b).min(x.len());
        // SAFETY: `sum_fn` comes from a table resolved for a supported ISA.
        return unsafe { sum_fn(&x[lo * b..end]) };
    }
    let mid = lo + split_blocks(count);
    let (l, r) = rayon::join(
        || tree_sum_par(x, lo, mid, leaf_blocks, sum_fn),
        || tree_sum_par(x, mid, hi, leaf_blocks, sum_fn),
    );
    l + r
}
