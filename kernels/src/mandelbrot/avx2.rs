//! Mandelbrot on AVX2: 2 x 8 f32 (2 x 4 f64) pixels per step.
crate::mandelbrot::mandelbrot_isa!(
    isa = simdpar_dispatch::Isa::Avx2;
    [#[target_feature(enable = "avx2,fma")]] [token: simdpar_dispatch::Avx2];
    f32 = crate::simd::avx2::F32x8, f64 = crate::simd::avx2::F64x4
);
