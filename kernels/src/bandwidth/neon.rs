//! The bandwidth probes on NEON (4 x f32, 2 x f64 per `q` register; no
//! non-temporal vector store, so the streaming form stores through the
//! cache).
use crate::bandwidth::bandwidth_isa;
crate::simd::isa_shim!(neon => bandwidth_isa);
