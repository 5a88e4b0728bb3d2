//! Reductions with `wide` at the build's baseline: 16 `f32x4` accumulators
//! hold the 64 f32 lanes (32 f64).
crate::reduce::reduce_portable!(
    f32 = crate::simd::portable::F32x4,
    f64 = crate::simd::portable::F64x2
);
