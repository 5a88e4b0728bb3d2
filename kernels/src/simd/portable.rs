//! Portable vectors from the `wide` crate at the build's baseline (SSE2 on
//! x86-64, NEON on aarch64): 4 x f32 and 2 x f64. `wide` chooses its
//! instructions when the crate is compiled, so this path needs no runtime
//! check and is always available. Counters are kept in plain arrays.

use super::SimdVec;
use wide::{f32x4, f64x2};

/// 4 x f32 as a `wide::f32x4`.
#[derive(Clone, Copy)]
pub(crate) struct F32x4(f32x4);
/// 2 x f64 as a `wide::f64x2`.
#[derive(Clone, Copy)]
pub(crate) struct F64x2(f64x2);

macro_rules! portable_vec {
    ($name:ident, $wide:ident, $elem:ty, $lanes:literal) => {
        impl SimdVec for $name {
            type Elem = $elem;
            type Mask = $wide;
            type Counter = [u32; $lanes];
            const LANES: usize = $lanes;

            #[inline(always)]
            unsafe fn splat(x: $elem) -> Self {
                $name($wide::splat(x))
            }
            #[inline(always)]
            unsafe fn load(p: *const $elem) -> Self {
                // SAFETY: the caller guarantees LANES readable elements at p.
                $name($wide::from(unsafe {
                    p.cast::<[$elem; $lanes]>().read_unaligned()
                }))
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $elem) {
                // SAFETY: the caller guarantees LANES writable elements at p.
                unsafe {
                    p.cast::<[$elem; $lanes]>()
                        .write_unaligned(self.0.to_array())
                }
            }
            #[inline(always)]
            unsafe fn stream(self, p: *mut $elem) {
                // SAFETY: as for `store`.
                unsafe { self.store(p) }
            }
            #[inline(always)]
            unsafe fn stream_fence() {}
            #[inline(always)]
            unsafe fn add(self, o: Self) -> Self {
                $name(self.0 + o.0)
            }
            #[inline(always)]
            unsafe fn sub(self, o: Self) -> Self {
                $name(self.0 - o.0)
            }
            #[inline(always)]
            unsafe fn mul(self, o: Self) -> Self {
                $name(self.0 * o.0)
            }
            #[inline(always)]
            unsafe fn select(m: $wide, if_true: Self, if_false: Self) -> Self {
                // A mask lane is all ones or all zeros, so a bitwise select
                // picks whole lanes.
                $name(m.bitselect(if_true.0, if_false.0))
            }
            #[inline(always)]
            unsafe fn mul_unless(self, m: $wide, o: Self) -> Self {
                // self * (m ? 1 : o), the factor built as o ^ (m & (o ^ 1))
                // (bitwise; `o ^ 1` is loop-invariant): two bit operations
                // where a select takes three on SSE2 (and, andnot, or), so
                // leaky_relu costs what the old max + multiply + add did
                // (with the select: 1.26x on f32, Zen 4). A lane in m is
                // self * 1: its own bits unless NaN.
                let one = $wide::ONE;
                $name(self.0 * (o.0 ^ (m & (o.0 ^ one))))
            }
            #[inline(always)]
            unsafe fn reduce_halving(self) -> $elem {
                let mut a = self.0.to_array();
                let mut w = $lanes;
                while w > 1 {
                    w /= 2;
                    for j in 0..w {
                        a[j] += a[j + w];
                    }
                }
                a[0]
            }
            #[inline(always)]
            unsafe fn not_greater(self, o: Self) -> $wide {
                let all = $wide::ZERO.simd_eq($wide::ZERO);
                self.0.simd_gt(o.0) ^ all
            }
            #[inline(always)]
            unsafe fn greater(self, o: Self) -> $wide {
                self.0.simd_gt(o.0)
            }
            #[inline(always)]
            unsafe fn mask_and(a: $wide, b: $wide) -> $wide {
                a & b
            }
            #[inline(always)]
            unsafe fn mask_any(m: $wide) -> bool {
                m.to_bitmask() != 0
            }
            #[inline(always)]
            unsafe fn counter_zero() -> [u32; $lanes] {
                [0; $lanes]
            }
            #[inline(always)]
            unsafe fn counter_inc(mut c: [u32; $lanes], m: $wide) -> [u32; $lanes] {
                let bits = m.to_bitmask();
                for (j, c) in c.iter_mut().enumerate() {
                    *c += (bits >> j) as u32 & 1;
                }
                c
            }
            #[inline(always)]
            unsafe fn counter_store(c: [u32; $lanes], out: *mut u32) {
                // SAFETY: the caller guarantees LANES writable u32 at out.
                unsafe { out.cast::<[u32; $lanes]>().write_unaligned(c) }
            }
        }
    };
}

portable_vec!(F32x4, f32x4, f32, 4);
portable_vec!(F64x2, f64x2, f64, 2);
