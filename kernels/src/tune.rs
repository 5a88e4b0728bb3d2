//! The tuner: measures, on the machine that runs it, which ISA is fastest
//! and whether threads pay for each kernel family x dtype x size class,
//! from which output size non-temporal stores pay, and whether reductions
//! beyond the last-level cache should prefetch ahead; the result is a
//! [`Profile`] that [`crate::plan()`] then follows.
//!
//! Method (std only): for each cell, a kernel per group that behaves alike
//! (`sum`, `row_sums`, `add` for two-input maps, `scale` for one-input
//! maps, `mandelbrot`; see [`crate::plan::tuned_as`]) at a size inside the
//! class;
//! every contender (each available ISA but scalar, on 1 and on all threads)
//! runs once per round, in a rotated order, for several rounds; each sample
//! repeats the call for about 2 ms. Decisions use medians of per-round
//! ratios (contender vs the built-in default's ISA; all threads vs one;
//! streaming vs cached stores), which survive a machine whose load changes
//! between rounds. A variant must win by more than 3% to be chosen (so
//! noise keeps the default). The whole run takes at most about the budget.
//! Tune on a quiet machine: a profile measured under load records that
//! threads did not pay then.
//!
//! Then the tuner checks its own profile ([`check`]): on a held-out grid
//! (sibling kernels, in-place calls and other sizes than it chose on) it
//! times every call whose plan the profile changes against the built-in
//! defaults, interleaved, and drops each choice that loses anywhere by more
//! than [`MARGIN`].

use crate::mandelbrot::MandelbrotGrid;
use crate::map::{self, Store};
use crate::par::{self, Threads, split};
use crate::plan::with_forced_threads;
use crate::reduce::{self, Fetch};
use crate::timing;
use crate::vocab::{Dtype, Family, Kernel};
use crate::{Element, KernelError};
use simdpar_dispatch::profile::{self, Profile, SizeClass, Tuned, cache_limits};
use simdpar_dispatch::{Isa, available_isas, with_isa};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A variant must beat the simpler one by this factor to be chosen; the
/// check drops a choice that runs slower than the defaults by more.
pub const MARGIN: f64 = 1.03;
/// Fewest rounds per cell, whatever the budget.
const MIN_ROUNDS: usize = 3;
/// Most rounds per cell.
const MAX_ROUNDS: usize = 201;
/// Target duration of one sample (the call repeated).
const SAMPLE: Duration = Duration::from_millis(2);

/// What one cell measured.
#[derive(Clone, Debug, PartialEq)]
pub struct CellResult {
    /// The family.
    pub family: Family,
    /// The kernel measured (it stands for the kernels
    /// [`crate::plan::tuned_as`] maps to it; the profile entry is named
    /// after it).
    pub kernel: Kernel,
    /// The dtype.
    pub dtype: Dtype,
    /// The class.
    pub class: SizeClass,
    /// Elements (pixels x iterations for Mandelbrot) measured.
    pub len: usize,
    /// Median seconds per call, 1 thread, per ISA.
    pub one_thread: Vec<(Isa, f64)>,
    /// Median seconds per call, all threads, per ISA.
    pub all_threads: Vec<(Isa, f64)>,
    /// What went into the profile.
    pub tuned: Tuned,
}

/// What [`tune`] found and where it wrote it.
#[derive(Clone, Debug)]
pub struct TuneReport {
    /// The profile (also installed for this process).
    pub profile: Profile,
    /// Where it was written (`None` when writing failed: see `write_error`).
    pub path: Option<PathBuf>,
    /// Why it could not be written.
    pub write_error: Option<String>,
    /// Every cell's measurements.
    pub cells: Vec<CellResult>,
    /// Seconds the measurement took.
    pub seconds: f64,
    /// Threads used for the "all threads" variants.
    pub threads: usize,
    /// The check of the measured profile against the built-in defaults;
    /// `profile` is what survived it.
    pub check: CheckReport,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds per call, per contender, per round.
type Samples = Vec<Vec<f64>>;

/// Median over rounds of `s[base][r] / s[other][r]`: above 1 when `other`
/// is faster.
fn paired_speedup(s: &Samples, base: usize, other: usize) -> f64 {
    median(s[base].iter().zip(&s[other]).map(|(b, o)| b / o).collect())
}

/// Times contenders interleaved until `allowance` is spent (within
/// [`MIN_ROUNDS`, `MAX_ROUNDS`]); returns every sample (seconds per call).
fn race(contenders: &mut [&mut dyn FnMut()], allowance: Duration) -> Samples {
    let mut batched: Vec<Box<dyn FnMut(usize) + '_>> = contenders
        .iter_mut()
        .map(|c| {
            Box::new(move |n: usize| {
                for _ in 0..n {
                    c();
                }
            }) as Box<dyn FnMut(usize)>
        })
        .collect();
    let mut refs: Vec<&mut dyn FnMut(usize)> = batched.iter_mut().map(|b| &mut **b as _).collect();
    race_batched(&mut refs, allowance)
}

/// [`race`] for contenders that make `n` calls when asked for `n` (so one
/// that sets something up per sample does it outside the repeated call),
/// on the timing engine: rounds in a rotated order, each contender's
/// warm-up call sizing its samples to about [`SAMPLE`].
fn race_batched(contenders: &mut [&mut dyn FnMut(usize)], allowance: Duration) -> Samples {
    let mut cands: Vec<timing::Candidate<'_>> = contenders
        .iter_mut()
        .map(|c| timing::Candidate::new("", c))
        .collect();
    let schedule = timing::Schedule {
        order: timing::Order::Rotated,
        calibration: timing::Calibration::FirstCall {
            sample: SAMPLE,
            max_calls: 100_000,
        },
        min_rounds: MIN_ROUNDS,
        max_rounds: MAX_ROUNDS,
        budget: allowance,
        prime: false,
    };
    timing::run_rounds(&mut cands, &schedule)
        .into_iter()
        .map(|s| s.rounds)
        .collect()
}

/// The ISAs worth measuring: every available one but scalar.
fn candidates() -> Vec<Isa> {
    available_isas()
        .into_iter()
        .filter(|&i| i != Isa::Scalar)
        .collect()
}

/// The size (elements, or work for Mandelbrot) `kernel` is measured at in
/// a class.
fn class_len(kernel: Kernel, dtype: Dtype, class: SizeClass) -> usize {
    crate::plan::class_len(kernel, dtype, class).max(1024)
}

/// The kernels the tuner measures, one per group of kernels that behave
/// alike ([`crate::plan::tuned_as`]).
pub const MEASURED: [Kernel; 5] = [
    Kernel::Sum,
    Kernel::RowSums,
    Kernel::Add,
    Kernel::Scale,
    Kernel::Mandelbrot,
];

/// Columns of the matrices `row_sums` is tuned on (the check uses others).
const TUNE_COLS: usize = 128;

/// A kernel call at a fixed size, on whatever ISA and threads are in force.
trait Bench {
    fn call(&mut self, threads: Threads);
}

struct SumBench<T>(Vec<T>);
impl<T: Element> Bench for SumBench<T> {
    fn call(&mut self, threads: Threads) {
        black_box(par::sum(&self.0, threads));
    }
}

struct AddBench<T>(Vec<T>, Vec<T>, Vec<T>);
impl<T: Element> Bench for AddBench<T> {
    fn call(&mut self, threads: Threads) {
        let r: Result<(), KernelError> = par::add(&self.0, &self.1, &mut self.2, threads);
        black_box(r.is_ok());
    }
}

struct RowSumsBench<T>(Vec<T>, usize, Vec<T>);
impl<T: Element> Bench for RowSumsBench<T> {
    fn call(&mut self, threads: Threads) {
        let r = par::row_sums(&self.0, self.1, &mut self.2, threads);
        black_box(r.is_ok());
    }
}

struct MulBench<T>(Vec<T>, Vec<T>, Vec<T>);
impl<T: Element> Bench for MulBench<T> {
    fn call(&mut self, threads: Threads) {
        let r: Result<(), KernelError> = par::multiply(&self.0, &self.1, &mut self.2, threads);
        black_box(r.is_ok());
    }
}

/// `scale` (`Scale`), `square` (`Square`), `leaky_relu` (`LeakyRelu`)
/// out of place, or `scale_inplace` (`in_place`).
struct UnaryBench<T> {
    kernel: Kernel,
    in_place: bool,
    x: Vec<T>,
    out: Vec<T>,
}
impl<T: Element> Bench for UnaryBench<T> {
    fn call(&mut self, threads: Threads) {
        let f = T::from_f64(1.0);
        if self.in_place {
            par::scale_inplace(&mut self.x, f, threads);
            return;
        }
        let r = match self.kernel {
            Kernel::Square => par::square(&self.x, &mut self.out, threads),
            Kernel::LeakyRelu => {
                par::leaky_relu(&self.x, T::from_f64(0.01), &mut self.out, threads)
            }
            _ => par::scale(&self.x, f, &mut self.out, threads),
        };
        black_box(r.is_ok());
    }
}

struct MandelBench<T>(MandelbrotGrid<T>, Vec<u32>);
impl<T: Element> Bench for MandelBench<T> {
    fn call(&mut self, threads: Threads) {
        let r = par::mandelbrot(&self.0, &mut self.1, threads);
        black_box(r.is_ok());
    }
}

fn filled<T: Element>(n: usize, seed: usize) -> Vec<T> {
    (0..n)
        .map(|i| T::from_f64(((i * 7 + seed) % 1000) as f64 * 0.25 - 100.0))
        .collect()
}

/// A call of `kernel` (`scale_inplace` when `in_place`) over `len`
/// elements (work for Mandelbrot, at `iters` iterations; `cols` columns
/// for `row_sums`).
fn bench_of<T: Element>(
    kernel: Kernel,
    len: usize,
    in_place: bool,
    cols: usize,
    iters: u32,
) -> Box<dyn Bench> {
    match kernel {
        Kernel::Sum => Box::new(SumBench(filled::<T>(len, 1))),
        Kernel::RowSums => {
            let rows = (len / cols).max(1);
            Box::new(RowSumsBench(
                filled::<T>(rows * cols, 1),
                cols,
                vec![T::ZERO; rows],
            ))
        }
        Kernel::Add => Box::new(AddBench(
            filled::<T>(len, 1),
            filled::<T>(len, 2),
            vec![T::ZERO; len],
        )),
        Kernel::Multiply => Box::new(MulBench(
            filled::<T>(len, 1),
            filled::<T>(len, 2),
            vec![T::ZERO; len],
        )),
        Kernel::Square | Kernel::Scale | Kernel::LeakyRelu => Box::new(UnaryBench {
            kernel,
            in_place,
            x: filled::<T>(len, 1),
            out: if in_place {
                Vec::new()
            } else {
                vec![T::ZERO; len]
            },
        }),
        Kernel::Mandelbrot => {
            let side = ((len / iters as usize) as f64).sqrt().ceil().max(8.0) as usize;
            let grid = MandelbrotGrid {
                max_iter: iters,
                ..MandelbrotGrid::<T>::new(side, side)
            };
            Box::new(MandelBench(grid, vec![0; side * side]))
        }
    }
}

/// The call the tuner measures `kernel` on.
fn bench_for<T: Element>(kernel: Kernel, len: usize) -> Box<dyn Bench> {
    bench_of::<T>(kernel, len, false, TUNE_COLS, 128)
}

/// Samples of every candidate ISA on 1 thread (contender `2 i`) and on all
/// threads (contender `2 i + 1`).
fn measure_cell(
    bench: &mut dyn Bench,
    isas: &[Isa],
    threads: usize,
    allowance: Duration,
) -> Samples {
    let bench = std::cell::RefCell::new(bench);
    let mut runs: Vec<Box<dyn FnMut() + '_>> = Vec::new();
    for &isa in isas {
        for t in [1, threads] {
            let b = &bench;
            runs.push(Box::new(move || {
                let _ = with_isa(isa, || {
                    with_forced_threads(t, || b.borrow_mut().call(Threads::AtMost(t)))
                });
            }));
        }
    }
    let mut refs: Vec<&mut dyn FnMut()> = runs.iter_mut().map(|r| &mut **r as _).collect();
    race(&mut refs, allowance)
}

/// Median seconds per call of each ISA, on one thread (`offset` 0) or on
/// all threads (`offset` 1).
fn medians(s: &Samples, isas: &[Isa], offset: usize) -> Vec<(Isa, f64)> {
    isas.iter()
        .enumerate()
        .map(|(i, &isa)| (isa, median(s[2 * i + offset].clone())))
        .collect()
}

/// The ISA to run on 1 thread (`offset` 0) or on all threads (`offset`
/// 1): the one with the best median per-round speedup over `baseline` (the
/// built-in default) at that thread count, if that beats [`MARGIN`], else
/// the baseline.
fn fastest(s: &Samples, isas: &[Isa], baseline: Isa, offset: usize) -> usize {
    let base = baseline_index(isas, baseline);
    let mut best = (base, 1.0);
    for i in 0..isas.len() {
        let up = paired_speedup(s, 2 * base + offset, 2 * i + offset);
        if up > MARGIN && up > best.1 {
            best = (i, up);
        }
    }
    best.0
}

/// Where `baseline` sits in `isas` (the widest when it is not there).
fn baseline_index(isas: &[Isa], baseline: Isa) -> usize {
    isas.iter()
        .position(|&i| i == baseline)
        .unwrap_or(isas.len() - 1)
}

/// The smallest size a threshold probe measures (elements).
const MIN_PROBE: usize = 4 << 10;

/// Sizes (elements) below `len` inside `class` at which the threshold of
/// splitting is probed, largest first: halving from `len` down to the
/// class's lower edge (the L2 size for `Llc`, the last-level cache for
/// `Dram`, [`MIN_PROBE`] for `Cache`).
fn probes(kernel: Kernel, dtype: Dtype, class: SizeClass, len: usize) -> Vec<usize> {
    let (l2, llc) = cache_limits();
    let per_elem = crate::plan::bytes_touched(kernel, dtype, 1).max(1);
    let floor = match class {
        SizeClass::Cache => 0,
        SizeClass::Llc => l2,
        SizeClass::Dram => llc,
    } / per_elem;
    let mut v = Vec::new();
    let mut n = len / 2;
    while n >= MIN_PROBE && n > floor {
        v.push(n);
        n /= 2;
    }
    v
}

fn tune_dtype<T: Element>(
    threads: usize,
    allowance: Duration,
    cells: &mut Vec<CellResult>,
    profile: &mut Profile,
) {
    let dtype = T::DTYPE;
    let isas = candidates();
    for kernel in MEASURED {
        let family = kernel.family();
        for class in SizeClass::ALL {
            let len = class_len(kernel, dtype, class);
            let mut bench = bench_for::<T>(kernel, len);
            let s = measure_cell(&mut *bench, &isas, threads, allowance);
            let default = crate::plan::default_choice(kernel, dtype, class);
            // The fastest ISA on one thread and on all threads, each
            // against its built-in default: an ISA can win on one and lose
            // on the other (on the 2-vCPU Zen 5, avx512 beat avx2 for sum
            // f64 in the LLC on one thread and lost to it on two).
            let one = fastest(&s, &isas, default.isa, 0);
            let split = if threads > 1 {
                fastest(&s, &isas, default.split_isa, 1)
            } else {
                one
            };
            // Splitting pays when the best split call beats the best
            // one-thread call; where it does not, split calls (forced
            // threads) keep the one-thread ISA.
            let pays = threads > 1 && paired_speedup(&s, 2 * one, 2 * split + 1) > MARGIN;
            let isa = isas[one];
            let split_isa = if pays { isas[split] } else { isa };
            // Threads pay from the smallest probe inside the class from
            // which every larger probe paid (a class's lower sizes can lose:
            // on the 2-vCPU Zen 5, add f32 of 2 MiB ran slower on two
            // threads while 6 MiB ran faster, both in the LLC class); when
            // every probe down to the class's lower edge paid, the whole
            // class splits. A probe runs `isa` on one thread against
            // `split_isa` on all.
            let threads_from = if !pays {
                None
            } else {
                let mut from = len as u64;
                let mut all_paid = true;
                let probe_isas: Vec<Isa> = if isa == split_isa {
                    vec![isa]
                } else {
                    vec![isa, split_isa]
                };
                let last = probe_isas.len() - 1;
                for n in probes(kernel, dtype, class, len) {
                    let mut b = bench_for::<T>(kernel, n);
                    let p = measure_cell(&mut *b, &probe_isas, threads, allowance / 4);
                    if paired_speedup(&p, 0, 2 * last + 1) > MARGIN {
                        from = n as u64;
                    } else {
                        all_paid = false;
                        break;
                    }
                }
                if all_paid && class != SizeClass::Cache {
                    from = 0;
                }
                Some(from)
            };
            let tuned = Tuned {
                isa,
                split_isa,
                threads_from,
            };
            profile.entries.insert(
                (kernel.name().to_string(), dtype.name().to_string(), class),
                tuned,
            );
            cells.push(CellResult {
                family,
                kernel,
                dtype,
                class,
                len,
                one_thread: medians(&s, &isas, 0),
                all_threads: medians(&s, &isas, 1),
                tuned,
            });
        }
    }
    // Two-input maps (`add`) set the dtype's line; one-input maps
    // (`scale`) get their own where they differ.
    let binary = nt_threshold::<T>(&isas, 2, allowance);
    let unary = nt_threshold::<T>(&isas, 1, allowance);
    profile.nt_bytes.insert(dtype.name().to_string(), binary);
    if unary != binary {
        profile.nt_kernel.insert(
            (Kernel::Scale.name().to_string(), dtype.name().to_string()),
            unary,
        );
    }
    let reduce_dram = profile
        .get(Kernel::Sum.name(), dtype.name(), SizeClass::Dram)
        .expect("the reduce x dram cell was just measured");
    let reduce_threads = if reduce_dram.threads_from.is_some() {
        threads
    } else {
        1
    };
    profile.prefetch.insert(
        dtype.name().to_string(),
        prefetch_pays::<T>(reduce_dram.isa, reduce_threads, allowance),
    );
}

/// Whether a DRAM-sized `sum` on `isa` and `threads` threads should
/// prefetch ahead ([`Fetch::Ahead`]): the built-in default unless the
/// other read policy wins by more than [`MARGIN`].
fn prefetch_pays<T: Element>(isa: Isa, threads: usize, allowance: Duration) -> bool {
    let n = class_len(Kernel::Sum, T::DTYPE, SizeClass::Dram);
    let x = filled::<T>(n, 3);
    let f = reduce::table_for::<T>(isa).sum;
    let mut plain = || {
        black_box(split::tree_sum(&x, threads, f, Fetch::OnDemand));
    };
    let mut ahead = || {
        black_box(split::tree_sum(&x, threads, f, Fetch::Ahead));
    };
    let samples = race(&mut [&mut plain as &mut dyn FnMut(), &mut ahead], allowance);
    let default = crate::plan::prefetch_in_dram();
    let (base, other) = if default { (1, 0) } else { (0, 1) };
    if paired_speedup(&samples, base, other) > MARGIN {
        !default
    } else {
        default
    }
}

/// Output bytes from which streaming stores beat cached ones on one thread
/// for `add` (`inputs` 2) or `scale` (1), from which every larger probe
/// won; "never" is `u64::MAX`. Probes only outputs whose call outgrows the
/// last-level cache: inside it the plan never streams.
fn nt_threshold<T: Element>(isas: &[Isa], inputs: usize, allowance: Duration) -> u64 {
    let (_, llc) = cache_limits();
    let mut from = u64::MAX;
    let sizes = [4 * llc, 2 * llc, llc, llc / 2, llc / 3 + 64, llc / 4];
    for out_bytes in sizes.into_iter().filter(|b| b * (inputs + 1) > llc) {
        let n = (out_bytes / T::DTYPE.size_bytes()).max(1024);
        let a = filled::<T>(n, 1);
        let b = filled::<T>(n, 2);
        let mut cached = vec![T::ZERO; n];
        let mut streamed = vec![T::ZERO; n];
        let isa = *isas.last().expect("portable is always available");
        let t = map::table_for::<T>(isa);
        let (add, scale) = (t.add, t.scale);
        let factor = T::from_f64(1.5);
        // SAFETY: `isa` comes from `available_isas`, so this CPU runs it;
        // the slices have equal lengths.
        let call = |out: &mut [T], store| unsafe {
            if inputs > 1 {
                add(&a, &b, out, store)
            } else {
                scale(&a, factor, out, store)
            }
        };
        let mut c = || call(&mut cached, Store::Cached);
        let samples = {
            let mut c2 = || call(&mut streamed, Store::Streaming);
            race(&mut [&mut c as &mut dyn FnMut(), &mut c2], allowance / 2)
        };
        if paired_speedup(&samples, 0, 1) > MARGIN {
            from = out_bytes as u64;
        } else {
            break;
        }
    }
    from
}

/// Measures this machine (about `budget` in total) and returns the profile
/// with every cell's measurements, after [`check`] dropped what lost on
/// the held-out grid. Writes nothing, installs nothing; measures from the
/// built-in defaults whatever profile is in force.
pub fn measure(budget: Duration) -> TuneReport {
    let start = Instant::now();
    let threads = Threads::Auto.max_threads();
    // 30 cells, 2 store sweeps and a prefetch race per dtype share most of
    // the budget (threshold probes take a quarter allowance each, a few
    // per paying cell); the check's points get the same allowance each.
    let allowance = budget / 112;
    let defaults = std::sync::Arc::new(crate::plan::Table::build(
        None,
        crate::plan::Caches::this_cpu(),
    ));
    let mut profile = Profile::for_this_cpu();
    let mut cells = Vec::new();
    crate::plan::with_table_of(&defaults, || {
        tune_dtype::<f32>(threads, allowance, &mut cells, &mut profile);
        tune_dtype::<f64>(threads, allowance, &mut cells, &mut profile);
    });
    let check = check(&profile, allowance);
    TuneReport {
        profile: check.kept.clone(),
        path: None,
        write_error: None,
        cells,
        seconds: start.elapsed().as_secs_f64(),
        threads,
        check,
    }
}

/// Measures this machine ([`measure`]), writes the profile to
/// [`profile::profile_path`] and installs it for this process. A failed
/// write is reported in the result, not as a panic.
pub fn tune(budget: Duration) -> TuneReport {
    // Measure from the built-in state, whatever profile is installed.
    let mut report = measure(budget);
    match profile::write_profile(&report.profile) {
        Ok(p) => report.path = Some(p),
        Err(e) => report.write_error = Some(e.to_string()),
    }
    profile::set_profile(Some(report.profile.clone()));
    report
}

/// One choice a profile makes that the check can keep or drop.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChoiceKey {
    /// An `entry` line: kernel group or family name, dtype, class.
    Entry(String, String, SizeClass),
    /// An `nt` line: dtype, and the kernel it is for (`None`: every map
    /// without a line of its own).
    Nt(String, Option<String>),
    /// The `prefetch` line of a dtype.
    Prefetch(String),
}

impl std::fmt::Display for ChoiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChoiceKey::Entry(k, d, c) => write!(f, "entry {k} {d} {c}"),
            ChoiceKey::Nt(d, None) => write!(f, "nt {d}"),
            ChoiceKey::Nt(d, Some(k)) => write!(f, "nt {d} {k}"),
            ChoiceKey::Prefetch(d) => write!(f, "prefetch {d}"),
        }
    }
}

impl ChoiceKey {
    /// `profile` without this choice (the built-in default decides there).
    fn drop_from(&self, profile: &mut Profile) {
        match self {
            ChoiceKey::Entry(k, d, c) => {
                profile.entries.remove(&(k.clone(), d.clone(), *c));
            }
            ChoiceKey::Nt(d, None) => {
                profile.nt_bytes.remove(d);
            }
            ChoiceKey::Nt(d, Some(k)) => {
                profile.nt_kernel.remove(&(k.clone(), d.clone()));
            }
            ChoiceKey::Prefetch(d) => {
                profile.prefetch.remove(d);
            }
        }
    }
}

/// A call of the held-out grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// The kernel (`scale` with `in_place` is `scale_inplace`).
    pub kernel: Kernel,
    /// The dtype.
    pub dtype: Dtype,
    /// Elements (work for Mandelbrot).
    pub len: usize,
    /// An in-place call.
    pub in_place: bool,
    /// The class of its bytes touched on this CPU.
    pub class: SizeClass,
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inplace = if self.in_place { "_inplace" } else { "" };
        write!(
            f,
            "{}{inplace} {} {} ({})",
            self.kernel.name(),
            self.dtype.name(),
            self.len,
            self.class
        )
    }
}

/// What the check measured at one point of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct PointResult {
    /// The call.
    pub point: Point,
    /// The profile's choices that change its plan (ISA, threads, store or
    /// read policy) against the built-in defaults; empty: not measured.
    pub choices: Vec<ChoiceKey>,
    /// Median over rounds of defaults' time / profile's time (above 1: the
    /// profile is faster); 1 where not measured.
    pub speedup: f64,
    /// The same, cross-fitted: each round measures the side (profile or
    /// defaults) that the other half of the rounds found faster.
    pub held_out: f64,
}

/// One choice's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The choice.
    pub choice: ChoiceKey,
    /// Points it changed the plan of.
    pub points: usize,
    /// Its worst speedup over them (1 where it changed none).
    pub worst: f64,
    /// Kept (it lost nowhere by more than [`MARGIN`]).
    pub kept: bool,
}

/// What [`check`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckReport {
    /// Every point of the grid.
    pub points: Vec<PointResult>,
    /// Every choice of the profile, in the profile's order.
    pub verdicts: Vec<Verdict>,
    /// The profile without the dropped choices.
    pub kept: Profile,
    /// Seconds the check took.
    pub seconds: f64,
}

impl CheckReport {
    /// The dropped choices.
    pub fn dropped(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| !v.kept)
    }
}

/// Every choice `profile` makes.
fn choices_of(profile: &Profile) -> Vec<ChoiceKey> {
    let mut v: Vec<ChoiceKey> = profile
        .entries
        .keys()
        .map(|(k, d, c)| ChoiceKey::Entry(k.clone(), d.clone(), *c))
        .collect();
    v.extend(
        profile
            .nt_bytes
            .keys()
            .map(|d| ChoiceKey::Nt(d.clone(), None)),
    );
    v.extend(
        profile
            .nt_kernel
            .keys()
            .map(|(k, d)| ChoiceKey::Nt(d.clone(), Some(k.clone()))),
    );
    v.extend(
        profile
            .prefetch
            .keys()
            .map(|d| ChoiceKey::Prefetch(d.clone())),
    );
    v
}

/// The held-out grid: kernels beside the ones measured (`multiply` for
/// `add`, `square` and `leaky_relu` for `scale`, `scale_inplace`,
/// `row_sums` of 1000 columns, `sum`, Mandelbrot at 64 iterations) at sizes
/// the tuner did not measure: a quarter of L2, three times L2 and four
/// fifths of the last-level cache (the low and the high end of the LLC
/// class, away from the middle the tuner measures) and twice the LLC (at
/// least 48 MiB), in bytes touched.
pub fn held_out_grid() -> Vec<Point> {
    let crate::plan::Caches { l2, llc, .. } = crate::plan::rules().caches;
    let sizes = [
        l2 / 4,
        (3 * l2).min(llc / 2),
        llc / 5 * 4,
        (2 * llc).max(48 << 20),
    ];
    let kernels = [
        (Kernel::Sum, false),
        (Kernel::RowSums, false),
        (Kernel::Multiply, false),
        (Kernel::Square, false),
        (Kernel::LeakyRelu, false),
        (Kernel::Scale, true),
        (Kernel::Mandelbrot, false),
    ];
    let mut v = Vec::new();
    for dtype in Dtype::ALL {
        for (kernel, in_place) in kernels {
            for bytes in sizes {
                let per =
                    crate::plan::bytes_touched(kernel, dtype, 1) * if in_place { 1 } else { 2 } / 2;
                let mut len = (bytes / per.max(1)).max(1024);
                if kernel == Kernel::RowSums {
                    len = len / HELD_OUT_COLS * HELD_OUT_COLS;
                }
                let planned = if in_place {
                    crate::plan::in_place_len(kernel, len)
                } else {
                    len
                };
                let class = crate::plan::size_class(kernel, dtype, planned);
                v.push(Point {
                    kernel,
                    dtype,
                    len,
                    in_place,
                    class,
                });
            }
        }
    }
    v
}

/// Columns of the held-out `row_sums` matrices.
const HELD_OUT_COLS: usize = 1000;

/// The profile's choices that change how `point` runs against `defaults`:
/// its entry where the ISA or threads differ, `nt` where the store policy
/// differs, `prefetch` where the read policy differs.
fn changed_by(
    point: &Point,
    profile: &Profile,
    with: &crate::plan::Table,
    defaults: &crate::plan::Table,
) -> Vec<ChoiceKey> {
    use crate::plan::{fetch_in_table, plan_in, profile_entry_name, store_in};
    let Point {
        kernel,
        dtype,
        len,
        in_place,
        class,
    } = *point;
    let planned = if in_place {
        crate::plan::in_place_len(kernel, len)
    } else {
        len
    };
    let mut v = Vec::new();
    let (a, b) = (
        plan_in(with, kernel, dtype, planned, Threads::Auto),
        plan_in(defaults, kernel, dtype, planned, Threads::Auto),
    );
    if (a.isa, a.threads) != (b.isa, b.threads)
        && let Some((name, _)) = profile_entry_name(profile, kernel, dtype, class)
    {
        v.push(ChoiceKey::Entry(
            name.to_string(),
            dtype.name().to_string(),
            class,
        ));
    }
    if kernel.family() == Family::Map && !in_place {
        let inputs = kernel.inputs();
        if store_in(with, dtype, inputs, len) != store_in(defaults, dtype, inputs, len) {
            let group = if inputs > 1 {
                Kernel::Add
            } else {
                Kernel::Scale
            };
            let key = (group.name().to_string(), dtype.name().to_string());
            if profile.nt_kernel.contains_key(&key) {
                v.push(ChoiceKey::Nt(key.1, Some(key.0)));
            } else if profile.nt(dtype.name()).is_some() {
                v.push(ChoiceKey::Nt(key.1, None));
            }
        }
    }
    if kernel.family() == Family::Reduce
        && fetch_in_table(with, dtype, class) != fetch_in_table(defaults, dtype, class)
        && profile.prefetch(dtype.name()).is_some()
    {
        v.push(ChoiceKey::Prefetch(dtype.name().to_string()));
    }
    v
}

/// Per-round seconds of the built-in defaults (`[0]`) and of the profile
/// (`[1]`) at one point.
pub type PairSamples = [Vec<f64>; 2];

/// Median of `a[r] / b[r]`, cross-fitted as [`PointResult::held_out`]
/// says: (plain, held out).
fn paired_and_held_out(s: &PairSamples) -> (f64, f64) {
    let (def, prof) = (&s[0], &s[1]);
    let n = def.len().min(prof.len());
    let ratios: Vec<f64> = (0..n).map(|r| def[r] / prof[r]).collect();
    let plain = median(ratios.clone());
    if n < 4 {
        return (plain, plain.max(1.0));
    }
    // The side each half of the rounds finds faster (profile when its
    // median ratio is above 1), measured on the other half.
    let half = |parity: usize| {
        median(
            (parity..n)
                .step_by(2)
                .map(|r| ratios[r])
                .collect::<Vec<_>>(),
        )
    };
    let profile_wins = [half(0) > 1.0, half(1) > 1.0];
    let held: Vec<f64> = (0..n)
        .map(|r| {
            if profile_wins[1 - r % 2] {
                ratios[r]
            } else {
                1.0
            }
        })
        .collect();
    (plain, median(held))
}

/// The check's logic over any timer: `time(point)` returns the paired
/// samples of defaults and profile at a point whose plan the profile
/// changes (tests pass a fake one).
pub fn check_with(
    profile: &Profile,
    grid: &[Point],
    caches: crate::plan::Caches,
    time: &mut dyn FnMut(&Point) -> PairSamples,
) -> CheckReport {
    let with = crate::plan::Table::build(Some(profile), caches);
    let defaults = crate::plan::Table::build(None, caches);
    let mut points = Vec::new();
    let mut worst: std::collections::BTreeMap<ChoiceKey, (usize, f64)> =
        std::collections::BTreeMap::new();
    for point in grid {
        let choices = changed_by(point, profile, &with, &defaults);
        let (speedup, held_out) = if choices.is_empty() {
            (1.0, 1.0)
        } else {
            paired_and_held_out(&time(point))
        };
        for c in &choices {
            let w = worst.entry(c.clone()).or_insert((0, f64::INFINITY));
            w.0 += 1;
            w.1 = w.1.min(speedup);
        }
        points.push(PointResult {
            point: *point,
            choices,
            speedup,
            held_out,
        });
    }
    let mut kept = profile.clone();
    let verdicts = choices_of(profile)
        .into_iter()
        .map(|choice| {
            let (n, w) = worst.get(&choice).copied().unwrap_or((0, 1.0));
            let keep = w * MARGIN >= 1.0;
            if !keep {
                choice.drop_from(&mut kept);
            }
            Verdict {
                choice,
                points: n,
                worst: if n == 0 { 1.0 } else { w },
                kept: keep,
            }
        })
        .collect();
    CheckReport {
        points,
        verdicts,
        kept,
        seconds: 0.0,
    }
}

/// Times `profile` against the built-in defaults on the held-out grid
/// ([`held_out_grid`]), each point whose plan it changes for about
/// `allowance`, both sides interleaved; drops every choice that loses
/// anywhere by more than [`MARGIN`] (see [`CheckReport::kept`]). Installs
/// nothing.
pub fn check(profile: &Profile, allowance: Duration) -> CheckReport {
    let start = Instant::now();
    let caches = crate::plan::Caches::this_cpu();
    let tables = [
        std::sync::Arc::new(crate::plan::Table::build(None, caches)),
        std::sync::Arc::new(crate::plan::Table::build(Some(profile), caches)),
    ];
    let mut time = |p: &Point| -> PairSamples {
        let bench = std::cell::RefCell::new(match p.dtype {
            Dtype::F32 => bench_of::<f32>(p.kernel, p.len, p.in_place, HELD_OUT_COLS, 64),
            Dtype::F64 => bench_of::<f64>(p.kernel, p.len, p.in_place, HELD_OUT_COLS, 64),
        });
        let mut sides: Vec<Box<dyn FnMut(usize) + '_>> = tables
            .iter()
            .map(|t| {
                let b = &bench;
                Box::new(move |n: usize| {
                    crate::plan::with_table_of(t, || {
                        for _ in 0..n {
                            b.borrow_mut().call(Threads::Auto);
                        }
                    })
                }) as Box<dyn FnMut(usize)>
            })
            .collect();
        let mut refs: Vec<&mut dyn FnMut(usize)> =
            sides.iter_mut().map(|s| &mut **s as _).collect();
        let mut s = race_batched(&mut refs, allowance);
        [std::mem::take(&mut s[0]), std::mem::take(&mut s[1])]
    };
    let mut report = check_with(profile, &held_out_grid(), caches, &mut time);
    report.seconds = start.elapsed().as_secs_f64();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Caches;
    use simdpar_dispatch::Selection;

    fn entry(isa: Isa) -> Tuned {
        Tuned {
            isa,
            split_isa: isa,
            threads_from: None,
        }
    }

    #[test]
    fn the_check_drops_a_choice_that_loses_on_the_held_out_grid() {
        if !matches!(
            simdpar_dispatch::selection(),
            Selection::Free { capped: false, .. }
        ) || simdpar_dispatch::best_isa() == Isa::Scalar
            || crate::plan::env_nt_threshold().is_some()
        {
            // A forced ISA or NT threshold gives both sides one plan.
            skip("the check needs a free ISA choice");
            return;
        }
        const MIB: usize = 1 << 20;
        let caches = Caches {
            l1d: 32 << 10,
            l2: MIB,
            llc: 32 * MIB,
        };
        let f32s = |s: &str| s.to_string();
        let mut p = Profile::for_this_cpu();
        // Scalar `sum` in cache: it loses on the held-out grid.
        p.entries.insert(
            (f32s("sum"), f32s("f32"), SizeClass::Cache),
            entry(Isa::Scalar),
        );
        // Scalar two-input maps in cache: the fake timer says they win.
        p.entries.insert(
            (f32s("add"), f32s("f32"), SizeClass::Cache),
            entry(Isa::Scalar),
        );
        // Never stream f32: the held-out DRAM `scale` runs alike (within
        // the margin), so it stays; one-input maps measured apart never
        // stream either, and lose at DRAM `leaky_relu`: that line goes.
        p.nt_bytes.insert(f32s("f32"), u64::MAX);
        p.nt_kernel.insert((f32s("scale"), f32s("f32")), u64::MAX);
        // An entry no held-out point reaches stays, measured nowhere.
        p.entries.insert(
            (f32s("row_sums"), f32s("f64"), SizeClass::Llc),
            entry(Isa::Scalar),
        );
        let point = |kernel, len, class| Point {
            kernel,
            dtype: Dtype::F32,
            len,
            in_place: false,
            class,
        };
        let grid = [
            point(Kernel::Sum, 64 << 10, SizeClass::Cache),
            point(Kernel::Multiply, 16 << 10, SizeClass::Cache),
            point(Kernel::Multiply, 16 * MIB, SizeClass::Dram),
            point(Kernel::LeakyRelu, 16 * MIB, SizeClass::Dram),
            // In the LLC no call streams either way: not measured.
            point(Kernel::Square, 2 * MIB, SizeClass::Llc),
        ];
        let mut timed = Vec::new();
        // Per round: defaults 1.0 s; the profile at `ratio` times that,
        // with a little alternating noise.
        let mut fake = |p: &Point| -> PairSamples {
            timed.push(p.kernel);
            let ratio = match p.kernel {
                Kernel::Sum | Kernel::LeakyRelu => 1.25,
                Kernel::Multiply if p.class == SizeClass::Cache => 0.8,
                _ => 1.01,
            };
            let def: Vec<f64> = (0..9).map(|r| 1.0 + 0.01 * (r % 2) as f64).collect();
            let prof = def.iter().map(|d| d * ratio).collect();
            [def, prof]
        };
        let r = check_with(&p, &grid, caches, &mut fake);
        assert_eq!(
            timed,
            [
                Kernel::Sum,
                Kernel::Multiply,
                Kernel::Multiply,
                Kernel::LeakyRelu
            ]
        );
        let verdict = |c: ChoiceKey| {
            r.verdicts
                .iter()
                .find(|v| v.choice == c)
                .cloned()
                .unwrap_or_else(|| panic!("no verdict for {c}"))
        };
        let sum = verdict(ChoiceKey::Entry(f32s("sum"), f32s("f32"), SizeClass::Cache));
        assert!(!sum.kept);
        assert_eq!(sum.points, 1);
        assert!((sum.worst - 0.8).abs() < 1e-9, "{}", sum.worst);
        let add = verdict(ChoiceKey::Entry(f32s("add"), f32s("f32"), SizeClass::Cache));
        assert!(add.kept && add.points == 1 && add.worst > 1.2);
        let nt = verdict(ChoiceKey::Nt(f32s("f32"), None));
        assert!(nt.kept && nt.points == 1, "{nt:?}");
        let nt_unary = verdict(ChoiceKey::Nt(f32s("f32"), Some(f32s("scale"))));
        assert!(!nt_unary.kept && nt_unary.points == 1, "{nt_unary:?}");
        let rows = verdict(ChoiceKey::Entry(
            f32s("row_sums"),
            f32s("f64"),
            SizeClass::Llc,
        ));
        assert!(rows.kept && rows.points == 0);
        // The kept profile lacks exactly the dropped choice.
        assert!(r.kept.get("sum", "f32", SizeClass::Cache).is_none());
        assert!(r.kept.get("add", "f32", SizeClass::Cache).is_some());
        assert_eq!(r.kept.nt("f32"), Some(u64::MAX));
        assert!(r.kept.nt_kernel.is_empty());
        assert_eq!(r.dropped().count(), 2);
        // Cross-fitted: both halves find the profile faster at `multiply`
        // (1.25), slower at `sum` (the defaults are kept there: 1).
        assert!((r.points[1].held_out - 1.25).abs() < 1e-9);
        assert_eq!(r.points[0].held_out, 1.0);
        assert_eq!(r.points[2].choices, [ChoiceKey::Nt(f32s("f32"), None)]);
        assert!(r.points[4].choices.is_empty());
    }

    fn skip(what: &str) {
        if crate::skips_fail() {
            panic!("SKIPPED under SIMDPAR_CI=1: {what}");
        }
        eprintln!("SKIPPED: {what}");
    }
}
