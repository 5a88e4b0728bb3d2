//! Mojo twins of the simdpar kernels, compiled through a content-keyed cache
//! and called in-process from Rust.
//!
//! * [`Toolchain`] finds `mojo` (`$SIMDPAR_MOJO`, then `PATH`, then a
//!   project `.venv/bin/mojo` found by walking up from the current directory
//!   and the crate directory) and records `mojo --version`.
//! * [`Cache`] compiles a [`BuildRequest`] (shared library, executable or
//!   CPython extension module) at most once per key across threads and
//!   processes: the key is the first 16 hex digits of SHA-256 over the source
//!   bytes, the bytes of every local `.mojo` file the source imports, the
//!   `mojo --version`, the resolved target triple + CPU + features, the fp
//!   mode, the defines, the emit kind and the optimization level. Artifacts are built in a staging
//!   directory and renamed into place under a per-key file lock; a manifest
//!   beside each artifact holds the key inputs, the SHA-256, the target
//!   features and the compile time. Truncated or corrupt artifacts are
//!   detected by checksum and rebuilt; an artifact that needs CPU features
//!   this machine lacks is refused with [`MojoError::UnsupportedTarget`] and
//!   never loaded. A size cap evicts the least recently used entries.
//! * [`Twins`] loads one [`TwinVariant`] of `mojo/simdpar_twins.mojo` and
//!   calls its kernels on Rust slices.
//!
//! # The twins
//!
//! `mojo/simdpar_twins.mojo` exports, for `T` in `f32`/`f64`, C-ABI symbols
//! `spm_sum_T`, `spm_row_sums_T`, `spm_row_sums_mt_T`, `spm_add_T`,
//! `spm_multiply_T`, `spm_multiply_mt_T`, `spm_square_T`, `spm_scale_T`,
//! `spm_leaky_relu_T`, `spm_mandelbrot_T`, `spm_mandelbrot_mt_T`, and
//! `spm_simd_width_T`, `spm_abi_version`, `spm_online_cpus`. Loops use
//! `simd_width_of` vectors (2x unrolled, 4 accumulators for reductions) and
//! masked tails. One source yields every variant: `-D SIMDPAR_F32_WIDTH=16`
//! forces 16-lane f32 vectors, `--fp-mode contract=off|fast` and
//! `--target-cpu x86-64-v3` select the rest ([`TwinVariant`]).
//!
//! **Threads.** The threaded twins (row sums, multiply, mandelbrot) fork and
//! join POSIX threads through `external_call["pthread_create"]`. The
//! alternative, `max.algorithm.parallelize`, lives in the MAX package, not in
//! the `mojo` wheel, and needs the Mojo async runtime plus ~3 MB of runtime
//! libraries at load time; the pthread twins stay libc-only shared libraries
//! that load into any Rust process. The cost is ~30-40 µs of thread start-up
//! per call, which the threaded twins amortize by splitting only whole rows
//! or 16384-element blocks.

#![warn(missing_docs)]

mod cache;
mod error;
mod host;
mod imports;
mod loader;
mod toolchain;
mod twins;

pub use cache::{
    Artifact, BuildOutcome, BuildRequest, CACHE_FORMAT, Cache, CacheConfig, CacheInfo, CacheStats,
    DEFAULT_COMPILE_TIMEOUT, DEFAULT_MAX_BYTES, ENV_CACHE_DIR, ENV_CACHE_MAX_BYTES,
    ENV_COMPILE_TIMEOUT, EmitKind, FpMode, KeyInputs, Manifest, Source,
};
pub use error::{INSTALL_HINT, MojoError, SourceLocation};
pub use host::HostCpu;
pub use loader::Library;
pub use toolchain::{ENV_MOJO, EffectiveTarget, Toolchain};
pub use twins::{
    DEFINE_F32_WIDTH, MandelbrotGrid, TWINS_ABI_VERSION, TWINS_SOURCE, TWINS_SOURCE_NAME,
    TwinElement, TwinVariant, Twins, portable_cpu,
};

/// Environment variable that turns a missing toolchain from a loud skip into
/// a test failure (CI sets `SIMDPAR_REQUIRE_MOJO=1`).
pub const ENV_REQUIRE_MOJO: &str = "SIMDPAR_REQUIRE_MOJO";
/// The project-wide "missing tools are failures" switch; implies [`ENV_REQUIRE_MOJO`].
pub const ENV_CI_STRICT: &str = "SIMDPAR_CI";

/// Whether `$SIMDPAR_REQUIRE_MOJO` or `$SIMDPAR_CI` is set to a true value
/// (`1`, `true`, `yes`).
pub fn mojo_required() -> bool {
    [ENV_REQUIRE_MOJO, ENV_CI_STRICT].iter().any(|name| {
        std::env::var(name)
            .map(|v| matches!(v.trim(), "1" | "true" | "yes"))
            .unwrap_or(false)
    })
}

/// Opens a cache for a test or a tool that can live without Mojo.
///
/// Returns `Some(cache)` when the toolchain works. When it is missing or
/// broken, prints `SKIPPED: mojo not found (...)` with the install command to
/// stderr and returns `None` — unless [`mojo_required`], in which case it
/// panics. Any other error panics.
pub fn open_or_skip(config: CacheConfig, what: &str) -> Option<Cache> {
    match Cache::with_config(config) {
        Ok(c) => Some(c),
        Err(e @ (MojoError::ToolchainMissing { .. } | MojoError::ToolchainBroken { .. })) => {
            if mojo_required() {
                panic!(
                    "{ENV_REQUIRE_MOJO}=1 (or {ENV_CI_STRICT}=1) but the Mojo toolchain is unusable: {e}"
                );
            }
            // Written straight to the stderr stream (not `eprintln!`), so
            // that the test harness's output capture cannot hide it.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n**********************************************************************\n\
                 SKIPPED: mojo not found ({what}): {e}\n\
                 Set {ENV_REQUIRE_MOJO}=1 (or {ENV_CI_STRICT}=1) to make this a failure.\n\
                 **********************************************************************"
            );
            None
        }
        Err(e) => panic!("{what}: cannot open the Mojo cache: {e}"),
    }
}
