//! Elementwise kernels with `wide` at the build's baseline (4 x f32, 2 x f64).
crate::map::map_isa!(
    isa = simdpar_dispatch::Isa::Portable;
    [] [];
    f32 = crate::simd::portable::F32x4, f64 = crate::simd::portable::F64x2
);
