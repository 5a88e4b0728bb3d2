//! Reductions on NEON: 16 `q` accumulators hold the 64 f32 lanes (32 f64).
crate::reduce::reduce_isa!(
    token = simdpar_dispatch::Neon,
    features = "neon",
    f32 = crate::simd::neon::F32x4,
    f64 = crate::simd::neon::F64x2
);
