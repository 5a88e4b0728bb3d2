//! The bandwidth probes one element at a time, in plain loops: the
//! baseline without vector code of simdpar's own. Streams, fetch and store
//! forms do not apply; every entry of the table is the same loop.

use crate::Element;
use crate::bandwidth::{BandwidthTable, ReadFn, StoreFn};
use simdpar_dispatch::Isa;

fn read<T: Element>(x: &[T]) -> T {
    x.iter().fold(T::ZERO, |s, &v| s + v)
}

/// `out[i] = f(a[i], b[i])` for `i < n`, each input read before its output
/// is written (`out` may equal an input).
///
/// # Safety
/// `a`, `b` (when `f` reads it: it is passed `a`'s value otherwise) and
/// `out` valid for `n` elements, as for every [`StoreFn`].
#[inline(always)]
unsafe fn each<T: Element>(
    a: *const T,
    b: *const T,
    out: *mut T,
    n: usize,
    two: bool,
    f: impl Fn(T, T) -> T,
) {
    for i in 0..n {
        // SAFETY: i < n, the length the caller guarantees.
        unsafe {
            let x = *a.add(i);
            let y = if two { *b.add(i) } else { x };
            *out.add(i) = f(x, y);
        }
    }
}

unsafe fn copy<T: Element>(a: *const T, b: *const T, out: *mut T, n: usize, _q: T) {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { each(a, b, out, n, false, |x, _| x + T::ZERO) }
}

unsafe fn scale<T: Element>(a: *const T, b: *const T, out: *mut T, n: usize, q: T) {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { each(a, b, out, n, false, |x, _| x * q) }
}

unsafe fn add<T: Element>(a: *const T, b: *const T, out: *mut T, n: usize, _q: T) {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { each(a, b, out, n, true, |x, y| x + y) }
}

unsafe fn triad<T: Element>(a: *const T, b: *const T, out: *mut T, n: usize, q: T) {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { each(a, b, out, n, true, |x, y| x + y * q) }
}

const fn all_forms<F: Copy>(f: F) -> [[F; 2]; 3] {
    [[f, f], [f, f], [f, f]]
}

const fn table<T: Element>() -> BandwidthTable<T> {
    BandwidthTable {
        isa: Isa::Scalar,
        read: all_forms(read::<T> as ReadFn<T>),
        copy: all_forms(copy::<T> as StoreFn<T>),
        scale: all_forms(scale::<T> as StoreFn<T>),
        add: all_forms(add::<T> as StoreFn<T>),
        triad: all_forms(triad::<T> as StoreFn<T>),
    }
}

pub(crate) static TABLE_F32: BandwidthTable<f32> = table::<f32>();
pub(crate) static TABLE_F64: BandwidthTable<f64> = table::<f64>();
