//! The cases of one parity cell: every size, offset and thread count of a
//! kernel, run on simdpar and on a twin, compared by the cell's rule (see
//! the crate docs).

use simdpar::{Element, Isa, Kernel, MandelbrotGrid, Threads};
use simdpar_mojo::{self as mojo, TwinElement, Twins};

use crate::Cell;

/// How much of the case space a cell covers and which rule it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every size, offset and thread count; exact rules.
    Full,
    /// Every size, offset 0, serial; exact rules.
    Extra,
    /// Every size, offset 0, serial; the contract=fast rules.
    Fast,
}

/// Element types with both a Rust kernel and a Mojo twin.
pub(crate) trait Num: Element + TwinElement {}
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
pub(crate) fn data<T: Num>(n: usize, seed: u64) -> Vec<T> {
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

pub(crate) fn merr(e: mojo::MojoError) -> String {
    e.to_string()
}

pub(crate) fn cell<T: Num>(
    kernel: Kernel,
    isa: Isa,
    twin: &Twins,
    mode: Mode,
) -> Result<Cell, String> {
    let mut t = Tally::new();
    match kernel {
        Kernel::Sum => sum_cases::<T>(isa, twin, mode, &mut t)?,
        Kernel::RowSums => row_sum_cases::<T>(isa, twin, mode, &mut t)?,
        Kernel::Mandelbrot => mandelbrot_cases::<T>(isa, twin, mode, &mut t)?,
        _ => elementwise_cases::<T>(kernel, isa, twin, mode, &mut t)?,
    }
    let ok = !t.failed
        && match (mode, kernel) {
            // A fused multiply-add may move orbits: at most 10% of pixels.
            (Mode::Fast, Kernel::Mandelbrot) => true,
            _ => t.mismatches == 0,
        };
    Ok(Cell {
        kernel: kernel.name(),
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
    kernel: Kernel,
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
                        (Kernel::Add, 1) => simdpar::add(a, b, r),
                        (Kernel::Add, _) => simdpar::par::add(a, b, r, th),
                        (Kernel::Multiply, 1) => simdpar::multiply(a, b, r),
                        (Kernel::Multiply, _) => simdpar::par::multiply(a, b, r, th),
                        (Kernel::Square, 1) => simdpar::square(a, r),
                        (Kernel::Square, _) => simdpar::par::square(a, r, th),
                        (Kernel::Scale, 1) => simdpar::scale(a, factor, r),
                        (Kernel::Scale, _) => simdpar::par::scale(a, factor, r, th),
                        (Kernel::LeakyRelu, 1) => simdpar::leaky_relu(a, alpha, r),
                        (Kernel::LeakyRelu, _) => simdpar::par::leaky_relu(a, alpha, r, th),
                        _ => unreachable!("{kernel} is not elementwise"),
                    }
                })?
                .map_err(kerr)?;
                let m = &mut m_buf[off..off + n];
                match (kernel, threads) {
                    (Kernel::Add, _) => twin.add(a, b, m),
                    (Kernel::Multiply, 1) => twin.multiply(a, b, m),
                    (Kernel::Multiply, _) => twin.multiply_mt(a, b, m, threads).map(|_| ()),
                    (Kernel::Square, _) => twin.square(a, m),
                    (Kernel::Scale, _) => twin.scale(a, factor, m),
                    (Kernel::LeakyRelu, _) => twin.leaky_relu(a, alpha, m),
                    _ => unreachable!("{kernel} is not elementwise"),
                }
                .map_err(merr)?;
                tally.cases += 1;
                for i in 0..n {
                    let (rv, mv) = (r_buf[off + i], m_buf[off + i]);
                    // Bitwise, except that a NaN's sign and payload are
                    // unspecified for elementwise kernels (`simdpar::map`):
                    // NaN on both sides is equal.
                    let both_nan = rv.is_nan() && mv.is_nan();
                    if rv.to_bits_u64() != mv.to_bits_u64() && !both_nan {
                        tally.mismatches += 1;
                        let d = (rv.to_f64() - mv.to_f64()).abs();
                        tally.error(d);
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
                        1 => twin.mandelbrot(&grid, m),
                        t => twin.mandelbrot_mt(&grid, m, t).map(|_| ()),
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
