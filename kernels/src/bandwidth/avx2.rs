//! The bandwidth probes on AVX2 (8 x f32, 4 x f64 per `ymm`).
use crate::bandwidth::bandwidth_isa;
crate::simd::isa_shim!(avx2 => bandwidth_isa);
