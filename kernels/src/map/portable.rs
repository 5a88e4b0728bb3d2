//! Elementwise kernels with `wide` at the build's baseline (4 x f32, 2 x f64).
use crate::map::map_isa;
crate::simd::isa_shim!(portable => map_isa);
