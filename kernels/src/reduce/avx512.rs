//! Reductions on AVX-512 F: 2 `zmm` accumulators hold the 32 f32 lanes (16 f64).
crate::reduce::reduce_isa!(
    token = simdpar_dispatch::Avx512,
    features = "avx512f",
    f32 = crate::simd::avx512::F32x16,
    f64 = crate::simd::avx512::F64x8
);
