//! Mandelbrot on AVX2: 2 x 8 f32 (2 x 4 f64) pixels per step.
use crate::mandelbrot::mandelbrot_isa;
crate::simd::isa_shim!(avx2 => mandelbrot_isa);
