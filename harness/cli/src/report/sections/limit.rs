//! "Above the memory limit": every contender of a DRAM-, LLC- or
//! cache-sized workload that moved its bytes faster than the STREAM pattern
//! bounding it. The pattern is meant to be the fastest way this machine
//! moves those bytes, so such a row is a measurement to investigate (a
//! pattern that is not the limit yet, caches holding part of the data, or
//! a peer counting different bytes), never a kernel beating memory. In
//! cache the limit of a contender allowed `t` threads is the faster of the
//! pattern on 1 and on `t` threads (such a call may run on one).

use super::Doc;
use crate::report::Results;
use crate::report::goals::in_cache::{cell_level, fraction, is_in_cache, limit_row};
use simdpar_bench::timing::paired_ratio;
use simdpar_bench::workloads::Impl;
use std::fmt::Write;

/// One contender above its pattern.
struct Above {
    what: String,
    threads: String,
    gbs: f64,
    limit: f64,
    /// Median of per-round bandwidth ratios, when the pattern ran in the
    /// same group (robust to load that changes between rounds).
    paired: Option<f64>,
}

/// Every contender above the pattern that bounds it, in plan order.
fn above(r: &Results) -> Vec<Above> {
    let mut rows: Vec<Above> = Vec::new();
    for w in r.workloads() {
        let Some(p) = w.op.pattern() else { continue };
        let in_cache = is_in_cache(&w);
        if !in_cache && w.shape.class(w.dtype) != "dram" {
            continue;
        }
        let cell = format!("{} {} {}", w.op.name(), w.dtype.name(), w.shape.label());
        // Rust contenders against the pattern timed in their own group.
        for x in r.rows.iter().filter(|x| x.workload == w) {
            if matches!(x.spec.imp, Impl::Stream(_)) {
                continue;
            }
            // The defaults may run on all threads: compare with the
            // pattern at the threads the plan uses.
            let th = if x.spec.imp == Impl::Default {
                crate::report::goals::defaults::plan_of(&w).threads
            } else {
                x.spec.threads
            };
            let (lim, paired) = if in_cache {
                let level = cell_level(&w, &r.caches);
                match limit_row(r, &w, p, th) {
                    Some(s) => (Some(s.gbs()), Some(fraction(x, s))),
                    None => (r.stream_in_cache(p, level, th).map(|s| s.gbs()), None),
                }
            } else {
                let in_group = r.find(&w, Impl::Stream(p), th);
                (
                    in_group.map(|s| s.gbs()).or_else(|| r.stream_gbs(p, th)),
                    in_group.map(|s| {
                        paired_ratio(&s.stats, &x.stats) * x.bytes() as f64 / s.bytes() as f64
                    }),
                )
            };
            if let Some(l) = lim
                && x.gbs() > l
            {
                rows.push(Above {
                    what: format!("{cell}: {}", x.spec.imp.label()),
                    threads: if x.spec.threads == 0 {
                        format!("auto ({th})")
                    } else {
                        th.to_string()
                    },
                    gbs: x.gbs(),
                    limit: l,
                    paired,
                });
            }
        }
        // Python peers (1 thread) against the one-thread pattern over the
        // same number of bytes (timed in the Rust group, where it ran),
        // else the standalone table's.
        for peer in ["numpy", "numkong"] {
            let (k, dt, sh) = (w.op.name(), w.dtype.name(), w.shape.label());
            let lim = r.find(&w, Impl::Stream(p), 1).map(|s| s.gbs()).or_else(|| {
                if in_cache {
                    r.stream_in_cache(p, cell_level(&w, &r.caches), 1)
                        .map(|s| s.gbs())
                } else {
                    r.stream_gbs(p, 1)
                }
            });
            if let (Some(py), Some(l)) = (r.py.row(k, dt, &sh, peer, 1), lim) {
                let g = w.bytes() as f64 / py.median / 1e9;
                if g > l {
                    rows.push(Above {
                        what: format!("{cell}: {peer} (Python)"),
                        threads: "1".into(),
                        gbs: g,
                        limit: l,
                        paired: None,
                    });
                }
            }
        }
    }
    rows
}

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let rows = above(d.r);
    let _ = writeln!(s, "## Above the memory limit\n");
    if rows.is_empty() {
        let _ = writeln!(
            s,
            "No contender of a DRAM-, LLC- or cache-sized workload moved its bytes faster \
             than the STREAM pattern bounding it (same thread count, or in cache the faster of \
             1 and that many; same group where the pattern ran in it).\n"
        );
        return;
    }
    let _ = writeln!(
        s,
        "These contenders moved their counted bytes faster than the STREAM pattern that bounds \
         them. Each is a measurement error to investigate, not a result: the pattern should be \
         the fastest way to move those bytes here. Usual causes: the pattern ran in a calmer or \
         busier moment (compare the paired ratio in the goal table), part of the data stayed in \
         the last-level cache between calls, a peer touches fewer bytes than counted, or the \
         pattern's loop is not yet the fastest way to move these bytes (a plainer loop with \
         fewer accumulators can win in L2). The in-group pattern runs on the kernel's own \
         buffers, in the form fastest on them.\n"
    );
    let _ = writeln!(
        s,
        "| contender | threads | GB/s | pattern GB/s | ratio of medians | paired ratio |\n|---|---|---|---|---|---|"
    );
    for a in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {:.1} | {:.2}x | {} |",
            a.what,
            a.threads,
            a.gbs,
            a.limit,
            a.gbs / a.limit,
            a.paired
                .map(|v| format!("{v:.2}x"))
                .unwrap_or_else(|| "–".into())
        );
    }
    s.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::goals::testing::{results, row};
    use simdpar::Isa;
    use simdpar_bench::stream::Pattern;
    use simdpar_bench::workloads::{Dtype, Op, Shape, Workload};

    #[test]
    fn in_cache_contenders_above_the_faster_pattern_are_flagged() {
        let w = Workload {
            op: Op::SUM,
            dtype: Dtype::F32,
            shape: Shape::Elems(16 << 10),
        };
        let rows = vec![
            // The pattern: 1.0 on one thread, 0.8 on two.
            row(w, Impl::Stream(Pattern::Read), 1, &[1.0, 1.0, 1.0]),
            row(w, Impl::Stream(Pattern::Read), 2, &[0.8, 0.8, 0.8]),
            // One thread at 0.9: above the 1-thread pattern (its limit,
            // though the 2-thread pattern is faster still).
            row(w, Impl::Simdpar(Isa::Portable), 1, &[0.9, 0.9, 0.9]),
            // Two threads at 0.9: below the faster 2-thread pattern.
            row(w, Impl::Simdpar(Isa::Portable), 2, &[0.9, 0.9, 0.9]),
            // A twin at exactly the pattern: not above.
            row(
                w,
                Impl::Mojo(simdpar_mojo::TwinVariant::Exact),
                1,
                &[1.0, 1.0, 1.0],
            ),
        ];
        let a = above(&results(rows));
        assert_eq!(
            a.len(),
            1,
            "{:?}",
            a.iter().map(|a| &a.what).collect::<Vec<_>>()
        );
        assert_eq!(a[0].what, "sum f32 16K: simdpar:portable");
        assert_eq!(a[0].threads, "1");
        assert!((a[0].gbs / a[0].limit - 1.0 / 0.9).abs() < 1e-12);
        assert!((a[0].paired.unwrap() - 1.0 / 0.9).abs() < 1e-12);
    }

    #[test]
    fn dram_contenders_are_held_against_the_pattern_at_their_threads() {
        let w = Workload {
            op: Op::SUM,
            dtype: Dtype::F32,
            shape: Shape::Elems(64 << 20),
        };
        let rows = vec![
            row(w, Impl::Stream(Pattern::Read), 1, &[1.0, 1.0, 1.0]),
            row(w, Impl::Stream(Pattern::Read), 2, &[0.8, 0.8, 0.8]),
            row(w, Impl::Simdpar(Isa::Portable), 1, &[1.1, 1.1, 1.1]),
            // Above the 2-thread pattern.
            row(w, Impl::Simdpar(Isa::Portable), 2, &[0.7, 0.7, 0.7]),
        ];
        let a = above(&results(rows));
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].threads, "2");
    }
}
