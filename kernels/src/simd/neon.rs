//! NEON (Advanced SIMD) registers on aarch64: 4 x f32 and 2 x f64 in a
//! 128-bit `q` register. NEON has no non-temporal vector store, so
//! `stream` is a plain store.

use core::arch::aarch64::*;

use super::SimdVec;

/// 4 x f32 in a `q` register.
#[derive(Clone, Copy)]
pub(crate) struct F32x4(float32x4_t);
/// 2 x f64 in a `q` register.
#[derive(Clone, Copy)]
pub(crate) struct F64x2(float64x2_t);

impl SimdVec for F32x4 {
    type Elem = f32;
    type Mask = uint32x4_t;
    type Counter = uint32x4_t;
    const LANES: usize = 4;

    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn splat(x: f32) -> Self {
        F32x4(vdupq_n_f32(x))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 4 readable f32 at p.
        F32x4(unsafe { vld1q_f32(p) })
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 4 writable f32 at p.
        unsafe { vst1q_f32(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn stream(self, p: *mut f32) {
        // SAFETY: as for `store`.
        unsafe { vst1q_f32(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn stream_fence() {}
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn add(self, o: Self) -> Self {
        F32x4(vaddq_f32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn sub(self, o: Self) -> Self {
        F32x4(vsubq_f32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn mul(self, o: Self) -> Self {
        F32x4(vmulq_f32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn select(m: uint32x4_t, if_true: Self, if_false: Self) -> Self {
        // BSL: bits of the first operand where the mask bit is set (a
        // compare sets all of a true lane's bits).
        F32x4(vbslq_f32(m, if_true.0, if_false.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn reduce_halving(self) -> f32 {
        // lanes j += j+2, then lane 0 += lane 1.
        let v = vadd_f32(vget_low_f32(self.0), vget_high_f32(self.0));
        vget_lane_f32::<0>(v) + vget_lane_f32::<1>(v)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn not_greater(self, o: Self) -> uint32x4_t {
        vmvnq_u32(vcgtq_f32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn greater(self, o: Self) -> uint32x4_t {
        vcgtq_f32(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn mask_and(a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        vandq_u32(a, b)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn mask_any(m: uint32x4_t) -> bool {
        vmaxvq_u32(m) != 0
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn counter_zero() -> uint32x4_t {
        vdupq_n_u32(0)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn counter_inc(c: uint32x4_t, m: uint32x4_t) -> uint32x4_t {
        // A set lane is all ones (-1 mod 2^32): subtracting it adds one.
        vsubq_u32(c, m)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn counter_store(c: uint32x4_t, out: *mut u32) {
        // SAFETY: the caller guarantees 4 writable u32 at out.
        unsafe { vst1q_u32(out, c) }
    }
}

impl SimdVec for F64x2 {
    type Elem = f64;
    type Mask = uint64x2_t;
    type Counter = uint64x2_t;
    const LANES: usize = 2;

    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn splat(x: f64) -> Self {
        F64x2(vdupq_n_f64(x))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees 2 readable f64 at p.
        F64x2(unsafe { vld1q_f64(p) })
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: the caller guarantees 2 writable f64 at p.
        unsafe { vst1q_f64(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn stream(self, p: *mut f64) {
        // SAFETY: as for `store`.
        unsafe { vst1q_f64(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn stream_fence() {}
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn add(self, o: Self) -> Self {
        F64x2(vaddq_f64(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn sub(self, o: Self) -> Self {
        F64x2(vsubq_f64(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn mul(self, o: Self) -> Self {
        F64x2(vmulq_f64(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn select(m: uint64x2_t, if_true: Self, if_false: Self) -> Self {
        // BSL, as for f32.
        F64x2(vbslq_f64(m, if_true.0, if_false.0))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn reduce_halving(self) -> f64 {
        vgetq_lane_f64::<0>(self.0) + vgetq_lane_f64::<1>(self.0)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn not_greater(self, o: Self) -> uint64x2_t {
        let gt = vreinterpretq_u32_u64(vcgtq_f64(self.0, o.0));
        vreinterpretq_u64_u32(vmvnq_u32(gt))
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn greater(self, o: Self) -> uint64x2_t {
        vcgtq_f64(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn mask_and(a: uint64x2_t, b: uint64x2_t) -> uint64x2_t {
        vandq_u64(a, b)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn mask_any(m: uint64x2_t) -> bool {
        vmaxvq_u32(vreinterpretq_u32_u64(m)) != 0
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn counter_zero() -> uint64x2_t {
        vdupq_n_u64(0)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn counter_inc(c: uint64x2_t, m: uint64x2_t) -> uint64x2_t {
        vsubq_u64(c, m)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn counter_store(c: uint64x2_t, out: *mut u32) {
        // SAFETY: the caller guarantees 2 writable u32 at out.
        unsafe { vst1_u32(out, vmovn_u64(c)) }
    }
}
