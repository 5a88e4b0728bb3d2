//! AVX2 + FMA registers: 8 x f32 and 4 x f64 in a 256-bit `ymm`.
//! (FMA is required by the `avx2` path but never used: the contract forbids
//! fused multiply-add.)

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use super::SimdVec;

/// 8 x f32 in a `ymm` register.
#[derive(Clone, Copy)]
pub(crate) struct F32x8(__m256);
/// 4 x f64 in a `ymm` register.
#[derive(Clone, Copy)]
pub(crate) struct F64x4(__m256d);

impl SimdVec for F32x8 {
    type Elem = f32;
    type Mask = __m256;
    type Counter = __m256i;
    const LANES: usize = 8;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn splat(x: f32) -> Self {
        F32x8(_mm256_set1_ps(x))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 8 readable f32 at p.
        F32x8(unsafe { _mm256_loadu_ps(p) })
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 8 writable f32 at p.
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn stream(self, p: *mut f32) {
        // SAFETY: the caller guarantees 8 writable f32 at p, 32-byte aligned.
        unsafe { _mm256_stream_ps(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn stream_fence() {
        _mm_sfence()
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn prefetch(p: *const u8) {
        // PREFETCHT0 is a hint: it never faults, whatever p is.
        _mm_prefetch::<_MM_HINT_T0>(p.cast())
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add(self, o: Self) -> Self {
        F32x8(_mm256_add_ps(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn sub(self, o: Self) -> Self {
        F32x8(_mm256_sub_ps(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mul(self, o: Self) -> Self {
        F32x8(_mm256_mul_ps(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn select(m: __m256, if_true: Self, if_false: Self) -> Self {
        // BLENDV takes its second operand where the mask lane's sign bit is
        // set (a compare sets all of a true lane's bits).
        F32x8(_mm256_blendv_ps(if_false.0, if_true.0, m))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn reduce_halving(self) -> f32 {
        // lanes j += j+4, then j += j+2, then j += j+1.
        let v = _mm_add_ps(
            _mm256_castps256_ps128(self.0),
            _mm256_extractf128_ps::<1>(self.0),
        );
        let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
        let v = _mm_add_ss(v, _mm_shuffle_ps::<0b01>(v, v));
        _mm_cvtss_f32(v)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn not_greater(self, o: Self) -> __m256 {
        _mm256_cmp_ps::<_CMP_NGT_UQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn greater(self, o: Self) -> __m256 {
        _mm256_cmp_ps::<_CMP_GT_OQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mask_and(a: __m256, b: __m256) -> __m256 {
        _mm256_and_ps(a, b)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mask_any(m: __m256) -> bool {
        _mm256_movemask_ps(m) != 0
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn counter_zero() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn counter_inc(c: __m256i, m: __m256) -> __m256i {
        // A set lane is all ones, i.e. -1 as i32: subtracting it adds one.
        _mm256_sub_epi32(c, _mm256_castps_si256(m))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn counter_store(c: __m256i, out: *mut u32) {
        // SAFETY: the caller guarantees 8 writable u32 at out.
        unsafe { _mm256_storeu_si256(out.cast(), c) }
    }
}

impl SimdVec for F64x4 {
    type Elem = f64;
    type Mask = __m256d;
    type Counter = __m256i;
    const LANES: usize = 4;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn splat(x: f64) -> Self {
        F64x4(_mm256_set1_pd(x))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees 4 readable f64 at p.
        F64x4(unsafe { _mm256_loadu_pd(p) })
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: the caller guarantees 4 writable f64 at p.
        unsafe { _mm256_storeu_pd(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn stream(self, p: *mut f64) {
        // SAFETY: the caller guarantees 4 writable f64 at p, 32-byte aligned.
        unsafe { _mm256_stream_pd(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn stream_fence() {
        _mm_sfence()
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn prefetch(p: *const u8) {
        // PREFETCHT0 is a hint: it never faults, whatever p is.
        _mm_prefetch::<_MM_HINT_T0>(p.cast())
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add(self, o: Self) -> Self {
        F64x4(_mm256_add_pd(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn sub(self, o: Self) -> Self {
        F64x4(_mm256_sub_pd(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mul(self, o: Self) -> Self {
        F64x4(_mm256_mul_pd(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn select(m: __m256d, if_true: Self, if_false: Self) -> Self {
        // BLENDV takes its second operand where the mask lane's sign bit is
        // set (a compare sets all of a true lane's bits).
        F64x4(_mm256_blendv_pd(if_false.0, if_true.0, m))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn reduce_halving(self) -> f64 {
        // lanes j += j+2, then j += j+1.
        let v = _mm_add_pd(
            _mm256_castpd256_pd128(self.0),
            _mm256_extractf128_pd::<1>(self.0),
        );
        let v = _mm_add_sd(v, _mm_unpackhi_pd(v, v));
        _mm_cvtsd_f64(v)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn not_greater(self, o: Self) -> __m256d {
        _mm256_cmp_pd::<_CMP_NGT_UQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn greater(self, o: Self) -> __m256d {
        _mm256_cmp_pd::<_CMP_GT_OQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mask_and(a: __m256d, b: __m256d) -> __m256d {
        _mm256_and_pd(a, b)
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mask_any(m: __m256d) -> bool {
        _mm256_movemask_pd(m) != 0
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn counter_zero() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn counter_inc(c: __m256i, m: __m256d) -> __m256i {
        // A set lane is all ones, i.e. -1 as i64: subtracting it adds one.
        _mm256_sub_epi64(c, _mm256_castpd_si256(m))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn counter_store(c: __m256i, out: *mut u32) {
        // Keep the low 32 bits of each 64-bit counter (counts are <= u32::MAX).
        let idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
        let packed = _mm256_permutevar8x32_epi32(c, idx);
        // SAFETY: the caller guarantees 4 writable u32 at out.
        unsafe { _mm_storeu_si128(out.cast(), _mm256_castsi256_si128(packed)) }
    }
}
