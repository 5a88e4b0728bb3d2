//! The fixed-order reduction written once over [`SimdVec`] (see the
//! [module docs](super) for the order). `L` lanes are held in
//! `L / V::LANES` vector accumulators: accumulator `k` holds lanes
//! `k*LANES .. (k+1)*LANES`.

use crate::Element;
use crate::plan::{READ_STREAMS_FROM_BYTES, READ_STREAMS_UP_TO_BYTES};
use crate::simd::SimdVec;
use crate::vocab::{Fetch, Streams};
use core::mem::MaybeUninit;

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
/// `R > 1` only for blocks far apart ([`tree_sum`]'s streams,
/// [`Streams`]): summing two *adjacent* blocks (or rows) per loop was measured (interleaved medians,
/// AVX2) to be slower at every size, 1.8x at DRAM size, where reading two
/// streams 2 KiB apart defeats the hardware prefetcher; in L1 the extra
/// chains did not pay either.
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
    s: T,
) {
    tree_push_group(sums, sizes, depth, s, 1);
}

/// [`tree_push`] for the sum `s` of a complete subtree of `size` blocks
/// (a power of two no larger than any group on the stack).
#[inline(always)]
fn tree_push_group<T: Element>(
    sums: &mut [T; TREE_DEPTH],
    sizes: &mut [usize; TREE_DEPTH],
    depth: &mut usize,
    mut s: T,
    mut size: usize,
) {
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

/// Sum of `x` in the fixed order, block by block, its large subtrees read
/// as `streams` interleaved streams (the bits do not depend on it).
#[inline(always)]
pub(crate) unsafe fn sum<V: SimdVec>(x: &[V::Elem], fetch: Fetch, streams: Streams) -> V::Elem {
    // SAFETY (every arm): the caller's guarantees, passed on.
    match (fetch, streams) {
        (Fetch::OnDemand, Streams::One) => unsafe { sum_with::<V, false, 1>(x) },
        (Fetch::OnDemand, Streams::Two) => unsafe { sum_with::<V, false, 2>(x) },
        (Fetch::OnDemand, Streams::Four) => unsafe { sum_with::<V, false, 4>(x) },
        (Fetch::Ahead, Streams::One) => unsafe { sum_with::<V, true, 1>(x) },
        (Fetch::Ahead, Streams::Two) => unsafe { sum_with::<V, true, 2>(x) },
        (Fetch::Ahead, Streams::Four) => unsafe { sum_with::<V, true, 4>(x) },
    }
}

#[inline(always)]
unsafe fn sum_with<V: SimdVec, const AHEAD: bool, const R: usize>(x: &[V::Elem]) -> V::Elem {
    // One check per result: a NaN leaves as the canonical NaN, whatever
    // sign and payload the additions propagated (see `crate::reduce`).
    unsafe { tree_sum::<V, AHEAD, R>(x) }.canonical_nan()
}

/// The fixed-order sum of `x`, a NaN as the additions left it; complete
/// subtrees of at least [`READ_STREAMS_FROM_BYTES`] are read as `R`
/// interleaved streams (`R` = 1: block by block throughout).
#[inline(always)]
unsafe fn tree_sum<V: SimdVec, const AHEAD: bool, const R: usize>(x: &[V::Elem]) -> V::Elem {
    if x.is_empty() {
        return V::Elem::ZERO;
    }
    let b = V::Elem::SUM_BLOCK;
    let mut sums = [V::Elem::ZERO; TREE_DEPTH];
    let mut sizes = [0usize; TREE_DEPTH];
    let mut depth = 0;
    // The block tree is the sum, right to left, of the complete subtrees of
    // the binary decomposition of the block count (largest first): large
    // ones are summed as interleaved streams and enter the stack as one
    // group each; the rest goes block by block (its groups are all
    // smaller, so they never merge with a group already on the stack).
    let mut first = 0;
    if R > 1 {
        // SAFETY: the caller's guarantees, passed on.
        unsafe { big_subtrees::<V, R, AHEAD>(x, &mut first, &mut sums, &mut sizes, &mut depth) };
    }
    for block in x[(first * b).min(x.len())..].chunks(b) {
        // SAFETY: the block's elements are inside x.
        let [s] = unsafe { block_sums::<V, 1, AHEAD>([block.as_ptr()], block.len()) };
        tree_push(&mut sums, &mut sizes, &mut depth, s);
    }
    tree_finish(&sums, depth)
}

/// Sums the leading complete subtrees of `x`'s block tree that hold at
/// least [`READ_STREAMS_FROM_BYTES`] onto the block-tree stack (empty on
/// entry), each as `R` interleaved streams, one of more than
/// [`READ_STREAMS_UP_TO_BYTES`] as its subtrees of that size in turn (the
/// streams stay close); `first` becomes the first block left.
#[inline(always)]
unsafe fn big_subtrees<V: SimdVec, const R: usize, const AHEAD: bool>(
    x: &[V::Elem],
    first: &mut usize,
    sums: &mut [V::Elem; TREE_DEPTH],
    sizes: &mut [usize; TREE_DEPTH],
    depth: &mut usize,
) {
    let b = V::Elem::SUM_BLOCK;
    let blocks = x.len().div_ceil(b);
    let min_blocks = (READ_STREAMS_FROM_BYTES / (b * size_of::<V::Elem>())).max(R);
    // A power of two: both byte sizes are, and so is every block.
    let max_blocks = (READ_STREAMS_UP_TO_BYTES / (b * size_of::<V::Elem>())).max(min_blocks);
    loop {
        let rem = blocks - *first;
        if rem < min_blocks {
            return;
        }
        // The largest power of two <= rem: the next complete subtree.
        let count = 1usize << (usize::BITS - 1 - rem.leading_zeros());
        if count < min_blocks {
            return;
        }
        // Its parts of at most max_blocks, left to right; they merge
        // with each other on the stack, never with the larger groups
        // already there.
        let part = count.min(max_blocks);
        for _ in 0..count / part {
            // SAFETY: blocks first..first+part are inside x; the caller's ISA.
            let s = unsafe { subtree_streams::<V, R, AHEAD>(x, *first, part) };
            tree_push_group(sums, sizes, depth, s, part);
            *first += part;
        }
    }
}

/// Pushes the sums `s` of block `j` of `R` sequences summed side by side
/// onto their `R` block-tree stacks (one shared depth): the binary counter
/// of [`tree_push`], `j` blocks pushed so far, so a merge (left + right)
/// for each trailing one bit of `j`.
///
/// # Safety
/// The entries below `depth` of every stack were written by earlier pushes
/// of blocks `0..j`.
#[inline(always)]
unsafe fn push_lockstep<T: Element, const R: usize>(
    st: &mut [[MaybeUninit<T>; TREE_DEPTH]; R],
    depth: &mut usize,
    j: usize,
    mut s: [T; R],
) {
    let mut k = j;
    while k & 1 == 1 {
        *depth -= 1;
        for r in 0..R {
            // SAFETY: entries below `depth` were written (the caller).
            s[r] = unsafe { st[r][*depth].assume_init() } + s[r];
        }
        k >>= 1;
    }
    for r in 0..R {
        st[r][*depth] = MaybeUninit::new(s[r]);
    }
    *depth += 1;
}

/// The sum of the complete subtree of blocks `first .. first + count`
/// (`count` a power of two, a multiple of `R`): its `R` equal subtrees are
/// read side by side, block `j` of each in one loop, each with its own
/// block-tree stack, then combined pairwise (left + right) as the tree
/// says. Only the last block of `x` may be partial.
#[inline(always)]
unsafe fn subtree_streams<V: SimdVec, const R: usize, const AHEAD: bool>(
    x: &[V::Elem],
    first: usize,
    count: usize,
) -> V::Elem {
    let b = V::Elem::SUM_BLOCK;
    let q = count / R;
    // One stack per stream; all streams push the same number of blocks, so
    // they share the depth. Uninitialised: an entry is read only after it
    // was written (and zeroing 64 x R entries could become a `memset` call).
    let mut st = [[MaybeUninit::<V::Elem>::uninit(); TREE_DEPTH]; R];
    let mut depth = 0;
    let whole = (first + count) * b <= x.len();
    for j in 0..q {
        let mut s = [V::Elem::ZERO; R];
        if j + 1 < q || whole {
            let mut ps = [x.as_ptr(); R];
            for (r, p) in ps.iter_mut().enumerate() {
                // SAFETY: block first + r*q + j is whole inside x.
                *p = unsafe { x.as_ptr().add((first + r * q + j) * b) };
            }
            // SAFETY: each of the R blocks has b elements.
            s = unsafe { block_sums::<V, R, AHEAD>(ps, b) };
        } else {
            // The last step holds the partial last block of x (stream R-1).
            for (r, sr) in s.iter_mut().enumerate() {
                let start = (first + r * q + j) * b;
                let len = (x.len() - start).min(b);
                // SAFETY: len elements from start are inside x.
                let [v] = unsafe { block_sums::<V, 1, AHEAD>([x.as_ptr().add(start)], len) };
                *sr = v;
            }
        }
        // SAFETY: `depth` counts the entries pushed for j blocks.
        unsafe { push_lockstep(&mut st, &mut depth, j, s) };
    }
    // q is a power of two: each stack holds its stream's whole sum.
    debug_assert_eq!(depth, 1);
    let mut t = [V::Elem::ZERO; R];
    for r in 0..R {
        // SAFETY: written by the first push.
        t[r] = unsafe { st[r][0].assume_init() };
    }
    let mut w = R;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            t[i] = t[2 * i] + t[2 * i + 1];
        }
    }
    t[0]
}

/// `out[r] = sum(row r)` for each row of `cols` elements that both `m` and
/// `out` hold, one row after the other.
#[inline(always)]
pub(crate) unsafe fn row_sums<V: SimdVec>(
    m: &[V::Elem],
    cols: usize,
    out: &mut [V::Elem],
    fetch: Fetch,
) {
    match fetch {
        // SAFETY: the caller's guarantees, passed on.
        Fetch::OnDemand => unsafe { row_sums_with::<V, false, 1>(m, cols, out) },
        Fetch::Ahead => unsafe { row_sums_with::<V, true, 1>(m, cols, out) },
    }
}

/// [`row_sums`], but `streams` rows far apart (at most
/// [`READ_STREAMS_UP_TO_BYTES`]) are read side by side, each in its own
/// fixed order (the bits do not depend on it). A function of its own (the
/// ISA files compile it apart from [`row_sums`] and call it only from
/// [`READ_STREAMS_FROM_BYTES`] of matrix): the one-stream loop compiled
/// beside the streamed ones ran 10% slower on rows of 512 B in L2.
#[inline(always)]
pub(crate) unsafe fn row_sums_streams<V: SimdVec>(
    m: &[V::Elem],
    cols: usize,
    out: &mut [V::Elem],
    fetch: Fetch,
    streams: Streams,
) {
    // SAFETY (every arm): the caller's guarantees, passed on.
    match (fetch, streams) {
        (_, Streams::One) => unsafe { row_sums::<V>(m, cols, out, fetch) },
        (Fetch::OnDemand, Streams::Two) => unsafe { row_sums_with::<V, false, 2>(m, cols, out) },
        (Fetch::OnDemand, Streams::Four) => unsafe { row_sums_with::<V, false, 4>(m, cols, out) },
        (Fetch::Ahead, Streams::Two) => unsafe { row_sums_with::<V, true, 2>(m, cols, out) },
        (Fetch::Ahead, Streams::Four) => unsafe { row_sums_with::<V, true, 4>(m, cols, out) },
    }
}

#[inline(always)]
unsafe fn row_sums_with<V: SimdVec, const AHEAD: bool, const R: usize>(
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
    let mut done = 0;
    let row_bytes = cols * size_of::<V::Elem>();
    if R > 1 && row_bytes < READ_STREAMS_FROM_BYTES {
        let rows = out.len().min(m.len() / cols);
        // Bands of at most READ_STREAMS_UP_TO_BYTES, each cut into R
        // equal parts whose row i is read side by side (rows in a tail of
        // fewer than R go one at a time below).
        let band_rows = (READ_STREAMS_UP_TO_BYTES / row_bytes).max(R);
        loop {
            let q = (rows - done).min(band_rows) / R;
            if q == 0 {
                break;
            }
            for i in 0..q {
                let ps: [*const V::Elem; R] =
                    // SAFETY: row done + r*q + i < rows: inside m.
                    core::array::from_fn(|r| unsafe { m.as_ptr().add((done + r * q + i) * cols) });
                // SAFETY: each row holds cols elements.
                let s = unsafe { lockstep_sums::<V, R, AHEAD>(ps, cols) };
                for (r, v) in s.into_iter().enumerate() {
                    out[done + r * q + i] = v.canonical_nan();
                }
            }
            done += q * R;
        }
    }
    // The rows left (all of them with one stream), one at a time.
    let (out, m) = (&mut out[done..], &m[done * cols..]);
    for (o, row) in out.iter_mut().zip(m.chunks_exact(cols)) {
        *o = if cols <= V::Elem::SUM_BLOCK {
            // SAFETY: the row's elements are inside m.
            let [s] = unsafe { block_sums::<V, 1, AHEAD>([row.as_ptr()], cols) };
            s
        } else {
            // A row of READ_STREAMS_FROM_BYTES or more streams inside.
            unsafe { tree_sum::<V, AHEAD, R>(row) }
        }
        // One check per row costs about nothing; a second pass over `out`
        // cost more (`docs/measurements.md#nan-check-per-row`).
        .canonical_nan();
    }
}

/// The fixed-order sums of `R` sequences of `len` elements each (from
/// `ps[r]`), read side by side block by block: block `j` of every sequence
/// in one loop, each sequence with its own block-tree stack, so each
/// result has the bits of [`tree_sum`] over its sequence alone (NaNs as
/// the additions left them).
///
/// # Safety
/// Each `ps[r]` must be valid for `len` reads; the ISA of `V` must be usable.
#[inline(always)]
unsafe fn lockstep_sums<V: SimdVec, const R: usize, const AHEAD: bool>(
    ps: [*const V::Elem; R],
    len: usize,
) -> [V::Elem; R] {
    let b = V::Elem::SUM_BLOCK;
    if len <= b {
        // One block (or none: -0.0 lanes add to +0.0 only with a value, so
        // an empty row is +0.0 as tree_sum says).
        if len == 0 {
            return [V::Elem::ZERO; R];
        }
        // SAFETY: the caller's guarantees.
        return unsafe { block_sums::<V, R, AHEAD>(ps, len) };
    }
    // One stack per sequence; all push the same blocks, so they share the
    // depth. Uninitialised: an entry is read only after it was written.
    let mut st = [[MaybeUninit::<V::Elem>::uninit(); TREE_DEPTH]; R];
    let mut depth = 0;
    let blocks = len.div_ceil(b);
    for j in 0..blocks {
        let at = j * b;
        // SAFETY: at < len: inside every sequence.
        let cur: [*const V::Elem; R] = core::array::from_fn(|r| unsafe { ps[r].add(at) });
        // SAFETY: (len - at).min(b) elements remain at each.
        let s = unsafe { block_sums::<V, R, AHEAD>(cur, (len - at).min(b)) };
        // SAFETY: `depth` counts the entries pushed for j blocks.
        unsafe { push_lockstep(&mut st, &mut depth, j, s) };
    }
    // `tree_finish` per sequence: the groups left, right to left.
    core::array::from_fn(|r| {
        // SAFETY: entries below `depth` (>= 1) were written.
        let mut total = unsafe { st[r][depth - 1].assume_init() };
        for d in (0..depth - 1).rev() {
            // SAFETY: as above.
            total = unsafe { st[r][d].assume_init() } + total;
        }
        total
    })
}

#[cfg(test)]
mod tests {
    use crate::reduce::{portable, scalar};

    /// Row sums of matrices large enough for rows read side by side give
    /// the oracle's bits on every path and stream count: short rows (one
    /// block, or less than a vector), f64 rows of two blocks (a partial
    /// second), bands beyond `READ_STREAMS_UP_TO_BYTES`, a row count that
    /// leaves a tail of fewer than the stream count, a shorter `out`.
    #[test]
    fn rows_read_side_by_side_keep_the_order() {
        use super::{Fetch, Streams};
        type RowSums<'a, T> = Vec<(&'a str, Box<dyn Fn(&[T], usize, &mut [T], Fetch, Streams)>)>;
        fn check<T: crate::Element>(paths: &RowSums<'_, T>, m: &[T], cols: usize, rows: usize) {
            let mut want = vec![T::ZERO; rows];
            scalar::row_sums(m, cols, &mut want);
            for fetch in [Fetch::OnDemand, Fetch::Ahead] {
                for s in Streams::ALL {
                    for (name, f) in paths {
                        let mut got = vec![T::ZERO; rows];
                        f(m, cols, &mut got, fetch, s);
                        let bad =
                            (0..rows).find(|&r| got[r].to_bits_u64() != want[r].to_bits_u64());
                        assert_eq!(bad, None, "{name} {cols} cols {rows} rows {fetch:?} {s}");
                    }
                }
            }
        }
        let mut p32: RowSums<'_, f32> =
            vec![("portable", Box::new(portable::row_sums_f32_streams))];
        let mut p64: RowSums<'_, f64> =
            vec![("portable", Box::new(portable::row_sums_f64_streams))];
        #[cfg(target_arch = "x86_64")]
        {
            use crate::reduce::{avx2, avx512};
            use simdpar_dispatch::{Avx2, Avx512};
            if let Some(t) = Avx2::new() {
                p32.push((
                    "avx2",
                    Box::new(move |m, c, o, f, s| avx2::row_sums_f32_streams(t, m, c, o, f, s)),
                ));
                p64.push((
                    "avx2",
                    Box::new(move |m, c, o, f, s| avx2::row_sums_f64_streams(t, m, c, o, f, s)),
                ));
            }
            if let Some(t) = Avx512::new() {
                p32.push((
                    "avx512",
                    Box::new(move |m, c, o, f, s| avx512::row_sums_f32_streams(t, m, c, o, f, s)),
                ));
                p64.push((
                    "avx512",
                    Box::new(move |m, c, o, f, s| avx512::row_sums_f64_streams(t, m, c, o, f, s)),
                ));
            }
        }
        let x: Vec<f32> = (0..(10 << 20) + 7)
            .map(|i| ((i * 7919) % 1021) as f32 * 0.37 - 150.0)
            .collect();
        let y: Vec<f64> = x.iter().map(|&v| f64::from(v) * 1.000_001).collect();
        // f32: 9003 rows of 1000 (36 MB: two bands, a tail of 3), rows of
        // 3 (shorter than a vector).
        check(&p32, &x[..9003 * 1000], 1000, 9003);
        check(&p32, &x[..(3 << 20) * 3 + 2], 3, (3 << 20) - 1);
        // f64: rows of 1000 (two blocks, the second partial), rows of 9.
        check(&p64, &y[..4097 * 1000], 1000, 4097);
        check(&p64, &y[..(1 << 20) * 9], 9, 1 << 20);
        // A shorter `out`: only its rows are summed.
        let mut got = vec![0.0f32; 5000];
        portable::row_sums_f32_streams(
            &x[..9003 * 1000],
            1000,
            &mut got,
            Fetch::OnDemand,
            Streams::Four,
        );
        let mut want = vec![0.0f32; 5000];
        scalar::row_sums(&x[..5000 * 1000], 1000, &mut want);
        assert_eq!(got, want);
    }

    /// Calls large enough for the interleaved streams (a partial last block
    /// inside a streamed subtree, a streamed subtree then a block-by-block
    /// rest, two streamed subtrees, a subtree beyond
    /// `READ_STREAMS_UP_TO_BYTES` read as its parts in turn: 64 MiB of f32,
    /// 128 MiB of f64) give the oracle's bits on every path, with the
    /// built-in stream count and with every count.
    #[test]
    fn streamed_subtrees_keep_the_order() {
        const { assert!(crate::plan::READ_STREAMS_UP_TO_BYTES <= 32 << 20) };
        for n in [
            (2 << 20) - 3,
            3_000_017,
            (4 << 20) + (2 << 20) + 1025,
            (20 << 20) + 4097,
        ] {
            let x32: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 1021) as f32 * 0.37 - 150.0)
                .collect();
            let x64: Vec<f64> = x32.iter().map(|&v| f64::from(v) * 1.000_001).collect();
            let (w32, w64) = (scalar::sum(&x32), scalar::sum(&x64));
            let (w32h, w64h) = (scalar::sum(&x32[..n / 2]), scalar::sum(&x64[..n / 2]));
            for fetch in [super::Fetch::OnDemand, super::Fetch::Ahead] {
                for s in super::Streams::ALL {
                    let what = format!("{n} {fetch:?} {s}");
                    let p32 = portable::sum_f32_streams(&x32, fetch, s);
                    assert_eq!(p32.to_bits(), w32.to_bits(), "{what}");
                    let p64 = portable::sum_f64_streams(&x64, fetch, s);
                    assert_eq!(p64.to_bits(), w64.to_bits(), "{what}");
                    #[cfg(target_arch = "x86_64")]
                    {
                        use crate::reduce::{avx2, avx512};
                        use simdpar_dispatch::{Avx2, Avx512};
                        if let Some(t) = Avx2::new() {
                            let a = avx2::sum_f32_streams(t, &x32, fetch, s);
                            assert_eq!(a.to_bits(), w32.to_bits(), "{what}");
                            let a = avx2::sum_f64_streams(t, &x64, fetch, s);
                            assert_eq!(a.to_bits(), w64.to_bits(), "{what}");
                        }
                        if let Some(t) = Avx512::new() {
                            let a = avx512::sum_f32_streams(t, &x32, fetch, s);
                            assert_eq!(a.to_bits(), w32.to_bits(), "{what}");
                            let a = avx512::sum_f64_streams(t, &x64[..n / 2], fetch, s);
                            assert_eq!(a.to_bits(), w64h.to_bits(), "{what}");
                        }
                    }
                }
                assert_eq!(
                    portable::sum_f32(&x32, fetch).to_bits(),
                    w32.to_bits(),
                    "{n}"
                );
                assert_eq!(
                    portable::sum_f64(&x64, fetch).to_bits(),
                    w64.to_bits(),
                    "{n}"
                );
                #[cfg(target_arch = "x86_64")]
                {
                    use crate::reduce::{avx2, avx512};
                    use simdpar_dispatch::{Avx2, Avx512};
                    if let Some(t) = Avx2::new() {
                        assert_eq!(avx2::sum_f32(t, &x32, fetch).to_bits(), w32.to_bits());
                        assert_eq!(avx2::sum_f64(t, &x64, fetch).to_bits(), w64.to_bits());
                        assert_eq!(
                            avx2::sum_f64(t, &x64[..n / 2], fetch).to_bits(),
                            w64h.to_bits()
                        );
                    }
                    if let Some(t) = Avx512::new() {
                        assert_eq!(avx512::sum_f32(t, &x32, fetch).to_bits(), w32.to_bits());
                        assert_eq!(avx512::sum_f64(t, &x64, fetch).to_bits(), w64.to_bits());
                        assert_eq!(
                            avx512::sum_f32(t, &x32[..n / 2], fetch).to_bits(),
                            w32h.to_bits()
                        );
                    }
                }
            }
        }
    }
}
