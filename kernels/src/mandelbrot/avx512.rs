//! Mandelbrot on AVX-512 F: 2 x 16 f32 (2 x 8 f64) pixels per step.
use crate::mandelbrot::mandelbrot_isa;
crate::simd::isa_shim!(avx512 => mandelbrot_isa);
