//! Reductions on NEON: 16 `q` accumulators hold the 64 f32 lanes (32 f64).
use crate::reduce::reduce_isa;
crate::simd::isa_shim!(neon => reduce_isa);
