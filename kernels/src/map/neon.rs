//! Elementwise kernels on NEON (4 x f32, 2 x f64 per `q` register, 4
//! vectors per loop iteration).
use crate::map::map_isa;
crate::simd::isa_shim!(neon => map_isa);
