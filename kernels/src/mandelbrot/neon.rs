//! Mandelbrot on NEON: 2 x 4 f32 (2 x 2 f64) pixels per step.
crate::mandelbrot::mandelbrot_isa!(
    isa = simdpar_dispatch::Isa::Neon;
    [#[target_feature(enable = "neon")]] [token: simdpar_dispatch::Neon];
    f32 = crate::simd::neon::F32x4, f64 = crate::simd::neon::F64x2
);
