//! `report.md` and `report.json`.

use super::Results;
use super::data::Align;
use super::goals::Goal;
use super::stream::Pattern;
use super::thresholds;
use super::workloads::{Dtype, Impl, Kernel, Row, Workload};
use serde_json::{Value, json};
use simdpar::Isa;
use simdpar::simdpar_mojo::TwinVariant;
use std::fmt::Write;

fn t(s: f64) -> String {
    if !s.is_finite() {
        "–".into()
    } else if s < 1e-3 {
        format!("{:.2} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn x(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}×")).unwrap_or_else(|| "–".into())
}

fn opt_t(s: Option<f64>) -> String {
    s.map(t).unwrap_or_else(|| "–".into())
}

fn div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn med(r: &Results, w: &Workload, imp: Impl, th: usize) -> Option<f64> {
    r.find(w, imp, th).map(|x| x.stats.median)
}

/// The twin whose target matches a simdpar ISA: the x86-64-v3 twin for
/// avx2, the host-CPU twin for the dispatched ISA.
fn twin_for(r: &Results, isa: Isa) -> Option<TwinVariant> {
    if isa == Isa::Avx2 && r.best != Isa::Avx2 {
        Some(TwinVariant::Portable)
    } else if isa == r.best {
        Some(TwinVariant::Exact)
    } else {
        None
    }
}

fn goals_table(s: &mut String, goals: &[Goal], cmd: &str) {
    let _ = writeln!(
        s,
        "| goal | measured | target | result | how |\n|---|---|---|---|---|"
    );
    for g in goals {
        let res = match g.pass {
            Some(true) => "pass",
            Some(false) => "**MISS**",
            None => "not measured",
        };
        let _ = writeln!(
            s,
            "| {} | {} | ≥ {} | {} | {} |",
            g.description,
            x(g.measured),
            g.target,
            res,
            g.detail
        );
    }
    let _ = writeln!(s, "\nMeasured by: `{cmd}`.\n");
}

fn cpu_section(s: &mut String, r: &Results) {
    let cpu = simdpar::cpu_info();
    let _ = writeln!(s, "## CPU and dispatch\n");
    let _ = writeln!(
        s,
        "- CPU: {} ({}), family {:#x} model {:#x}, {} logical CPUs ({} used for \"all threads\")",
        cpu.brand, cpu.vendor, cpu.family, cpu.model, cpu.logical_cpus, r.threads
    );
    for c in &cpu.caches {
        let _ = writeln!(
            s,
            "- L{} {}: {} KiB, shared by {}",
            c.level,
            c.kind,
            c.size_bytes / 1024,
            c.shared_by
        );
    }
    let names: Vec<&str> = r.isas.iter().map(|i| i.name()).collect();
    let _ = writeln!(
        s,
        "- ISAs this CPU runs (all benchmarked): {}; simdpar dispatches to **{}**",
        names.join(", "),
        r.best.name()
    );
    if r.isas.contains(&Isa::Avx512) {
        let _ = writeln!(
            s,
            "- This CPU has AVX-512. The `avx2` rows (and the `mojo_avx2` goals, against the \
             `--target-cpu x86-64-v3` twin) show what an AVX2-only machine such as Zen 3 would run."
        );
    }
    let _ = writeln!(
        s,
        "- Non-temporal store threshold in force: {} MiB (`SIMDPAR_NT_THRESHOLD` overrides); \
         parallel threshold `PAR_MIN_ELEMS` = {} Ki elements",
        simdpar::map::nt_threshold_bytes() >> 20,
        simdpar::par::PAR_MIN_ELEMS >> 10
    );
    let _ = writeln!(s, "\n| kernel | f32 runs on | f64 runs on |\n|---|---|---|");
    for k in simdpar::KERNEL_NAMES {
        let f = |d| simdpar::kernel_isa(k, d).map(|i| i.name()).unwrap_or("?");
        let _ = writeln!(s, "| {k} | {} | {} |", f("f32"), f("f64"));
    }
    s.push('\n');
}

fn parity_section(s: &mut String, r: &Results) {
    let _ = writeln!(s, "## Parity (simdpar vs Mojo twins)\n");
    if let Some(n) = &r.parity.note {
        let _ = writeln!(s, "> {n}\n");
    }
    let Some(v) = &r.parity.json else {
        return;
    };
    let cells = v
        .get("cells")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ok = cells
        .iter()
        .filter(|c| c.get("ok").and_then(Value::as_bool) == Some(true))
        .count();
    let _ = writeln!(
        s,
        "{ok} of {} cells agree (`simdpar parity --json --no-timing`; bitwise for elementwise \
         kernels and Mandelbrot, within the summation-order error bound for sums). Mojo: {}.\n",
        cells.len(),
        v.get("mojo_version").and_then(Value::as_str).unwrap_or("?")
    );
    let _ = writeln!(
        s,
        "| kernel | dtype | isa | twin | cases | mismatches | ok |\n|---|---|---|---|---|---|---|"
    );
    for c in &cells {
        let g = |k: &str| match c.get(k) {
            Some(Value::String(x)) => x.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let okc = c.get("ok").and_then(Value::as_bool) == Some(true);
        if !okc || r.opts.full {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                g("kernel"),
                g("dtype"),
                g("isa"),
                g("twin"),
                g("cases"),
                g("mismatches"),
                if okc { "ok" } else { "**FAIL**" }
            );
        }
    }
    if !r.opts.full {
        let _ = writeln!(
            s,
            "| (cells that agree are listed with `--full`) | | | | | | |"
        );
    }
    s.push('\n');
}

fn stream_section(s: &mut String, r: &Results) {
    if r.stream.is_empty() {
        return;
    }
    let n = r.stream[0].n;
    let _ = writeln!(
        s,
        "## Memory bandwidth (STREAM-like)\n\n{} Mi doubles per array ({} MiB), regular stores, \
         bytes counted as read + written (no write-allocate), medians of interleaved rounds.\n",
        n >> 20,
        (n * 8) >> 20
    );
    let _ = writeln!(
        s,
        "| pattern | bytes/elem | bounds | threads | median GB/s | best GB/s |\n|---|---|---|---|---|---|"
    );
    for p in Pattern::ALL {
        let bounds = match p {
            Pattern::Read => "sum, row_sums",
            Pattern::Copy => "square, scale, leaky_relu",
            Pattern::Triad => "add, multiply",
            Pattern::InplaceScale => "scale_inplace",
        };
        for x in r.stream.iter().filter(|x| x.pattern == p) {
            let _ = writeln!(
                s,
                "| {} | {} | {bounds} | {} | {:.1} | {:.1} |",
                p.name(),
                p.bytes_per_elem(),
                x.threads,
                x.gbs(),
                x.best_gbs()
            );
        }
    }
    s.push('\n');
}

fn isa_tables(s: &mut String, r: &Results) {
    let _ = writeln!(
        s,
        "## Per-ISA tables\n\nMedian time per call, GB/s counted as read + written. \
         `twin` is the Mojo twin built for the same target (host CPU for the dispatched ISA, \
         x86-64-v3 for avx2), contract=off; `twin/simdpar` > 1 means simdpar is faster. \
         `numpy/simdpar` uses the NumPy reference timed in the same run (1 NumPy thread). \
         `% STREAM` compares DRAM-sized rows with the matching STREAM pattern and thread count.\n"
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
                    .filter(|_| th == 1 || w.kernel.has_mt_twin())
                    .and_then(|v| med(r, &w, Impl::Mojo(v), th));
                let np = r.py.median(
                    w.kernel.name(),
                    w.dtype.name(),
                    &w.shape.label(),
                    "numpy",
                    1,
                );
                let pct = if w.shape.class(w.dtype) == "dram" {
                    w.kernel
                        .pattern()
                        .and_then(|p| {
                            r.find(&w, Impl::Stream(p), th)
                                .map(|s| s.gbs())
                                .or_else(|| r.stream_gbs(p, th))
                        })
                        .map(|l| format!("{:.0}%", 100.0 * row.gbs() / l))
                        .unwrap_or_else(|| "–".into())
                } else {
                    "–".into()
                };
                let gb = if w.kernel == Kernel::Mandelbrot {
                    format!("{:.0} Mpx/s", row.elems_per_s() / 1e6)
                } else {
                    format!("{:.1}", row.gbs())
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {th} | {} | {gb} | {} | {} | {} | {} | {pct} |",
                    w.kernel.name(),
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

fn align_section(s: &mut String, r: &Results) {
    if r.align_rows.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Alignment penalty\n\n`offset4` starts every array 4 bytes (f64: 8 bytes) past a \
         64-byte boundary; `split` starts it 4 bytes (f64: 8) before one, so every 64-byte load \
         and every second 32-byte load crosses a cache line (the most a contiguous stream can \
         split). Ratio = aligned time / this time (< 1 = slower than aligned). 1 thread.\n"
    );
    let _ = writeln!(
        s,
        "| kernel | dtype | size | impl | aligned | offset4 | ratio | split | ratio |\n|---|---|---|---|---|---|---|---|---|"
    );
    let mut seen: Vec<(Workload, Impl)> = Vec::new();
    for row in &r.align_rows {
        let key = (row.workload, row.spec.imp);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let get = |a: Align| {
            r.align_rows
                .iter()
                .find(|x| x.workload == key.0 && x.spec.imp == key.1 && x.spec.align == a)
                .map(|x| x.stats.median)
        };
        let (a, o, sp) = (get(Align::Aligned), get(Align::Off4), get(Align::Split));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            key.0.kernel.name(),
            key.0.dtype.name(),
            key.0.shape.label(),
            key.1.label(),
            opt_t(a),
            opt_t(o),
            x(div(a, o)),
            opt_t(sp),
            x(div(a, sp))
        );
    }
    s.push('\n');
}

fn lanes_section(s: &mut String, r: &Results) {
    let _ = writeln!(
        s,
        "## 16 lanes vs the native width\n\nMojo: the x86-64-v3 twin with f32 vectors forced to 16 \
         lanes (`-D SIMDPAR_F32_WIDTH=16`) against the same twin at its native 8 lanes. simdpar: \
         the avx512 path (16 f32 lanes) against avx2 (8 lanes), where this CPU has both. \
         Ratio = native time / 16-lane time (> 1: 16 lanes faster). f32, 1 thread.\n"
    );
    let _ = writeln!(
        s,
        "| kernel | size | mojo native (v3) | mojo forced16 | ratio | simdpar avx2 | simdpar avx512 | ratio |\n|---|---|---|---|---|---|---|---|"
    );
    for w in r.workloads().iter().filter(|w| w.dtype == Dtype::F32) {
        let mn = med(r, w, Impl::Mojo(TwinVariant::Portable), 1);
        let m16 = med(r, w, Impl::Mojo(TwinVariant::Forced16), 1);
        let s8 = med(r, w, Impl::Simdpar(Isa::Avx2), 1);
        let s16 = med(r, w, Impl::Simdpar(Isa::Avx512), 1);
        if mn.is_none() && s16.is_none() {
            continue;
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            w.kernel.name(),
            w.shape.label(),
            opt_t(mn),
            opt_t(m16),
            x(div(mn, m16)),
            opt_t(s8),
            opt_t(s16),
            x(div(s8, s16))
        );
    }
    s.push('\n');
}

fn threads_section(s: &mut String, r: &Results) {
    if r.threads < 2 {
        return;
    }
    let _ = writeln!(
        s,
        "## 1 vs {n} threads\n\nSpeedup = 1-thread time / {n}-thread time, simdpar on the \
         dispatched ISA (`simdpar::par`, which stays serial below `PAR_MIN_ELEMS`) and the \
         threaded Mojo twins where they exist.\n",
        n = r.threads
    );
    let _ = writeln!(
        s,
        "| kernel | dtype | size | simdpar 1T | simdpar {n}T | speedup | mojo 1T | mojo {n}T | speedup |\n|---|---|---|---|---|---|---|---|---|",
        n = r.threads
    );
    for w in r.workloads() {
        let a = med(r, &w, Impl::Simdpar(r.best), 1);
        let b = med(r, &w, Impl::Simdpar(r.best), r.threads);
        let (ma, mb) = if w.kernel.has_mt_twin() {
            (
                med(r, &w, Impl::Mojo(TwinVariant::Exact), 1),
                med(r, &w, Impl::Mojo(TwinVariant::Exact), r.threads),
            )
        } else {
            (None, None)
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            w.kernel.name(),
            w.dtype.name(),
            w.shape.label(),
            opt_t(a),
            opt_t(b),
            x(div(a, b)),
            opt_t(ma),
            opt_t(mb),
            x(div(ma, mb))
        );
    }
    s.push('\n');
}

fn scalar_section(s: &mut String, r: &Results) {
    let simd: Vec<Isa> = r
        .isas
        .iter()
        .copied()
        .filter(|i| *i != Isa::Scalar)
        .collect();
    let _ = writeln!(
        s,
        "## Scalar vs SIMD\n\nSpeedup of each SIMD path over simdpar's scalar path \
         (scalar time / path time), 1 thread.\n"
    );
    let head: Vec<String> = simd.iter().map(|i| i.name().to_string()).collect();
    let _ = writeln!(
        s,
        "| kernel | dtype | size | scalar | {} |\n|---|---|---|---|{}",
        head.join(" | "),
        "---|".repeat(simd.len())
    );
    for w in r.workloads() {
        let sc = med(r, &w, Impl::Simdpar(Isa::Scalar), 1);
        let cols: Vec<String> = simd
            .iter()
            .map(|&i| x(div(sc, med(r, &w, Impl::Simdpar(i), 1))))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            w.kernel.name(),
            w.dtype.name(),
            w.shape.label(),
            opt_t(sc),
            cols.join(" | ")
        );
    }
    s.push('\n');
}

fn threshold_section(s: &mut String, r: &Results) {
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
         rayon's global pool from outside it (the way `simdpar::par` splits). Speedup = serial \
         time / split time.\n",
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
        "\nSplitting wins (≥ 10%, both kernels) from {} on; `PAR_MIN_ELEMS` is {} Ki.\n",
        thresholds::par_crossover(&r.par)
            .map(|n| format!("{} Ki elements", n >> 10))
            .unwrap_or_else(|| "no measured size".into()),
        simdpar::par::PAR_MIN_ELEMS >> 10
    );
}

fn notes_section(s: &mut String, r: &Results) {
    let _ = writeln!(s, "## Python, NumPy and Mojo\n");
    let _ = writeln!(
        s,
        "- Python: {} (NumPy {}, simdpar package {})",
        r.py.python.as_deref().unwrap_or("not run"),
        r.py.numpy.as_deref().unwrap_or("missing"),
        r.py.simdpar.as_deref().unwrap_or("not importable")
    );
    if !r.py.command.is_empty() {
        let _ = writeln!(s, "- Python command: `{}`", r.py.command);
    }
    let _ = writeln!(
        s,
        "- Mojo: {}; twins loaded: {}",
        r.mojo.version.as_deref().unwrap_or("not found"),
        r.mojo
            .twins
            .loaded
            .iter()
            .map(|t| t.variant().name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for n in r.py.notes.iter().chain(&r.mojo.notes) {
        let _ = writeln!(s, "- **note:** {n}");
    }
    s.push('\n');
}

/// The Markdown report.
pub fn render(r: &Results, goals: &[Goal], pngs: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# simdpar report\n");
    let _ = writeln!(
        s,
        "- {} · `{}` · {} mode · {:.0} s",
        r.date,
        r.opts.command,
        if r.opts.full { "full" } else { "quick" },
        r.elapsed.as_secs_f64()
    );
    if let Some(src) = &r.source {
        let _ = writeln!(s, "- Source measured: {src} (a release build of it)");
    }
    let fmt_load = |l: Option<f64>| l.map(|l| format!("{l:.2}")).unwrap_or_else(|| "?".into());
    let _ = writeln!(
        s,
        "- Load average at start / end: {} / {}; other processes used {} CPUs on average while \
         the Rust benchmarks ran. Medians of interleaved rounds; multi-threaded rows on a \
         shared 2-core machine are only trustworthy when that number is near 0.",
        fmt_load(r.load.0),
        fmt_load(r.load.1),
        r.foreign
            .map(|f| format!("{f:.2}"))
            .unwrap_or_else(|| "?".into())
    );
    let passed = goals.iter().filter(|g| g.pass == Some(true)).count();
    let missed = goals.iter().filter(|g| g.pass == Some(false)).count();
    let _ = writeln!(
        s,
        "- Goals: **{passed} passed, {missed} missed, {} not measured** (table below; all ratios \
         are also in `report.json`).\n",
        goals.len() - passed - missed
    );
    for p in pngs {
        let _ = writeln!(s, "![{p}]({p})");
    }
    s.push('\n');
    cpu_section(&mut s, r);
    parity_section(&mut s, r);
    stream_section(&mut s, r);
    let _ = writeln!(s, "## Speed goals\n");
    let missed_goals: Vec<Goal> = goals
        .iter()
        .filter(|g| g.pass == Some(false))
        .cloned()
        .collect();
    if !missed_goals.is_empty() {
        let _ = writeln!(s, "### Missed\n");
        goals_table(&mut s, &missed_goals, &r.opts.command);
    }
    let _ = writeln!(s, "### All goals\n");
    goals_table(&mut s, goals, &r.opts.command);
    isa_tables(&mut s, r);
    align_section(&mut s, r);
    lanes_section(&mut s, r);
    threads_section(&mut s, r);
    scalar_section(&mut s, r);
    threshold_section(&mut s, r);
    notes_section(&mut s, r);
    s
}

fn row_json(r: &Row) -> Value {
    json!({
        "kernel": r.workload.kernel.name(),
        "dtype": r.workload.dtype.name(),
        "shape": r.workload.shape.label(),
        "class": r.workload.shape.class(r.workload.dtype),
        "impl": r.spec.imp.label(),
        "threads": r.spec.threads,
        "align": r.spec.align.name(),
        "median_s": r.stats.median,
        "min_s": r.stats.min,
        "max_s": r.stats.max,
        "samples": r.stats.samples,
        "inner": r.stats.inner,
        "bytes": r.bytes(),
        "gb_per_s": r.gbs(),
        "elems_per_s": r.elems_per_s(),
    })
}

/// `report.json`.
pub fn json(r: &Results, goals: &[Goal]) -> Value {
    let cpu: Value = serde_json::from_str(&crate::cli::info::cpu_json(&simdpar::cpu_info()))
        .unwrap_or(Value::Null);
    json!({
        "date": r.date,
        "source": r.source,
        "command": r.opts.command,
        "mode": if r.opts.full { "full" } else { "quick" },
        "elapsed_s": r.elapsed.as_secs_f64(),
        "loadavg": {"start": r.load.0, "end": r.load.1},
        "foreign_cpus_during_rust_benchmarks": r.foreign,
        "cpu": cpu,
        "available_isas": r.isas.iter().map(|i| i.name()).collect::<Vec<_>>(),
        "dispatched_isa": r.best.name(),
        "threads": r.threads,
        "nt_threshold_bytes": simdpar::map::nt_threshold_bytes(),
        "par_min_elems": simdpar::par::PAR_MIN_ELEMS,
        "goals": goals.iter().map(|g| json!({
            "id": g.id,
            "group": g.group,
            "description": g.description,
            "kernel": g.kernel,
            "dtype": g.dtype,
            "shape": g.shape,
            "threads": g.threads,
            "measured": g.measured,
            "target": g.target,
            "pass": g.pass,
            "detail": g.detail,
            "command": r.opts.command,
        })).collect::<Vec<_>>(),
        "goals_summary": {
            "passed": goals.iter().filter(|g| g.pass == Some(true)).count(),
            "missed": goals.iter().filter(|g| g.pass == Some(false)).count(),
            "not_measured": goals.iter().filter(|g| g.pass.is_none()).count(),
        },
        "stream": r.stream.iter().map(|x| json!({
            "pattern": x.pattern.name(),
            "threads": x.threads,
            "elements": x.n,
            "bytes_per_elem": x.pattern.bytes_per_elem(),
            "median_gb_per_s": x.gbs(),
            "best_gb_per_s": x.best_gbs(),
        })).collect::<Vec<_>>(),
        "rows": r.rows.iter().map(row_json).collect::<Vec<_>>(),
        "alignment": r.align_rows.iter().map(row_json).collect::<Vec<_>>(),
        "nt_threshold": {
            "rows": r.nt.iter().map(|n| json!({
                "kernel": n.kernel, "elements": n.n, "threads": n.threads,
                "cached_s": n.cached.median, "streaming_s": n.streaming.median,
                "nt_speedup": n.nt_speedup(),
            })).collect::<Vec<_>>(),
            "crossover_output_bytes": thresholds::nt_crossover(&r.nt).map(|n| n * 4),
        },
        "par_threshold": {
            "rows": r.par.iter().map(|p| json!({
                "kernel": p.kernel, "elements": p.n, "threads": p.threads,
                "serial_s": p.serial.median, "parallel_s": p.parallel.median,
                "speedup": p.speedup(),
            })).collect::<Vec<_>>(),
            "crossover_elems": thresholds::par_crossover(&r.par),
        },
        "python": r.py.raw.clone().unwrap_or(Value::Null),
        "python_notes": r.py.notes,
        "mojo": {
            "version": r.mojo.version,
            "twins": r.mojo.twins.loaded.iter().map(|t| json!({
                "variant": t.variant().name(),
                "f32_lanes": t.simd_width::<f32>(),
                "f64_lanes": t.simd_width::<f64>(),
            })).collect::<Vec<_>>(),
            "notes": r.mojo.notes,
        },
        "parity": r.parity.json.clone().unwrap_or(Value::Null),
        "parity_note": r.parity.note,
    })
}
