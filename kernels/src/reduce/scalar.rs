//! The reduction oracle: the fixed order of [`crate::reduce`] written as
//! plainly as possible, one element at a time (values pass through
//! `black_box`, so LLVM cannot vectorize the lane loop).

use super::{ReduceTable, split_blocks};
use crate::Element;
use crate::element::opaque;
use crate::vocab::{Fetch, Streams};
use simdpar_dispatch::Isa;

/// Sum of one block: element `i` into lane `i % L`, then the halving tree.
fn block_sum<T: Element>(x: &[T]) -> T {
    let l = T::SUM_LANES;
    let mut lanes = vec![T::NEG_ZERO; l];
    for (i, &v) in x.iter().enumerate() {
        lanes[i % l] = lanes[i % l] + opaque(v);
    }
    let mut w = l;
    while w > 1 {
        w /= 2;
        for j in 0..w {
            lanes[j] = lanes[j] + lanes[j + w];
        }
    }
    lanes[0]
}

/// The block tree, recursively, exactly as documented.
fn tree<T: Element>(x: &[T]) -> T {
    let b = T::SUM_BLOCK;
    let blocks = x.len().div_ceil(b);
    if blocks <= 1 {
        return block_sum(x);
    }
    let (left, right) = x.split_at(split_blocks(blocks) * b);
    tree(left) + tree(right)
}

/// Sum in the fixed order, one element at a time; a NaN sum is
/// [`Element::CANONICAL_NAN`].
pub fn sum<T: Element>(x: &[T]) -> T {
    if x.is_empty() {
        T::ZERO
    } else {
        tree(x).canonical_nan()
    }
}

/// `out[r] = sum(row r)` for the first `out.len()` rows of `cols` columns.
pub fn row_sums<T: Element>(matrix: &[T], cols: usize, out: &mut [T]) {
    if cols == 0 {
        out.fill(T::ZERO);
        return;
    }
    for (o, row) in out.iter_mut().zip(matrix.chunks_exact(cols)) {
        *o = sum(row);
    }
}

// The oracle reads one element at a time: `Fetch` and `Streams` do
// not apply to it.
fn sum_entry<T: Element>(x: &[T], _: Fetch) -> T {
    sum(x)
}
fn sum_streams_entry<T: Element>(x: &[T], _: Fetch, _: Streams) -> T {
    sum(x)
}
fn row_sums_entry<T: Element>(matrix: &[T], cols: usize, out: &mut [T], _: Fetch) {
    row_sums(matrix, cols, out)
}

pub(crate) static TABLE_F32: ReduceTable<f32> = ReduceTable {
    isa: Isa::Scalar,
    sum: sum_entry::<f32>,
    sum_streams: sum_streams_entry::<f32>,
    row_sums: row_sums_entry::<f32>,
};
pub(crate) static TABLE_F64: ReduceTable<f64> = ReduceTable {
    isa: Isa::Scalar,
    sum: sum_entry::<f64>,
    sum_streams: sum_streams_entry::<f64>,
    row_sums: row_sums_entry::<f64>,
};
