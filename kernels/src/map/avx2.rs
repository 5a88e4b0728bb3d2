//! Elementwise kernels on AVX2 (8 x f32, 4 x f64 per `ymm`, 4 vectors per
//! loop iteration).
crate::map::map_isa!(
    isa = simdpar_dispatch::Isa::Avx2;
    [#[target_feature(enable = "avx2,fma")]] [token: simdpar_dispatch::Avx2];
    f32 = crate::simd::avx2::F32x8, f64 = crate::simd::avx2::F64x4
);
