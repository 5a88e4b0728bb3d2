//! Reductions on AVX-512 F: 4 `zmm` accumulators hold the 64 f32 lanes (32 f64).
crate::reduce::reduce_isa!(
    token = simdpar_dispatch::Avx512,
    features = "avx512f",
    f32 = crate::simd::avx512::F32x16,
    f64 = crate::simd::avx512::F64x8
);
