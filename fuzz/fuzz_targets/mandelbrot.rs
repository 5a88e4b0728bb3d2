//! Differential fuzz target: the `mandelbrot` family against the scalar oracle
//! (see `simdpar_fuzz::mandelbrot` for the input layout and the checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| simdpar_fuzz::mandelbrot(data));
