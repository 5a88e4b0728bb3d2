//! What the fixed summation order costs: `simdpar_kernels::sum` (blocked,
//! pairwise over blocks, identical bits on every ISA and thread count)
//! against a free-order sum on the same ISA (the same accumulators run
//! straight through the slice, one horizontal add at the end).
//!
//! `cargo bench -p simdpar-kernels --bench fixed_order`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simdpar_kernels::dispatch::{Isa, available_isas, with_isa};
use std::hint::black_box;

#[cfg(target_arch = "x86_64")]
mod free {
    use core::arch::x86_64::*;

    /// 4 ymm accumulators, no blocks: the fastest order on AVX2.
    #[target_feature(enable = "avx2")]
    pub fn sum_avx2(x: &[f32]) -> f32 {
        let mut acc = [_mm256_setzero_ps(); 4];
        let chunks = x.chunks_exact(32);
        let rest = chunks.remainder();
        for c in chunks {
            for (k, a) in acc.iter_mut().enumerate() {
                // SAFETY: c has 32 elements; k*8 + 8 <= 32.
                *a = _mm256_add_ps(*a, unsafe { _mm256_loadu_ps(c.as_ptr().add(8 * k)) });
            }
        }
        let v = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut lanes = [0.0f32; 8];
        // SAFETY: lanes holds 8 f32.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
        lanes.iter().sum::<f32>() + rest.iter().sum::<f32>()
    }

    /// 2 zmm accumulators, no blocks.
    #[target_feature(enable = "avx512f")]
    pub fn sum_avx512(x: &[f32]) -> f32 {
        let mut acc = [_mm512_setzero_ps(); 2];
        let chunks = x.chunks_exact(32);
        let rest = chunks.remainder();
        for c in chunks {
            for (k, a) in acc.iter_mut().enumerate() {
                // SAFETY: c has 32 elements; k*16 + 16 <= 32.
                *a = _mm512_add_ps(*a, unsafe { _mm512_loadu_ps(c.as_ptr().add(16 * k)) });
            }
        }
        _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1])) + rest.iter().sum::<f32>()
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sum_f32_fixed_vs_free_order");
    for n in [4 * 1024, 256 * 1024, 16 << 20] {
        let x: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.01).collect();
        g.throughput(Throughput::Bytes((n * 4) as u64));
        for isa in available_isas() {
            if isa <= Isa::Portable {
                continue;
            }
            g.bench_with_input(BenchmarkId::new(format!("{isa}/fixed"), n), &x, |b, x| {
                b.iter(|| with_isa(isa, || simdpar_kernels::sum(black_box(x))).unwrap())
            });
            #[cfg(target_arch = "x86_64")]
            {
                let free: Option<fn(&[f32]) -> f32> = match isa {
                    // SAFETY: the ISA is in available_isas(), so its features run here.
                    Isa::Avx2 => Some(|x| unsafe { free::sum_avx2(x) }),
                    // SAFETY: as above.
                    Isa::Avx512 => Some(|x| unsafe { free::sum_avx512(x) }),
                    _ => None,
                };
                if let Some(f) = free {
                    g.bench_with_input(BenchmarkId::new(format!("{isa}/free"), n), &x, |b, x| {
                        b.iter(|| f(black_box(x)))
                    });
                }
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
