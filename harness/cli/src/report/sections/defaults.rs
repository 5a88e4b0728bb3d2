//! simdpar's defaults next to every manual choice: per workload, what the
//! library plans (ISA, threads, why), the defaults' median, and every
//! forced ISA x thread count relative to the defaults.

use super::Doc;
use super::fmt::t;
use crate::report::goals::defaults::{
    best_manual, default_row, manual_label, manual_rows, plan_of,
};
use simdpar_bench::timing::paired_ratio;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    if !r
        .rows
        .iter()
        .any(|x| x.spec.imp == simdpar_bench::workloads::Impl::Default)
    {
        return;
    }
    let _ = writeln!(
        s,
        "## Defaults against every manual choice\n\n`defaults` is simdpar as a user calls it \
         (`par::*` with `Threads::Auto`, no ISA forced), timed in the same interleaved rounds as \
         every forced ISA at 1 and {} threads. `plan` is `simdpar::plan(kernel, dtype, len, Auto)` \
         in this process: the ISA, the threads and why. Each manual cell is the median of \
         per-round ratios manual time / defaults time: above 1.00 the defaults are faster, \
         below it the manual choice is (all rounds). **Bold**: the fastest manual choice over all \
         rounds. `defaults vs best` is cross-fitted: the best manual choice is picked on the even \
         rounds and measured on the odd ones, picked on the odd ones and measured on the even \
         ones, and the median of those per-round ratios is given, so that the noise which made \
         a choice look fastest never also makes it look faster than it runs (the lowest of eight noisy \
         medians is biased low).\n",
        r.threads
    );
    let _ = writeln!(
        s,
        "| kernel | dtype | size | plan | defaults | best manual | defaults vs best | every manual choice (time / defaults) |\n|---|---|---|---|---|---|---|---|"
    );
    for w in r.workloads() {
        let Some(def) = default_row(r, &w) else {
            continue;
        };
        let p = plan_of(&w);
        let best = best_manual(r, &w);
        let all: Vec<String> = manual_rows(r, &w)
            .into_iter()
            .map(|m| {
                let v = format!(
                    "{} {:.2}",
                    manual_label(m),
                    paired_ratio(&m.stats, &def.stats)
                );
                if best.is_some_and(|(b, _)| std::ptr::eq(b, m)) {
                    format!("**{v}**")
                } else {
                    v
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} {}T ({}) | {} | {} | {} | {} |",
            w.op.name(),
            w.dtype.name(),
            w.shape.label(),
            p.isa.name(),
            p.threads,
            p.reason,
            t(def.stats.median),
            best.map(|(b, _)| format!("{} {}", manual_label(b), t(b.stats.median)))
                .unwrap_or_else(|| "–".into()),
            best.map(|(_, ratio)| format!("{ratio:.2}x"))
                .unwrap_or_else(|| "–".into()),
            all.join(", ")
        );
    }
    s.push('\n');
}
