//! The non-temporal-store and parallel-split sweeps.

use super::Doc;
use super::fmt::*;
use simdpar_bench::thresholds;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    if r.nt.is_empty() && r.par.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Tuning thresholds\n\n### Non-temporal stores\n\nf32, `{}` token kernels called with \
         `Store::Cached` and `Store::Streaming` (2 threads: two halves on rayon's pool). \
         NT speedup = cached time / NT time.\n",
        thresholds::isa().name()
    );
    let _ = writeln!(
        s,
        "| kernel | elements | output MiB | threads | cached | NT | NT speedup |\n|---|---|---|---|---|---|---|"
    );
    for n in &r.nt {
        let _ = writeln!(
            s,
            "| {} | {}M | {} | {} | {} | {} | {} |",
            n.kernel,
            n.n >> 20,
            (n.n * 4) >> 20,
            n.threads,
            t(n.cached.median),
            t(n.streaming.median),
            x(Some(n.nt_speedup()))
        );
    }
    let cur = simdpar::map::nt_threshold_bytes();
    match thresholds::nt_crossover(&r.nt) {
        Some(n) => {
            let _ = writeln!(
                s,
                "\nNT stores win (≥ 5%, every kernel and thread count) from {} MiB of output on. \
                 The threshold in force is {} MiB: {}.\n",
                (n * 4) >> 20,
                cur >> 20,
                if cur <= n * 4 && cur > (n * 4) / 4 {
                    "consistent with the measurement"
                } else {
                    "worth revisiting"
                }
            );
        }
        None => {
            let _ = writeln!(
                s,
                "\nNT stores did not win consistently at the largest sizes measured here; the \
                 threshold in force is {} MiB.\n",
                cur >> 20
            );
        }
    }
    let _ = writeln!(
        s,
        "### Parallel threshold\n\nf32, serial call vs the input split in {} equal pieces on \
         rayon's global pool from outside it: a plain fork-join reference for where splitting \
         starts to pay, not simdpar's own pool (whose split sizes `simdpar tune` measures and \
         the plan table above shows). Speedup = serial time / split time.\n",
        r.par.first().map(|p| p.threads).unwrap_or(2)
    );
    let _ = writeln!(
        s,
        "| kernel | elements | serial | split | speedup |\n|---|---|---|---|---|"
    );
    for p in &r.par {
        let _ = writeln!(
            s,
            "| {} | {} Ki | {} | {} | {} |",
            p.kernel,
            p.n >> 10,
            t(p.serial.median),
            t(p.parallel.median),
            x(Some(p.speedup()))
        );
    }
    let _ = writeln!(
        s,
        "\nSplitting wins (≥ 10%, both kernels) from {} on; the built-in default splits elementwise kernels from 3 MiB touched, {} Ki elements of f32 `add` (`simdpar tune` measures it per machine).\n",
        thresholds::par_crossover(&r.par)
            .map(|n| format!("{} Ki elements", n >> 10))
            .unwrap_or_else(|| "no measured size".into()),
        simdpar::par::PAR_MIN_ELEMS >> 10
    );
}
