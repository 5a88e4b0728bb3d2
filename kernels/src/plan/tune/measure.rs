//! Measuring a machine: per kernel group x dtype x size class, the fastest
//! ISA on one thread and on all, and from which size threads pay; per
//! dtype, from which output size non-temporal stores pay, whether
//! reductions beyond the last-level cache should prefetch ahead and how
//! many interleaved streams `sum` reads its large subtrees as. The
//! measured profile then goes through the check ([`super::check()`]).

use super::bench::{Bench, bench_for, filled};
use super::check::{CheckReport, check};
use super::race::{MARGIN, Samples, paired_speedup, race};
use crate::Element;
use crate::map::{self, Store};
use crate::par::{Threads, split};
use crate::plan::profile::{self, AppliesTo, Profile, Tuned};
use crate::plan::{
    Caches, READ_STREAMS_FROM_BYTES, SizeClass, Table, bytes_touched, default_choice,
    default_read_streams, prefetch_in_dram, with_forced_threads, with_table_of,
};
use crate::reduce::{self, Fetch};
use crate::vocab::{Dtype, Family, Kernel, Streams};
use simdpar_dispatch::{Isa, available_isas, cache_limits, with_isa};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one cell measured.
#[derive(Clone, Debug, PartialEq)]
pub struct CellResult {
    /// The family.
    pub family: Family,
    /// The kernel measured (it stands for the kernels of its group,
    /// [`AppliesTo::group_of`]; the profile entry is its group's).
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

/// One size of the race of `sum`'s stream counts ([`StreamsResult`]).
#[derive(Clone, Debug, PartialEq)]
pub struct StreamsSize {
    /// The class of the size.
    pub class: SizeClass,
    /// Elements summed (one thread).
    pub len: usize,
    /// The ISA it ran on: the one the measured profile runs `sum` on
    /// there, on one thread.
    pub isa: Isa,
    /// That ISA's built-in count ([`default_read_streams`]).
    pub builtin: Streams,
    /// Median seconds per call, per count ([`Streams::ALL`] order).
    pub seconds: Vec<(Streams, f64)>,
    /// Median over rounds of the built-in's time / the count's time, per
    /// count (above 1: faster than the built-in).
    pub speedup: Vec<(Streams, f64)>,
}

/// What the tuner measured of `sum`'s stream count for one dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamsResult {
    /// The dtype.
    pub dtype: Dtype,
    /// Every size raced: beyond the last-level cache, and inside it where
    /// its class size holds a subtree of at least
    /// [`READ_STREAMS_FROM_BYTES`].
    pub sizes: Vec<StreamsSize>,
    /// The count written to the profile: one that beat the built-in by
    /// more than [`MARGIN`] at one size and lost by no more than that at
    /// any; `None`: the built-in stays (no `streams` line).
    pub chosen: Option<Streams>,
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
    /// The race of `sum`'s stream counts, per dtype (what it chose went
    /// into `profile.streams`, unless the check dropped it).
    pub streams: Vec<StreamsResult>,
    /// The check of the measured profile against the built-in defaults;
    /// `profile` is what survived it.
    pub check: CheckReport,
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
/// alike ([`AppliesTo::group_of`]).
pub const MEASURED: [Kernel; 5] = [
    Kernel::Sum,
    Kernel::RowSums,
    Kernel::Add,
    Kernel::Scale,
    Kernel::Mandelbrot,
];

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
        .map(|(i, &isa)| (isa, s[2 * i + offset].median))
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
    let per_elem = bytes_touched(kernel, dtype, 1).max(1);
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
    streams: &mut Vec<StreamsResult>,
) {
    let dtype = T::DTYPE;
    let isas = candidates();
    for kernel in MEASURED {
        let family = kernel.family();
        for class in SizeClass::ALL {
            let len = class_len(kernel, dtype, class);
            let mut bench = bench_for::<T>(kernel, len);
            let s = measure_cell(&mut *bench, &isas, threads, allowance);
            let default = default_choice(kernel, dtype, class);
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
            profile
                .entries
                .insert((AppliesTo::group_of(kernel), dtype, class), tuned);
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
    profile.nt_bytes.insert(dtype, binary);
    if unary != binary {
        profile.nt_kernel.insert((Kernel::Scale, dtype), unary);
    }
    let reduce_dram = profile
        .get(AppliesTo::group_of(Kernel::Sum), dtype, SizeClass::Dram)
        .expect("the reduce x dram cell was just measured");
    let reduce_threads = if reduce_dram.threads_from.is_some() {
        threads
    } else {
        1
    };
    let prefetch = prefetch_pays::<T>(reduce_dram.isa, reduce_threads, allowance);
    profile.prefetch.insert(dtype, prefetch);
    let raced = streams_race::<T>(profile, allowance);
    if let Some(s) = raced.chosen {
        profile.streams.insert(dtype, s);
    }
    streams.push(raced);
}

/// Races `sum` of `T` on one thread with 1, 2 and 4 streams, interleaved,
/// beyond the last-level cache and (where its class size holds a subtree
/// that streams) inside it, each on the ISA and read policy `profile`
/// gives that size; picks the count that beats the built-in of that ISA
/// by more than [`MARGIN`] at one size without losing by more at the other
/// (the best product of its speedups), else none.
fn streams_race<T: Element>(profile: &Profile, allowance: Duration) -> StreamsResult {
    let dtype = T::DTYPE;
    let mut sizes = Vec::new();
    for class in [SizeClass::Dram, SizeClass::Llc] {
        let len = class_len(Kernel::Sum, dtype, class);
        if len * dtype.size_bytes() < READ_STREAMS_FROM_BYTES {
            continue;
        }
        let isa = profile
            .get(AppliesTo::group_of(Kernel::Sum), dtype, class)
            .map_or(default_choice(Kernel::Sum, dtype, class).isa, |t| t.isa);
        let fetch = match (class, profile.prefetch(dtype).unwrap_or(prefetch_in_dram())) {
            (SizeClass::Dram, true) => Fetch::Ahead,
            _ => Fetch::OnDemand,
        };
        let x = filled::<T>(len, 5);
        let f = reduce::table_for::<T>(isa).sum_streams;
        let mut runs: Vec<Box<dyn FnMut() + '_>> = Streams::ALL
            .into_iter()
            .map(|s| {
                let x = &x;
                Box::new(move || {
                    // SAFETY: `isa` is an available ISA (a candidate the
                    // profile chose, or the default's), so its table runs.
                    black_box(unsafe { f(x, fetch, s) });
                }) as Box<dyn FnMut() + '_>
            })
            .collect();
        let mut refs: Vec<&mut dyn FnMut()> = runs.iter_mut().map(|r| &mut **r as _).collect();
        let samples = race(&mut refs, allowance);
        let builtin = default_read_streams(isa);
        let base = Streams::ALL
            .iter()
            .position(|&s| s == builtin)
            .expect("every count is in ALL");
        sizes.push(StreamsSize {
            class,
            len,
            isa,
            builtin,
            seconds: Streams::ALL
                .into_iter()
                .zip(&samples)
                .map(|(s, st)| (s, st.median))
                .collect(),
            speedup: Streams::ALL
                .into_iter()
                .enumerate()
                .map(|(i, s)| (s, paired_speedup(&samples, base, i)))
                .collect(),
        });
    }
    let chosen = choose_streams(&sizes);
    StreamsResult {
        dtype,
        sizes,
        chosen,
    }
}

/// The count [`streams_race`] writes: among those faster than the
/// built-in by more than [`MARGIN`] at some size and slower by no more
/// than that at any, the best product of speedups; `None` if none is.
fn choose_streams(sizes: &[StreamsSize]) -> Option<Streams> {
    let mut best: Option<(Streams, f64)> = None;
    for s in Streams::ALL {
        let ups: Vec<f64> = sizes
            .iter()
            .map(|z| {
                z.speedup
                    .iter()
                    .find(|(c, _)| *c == s)
                    .map_or(1.0, |&(_, u)| u)
            })
            .collect();
        let wins = ups.iter().any(|&u| u > MARGIN);
        let loses = ups.iter().any(|&u| u * MARGIN < 1.0);
        let score: f64 = ups.iter().product();
        if wins && !loses && best.is_none_or(|(_, b)| score > b) {
            best = Some((s, score));
        }
    }
    best.map(|(s, _)| s)
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
    let default = prefetch_in_dram();
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
    // 30 cells, 2 store sweeps, a prefetch race and two stream races per
    // dtype share most of the budget (threshold probes take a quarter
    // allowance each, a few per paying cell); the check's points get the
    // same allowance each.
    let allowance = budget / 116;
    let defaults = Arc::new(Table::build(None, Caches::this_cpu()));
    let mut profile = Profile::for_this_cpu();
    let mut cells = Vec::new();
    let mut streams = Vec::new();
    with_table_of(&defaults, || {
        tune_dtype::<f32>(threads, allowance, &mut cells, &mut profile, &mut streams);
        tune_dtype::<f64>(threads, allowance, &mut cells, &mut profile, &mut streams);
    });
    let check = check(&profile, allowance);
    TuneReport {
        profile: check.kept.clone(),
        path: None,
        write_error: None,
        cells,
        seconds: start.elapsed().as_secs_f64(),
        threads,
        streams,
        check,
    }
}

/// Measures this machine ([`measure`]), writes the profile to
/// [`profile::profile_path`] and installs it for this process
/// ([`profile::set_profile`]). A failed
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

#[cfg(test)]
mod tests {
    use super::*;

    fn size(builtin: Streams, ups: [f64; 3]) -> StreamsSize {
        StreamsSize {
            class: SizeClass::Dram,
            len: 1 << 24,
            isa: Isa::Portable,
            builtin,
            seconds: Streams::ALL.into_iter().map(|s| (s, 1.0)).collect(),
            speedup: Streams::ALL.into_iter().zip(ups).collect(),
        }
    }

    /// A count is written only where it beats the built-in by more than
    /// the margin somewhere and loses by no more anywhere.
    #[test]
    fn a_stream_count_must_beat_the_builtin_by_the_margin() {
        use Streams::{Four, One, Two};
        // Noise around the built-in (2): nothing written.
        assert_eq!(choose_streams(&[size(Two, [1.02, 1.0, 0.99])]), None);
        // 4 wins at DRAM size and ties in the LLC.
        let dram = size(Two, [0.9, 1.0, 1.10]);
        let llc = size(Two, [0.95, 1.0, 1.01]);
        assert_eq!(choose_streams(&[dram.clone(), llc]), Some(Four));
        // ... but not when it loses in the LLC by more than the margin.
        let llc_loses = size(Two, [1.0, 1.0, 0.90]);
        assert_eq!(choose_streams(&[dram, llc_loses]), None);
        // Of two that win, the larger product of speedups.
        let a = size(Four, [1.08, 1.2, 1.0]);
        let b = size(Four, [1.08, 1.0, 1.0]);
        assert_eq!(choose_streams(&[a, b]), Some(Two));
        // The built-in itself never counts as a choice.
        assert_eq!(choose_streams(&[size(One, [1.0, 0.98, 0.97])]), None);
        // Nothing raced (an LLC too small to stream in): nothing written.
        assert_eq!(choose_streams(&[]), None);
    }
}
