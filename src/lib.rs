//! # simdpar
//!
//! Hardware-aware SIMD kernels for `f32` and `f64` slices — sums, row sums,
//! elementwise ops, Mandelbrot — that pick the best instruction set of the
//! CPU they run on (scalar, portable, AVX2, AVX-512, NEON) and give the same
//! bits on every one of them. For NaN: a sum or row sum that is NaN is one
//! canonical NaN on every path, thread count and cut; an elementwise output
//! is NaN exactly where the scalar path's is, its sign and payload
//! unspecified (as IEEE 754 and NumPy leave them). `leaky_relu` is the
//! standard `x > 0 ? x : alpha * x`.
//!
//! ```
//! use simdpar::{Threads, par};
//!
//! let a = vec![1.5f32; 1000];
//! let b = vec![2.0f32; 1000];
//! let mut out = vec![0.0f32; 1000];
//! simdpar::multiply(&a, &b, &mut out)?;
//! assert_eq!(simdpar::sum(&out), 3000.0);
//!
//! // The same on up to 2 threads: bitwise the same result.
//! assert_eq!(par::sum(&out, Threads::AtMost(2)), 3000.0);
//!
//! // Run a block on a chosen ISA (refused if this CPU lacks it).
//! let s = simdpar::with_isa(simdpar::Isa::Scalar, || simdpar::sum(&out))?;
//! assert_eq!(s, 3000.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pieces: [`simdpar_dispatch`] (what this CPU is and which ISA runs)
//! and [`simdpar_kernels`] (the kernels, buffers and the numerical
//! contract). The Mojo twins, the parity matrix, the benchmarks and the
//! `simdpar` command live in unpublished harness crates (`simdpar-mojo`,
//! `simdpar-parity`, `simdpar-bench`, `simdpar-cli`), never in this
//! library's dependency tree.

pub use simdpar_dispatch::{
    Avx2, Avx512, CacheInfo, CpuInfo, Isa, IsaError, IsaScope, Neon, active_isa, available_isas,
    best_isa, check_env, clear_isa, cpu_info, is_supported, set_isa, with_isa,
};
pub use simdpar_kernels::par::{
    Runtime, RuntimeUnavailable, max_threads, runtime, set_max_threads, set_runtime, thread_limit,
};
pub use simdpar_kernels::plan::{profile, tune};
pub use simdpar_kernels::{AccumulatorError, SumAccumulator};
pub use simdpar_kernels::{
    AlignedVec, Arena, ArenaError, BufferError, Dtype, Element, Family, Kernel, KernelError,
    MandelbrotGrid, Plain, Threads, add, add_assign, kernel_isa, leaky_relu, leaky_relu_inplace,
    mandelbrot, multiply, multiply_assign, par, row_sums, scale, scale_inplace, square,
    square_inplace, sum, vocab,
};
pub use simdpar_kernels::{Plan, Reason, plan};
pub use simdpar_kernels::{map, reduce};
pub use {simdpar_dispatch, simdpar_kernels};
