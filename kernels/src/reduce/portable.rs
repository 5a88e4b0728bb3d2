//! Reductions with `wide` at the build's baseline: 16 `f32x4` accumulators
//! hold the 64 f32 lanes (32 f64).
use crate::reduce::reduce_isa;
crate::simd::isa_shim!(portable => reduce_isa);
