//! Mandelbrot on NEON: 2 x 4 f32 (2 x 2 f64) pixels per step.
use crate::mandelbrot::mandelbrot_isa;
crate::simd::isa_shim!(neon => mandelbrot_isa);
