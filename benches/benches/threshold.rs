//! The two tuning constants of the kernels, measured with criterion:
//!
//! * `nt/<kernel>/<n>`: f32 multiply and square on the best ISA's token
//!   kernels with `Store::Cached` vs `Store::Streaming` at 1M, 4M, 16M and
//!   64M elements, 1 thread and all (two halves on rayon's pool). Where
//!   streaming starts to win is where `simdpar::map::nt_threshold_bytes()`
//!   should sit.
//! * `par/<kernel>/<n>`: the serial call vs the input split in one piece per
//!   thread on rayon's global pool, called from outside the pool (as
//!   `simdpar::par` does), from 16K to 4M elements. Where splitting starts
//!   to win is where `simdpar::par::PAR_MIN_ELEMS` should sit.
//!
//! ```sh
//! cargo bench --bench threshold
//! cargo bench --bench threshold -- nt/     # one half
//! ```
//!
//! `simdpar report` measures the same with interleaved timing and prints
//! the crossover points.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use simdpar::map::Store;
use simdpar_bench::data::{Align, Buf};
use simdpar_bench::thresholds;
use std::time::Duration;

fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn nt(c: &mut Criterion) {
    let Some((_, mul, sq)) = thresholds::kernels() else {
        return;
    };
    let all = threads();
    for n in [1usize << 20, 4 << 20, 16 << 20, 64 << 20] {
        let a = Buf::<f32>::new(n, Align::Aligned, 1, -1.0, 1.0);
        let b = Buf::<f32>::new(n, Align::Aligned, 2, -1.0, 1.0);
        // One output per store policy (an NT pass leaves its output uncached).
        let mut outs = [
            Buf::<f32>::new(n, Align::Aligned, 3, 0.0, 1.0),
            Buf::<f32>::new(n, Align::Aligned, 4, 0.0, 1.0),
        ];
        for (kname, f, bytes) in [("multiply", mul, 12), ("square", sq, 8)] {
            let mut g = c.benchmark_group(format!("nt/{kname}/{}M", n >> 20));
            g.throughput(Throughput::Bytes((n * bytes) as u64))
                .sample_size(10)
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_secs(1));
            for t in [1, all] {
                for (store, o) in [Store::Cached, Store::Streaming]
                    .into_iter()
                    .zip(outs.iter_mut())
                {
                    let id = BenchmarkId::new(format!("{store:?}"), format!("t{t}"));
                    g.bench_function(id, |bn| {
                        bn.iter(|| {
                            if t == 1 {
                                f(a.get(), b.get(), o.get_mut(), store)
                            } else {
                                let c = n.div_ceil(t).next_multiple_of(64);
                                o.get_mut()
                                    .par_chunks_mut(c)
                                    .zip(a.get().par_chunks(c).zip(b.get().par_chunks(c)))
                                    .for_each(|(o, (a, b))| f(a, b, o, store));
                            }
                        })
                    });
                }
                if all == 1 {
                    break;
                }
            }
            g.finish();
        }
    }
}

fn par(c: &mut Criterion) {
    let Some((_, mul, _)) = thresholds::kernels() else {
        return;
    };
    let t = threads().max(2);
    for n in [
        16usize << 10,
        64 << 10,
        128 << 10,
        256 << 10,
        512 << 10,
        1 << 20,
        4 << 20,
    ] {
        let a = Buf::<f32>::new(n, Align::Aligned, 1, -1.0, 1.0);
        let b = Buf::<f32>::new(n, Align::Aligned, 2, -1.0, 1.0);
        let mut o = Buf::<f32>::new(n, Align::Aligned, 3, 0.0, 1.0);
        let c_len = n.div_ceil(t).next_multiple_of(64);
        let mut g = c.benchmark_group(format!("par/multiply/{}K", n >> 10));
        g.throughput(Throughput::Elements(n as u64))
            .sample_size(20)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(700));
        g.bench_function("serial", |bn| {
            bn.iter(|| mul(a.get(), b.get(), o.get_mut(), Store::Cached))
        });
        g.bench_function(format!("split{t}"), |bn| {
            bn.iter(|| {
                o.get_mut()
                    .par_chunks_mut(c_len)
                    .zip(a.get().par_chunks(c_len).zip(b.get().par_chunks(c_len)))
                    .for_each(|(o, (a, b))| mul(a, b, o, Store::Cached))
            })
        });
        g.finish();
        let mut g = c.benchmark_group(format!("par/sum/{}K", n >> 10));
        g.throughput(Throughput::Elements(n as u64))
            .sample_size(20)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(700));
        g.bench_function("serial", |bn| bn.iter(|| simdpar::sum(a.get())));
        g.bench_function(format!("split{t}"), |bn| {
            bn.iter(|| {
                a.get()
                    .par_chunks(c_len)
                    .map(simdpar::sum::<f32>)
                    .sum::<f32>()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, nt, par);
criterion_main!(benches);
