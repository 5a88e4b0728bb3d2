//! The parity matrix: every simdpar kernel against its Mojo twin, computed
//! in-process and returned as data ([`Report`], `serde::Serialize`). Used by
//! `simdpar parity`, by `simdpar report` (a direct call) and by the
//! workspace's `tests/parity.rs`.
//!
//! # The matrix
//!
//! For every kernel x dtype x host ISA ([`simdpar::available_isas`]) the Rust
//! kernel (run inside [`simdpar::with_isa`]) and the `exact` Mojo twin
//! (host CPU, `--fp-mode contract=off`) run on the same input buffers over
//! sizes 0..=70 (every SIMD tail), 255, 1000, 4097 and 600 000, element
//! offsets 0..4 (0..2 for the largest size) and thread counts 1 (the serial
//! API and the serial twin), 2 and 4 (`simdpar::par` with
//! `Threads::AtMost(t)`; the threaded twins for row_sums, multiply and
//! mandelbrot, the serial twin otherwise). row_sums runs 3 rows of every
//! width 0..=70, 255 and 1000 plus 0x5, 1x4097, 17x33 and 1000x600;
//! mandelbrot runs 10 grids from 1x1 to 160x120 (every row tail of 8 and
//! 16 lanes) on the full set (100 iterations) and on a boundary zoom
//! (400 iterations), output offsets 0 and 1.
//!
//! * add, multiply, square, scale, leaky_relu, mandelbrot: **bitwise**.
//!   A case is a mismatch when any output element differs in its bits (or
//!   any count differs), or when either side wrote outside its output. A
//!   NaN output matches any NaN (elementwise NaN sign and payload are
//!   unspecified, see `simdpar::map`); the data holds none.
//! * sum, row_sums: the two sides add in different orders, so a result
//!   passes when `|rust - twin| <= (k_rust + k_twin) * eps * sum(|x|)` with
//!   `k_rust = 17 + log2(L) + ceil(log2(ceil(n / B)))` (simdpar's blocked
//!   pairwise order: L lanes, blocks of B; see `simdpar::reduce`) and
//!   `k_twin = ceil(n / 4W) + log2(4W) + 2` (the twin's four W-lane
//!   accumulators), n = elements per sum. Each term is the classic
//!   first-order bound of its summation tree; both bounds use eps, twice the
//!   unit roundoff, so the sum is conservative by 2x.
//!
//! Extra rows, each on the best ISA ([`simdpar::best_isa`]), serial, offset 0:
//!
//! * `portable`: the `--target-cpu x86-64-v3` contract=off twin, same rules.
//! * `forced16`: the portable twin with f32 vectors forced to 16 lanes
//!   (`-D SIMDPAR_F32_WIDTH=16`), same rules (the width does not change a
//!   single rounding).
//! * `fast`: the `contract=fast` twin. add, multiply, square, scale and
//!   leaky_relu (`x > 0 ? x : alpha * x`, a select and one product) have
//!   nothing to fuse and must stay bitwise; sum/row_sums use the bound
//!   above; mandelbrot passes while at most 10% of the pixels change
//!   their count (a fused `zr*zr - zi*zi` moves orbits near the boundary,
//!   where counts are chaotic). `mismatches` counts every element whose bits
//!   differ, `max_error` the largest absolute difference.
//!
//! `max_error` is the largest absolute difference seen in the cell (in the
//! element type's units; iteration counts for mandelbrot).
//!
//! The timing rows run the `portable` and `forced16` twins (same CPU, same
//! fp mode, only the f32 width differs) interleaved with
//! [`simdpar_bench::timing`], and report the median of each and their
//! ratio. They are a report, never a pass/fail criterion.

mod cases;
mod lane_width_timings;
mod text;

use serde::Serialize;
use simdpar::Kernel;
use simdpar_mojo::{BuildOutcome, Cache, TwinVariant, Twins};

pub use text::to_text;

/// One cell of the parity matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// Kernel name ([`Kernel::name`]).
    pub kernel: &'static str,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// The Rust ISA the kernel ran on.
    pub isa: &'static str,
    /// The twin variant (`exact`, `portable`, `forced16`, `fast`).
    pub twin: &'static str,
    /// Cases compared.
    pub cases: usize,
    /// Cases (for bitwise rows: elements) that failed the cell's rule.
    pub mismatches: usize,
    /// Largest absolute difference.
    pub max_error: f64,
    /// Whether the cell passes its rule.
    pub ok: bool,
}

/// Median timings of the portable twin against the forced-16-lane twin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    /// Kernel name.
    pub kernel: &'static str,
    /// Element type (always `f32`: only f32 has a forced width).
    pub dtype: &'static str,
    /// Problem size, in words.
    pub size: String,
    /// f32 lanes of the portable twin.
    pub native_lanes: usize,
    /// Median seconds per call, portable twin.
    pub native_s: f64,
    /// Median seconds per call, forced-16 twin.
    pub forced16_s: f64,
    /// `forced16_s / native_s` (> 1: forcing 16 lanes is slower).
    pub slowdown: f64,
    /// Interleaved samples per side.
    pub samples: usize,
}

/// A twin library used by the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwinInfo {
    /// Variant name.
    pub variant: &'static str,
    /// Cache key.
    pub key: String,
    /// `hit`, `compiled` or `rebuilt`.
    pub outcome: &'static str,
    /// Target CPU it was compiled for.
    pub cpu: String,
    /// `--fp-mode`.
    pub fp_mode: String,
    /// f32 lanes.
    pub f32_lanes: usize,
    /// f64 lanes.
    pub f64_lanes: usize,
    /// Seconds `mojo build` took when it was compiled.
    pub compile_seconds: f64,
}

/// The result of a parity run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Every cell.
    pub cells: Vec<Cell>,
    /// Forced-16 timing rows (empty when timing was not requested).
    pub timings: Vec<Timing>,
    /// The twins that were loaded.
    pub twins: Vec<TwinInfo>,
    /// The `mojo --version` used.
    pub mojo_version: String,
    /// Whether every cell passed (the same as [`Report::all_ok`]).
    pub all_ok: bool,
}

impl Report {
    /// Whether every cell passed.
    pub fn all_ok(&self) -> bool {
        self.cells.iter().all(|c| c.ok)
    }

    /// The report as pretty-printed JSON (`simdpar parity --json`): the
    /// fields of [`Report`], non-finite numbers as `null`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a parity report always serializes")
    }
}

/// Loads the four twin variants through `cache` and computes the matrix
/// (plus the forced-16 timings when `timing`).
pub fn compute_matrix(cache: &Cache, timing: bool) -> Result<Report, String> {
    let load = |v: TwinVariant| Twins::load(cache, v).map_err(|e| e.to_string());
    let exact = load(TwinVariant::Exact)?;
    let portable = load(TwinVariant::Portable)?;
    let forced = load(TwinVariant::Forced16)?;
    let fast = load(TwinVariant::Fast)?;
    let twins = [&exact, &portable, &forced, &fast]
        .iter()
        .map(|t| twin_info(t))
        .collect();

    let mut cells = Vec::new();
    for kernel in Kernel::ALL {
        for isa in simdpar::available_isas() {
            cells.push(cases::cell::<f32>(kernel, isa, &exact, cases::Mode::Full)?);
            cells.push(cases::cell::<f64>(kernel, isa, &exact, cases::Mode::Full)?);
        }
    }
    let best = simdpar::best_isa();
    for (twin, mode) in [
        (&portable, cases::Mode::Extra),
        (&forced, cases::Mode::Extra),
        (&fast, cases::Mode::Fast),
    ] {
        for kernel in Kernel::ALL {
            cells.push(cases::cell::<f32>(kernel, best, twin, mode)?);
            cells.push(cases::cell::<f64>(kernel, best, twin, mode)?);
        }
    }
    let timings = if timing {
        lane_width_timings::timings(&portable, &forced)?
    } else {
        Vec::new()
    };
    let all_ok = cells.iter().all(|c| c.ok);
    Ok(Report {
        cells,
        timings,
        twins,
        mojo_version: cache.toolchain().version().to_string(),
        all_ok,
    })
}

fn twin_info(t: &Twins) -> TwinInfo {
    let a = t.artifact();
    let m = a.manifest();
    TwinInfo {
        variant: t.variant().name(),
        key: a.key().to_string(),
        outcome: match a.outcome() {
            BuildOutcome::Hit => "hit",
            BuildOutcome::Compiled => "compiled",
            BuildOutcome::Rebuilt { .. } => "rebuilt",
        },
        cpu: m.inputs.target.cpu.clone(),
        fp_mode: m.inputs.fp_mode.clone(),
        f32_lanes: t.simd_width::<f32>(),
        f64_lanes: t.simd_width::<f64>(),
        compile_seconds: m.compile_seconds,
    }
}
