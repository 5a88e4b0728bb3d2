//! Elementwise kernels on AVX-512 F (16 x f32, 8 x f64 per `zmm`, 4 vectors
//! per loop iteration; one, a whole cache line, under `Store::ByLine`).
use crate::map::map_isa;
crate::simd::isa_shim!(avx512 => map_isa);
