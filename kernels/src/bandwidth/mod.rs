//! Bandwidth probes: the memory-traffic patterns that bound simdpar's
//! kernels (the STREAM patterns and a read), written once over the
//! kernels' own SIMD layer and run on any ISA this CPU has.
//!
//! These measure how fast this machine moves bytes; they are not numerics.
//! A read sums its input in whatever order its streams walk it (so the
//! result may differ from [`crate::sum`] in its last bits); a store pattern
//! writes exactly the documented value per element (no fused multiply-add),
//! so its output can be checked, but nothing else is promised about speed
//! or order. Each function takes the form to run:
//!
//! * `isa`: the vector width (any ISA with `simdpar_dispatch::is_supported`;
//!   one this CPU lacks, or that `SIMDPAR_DISABLE_ISA` takes away, is an
//!   [`IsaError`], never an illegal instruction);
//! * [`Streams`]: how many distant parts of the arrays one loop step walks
//!   (each part a hardware-prefetch stream per array), with eight vectors
//!   in flight per step over all of them;
//! * [`Fetch`] (reads): whether each step also prefetches the lines 2 KiB
//!   ahead of each part;
//! * [`Store`] (stores): [`Store::Streaming`] writes with non-temporal
//!   stores where the ISA has them (AVX2, AVX-512), else through the cache;
//!   [`Store::Cached`] and [`Store::ByLine`] both write through the cache.
//!
//! `Isa::Scalar` runs plain one-element loops and ignores the other knobs.
//! Every function works on the first `n` elements, `n` the shortest of its
//! slices. On several threads, cut the arrays with [`piece_len`] and run
//! the pieces with [`on_threads`]: the kernels' own pieces and threads.

mod generic;
mod portable;
mod scalar;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod avx2;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;

pub use crate::vocab::{Fetch, Store, Streams};

use crate::Element;
use simdpar_dispatch::{Isa, IsaError};

/// Elements per piece of a probe split over `threads` threads: the length
/// simdpar's parallel kernels cut `n` elements into (about 16 pieces per
/// thread, each a multiple of a cache line), or all of `n` on one thread.
pub fn piece_len(n: usize, threads: usize) -> usize {
    if threads <= 1 {
        n.max(1)
    } else {
        crate::par::split::chunk_len(n, threads)
    }
}

/// Runs `pass` on every item on up to `threads` threads, scheduled exactly
/// as a parallel kernel's pieces are (simdpar's own pool, whose helpers
/// stay ready between calls, or rayon where the runtime says; the same
/// claim order), so a probe split with [`piece_len`] measures what the
/// kernels' threads can move, not another pool's wake-up. One thread (or
/// one item) runs on the calling thread.
pub fn on_threads<I: Send>(items: Vec<I>, threads: usize, pass: impl Fn(I) + Sync) {
    crate::par::run_items(items, threads, pass);
}

/// Position of `s` in the probe tables (`Streams::ALL` order).
fn index(s: Streams) -> usize {
    s as usize
}

/// A probe's read loop (its input, in full).
pub(crate) type ReadFn<T> = unsafe fn(&[T]) -> T;
/// A probe's store loop: `out[i] = op(a[i], b[i])` with factor `q` for
/// `i < n`; `b` is unread by one-input patterns; `out` may equal `a`.
pub(crate) type StoreFn<T> = unsafe fn(*const T, *const T, *mut T, usize, T);

/// The probes of one ISA for one dtype. Reads by `[streams][prefetch]`,
/// stores by `[streams][non-temporal]`.
pub(crate) struct BandwidthTable<T: 'static> {
    pub(crate) isa: Isa,
    pub(crate) read: [[ReadFn<T>; 2]; 3],
    pub(crate) copy: [[StoreFn<T>; 2]; 3],
    pub(crate) scale: [[StoreFn<T>; 2]; 3],
    pub(crate) add: [[StoreFn<T>; 2]; 3],
    pub(crate) triad: [[StoreFn<T>; 2]; 3],
}

crate::isa_tables!(BandwidthTable);

/// Generates an ISA file's probes for f32 and f64 and the two tables. The
/// grammar and each ISA's arguments: [`crate::simd::isa_shim`].
macro_rules! bandwidth_isa {
    (isa = $isa:expr; [$($tf:tt)*] [$($tok:ident : $token:ty)?]; f32 = $v32:ty, f64 = $v64:ty) => {
        crate::bandwidth::bandwidth_isa!(@dtype [$($tf)*] f32, $v32, f32_impl, TABLE_F32, $isa);
        crate::bandwidth::bandwidth_isa!(@dtype [$($tf)*] f64, $v64, f64_impl, TABLE_F64, $isa);
    };
    (@dtype [$($tf:tt)*] $t:ty, $v:ty, $imp:ident, $table:ident, $isa:expr) => {
        mod $imp {
            use crate::bandwidth::generic::{self, StoreOp};
            type V = $v;
            $($tf)*
            pub(super) unsafe fn read<const S: usize, const AHEAD: bool>(x: &[$t]) -> $t {
                // SAFETY: the table holding this is reached only for an
                // ISA this CPU runs.
                unsafe { generic::read::<V, S, AHEAD>(x) }
            }
            $($tf)*
            pub(super) unsafe fn store<O: StoreOp<V>, const S: usize, const NT: bool>(
                a: *const $t, b: *const $t, out: *mut $t, n: usize, q: $t,
            ) {
                // SAFETY: as above; the pointers are the caller's.
                unsafe { generic::store::<V, O, S, NT>(a, b, out, n, q) }
            }
        }
        pub(crate) static $table: crate::bandwidth::BandwidthTable<$t> =
            crate::bandwidth::BandwidthTable {
                isa: $isa,
                read: [
                    [$imp::read::<1, false>, $imp::read::<1, true>],
                    [$imp::read::<2, false>, $imp::read::<2, true>],
                    [$imp::read::<4, false>, $imp::read::<4, true>],
                ],
                copy: crate::bandwidth::bandwidth_isa!(@stores $imp, crate::bandwidth::generic::CopyOp<$v>),
                scale: crate::bandwidth::bandwidth_isa!(@stores $imp, crate::bandwidth::generic::ScaleOp<$v>),
                add: crate::bandwidth::bandwidth_isa!(@stores $imp, crate::bandwidth::generic::AddOp),
                triad: crate::bandwidth::bandwidth_isa!(@stores $imp, crate::bandwidth::generic::TriadOp<$v>),
            };
    };
    (@stores $imp:ident, $op:ty) => {
        [
            [$imp::store::<$op, 1, false>, $imp::store::<$op, 1, true>],
            [$imp::store::<$op, 2, false>, $imp::store::<$op, 2, true>],
            [$imp::store::<$op, 4, false>, $imp::store::<$op, 4, true>],
        ]
    };
}
pub(crate) use bandwidth_isa;

/// Whether [`Store::Streaming`] gives non-temporal stores on `isa` (AVX2
/// and AVX-512; elsewhere it stores through the cache, as
/// [`Store::Cached`] does).
pub fn has_streaming_stores(isa: Isa) -> bool {
    matches!(isa, Isa::Avx2 | Isa::Avx512)
}

/// Whether [`Fetch::Ahead`] issues prefetch instructions on `isa` (AVX2
/// and AVX-512; elsewhere it reads on demand, as [`Fetch::OnDemand`] does).
pub fn has_prefetch(isa: Isa) -> bool {
    matches!(isa, Isa::Avx2 | Isa::Avx512)
}

/// The probes of `isa` for `T`, or why `isa` cannot run here.
fn probes<T: Element>(isa: Isa) -> Result<&'static BandwidthTable<T>, IsaError> {
    if simdpar_dispatch::is_supported(isa) {
        Ok(table_for::<T>(isa))
    } else {
        Err(IsaError::Unsupported {
            isa,
            available: simdpar_dispatch::available_isas(),
        })
    }
}

fn nt(store: Store) -> usize {
    usize::from(store == Store::Streaming)
}

/// The sum of `x` (the read pattern: every element read once), in an order
/// the form chooses. Errors, reading nothing, if `isa` cannot run here.
pub fn read<T: Element>(x: &[T], isa: Isa, streams: Streams, fetch: Fetch) -> Result<T, IsaError> {
    let f = probes::<T>(isa)?.read[index(streams)][usize::from(fetch == Fetch::Ahead)];
    // SAFETY: `probes` gave the table of an ISA this CPU runs.
    Ok(unsafe { f(x) })
}

/// `out[i] = a[i] + 0.0` (the copy pattern: equal to `a[i]` as a number;
/// the addition keeps the compiler from calling `memcpy`). Errors, writing
/// nothing, if `isa` cannot run here.
pub fn copy<T: Element>(
    a: &[T],
    out: &mut [T],
    isa: Isa,
    streams: Streams,
    store: Store,
) -> Result<(), IsaError> {
    let f = probes::<T>(isa)?.copy[index(streams)][nt(store)];
    let n = a.len().min(out.len());
    // SAFETY: `f` is of an ISA this CPU runs; all slices hold `n`.
    unsafe { f(a.as_ptr(), a.as_ptr(), out.as_mut_ptr(), n, T::ZERO) };
    Ok(())
}

/// `out[i] = a[i] * q` (STREAM's scale pattern). Errors, writing nothing,
/// if `isa` cannot run here.
pub fn scale<T: Element>(
    a: &[T],
    q: T,
    out: &mut [T],
    isa: Isa,
    streams: Streams,
    store: Store,
) -> Result<(), IsaError> {
    let f = probes::<T>(isa)?.scale[index(streams)][nt(store)];
    let n = a.len().min(out.len());
    // SAFETY: `f` is of an ISA this CPU runs; all slices hold `n`.
    unsafe { f(a.as_ptr(), a.as_ptr(), out.as_mut_ptr(), n, q) };
    Ok(())
}

/// `x[i] = x[i] * q` (the in-place scale pattern). Errors, writing
/// nothing, if `isa` cannot run here.
pub fn scale_inplace<T: Element>(
    x: &mut [T],
    q: T,
    isa: Isa,
    streams: Streams,
    store: Store,
) -> Result<(), IsaError> {
    let f = probes::<T>(isa)?.scale[index(streams)][nt(store)];
    let p = x.as_mut_ptr();
    // SAFETY: `f` is of an ISA this CPU runs; input and output are the
    // one `&mut` slice, exactly equal, as the store loops allow.
    unsafe { f(p, p, p, x.len(), q) };
    Ok(())
}

/// `out[i] = a[i] + b[i]` (STREAM's add pattern). Errors, writing
/// nothing, if `isa` cannot run here.
pub fn add<T: Element>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    isa: Isa,
    streams: Streams,
    store: Store,
) -> Result<(), IsaError> {
    let f = probes::<T>(isa)?.add[index(streams)][nt(store)];
    let n = a.len().min(b.len()).min(out.len());
    // SAFETY: `f` is of an ISA this CPU runs; all slices hold `n`.
    unsafe { f(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), n, T::ZERO) };
    Ok(())
}

/// `out[i] = a[i] + q * b[i]` (STREAM's triad pattern, a multiply and an
/// add, never fused). Errors, writing nothing, if `isa` cannot run here.
pub fn triad<T: Element>(
    a: &[T],
    b: &[T],
    q: T,
    out: &mut [T],
    isa: Isa,
    streams: Streams,
    store: Store,
) -> Result<(), IsaError> {
    let f = probes::<T>(isa)?.triad[index(streams)][nt(store)];
    let n = a.len().min(b.len()).min(out.len());
    // SAFETY: `f` is of an ISA this CPU runs; all slices hold `n`.
    unsafe { f(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), n, q) };
    Ok(())
}

#[cfg(test)]
mod tests;
