//! The tuner: measures, on the machine that runs it, which ISA is fastest
//! and whether threads pay for each kernel family x dtype x size class,
//! from which output size non-temporal stores pay, and whether reductions
//! beyond the last-level cache should prefetch ahead; the result is a
//! [`Profile`] that [`crate::plan()`] then follows.
//!
//! Method (std only): for each cell, a representative kernel (`sum` for
//! reductions, `add` for maps, `mandelbrot`) at a size inside the class;
//! every contender (each available ISA but scalar, on 1 and on all threads)
//! runs once per round, in a rotated order, for several rounds; each sample
//! repeats the call for about 2 ms. Decisions use medians of per-round
//! ratios (contender vs the built-in default's ISA; all threads vs one;
//! streaming vs cached stores), which survive a machine whose load changes
//! between rounds. A variant must win by more than 3% to be chosen (so
//! noise keeps the default). The whole run takes at most about the budget.
//! Tune on a quiet machine: a profile measured under load records that
//! threads did not pay then.

use crate::mandelbrot::MandelbrotGrid;
use crate::map::{self, Store};
use crate::par::{self, Threads, split};
use crate::plan::with_forced_threads;
use crate::reduce::{self, Fetch};
use crate::vocab::{Dtype, Family};
use crate::{Element, KernelError};
use simdpar_dispatch::profile::{self, Profile, SizeClass, Tuned, cache_limits};
use simdpar_dispatch::{Isa, available_isas, with_isa};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A variant must beat the simpler one by this factor to be chosen.
const MARGIN: f64 = 1.03;
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
    let n = contenders.len();
    // One warm-up call each, which also sizes the repetitions.
    let reps: Vec<usize> = contenders
        .iter_mut()
        .map(|c| {
            let t = Instant::now();
            c();
            let s = t.elapsed().as_secs_f64().max(1e-8);
            ((SAMPLE.as_secs_f64() / s) as usize).clamp(1, 100_000)
        })
        .collect();
    let mut samples = vec![Vec::new(); n];
    let start = Instant::now();
    let mut round = 0;
    while round < MIN_ROUNDS || (round < MAX_ROUNDS && start.elapsed() < allowance) {
        for k in 0..n {
            let i = (k + round) % n;
            let t = Instant::now();
            for _ in 0..reps[i] {
                contenders[i]();
            }
            samples[i].push(t.elapsed().as_secs_f64() / reps[i] as f64);
        }
        round += 1;
    }
    samples
}

/// The ISAs worth measuring: every available one but scalar.
fn candidates() -> Vec<Isa> {
    available_isas()
        .into_iter()
        .filter(|&i| i != Isa::Scalar)
        .collect()
}

/// The representative size (elements, or work for Mandelbrot) of a class,
/// for the family's representative kernel.
fn class_len(family: Family, dtype: Dtype, class: SizeClass) -> usize {
    crate::plan::class_len(family.representative(), dtype, class).max(1024)
}

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

fn bench_for<T: Element>(family: Family, len: usize) -> Box<dyn Bench> {
    match family {
        Family::Reduce => Box::new(SumBench(filled::<T>(len, 1))),
        Family::Map => Box::new(AddBench(
            filled::<T>(len, 1),
            filled::<T>(len, 2),
            vec![T::ZERO; len],
        )),
        Family::Mandelbrot => {
            let iters = 128u32;
            let side = ((len / iters as usize) as f64).sqrt().ceil().max(8.0) as usize;
            let grid = MandelbrotGrid {
                max_iter: iters,
                ..MandelbrotGrid::<T>::new(side, side)
            };
            Box::new(MandelBench(grid, vec![0; side * side]))
        }
    }
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
fn probes(family: Family, dtype: Dtype, class: SizeClass, len: usize) -> Vec<usize> {
    let (l2, llc) = cache_limits();
    let per_elem = crate::plan::bytes_touched(family.representative(), dtype, 1).max(1);
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
    for family in Family::ALL {
        for class in SizeClass::ALL {
            let len = class_len(family, dtype, class);
            let mut bench = bench_for::<T>(family, len);
            let s = measure_cell(&mut *bench, &isas, threads, allowance);
            let default = crate::plan::default_choice(family.representative(), dtype, class);
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
                for n in probes(family, dtype, class, len) {
                    let mut b = bench_for::<T>(family, n);
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
                (family.name().to_string(), dtype.name().to_string(), class),
                tuned,
            );
            cells.push(CellResult {
                family,
                dtype,
                class,
                len,
                one_thread: medians(&s, &isas, 0),
                all_threads: medians(&s, &isas, 1),
                tuned,
            });
        }
    }
    profile.nt_bytes.insert(
        dtype.name().to_string(),
        nt_threshold::<T>(&isas, allowance),
    );
    let reduce_dram = profile
        .get(Family::Reduce.name(), dtype.name(), SizeClass::Dram)
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
    let n = class_len(Family::Reduce, T::DTYPE, SizeClass::Dram);
    let x = filled::<T>(n, 3);
    let f = reduce::table_for::<T>(isa).sum;
    let mut plain = || {
        black_box(split::tree_sum(&x, threads, f, Fetch::OnDemand));
    };
    let mut ahead = || {
        black_box(split::tree_sum(&x, threads, f, Fetch::Ahead));
    };
    let samples = race(&mut [&mut plain as &mut dyn FnMut(), &mut ahead], allowance);
    let default = crate::plan::PREFETCH_IN_DRAM;
    let (base, other) = if default { (1, 0) } else { (0, 1) };
    if paired_speedup(&samples, base, other) > MARGIN {
        !default
    } else {
        default
    }
}

/// Output bytes from which streaming stores beat cached ones for `add` on
/// one thread (from which every larger probe won); "never" is `u64::MAX`.
fn nt_threshold<T: Element>(isas: &[Isa], allowance: Duration) -> u64 {
    let (_, llc) = cache_limits();
    let mut from = u64::MAX;
    for out_bytes in [4 * llc, 2 * llc, llc, llc / 2, llc / 4].into_iter() {
        let n = (out_bytes / T::DTYPE.size_bytes()).max(1024);
        let a = filled::<T>(n, 1);
        let b = filled::<T>(n, 2);
        let mut cached = vec![T::ZERO; n];
        let mut streamed = vec![T::ZERO; n];
        let isa = *isas.last().expect("portable is always available");
        let f = map::table_for::<T>(isa).add;
        // SAFETY: `isa` comes from `available_isas`, so this CPU runs it;
        // the slices have equal lengths.
        let mut c = || unsafe { f(&a, &b, &mut cached, Store::Cached) };
        // SAFETY: as above.
        let mut s = || unsafe { f(&a, &b, &mut streamed, Store::Streaming) };
        let samples = race(&mut [&mut c as &mut dyn FnMut(), &mut s], allowance / 2);
        if paired_speedup(&samples, 0, 1) > MARGIN {
            from = out_bytes as u64;
        } else {
            break;
        }
    }
    from
}

/// Measures this machine (about `budget` in total) and returns the profile
/// with every cell's measurements. Writes nothing, installs nothing.
pub fn measure(budget: Duration) -> TuneReport {
    let start = Instant::now();
    let threads = Threads::Auto.max_threads();
    // 18 cells, 2 store sweeps and a prefetch race per dtype share the
    // budget; threshold
    // probes take a quarter allowance each (a few per paying cell).
    let allowance = budget / 64;
    let mut profile = Profile::for_this_cpu();
    let mut cells = Vec::new();
    tune_dtype::<f32>(threads, allowance, &mut cells, &mut profile);
    tune_dtype::<f64>(threads, allowance, &mut cells, &mut profile);
    TuneReport {
        profile,
        path: None,
        write_error: None,
        cells,
        seconds: start.elapsed().as_secs_f64(),
        threads,
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
