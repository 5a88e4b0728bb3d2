//! Differential fuzz target: the `reduce` family against the scalar oracle
//! (see `simdpar_fuzz::reduce` for the input layout and the checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| simdpar_fuzz::reduce(data));
