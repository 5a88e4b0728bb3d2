//! Elementwise kernels on NEON (4 x f32, 2 x f64 per `q` register, 4
//! vectors per loop iteration).
crate::map::map_isa!(
    isa = simdpar_dispatch::Isa::Neon;
    [#[target_feature(enable = "neon")]] [token: simdpar_dispatch::Neon];
    f32 = crate::simd::neon::F32x4, f64 = crate::simd::neon::F64x2
);
