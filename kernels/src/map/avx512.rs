//! Elementwise kernels on AVX-512 F (16 x f32, 8 x f64 per `zmm`, 4 vectors
//! per loop iteration; one, a whole cache line, under `Store::ByLine`).
crate::map::map_isa!(
    isa = simdpar_dispatch::Isa::Avx512;
    [#[target_feature(enable = "avx512f")]] [token: simdpar_dispatch::Avx512];
    f32 = crate::simd::avx512::F32x16, f64 = crate::simd::avx512::F64x8
);
