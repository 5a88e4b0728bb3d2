//! Mandelbrot on AVX-512 F: 2 x 16 f32 (2 x 8 f64) pixels per step.
crate::mandelbrot::mandelbrot_isa!(
    isa = simdpar_dispatch::Isa::Avx512;
    [#[target_feature(enable = "avx512f")]] [token: simdpar_dispatch::Avx512];
    f32 = crate::simd::avx512::F32x16, f64 = crate::simd::avx512::F64x8
);
