//! Reductions on AVX2: 8 `ymm` accumulators hold the 64 f32 lanes (32 f64).
crate::reduce::reduce_isa!(
    token = simdpar_dispatch::Avx2,
    features = "avx2,fma",
    f32 = crate::simd::avx2::F32x8,
    f64 = crate::simd::avx2::F64x4
);
