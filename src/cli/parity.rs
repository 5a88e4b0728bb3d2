//! `simdpar parity [--json] [--no-timing]`: every kernel against its Mojo twin.
//!
//! This file is also the parity engine of `tests/parity.rs`, which includes
//! it with `#[path]`; it therefore names everything through `simdpar::`.
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
//!   any count differs), or when either side wrote outside its output.
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
//! * `fast`: the `contract=fast` twin. add, multiply, square and scale have
//!   nothing to fuse and must stay bitwise; leaky_relu passes within
//!   `eps * (|r| + |alpha * x|)` (one fused rounding); sum/row_sums use the
//!   bound above; mandelbrot passes while at most 10% of the pixels change
//!   their count (a fused `zr*zr - zi*zi` moves orbits near the boundary,
//!   where counts are chaotic). `mismatches` counts every element whose bits
//!   differ, `max_error` the largest absolute difference.
//!
//! `max_error` is the largest absolute difference seen in the cell (in the
//! element type's units; iteration counts for mandelbrot).
//!
//! The timing rows run the `portable` and `forced16` twins (same CPU, same
//! fp mode, only the f32 width differs) interleaved, and report the median
//! of each and their ratio. They are a report, never a pass/fail criterion.

use std::time::Instant;

use simdpar::simdpar_mojo::{
    self as mojo, BuildOutcome, Cache, MandelbrotParams, TwinElement, TwinVariant, Twins,
};
use simdpar::{Element, Isa, KERNEL_NAMES, MandelbrotGrid, Threads};

/// One cell of the parity matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Kernel name (one of [`simdpar::KERNEL_NAMES`]).
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
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Kernel name.
    pub kernel: &'static str,
    /// Problem size, in words.
    pub size: String,
    /// f32 lanes of the portable twin.
    pub native_lanes: usize,
    /// Median seconds per call, portable twin.
    pub native_s: f64,
    /// Median seconds per call, forced-16 twin.
    pub forced16_s: f64,
    /// Interleaved samples per side.
    pub samples: usize,
}

impl Timing {
    /// `forced16_s / native_s` (> 1: forcing 16 lanes is slower).
    pub fn slowdown(&self) -> f64 {
        self.forced16_s / self.native_s
    }
}

/// A twin library used by the run.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Every cell.
    pub cells: Vec<Cell>,
    /// Forced-16 timing rows (empty when timing was not requested).
    pub timings: Vec<Timing>,
    /// The twins that were loaded.
    pub twins: Vec<TwinInfo>,
    /// The `mojo --version` used.
    pub mojo_version: String,
}

impl Report {
    /// Whether every cell passed.
    pub fn all_ok(&self) -> bool {
        self.cells.iter().all(|c| c.ok)
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
    for kernel in KERNEL_NAMES {
        for isa in simdpar::available_isas() {
            cells.push(cell::<f32>(kernel, isa, &exact, Mode::Full)?);
            cells.push(cell::<f64>(kernel, isa, &exact, Mode::Full)?);
        }
    }
    let best = simdpar::best_isa();
    for (twin, mode) in [
        (&portable, Mode::Extra),
        (&forced, Mode::Extra),
        (&fast, Mode::Fast),
    ] {
        for kernel in KERNEL_NAMES {
            cells.push(cell::<f32>(kernel, best, twin, mode)?);
            cells.push(cell::<f64>(kernel, best, twin, mode)?);
        }
    }
    let timings = if timing {
        forced16_timings(&portable, &forced)?
    } else {
        Vec::new()
    };
    Ok(Report {
        cells,
        timings,
        twins,
        mojo_version: cache.toolchain().version().to_string(),
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

/// How much of the case space a cell covers and which rule it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every size, offset and thread count; exact rules.
    Full,
    /// Every size, offset 0, serial; exact rules.
    Extra,
    /// Every size, offset 0, serial; the contract=fast rules.
    Fast,
}

/// Element types with both a Rust kernel and a Mojo twin.
trait Num: Element + TwinElement {}
impl<T: Element + TwinElement> Num for T {}

/// The element sizes of the matrix.
const LARGE: usize = 600_000;

fn sizes() -> impl Iterator<Item = usize> {
    (0..=70).chain([255, 1000, 4097, LARGE])
}

fn offsets(n: usize, mode: Mode) -> std::ops::Range<usize> {
    match mode {
        Mode::Full if n >= LARGE => 0..2,
        Mode::Full => 0..4,
        _ => 0..1,
    }
}

fn thread_counts(mode: Mode) -> &'static [usize] {
    match mode {
        Mode::Full => &[1, 2, 4],
        _ => &[1],
    }
}

/// Deterministic values in [-2, 2) with +0 and -0 mixed in.
fn data<T: Num>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            match i % 29 {
                5 => T::ZERO,
                11 => T::NEG_ZERO,
                _ => T::from_f64((s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0),
            }
        })
        .collect()
}

/// Running tally of one cell.
struct Tally {
    cases: usize,
    mismatches: usize,
    max_error: f64,
    failed: bool,
}

impl Tally {
    fn new() -> Self {
        Tally {
            cases: 0,
            mismatches: 0,
            max_error: 0.0,
            failed: false,
        }
    }

    fn error(&mut self, e: f64) {
        if e.is_nan() || e > self.max_error {
            self.max_error = if e.is_nan() { f64::INFINITY } else { e };
        }
    }
}

const SENTINEL: f64 = -12345.0;
const PAD: usize = 8;

fn kerr(e: simdpar::KernelError) -> String {
    e.to_string()
}

fn merr(e: mojo::MojoError) -> String {
    e.to_string()
}

fn cell<T: Num>(kernel: &'static str, isa: Isa, twin: &Twins, mode: Mode) -> Result<Cell, String> {
    let mut t = Tally::new();
    match kernel {
        "sum" => sum_cases::<T>(isa, twin, mode, &mut t)?,
        "row_sums" => row_sum_cases::<T>(isa, twin, mode, &mut t)?,
        "mandelbrot" => mandelbrot_cases::<T>(isa, twin, mode, &mut t)?,
        _ => elementwise_cases::<T>(kernel, isa, twin, mode, &mut t)?,
    }
    let ok = !t.failed
        && match (mode, kernel) {
            // A fused multiply-add may move orbits: at most 10% of pixels.
            (Mode::Fast, "mandelbrot") => true,
            (Mode::Fast, "leaky_relu") => true,
            _ => t.mismatches == 0,
        };
    Ok(Cell {
        kernel,
        dtype: <T as Element>::NAME,
        isa: isa.name(),
        twin: twin.variant().name(),
        cases: t.cases,
        mismatches: t.mismatches,
        max_error: t.max_error,
        ok,
    })
}

fn run_on<R>(isa: Isa, f: impl FnOnce() -> R) -> Result<R, String> {
    simdpar::with_isa(isa, f).map_err(|e| e.to_string())
}

fn threads_of(t: usize) -> Threads {
    Threads::AtMost(t)
}

fn elementwise_cases<T: Num>(
    kernel: &str,
    isa: Isa,
    twin: &Twins,
    mode: Mode,
    tally: &mut Tally,
) -> Result<(), String> {
    let alpha = T::from_f64(0.01);
    let factor = T::from_f64(-1.7);
    for n in sizes() {
        for off in offsets(n, mode) {
            let a_buf = data::<T>(n + off, n as u64 * 31 + 1);
            let b_buf = data::<T>(n + off, n as u64 * 31 + 2);
            let (a, b) = (&a_buf[off..], &b_buf[off..]);
            for &threads in thread_counts(mode) {
                let mut r_buf = vec![T::from_f64(SENTINEL); n + off + PAD];
                let mut m_buf = vec![T::from_f64(SENTINEL); n + off + PAD];
                let r = &mut r_buf[off..off + n];
                run_on(isa, || -> Result<(), simdpar::KernelError> {
                    let th = threads_of(threads);
                    match (kernel, threads) {
                        ("add", 1) => simdpar::add(a, b, r),
                        ("add", _) => simdpar::par::add(a, b, r, th),
                        ("multiply", 1) => simdpar::multiply(a, b, r),
                        ("multiply", _) => simdpar::par::multiply(a, b, r, th),
                        ("square", 1) => simdpar::square(a, r),
                        ("square", _) => simdpar::par::square(a, r, th),
                        ("scale", 1) => simdpar::scale(a, factor, r),
                        ("scale", _) => simdpar::par::scale(a, factor, r, th),
                        ("leaky_relu", 1) => simdpar::leaky_relu(a, alpha, r),
                        ("leaky_relu", _) => simdpar::par::leaky_relu(a, alpha, r, th),
                        _ => unreachable!("unknown elementwise kernel {kernel}"),
                    }
                })?
                .map_err(kerr)?;
                let m = &mut m_buf[off..off + n];
                match (kernel, threads) {
                    ("add", _) => twin.add(a, b, m),
                    ("multiply", 1) => twin.multiply(a, b, m),
                    ("multiply", _) => twin.multiply_mt(a, b, m, threads).map(|_| ()),
                    ("square", _) => twin.square(a, m),
                    ("scale", _) => twin.scale(a, factor, m),
                    ("leaky_relu", _) => twin.leaky_relu(a, alpha, m),
                    _ => unreachable!("unknown elementwise kernel {kernel}"),
                }
                .map_err(merr)?;
                tally.cases += 1;
                for i in 0..n {
                    let (rv, mv) = (r_buf[off + i], m_buf[off + i]);
                    if rv.to_bits_u64() != mv.to_bits_u64() {
                        tally.mismatches += 1;
                        let d = (rv.to_f64() - mv.to_f64()).abs();
                        tally.error(d);
                        if mode == Mode::Fast {
                            let allowed = if kernel == "leaky_relu" {
                                let ax = (alpha.to_f64() * a[i].to_f64()).abs();
                                T::EPSILON.to_f64() * (rv.to_f64().abs() + ax)
                            } else {
                                0.0
                            };
                            if d > allowed || d.is_nan() {
                                tally.failed = true;
                            }
                        }
                    }
                }
                let outside = |buf: &[T]| {
                    buf[..off]
                        .iter()
                        .chain(&buf[off + n..])
                        .any(|v| v.to_f64() != SENTINEL)
                };
                if outside(&r_buf) || outside(&m_buf) {
                    tally.failed = true;
                    tally.mismatches += 1;
                }
            }
        }
    }
    Ok(())
}

/// `(k_rust + k_twin) * eps * sum|x|` for a sum of `x` (see the module docs).
fn sum_bound<T: Num>(x: &[T], twin_lanes: usize) -> f64 {
    let n = x.len();
    let log2 = |v: usize| -> f64 { (v.max(1) as f64).log2().ceil() };
    let k_rust = 17.0 + log2(T::SUM_LANES) + log2(n.div_ceil(T::SUM_BLOCK));
    let w4 = 4 * twin_lanes.max(1);
    let k_twin = n.div_ceil(w4) as f64 + log2(w4) + 2.0;
    let abs: f64 = x.iter().map(|v| v.to_f64().abs()).sum();
    (k_rust + k_twin) * T::EPSILON.to_f64() * abs
}

fn check_sum<T: Num>(rust: T, twin: T, x: &[T], lanes: usize, tally: &mut Tally) {
    let d = (rust.to_f64() - twin.to_f64()).abs();
    tally.error(d);
    let bad = if x.is_empty() {
        rust.to_f64() != 0.0 || twin.to_f64() != 0.0
    } else {
        d.is_nan() || d > sum_bound(x, lanes)
    };
    if bad {
        tally.mismatches += 1;
    }
}

fn sum_cases<T: Num>(isa: Isa, twin: &Twins, mode: Mode, tally: &mut Tally) -> Result<(), String> {
    let lanes = twin.simd_width::<T>();
    for n in sizes() {
        for off in offsets(n, mode) {
            let buf = data::<T>(n + off, n as u64 * 7 + 5);
            let x = &buf[off..];
            for &threads in thread_counts(mode) {
                let r = run_on(isa, || match threads {
                    1 => simdpar::sum(x),
                    t => simdpar::par::sum(x, threads_of(t)),
                })?;
                let m = twin.sum(x);
                tally.cases += 1;
                check_sum(r, m, x, lanes, tally);
            }
        }
    }
    Ok(())
}

fn row_sum_cases<T: Num>(
    isa: Isa,
    twin: &Twins,
    mode: Mode,
    tally: &mut Tally,
) -> Result<(), String> {
    let lanes = twin.simd_width::<T>();
    let mut shapes: Vec<(usize, usize)> = Vec::new();
    for cols in (0..=70).chain([255, 1000]) {
        shapes.push((3, cols));
    }
    shapes.extend([(0, 5), (1, 4097), (17, 33), (1000, 600)]);
    for (rows, cols) in shapes {
        let n = rows * cols;
        for off in offsets(n, mode) {
            let buf = data::<T>(n + off, (rows * 1000 + cols) as u64);
            let m = &buf[off..];
            for &threads in thread_counts(mode) {
                let mut r = vec![T::from_f64(SENTINEL); rows];
                run_on(isa, || match threads {
                    1 => simdpar::row_sums(m, cols, &mut r),
                    t => simdpar::par::row_sums(m, cols, &mut r, threads_of(t)),
                })?
                .map_err(kerr)?;
                let mut w = vec![T::from_f64(SENTINEL); rows];
                match threads {
                    1 => twin.row_sums(m, cols, &mut w),
                    t => twin.row_sums_mt(m, cols, &mut w, t).map(|_| ()),
                }
                .map_err(merr)?;
                tally.cases += 1;
                let before = tally.mismatches;
                for row in 0..rows {
                    let x = &m[row * cols..(row + 1) * cols];
                    check_sum(r[row], w[row], x, lanes, tally);
                }
                // Count a case once even when several rows fail.
                if tally.mismatches > before {
                    tally.mismatches = before + 1;
                }
            }
        }
    }
    Ok(())
}

fn mandelbrot_cases<T: Num>(
    isa: Isa,
    twin: &Twins,
    mode: Mode,
    tally: &mut Tally,
) -> Result<(), String> {
    /// `(xlim, ylim, max_iter)` of a Mandelbrot test view.
    type View = ((f64, f64), (f64, f64), u32);
    let views: [View; 2] = [
        ((-2.2, 0.8), (-1.2, 1.2), 100),
        ((-0.76, -0.72), (0.08, 0.12), 400),
    ];
    let grids = [
        (1, 1),
        (3, 2),
        (7, 5),
        (8, 3),
        (15, 4),
        (16, 3),
        (17, 9),
        (33, 7),
        (64, 48),
        (160, 120),
    ];
    let mut pixels = 0usize;
    let mut changed = 0usize;
    for (xl, yl, max_iter) in views {
        for (w, h) in grids {
            let grid = MandelbrotGrid {
                width: w,
                height: h,
                max_iter,
                xlim: (T::from_f64(xl.0), T::from_f64(xl.1)),
                ylim: (T::from_f64(yl.0), T::from_f64(yl.1)),
            };
            let params = MandelbrotParams {
                width: w,
                height: h,
                max_iter,
                xlim: grid.xlim,
                ylim: grid.ylim,
            };
            let n = w * h;
            for off in offsets(n, mode).take(2) {
                for &threads in thread_counts(mode) {
                    let mut r_buf = vec![u32::MAX; n + off + PAD];
                    let mut m_buf = vec![u32::MAX; n + off + PAD];
                    let r = &mut r_buf[off..off + n];
                    run_on(isa, || match threads {
                        1 => simdpar::mandelbrot(&grid, r),
                        t => simdpar::par::mandelbrot(&grid, r, threads_of(t)),
                    })?
                    .map_err(kerr)?;
                    let m = &mut m_buf[off..off + n];
                    match threads {
                        1 => twin.mandelbrot(&params, m),
                        t => twin.mandelbrot_mt(&params, m, t).map(|_| ()),
                    }
                    .map_err(merr)?;
                    tally.cases += 1;
                    pixels += n;
                    for i in off..off + n {
                        if r_buf[i] != m_buf[i] {
                            tally.mismatches += 1;
                            changed += 1;
                            tally.error(f64::from(r_buf[i].abs_diff(m_buf[i])));
                        }
                        if m_buf[i] > max_iter {
                            tally.failed = true;
                        }
                    }
                    let outside =
                        |b: &[u32]| b[..off].iter().chain(&b[off + n..]).any(|&v| v != u32::MAX);
                    if outside(&r_buf) || outside(&m_buf) {
                        tally.failed = true;
                        tally.mismatches += 1;
                    }
                }
            }
        }
    }
    if mode == Mode::Fast && changed * 10 > pixels {
        tally.failed = true;
    }
    Ok(())
}

/// Median seconds per call of `f`, calibrated to ~2 ms samples.
fn calibrate(f: &mut dyn FnMut()) -> usize {
    let mut reps = 1usize;
    loop {
        let t0 = Instant::now();
        for _ in 0..reps {
            f();
        }
        let dt = t0.elapsed().as_secs_f64();
        if dt >= 2e-3 || reps >= 1 << 20 {
            return reps;
        }
        reps *= 2;
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn interleaved(samples: usize, a: &mut dyn FnMut(), b: &mut dyn FnMut()) -> (f64, f64) {
    // Warm both sides, size samples to ~2 ms, then alternate which side goes
    // first so that neither always runs on a cache the other just warmed.
    let reps = calibrate(a).max(calibrate(b));
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    let time = |f: &mut dyn FnMut(), into: &mut Vec<f64>| {
        let t0 = Instant::now();
        for _ in 0..reps {
            f();
        }
        into.push(t0.elapsed().as_secs_f64() / reps as f64);
    };
    for i in 0..samples {
        if i % 2 == 0 {
            time(a, &mut ta);
            time(b, &mut tb);
        } else {
            time(b, &mut tb);
            time(a, &mut ta);
        }
    }
    (median(&mut ta), median(&mut tb))
}

/// Times `f` on the native and the forced-16 twin, interleaved, both
/// writing the same output buffer (so neither side gets a luckier address).
fn time_pair<O: ?Sized>(
    native: &Twins,
    forced: &Twins,
    out: &mut O,
    f: &dyn Fn(&Twins, &mut O) -> Result<(), mojo::MojoError>,
) -> Result<(f64, f64), String> {
    const SAMPLES: usize = 21;
    let out = std::cell::RefCell::new(out);
    let err = std::cell::RefCell::new(None);
    let call = |t: &Twins| {
        if let Err(e) = f(t, &mut out.borrow_mut()) {
            *err.borrow_mut() = Some(e);
        }
    };
    let t = interleaved(SAMPLES, &mut || call(native), &mut || call(forced));
    match err.into_inner() {
        Some(e) => Err(merr(e)),
        None => Ok(t),
    }
}

/// Portable (native 8-lane f32 on x86-64-v3) against forced-16 f32 twins.
fn forced16_timings(native: &Twins, forced: &Twins) -> Result<Vec<Timing>, String> {
    let n = 1 << 16;
    // Large allocations start at the same offset within a 4 KiB page; stagger
    // the three buffers so that loads and stores do not 4K-alias.
    const STAGGER: usize = 272; // 1088 bytes
    let a_buf = data::<f32>(n + 3 * STAGGER, 1);
    let b_buf = data::<f32>(n + 3 * STAGGER, 2);
    let mut o_buf = vec![0.0f32; n + 3 * STAGGER];
    let a = &a_buf[..n];
    let b = &b_buf[STAGGER..STAGGER + n];
    let o = &mut o_buf[2 * STAGGER..2 * STAGGER + n];
    let (rows, cols) = (256, 256);
    let mandel = MandelbrotParams {
        width: 256,
        height: 192,
        max_iter: 128,
        xlim: (-2.0f32, 0.5),
        ylim: (-1.25, 1.25),
    };
    let mut counts = vec![0u32; mandel.width * mandel.height];
    let row = |kernel: &'static str, size: String, (x, y): (f64, f64)| Timing {
        kernel,
        size,
        native_lanes: native.simd_width::<f32>(),
        native_s: x,
        forced16_s: y,
        samples: 21,
    };
    let elems = format!("{n} f32");
    Ok(vec![
        row(
            "sum",
            elems.clone(),
            time_pair(native, forced, o, &|t, o| {
                o[0] = t.sum(a);
                Ok(())
            })?,
        ),
        row(
            "multiply",
            elems.clone(),
            time_pair(native, forced, o, &|t, o| t.multiply(a, b, o))?,
        ),
        row(
            "leaky_relu",
            elems,
            time_pair(native, forced, o, &|t, o| t.leaky_relu(a, 0.01, o))?,
        ),
        row(
            "row_sums",
            format!("{rows}x{cols} f32"),
            time_pair(native, forced, o, &|t, o| {
                t.row_sums(&a[..rows * cols], cols, &mut o[..rows])
            })?,
        ),
        row(
            "mandelbrot",
            format!(
                "{}x{} f32, {} iter",
                mandel.width, mandel.height, mandel.max_iter
            ),
            time_pair(native, forced, &mut counts[..], &|t, c| {
                t.mandelbrot(&mandel, c)
            })?,
        ),
    ])
}

/// A JSON string literal (names here are plain ASCII; escape the rest anyway).
fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn jn(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        "null".into()
    }
}

/// `{"cells": [...], "timings": [...], "twins": [...], "mojo_version": ...}`.
pub fn to_json(r: &Report) -> String {
    let cells: Vec<String> = r
        .cells
        .iter()
        .map(|c| {
            format!(
                "{{\"kernel\": {}, \"dtype\": {}, \"isa\": {}, \"twin\": {}, \"cases\": {}, \"mismatches\": {}, \"max_error\": {}, \"ok\": {}}}",
                js(c.kernel),
                js(c.dtype),
                js(c.isa),
                js(c.twin),
                c.cases,
                c.mismatches,
                jn(c.max_error),
                c.ok
            )
        })
        .collect();
    let timings: Vec<String> = r
        .timings
        .iter()
        .map(|t| {
            format!(
                "{{\"kernel\": {}, \"dtype\": \"f32\", \"size\": {}, \"native_lanes\": {}, \"native_s\": {}, \"forced16_s\": {}, \"slowdown\": {}, \"samples\": {}}}",
                js(t.kernel),
                js(&t.size),
                t.native_lanes,
                jn(t.native_s),
                jn(t.forced16_s),
                jn(t.slowdown()),
                t.samples
            )
        })
        .collect();
    let twins: Vec<String> = r
        .twins
        .iter()
        .map(|t| {
            format!(
                "{{\"variant\": {}, \"key\": {}, \"outcome\": {}, \"cpu\": {}, \"fp_mode\": {}, \"f32_lanes\": {}, \"f64_lanes\": {}, \"compile_seconds\": {}}}",
                js(t.variant),
                js(&t.key),
                js(t.outcome),
                js(&t.cpu),
                js(&t.fp_mode),
                t.f32_lanes,
                t.f64_lanes,
                jn(t.compile_seconds)
            )
        })
        .collect();
    format!(
        "{{\"cells\": [\n  {}\n], \"timings\": [\n  {}\n], \"twins\": [\n  {}\n], \"mojo_version\": {}, \"all_ok\": {}}}",
        cells.join(",\n  "),
        timings.join(",\n  "),
        twins.join(",\n  "),
        js(&r.mojo_version),
        r.all_ok()
    )
}

/// The matrix as a text table.
pub fn to_text(r: &Report) -> String {
    let mut s = format!("simdpar parity ({})\n\ntwins:\n", r.mojo_version);
    for t in &r.twins {
        s.push_str(&format!(
            "  {:<9} {} {:<8} cpu={:<10} {:<13} f32x{:<2} f64x{:<2} compiled in {:.2}s\n",
            t.variant,
            t.key,
            t.outcome,
            t.cpu,
            t.fp_mode,
            t.f32_lanes,
            t.f64_lanes,
            t.compile_seconds
        ));
    }
    s.push_str(&format!(
        "\n{:<11} {:<5} {:<9} {:<9} {:>6} {:>10} {:>11}  ok\n",
        "kernel", "dtype", "isa", "twin", "cases", "mismatches", "max_error"
    ));
    for c in &r.cells {
        s.push_str(&format!(
            "{:<11} {:<5} {:<9} {:<9} {:>6} {:>10} {:>11.3e}  {}\n",
            c.kernel,
            c.dtype,
            c.isa,
            c.twin,
            c.cases,
            c.mismatches,
            c.max_error,
            if c.ok { "ok" } else { "FAIL" }
        ));
    }
    if !r.timings.is_empty() {
        s.push_str(&format!(
            "\nforced 16-lane f32 vs the portable twin's native {} lanes (median of {} interleaved samples):\n",
            r.timings[0].native_lanes, r.timings[0].samples
        ));
        for t in &r.timings {
            s.push_str(&format!(
                "  {:<11} {:<22} native {:>9.2} us  forced16 {:>9.2} us  x{:.2}\n",
                t.kernel,
                t.size,
                t.native_s * 1e6,
                t.forced16_s * 1e6,
                t.slowdown()
            ));
        }
    }
    let ok = r.cells.iter().filter(|c| c.ok).count();
    s.push_str(&format!("\n{ok} of {} cells ok\n", r.cells.len()));
    s
}

/// `simdpar parity [--json] [--no-timing]`: prints the matrix; fails when a
/// cell fails or the Mojo toolchain is missing.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut as_json = false;
    let mut timing = true;
    for a in args {
        match a.as_str() {
            "--json" => as_json = true,
            "--no-timing" => timing = false,
            other => {
                return Err(format!(
                    "usage: simdpar parity [--json] [--no-timing] (unknown argument {other:?})"
                ));
            }
        }
    }
    let cache = Cache::open().map_err(|e| e.to_string())?;
    let report = compute_matrix(&cache, timing)?;
    if as_json {
        println!("{}", to_json(&report));
    } else {
        print!("{}", to_text(&report));
    }
    if report.all_ok() {
        Ok(())
    } else {
        let bad: Vec<String> = report
            .cells
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}/{}/{}/{}", c.kernel, c.dtype, c.isa, c.twin))
            .collect();
        Err(format!(
            "parity failed in {} cells: {}",
            bad.len(),
            bad.join(", ")
        ))
    }
}
