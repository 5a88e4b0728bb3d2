//! The tuner's check of a profile: on a held-out grid (sibling kernels,
//! in-place calls, one-thread `sum` and other sizes than the tuner chose
//! on) every call whose plan the profile changes is timed against the
//! built-in defaults, interleaved, and each choice that loses anywhere by
//! more than [`MARGIN`] is dropped.

use super::bench::bench_of;
use super::race::{MARGIN, race_batched};
use crate::par::{Threads, split};
use crate::plan::profile::{AppliesTo, Profile};
use crate::plan::{
    Caches, READ_STREAMS_FROM_BYTES, SizeClass, Table, bytes_touched, fetch_in_table, in_place_len,
    plan_in, read_streams_in, rules, size_class, store_in, with_table_of,
};
use crate::timing::median;
use crate::vocab::{Dtype, Family, Kernel};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One choice a profile makes that the check can keep or drop.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChoiceKey {
    /// An `entry` line: what it applies to, dtype, class.
    Entry(AppliesTo, Dtype, SizeClass),
    /// An `nt` line: dtype, and the group kernel it is for (`add` or
    /// `scale`; `None`: every map without a line of its own).
    Nt(Dtype, Option<Kernel>),
    /// The `prefetch` line of a dtype.
    Prefetch(Dtype),
    /// The `streams` line of a dtype.
    Streams(Dtype),
}

impl std::fmt::Display for ChoiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChoiceKey::Entry(k, d, c) => write!(f, "entry {k} {d} {c}"),
            ChoiceKey::Nt(d, None) => write!(f, "nt {d}"),
            ChoiceKey::Nt(d, Some(k)) => write!(f, "nt {d} {k}"),
            ChoiceKey::Prefetch(d) => write!(f, "prefetch {d}"),
            ChoiceKey::Streams(d) => write!(f, "streams {d}"),
        }
    }
}

impl ChoiceKey {
    /// `profile` without this choice (the built-in default decides there).
    fn drop_from(&self, profile: &mut Profile) {
        match self {
            ChoiceKey::Entry(k, d, c) => {
                profile.entries.remove(&(*k, *d, *c));
            }
            ChoiceKey::Nt(d, None) => {
                profile.nt_bytes.remove(d);
            }
            ChoiceKey::Nt(d, Some(k)) => {
                profile.nt_kernel.remove(&(*k, *d));
            }
            ChoiceKey::Prefetch(d) => {
                profile.prefetch.remove(d);
            }
            ChoiceKey::Streams(d) => {
                profile.streams.remove(d);
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
    /// The threads it may use: [`Threads::Auto`], or one thread for the
    /// `sum` points that read as many streams as the plan says (split
    /// calls cut their input into pieces too small to stream).
    pub threads: Threads,
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inplace = if self.in_place { "_inplace" } else { "" };
        let threads = match self.threads {
            Threads::Auto => String::new(),
            Threads::AtMost(n) => format!(" {n}T"),
        };
        write!(
            f,
            "{}{inplace} {} {} ({}){threads}",
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
        .map(|&(a, d, c)| ChoiceKey::Entry(a, d, c))
        .collect();
    v.extend(profile.nt_bytes.keys().map(|&d| ChoiceKey::Nt(d, None)));
    v.extend(
        profile
            .nt_kernel
            .keys()
            .map(|&(k, d)| ChoiceKey::Nt(d, Some(k))),
    );
    v.extend(profile.prefetch.keys().map(|&d| ChoiceKey::Prefetch(d)));
    v.extend(profile.streams.keys().map(|&d| ChoiceKey::Streams(d)));
    v
}

/// The held-out grid: kernels beside the ones measured (`multiply` for
/// `add`, `square` and `leaky_relu` for `scale`, `scale_inplace`,
/// `row_sums` of 1000 columns, `sum`, Mandelbrot at 64 iterations) at sizes
/// the tuner did not measure: a quarter of L2, three times L2 and four
/// fifths of the last-level cache (the low and the high end of the LLC
/// class, away from the middle the tuner measures) and twice the LLC (at
/// least 48 MiB), in bytes touched; and `sum` and `row_sums` on one thread
/// at the two sizes of those from [`READ_STREAMS_FROM_BYTES`] up (their
/// stream count; the tuner raced it on `sum` at other sizes).
pub fn held_out_grid() -> Vec<Point> {
    let Caches { l2, llc, .. } = rules().caches;
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
                let per = bytes_touched(kernel, dtype, 1) * if in_place { 1 } else { 2 } / 2;
                let mut len = (bytes / per.max(1)).max(1024);
                if kernel == Kernel::RowSums {
                    len = len / HELD_OUT_COLS * HELD_OUT_COLS;
                }
                let planned = if in_place {
                    in_place_len(kernel, len)
                } else {
                    len
                };
                let class = size_class(kernel, dtype, planned);
                v.push(Point {
                    kernel,
                    dtype,
                    len,
                    in_place,
                    class,
                    threads: Threads::Auto,
                });
            }
        }
        for bytes in sizes.into_iter().filter(|&b| b >= READ_STREAMS_FROM_BYTES) {
            let len = bytes / dtype.size_bytes();
            for (kernel, len) in [
                (Kernel::Sum, len),
                (Kernel::RowSums, len / HELD_OUT_COLS * HELD_OUT_COLS),
            ] {
                v.push(Point {
                    kernel,
                    dtype,
                    len,
                    in_place: false,
                    class: size_class(kernel, dtype, len),
                    threads: Threads::AtMost(1),
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
/// differs, `prefetch` where the read policy differs, `streams` where a
/// `sum` or `row_sums` reads a piece large enough to stream as another
/// count.
fn changed_by(point: &Point, profile: &Profile, with: &Table, defaults: &Table) -> Vec<ChoiceKey> {
    let Point {
        kernel,
        dtype,
        len,
        in_place,
        class,
        threads,
    } = *point;
    let planned = if in_place {
        in_place_len(kernel, len)
    } else {
        len
    };
    let mut v = Vec::new();
    let (a, b) = (
        plan_in(with, kernel, dtype, planned, threads),
        plan_in(defaults, kernel, dtype, planned, threads),
    );
    if (a.isa, a.threads) != (b.isa, b.threads)
        && let Some((applies, _)) = profile.entry_for(kernel, dtype, class)
    {
        v.push(ChoiceKey::Entry(applies, dtype, class));
    }
    if kernel.family() == Family::Map && !in_place {
        let inputs = kernel.inputs();
        if store_in(with, dtype, inputs, len) != store_in(defaults, dtype, inputs, len) {
            let group = AppliesTo::group_of(kernel).measured_on();
            if profile.nt_kernel.contains_key(&(group, dtype)) {
                v.push(ChoiceKey::Nt(dtype, Some(group)));
            } else if profile.nt(dtype).is_some() {
                v.push(ChoiceKey::Nt(dtype, None));
            }
        }
    }
    if kernel.family() == Family::Reduce
        && fetch_in_table(with, dtype, class) != fetch_in_table(defaults, dtype, class)
        && profile.prefetch(dtype).is_some()
    {
        v.push(ChoiceKey::Prefetch(dtype));
    }
    if matches!(kernel, Kernel::Sum | Kernel::RowSums) && profile.streams(dtype).is_some() {
        // The largest piece one kernel call reads: the whole input on
        // one thread, a leaf of the split otherwise.
        let piece = |threads: usize| {
            let n = if threads <= 1 {
                len
            } else {
                split::chunk_len(len, threads)
            };
            n.saturating_mul(dtype.size_bytes())
        };
        let streamed = piece(a.threads).max(piece(b.threads)) >= READ_STREAMS_FROM_BYTES;
        if streamed
            && read_streams_in(with, dtype, a.isa) != read_streams_in(defaults, dtype, b.isa)
        {
            v.push(ChoiceKey::Streams(dtype));
        }
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
    let plain = median(&mut ratios.clone());
    if n < 4 {
        return (plain, plain.max(1.0));
    }
    // The side each half of the rounds finds faster (profile when its
    // median ratio is above 1), measured on the other half.
    let half = |parity: usize| {
        median(
            &mut (parity..n)
                .step_by(2)
                .map(|r| ratios[r])
                .collect::<Vec<_>>(),
        )
    };
    let profile_wins = [half(0) > 1.0, half(1) > 1.0];
    let mut held: Vec<f64> = (0..n)
        .map(|r| {
            if profile_wins[1 - r % 2] {
                ratios[r]
            } else {
                1.0
            }
        })
        .collect();
    (plain, median(&mut held))
}

/// The check's logic over any timer: `time(point)` returns the paired
/// samples of defaults and profile at a point whose plan the profile
/// changes (tests pass a fake one).
pub fn check_with(
    profile: &Profile,
    grid: &[Point],
    caches: Caches,
    time: &mut dyn FnMut(&Point) -> PairSamples,
) -> CheckReport {
    let with = Table::build(Some(profile), caches);
    let defaults = Table::build(None, caches);
    let mut points = Vec::new();
    let mut worst: BTreeMap<ChoiceKey, (usize, f64)> = BTreeMap::new();
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
    let caches = Caches::this_cpu();
    let tables = [
        Arc::new(Table::build(None, caches)),
        Arc::new(Table::build(Some(profile), caches)),
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
                    with_table_of(t, || {
                        for _ in 0..n {
                            b.borrow_mut().call(p.threads);
                        }
                    })
                }) as Box<dyn FnMut(usize)>
            })
            .collect();
        let mut refs: Vec<&mut dyn FnMut(usize)> =
            sides.iter_mut().map(|s| &mut **s as _).collect();
        let mut s = race_batched(&mut refs, allowance);
        [
            std::mem::take(&mut s[0].rounds),
            std::mem::take(&mut s[1].rounds),
        ]
    };
    let mut report = check_with(profile, &held_out_grid(), caches, &mut time);
    report.seconds = start.elapsed().as_secs_f64();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::profile::Tuned;
    use simdpar_dispatch::{Isa, Selection};

    /// Nine rounds of a fake timer: the defaults' times and the profile's,
    /// `ratio` times slower.
    fn fake_pair(ratio: f64) -> PairSamples {
        let def: Vec<f64> = (0..9).map(|r| 1.0 + 0.01 * (r % 2) as f64).collect();
        let prof = def.iter().map(|d| d * ratio).collect();
        [def, prof]
    }

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
        let group = AppliesTo::Group;
        let mut p = Profile::for_this_cpu();
        // Scalar `sum` in cache: it loses on the held-out grid.
        p.entries.insert(
            (group(Kernel::Sum), Dtype::F32, SizeClass::Cache),
            entry(Isa::Scalar),
        );
        // Scalar two-input maps in cache: the fake timer says they win.
        p.entries.insert(
            (group(Kernel::Add), Dtype::F32, SizeClass::Cache),
            entry(Isa::Scalar),
        );
        // Never stream f32: the held-out DRAM `scale` runs alike (within
        // the margin), so it stays; one-input maps measured apart never
        // stream either, and lose at DRAM `leaky_relu`: that line goes.
        p.nt_bytes.insert(Dtype::F32, u64::MAX);
        p.nt_kernel.insert((Kernel::Scale, Dtype::F32), u64::MAX);
        // An entry no held-out point reaches stays, measured nowhere.
        p.entries.insert(
            (group(Kernel::RowSums), Dtype::F64, SizeClass::Llc),
            entry(Isa::Scalar),
        );
        let point = |kernel, len, class| Point {
            kernel,
            dtype: Dtype::F32,
            len,
            in_place: false,
            class,
            threads: Threads::Auto,
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
            fake_pair(ratio)
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
        let sum = verdict(ChoiceKey::Entry(
            group(Kernel::Sum),
            Dtype::F32,
            SizeClass::Cache,
        ));
        assert!(!sum.kept);
        assert_eq!(sum.points, 1);
        assert!((sum.worst - 0.8).abs() < 1e-9, "{}", sum.worst);
        let add = verdict(ChoiceKey::Entry(
            group(Kernel::Add),
            Dtype::F32,
            SizeClass::Cache,
        ));
        assert!(add.kept && add.points == 1 && add.worst > 1.2);
        let nt = verdict(ChoiceKey::Nt(Dtype::F32, None));
        assert!(nt.kept && nt.points == 1, "{nt:?}");
        let nt_unary = verdict(ChoiceKey::Nt(Dtype::F32, Some(Kernel::Scale)));
        assert!(!nt_unary.kept && nt_unary.points == 1, "{nt_unary:?}");
        let rows = verdict(ChoiceKey::Entry(
            group(Kernel::RowSums),
            Dtype::F64,
            SizeClass::Llc,
        ));
        assert!(rows.kept && rows.points == 0);
        // The kept profile lacks exactly the dropped choice.
        assert!(
            r.kept
                .get(group(Kernel::Sum), Dtype::F32, SizeClass::Cache)
                .is_none()
        );
        assert!(
            r.kept
                .get(group(Kernel::Add), Dtype::F32, SizeClass::Cache)
                .is_some()
        );
        assert_eq!(r.kept.nt(Dtype::F32), Some(u64::MAX));
        assert!(r.kept.nt_kernel.is_empty());
        assert_eq!(r.dropped().count(), 2);
        // Cross-fitted: both halves find the profile faster at `multiply`
        // (1.25), slower at `sum` (the defaults are kept there: 1).
        assert!((r.points[1].held_out - 1.25).abs() < 1e-9);
        assert_eq!(r.points[0].held_out, 1.0);
        assert_eq!(r.points[2].choices, [ChoiceKey::Nt(Dtype::F32, None)]);
        assert!(r.points[4].choices.is_empty());
    }

    /// A `streams` line that makes one-thread `sum` slower on the held-out
    /// grid is dropped; one that makes it faster stays; calls whose pieces
    /// are too small to stream are not timed for it.
    #[test]
    fn the_check_drops_a_streams_choice_that_loses() {
        use crate::plan::{plan_in, read_streams_in};
        use crate::vocab::Streams;
        if !matches!(
            simdpar_dispatch::selection(),
            Selection::Free { capped: false, .. }
        ) {
            skip("the check needs a free ISA choice");
            return;
        }
        const MIB: usize = 1 << 20;
        let caches = Caches {
            l1d: 32 << 10,
            l2: MIB,
            llc: 32 * MIB,
        };
        let defaults = Table::build(None, caches);
        // A count other than the built-in of the ISA the plan runs there.
        let other = |dtype, len| {
            let isa = plan_in(&defaults, Kernel::Sum, dtype, len, Threads::AtMost(1)).isa;
            let builtin = read_streams_in(&defaults, dtype, isa);
            Streams::ALL
                .into_iter()
                .find(|&s| s != builtin)
                .expect("three counts")
        };
        let point = |dtype: Dtype, bytes: usize, class, threads| Point {
            kernel: Kernel::Sum,
            dtype,
            len: bytes / dtype.size_bytes(),
            in_place: false,
            class,
            threads,
        };
        let grid = [
            point(Dtype::F32, 64 * MIB, SizeClass::Dram, Threads::AtMost(1)),
            point(Dtype::F32, 25 * MIB, SizeClass::Llc, Threads::AtMost(1)),
            // 4 MiB: no subtree reaches the threshold, the count is moot.
            point(Dtype::F32, 4 * MIB, SizeClass::Llc, Threads::AtMost(1)),
            point(Dtype::F64, 64 * MIB, SizeClass::Dram, Threads::AtMost(1)),
        ];
        let mut p = Profile::for_this_cpu();
        p.streams.insert(Dtype::F32, other(Dtype::F32, grid[0].len));
        p.streams.insert(Dtype::F64, other(Dtype::F64, grid[3].len));
        let mut timed = Vec::new();
        // The profile's f32 count loses 20% at DRAM size and ties in the
        // LLC; its f64 count wins by 20%.
        let mut fake = |p: &Point| -> PairSamples {
            timed.push((p.dtype, p.len));
            let ratio = match (p.dtype, p.class) {
                (Dtype::F32, SizeClass::Dram) => 1.25,
                (Dtype::F32, _) => 1.0,
                _ => 0.8,
            };
            fake_pair(ratio)
        };
        let r = check_with(&p, &grid, caches, &mut fake);
        assert_eq!(
            timed,
            [
                (Dtype::F32, grid[0].len),
                (Dtype::F32, grid[1].len),
                (Dtype::F64, grid[3].len)
            ]
        );
        assert_eq!(r.points[0].choices, [ChoiceKey::Streams(Dtype::F32)]);
        assert!(r.points[2].choices.is_empty());
        let f32v = r
            .verdicts
            .iter()
            .find(|v| v.choice == ChoiceKey::Streams(Dtype::F32))
            .expect("a verdict for streams f32");
        assert!(!f32v.kept && f32v.points == 2, "{f32v:?}");
        assert!((f32v.worst - 0.8).abs() < 1e-9, "{}", f32v.worst);
        let f64v = r
            .verdicts
            .iter()
            .find(|v| v.choice == ChoiceKey::Streams(Dtype::F64))
            .expect("a verdict for streams f64");
        assert!(
            f64v.kept && f64v.points == 1 && f64v.worst > 1.2,
            "{f64v:?}"
        );
        assert_eq!(r.kept.streams(Dtype::F32), None);
        assert_eq!(r.kept.streams(Dtype::F64), p.streams(Dtype::F64));
        assert_eq!(r.dropped().count(), 1);
        assert_eq!(ChoiceKey::Streams(Dtype::F32).to_string(), "streams f32");
    }

    /// The grid holds one-thread `sum` and `row_sums` calls large enough
    /// to stream, for each dtype.
    #[test]
    fn the_held_out_grid_times_one_thread_sums_that_stream() {
        let grid = held_out_grid();
        for dtype in Dtype::ALL {
            let one: Vec<_> = grid
                .iter()
                .filter(|p| p.dtype == dtype && p.threads == Threads::AtMost(1))
                .collect();
            assert!(!one.is_empty(), "{dtype}");
            for k in [Kernel::Sum, Kernel::RowSums] {
                assert!(one.iter().any(|p| p.kernel == k), "{dtype} {k:?}");
            }
            for p in one {
                assert!(matches!(p.kernel, Kernel::Sum | Kernel::RowSums), "{p}");
                assert!(p.len * dtype.size_bytes() >= READ_STREAMS_FROM_BYTES, "{p}");
                assert!(p.to_string().ends_with(" 1T"), "{p}");
            }
        }
    }

    fn skip(what: &str) {
        if crate::skips_fail() {
            panic!("SKIPPED under SIMDPAR_CI=1: {what}");
        }
        eprintln!("SKIPPED: {what}");
    }
}
