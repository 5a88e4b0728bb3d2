//! In-cache kernels against the STREAM pattern of their cache level (group
//! `in_cache`): the defaults' choice of every cache- and LLC-sized cell
//! against the same pattern the DRAM goals use (reductions: read, unary
//! maps: copy, binary maps: triad, in place: the in-place scale), timed
//! over the same bytes in the same rounds, in the form timed fastest on
//! those bytes; the cell's level is the cache its bytes fit in.

use super::{Goal, goal, ratio};
use crate::report::Results;
use simdpar::simdpar_kernels::plan::Caches;
use simdpar_bench::stream::{Level, Pattern};
use simdpar_bench::timing::paired_ratio;
use simdpar_bench::workloads::{Impl, Row, Workload};

/// The defaults >= this fraction of their in-cache pattern.
pub const IN_CACHE: f64 = 0.85;

/// Whether `w` is an in-cache cell: a kernel with a bounding pattern whose
/// size class is below DRAM (`cache` or `l3`).
pub fn is_in_cache(w: &Workload) -> bool {
    w.op.pattern().is_some() && matches!(w.shape.class(w.dtype), "cache" | "l3")
}

/// The cache level a cell's touched bytes fit in (one thread's view: a
/// call the plan keeps on one core sees one core's L1 and L2).
pub fn cell_level(w: &Workload, caches: &Caches) -> Level {
    Level::of(w.footprint(), 1, caches)
}

/// The pattern row of `w`'s group that bounds a contender allowed
/// `threads` threads: the faster (median GB/s) of the pattern on one
/// thread and on all threads, of those within `threads` (a call allowed
/// two threads may run on one, so the faster way is its limit).
pub fn limit_row<'a>(r: &'a Results, w: &Workload, p: Pattern, threads: usize) -> Option<&'a Row> {
    let mut ts = vec![1];
    if r.threads > 1 {
        ts.push(r.threads);
    }
    ts.into_iter()
        .filter(|&t| t <= threads.max(1))
        .filter_map(|t| r.find(w, Impl::Stream(p), t))
        .max_by(|a, b| a.gbs().total_cmp(&b.gbs()))
}

/// The kernel's bandwidth over the pattern's, the median of per-round
/// ratios (both timed in the same rounds), in bytes counted.
pub fn fraction(kernel: &Row, limit: &Row) -> f64 {
    paired_ratio(&limit.stats, &kernel.stats) * kernel.bytes() as f64 / limit.bytes() as f64
}

/// One in-cache cell: the defaults against their pattern.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InCacheCell {
    /// The workload.
    #[serde(skip)]
    pub workload: Workload,
    /// Kernel name.
    pub kernel: &'static str,
    /// dtype name.
    pub dtype: &'static str,
    /// Shape label.
    pub shape: String,
    /// Bytes the call touches (each array once).
    pub footprint_bytes: usize,
    /// The cache level those bytes fit in (`l1`, `l2`, `llc`).
    pub level: &'static str,
    /// The bounding pattern.
    pub pattern: &'static str,
    /// The defaults' median GB/s (bytes counted).
    pub defaults_gb_per_s: Option<f64>,
    /// The pattern's median GB/s.
    pub pattern_gb_per_s: Option<f64>,
    /// Threads of the pattern row that bounds the defaults.
    pub pattern_threads: Option<usize>,
    /// Whether the pattern ran in the cell's own rounds (else the
    /// standalone in-cache table, separate runs).
    pub same_rounds: bool,
    /// Defaults / pattern (see [`fraction`]).
    pub fraction: Option<f64>,
}

/// Every in-cache cell of `r` whose bytes fit a cache level, in plan order.
pub fn cells(r: &Results) -> Vec<InCacheCell> {
    let mut out = Vec::new();
    for w in r.workloads() {
        let Some(p) = w.op.pattern() else { continue };
        if !is_in_cache(&w) {
            continue;
        }
        let level = cell_level(&w, &r.caches);
        if level == Level::Dram {
            continue;
        }
        let def = r.find(&w, Impl::Default, 0);
        let lim = limit_row(r, &w, p, r.threads);
        let (pattern_gbs, pattern_threads, same_rounds, frac) = match (def, lim) {
            (Some(k), Some(s)) => (
                Some(s.gbs()),
                Some(s.spec.threads),
                true,
                Some(fraction(k, s)),
            ),
            _ => match r.stream_in_cache(p, level, r.threads) {
                Some(s) => (
                    Some(s.gbs()),
                    Some(s.threads),
                    false,
                    ratio(def.map(Row::gbs), Some(s.gbs())),
                ),
                None => (None, None, false, None),
            },
        };
        out.push(InCacheCell {
            workload: w,
            kernel: w.op.name(),
            dtype: w.dtype.name(),
            shape: w.shape.label(),
            footprint_bytes: w.footprint(),
            level: level.key(),
            pattern: p.name(),
            defaults_gb_per_s: def.map(Row::gbs),
            pattern_gb_per_s: pattern_gbs,
            pattern_threads,
            same_rounds,
            fraction: frac,
        });
    }
    out
}

/// The in-cache goals: the defaults >= [`IN_CACHE`] of the pattern of the
/// cell's cache level.
pub(super) fn goals(r: &Results, out: &mut Vec<Goal>) {
    for c in cells(r) {
        let w = &c.workload;
        let level = cell_level(w, &r.caches).name();
        let detail = match (c.defaults_gb_per_s, c.pattern_gb_per_s, c.pattern_threads) {
            (Some(k), Some(s), Some(t)) if c.same_rounds => format!(
                "median of per-round ratios against STREAM {} timed in the same rounds over the \
                 same bytes ({} KiB touched, {level}); medians defaults {k:.1} GB/s, STREAM {s:.1} \
                 GB/s ({t} thread(s), the faster of 1 and {} threads)",
                c.pattern,
                c.footprint_bytes >> 10,
                r.threads
            ),
            (Some(k), Some(s), Some(t)) => format!(
                "defaults {k:.1} GB/s / STREAM {} at {level} size {s:.1} GB/s (separate runs; \
                 {t} thread(s), medians)",
                c.pattern
            ),
            _ => "not measured".to_string(),
        };
        out.push(goal(
            format!("in_cache/{}/{}/{}", c.kernel, c.dtype, c.shape),
            "in_cache",
            w,
            0,
            format!(
                "{} {} {}: defaults >= {:.0}% of STREAM {} in {level}",
                c.kernel,
                c.dtype,
                c.shape,
                100.0 * IN_CACHE,
                c.pattern
            ),
            c.fraction,
            IN_CACHE,
            detail,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::goals::testing::{results, row};
    use simdpar_bench::workloads::{Dtype, Op, Shape};

    const ZEN4: Caches = Caches {
        l1d: 32 << 10,
        l2: 1 << 20,
        llc: 32 << 20,
    };

    fn w(op: Op, dtype: Dtype, n: usize) -> Workload {
        Workload {
            op,
            dtype,
            shape: Shape::Elems(n),
        }
    }

    #[test]
    fn cells_take_the_level_their_bytes_fit_in() {
        // sum f32 16K: 64 KiB, past the 32 KiB L1: L2.
        assert_eq!(
            cell_level(&w(Op::SUM, Dtype::F32, 16 << 10), &ZEN4),
            Level::L2
        );
        // add f64 16K: 384 KiB: L2; add f64 1M: 24 MiB: LLC.
        assert_eq!(
            cell_level(&w(Op::ADD, Dtype::F64, 16 << 10), &ZEN4),
            Level::L2
        );
        assert_eq!(
            cell_level(&w(Op::ADD, Dtype::F64, 1 << 20), &ZEN4),
            Level::Llc
        );
        // In place counts its one array once: 4 KiB: L1.
        assert_eq!(
            cell_level(&w(Op::SCALE_INPLACE, Dtype::F32, 1024), &ZEN4),
            Level::L1
        );
        // A smaller LLC moves add f64 1M to DRAM, a bigger L1 sum to L1.
        let small = Caches {
            l1d: 64 << 10,
            l2: 512 << 10,
            llc: 16 << 20,
        };
        assert_eq!(
            cell_level(&w(Op::ADD, Dtype::F64, 1 << 20), &small),
            Level::Dram
        );
        assert_eq!(
            cell_level(&w(Op::SUM, Dtype::F32, 16 << 10), &small),
            Level::L1
        );
        // Only cache and LLC classes with a pattern are in-cache cells.
        assert!(is_in_cache(&w(Op::SQUARE, Dtype::F32, 16 << 10)));
        assert!(is_in_cache(&w(Op::SQUARE, Dtype::F64, 1 << 20)));
        assert!(!is_in_cache(&w(Op::SQUARE, Dtype::F32, 64 << 20)));
        assert!(!is_in_cache(&Workload {
            op: Op::MANDELBROT,
            dtype: Dtype::F32,
            shape: Shape::Image {
                width: 8,
                height: 8,
                max_iter: 4,
            },
        }));
    }

    #[test]
    fn each_kernel_is_held_against_its_pattern() {
        let p = |op: Op| op.pattern();
        assert_eq!(p(Op::SUM), Some(Pattern::Read));
        assert_eq!(p(Op::ROW_SUMS), Some(Pattern::Read));
        assert_eq!(p(Op::SCALE), Some(Pattern::Copy));
        assert_eq!(p(Op::LEAKY_RELU), Some(Pattern::Copy));
        assert_eq!(p(Op::ADD), Some(Pattern::Triad));
        assert_eq!(p(Op::MULTIPLY), Some(Pattern::Triad));
        assert_eq!(p(Op::SCALE_INPLACE), Some(Pattern::InplaceScale));
    }

    #[test]
    fn the_fraction_is_paired_by_round_against_the_faster_pattern() {
        // add f32 16K: 192 KiB counted for the kernel and the triad alike.
        let cell = w(Op::ADD, Dtype::F32, 16 << 10);
        let rows = vec![
            row(cell, Impl::Default, 0, &[1.0, 2.0, 1.0]),
            // Pattern on 1 thread: per-round ratios pattern/defaults 0.9,
            // 0.45, 0.8 -> median 0.8 (a burst in round 2 hit both alike
            // in the paired ratio, only the defaults in the medians).
            row(cell, Impl::Stream(Pattern::Triad), 1, &[0.9, 0.9, 0.8]),
            // On 2 threads slower: not the limit.
            row(cell, Impl::Stream(Pattern::Triad), 2, &[1.5, 1.5, 1.5]),
        ];
        let mut r = results(rows);
        r.caches = ZEN4;
        let c = cells(&r);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].level, c[0].pattern), ("l2", "triad"));
        assert_eq!(c[0].pattern_threads, Some(1));
        assert!(c[0].same_rounds);
        assert!((c[0].fraction.unwrap() - 0.8).abs() < 1e-12);
        let mut g = Vec::new();
        goals(&r, &mut g);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].id, "in_cache/add/f32/16K");
        assert_eq!((g[0].target, g[0].pass), (IN_CACHE, Some(false)));
        // A contender on one thread is held against the 1-thread pattern
        // only; one on two threads against the faster of both.
        assert_eq!(
            limit_row(&r, &cell, Pattern::Triad, 1)
                .unwrap()
                .spec
                .threads,
            1
        );
        let mut r2 = r.rows.clone();
        r2[2] = row(cell, Impl::Stream(Pattern::Triad), 2, &[0.5, 0.5, 0.5]);
        let r2 = results(r2);
        assert_eq!(
            limit_row(&r2, &cell, Pattern::Triad, 1)
                .unwrap()
                .spec
                .threads,
            1
        );
        assert_eq!(
            limit_row(&r2, &cell, Pattern::Triad, 2)
                .unwrap()
                .spec
                .threads,
            2
        );
        let c2 = &cells(&r2)[0];
        assert_eq!(c2.pattern_threads, Some(2));
        assert!((c2.fraction.unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn in_place_counts_the_same_bytes_on_both_sides() {
        // scale_inplace f64 16K: 256 KiB counted (read + written) by the
        // kernel and by the in-place scale over one 128 KiB array.
        let cell = w(Op::SCALE_INPLACE, Dtype::F64, 16 << 10);
        let rows = vec![
            row(cell, Impl::Default, 0, &[2.0, 2.0, 2.0]),
            row(
                cell,
                Impl::Stream(Pattern::InplaceScale),
                1,
                &[1.8, 1.8, 1.8],
            ),
        ];
        let r = results(rows);
        let c = &cells(&r)[0];
        assert!((c.fraction.unwrap() - 0.9).abs() < 1e-12);
        let mut g = Vec::new();
        goals(&r, &mut g);
        assert_eq!(g[0].pass, Some(true));
    }
}
