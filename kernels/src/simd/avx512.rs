//! AVX-512 F registers: 16 x f32 and 8 x f64 in a 512-bit `zmm`, with `k`
//! mask registers. Only the foundation subset (`avx512f`) is used.

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use super::SimdVec;

/// 16 x f32 in a `zmm` register.
#[derive(Clone, Copy)]
pub(crate) struct F32x16(__m512);
/// 8 x f64 in a `zmm` register.
#[derive(Clone, Copy)]
pub(crate) struct F64x8(__m512d);

impl SimdVec for F32x16 {
    type Elem = f32;
    type Mask = __mmask16;
    type Counter = __m512i;
    const LANES: usize = 16;

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn splat(x: f32) -> Self {
        F32x16(_mm512_set1_ps(x))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 16 readable f32 at p.
        F32x16(unsafe { _mm512_loadu_ps(p) })
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable f32 at p.
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn stream(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable f32 at p, 64-byte aligned.
        unsafe { _mm512_stream_ps(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn stream_fence() {
        _mm_sfence()
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn prefetch(p: *const u8) {
        // PREFETCHT0 is a hint: it never faults, whatever p is.
        _mm_prefetch::<_MM_HINT_T0>(p.cast())
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn add(self, o: Self) -> Self {
        F32x16(_mm512_add_ps(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn sub(self, o: Self) -> Self {
        F32x16(_mm512_sub_ps(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn mul(self, o: Self) -> Self {
        F32x16(_mm512_mul_ps(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn select(m: __mmask16, if_true: Self, if_false: Self) -> Self {
        // VBLENDM takes its third operand where the mask bit is set.
        F32x16(_mm512_mask_blend_ps(m, if_false.0, if_true.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn reduce_halving(self) -> f32 {
        // lanes j += j+8 (256-bit halves), then the 256-bit tree.
        let lo = _mm512_castps512_ps256(self.0);
        let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(self.0)));
        let v = _mm256_add_ps(lo, hi);
        let v = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
        let v = _mm_add_ss(v, _mm_shuffle_ps::<0b01>(v, v));
        _mm_cvtss_f32(v)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn not_greater(self, o: Self) -> __mmask16 {
        _mm512_cmp_ps_mask::<_CMP_NGT_UQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn greater(self, o: Self) -> __mmask16 {
        _mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn mask_and(a: __mmask16, b: __mmask16) -> __mmask16 {
        a & b
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn mask_any(m: __mmask16) -> bool {
        m != 0
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_zero() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_inc(c: __m512i, m: __mmask16) -> __m512i {
        _mm512_mask_add_epi32(c, m, c, _mm512_set1_epi32(1))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_store(c: __m512i, out: *mut u32) {
        // SAFETY: the caller guarantees 16 writable u32 at out.
        unsafe { _mm512_storeu_si512(out.cast(), c) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load_partial(p: *const f32, count: usize, fill: f32) -> Self {
        // SAFETY: masked-off lanes are not accessed (fault suppression); the
        // caller guarantees `count` readable f32 at p.
        F32x16(unsafe { _mm512_mask_loadu_ps(_mm512_set1_ps(fill), mask16(count), p) })
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store_partial(self, p: *mut f32, count: usize) {
        // SAFETY: only the `count` lanes the caller guarantees are written.
        unsafe { _mm512_mask_storeu_ps(p, mask16(count), self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_store_partial(c: __m512i, out: *mut u32, count: usize) {
        // SAFETY: only the `count` counters the caller guarantees are written.
        unsafe { _mm512_mask_storeu_epi32(out.cast(), mask16(count), c) }
    }
}

/// The mask of lanes `0..count` (`count <= 16`).
#[inline(always)]
fn mask16(count: usize) -> __mmask16 {
    ((1u32 << count) - 1) as __mmask16
}

/// The mask of lanes `0..count` (`count <= 8`).
#[inline(always)]
fn mask8(count: usize) -> __mmask8 {
    ((1u32 << count) - 1) as __mmask8
}

impl SimdVec for F64x8 {
    type Elem = f64;
    type Mask = __mmask8;
    type Counter = __m512i;
    const LANES: usize = 8;

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn splat(x: f64) -> Self {
        F64x8(_mm512_set1_pd(x))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees 8 readable f64 at p.
        F64x8(unsafe { _mm512_loadu_pd(p) })
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: the caller guarantees 8 writable f64 at p.
        unsafe { _mm512_storeu_pd(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn stream(self, p: *mut f64) {
        // SAFETY: the caller guarantees 8 writable f64 at p, 64-byte aligned.
        unsafe { _mm512_stream_pd(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn stream_fence() {
        _mm_sfence()
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn prefetch(p: *const u8) {
        // PREFETCHT0 is a hint: it never faults, whatever p is.
        _mm_prefetch::<_MM_HINT_T0>(p.cast())
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn add(self, o: Self) -> Self {
        F64x8(_mm512_add_pd(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn sub(self, o: Self) -> Self {
        F64x8(_mm512_sub_pd(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn mul(self, o: Self) -> Self {
        F64x8(_mm512_mul_pd(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn select(m: __mmask8, if_true: Self, if_false: Self) -> Self {
        // VBLENDM takes its third operand where the mask bit is set.
        F64x8(_mm512_mask_blend_pd(m, if_false.0, if_true.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn reduce_halving(self) -> f64 {
        // lanes j += j+4, then j += j+2, then j += j+1.
        let v = _mm256_add_pd(
            _mm512_castpd512_pd256(self.0),
            _mm512_extractf64x4_pd::<1>(self.0),
        );
        let v = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
        let v = _mm_add_sd(v, _mm_unpackhi_pd(v, v));
        _mm_cvtsd_f64(v)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn not_greater(self, o: Self) -> __mmask8 {
        _mm512_cmp_pd_mask::<_CMP_NGT_UQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn greater(self, o: Self) -> __mmask8 {
        _mm512_cmp_pd_mask::<_CMP_GT_OQ>(self.0, o.0)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn mask_and(a: __mmask8, b: __mmask8) -> __mmask8 {
        a & b
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn mask_any(m: __mmask8) -> bool {
        m != 0
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_zero() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_inc(c: __m512i, m: __mmask8) -> __m512i {
        _mm512_mask_add_epi64(c, m, c, _mm512_set1_epi64(1))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_store(c: __m512i, out: *mut u32) {
        // Truncate each 64-bit counter to 32 bits (counts are <= u32::MAX).
        let packed = _mm512_cvtepi64_epi32(c);
        // SAFETY: the caller guarantees 8 writable u32 at out.
        unsafe { _mm256_storeu_si256(out.cast(), packed) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load_partial(p: *const f64, count: usize, fill: f64) -> Self {
        // SAFETY: masked-off lanes are not accessed (fault suppression); the
        // caller guarantees `count` readable f64 at p.
        F64x8(unsafe { _mm512_mask_loadu_pd(_mm512_set1_pd(fill), mask8(count), p) })
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store_partial(self, p: *mut f64, count: usize) {
        // SAFETY: only the `count` lanes the caller guarantees are written.
        unsafe { _mm512_mask_storeu_pd(p, mask8(count), self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn counter_store_partial(c: __m512i, out: *mut u32, count: usize) {
        // Truncating masked store of the 64-bit counters (VPMOVQD).
        // SAFETY: only the `count` counters the caller guarantees are written.
        unsafe { _mm512_mask_cvtepi64_storeu_epi32(out.cast(), mask8(count), c) }
    }
}
