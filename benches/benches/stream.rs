//! The STREAM-like bandwidth bench (read, copy, triad, in-place scale; 1
//! thread and all), the physical limit DRAM-sized kernels are held to.
//! Bytes are counted STREAM's way (read + written).
//!
//! ```sh
//! cargo bench --bench stream
//! SIMDPAR_STREAM_ELEMS=67108864 cargo bench --bench stream   # array length in doubles
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simdpar_bench::stream::{Pattern, StreamBufs};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SIMDPAR_STREAM_ELEMS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(32 << 20);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut bufs = StreamBufs::new(n);
    let counts: Vec<usize> = std::iter::once(1)
        .chain((threads > 1).then_some(threads))
        .collect();
    for p in Pattern::ALL {
        let mut g = c.benchmark_group(format!("stream/{}", p.name()));
        g.throughput(Throughput::Bytes((n * p.bytes_per_elem()) as u64))
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        for &t in &counts {
            g.bench_function(BenchmarkId::new("threads", t), |b| {
                b.iter(|| bufs.pass(p, t))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
