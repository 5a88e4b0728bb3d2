//! The bandwidth probes with `wide` at the build's baseline (4 x f32,
//! 2 x f64; no non-temporal store, no prefetch).
use crate::bandwidth::bandwidth_isa;
crate::simd::isa_shim!(portable => bandwidth_isa);
