//! The memory-traffic loops written once over [`SimdVec`]: a read that
//! sums, and one store loop that every store pattern shares. Each walks
//! `S` parts of its arrays at once (interleaved, one hardware-prefetch
//! stream per part and array) with [`IN_FLIGHT`] vectors per loop step in
//! all ([`READ_IN_FLIGHT`] accumulators for the read), so the loop is
//! bound by memory, not by a dependent chain.

use crate::Element;
use crate::plan::READ_STREAMS_UP_TO_BYTES;
use crate::simd::SimdVec;

/// Vectors per loop step, over all streams (independent accumulators in
/// the read loop, loads in flight before their stores in the store loop).
const IN_FLIGHT: usize = 8;

/// Accumulators of the read loop, over all streams: 16, as many as `sum`
/// keeps on AVX2 with two streams (8 x 2), so the pattern is never the
/// one with fewer loads in flight (on Zen 4 the AVX2 two-stream read of
/// `sum`'s own 1 GiB input then matched `sum`, 1.00x).
const READ_IN_FLIGHT: usize = 16;

/// How far ahead of its loads a prefetching read asks for lines, in bytes
/// (the distance the reductions use beyond the last-level cache).
const PREFETCH_AHEAD: usize = 2048;

/// A cache line, the step between two prefetches.
const LINE: usize = 64;

/// Parts and streamed stores start on this boundary: a whole cache line,
/// so that no loop step writes part of a line (a partly written line
/// leaves a write-combining buffer early, and an in-place pattern then
/// waits for it: `docs/measurements.md#stream-patterns-on-the-kernels-simd-layer`).
const ALIGN: usize = 64;

/// Elements before `p` reaches an [`ALIGN`] boundary (at most `n`; none
/// when `p` is not even element-aligned).
#[inline(always)]
fn head<E>(p: *const E, n: usize) -> usize {
    let (mis, e) = ((p as usize) % ALIGN, size_of::<E>());
    if mis == 0 || !mis.is_multiple_of(e) {
        0
    } else {
        ((ALIGN - mis) / e).min(n)
    }
}

/// The length of each of `streams` parts of `n` elements: a whole number
/// of vectors and of [`ALIGN`] bytes, so that every part starts as aligned
/// as the first one. What the parts leave over is handled after them.
#[inline(always)]
fn part_len<E>(n: usize, streams: usize, lanes: usize) -> usize {
    let step = lanes.max(ALIGN / size_of::<E>());
    n / streams / step * step
}

/// The sum of `n` elements from `p`, one vector at a time, added to `acc`.
///
/// # Safety
/// `p` must be valid for `n` reads; the ISA of `V` must be available.
#[inline(always)]
unsafe fn sum_rest<V: SimdVec>(mut acc: V, p: *const V::Elem, n: usize) -> V {
    let l = V::LANES;
    let mut i = 0;
    // SAFETY: every access is below n, which the caller guarantees.
    unsafe {
        while i + l <= n {
            acc = acc.add(V::load(p.add(i)));
            i += l;
        }
        if i < n {
            acc = acc.add(V::load_partial(p.add(i), n - i, V::Elem::ZERO));
        }
    }
    acc
}

/// Elements of `E` in the longest run a multi-stream probe splits into its
/// parts: arrays beyond it are walked as consecutive runs of it, so the
/// streams are never further apart than `sum`'s
/// ([`READ_STREAMS_UP_TO_BYTES`]; streams hundreds of MiB apart read at
/// 0.6-0.8x of one stream on Zen 4). A multiple of [`ALIGN`] bytes, so
/// every run starts as aligned as the first.
#[inline(always)]
fn run_len<E>() -> usize {
    READ_STREAMS_UP_TO_BYTES / size_of::<E>()
}

/// The sum of `x`, in no promised order: runs of at most [`run_len`]
/// elements in turn, each as `S` parts walked at once (one run, one part,
/// when `S` = 1).
///
/// # Safety
/// The ISA of `V` must be available.
#[inline(always)]
pub(crate) unsafe fn read<V: SimdVec, const S: usize, const AHEAD: bool>(x: &[V::Elem]) -> V::Elem {
    if S == 1 || x.len() <= run_len::<V::Elem>() {
        // SAFETY: the caller's guarantee, passed on.
        return unsafe { read_run::<V, S, AHEAD>(x) };
    }
    let mut total = V::Elem::ZERO;
    for run in x.chunks(run_len::<V::Elem>()) {
        // SAFETY: as above.
        total = total + unsafe { read_run::<V, S, AHEAD>(run) };
    }
    total
}

/// The sum of `x`, in no promised order: `S` parts walked at once with
/// `READ_IN_FLIGHT / S` accumulators each, and with `AHEAD` a prefetch of every
/// line [`PREFETCH_AHEAD`] bytes ahead of each part's loads.
///
/// # Safety
/// The ISA of `V` must be available.
#[inline(always)]
unsafe fn read_run<V: SimdVec, const S: usize, const AHEAD: bool>(x: &[V::Elem]) -> V::Elem {
    let (l, k) = (V::LANES, READ_IN_FLIGHT / S);
    let first = head(x.as_ptr(), x.len());
    // SAFETY: first <= x.len(); the ISA is the caller's.
    let lead = unsafe { sum_rest(V::splat(V::Elem::ZERO), x.as_ptr(), first) };
    let x = &x[first..];
    let (n, p) = (x.len(), x.as_ptr());
    let h = part_len::<V::Elem>(n, S, l);
    // SAFETY: splat has no memory operand; the ISA is the caller's.
    let mut acc = [unsafe { V::splat(V::Elem::ZERO) }; READ_IN_FLIGHT];
    let mut i = 0;
    while i + k * l <= h {
        for s in 0..S {
            let base = p.wrapping_add(s * h + i);
            if AHEAD {
                let ahead = base.cast::<u8>().wrapping_add(PREFETCH_AHEAD);
                for line in (0..k * l * size_of::<V::Elem>()).step_by(LINE) {
                    // SAFETY: a prefetch never faults, whatever the
                    // address; wrapping_add keeps the arithmetic defined.
                    unsafe { V::prefetch(ahead.wrapping_add(line)) };
                }
            }
            for j in 0..k {
                // SAFETY: s * h + i + (j + 1) * l <= s * h + h <= n: inside x.
                acc[s * k + j] = unsafe { acc[s * k + j].add(V::load(base.add(j * l))) };
            }
        }
        i += k * l;
    }
    // SAFETY: each range below lies inside x: the rest of every part, then
    // what the parts leave after S * h.
    unsafe {
        for s in 0..S {
            acc[0] = sum_rest(acc[0], p.add(s * h + i), h - i);
        }
        acc[0] = sum_rest(acc[0], p.add(S * h), n - S * h);
        let mut total = lead;
        for v in &acc {
            total = total.add(*v);
        }
        total.reduce_halving()
    }
}

/// One lane-wise operation of a store pattern: `out = op(a, b)`.
pub(crate) trait StoreOp<V: SimdVec>: Copy {
    /// Whether the operation reads its second input (else `b` is unread).
    const TWO_INPUTS: bool;
    /// The operation with its factor `q` (ignored where it takes none).
    ///
    /// # Safety
    /// The ISA of `V` must be available.
    unsafe fn new(q: V::Elem) -> Self;
    /// The result of one vector.
    ///
    /// # Safety
    /// The ISA of `V` must be available.
    unsafe fn apply(self, a: V, b: V) -> V;
}

/// `a + 0.0`: a copy the compiler cannot turn into `memcpy`.
#[derive(Clone, Copy)]
pub(crate) struct CopyOp<V>(V);
/// `q * a`.
#[derive(Clone, Copy)]
pub(crate) struct ScaleOp<V>(V);
/// `a + b`.
#[derive(Clone, Copy)]
pub(crate) struct AddOp;
/// `a + q * b`.
#[derive(Clone, Copy)]
pub(crate) struct TriadOp<V>(V);

impl<V: SimdVec> StoreOp<V> for CopyOp<V> {
    const TWO_INPUTS: bool = false;
    #[inline(always)]
    unsafe fn new(_q: V::Elem) -> Self {
        // SAFETY: the caller's guarantee, passed on.
        CopyOp(unsafe { V::splat(V::Elem::ZERO) })
    }
    #[inline(always)]
    unsafe fn apply(self, a: V, _b: V) -> V {
        // SAFETY: the caller's guarantee, passed on.
        unsafe { a.add(self.0) }
    }
}
impl<V: SimdVec> StoreOp<V> for ScaleOp<V> {
    const TWO_INPUTS: bool = false;
    #[inline(always)]
    unsafe fn new(q: V::Elem) -> Self {
        // SAFETY: the caller's guarantee, passed on.
        ScaleOp(unsafe { V::splat(q) })
    }
    #[inline(always)]
    unsafe fn apply(self, a: V, _b: V) -> V {
        // SAFETY: the caller's guarantee, passed on.
        unsafe { a.mul(self.0) }
    }
}
impl<V: SimdVec> StoreOp<V> for AddOp {
    const TWO_INPUTS: bool = true;
    #[inline(always)]
    unsafe fn new(_q: V::Elem) -> Self {
        AddOp
    }
    #[inline(always)]
    unsafe fn apply(self, a: V, b: V) -> V {
        // SAFETY: the caller's guarantee, passed on.
        unsafe { a.add(b) }
    }
}
impl<V: SimdVec> StoreOp<V> for TriadOp<V> {
    const TWO_INPUTS: bool = true;
    #[inline(always)]
    unsafe fn new(q: V::Elem) -> Self {
        // SAFETY: the caller's guarantee, passed on.
        TriadOp(unsafe { V::splat(q) })
    }
    #[inline(always)]
    unsafe fn apply(self, a: V, b: V) -> V {
        // SAFETY: the caller's guarantee, passed on.
        unsafe { a.add(b.mul(self.0)) }
    }
}

/// `out[i] = op(a[i], b[i])` for `i` in `from..to`, one vector at a time,
/// cached stores.
///
/// # Safety
/// As for [`store`], for the range.
#[inline(always)]
unsafe fn store_rest<V: SimdVec, O: StoreOp<V>>(
    a: *const V::Elem,
    b: *const V::Elem,
    out: *mut V::Elem,
    from: usize,
    to: usize,
    op: O,
) {
    let l = V::LANES;
    let mut i = from;
    // SAFETY: every access is below `to`, inside the arrays (the caller);
    // both loads come before the store (out may be a).
    unsafe {
        while i + l <= to {
            let vb = if O::TWO_INPUTS {
                V::load(b.add(i))
            } else {
                V::splat(V::Elem::ZERO)
            };
            op.apply(V::load(a.add(i)), vb).store(out.add(i));
            i += l;
        }
        if i < to {
            let c = to - i;
            let va = V::load_partial(a.add(i), c, V::Elem::ZERO);
            let vb = if O::TWO_INPUTS {
                V::load_partial(b.add(i), c, V::Elem::ZERO)
            } else {
                V::splat(V::Elem::ZERO)
            };
            op.apply(va, vb).store_partial(out.add(i), c);
        }
    }
}

/// `out[i] = op(a[i], b[i])` for `i < n`: runs of at most [`run_len`]
/// elements in turn, each as [`store_run`] (one run when `S` = 1).
///
/// # Safety
/// As for [`store_run`].
#[inline(always)]
pub(crate) unsafe fn store<V: SimdVec, O: StoreOp<V>, const S: usize, const NT: bool>(
    a: *const V::Elem,
    b: *const V::Elem,
    out: *mut V::Elem,
    n: usize,
    q: V::Elem,
) {
    let run = run_len::<V::Elem>();
    if S == 1 || n <= run {
        // SAFETY: the caller's guarantees, passed on.
        return unsafe { store_run::<V, O, S, NT>(a, b, out, n, q) };
    }
    let mut at = 0;
    while at < n {
        let len = run.min(n - at);
        // SAFETY: elements at..at + len are inside every array (at + len
        // <= n); the same offset keeps `out` equal to `a` or `b` where it was.
        unsafe { store_run::<V, O, S, NT>(a.add(at), b.add(at), out.add(at), len, q) };
        at += len;
    }
}

/// `out[i] = op(a[i], b[i])` for `i < n`: `S` parts walked at once,
/// `IN_FLIGHT / S` vectors of each loaded before they are stored, with
/// non-temporal stores when `NT` (fenced at the end). A head is peeled
/// first so that every part starts on an [`ALIGN`] boundary of `out`.
///
/// # Safety
/// `a` (and `b` when `O::TWO_INPUTS`) must be valid for `n` reads and `out`
/// for `n` writes; `out` may equal `a` or `b` exactly, never partially
/// overlap them; the ISA of `V` must be available.
#[inline(always)]
unsafe fn store_run<V: SimdVec, O: StoreOp<V>, const S: usize, const NT: bool>(
    a: *const V::Elem,
    b: *const V::Elem,
    out: *mut V::Elem,
    n: usize,
    q: V::Elem,
) {
    let (l, e) = (V::LANES, size_of::<V::Elem>());
    let k = IN_FLIGHT / S;
    // SAFETY: the ISA is the caller's.
    let op = unsafe { O::new(q) };
    let lead = head(out, n);
    // Streamed vectors must be aligned: an `out` that is not even
    // element-aligned gets no head, and then stores through the cache.
    let nt = NT && (out as usize).wrapping_add(lead * e).is_multiple_of(l * e);
    let h = part_len::<V::Elem>(n - lead, S, l);
    // SAFETY (all below): every index is below n, the length the caller
    // guarantees; parts start at lead + s * h, line-aligned when `nt`.
    unsafe {
        store_rest(a, b, out, 0, lead, op);
        let mut i = 0;
        while i + k * l <= h {
            for s in 0..S {
                let at = lead + s * h + i;
                let mut r = [V::splat(V::Elem::ZERO); IN_FLIGHT];
                for (j, r) in r.iter_mut().enumerate().take(k) {
                    let vb = if O::TWO_INPUTS {
                        V::load(b.add(at + j * l))
                    } else {
                        V::splat(V::Elem::ZERO)
                    };
                    *r = op.apply(V::load(a.add(at + j * l)), vb);
                }
                for (j, r) in r.iter().enumerate().take(k) {
                    if nt {
                        r.stream(out.add(at + j * l));
                    } else {
                        r.store(out.add(at + j * l));
                    }
                }
            }
            i += k * l;
        }
        for s in 0..S {
            let at = lead + s * h;
            store_rest(a, b, out, at + i, at + h, op);
        }
        store_rest(a, b, out, lead + S * h, n, op);
        if nt {
            V::stream_fence();
        }
    }
}
