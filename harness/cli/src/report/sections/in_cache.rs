//! The STREAM-like patterns in cache, and every in-cache cell's defaults
//! as a fraction of the pattern of its cache level.

use super::Doc;
use crate::report::goals::in_cache::{IN_CACHE, cells};
use simdpar_bench::stream::{Level, Pattern};
use std::fmt::Write;

fn kib(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    if r.stream_in_cache.is_empty() {
        return;
    }
    let c = &r.caches;
    let _ = writeln!(
        s,
        "## Memory bandwidth in cache\n\nThe same patterns and forms as the DRAM table, on \
         arrays that touch about half of each cache of this CPU (L1d {}, L2 {} per core; LLC \
         {}): L1 on one thread (a fork-join costs more than reading half an L1), L2 on 1 and \
         {} threads (half of each core's L2), the LLC on 1 and {} threads (half of the shared \
         cache). Each level is one interleaved group, calls per sample calibrated by the \
         engine; medians, fastest form kept. A kernel's group times the pattern again over \
         the kernel's own bytes, in the form timed fastest on those very arrays before the \
         group (in cache the winner depends on the bytes, not only the level: where half the \
         LLC does not stay in it, non-temporal stores win here and lose at the kernels' sizes): \
         that in-group row is the limit of the cells below.\n",
        kib(c.l1d),
        kib(c.l2),
        kib(c.llc),
        r.threads,
        r.threads
    );
    let _ = writeln!(
        s,
        "| level | pattern | threads | bytes touched | form | median GB/s | best GB/s | next forms GB/s |\n|---|---|---|---|---|---|---|---|"
    );
    for level in Level::IN_CACHE {
        for p in Pattern::ALL {
            for x in r
                .stream_in_cache
                .iter()
                .filter(|x| x.level == level && x.pattern == p)
            {
                let next: Vec<String> = x
                    .others_gbs()
                    .iter()
                    .take(3)
                    .map(|(f, g)| format!("{} {g:.1}", f.name()))
                    .collect();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {:.1} | {:.1} | {} |",
                    level.name(),
                    p.name(),
                    x.threads,
                    kib(x.n * p.footprint_per_elem()),
                    x.form.name(),
                    x.gbs(),
                    x.best_gbs(),
                    if next.is_empty() {
                        "–".to_string()
                    } else {
                        next.join(", ")
                    }
                );
            }
        }
    }
    s.push('\n');
    let cells = cells(r);
    if cells.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "### In-cache kernels against their pattern\n\nsimdpar's defaults in every cache- and \
         LLC-sized cell against the pattern of the same access (reductions: read, unary maps: \
         copy, binary: triad, in place: in-place scale) over the same bytes, in the cell's own \
         rounds, on the faster of 1 and {} threads; `level`: the cache the bytes the call \
         touches fit in. Goal: >= {:.0}% (group `in_cache`); above 100% is flagged (see \
         \"Above the memory limit\").\n",
        r.threads,
        100.0 * IN_CACHE
    );
    let _ = writeln!(
        s,
        "| cell | touched | level | pattern | defaults GB/s | pattern GB/s | pattern threads | % of pattern |\n|---|---|---|---|---|---|---|---|"
    );
    for x in &cells {
        let f = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"));
        let pct = match x.fraction {
            Some(v) if v > 1.0 => format!("{:.0}% (!)", 100.0 * v),
            Some(v) if v < IN_CACHE => format!("{:.0}% ✗", 100.0 * v),
            Some(v) => format!("{:.0}%", 100.0 * v),
            None => "–".into(),
        };
        let _ = writeln!(
            s,
            "| {} {} {} | {} | {} | {} | {} | {} | {}{} | {pct} |",
            x.kernel,
            x.dtype,
            x.shape,
            kib(x.footprint_bytes),
            x.level.to_uppercase(),
            x.pattern,
            f(x.defaults_gb_per_s),
            f(x.pattern_gb_per_s),
            x.pattern_threads
                .map_or_else(|| "–".to_string(), |t| t.to_string()),
            if x.same_rounds { "" } else { " (separate run)" }
        );
    }
    s.push('\n');
}
