//! The elementwise loops written once over [`SimdVec`]. Inputs and output
//! are raw pointers so that the in-place forms share the loops (an output
//! may equal an input exactly; partial overlap never reaches here because
//! the public API takes `&mut` and `&` slices).

use crate::Element;
use crate::plan::READ_STREAMS_UP_TO_BYTES;
use crate::simd::SimdVec;
use crate::vocab::Store;

/// A lane-wise operation on one vector.
pub(crate) trait Unary<V: SimdVec>: Copy {
    unsafe fn apply(self, x: V) -> V;
}

/// A lane-wise operation on two vectors.
pub(crate) trait Binary<V: SimdVec>: Copy {
    unsafe fn apply(self, a: V, b: V) -> V;
}

/// `a + b`.
#[derive(Clone, Copy)]
pub(crate) struct Add;
/// `a * b`.
#[derive(Clone, Copy)]
pub(crate) struct Mul;
/// `x * x`.
#[derive(Clone, Copy)]
pub(crate) struct Square;
/// `x * factor`.
#[derive(Clone, Copy)]
pub(crate) struct Scale<V>(pub V);
/// `x > 0 ? x : alpha * x` (the standard leaky ReLU).
#[derive(Clone, Copy)]
pub(crate) struct LeakyRelu<V>(pub V);

impl<V: SimdVec> Binary<V> for Add {
    #[inline(always)]
    unsafe fn apply(self, a: V, b: V) -> V {
        unsafe { a.add(b) }
    }
}
impl<V: SimdVec> Binary<V> for Mul {
    #[inline(always)]
    unsafe fn apply(self, a: V, b: V) -> V {
        unsafe { a.mul(b) }
    }
}
impl<V: SimdVec> Unary<V> for Square {
    #[inline(always)]
    unsafe fn apply(self, x: V) -> V {
        unsafe { x.mul(x) }
    }
}
impl<V: SimdVec> Unary<V> for Scale<V> {
    #[inline(always)]
    unsafe fn apply(self, x: V) -> V {
        unsafe { x.mul(self.0) }
    }
}
impl<V: SimdVec> Unary<V> for LeakyRelu<V> {
    #[inline(always)]
    unsafe fn apply(self, x: V) -> V {
        // Lanes > 0 keep x; the others (zeros of either sign, negatives,
        // NaN) take alpha * x: a compare, a multiply and a select. The
        // mask is `x > 0` (not `!(x > 0)`) on purpose: keeping x where it
        // is set lets LLVM merge x into the product with a masked move on
        // AVX-512, while the other polarity became a masked multiply that
        // waits for the compare (1.2x the time of the old max + multiply +
        // add on f32 in L1, Zen 4).
        unsafe {
            let positive = x.greater(V::splat(V::Elem::ZERO));
            x.mul_unless(positive, self.0)
        }
    }
}

/// A unary op seen as a binary op that ignores its second input.
#[derive(Clone, Copy)]
struct First<U>(U);
impl<V: SimdVec, U: Unary<V>> Binary<V> for First<U> {
    #[inline(always)]
    unsafe fn apply(self, a: V, _b: V) -> V {
        unsafe { self.0.apply(a) }
    }
}

/// Applies `op` to fewer than `LANES` elements through a padded buffer, so
/// nothing outside the slices is read or written.
#[inline(always)]
unsafe fn partial<V: SimdVec, Op: Binary<V>>(
    a: *const V::Elem,
    b: *const V::Elem,
    out: *mut V::Elem,
    count: usize,
    op: Op,
) {
    // SAFETY: the caller guarantees `count` valid elements at a, b and out,
    // and count < LANES; both loads happen before the store (out may be a).
    unsafe {
        let va = V::load_partial(a, count, V::Elem::ZERO);
        let vb = V::load_partial(b, count, V::Elem::ZERO);
        op.apply(va, vb).store_partial(out, count);
    }
}

/// The main loop: `K` (4 or 8) vectors per iteration from `i` while they fit
/// below `n`, all loaded before they are stored, written with
/// non-temporal stores when `STREAM` (then `out + i` must be
/// vector-aligned). Returns where it stopped.
///
/// # Safety
/// `a`, `b` and `out` must be valid for `n` elements.
#[inline(always)]
unsafe fn unrolled<V: SimdVec, Op: Binary<V>, const STREAM: bool, const K: usize>(
    a: *const V::Elem,
    b: *const V::Elem,
    out: *mut V::Elem,
    mut i: usize,
    n: usize,
    op: Op,
) -> usize {
    let l = V::LANES;
    while i + K * l <= n {
        // SAFETY: i + K*l <= n, the length the caller guarantees; every
        // load comes before the stores (out may be a).
        unsafe {
            // Plain loops over K, not `core::array::from_fn`: a closure
            // called through it ran outside the ISA's target features,
            // 10-25x slower.
            let mut r = [V::splat(V::Elem::ZERO); 8];
            for (k, v) in r.iter_mut().enumerate().take(K) {
                *v = op.apply(V::load(a.add(i + k * l)), V::load(b.add(i + k * l)));
            }
            for (k, v) in r.into_iter().enumerate().take(K) {
                if STREAM {
                    v.stream(out.add(i + k * l));
                } else {
                    v.store(out.add(i + k * l));
                }
            }
        }
        i += K * l;
    }
    i
}

/// The non-temporal loop: from `i` (where `out + i` is vector-aligned) the
/// rest in runs of at most [`READ_STREAMS_UP_TO_BYTES`] of output, each
/// written as its two halves side by side (two vectors of each per step),
/// then what the halves leave by [`unrolled`]. Returns where it stopped.
/// Two streams of non-temporal stores moved DRAM-sized copies about 10%
/// faster than one on one Zen 4 thread (the copy pattern's forms,
/// `docs/measurements.md#maps-beyond-the-llc-write-two-streams`).
///
/// # Safety
/// As [`unrolled`] with `STREAM`.
#[inline(always)]
unsafe fn streamed<V: SimdVec, Op: Binary<V>>(
    a: *const V::Elem,
    b: *const V::Elem,
    out: *mut V::Elem,
    mut i: usize,
    n: usize,
    op: Op,
) -> usize {
    let l = V::LANES;
    let run = READ_STREAMS_UP_TO_BYTES / size_of::<V::Elem>();
    loop {
        // Each half a whole number of four-vector steps: the second starts
        // as aligned as the first.
        let h = (n - i).min(run) / 2 / (4 * l) * (4 * l);
        if h == 0 {
            break;
        }
        let mut j = i;
        // SAFETY: j + 2l <= i + h and j + h + 2l <= i + 2h <= n.
        unsafe {
            while j < i + h {
                let r = [
                    op.apply(V::load(a.add(j)), V::load(b.add(j))),
                    op.apply(V::load(a.add(j + l)), V::load(b.add(j + l))),
                    op.apply(V::load(a.add(j + h)), V::load(b.add(j + h))),
                    op.apply(V::load(a.add(j + h + l)), V::load(b.add(j + h + l))),
                ];
                r[0].stream(out.add(j));
                r[1].stream(out.add(j + l));
                r[2].stream(out.add(j + h));
                r[3].stream(out.add(j + h + l));
                j += 2 * l;
            }
        }
        i += 2 * h;
    }
    // SAFETY: the caller's guarantees, passed on.
    unsafe { unrolled::<V, Op, true, 4>(a, b, out, i, n, op) }
}

/// `out[i] = op(a[i], b[i])` for `i < n`. `out` may equal `a` or `b`
/// exactly, never partially overlap them.
#[inline(always)]
unsafe fn drive<V: SimdVec, Op: Binary<V>>(
    a: *const V::Elem,
    b: *const V::Elem,
    out: *mut V::Elem,
    n: usize,
    op: Op,
    store: Store,
) {
    let l = V::LANES;
    let mut i = 0;
    let streaming = store == Store::Streaming;
    // Peel until `out` is aligned to the vector size: required for
    // streaming stores, and it pays for cached ones too once the loop runs
    // a while (an unaligned vector store splits across two cache lines;
    // NumPy's default allocations are only 16-byte aligned).
    if streaming || n >= 16 * l {
        let misalign = (out as usize) % (l * size_of::<V::Elem>());
        let head = if misalign == 0 {
            0
        } else {
            ((l * size_of::<V::Elem>() - misalign) / size_of::<V::Elem>()).min(n)
        };
        if head > 0 && (out as usize).is_multiple_of(size_of::<V::Elem>()) {
            // SAFETY: head <= n and head < LANES.
            unsafe { partial::<V, Op>(a, b, out, head, op) };
            i = head;
        }
    }
    let aligned_out =
        (out as usize).wrapping_add(i * size_of::<V::Elem>()) % (l * size_of::<V::Elem>()) == 0;
    // SAFETY (all loops): every access is below n, the length the caller
    // guarantees for a, b and out.
    unsafe {
        if streaming && aligned_out {
            i = streamed::<V, Op>(a, b, out, i, n, op);
            V::stream_fence();
        }
        // `Store::ByLine` where a vector is a whole cache line (AVX-512):
        // skip the four-vector loop, so the one-vector loop below writes
        // one line per step, each vector loaded, computed and stored before
        // the next. With the arrays in L1 the four loads ahead of four
        // stores run fastest; with them in L2, where each output line comes
        // from L2 before it is written, a line per step does
        // (`docs/measurements.md#a-cache-line-per-loop-step-storebyline`).
        if core::ptr::eq(out, a) {
            // In place: eight vectors loaded before their stores (the
            // in-place pattern's loop) keep more lines in flight while the
            // written ones go back.
            i = unrolled::<V, Op, false, 8>(a, b, out, i, n, op);
        } else if !(store == Store::ByLine && l * size_of::<V::Elem>() >= 64) {
            i = unrolled::<V, Op, false, 4>(a, b, out, i, n, op);
        }
        while i + l <= n {
            op.apply(V::load(a.add(i)), V::load(b.add(i)))
                .store(out.add(i));
            i += l;
        }
        if i < n {
            partial::<V, Op>(a.add(i), b.add(i), out.add(i), n - i, op);
        }
    }
}

/// `out[i] = op(a[i], b[i])` over the common length.
#[inline(always)]
pub(crate) unsafe fn binary<V: SimdVec, Op: Binary<V>>(
    a: &[V::Elem],
    b: &[V::Elem],
    out: &mut [V::Elem],
    op: Op,
    store: Store,
) {
    let n = out.len().min(a.len()).min(b.len());
    unsafe { drive::<V, Op>(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), n, op, store) }
}

/// `a[i] = op(a[i], b[i])` over the common length.
#[inline(always)]
pub(crate) unsafe fn binary_assign<V: SimdVec, Op: Binary<V>>(
    a: &mut [V::Elem],
    b: &[V::Elem],
    op: Op,
) {
    let n = a.len().min(b.len());
    let p = a.as_mut_ptr();
    unsafe { drive::<V, Op>(p, b.as_ptr(), p, n, op, Store::Cached) }
}

/// `out[i] = op(x[i])` over the common length.
#[inline(always)]
pub(crate) unsafe fn unary<V: SimdVec, Op: Unary<V>>(
    x: &[V::Elem],
    out: &mut [V::Elem],
    op: Op,
    store: Store,
) {
    let n = out.len().min(x.len());
    let xp = x.as_ptr();
    unsafe { drive::<V, First<Op>>(xp, xp, out.as_mut_ptr(), n, First(op), store) }
}

/// `x[i] = op(x[i])`.
#[inline(always)]
pub(crate) unsafe fn unary_inplace<V: SimdVec, Op: Unary<V>>(x: &mut [V::Elem], op: Op) {
    let n = x.len();
    let p = x.as_mut_ptr();
    unsafe { drive::<V, First<Op>>(p, p, p, n, First(op), Store::Cached) }
}
