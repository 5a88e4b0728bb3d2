//! Criterion benches of every kernel x host ISA x dtype x size x alignment
//! x threads, with the Mojo twins in the same groups.
//!
//! Group `<kernel>/<dtype>/<size>`; bench id `<impl>/t<threads>/<align>`
//! where impl is `simdpar:<isa>` (the dispatched API inside `with_isa`) or
//! `mojo:<variant>` (exact, fast, portable = x86-64-v3, forced16). Throughput
//! is reported in bytes (read + written, STREAM's convention) and elements.
//!
//! ```sh
//! cargo bench --bench kernels                          # the default matrix
//! cargo bench --bench kernels -- 'multiply/f32/64M'    # one group
//! SIMDPAR_BENCH_FULL=1 cargo bench --bench kernels     # every combination
//! SIMDPAR_BENCH_NO_MOJO=1 cargo bench --bench kernels  # without the twins
//! ```
//!
//! The default matrix runs every ISA at 1 thread (aligned), the dispatched
//! ISA with all threads, and the three alignments on the dispatched ISA and
//! the exact twin; `SIMDPAR_BENCH_FULL=1` runs every ISA x threads x
//! alignment. `simdpar report` runs the same workloads with interleaved
//! timing and writes the tables; these benches are for digging into one
//! group with criterion's statistics.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simdpar::{active_isa, available_isas};
use simdpar_bench::data::Align;
use simdpar_bench::workloads::{BenchElem, Dtype, Impl, Op, Prepared, TwinSet, Workload};
use simdpar_mojo::{Cache, TwinVariant, Twins};
use std::time::Duration;

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

fn load_twins() -> TwinSet {
    let mut set = TwinSet::default();
    if flag("SIMDPAR_BENCH_NO_MOJO") {
        return set;
    }
    match Cache::open() {
        Ok(cache) => {
            for v in TwinVariant::ALL {
                match Twins::load(&cache, v) {
                    Ok(t) => set.loaded.push(t),
                    Err(e) => eprintln!("SKIPPED: Mojo twin {} ({e})", v.name()),
                }
            }
        }
        Err(e) => eprintln!("SKIPPED: Mojo twins (mojo not usable: {e})"),
    }
    set
}

fn workloads() -> Vec<Workload> {
    Workload::standard()
}

/// `(impl, threads, align)` of one group.
fn combos(w: &Workload, full: bool, threads: usize) -> Vec<(Impl, usize, Align)> {
    let best = active_isa();
    let mut v = Vec::new();
    let mut tcounts = vec![1];
    if threads > 1 {
        tcounts.push(threads);
    }
    let aligns: &[Align] = if full { &Align::ALL } else { &[Align::Aligned] };
    for &align in aligns {
        for isa in available_isas() {
            for &t in &tcounts {
                if full || t == 1 || isa == best {
                    v.push((Impl::Simdpar(isa), t, align));
                }
            }
        }
        for tv in TwinVariant::ALL {
            if tv == TwinVariant::Forced16 && w.dtype == Dtype::F64 {
                continue;
            }
            v.push((Impl::Mojo(tv), 1, align));
            if w.op.has_mt_twin() && threads > 1 && (full || tv == TwinVariant::Exact) {
                v.push((Impl::Mojo(tv), threads, align));
            }
        }
    }
    if !full && !matches!(w.op, Op::ROW_SUMS | Op::MANDELBROT) {
        for align in [Align::Off4, Align::Split] {
            v.push((Impl::Simdpar(best), 1, align));
            v.push((Impl::Mojo(TwinVariant::Exact), 1, align));
        }
    }
    v
}

fn bench_workload<T: BenchElem>(
    c: &mut Criterion,
    w: &Workload,
    twins: &TwinSet,
    full: bool,
    threads: usize,
) {
    let name = format!("{}/{}/{}", w.op.name(), w.dtype.name(), w.shape.label());
    let combos = combos(w, full, threads);
    let mut g = c.benchmark_group(&name);
    g.throughput(Throughput::ElementsAndBytes {
        elements: w.shape.elems() as u64,
        bytes: w.bytes() as u64,
    });
    let big = w.bytes() > 64 << 20 || w.op == Op::MANDELBROT;
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(if big { 200 } else { 300 }))
        .measurement_time(Duration::from_secs(if big { 2 } else { 1 }));
    let mut prepared: Vec<(Align, Prepared<T>)> = Vec::new();
    for (imp, t, align) in combos {
        if !prepared.iter().any(|(a, _)| *a == align) {
            prepared.push((align, Prepared::new(w, align)));
        }
        let p = &prepared.iter().find(|(a, _)| *a == align).expect("made").1;
        if !p.can_run(imp, twins) {
            continue;
        }
        let id = BenchmarkId::new(imp.label(), format!("t{t}/{}", align.name()));
        g.bench_function(id, |b| b.iter(|| p.run(imp, t, twins, 1)));
    }
    g.finish();
}

fn kernels(c: &mut Criterion) {
    let full = flag("SIMDPAR_BENCH_FULL");
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let twins = load_twins();
    for w in workloads() {
        match w.dtype {
            Dtype::F32 => bench_workload::<f32>(c, &w, &twins, full, threads),
            Dtype::F64 => bench_workload::<f64>(c, &w, &twins, full, threads),
        }
    }
}

criterion_group!(benches, kernels);
criterion_main!(benches);
