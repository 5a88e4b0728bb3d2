//! How work is cut into items: streaming chunks, Mandelbrot row batches and
//! the reduction's block tree (cut only at the tree's own split points).

use super::pool::map_items;
use crate::Element;
use crate::reduce::split_blocks;
use crate::vocab::Fetch;

/// Smallest streaming item, in elements (64 KiB of f32: the pool's hand-off
/// costs a few microseconds, far less than the item).
const MIN_CHUNK: usize = 16 * 1024;

/// Items per thread for streaming kernels: many small items keep the tail
/// short (the caller waits at most for the items helpers are inside) at a
/// claim cost of ~100 ns each (`docs/measurements.md#items-per-thread`).
const ITEMS_PER_THREAD: usize = 16;

/// Rows batches per thread for Mandelbrot (row costs vary a lot).
const ROW_BATCHES_PER_THREAD: usize = 16;

/// Elements per item for a streaming kernel of `n` elements on `threads`
/// threads: a multiple of 64 elements, so every item but the last starts
/// on a cache-line (and vector) boundary relative to the first.
pub(crate) fn chunk_len(n: usize, threads: usize) -> usize {
    (n / (ITEMS_PER_THREAD * threads.max(1)))
        .max(MIN_CHUNK)
        .next_multiple_of(64)
}

/// Rows per Mandelbrot item.
pub(crate) fn mandelbrot_rows(height: usize, threads: usize) -> usize {
    (height / (ROW_BATCHES_PER_THREAD * threads.max(1))).max(1)
}

/// The leaves of the block tree of `[lo, hi)` cut at the tree's own split
/// points until a leaf has at most `leaf` blocks, left to right.
fn leaves(lo: usize, hi: usize, leaf: usize, out: &mut Vec<(usize, usize)>) {
    let count = hi - lo;
    if count <= leaf.max(1) {
        out.push((lo, hi));
        return;
    }
    let mid = lo + split_blocks(count);
    leaves(lo, mid, leaf, out);
    leaves(mid, hi, leaf, out);
}

/// Combines leaf sums exactly as the block tree does (the same recursion
/// as [`leaves`], so `sums` is consumed in the order it was produced).
fn combine<T: Element>(lo: usize, hi: usize, leaf: usize, sums: &mut impl Iterator<Item = T>) -> T {
    let count = hi - lo;
    if count <= leaf.max(1) {
        return sums.next().expect("one sum per leaf");
    }
    let mid = lo + split_blocks(count);
    let l = combine(lo, mid, leaf, sums);
    let r = combine(mid, hi, leaf, sums);
    l + r
}

/// Sum of `x` on up to `threads` threads with `sum_fn` at the leaves: the
/// leaves are subtrees of the fixed block tree, each summed by `sum_fn` in
/// the fixed order, then combined by the tree's own additions, so the bits
/// do not depend on `threads`.
pub(crate) fn tree_sum<T: Element>(
    x: &[T],
    threads: usize,
    sum_fn: unsafe fn(&[T], Fetch) -> T,
    fetch: Fetch,
) -> T {
    let b = T::SUM_BLOCK;
    let blocks = x.len().div_ceil(b);
    if threads <= 1 || blocks < 2 {
        // SAFETY: `sum_fn` comes from a table resolved for a supported ISA.
        return unsafe { sum_fn(x, fetch) };
    }
    let leaf = (chunk_len(x.len(), threads) / b).max(1);
    let mut ranges = Vec::new();
    leaves(0, blocks, leaf, &mut ranges);
    let sums = map_items(ranges, threads, |(lo, hi)| {
        // SAFETY: as above; the range lies inside x.
        unsafe { sum_fn(&x[lo * b..(hi * b).min(x.len())], fetch) }
    });
    // Leaves of different threads can meet as +Inf and -Inf: the NaN made
    // here is canonicalised as every serial sum's is.
    combine(0, blocks, leaf, &mut sums.into_iter()).canonical_nan()
}
