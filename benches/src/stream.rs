//! A STREAM-like memory bandwidth bench: the physical limit each DRAM-sized
//! kernel is compared with. Plain Rust loops over `f64` arrays (no kernel
//! of simdpar involved), with regular stores, counted STREAM's way (bytes
//! read + bytes written, no write-allocate traffic).

use crate::data::{Align, Buf};
use crate::timing::{Candidate, Stats, TimingConfig, interleaved};
use rayon::prelude::*;

/// The access patterns, and the kernels they bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// `s += a[i]` (8 B per element): reductions.
    Read,
    /// `c[i] = a[i]` (16 B): unary out-of-place kernels.
    Copy,
    /// `a[i] = b[i] + q * c[i]` (24 B): binary kernels.
    Triad,
    /// `a[i] = q * a[i]` (16 B): in-place kernels.
    InplaceScale,
}

impl Pattern {
    /// All patterns in table order.
    pub const ALL: [Pattern; 4] = [
        Pattern::Read,
        Pattern::Copy,
        Pattern::Triad,
        Pattern::InplaceScale,
    ];

    /// Name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Read => "read",
            Pattern::Copy => "copy",
            Pattern::Triad => "triad",
            Pattern::InplaceScale => "inplace_scale",
        }
    }

    /// Bytes counted per element.
    pub fn bytes_per_elem(self) -> usize {
        match self {
            Pattern::Read => 8,
            Pattern::Copy | Pattern::InplaceScale => 16,
            Pattern::Triad => 24,
        }
    }
}

/// One measured bandwidth.
#[derive(Clone, Debug)]
pub struct StreamResult {
    /// The pattern.
    pub pattern: Pattern,
    /// Threads used.
    pub threads: usize,
    /// Elements per array.
    pub n: usize,
    /// Timing of one pass.
    pub stats: Stats,
}

impl StreamResult {
    /// Median bandwidth in GB/s (10^9 bytes).
    pub fn gbs(&self) -> f64 {
        (self.n * self.pattern.bytes_per_elem()) as f64 / self.stats.median / 1e9
    }

    /// Best-sample bandwidth in GB/s.
    pub fn best_gbs(&self) -> f64 {
        (self.n * self.pattern.bytes_per_elem()) as f64 / self.stats.min / 1e9
    }
}

fn read(a: &[f64]) -> f64 {
    // Eight independent partial sums so the loop is bound by loads, not by
    // the latency of one dependent add chain.
    let mut acc = [0.0f64; 8];
    let chunks = a.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    acc.iter().sum::<f64>() + rest.iter().sum::<f64>()
}

fn copy(a: &[f64], c: &mut [f64]) {
    // `+ 0.0` is not an identity (it turns -0.0 into +0.0), so the compiler
    // cannot replace the loop with `memcpy`, whose large-size path uses
    // non-temporal stores and would measure a different pattern.
    for (c, a) in c.iter_mut().zip(a) {
        *c = *a + 0.0;
    }
}

fn triad(a: &mut [f64], b: &[f64], c: &[f64], q: f64) {
    for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
        *a = *b + q * *c;
    }
}

fn inplace_scale(a: &mut [f64], q: f64) {
    for a in a.iter_mut() {
        *a *= q;
    }
}

/// Runs `f` on `threads` equal pieces of the index range (one per thread).
fn split(n: usize, threads: usize) -> usize {
    n.div_ceil(threads.max(1)).max(1)
}

/// The arrays of the STREAM-like bench.
pub struct StreamBufs {
    a: Buf<f64>,
    b: Buf<f64>,
    c: Buf<f64>,
    out: Buf<f64>,
}

impl StreamBufs {
    /// Four arrays of `n` doubles, every page written.
    pub fn new(n: usize) -> Self {
        StreamBufs {
            a: Buf::new(n, Align::Aligned, 11, 0.5, 1.5),
            b: Buf::new(n, Align::Aligned, 12, 0.5, 1.5),
            c: Buf::new(n, Align::Aligned, 13, 0.5, 1.5),
            out: Buf::new(n, Align::Aligned, 14, 0.0, 1.0),
        }
    }

    /// One pass of `pattern`: serial when `pool` is None, else split in
    /// one equal piece per thread of `pool`.
    pub fn pass(&mut self, pattern: Pattern, pool: Option<&rayon::ThreadPool>) {
        let n = self.a.get().len();
        let t = pool.map(|p| p.current_num_threads()).unwrap_or(1);
        let chunk = split(n, t);
        let a: &[f64] = self.a.get();
        let (b, c) = (self.b.get(), self.c.get());
        let o: &mut [f64] = self.out.get_mut();
        match (pattern, pool) {
            (Pattern::Read, None) => {
                std::hint::black_box(read(a));
            }
            (Pattern::Read, Some(p)) => {
                let s: f64 = p.install(|| a.par_chunks(chunk).map(read).sum());
                std::hint::black_box(s);
            }
            (Pattern::Copy, None) => copy(a, o),
            (Pattern::Copy, Some(p)) => p.install(|| {
                o.par_chunks_mut(chunk)
                    .zip(a.par_chunks(chunk))
                    .for_each(|(o, a)| copy(a, o))
            }),
            (Pattern::Triad, None) => triad(o, b, c, 0.5),
            (Pattern::Triad, Some(p)) => p.install(|| {
                o.par_chunks_mut(chunk)
                    .zip(b.par_chunks(chunk))
                    .zip(c.par_chunks(chunk))
                    .for_each(|((o, b), c)| triad(o, b, c, 0.5))
            }),
            // -1 keeps the values finite and normal forever.
            (Pattern::InplaceScale, None) => inplace_scale(o, -1.0),
            (Pattern::InplaceScale, Some(p)) => {
                p.install(|| o.par_chunks_mut(chunk).for_each(|x| inplace_scale(x, -1.0)))
            }
        }
    }
}

/// A rayon pool of exactly `threads` threads.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("spawning rayon threads")
}

/// Measures every pattern with 1 and with `max_threads` threads on arrays
/// of `n` doubles (interleaved rounds).
pub fn measure(n: usize, max_threads: usize, cfg: &TimingConfig) -> Vec<StreamResult> {
    let bufs = std::cell::RefCell::new(StreamBufs::new(n));
    let mut thread_counts = vec![1];
    if max_threads > 1 {
        thread_counts.push(max_threads);
    }
    let pools: Vec<rayon::ThreadPool> = thread_counts.iter().map(|&t| pool(t)).collect();
    let mut cands = Vec::new();
    let mut keys = Vec::new();
    for (ti, &t) in thread_counts.iter().enumerate() {
        let p = (t > 1).then(|| &pools[ti]);
        for pat in Pattern::ALL {
            keys.push((pat, t));
            let bufs = &bufs;
            cands.push(Candidate::new(
                format!("{}-{t}", pat.name()),
                move |inner| {
                    let mut b = bufs.borrow_mut();
                    for _ in 0..inner {
                        b.pass(pat, p);
                    }
                },
            ));
        }
    }
    let stats = interleaved(&mut cands, cfg);
    keys.into_iter()
        .zip(stats)
        .map(|((pattern, threads), stats)| StreamResult {
            pattern,
            threads,
            n,
            stats,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compute_what_they_say() {
        let a: Vec<f64> = (0..37).map(|i| i as f64).collect();
        assert_eq!(read(&a), (0..37).sum::<i32>() as f64);
        let mut c = vec![0.0; 37];
        copy(&a, &mut c);
        assert_eq!(c, a);
        let mut t = vec![0.0; 37];
        triad(&mut t, &a, &a, 0.5);
        assert_eq!(t[4], 6.0);
        inplace_scale(&mut c, -1.0);
        assert_eq!(c[3], -3.0);
    }

    #[test]
    fn measure_small() {
        let cfg = TimingConfig {
            reps: 2,
            min_sample: std::time::Duration::from_micros(50),
        };
        let r = measure(10_000, 2, &cfg);
        assert_eq!(r.len(), 8);
        assert!(r.iter().all(|r| r.gbs() > 0.0));
    }
}
