//! Mandelbrot written once over [`SimdVec`]: two vectors of pixels per step
//! (two independent dependency chains keep the FP units busy), iterating
//! until every lane has escaped or `max_iter` is reached. Escaped lanes keep
//! iterating harmlessly but their counters are frozen by the active mask.

use super::MandelbrotGrid;
use crate::Element;
use crate::simd::{MAX_LANES, SimdVec};

/// Real parts of `LANES` pixels starting at column `x0`; columns past
/// `last` (the last column of the row or tile) repeat it (their counts are
/// discarded).
#[inline(always)]
unsafe fn column_reals<V: SimdVec>(x0: usize, last: usize, xmin: V::Elem, dx: V::Elem) -> V {
    let mut buf = [V::Elem::ZERO; MAX_LANES];
    for (j, b) in buf.iter_mut().enumerate().take(V::LANES) {
        let x = (x0 + j).min(last);
        *b = xmin + V::Elem::from_index(x) * dx;
    }
    // SAFETY: buf holds MAX_LANES >= LANES elements.
    unsafe { V::load(buf.as_ptr()) }
}

/// Vectors of pixels iterated together: independent dependency chains that
/// hide the latency of the `mul -> sub -> add` chain of each iteration.
pub(crate) const UNROLL: usize = 2;

/// Fills rows `y0 .. y0 + out.len() / width` of the image into `out`.
#[inline(always)]
pub(crate) unsafe fn rows<V: SimdVec>(g: &MandelbrotGrid<V::Elem>, y0: usize, out: &mut [u32]) {
    unsafe { tile_unrolled::<V, UNROLL>(g, y0, 0, g.width, out) }
}

/// Fills the tile of columns `x_start .. x_start + tile_width` of rows
/// `y0 .. y0 + out.len() / tile_width` into `out` (row-major, `tile_width`
/// counts a row), with the pixel coordinates of the full grid. The caller
/// keeps the tile inside the image.
#[inline(always)]
pub(crate) unsafe fn tile<V: SimdVec>(
    g: &MandelbrotGrid<V::Elem>,
    y0: usize,
    x_start: usize,
    tile_width: usize,
    out: &mut [u32],
) {
    unsafe { tile_unrolled::<V, UNROLL>(g, y0, x_start, tile_width, out) }
}

/// [`tile`] with `U` vectors of pixels per step.
#[inline(always)]
pub(crate) unsafe fn tile_unrolled<V: SimdVec, const U: usize>(
    g: &MandelbrotGrid<V::Elem>,
    y0: usize,
    x_start: usize,
    tile_width: usize,
    out: &mut [u32],
) {
    let width = tile_width;
    if width == 0 {
        return;
    }
    let last = x_start + width - 1;
    let (dx, dy) = g.steps();
    let l = V::LANES;
    // SAFETY (whole body): only this ISA's vector operations; `out` is
    // written through `counter_store_partial` within the row.
    unsafe {
        let four = V::splat(V::Elem::from_f64(4.0));
        let two = V::splat(V::Elem::from_f64(2.0));
        let zero = V::splat(V::Elem::ZERO);
        // z = 0 has |z|^2 = 0 <= 4: every lane starts active.
        let all = zero.not_greater(four);
        for (r, row) in out.chunks_exact_mut(width).enumerate() {
            let y = y0 + r;
            let ci = V::splat(g.ylim.0 + V::Elem::from_index(y) * dy);
            let mut x0 = 0;
            while x0 < width {
                let mut cr = [zero; U];
                for (u, c) in cr.iter_mut().enumerate() {
                    *c = column_reals::<V>(x_start + x0 + u * l, last, g.xlim.0, dx);
                }
                let mut zr = [zero; U];
                let mut zi = [zero; U];
                let mut act = [all; U];
                let mut n = [V::counter_zero(); U];
                for _ in 0..g.max_iter {
                    let mut zrsq = [zero; U];
                    let mut zisq = [zero; U];
                    let mut any = false;
                    for u in 0..U {
                        zrsq[u] = zr[u].mul(zr[u]);
                        zisq[u] = zi[u].mul(zi[u]);
                        act[u] = V::mask_and(act[u], zrsq[u].add(zisq[u]).not_greater(four));
                        any |= V::mask_any(act[u]);
                    }
                    if !any {
                        break;
                    }
                    for u in 0..U {
                        n[u] = V::counter_inc(n[u], act[u]);
                        let nzi = two.mul(zr[u]).mul(zi[u]).add(ci);
                        zr[u] = zrsq[u].sub(zisq[u]).add(cr[u]);
                        zi[u] = nzi;
                    }
                }
                // Columns x0 .. x0 + take of this row (x0 < width == row.len()).
                let take = (U * l).min(width - x0);
                let dst = row.as_mut_ptr().add(x0);
                for (u, &c) in n.iter().enumerate() {
                    if take > u * l {
                        V::counter_store_partial(c, dst.add(u * l), (take - u * l).min(l));
                    }
                }
                x0 += U * l;
            }
        }
    }
}
