//! Mandelbrot written once over [`SimdVec`]: two vectors of pixels per step
//! (two independent dependency chains keep the FP units busy), iterating
//! until every lane has escaped or `max_iter` is reached. Escaped lanes keep
//! iterating harmlessly but their counters are frozen by the active mask.

use super::MandelbrotGrid;
use crate::Element;
use crate::simd::{MAX_LANES, SimdVec};

/// Real parts of `LANES` pixels starting at column `x0`; columns past the
/// row end repeat the last column (their counts are discarded).
#[inline(always)]
unsafe fn column_reals<V: SimdVec>(x0: usize, width: usize, xmin: V::Elem, dx: V::Elem) -> V {
    let mut buf = [V::Elem::ZERO; MAX_LANES];
    for (j, b) in buf.iter_mut().enumerate().take(V::LANES) {
        let x = (x0 + j).min(width - 1);
        *b = xmin + V::Elem::from_index(x) * dx;
    }
    // SAFETY: buf holds MAX_LANES >= LANES elements.
    unsafe { V::load(buf.as_ptr()) }
}

/// Fills rows `y0 .. y0 + out.len() / width` of the image into `out`.
#[inline(always)]
pub(crate) unsafe fn rows<V: SimdVec>(g: &MandelbrotGrid<V::Elem>, y0: usize, out: &mut [u32]) {
    let width = g.width;
    if width == 0 {
        return;
    }
    let (dx, dy) = g.steps();
    let l = V::LANES;
    // SAFETY (whole body): only this ISA's vector operations, and stores into
    // local buffers; `out` is written through safe slices.
    unsafe {
        let four = V::splat(V::Elem::from_f64(4.0));
        let two = V::splat(V::Elem::from_f64(2.0));
        let zero = V::splat(V::Elem::ZERO);
        for (r, row) in out.chunks_exact_mut(width).enumerate() {
            let y = y0 + r;
            let ci = V::splat(g.ylim.0 + V::Elem::from_index(y) * dy);
            let mut x0 = 0;
            while x0 < width {
                let cr0 = column_reals::<V>(x0, width, g.xlim.0, dx);
                let cr1 = column_reals::<V>(x0 + l, width, g.xlim.0, dx);
                let (mut zr0, mut zi0, mut zr1, mut zi1) = (zero, zero, zero, zero);
                // z = 0 has |z|^2 = 0 <= 4: every lane starts active.
                let mut act0 = zero.not_greater(four);
                let mut act1 = act0;
                let mut n0 = V::counter_zero();
                let mut n1 = V::counter_zero();
                for _ in 0..g.max_iter {
                    let zr0sq = zr0.mul(zr0);
                    let zi0sq = zi0.mul(zi0);
                    let zr1sq = zr1.mul(zr1);
                    let zi1sq = zi1.mul(zi1);
                    act0 = V::mask_and(act0, zr0sq.add(zi0sq).not_greater(four));
                    act1 = V::mask_and(act1, zr1sq.add(zi1sq).not_greater(four));
                    if !V::mask_any(act0) && !V::mask_any(act1) {
                        break;
                    }
                    n0 = V::counter_inc(n0, act0);
                    n1 = V::counter_inc(n1, act1);
                    let nzi0 = two.mul(zr0).mul(zi0).add(ci);
                    let nzi1 = two.mul(zr1).mul(zi1).add(ci);
                    zr0 = zr0sq.sub(zi0sq).add(cr0);
                    zr1 = zr1sq.sub(zi1sq).add(cr1);
                    zi0 = nzi0;
                    zi1 = nzi1;
                }
                // Columns x0 .. x0 + take of this row (x0 < width == row.len()).
                let take = (2 * l).min(width - x0);
                let dst = row.as_mut_ptr().add(x0);
                V::counter_store_partial(n0, dst, take.min(l));
                if take > l {
                    V::counter_store_partial(n1, dst.add(l), take - l);
                }
                x0 += 2 * l;
            }
        }
    }
}
