//! "Above the memory limit": every contender of a DRAM-sized workload that
//! moved its bytes faster than the STREAM pattern bounding it. The pattern
//! is meant to be the fastest way this machine moves those bytes, so such
//! a row is a measurement to investigate (a pattern that is not the limit
//! yet, caches holding part of the data, or a peer counting different
//! bytes), never a kernel beating memory.

use super::Doc;
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

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    let mut rows: Vec<Above> = Vec::new();
    for w in r.workloads() {
        let Some(p) = w.op.pattern() else { continue };
        if w.shape.class(w.dtype) != "dram" {
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
            let in_group = r.find(&w, Impl::Stream(p), th);
            let lim = in_group.map(|s| s.gbs()).or_else(|| r.stream_gbs(p, th));
            let paired = in_group
                .map(|s| paired_ratio(&s.stats, &x.stats) * x.bytes() as f64 / s.bytes() as f64);
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
        // Python peers (1 thread) against the standalone pattern.
        for peer in ["numpy", "numkong"] {
            let (k, dt, sh) = (w.op.name(), w.dtype.name(), w.shape.label());
            if let (Some(py), Some(l)) = (r.py.row(k, dt, &sh, peer, 1), r.stream_gbs(p, 1)) {
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
    let _ = writeln!(s, "## Above the memory limit\n");
    if rows.is_empty() {
        let _ = writeln!(
            s,
            "No contender of a DRAM-sized workload moved its bytes faster than the STREAM \
             pattern bounding it (same thread count, same group where the pattern ran in it).\n"
        );
        return;
    }
    let _ = writeln!(
        s,
        "These contenders moved their counted bytes faster than the STREAM pattern that bounds \
         them. Each is a measurement error to investigate, not a result: the pattern should be \
         the fastest way to move those bytes here. Usual causes: the pattern ran in a calmer or \
         busier moment (compare the paired ratio in the goal table), part of the data stayed in \
         the last-level cache between calls, or a peer touches fewer bytes than counted.\n"
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
