//! Reductions on AVX2: 8 `ymm` accumulators hold the 64 f32 lanes (32 f64).
use crate::reduce::reduce_isa;
crate::simd::isa_shim!(avx2 => reduce_isa);
