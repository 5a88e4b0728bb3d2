//! Mandelbrot with `wide` at the build's baseline: 2 x 4 f32 (2 x 2 f64).
use crate::mandelbrot::mandelbrot_isa;
crate::simd::isa_shim!(portable => mandelbrot_isa);
