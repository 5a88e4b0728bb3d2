//! Reductions with `wide` at the build's baseline: 8 `f32x4` accumulators
//! hold the 32 f32 lanes (16 f64).
crate::reduce::reduce_portable!(
    f32 = crate::simd::portable::F32x4,
    f64 = crate::simd::portable::F64x2
);
