//! Test-only C ABI over simdpar's AVX-512 kernels and their scalar twins.
//!
//! This machine (and most CI machines) has no AVX-512, so the AVX-512 path
//! is verified by running its machine code inside the Bochs CPU emulator
//! (`tools/avx512_emu/`): the harness maps this `cdylib` into the emulated
//! CPU, calls each `*_avx512` export with the System V convention, and
//! compares the results bit for bit with the `*_scalar` twin, which it calls
//! natively through `ctypes`.
//!
//! Every `*_avx512` export is a **leaf**: it allocates nothing, cannot panic
//! on the inputs the harness gives it, touches no thread-locals and calls no
//! libc function (inside the emulator there is no libc: such a call faults,
//! and the harness reports it). The `*_scalar` twins run natively and carry
//! no such restriction.
//!
//! Naming: `simdpar_<kernel>_<dtype>_<isa>`, with `<isa>` = `avx512` or
//! `scalar`. Lengths count elements. `streaming` picks an out-of-place
//! elementwise kernel's store policy: 0 cached, 1 non-temporal stores (the
//! path large outputs take), 2 one cache line per loop step (the path
//! L2-sized calls take);
//! `ahead != 0` asks a reduction to prefetch ahead of its loads (the path
//! DRAM-sized inputs take), which must never fault past the input's end.
//!
//! `simdpar_broken_sum_f32_avx512` is deliberately wrong: it reads up to one
//! vector past the end of its input. The harness must catch it (negative
//! control for the guard pages).
//!
//! Nothing here is part of simdpar's API; the crate is `publish = false`.

#![allow(clippy::missing_safety_doc)]
#![cfg(target_arch = "x86_64")]

use simdpar_dispatch::Avx512;
use simdpar_kernels::mandelbrot::{self, MandelbrotGrid};
use simdpar_kernels::map::{self, Store};
use simdpar_kernels::reduce::{self, Fetch};

/// A Mandelbrot grid as plain C data (see [`MandelbrotGrid`]).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Grid<T> {
    pub width: usize,
    pub height: usize,
    pub max_iter: u32,
    pub xmin: T,
    pub xmax: T,
    pub ymin: T,
    pub ymax: T,
}

impl<T: Copy> Grid<T> {
    fn to_grid(self) -> MandelbrotGrid<T> {
        MandelbrotGrid {
            width: self.width,
            height: self.height,
            max_iter: self.max_iter,
            xlim: (self.xmin, self.xmax),
            ylim: (self.ymin, self.ymax),
        }
    }
}

/// `n` elements at `p` as a slice (`p` may be anything when `n == 0`).
#[inline(always)]
unsafe fn sl<'a, T>(p: *const T, n: usize) -> &'a [T] {
    if n == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees n readable elements at p.
        unsafe { core::slice::from_raw_parts(p, n) }
    }
}

/// `n` elements at `p` as a mutable slice (`p` may be anything when `n == 0`).
#[inline(always)]
unsafe fn sl_mut<'a, T>(p: *mut T, n: usize) -> &'a mut [T] {
    if n == 0 {
        &mut []
    } else {
        // SAFETY: the caller guarantees n writable elements at p, not aliased.
        unsafe { core::slice::from_raw_parts_mut(p, n) }
    }
}

#[inline(always)]
fn fetch(ahead: u32) -> Fetch {
    if ahead != 0 {
        Fetch::Ahead
    } else {
        Fetch::OnDemand
    }
}

#[inline(always)]
fn store(streaming: u32) -> Store {
    match streaming {
        0 => Store::Cached,
        2 => Store::ByLine,
        _ => Store::Streaming,
    }
}

/// The AVX-512 token, unchecked.
///
/// # Safety
/// Only the emulator harness (or an AVX-512 host) may call the exports.
#[inline(always)]
unsafe fn tok() -> Avx512 {
    // SAFETY: see above.
    unsafe { Avx512::new_unchecked() }
}

/// One dtype's exports for both ISAs.
macro_rules! exports {
    ($t:ident, $grid:ident,
     $sum_v:ident, $sum_s:ident, $rows_v:ident, $rows_s:ident,
     $add_v:ident, $add_s:ident, $mul_v:ident, $mul_s:ident,
     $adda_v:ident, $adda_s:ident, $mula_v:ident, $mula_s:ident,
     $sq_v:ident, $sq_s:ident, $sqi_v:ident, $sqi_s:ident,
     $sc_v:ident, $sc_s:ident, $sci_v:ident, $sci_s:ident,
     $lr_v:ident, $lr_s:ident, $lri_v:ident, $lri_s:ident,
     $mb_v:ident, $mb_s:ident,
     [$add_f:ident, $mul_f:ident, $adda_f:ident, $mula_f:ident, $sq_f:ident, $sqi_f:ident,
      $sc_f:ident, $sci_f:ident, $lr_f:ident, $lri_f:ident, $sum_f:ident, $rows_f:ident,
      $mb_f:ident]) => {
        /// C form of the Mandelbrot grid for this dtype.
        pub type $grid = Grid<$t>;

        // ---- reduce ----
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sum_v(x: *const $t, n: usize, ahead: u32) -> $t {
            unsafe { reduce::avx512::$sum_f(tok(), sl(x, n), fetch(ahead)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sum_s(x: *const $t, n: usize) -> $t {
            unsafe { reduce::scalar::sum::<$t>(sl(x, n)) }
        }
        /// `out[r] = sum(m[r*cols..(r+1)*cols])` for `r < rows`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $rows_v(
            m: *const $t,
            rows: usize,
            cols: usize,
            out: *mut $t,
            ahead: u32,
        ) {
            let (m, out) = unsafe { (sl(m, rows * cols), sl_mut(out, rows)) };
            unsafe { reduce::avx512::$rows_f(tok(), m, cols, out, fetch(ahead)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $rows_s(m: *const $t, rows: usize, cols: usize, out: *mut $t) {
            unsafe { reduce::scalar::row_sums::<$t>(sl(m, rows * cols), cols, sl_mut(out, rows)) }
        }

        // ---- map, out of place ----
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $add_v(
            a: *const $t,
            b: *const $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe {
                map::avx512::$add_f(tok(), sl(a, n), sl(b, n), sl_mut(out, n), store(streaming))
            }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $add_s(
            a: *const $t,
            b: *const $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe { map::scalar::add::<$t>(sl(a, n), sl(b, n), sl_mut(out, n), store(streaming)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $mul_v(
            a: *const $t,
            b: *const $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe {
                map::avx512::$mul_f(tok(), sl(a, n), sl(b, n), sl_mut(out, n), store(streaming))
            }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $mul_s(
            a: *const $t,
            b: *const $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe {
                map::scalar::multiply::<$t>(sl(a, n), sl(b, n), sl_mut(out, n), store(streaming))
            }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sq_v(x: *const $t, out: *mut $t, n: usize, streaming: u32) {
            unsafe { map::avx512::$sq_f(tok(), sl(x, n), sl_mut(out, n), store(streaming)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sq_s(x: *const $t, out: *mut $t, n: usize, streaming: u32) {
            unsafe { map::scalar::square::<$t>(sl(x, n), sl_mut(out, n), store(streaming)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sc_v(
            x: *const $t,
            factor: $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe { map::avx512::$sc_f(tok(), sl(x, n), factor, sl_mut(out, n), store(streaming)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sc_s(
            x: *const $t,
            factor: $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe { map::scalar::scale::<$t>(sl(x, n), factor, sl_mut(out, n), store(streaming)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $lr_v(
            x: *const $t,
            alpha: $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe { map::avx512::$lr_f(tok(), sl(x, n), alpha, sl_mut(out, n), store(streaming)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $lr_s(
            x: *const $t,
            alpha: $t,
            out: *mut $t,
            n: usize,
            streaming: u32,
        ) {
            unsafe {
                map::scalar::leaky_relu::<$t>(sl(x, n), alpha, sl_mut(out, n), store(streaming))
            }
        }

        // ---- map, in place ----
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $adda_v(a: *mut $t, b: *const $t, n: usize) {
            unsafe { map::avx512::$adda_f(tok(), sl_mut(a, n), sl(b, n)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $adda_s(a: *mut $t, b: *const $t, n: usize) {
            unsafe { map::scalar::add_assign::<$t>(sl_mut(a, n), sl(b, n)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $mula_v(a: *mut $t, b: *const $t, n: usize) {
            unsafe { map::avx512::$mula_f(tok(), sl_mut(a, n), sl(b, n)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $mula_s(a: *mut $t, b: *const $t, n: usize) {
            unsafe { map::scalar::multiply_assign::<$t>(sl_mut(a, n), sl(b, n)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sqi_v(x: *mut $t, n: usize) {
            unsafe { map::avx512::$sqi_f(tok(), sl_mut(x, n)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sqi_s(x: *mut $t, n: usize) {
            unsafe { map::scalar::square_inplace::<$t>(sl_mut(x, n)) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sci_v(x: *mut $t, n: usize, factor: $t) {
            unsafe { map::avx512::$sci_f(tok(), sl_mut(x, n), factor) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $sci_s(x: *mut $t, n: usize, factor: $t) {
            unsafe { map::scalar::scale_inplace::<$t>(sl_mut(x, n), factor) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $lri_v(x: *mut $t, n: usize, alpha: $t) {
            unsafe { map::avx512::$lri_f(tok(), sl_mut(x, n), alpha) }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $lri_s(x: *mut $t, n: usize, alpha: $t) {
            unsafe { map::scalar::leaky_relu_inplace::<$t>(sl_mut(x, n), alpha) }
        }

        // ---- mandelbrot ----
        /// Counts of rows `y0 .. y0 + len / width` of `*grid` into `out`
        /// (`len` elements; a partial last row is left untouched).
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $mb_v(
            grid: *const Grid<$t>,
            y0: usize,
            out: *mut u32,
            len: usize,
        ) {
            unsafe {
                let g = (*grid).to_grid();
                mandelbrot::avx512::$mb_f(tok(), &g, y0, sl_mut(out, len))
            }
        }
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $mb_s(
            grid: *const Grid<$t>,
            y0: usize,
            out: *mut u32,
            len: usize,
        ) {
            unsafe {
                let g = (*grid).to_grid();
                mandelbrot::scalar::rows::<$t>(&g, y0, sl_mut(out, len))
            }
        }
    };
}

exports!(
    f32,
    GridF32,
    simdpar_sum_f32_avx512,
    simdpar_sum_f32_scalar,
    simdpar_row_sums_f32_avx512,
    simdpar_row_sums_f32_scalar,
    simdpar_add_f32_avx512,
    simdpar_add_f32_scalar,
    simdpar_multiply_f32_avx512,
    simdpar_multiply_f32_scalar,
    simdpar_add_assign_f32_avx512,
    simdpar_add_assign_f32_scalar,
    simdpar_multiply_assign_f32_avx512,
    simdpar_multiply_assign_f32_scalar,
    simdpar_square_f32_avx512,
    simdpar_square_f32_scalar,
    simdpar_square_inplace_f32_avx512,
    simdpar_square_inplace_f32_scalar,
    simdpar_scale_f32_avx512,
    simdpar_scale_f32_scalar,
    simdpar_scale_inplace_f32_avx512,
    simdpar_scale_inplace_f32_scalar,
    simdpar_leaky_relu_f32_avx512,
    simdpar_leaky_relu_f32_scalar,
    simdpar_leaky_relu_inplace_f32_avx512,
    simdpar_leaky_relu_inplace_f32_scalar,
    simdpar_mandelbrot_f32_avx512,
    simdpar_mandelbrot_f32_scalar,
    [
        add_f32,
        multiply_f32,
        add_assign_f32,
        multiply_assign_f32,
        square_f32,
        square_inplace_f32,
        scale_f32,
        scale_inplace_f32,
        leaky_relu_f32,
        leaky_relu_inplace_f32,
        sum_f32,
        row_sums_f32,
        rows_f32
    ]
);

exports!(
    f64,
    GridF64,
    simdpar_sum_f64_avx512,
    simdpar_sum_f64_scalar,
    simdpar_row_sums_f64_avx512,
    simdpar_row_sums_f64_scalar,
    simdpar_add_f64_avx512,
    simdpar_add_f64_scalar,
    simdpar_multiply_f64_avx512,
    simdpar_multiply_f64_scalar,
    simdpar_add_assign_f64_avx512,
    simdpar_add_assign_f64_scalar,
    simdpar_multiply_assign_f64_avx512,
    simdpar_multiply_assign_f64_scalar,
    simdpar_square_f64_avx512,
    simdpar_square_f64_scalar,
    simdpar_square_inplace_f64_avx512,
    simdpar_square_inplace_f64_scalar,
    simdpar_scale_f64_avx512,
    simdpar_scale_f64_scalar,
    simdpar_scale_inplace_f64_avx512,
    simdpar_scale_inplace_f64_scalar,
    simdpar_leaky_relu_f64_avx512,
    simdpar_leaky_relu_f64_scalar,
    simdpar_leaky_relu_inplace_f64_avx512,
    simdpar_leaky_relu_inplace_f64_scalar,
    simdpar_mandelbrot_f64_avx512,
    simdpar_mandelbrot_f64_scalar,
    [
        add_f64,
        multiply_f64,
        add_assign_f64,
        multiply_assign_f64,
        square_f64,
        square_inplace_f64,
        scale_f64,
        scale_inplace_f64,
        leaky_relu_f64,
        leaky_relu_inplace_f64,
        sum_f64,
        row_sums_f64,
        rows_f64
    ]
);

/// The AVX2 f32 sum, for the static check's self-test only: the check must
/// find 256-bit (`ymm`) arithmetic here and no 512-bit arithmetic, which
/// shows that it tells the widths apart. Never called by the harness.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn simdpar_sum_f32_avx2_probe(x: *const f32, n: usize) -> f32 {
    // SAFETY: only an AVX2 host may call this; nothing does (static check only).
    unsafe {
        reduce::avx2::sum_f32(
            simdpar_dispatch::Avx2::new_unchecked(),
            sl(x, n),
            Fetch::Ahead,
        )
    }
}

/// DELIBERATELY BROKEN (negative control): an AVX-512 f32 sum whose loop
/// condition is off by one vector, so its last load reads up to one whole
/// vector past the end of `x`. The lanes past the end are masked out of the
/// addition, so the *result* is right whenever the read does not fault:
/// only the guard page after the input can catch it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn simdpar_broken_sum_f32_avx512(x: *const f32, n: usize) -> f32 {
    unsafe { broken_sum_f32(x, n) }
}

#[target_feature(enable = "avx512f")]
unsafe fn broken_sum_f32(x: *const f32, n: usize) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::*;
        let mut acc = _mm512_setzero_ps();
        let mut i = 0;
        // BUG (on purpose): `i <= n` instead of `i + 16 <= n` plus a masked tail.
        while i <= n {
            // black_box keeps LLVM from folding the load into a masked
            // (fault-suppressing) add: the over-read must really happen.
            // SAFETY: none — this is the bug the harness must catch.
            let v = core::hint::black_box(unsafe { _mm512_loadu_ps(x.add(i)) });
            let valid: __mmask16 = if n - i >= 16 {
                0xFFFF
            } else {
                (1u16 << (n - i)) - 1
            };
            acc = _mm512_mask_add_ps(acc, valid, acc, v);
            i += 16;
        }
        _mm512_reduce_add_ps(acc)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (x, n);
        0.0
    }
}
