//! Differential fuzz target: the `map` family against the scalar oracle
//! (see `simdpar_fuzz::map` for the input layout and the checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| simdpar_fuzz::map(data));
