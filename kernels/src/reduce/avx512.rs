//! Reductions on AVX-512 F: 4 `zmm` accumulators hold the 64 f32 lanes (32 f64).
use crate::reduce::reduce_isa;
crate::simd::isa_shim!(avx512 => reduce_isa);
