//! The bandwidth probes on AVX-512 F (16 x f32, 8 x f64 per `zmm`: one
//! cache line per vector).
use crate::bandwidth::bandwidth_isa;
crate::simd::isa_shim!(avx512 => bandwidth_isa);
