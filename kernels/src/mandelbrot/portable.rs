//! Mandelbrot with `wide` at the build's baseline: 2 x 4 f32 (2 x 2 f64).
crate::mandelbrot::mandelbrot_isa!(
    isa = simdpar_dispatch::Isa::Portable;
    [] [];
    f32 = crate::simd::portable::F32x4, f64 = crate::simd::portable::F64x2
);
