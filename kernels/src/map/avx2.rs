//! Elementwise kernels on AVX2 (8 x f32, 4 x f64 per `ymm`, 4 vectors per
//! loop iteration).
use crate::map::map_isa;
crate::simd::isa_shim!(avx2 => map_isa);
