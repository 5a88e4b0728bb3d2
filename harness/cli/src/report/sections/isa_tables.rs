//! One table per ISA: every workload against its twin, NumPy and STREAM.

use super::Doc;
use super::fmt::*;
use crate::report::goals::in_cache::{cell_level, is_in_cache, limit_row};
use simdpar_bench::workloads::{Impl, Op};
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    let _ = writeln!(
        s,
        "## Per-ISA tables\n\nMedian time per call, GB/s counted as read + written. \
         `twin` is the Mojo twin built for the same target (host CPU for the dispatched ISA, \
         x86-64-v3 for avx2), contract=off; `twin/simdpar` > 1 means simdpar is faster. \
         `numpy/simdpar` uses the NumPy reference timed in the same run (1 NumPy thread). \
         `% STREAM` compares DRAM-sized rows with the matching STREAM pattern and thread count, \
         cache- and LLC-sized rows with the pattern over the same bytes in the same rounds (the \
         faster of 1 and that many threads; see \"Memory bandwidth in cache\").\n"
    );
    for &isa in &r.isas {
        let twin = twin_for(r, isa);
        let _ = writeln!(
            s,
            "### {}{}\n",
            isa.name(),
            if isa == r.best { " (dispatched)" } else { "" }
        );
        let _ = writeln!(
            s,
            "| kernel | dtype | size | threads | simdpar | GB/s | twin | twin/simdpar | numpy | numpy/simdpar | % STREAM |\n|---|---|---|---|---|---|---|---|---|---|---|"
        );
        for w in r.workloads() {
            let mut ths = vec![1];
            if r.threads > 1 {
                ths.push(r.threads);
            }
            for th in ths {
                let Some(row) = r.find(&w, Impl::Simdpar(isa), th) else {
                    continue;
                };
                let sm = row.stats.median;
                let tw = twin
                    .filter(|_| th == 1 || w.op.has_mt_twin())
                    .and_then(|v| med(r, &w, Impl::Mojo(v), th));
                let np =
                    r.py.median(w.op.name(), w.dtype.name(), &w.shape.label(), "numpy", 1);
                let lim = if is_in_cache(&w) {
                    // In cache: the faster of the pattern on 1 and on `th`
                    // threads over the same bytes (a call allowed `th`
                    // threads may run on one).
                    w.op.pattern().and_then(|p| {
                        limit_row(r, &w, p, th).map(|s| s.gbs()).or_else(|| {
                            r.stream_in_cache(p, cell_level(&w, &r.caches), th)
                                .map(|s| s.gbs())
                        })
                    })
                } else if w.shape.class(w.dtype) == "dram" {
                    w.op.pattern().and_then(|p| {
                        r.find(&w, Impl::Stream(p), th)
                            .map(|s| s.gbs())
                            .or_else(|| r.stream_gbs(p, th))
                    })
                } else {
                    None
                };
                // Above 100%: a measurement to investigate (see "Above the
                // memory limit"), flagged, never silent.
                let pct = lim
                    .map(|l| match 100.0 * row.gbs() / l {
                        v if v > 100.0 => format!("{v:.0}% (!)"),
                        v => format!("{v:.0}%"),
                    })
                    .unwrap_or_else(|| "–".into());
                let gb = if w.op == Op::MANDELBROT {
                    format!("{:.0} Mpx/s", row.elems_per_s() / 1e6)
                } else {
                    format!("{:.1}", row.gbs())
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {th} | {} | {gb} | {} | {} | {} | {} | {pct} |",
                    w.op.name(),
                    w.dtype.name(),
                    w.shape.label(),
                    t(sm),
                    opt_t(tw),
                    x(div(tw, Some(sm))),
                    opt_t(np),
                    x(div(np, Some(sm)))
                );
            }
        }
        s.push('\n');
    }
}
